// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::props {

// What validation needs to know about the host, gathered by the caller (vm/) so that spec/ stays
// pure: no I/O happens below this struct.
struct HostFacts {
    std::vector<std::string> zpools { "zones" };
    // nic tags that exist on the host (nictagadm exists); empty means none.
    std::vector<std::string> nic_tags;
    // Every other VM on the host (full VM objects as vmadm get shows them), for MAC/IP/VRID/
    // vnc_port conflict checks. Failed VMs that are not running are ignored by the checks.
    std::vector<Json> other_vms;
    // Installed image manifest for (zpool, image uuid), nullopt when not installed.
    std::function<std::optional<Json>(std::string_view, std::string_view)> image_manifest;
};

} // namespace lumos::props
