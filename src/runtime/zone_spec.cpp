// SPDX-License-Identifier: MPL-2.0
#include "runtime/zone_spec.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>

namespace lumos::runtime {

namespace {

constexpr uint64_t MIB = 1024ULL * 1024ULL;
// The largest CFS quota the kernel takes (its MAX_BW, in microseconds): a larger cpu_cap is no
// cap the kernel could enforce differently, and writing more would fail the boot.
constexpr int64_t MAX_CFS_QUOTA_US = (int64_t { 1 } << 44) - 1;

// a * b, or the largest uint64 when that does not fit (a VM's properties may be any integer).
uint64_t saturating_product(uint64_t a, uint64_t b)
{
    return b != 0 && a > std::numeric_limits<uint64_t>::max() / b
        ? std::numeric_limits<uint64_t>::max()
        : a * b;
}

std::optional<int64_t> integer(Json const& vm, char const* key)
{
    auto it = vm.find(key);
    if (it == vm.end() || !it->is_number()) {
        return std::nullopt;
    }
    // The record's numbers passed vmadm's validation; a value past int64 (or not finite) is
    // not one any control takes, and converting it would be undefined.
    if (it->is_number_float()) {
        double const value = it->get<double>();
        constexpr double LIMIT = 9223372036854775808.0; // 2^63
        if (!(value > -LIMIT && value < LIMIT)) {
            return std::nullopt;
        }
        return static_cast<int64_t>(value);
    }
    if (it->is_number_unsigned()
        && it->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return std::nullopt;
    }
    return it->get<int64_t>();
}

// SmartOS's lofs options, as mount(2) options.
Result<std::vector<std::string>> mount_options(Json const& filesystem, std::string const& target)
{
    std::vector<std::string> options;
    auto it = filesystem.find("options");
    if (it == filesystem.end()) {
        return options;
    }
    if (!it->is_array()) {
        return make_error(
            ErrorCode::InvalidArgument, "filesystem " + target + ": options must be an array");
    }
    for (auto const& option : *it) {
        if (!option.is_string()) {
            return make_error(
                ErrorCode::InvalidArgument, "filesystem " + target + ": options must be strings");
        }
        std::string const value = option.get<std::string>();
        bool const passed_through = value == "ro" || value == "rw" || value == "noexec"
            || value == "exec" || value.rfind("size=", 0) == 0 || value.rfind("mode=", 0) == 0;
        if (passed_through) {
            options.push_back(value);
        } else if (value == "nodevice" || value == "nodevices") {
            options.emplace_back("nodev");
        } else if (value == "nosetuid" || value == "nosuid") {
            options.emplace_back("nosuid");
        } else {
            return make_error(ErrorCode::InvalidArgument,
                "filesystem " + target + ": unsupported option \"" + value + "\"");
        }
    }
    return options;
}

Json string_array(std::vector<std::string> const& items)
{
    Json array = Json::array();
    for (auto const& item : items) {
        array.push_back(item);
    }
    return array;
}

// What a zone's root may do: Docker's default set, without CAP_MKNOD, with CAP_SYS_BOOT: in a
// pid namespace reboot(2) only ends the zone's own init (how an lx zone's halt and reboot end
// it), and kexec, the rest of what CAP_SYS_BOOT allows, is refused by the seccomp filter.
// ARCHITECTURE.md ("What a zone's root may do") gives the reason for each; one without a
// reason there does not belong here.
constexpr std::array CAPABILITIES {
    "CAP_AUDIT_WRITE",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_RAW",
    "CAP_SETFCAP",
    "CAP_SETGID",
    "CAP_SETPCAP",
    "CAP_SETUID",
    "CAP_SYS_BOOT",
    "CAP_SYS_CHROOT",
};

// Refused with EPERM whatever the capabilities: what reaches past the zone into the host's
// kernel (modules, kexec, keyrings, bpf, perf, clocks, swap, accounting, the new mount API and
// io_uring, which runs the same operations from kernel threads, out of seccomp's sight).
constexpr std::array DENIED_SYSCALLS {
    "acct",
    "add_key",
    "bpf",
    "clock_adjtime",
    "clock_settime",
    "create_module",
    "delete_module",
    "finit_module",
    "fsconfig",
    "fsmount",
    "fsopen",
    "fspick",
    "get_kernel_syms",
    "init_module",
    "io_uring_enter",
    "io_uring_register",
    "io_uring_setup",
    "ioperm",
    "iopl",
    "kexec_file_load",
    "kexec_load",
    "keyctl",
    "lookup_dcookie",
    "mount_setattr",
    "move_mount",
    "name_to_handle_at",
    "nfsservctl",
    "open_by_handle_at",
    "open_tree",
    "perf_event_open",
    "quotactl",
    "request_key",
    "settimeofday",
    "stime",
    "swapoff",
    "swapon",
    "_sysctl",
    "syslog",
    "uselib",
    "userfaultfd",
    "ustat",
    "vm86",
    "vm86old",
};

constexpr uint64_t CLONE_NEWUSER_FLAG = 0x10000000;
constexpr int EPERM_ERRNO = 1;
constexpr int ENOSYS_ERRNO = 38;

// Docker's default profile on user namespaces (what nesting needs): without CAP_SYS_ADMIN a
// zone can make every other kind of namespace only inside a user namespace of its own, and a
// user namespace is where most of the kernel's unprivileged attack surface is. clone3 passes
// its flags in a struct a filter cannot read, so it is ENOSYS and libc falls back to clone,
// whose flags (argument 0 on x86) the filter checks.
Json user_namespace_rules()
{
    Json const newuser = Json::array({ { { "index", 0 }, { "value", CLONE_NEWUSER_FLAG },
        { "valueTwo", CLONE_NEWUSER_FLAG }, { "op", "SCMP_CMP_MASKED_EQ" } } });
    return Json::array({
        { { "names", { "clone", "unshare" } }, { "action", "SCMP_ACT_ERRNO" },
            { "errnoRet", EPERM_ERRNO }, { "args", newuser } },
        { { "names", Json::array({ "setns" }) }, { "action", "SCMP_ACT_ERRNO" },
            { "errnoRet", EPERM_ERRNO } },
        { { "names", Json::array({ "clone3" }) }, { "action", "SCMP_ACT_ERRNO" },
            { "errnoRet", ENOSYS_ERRNO } },
    });
}

} // namespace

bool is_os_brand(std::string const& brand)
{
    return brand == "joyent" || brand == "joyent-minimal" || brand == "builder" || brand == "lx";
}

sys::CgroupLimits guest_cgroup_limits(
    Json const& vm, HostLayout const& host, std::vector<std::string>& unenforced)
{
    sys::CgroupLimits limits;
    auto const memory_mib = integer(vm, "max_physical_memory");
    if (memory_mib && *memory_mib > 0) {
        limits.memory = saturating_product(static_cast<uint64_t>(*memory_mib), MIB);
    }
    if (auto swap = integer(vm, "max_swap"); swap && *swap > 0 && !host.swap) {
        unenforced.push_back("max_swap not applied: " + host.swap_reason);
    } else if (swap && *swap > 0) {
        limits.memory_swap = saturating_product(static_cast<uint64_t>(*swap), MIB);
        if (limits.memory && *limits.memory_swap < *limits.memory) {
            limits.memory_swap = limits.memory; // the kernel refuses less
        }
    }
    if (auto cap = integer(vm, "cpu_cap"); cap && *cap > 0) {
        auto const period = static_cast<int64_t>(limits.cpu_period_us);
        limits.cpu_quota_us = *cap > MAX_CFS_QUOTA_US / period * 100
            ? MAX_CFS_QUOTA_US
            : std::min(*cap * period / 100, MAX_CFS_QUOTA_US);
    }
    if (auto shares = integer(vm, "cpu_shares"); shares && *shares > 0) {
        limits.cpu_shares
            = std::max<uint64_t>(2, saturating_product(static_cast<uint64_t>(*shares), 1024) / 100);
    }
    if (auto lwps = integer(vm, "max_lwps"); lwps && *lwps > 0) {
        limits.pids = *lwps;
    }
    if (auto priority = integer(vm, "zfs_io_priority");
        priority && *priority > 0 && !host.io_weight) {
        unenforced.push_back("zfs_io_priority not applied: " + host.io_weight_reason);
    } else if (priority && *priority > 0) {
        limits.io_weight = static_cast<uint16_t>(
            std::clamp<int64_t>(std::min<int64_t>(*priority, 200) * 5, 10, 1000));
    }
    return limits;
}

Result<ZoneSpec> zone_spec(Json const& vm, ZoneHostPaths const& paths, HostLayout const& host)
{
    ZoneSpec spec;
    spec.brand = string_or(vm, "brand");
    if (!is_os_brand(spec.brand)) {
        return make_error(
            ErrorCode::InvalidArgument, "brand \"" + spec.brand + "\" is not an OS zone brand");
    }
    spec.uuid = string_or(vm, "uuid");
    spec.root = paths.zonepath + "/root";
    spec.hostname = string_or(vm, "hostname").empty() ? spec.uuid : string_or(vm, "hostname");
    spec.netns = paths.netns;
    spec.cgroups_path = paths.cgroup_parent + "/" + spec.uuid;
    bool const lx = spec.brand == "lx";
    if (lx) {
        spec.seccomp_listener = paths.seccomp_listener;
    }

    spec.env
        = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "container=zone" };
    if (lx) {
        std::string init = string_or(vm, "init_name");
        spec.args = { init.empty() ? "/sbin/init" : init };
    } else {
        spec.args = { "/.lumos/zinit" };
        spec.mounts.push_back(
            { "/.lumos/zinit", "bind", paths.zinit, { "bind", "ro", "nosuid", "nodev" } });
        for (auto const& dir : host.bind_dirs) {
            spec.mounts.push_back({ dir, "bind", dir, { "rbind", "ro", "nosuid", "nodev" } });
        }
        spec.symlinks = host.symlinks;
    }

    // The metadata socket's directory, read-only as SmartOS mounts it: a guest connects to the
    // socket and can neither replace it nor fill the directory. lx zones see it where the native
    // SmartOS client looks (/native) and where cloud-init's data source and ours look first.
    std::vector<std::string> zonecontrols { "/.zonecontrol" };
    if (lx) {
        zonecontrols.emplace_back("/native/.zonecontrol");
    }
    for (auto const& zonecontrol : zonecontrols) {
        spec.mounts.push_back({ zonecontrol, "bind", paths.zonepath + "/.zonecontrol",
            { "bind", "ro", "nosuid", "nodev", "noexec" } });
    }
    std::string const client_dir = lx ? "/native/usr/sbin" : "/.lumos/bin";
    for (auto const& client : paths.mdata_clients) {
        std::string const name = client.substr(client.rfind('/') + 1);
        spec.mounts.push_back(
            { client_dir + "/" + name, "bind", client, { "bind", "ro", "nosuid", "nodev" } });
    }
    if (!lx && !paths.mdata_clients.empty()) {
        spec.env[0] += ":/.lumos/bin";
    }
    if (!lx && !paths.mdata_execute.empty()) {
        spec.mounts.push_back({ "/.lumos/bin/mdata-execute", "bind", paths.mdata_execute,
            { "bind", "ro", "nosuid", "nodev" } });
    }

    auto const memory_mib = integer(vm, "max_physical_memory");
    auto tmpfs_mib = integer(vm, "tmpfs");
    if (!tmpfs_mib) {
        tmpfs_mib = memory_mib;
    }
    if (tmpfs_mib && *tmpfs_mib > 0) {
        spec.mounts.push_back({ "/tmp", "tmpfs", "swap",
            { "nosuid", "nodev", "mode=1777", "size=" + std::to_string(*tmpfs_mib) + "m" } });
    }

    if (auto it = vm.find("filesystems"); it != vm.end() && it->is_array()) {
        for (auto const& filesystem : *it) {
            std::string const type = string_or(filesystem, "type");
            std::string const target = string_or(filesystem, "target");
            std::string const source = string_or(filesystem, "source");
            if (target.empty() || target.front() != '/') {
                return make_error(ErrorCode::InvalidArgument,
                    "filesystem target \"" + target + "\" is not an absolute path");
            }
            TRY_ASSIGN(options, mount_options(filesystem, target));
            if (type == "lofs") {
                if (source.empty() || source.front() != '/') {
                    return make_error(ErrorCode::InvalidArgument,
                        "filesystem " + target + ": source \"" + source
                            + "\" is not an absolute path");
                }
                options.insert(options.begin(), "rbind");
                spec.mounts.push_back({ target, "bind", source, options });
            } else if (type == "tmpfs") {
                spec.mounts.push_back({ target, "tmpfs", "tmpfs", options });
            } else {
                return make_error(ErrorCode::InvalidArgument,
                    "filesystem " + target + ": type \"" + type + "\" is not supported");
            }
        }
    }

    if (!paths.delegated_dataset.empty()) {
        spec.mounts.push_back({ "/zones/" + spec.uuid + "/data", "bind", paths.delegated_dataset,
            { "rbind", "nosuid", "nodev" } });
    }

    if (auto it = vm.find("resolvers"); it != vm.end() && it->is_array() && !it->empty()) {
        for (auto const& resolver : *it) {
            if (resolver.is_string()) {
                spec.resolv_conf += "nameserver " + resolver.get<std::string>() + "\n";
            }
        }
    }
    if (spec.resolv_conf.empty()) {
        if (auto nics = vm.find("nics"); nics != vm.end() && nics->is_array()) {
            for (auto const& nic : *nics) {
                auto const ips = nic.find("ips");
                if (ips != nic.end() && ips->is_array()
                    && std::find(ips->begin(), ips->end(), Json("dhcp")) != ips->end()) {
                    spec.resolv_conf_from_dhcp = true;
                }
            }
        }
    }
    if ((!spec.resolv_conf.empty() || spec.resolv_conf_from_dhcp) && !paths.resolv_conf.empty()) {
        // As Docker does: the host's file, read-only, so the zone's free space does not matter.
        spec.resolv_conf_source = paths.resolv_conf;
        spec.mounts.push_back({ "/etc/resolv.conf", "bind", paths.resolv_conf,
            { "bind", "ro", "nosuid", "nodev", "noexec" } });
    }

    sys::CgroupLimits const limits = guest_cgroup_limits(vm, host, spec.unenforced);
    spec.memory_limit = limits.memory;
    spec.memory_swap_limit = limits.memory_swap;
    spec.cpu_quota_us = limits.cpu_quota_us;
    spec.cpu_period_us = limits.cpu_period_us;
    spec.cpu_shares = limits.cpu_shares;
    spec.pids_limit = limits.pids;
    spec.blkio_weight = limits.io_weight;
    if (auto locked = integer(vm, "max_locked_memory"); locked && *locked > 0) {
        spec.locked_memory = saturating_product(static_cast<uint64_t>(*locked), MIB);
        if (host.memlock_ceiling && *spec.locked_memory > *host.memlock_ceiling) {
            spec.locked_memory = host.memlock_ceiling; // runc could not raise it further
            spec.unenforced.push_back("max_locked_memory not applied in full: at most "
                + std::to_string(*host.memlock_ceiling)
                + " bytes (lumos lacks CAP_SYS_RESOURCE to raise its hard limit)");
        }
    }
    return spec;
}

Json oci_config(ZoneSpec const& spec)
{
    Json caps = Json::array();
    for (char const* cap : CAPABILITIES) {
        caps.push_back(cap);
    }
    // Only what a property asks for: the rest is inherited (raising a hard limit above the
    // runtime's own needs CAP_SYS_RESOURCE, which a host in a container may not have).
    Json rlimits = Json::array();
    if (spec.locked_memory) {
        rlimits.push_back({ { "type", "RLIMIT_MEMLOCK" }, { "hard", *spec.locked_memory },
            { "soft", *spec.locked_memory } });
    }
    Json process {
        { "terminal", spec.terminal },
        { "user", { { "uid", 0 }, { "gid", 0 } } },
        { "args", string_array(spec.args) },
        { "env", string_array(spec.env) },
        { "cwd", "/" },
        { "capabilities", { { "bounding", caps }, { "effective", caps }, { "permitted", caps } } },
        { "rlimits", rlimits },
        { "noNewPrivileges", false },
    };

    Json mounts = Json::array({
        { { "destination", "/proc" }, { "type", "proc" }, { "source", "proc" },
            { "options", { "nosuid", "noexec", "nodev" } } },
        { { "destination", "/dev" }, { "type", "tmpfs" }, { "source", "tmpfs" },
            { "options", { "nosuid", "strictatime", "mode=755", "size=65536k" } } },
        { { "destination", "/dev/pts" }, { "type", "devpts" }, { "source", "devpts" },
            { "options",
                { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } } },
        { { "destination", "/dev/shm" }, { "type", "tmpfs" }, { "source", "shm" },
            { "options", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } } },
        { { "destination", "/dev/mqueue" }, { "type", "mqueue" }, { "source", "mqueue" },
            { "options", { "nosuid", "noexec", "nodev" } } },
        { { "destination", "/sys" }, { "type", "sysfs" }, { "source", "sysfs" },
            { "options", { "nosuid", "noexec", "nodev", "ro" } } },
        { { "destination", "/sys/fs/cgroup" }, { "type", "cgroup" }, { "source", "cgroup" },
            { "options", { "nosuid", "noexec", "nodev", "relatime", "ro" } } },
    });
    for (auto const& mount : spec.mounts) {
        mounts.push_back({ { "destination", mount.destination }, { "type", mount.type },
            { "source", mount.source }, { "options", string_array(mount.options) } });
    }

    Json namespaces = Json::array();
    for (char const* type : { "pid", "ipc", "uts", "mount", "cgroup" }) {
        namespaces.push_back({ { "type", type } });
    }
    Json network { { "type", "network" } };
    if (!spec.netns.empty()) {
        network["path"] = spec.netns;
    }
    namespaces.push_back(network);

    Json resources = Json::object();
    resources["devices"] = Json::array({ { { "allow", false }, { "access", "rwm" } } });
    if (spec.memory_limit || spec.memory_swap_limit) {
        Json memory = Json::object();
        if (spec.memory_limit) {
            memory["limit"] = *spec.memory_limit;
        }
        if (spec.memory_swap_limit) {
            memory["swap"] = *spec.memory_swap_limit;
        }
        resources["memory"] = memory;
    }
    if (spec.cpu_quota_us || spec.cpu_shares) {
        Json cpu = Json::object();
        if (spec.cpu_shares) {
            cpu["shares"] = *spec.cpu_shares;
        }
        if (spec.cpu_quota_us) {
            cpu["quota"] = *spec.cpu_quota_us;
            cpu["period"] = spec.cpu_period_us;
        }
        resources["cpu"] = cpu;
    }
    if (spec.pids_limit) {
        resources["pids"] = { { "limit", *spec.pids_limit } };
    }
    if (spec.blkio_weight) {
        resources["blockIO"] = { { "weight", *spec.blkio_weight } };
    }

    Json denied = Json::array();
    for (char const* name : DENIED_SYSCALLS) {
        denied.push_back(name);
    }
    Json syscalls = Json::array(
        { { { "names", denied }, { "action", "SCMP_ACT_ERRNO" }, { "errnoRet", EPERM_ERRNO } } });
    if (!spec.allow_nesting) {
        for (auto& rule : user_namespace_rules()) {
            syscalls.push_back(std::move(rule));
        }
    }
    if (!spec.seccomp_listener.empty()) {
        syscalls.push_back({ { "names", { "uname" } }, { "action", "SCMP_ACT_NOTIFY" } });
    }
    Json seccomp {
        { "defaultAction", "SCMP_ACT_ALLOW" },
        { "architectures", { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32" } },
        { "syscalls", syscalls },
    };
    if (!spec.seccomp_listener.empty()) {
        seccomp["listenerPath"] = spec.seccomp_listener;
    }

    Json linux {
        { "namespaces", namespaces },
        { "cgroupsPath", spec.cgroups_path },
        { "resources", resources },
        { "maskedPaths",
            { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
                "/sys/firmware" } },
        { "readonlyPaths",
            { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                // The cgroup mount's "ro" reaches the controllers, but on cgroup v1 runc
                // mounts them on a tmpfs it leaves writable: remounted read-only here.
                "/sys/fs/cgroup" } },
        { "seccomp", seccomp },
    };

    return Json {
        { "ociVersion", "1.0.2" },
        { "process", process },
        { "root", { { "path", spec.root }, { "readonly", false } } },
        { "hostname", spec.hostname },
        { "mounts", mounts },
        { "linux", linux },
    };
}

sys::CgroupLimits cgroup_limits(ZoneSpec const& spec)
{
    sys::CgroupLimits limits;
    limits.memory = spec.memory_limit;
    limits.memory_swap = spec.memory_swap_limit;
    limits.cpu_quota_us = spec.cpu_quota_us;
    limits.cpu_period_us = spec.cpu_period_us;
    limits.cpu_shares = spec.cpu_shares;
    limits.pids = spec.pids_limit;
    limits.io_weight = spec.blkio_weight;
    return limits;
}

} // namespace lumos::runtime
