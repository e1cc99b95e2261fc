// SPDX-License-Identifier: MPL-2.0
// An OS zone from its VM object, and its OCI config.json (src/runtime/zone_spec.hpp).
#include "runtime/zone_spec.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace lumos::runtime {
namespace {

std::string const UUID = "0f5a4c2e-6d2b-4b0e-9a51-3c1d2e4f5a6b";

Json joyent_vm()
{
    return Json { { "uuid", UUID }, { "brand", "joyent-minimal" }, { "max_physical_memory", 256 },
        { "max_swap", 512 }, { "max_locked_memory", 256 }, { "max_lwps", 2000 },
        { "cpu_shares", 100 }, { "zfs_io_priority", 100 }, { "tmpfs", 256 } };
}

ZoneHostPaths host_paths()
{
    ZoneHostPaths paths;
    paths.zonepath = "/zones/" + UUID;
    paths.zinit = "/usr/lib/lumos/zinit";
    return paths;
}

HostLayout merged_usr()
{
    HostLayout host;
    host.bind_dirs = { "/usr" };
    host.symlinks = { { "/bin", "usr/bin" }, { "/lib", "usr/lib" } };
    return host;
}

MountSpec const* find_mount(ZoneSpec const& spec, std::string const& destination)
{
    auto it = std::find_if(spec.mounts.begin(), spec.mounts.end(),
        [&](MountSpec const& m) { return m.destination == destination; });
    return it == spec.mounts.end() ? nullptr : &*it;
}

TEST(ZoneSpec, SparseRootBorrowsTheHostsUsrReadOnlyAndRunsZinit)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    EXPECT_EQ(spec->root, "/zones/" + UUID + "/root");
    EXPECT_EQ(spec->args, std::vector<std::string> { "/.lumos/zinit" });
    EXPECT_EQ(spec->hostname, UUID); // no hostname: the zonename
    auto const* usr = find_mount(*spec, "/usr");
    ASSERT_NE(usr, nullptr);
    EXPECT_EQ(usr->source, "/usr");
    EXPECT_NE(std::find(usr->options.begin(), usr->options.end(), "ro"), usr->options.end());
    auto const* zinit = find_mount(*spec, "/.lumos/zinit");
    ASSERT_NE(zinit, nullptr);
    EXPECT_EQ(zinit->source, "/usr/lib/lumos/zinit");
    EXPECT_EQ(spec->symlinks, merged_usr().symlinks);
    EXPECT_NE(find_mount(*spec, "/.zonecontrol"), nullptr);
}

TEST(ZoneSpec, LxIsAWholeRootWithItsOwnInit)
{
    Json vm = joyent_vm();
    vm["brand"] = "lx";
    auto spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->args, std::vector<std::string> { "/sbin/init" });
    EXPECT_EQ(find_mount(*spec, "/usr"), nullptr);
    EXPECT_TRUE(spec->symlinks.empty());
    EXPECT_NE(find_mount(*spec, "/native/.zonecontrol"), nullptr);
    vm["init_name"] = "/bin/sh";
    spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->args, std::vector<std::string> { "/bin/sh" });
}

TEST(ZoneSpec, HvmBrandsAreNotZones)
{
    for (char const* brand : { "kvm", "bhyve", "", "solaris" }) {
        Json vm = joyent_vm();
        vm["brand"] = brand;
        auto spec = zone_spec(vm, host_paths(), merged_usr());
        ASSERT_FALSE(spec.has_value()) << brand;
        EXPECT_EQ(spec.error().code(), ErrorCode::InvalidArgument);
    }
}

TEST(ZoneSpec, ResourceControls)
{
    Json vm = joyent_vm();
    vm["cpu_cap"] = 150;
    auto spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->memory_limit, 256ULL << 20);
    EXPECT_EQ(spec->memory_swap_limit, 512ULL << 20);
    EXPECT_EQ(spec->locked_memory, 256ULL << 20);
    EXPECT_EQ(spec->cpu_quota_us, 150000); // one and a half CPUs of a 100 ms period
    EXPECT_EQ(spec->cpu_shares, 1024U);
    EXPECT_EQ(spec->pids_limit, 2000);
    EXPECT_EQ(spec->blkio_weight, 500);

    HostLayout capped = merged_usr();
    capped.memlock_ceiling = 8ULL << 20;
    spec = zone_spec(vm, host_paths(), capped);
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->locked_memory, 8ULL << 20);
    ASSERT_EQ(spec->unenforced.size(), 1U);
    EXPECT_EQ(spec->unenforced.front(),
        "max_locked_memory not applied in full: at most 8388608 bytes (lumos lacks "
        "CAP_SYS_RESOURCE to raise its hard limit)");

    vm.erase("cpu_cap");
    vm["max_swap"] = 128; // less than memory: memory+swap cannot be below memory
    vm["zfs_io_priority"] = 1000;
    spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->cpu_quota_us.has_value());
    EXPECT_EQ(spec->memory_swap_limit, 256ULL << 20);
    EXPECT_EQ(spec->blkio_weight, 1000);
    EXPECT_TRUE(spec->unenforced.empty());
}

// vmadm accepts any integer for cpu_cap, cpu_shares, zfs_io_priority and max_lwps (as SmartOS
// does); the controls saturate at what the kernel takes instead of overflowing into a small
// limit (or undefined behaviour), and a number past int64 is no control at all.
TEST(ZoneSpec, HugeControlsSaturateInsteadOfWrapping)
{
    Json vm = joyent_vm();
    vm["cpu_cap"] = std::numeric_limits<int64_t>::max();
    vm["cpu_shares"] = std::numeric_limits<int64_t>::max();
    vm["zfs_io_priority"] = std::numeric_limits<int64_t>::max();
    vm["max_physical_memory"] = int64_t { 1 } << 45; // 2^65 bytes
    auto spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->cpu_quota_us, (int64_t { 1 } << 44) - 1);
    EXPECT_EQ(spec->cpu_shares, std::numeric_limits<uint64_t>::max() / 100);
    EXPECT_EQ(spec->blkio_weight, 1000);
    EXPECT_EQ(spec->memory_limit, std::numeric_limits<uint64_t>::max());

    vm["cpu_cap"] = 1e300;
    vm["max_lwps"] = std::numeric_limits<uint64_t>::max();
    vm["cpu_shares"] = -1e300;
    spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->cpu_quota_us.has_value());
    EXPECT_EQ(spec->pids_limit, std::nullopt);
    EXPECT_FALSE(spec->cpu_shares.has_value());
}

// What the host probe found decides: no io weight file (a kernel without BFQ), no swap
// accounting -> the controls are left out of the OCI config and the live limits, and each is
// listed with the probe's reason (the line the zone's log gets).
sys::HostFeatures probed(std::string const& io_weight_file, bool swap)
{
    sys::HostFeatures features;
    features.cap_sys_resource = true;
    features.cgroup.layout = "v1";
    features.cgroup.io_weight_file = io_weight_file;
    if (io_weight_file.empty()) {
        features.cgroup.io_weight_reason
            = "the kernel has no io weight file (blkio.bfq.weight, blkio.weight) for /lumos";
    }
    features.cgroup.memsw = swap;
    features.cgroup.swap_accounting = swap;
    if (!swap) {
        features.cgroup.swap_reason = "the kernel does not account swap (no "
                                      "memory.memsw.limit_in_bytes for /lumos; boot with "
                                      "swapaccount=1)";
    }
    return features;
}

TEST(ZoneSpec, AnIoWeightTheProbeFoundNoFileForIsLeftOutAndReported)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), host_layout(probed("", true)));
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->blkio_weight.has_value());
    EXPECT_FALSE(oci_config(*spec)["linux"]["resources"].contains("blockIO"));
    EXPECT_FALSE(cgroup_limits(*spec).io_weight.has_value());
    EXPECT_EQ(spec->unenforced,
        std::vector<std::string> { "zfs_io_priority not applied: the kernel has no io weight file "
                                   "(blkio.bfq.weight, blkio.weight) for /lumos" });
}

TEST(ZoneSpec, AnIoWeightTheProbeFoundAFileForIsApplied)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), host_layout(probed("blkio.bfq.weight", true)));
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->blkio_weight, 500);
    EXPECT_EQ(oci_config(*spec)["linux"]["resources"]["blockIO"]["weight"], 500);
    EXPECT_EQ(cgroup_limits(*spec).io_weight, 500);
    EXPECT_TRUE(spec->unenforced.empty());
}

TEST(ZoneSpec, MaxSwapWithoutSwapAccountingIsLeftOutAndReported)
{
    Json vm = joyent_vm();
    vm["max_swap"] = 1024;
    auto spec = zone_spec(vm, host_paths(), host_layout(probed("blkio.weight", false)));
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->memory_swap_limit.has_value());
    Json const memory = oci_config(*spec)["linux"]["resources"]["memory"];
    EXPECT_TRUE(memory.contains("limit"));
    EXPECT_FALSE(memory.contains("swap"));
    EXPECT_FALSE(cgroup_limits(*spec).memory_swap.has_value());
    ASSERT_EQ(spec->unenforced.size(), 1U);
    EXPECT_EQ(spec->unenforced.front(),
        "max_swap not applied: the kernel does not account swap (no memory.memsw.limit_in_bytes "
        "for /lumos; boot with swapaccount=1)");

    spec = zone_spec(vm, host_paths(), host_layout(probed("blkio.weight", true)));
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->memory_swap_limit, 1024ULL << 20);
    EXPECT_TRUE(spec->unenforced.empty());
}

TEST(ZoneSpec, LiveLimitsMatchTheConfigs)
{
    Json vm = joyent_vm();
    vm["cpu_cap"] = 200;
    auto spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    auto limits = cgroup_limits(*spec);
    Json resources = oci_config(*spec)["linux"]["resources"];
    EXPECT_EQ(limits.memory, resources["memory"]["limit"].get<uint64_t>());
    EXPECT_EQ(limits.memory_swap, resources["memory"]["swap"].get<uint64_t>());
    EXPECT_EQ(limits.cpu_quota_us, resources["cpu"]["quota"].get<int64_t>());
    EXPECT_EQ(limits.cpu_period_us, resources["cpu"]["period"].get<uint64_t>());
    EXPECT_EQ(limits.cpu_shares, resources["cpu"]["shares"].get<uint64_t>());
    EXPECT_EQ(limits.pids, resources["pids"]["limit"].get<int64_t>());
    EXPECT_EQ(limits.io_weight, resources["blockIO"]["weight"].get<uint16_t>());
}

TEST(ZoneSpec, TmpfsDefaultsToMemoryAndZeroMeansNone)
{
    Json vm = joyent_vm();
    vm["tmpfs"] = 64;
    auto spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    auto const* tmp = find_mount(*spec, "/tmp");
    ASSERT_NE(tmp, nullptr);
    EXPECT_EQ(tmp->type, "tmpfs");
    EXPECT_NE(std::find(tmp->options.begin(), tmp->options.end(), "size=64m"), tmp->options.end());

    vm.erase("tmpfs");
    spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    tmp = find_mount(*spec, "/tmp");
    ASSERT_NE(tmp, nullptr);
    EXPECT_NE(std::find(tmp->options.begin(), tmp->options.end(), "size=256m"), tmp->options.end());

    vm["tmpfs"] = 0;
    spec = zone_spec(vm, host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(find_mount(*spec, "/tmp"), nullptr);
}

TEST(ZoneSpec, FilesystemsDelegatedDatasetAndResolvers)
{
    Json vm = joyent_vm();
    vm["filesystems"] = Json::array({
        { { "type", "lofs" }, { "source", "/srv/www" }, { "target", "/www" },
            { "options", { "ro", "nodevice" } } },
        { { "type", "tmpfs" }, { "source", "swap" }, { "target", "/scratch" },
            { "options", { "size=32m" } } },
    });
    vm["resolvers"] = { "10.0.0.53", "10.0.0.54" };
    ZoneHostPaths paths = host_paths();
    paths.delegated_dataset = "/zones/" + UUID + "/data";
    auto spec = zone_spec(vm, paths, merged_usr());
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    auto const* www = find_mount(*spec, "/www");
    ASSERT_NE(www, nullptr);
    EXPECT_EQ(*www, (MountSpec { "/www", "bind", "/srv/www", { "rbind", "ro", "nodev" } }));
    auto const* scratch = find_mount(*spec, "/scratch");
    ASSERT_NE(scratch, nullptr);
    EXPECT_EQ(scratch->type, "tmpfs");
    auto const* data = find_mount(*spec, "/zones/" + UUID + "/data");
    ASSERT_NE(data, nullptr);
    EXPECT_EQ(data->source, paths.delegated_dataset);
    EXPECT_EQ(spec->resolv_conf, "nameserver 10.0.0.53\nnameserver 10.0.0.54\n");
    // Without a host file for it, nothing is bound over the zone's /etc/resolv.conf.
    EXPECT_EQ(find_mount(*spec, "/etc/resolv.conf"), nullptr);
}

// resolv.conf is the host's file bound read-only over the zone's, so that a zone whose quota is
// full still boots with its resolvers.
TEST(ZoneSpec, ResolversAreTheHostsFileBoundReadOnly)
{
    Json vm = joyent_vm();
    vm["resolvers"] = { "10.0.0.53" };
    ZoneHostPaths paths = host_paths();
    paths.resolv_conf = "/var/run/lumos/zones/" + UUID + "/resolv.conf";
    auto spec = zone_spec(vm, paths, merged_usr());
    ASSERT_TRUE(spec.has_value()) << spec.error().message();
    EXPECT_EQ(spec->resolv_conf_source, paths.resolv_conf);
    auto const* resolv = find_mount(*spec, "/etc/resolv.conf");
    ASSERT_NE(resolv, nullptr);
    EXPECT_EQ(*resolv,
        (MountSpec { "/etc/resolv.conf", "bind", paths.resolv_conf,
            { "bind", "ro", "nosuid", "nodev", "noexec" } }));
    vm.erase("resolvers");
    spec = zone_spec(vm, paths, merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(find_mount(*spec, "/etc/resolv.conf"), nullptr);
}

TEST(ZoneSpec, BadFilesystemsAreRefused)
{
    for (Json const& filesystem : {
             Json { { "type", "lofs" }, { "source", "relative" }, { "target", "/x" } },
             Json { { "type", "lofs" }, { "source", "/a" }, { "target", "x" } },
             Json { { "type", "ufs" }, { "source", "/a" }, { "target", "/x" } },
             Json { { "type", "lofs" }, { "source", "/a" }, { "target", "/x" },
                 { "options", { "remount" } } },
         }) {
        Json vm = joyent_vm();
        vm["filesystems"] = Json::array({ filesystem });
        auto spec = zone_spec(vm, host_paths(), merged_usr());
        EXPECT_FALSE(spec.has_value()) << filesystem.dump();
    }
}

TEST(OciConfig, IsolationAndLimitsAsRuncReadsThem)
{
    Json vm = joyent_vm();
    vm["cpu_cap"] = 50;
    ZoneHostPaths paths = host_paths();
    paths.netns = "/run/netns/lumos-" + UUID;
    auto spec = zone_spec(vm, paths, merged_usr());
    ASSERT_TRUE(spec.has_value());
    Json config = oci_config(*spec);
    EXPECT_EQ(config["ociVersion"], "1.0.2");
    EXPECT_EQ(config["root"]["path"], "/zones/" + UUID + "/root");
    EXPECT_EQ(config["hostname"], UUID);
    EXPECT_EQ(config["process"]["args"], Json::array({ "/.lumos/zinit" }));

    std::vector<std::string> namespaces;
    for (auto const& ns : config["linux"]["namespaces"]) {
        namespaces.push_back(ns["type"]);
        if (ns["type"] == "network") {
            EXPECT_EQ(ns["path"], paths.netns);
        }
    }
    std::sort(namespaces.begin(), namespaces.end());
    EXPECT_EQ(namespaces,
        (std::vector<std::string> { "cgroup", "ipc", "mount", "network", "pid", "uts" }));

    auto const& caps = config["process"]["capabilities"]["bounding"];
    EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_SYS_ADMIN"), 0);
    EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_MKNOD"), 0);
    EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_SYS_MODULE"), 0);
    EXPECT_EQ(std::count(caps.begin(), caps.end(), "CAP_CHOWN"), 1);

    auto const& resources = config["linux"]["resources"];
    EXPECT_EQ(resources["memory"]["limit"], 256ULL << 20);
    EXPECT_EQ(resources["memory"]["swap"], 512ULL << 20);
    EXPECT_EQ(resources["cpu"]["quota"], 50000);
    EXPECT_EQ(resources["cpu"]["period"], 100000);
    EXPECT_EQ(resources["pids"]["limit"], 2000);
    EXPECT_EQ(resources["devices"][0]["allow"], false);
    EXPECT_EQ(config["linux"]["cgroupsPath"], "/lumos/" + UUID);

    auto const& denied = config["linux"]["seccomp"]["syscalls"][0]["names"];
    for (char const* name : { "init_module", "kexec_load", "bpf", "keyctl", "io_uring_setup",
             "io_uring_enter", "io_uring_register" }) {
        EXPECT_EQ(std::count(denied.begin(), denied.end(), name), 1) << name;
    }
    bool memlock = false;
    for (auto const& rlimit : config["process"]["rlimits"]) {
        if (rlimit["type"] == "RLIMIT_MEMLOCK") {
            memlock = true;
            EXPECT_EQ(rlimit["hard"], 256ULL << 20);
        }
    }
    EXPECT_TRUE(memlock);
    auto const& masked = config["linux"]["maskedPaths"];
    EXPECT_EQ(std::count(masked.begin(), masked.end(), "/proc/kcore"), 1);

    // The runtime's own mounts come first, then the zone's, in order.
    auto const& mounts = config["mounts"];
    ASSERT_GE(mounts.size(), 7U + spec->mounts.size());
    EXPECT_EQ(mounts[0]["destination"], "/proc");
    EXPECT_EQ(mounts[7]["destination"], spec->mounts[0].destination);
}

// The seccomp rules for one syscall name (beyond the first, common, denylist).
std::vector<Json> rules_for(Json const& config, std::string const& name)
{
    std::vector<Json> found;
    auto const& syscalls = config["linux"]["seccomp"]["syscalls"];
    for (size_t i = 1; i < syscalls.size(); ++i) {
        auto const& names = syscalls[i]["names"];
        if (names.is_array() && std::count(names.begin(), names.end(), name) == 1) {
            found.push_back(syscalls[i]);
        }
    }
    return found;
}

TEST(OciConfig, UserNamespacesAreRefusedAsDockersProfileDoes)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_FALSE(spec->allow_nesting);
    Json config = oci_config(*spec);
    Json const newuser = Json::array({ { { "index", 0 }, { "value", 0x10000000 },
        { "valueTwo", 0x10000000 }, { "op", "SCMP_CMP_MASKED_EQ" } } });
    for (char const* name : { "clone", "unshare" }) {
        auto rules = rules_for(config, name);
        ASSERT_EQ(rules.size(), 1U) << name;
        EXPECT_EQ(rules[0]["action"], "SCMP_ACT_ERRNO");
        EXPECT_EQ(rules[0]["errnoRet"], 1);
        EXPECT_EQ(rules[0]["args"], newuser) << name;
    }
    auto setns = rules_for(config, "setns");
    ASSERT_EQ(setns.size(), 1U);
    EXPECT_FALSE(setns[0].contains("args"));
    EXPECT_EQ(setns[0]["errnoRet"], 1);
    auto clone3 = rules_for(config, "clone3");
    ASSERT_EQ(clone3.size(), 1U);
    EXPECT_EQ(clone3[0]["errnoRet"], 38); // ENOSYS: libc falls back to clone

    // Nesting (not a property yet) lifts exactly these rules; io_uring stays refused.
    spec->allow_nesting = true;
    Json nesting = oci_config(*spec);
    for (char const* name : { "clone", "unshare", "setns", "clone3" }) {
        EXPECT_TRUE(rules_for(nesting, name).empty()) << name;
    }
    auto const& denied = nesting["linux"]["seccomp"]["syscalls"][0]["names"];
    EXPECT_EQ(std::count(denied.begin(), denied.end(), "io_uring_setup"), 1);
    EXPECT_EQ(std::count(denied.begin(), denied.end(), "setns"), 0);
}

// lx zones with a listener hand uname(2) to it (the monitor answers as SmartOS's lx brand);
// other brands, and lx zones without one (a kernel without seccomp user notification), keep the
// kernel's uname and name no listener.
TEST(OciConfig, LxZonesSendUnameToTheirListener)
{
    ZoneHostPaths paths = host_paths();
    paths.seccomp_listener = "/run/lumos/zones/" + UUID + "/seccomp.sock";
    Json lx = joyent_vm();
    lx["brand"] = "lx";
    lx["kernel_version"] = "4.3.0";
    auto spec = zone_spec(lx, paths, merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_EQ(spec->seccomp_listener, paths.seccomp_listener);
    Json const config = oci_config(*spec);
    EXPECT_EQ(config["linux"]["seccomp"]["listenerPath"], paths.seccomp_listener);
    auto rules = rules_for(config, "uname");
    ASSERT_EQ(rules.size(), 1U);
    EXPECT_EQ(rules[0]["action"], "SCMP_ACT_NOTIFY");
    EXPECT_FALSE(rules[0].contains("args"));

    auto joyent = zone_spec(joyent_vm(), paths, merged_usr());
    ASSERT_TRUE(joyent.has_value());
    EXPECT_EQ(joyent->seccomp_listener, "");
    Json const joyent_config = oci_config(*joyent);
    EXPECT_FALSE(joyent_config["linux"]["seccomp"].contains("listenerPath"));
    EXPECT_TRUE(rules_for(joyent_config, "uname").empty());

    auto plain_lx = zone_spec(lx, host_paths(), merged_usr());
    ASSERT_TRUE(plain_lx.has_value());
    Json const plain_config = oci_config(*plain_lx);
    EXPECT_FALSE(plain_config["linux"]["seccomp"].contains("listenerPath"));
    EXPECT_TRUE(rules_for(plain_config, "uname").empty());
}

TEST(OciConfig, CapabilitiesAreDockersDefaultWithoutMknodWithSysBoot)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    Json config = oci_config(*spec);
    std::vector<std::string> caps = config["process"]["capabilities"]["bounding"];
    std::sort(caps.begin(), caps.end());
    // Each has its reason in ARCHITECTURE.md; Docker's default set minus CAP_MKNOD plus
    // CAP_SYS_BOOT.
    EXPECT_EQ(caps,
        (std::vector<std::string> { "CAP_AUDIT_WRITE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
            "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
            "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_BOOT",
            "CAP_SYS_CHROOT" }));
    EXPECT_EQ(config["process"]["capabilities"]["effective"],
        config["process"]["capabilities"]["bounding"]);
    EXPECT_EQ(config["process"]["capabilities"]["permitted"],
        config["process"]["capabilities"]["bounding"]);
}

TEST(OciConfig, CgroupFilesystemIsReadOnly)
{
    auto spec = zone_spec(joyent_vm(), host_paths(), merged_usr());
    ASSERT_TRUE(spec.has_value());
    Json config = oci_config(*spec);
    int found = 0;
    for (auto const& mount : config["mounts"]) {
        if (mount["destination"] == "/sys/fs/cgroup" || mount["destination"] == "/sys") {
            ++found;
            auto const& options = mount["options"];
            EXPECT_EQ(std::count(options.begin(), options.end(), "ro"), 1) << mount.dump();
        }
    }
    EXPECT_EQ(found, 2);
    // runc leaves cgroup v1's tmpfs writable under the "ro" controllers: remounted read-only.
    auto const& readonly = config["linux"]["readonlyPaths"];
    EXPECT_EQ(std::count(readonly.begin(), readonly.end(), "/sys/fs/cgroup"), 1);
}

// The metadata socket's directory is read-only in the zone (a guest cannot replace the socket),
// and the static clients are where each brand's users look for them.
TEST(ZoneSpec, MetadataSocketDirectoryIsReadOnlyAndTheClientsAreInPlace)
{
    ZoneHostPaths paths = host_paths();
    paths.mdata_clients = { "/usr/lib/lumos/mdata-get", "/usr/lib/lumos/mdata-put" };
    paths.mdata_execute = "/usr/lib/lumos/mdata-execute";
    auto spec = zone_spec(joyent_vm(), paths, merged_usr());
    ASSERT_TRUE(spec.has_value());
    auto const* control = find_mount(*spec, "/.zonecontrol");
    ASSERT_NE(control, nullptr);
    EXPECT_NE(
        std::find(control->options.begin(), control->options.end(), "ro"), control->options.end());
    EXPECT_EQ(find_mount(*spec, "/native/.zonecontrol"), nullptr);
    auto const* get = find_mount(*spec, "/.lumos/bin/mdata-get");
    ASSERT_NE(get, nullptr);
    EXPECT_EQ(get->source, "/usr/lib/lumos/mdata-get");
    EXPECT_TRUE(spec->env[0].ends_with(":/.lumos/bin")) << spec->env[0];
    EXPECT_NE(find_mount(*spec, "/.lumos/bin/mdata-execute"), nullptr);

    Json vm = joyent_vm();
    vm["brand"] = "lx";
    spec = zone_spec(vm, paths, merged_usr());
    ASSERT_TRUE(spec.has_value());
    EXPECT_NE(find_mount(*spec, "/.zonecontrol"), nullptr);
    EXPECT_NE(find_mount(*spec, "/native/.zonecontrol"), nullptr);
    EXPECT_NE(find_mount(*spec, "/native/usr/sbin/mdata-put"), nullptr);
    EXPECT_EQ(find_mount(*spec, "/.lumos/bin/mdata-execute"), nullptr); // lx images carry it
}

} // namespace
} // namespace lumos::runtime
