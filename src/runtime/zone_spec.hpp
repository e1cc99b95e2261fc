// SPDX-License-Identifier: MPL-2.0
// What an OS zone (brands joyent, joyent-minimal, builder, lx) is made of when it runs, derived
// from its VM object, and the OCI runtime config (config.json, runtime-spec 1.0.2 as runc 1.1
// and crun 1.8 read it) that runs it. Pure: probing the host and writing the bundle are the
// caller's (runtime/host_layout.hpp).
//
// The mapping (DESIGN.md, "SmartOS concept -> lumos on Linux"):
//   sparse root (joyent*)  the zone's own root (<zonepath>/root) with the host's /usr and, where
//                          the host has real directories, /bin /sbin /lib* bind-mounted read-only
//                          (where the host has symlinks, e.g. merged /usr, the root gets the same
//                          symlinks: HostLayout::symlinks, made by the caller)
//   whole root (lx)        <zonepath>/root as it is
//   PID 1                  zinit (bind-mounted read-only at /.lumos/zinit) for joyent*, init_name
//                          (default /sbin/init) for lx
//   namespaces             mount, pid, uts, ipc, cgroup, and net (a given netns path, else new)
//   /dev, /proc, /sys      a minimal tmpfs /dev with the runtime's default devices, devpts,
//                          shm, mqueue; /proc and /sys with the paths container runtimes mask
//   capabilities           Docker's default set without CAP_MKNOD (no devices in zones), with
//                          CAP_SYS_BOOT (ARCHITECTURE.md says why each one is kept)
//   seccomp                allow by default, EPERM for what a tenant must not do to the host
//                          (modules, kexec, keyring, bpf, perf, mount API, swap, clock, reboot
//                          of the host is already a pid-namespace signal), io_uring, and, as
//                          Docker's default profile, user namespaces: clone and unshare with
//                          CLONE_NEWUSER and setns are EPERM, clone3 is ENOSYS (its flags are
//                          behind a pointer no filter can read, and libc falls back to clone)
//   /sys, /sys/fs/cgroup   read-only
//   resources              max_physical_memory -> memory.limit, max_swap -> memory+swap limit,
//                          max_locked_memory -> RLIMIT_MEMLOCK (at most HostLayout's
//                          memlock_ceiling), cpu_cap -> CFS quota (100 = one
//                          CPU), cpu_shares -> cpu.shares (SmartOS's 100 = Linux's 1024),
//                          max_lwps -> pids.limit, zfs_io_priority -> blkio weight (100 -> 500)
//   tmpfs                  /tmp as tmpfs of `tmpfs` MiB (default max_physical_memory; 0: none)
//   filesystems            lofs -> bind mounts (ro, nodevice -> nodev, nosetuid -> nosuid),
//                          tmpfs -> tmpfs
//   delegate_dataset       <pool>/<uuid>/data bind-mounted at /zones/<uuid>/data
//   metadata socket dir    <zonepath>/.zonecontrol at /.zonecontrol (lx: /native/.zonecontrol)
//   uname (lx)             with a seccomp listener: uname(2) answered by the zone's monitor, as
//                          SmartOS's lx brand answers it (version "BrandZ virtual linux")
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "runtime/host_layout.hpp"
#include "sys/cgroup.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lumos::runtime {

// Where things are for one zone on this host.
struct ZoneHostPaths {
    std::string zonepath; // <pool mountpoint>/<uuid>
    std::string zinit; // the host's zinit binary (joyent brands)
    // The static mdata-get, mdata-put, mdata-list and mdata-delete, bound read-only into the
    // zone: /.lumos/bin (on the zone's PATH) in joyent brands, /native/usr/sbin in lx.
    std::vector<std::string> mdata_clients;
    std::string mdata_execute; // bound at /.lumos/bin/mdata-execute in joyent brands ("": none)
    std::string delegated_dataset; // host path of <pool>/<uuid>/data, "" when none
    std::string netns; // path of the zone's network namespace, "" for a new empty one
    // Host file bind-mounted read-only over the zone's /etc/resolv.conf when it has resolvers
    // (run/lumos/zones/<uuid>/resolv.conf); "" writes nothing and mounts nothing.
    std::string resolv_conf;
    std::string cgroup_parent { "/lumos" };
    // lx zones: the unix socket the zone's seccomp listener is sent to (the monitor's
    // <dir>/seccomp.sock), which answers uname(2) as SmartOS's lx brand does; "" for none.
    std::string seccomp_listener;
};

// One mount of the zone's config.json (plain data: the OCI runtime mounts it).
struct MountSpec {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;
    bool operator==(MountSpec const&) const = default;
};

struct ZoneSpec {
    std::string uuid;
    std::string brand;
    std::string root; // <zonepath>/root
    std::string hostname;
    std::vector<std::string> args; // PID 1 and its arguments
    bool terminal { false }; // PID 1 on a pty (the console), handed over on runc's console socket
    std::vector<std::string> env;
    std::vector<MountSpec> mounts; // after the runtime's own /proc, /dev, /sys
    std::vector<std::pair<std::string, std::string>> symlinks; // to make in root first
    std::string resolv_conf; // the zone's /etc/resolv.conf, "" when no resolvers
    std::string resolv_conf_source; // host file prepare_root writes it to (bound over the zone's)
    // No resolvers, but a NIC whose lease brings them: the host file is bound all the same, made
    // empty when missing and otherwise left to the DHCP client, which writes it in place.
    bool resolv_conf_from_dhcp { false };
    std::string netns;
    std::string cgroups_path;
    std::optional<uint64_t> memory_limit; // bytes
    std::optional<uint64_t> memory_swap_limit; // bytes, memory + swap
    std::optional<uint64_t> locked_memory; // bytes (RLIMIT_MEMLOCK)
    std::optional<int64_t> cpu_quota_us; // per cpu_period_us
    uint64_t cpu_period_us { 100000 };
    std::optional<uint64_t> cpu_shares;
    std::optional<int64_t> pids_limit;
    std::optional<uint16_t> blkio_weight;
    // Lets the zone nest containers: user namespaces (clone, clone3 and unshare with
    // CLONE_NEWUSER) and setns. Off for every zone; not a VM property yet.
    bool allow_nesting { false };
    // Where uname(2) goes (seccomp user notification, SCMP_ACT_NOTIFY), "" for the kernel.
    std::string seccomp_listener;
    // The VM's controls this host cannot enforce, each as "<property> not applied: <why>" (the
    // line the zone's log gets); left out of the config, so the zone boots without them.
    std::vector<std::string> unenforced;
};

// joyent, joyent-minimal, builder, lx: the brands that run as zones.
bool is_os_brand(std::string const& brand);

// The zone a VM object describes. InvalidArgument for brands that are not OS zones and for
// filesystems of a type we cannot mount.
Result<ZoneSpec> zone_spec(Json const& vm, ZoneHostPaths const& paths, HostLayout const& host);

// The OCI config.json for the zone.
Json oci_config(ZoneSpec const& spec);

// A guest's resource controls as cgroup limits (any brand: zones through their spec, QEMU's
// cgroup directly): max_physical_memory, max_swap, cpu_cap, cpu_shares, max_lwps,
// zfs_io_priority; what this host cannot enforce is added to unenforced.
sys::CgroupLimits guest_cgroup_limits(
    Json const& vm, HostLayout const& host, std::vector<std::string>& unenforced);

// The same resource controls for sys::Cgroups::apply (vmadm update of a running zone), so a
// live change and a fresh start give the zone the same cgroup.
sys::CgroupLimits cgroup_limits(ZoneSpec const& spec);

} // namespace lumos::runtime
