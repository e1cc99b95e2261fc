// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/claims.hpp"

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
    // Other VMs of the host (VM objects as vmadm get shows them: uuid, state, zone_state,
    // nics, vnc_port, zonename, zpool, datasets, disks), for the MAC/IP/VRID/vnc_port conflict
    // checks and dataset nesting. Failed VMs that are not running are ignored by the checks.
    // Used when vms_claiming is unset (tests).
    std::vector<Json> other_vms;
    // The other VMs that may hold any of these claims (props/claims.hpp; a Dataset claim also
    // matches datasets nested in or around it). A superset is fine: the checks decide. The
    // engine answers from the store's index, so a check reads the few VMs it concerns, never
    // every VM; an error (the index cannot be read) fails the command.
    std::function<Result<std::vector<Json>>(std::vector<Claim> const&)> vms_claiming;
    // Installed image manifest for (zpool, image uuid), nullopt when not installed.
    std::function<std::optional<Json>(std::string_view, std::string_view)> image_manifest;
};

// The other VMs that may hold any of the claims: vms_claiming's answer, or other_vms.
Result<std::vector<Json>> vms_claiming(HostFacts const& host, std::vector<Claim> const& claims);

} // namespace lumos::props
