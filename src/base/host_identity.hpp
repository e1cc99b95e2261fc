// SPDX-License-Identifier: MPL-2.0
// The host's identity as vmadm (server_uuid, platform_buildstamp) and sysinfo (UUID, Live Image)
// report it: one source, so the two always agree.
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"

#include <string>

namespace lumos {

// Where a host's identity is read from; tests point these at files of their own.
struct HostIdentitySources {
    // The SMBIOS system UUID, as SmartOS's sysinfo takes it (readable by root only).
    std::string product_uuid_file { "/sys/class/dmi/id/product_uuid" };
    // systemd's machine id: the fallback on hosts without SMBIOS (some VMs, ARM boards).
    std::string machine_id_file { "/etc/machine-id" };
};

// The server's UUID, stable across calls and reboots: the one recorded in
// $LUMOS_ROOT/etc/lumos/server_uuid, else the SMBIOS UUID (unless a placeholder such as all
// zeros), else the machine id shaped as a UUID, else a random one; the first caller able to
// write records it, as SmartOS records it on its pool (a misbehaving BMC may report another UUID
// on a later boot). Fails only when there is neither a recorded nor a derivable value and none
// can be recorded.
Result<std::string> server_uuid(Paths const& paths, HostIdentitySources const& sources = {});

// This lumos's build stamp (SmartOS's platform buildstamp, "Live Image"): YYYYMMDDTHHMMSSZ.
std::string platform_buildstamp();

} // namespace lumos
