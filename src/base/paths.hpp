// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <string>
#include <string_view>

namespace lumos {

// Every path lumos reads or writes, derived from one prefix (LUMOS_ROOT, default "/"), so a whole
// host fits in a temporary directory for tests.
class Paths {
public:
    explicit Paths(std::string root);

    // From the LUMOS_ROOT environment variable, "/" when unset or empty.
    static Paths from_environment();

    std::string const& root() const { return m_root; }

    // root joined with an absolute path ("/etc/lumos" -> "<root>/etc/lumos").
    std::string under_root(std::string_view absolute) const;

    std::string etc_dir() const { return under_root("/etc/lumos"); }
    std::string vms_dir() const { return under_root("/etc/lumos/vms"); }
    std::string vm_config(std::string_view uuid) const;
    // The VM's snapshot list, kept apart from its record (the storage layer writes it).
    std::string vm_snapshots(std::string_view uuid) const;
    std::string run_dir() const { return under_root("/run/lumos"); }
    std::string vm_lock(std::string_view uuid) const;
    // The zone's persistent network namespace (a bind mount of its nsfs file, net::Netns):
    // "<root>/run/lumos/zones/<uuid>/netns".
    std::string zone_netns(std::string_view uuid) const;
    std::string create_lock() const;
    std::string log_dir() const { return under_root("/var/log/lumos"); }
    std::string imgadm_dir() const { return under_root("/var/imgadm"); }
    std::string image_manifest(std::string_view pool, std::string_view image_uuid) const;

    // Mountpoint of a pool: "<root>/<pool>" ("zones" -> "<root>/zones").
    std::string pool_mountpoint(std::string_view pool) const;
    // zonepath of a VM: "<root>/<pool>/<zonename>".
    std::string zonepath(std::string_view pool, std::string_view zonename) const;

private:
    std::string m_root;
};

} // namespace lumos
