// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos {

// The host config ($LUMOS_ROOT/etc/lumos/config): SmartOS's /usbkey/config style of
// "key=value" lines, parsed once. Unknown keys are ignored; a missing or unreadable file is an
// empty config (every default), and so is one over 1 MiB (no config is that large).
struct HostConfig {
    // Nic tags: "<tag>_nic=<mac>" lines and "etherstub=a,b" (values may be quoted; '#'
    // starts a comment line). Names nictagadm would refuse (other than letters, digits and
    // '_', or 32 bytes and more) are left out.
    std::vector<std::string> nic_tags;
    // "provision_timeout=<seconds>": the operator's override of SmartOS's 300 s provisioning
    // deadline; the first positive value counts.
    std::optional<int64_t> provision_timeout_s;
    // "cgroup_parent=/<path>": the cgroup under which each zone gets <uuid> (letters, digits
    // and "_-./" only, no ".."; the last such line counts). Default /lumos.
    std::string cgroup_parent { "/lumos" };

    static HostConfig parse(std::string_view text);
    static HostConfig load(Paths const& paths);
    // The file's text for readers of other keys (sysinfo): "" when it is missing, unreadable
    // or over 1 MiB, as for load.
    static std::string read_text(Paths const& paths);
};

} // namespace lumos
