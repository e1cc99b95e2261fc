// SPDX-License-Identifier: MPL-2.0
// The host probe over fake kernel trees (cgroup v1 without any io weight file, v1 with BFQ, v2,
// hybrid; proc's cpuinfo, status, filesystems, boot_id; a /dev/kvm that is no KVM), its JSON,
// and its per-boot cache. Plus what it says of this host.
#include "base/file.hpp"
#include "sys/host_probe.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace lumos::sys {
namespace {

namespace fs = std::filesystem;

class HostProbeTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char dir[] = "/tmp/lumos-probe-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        m_dir = dir;
        for (char const* sub : { "cgroup", "proc", "sys", "dev", "bin", "root" }) {
            fs::create_directories(m_dir + "/" + sub);
        }
        m_roots.cgroup = m_dir + "/cgroup";
        m_roots.proc = m_dir + "/proc";
        m_roots.sys = m_dir + "/sys";
        m_roots.dev = m_dir + "/dev";
        m_roots.path_env = m_dir + "/bin";
        put("proc/sys/kernel/random/boot_id", "11111111-2222-3333-4444-555555555555\n");
        put("proc/filesystems", "nodev\tsysfs\nnodev\tproc\n\text4\n\tbtrfs\n");
        put("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme sse2 vmx ept\n\n");
        put("proc/self/status", "Name:\tvmadm\nCapEff:\t000001fffeffffff\n");
    }
    void TearDown() override
    {
        std::error_code ignored;
        fs::remove_all(m_dir, ignored);
    }

    void put(std::string const& relative, std::string const& content = "")
    {
        fs::path const path = m_dir + "/" + relative;
        fs::create_directories(path.parent_path());
        // Plain writes: fsync of every fake kernel file made each test take 400 ms.
        std::ofstream(path) << content;
    }
    void program(std::string const& name, std::string const& script)
    {
        put("bin/" + name, "#!/bin/sh\n" + script + "\n");
        ::chmod((m_dir + "/bin/" + name).c_str(), 0755);
    }
    // A v1 hierarchy per controller; files in the zones' parent (/lumos) as the kernel has them.
    void v1(std::vector<std::string> const& blkio_files, bool memsw)
    {
        for (char const* controller : { "memory", "cpu", "cpuacct", "pids", "blkio" }) {
            put("cgroup/" + std::string(controller) + "/cgroup.procs");
            put("cgroup/" + std::string(controller) + "/lumos/cgroup.procs");
        }
        put("cgroup/memory/lumos/memory.limit_in_bytes", "9223372036854771712\n");
        if (memsw) {
            put("cgroup/memory/lumos/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        }
        put("cgroup/cpu/lumos/cpu.shares", "1024\n");
        put("cgroup/blkio/lumos/blkio.throttle.io_service_bytes", "Total 0\n");
        for (auto const& file : blkio_files) {
            put("cgroup/blkio/lumos/" + file, "100\n");
        }
    }
    HostFeatures probe()
    {
        auto features = probe_host(m_roots);
        EXPECT_TRUE(features.has_value());
        return features ? *features : HostFeatures {};
    }

    std::string m_dir;
    ProbeRoots m_roots;
};

TEST_F(HostProbeTest, V1WithoutAnyIoWeightFileHasNone)
{
    v1({}, true);
    auto const features = probe();
    EXPECT_EQ(features.cgroup.layout, "v1");
    EXPECT_EQ(features.cgroup.io_weight_file, "");
    EXPECT_EQ(features.cgroup.io_weight_reason,
        "the kernel has no io weight file (blkio.bfq.weight, blkio.weight) for /lumos");
    ASSERT_NE(features.cgroup.controller("blkio"), nullptr);
    EXPECT_TRUE(features.cgroup.controller("blkio")->has("blkio.throttle.io_service_bytes"));
    EXPECT_FALSE(features.cgroup.controller("blkio")->has("blkio.weight"));
}

TEST_F(HostProbeTest, V1WithBfqHasBlkioBfqWeight)
{
    v1({ "blkio.bfq.weight" }, true);
    auto const features = probe();
    EXPECT_EQ(features.cgroup.layout, "v1");
    EXPECT_EQ(features.cgroup.io_weight_file, "blkio.bfq.weight");
    EXPECT_EQ(features.cgroup.io_weight_reason, "");
    EXPECT_TRUE(features.cgroup.memsw);
    EXPECT_TRUE(features.cgroup.swap_accounting);
}

TEST_F(HostProbeTest, V1WithoutSwapAccountingSaysSo)
{
    v1({ "blkio.weight" }, false);
    auto const features = probe();
    EXPECT_EQ(features.cgroup.io_weight_file, "blkio.weight");
    EXPECT_FALSE(features.cgroup.memsw);
    EXPECT_FALSE(features.cgroup.swap_accounting);
    EXPECT_EQ(features.cgroup.swap_reason,
        "the kernel does not account swap (no memory.memsw.limit_in_bytes for /lumos; boot with "
        "swapaccount=1)");
}

TEST_F(HostProbeTest, AParentMadeOnlyToLookIsRemoved)
{
    v1({}, true);
    fs::remove_all(m_dir + "/cgroup/blkio/lumos");
    m_roots.cgroup_parent = "/elsewhere";
    auto const features = probe();
    EXPECT_EQ(features.cgroup.io_weight_file, "");
    EXPECT_FALSE(fs::exists(m_dir + "/cgroup/blkio/elsewhere"));
    EXPECT_FALSE(fs::exists(m_dir + "/cgroup/memory/elsewhere"));
}

TEST_F(HostProbeTest, V2WithIoWeight)
{
    put("cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
    put("cgroup/lumos/cgroup.procs");
    for (char const* file : { "memory.max", "memory.swap.max", "cpu.max", "cpu.weight", "pids.max",
             "io.weight", "io.stat" }) {
        put("cgroup/lumos/" + std::string(file), "max\n");
    }
    auto const features = probe();
    EXPECT_EQ(features.cgroup.layout, "v2");
    EXPECT_EQ(features.cgroup.io_weight_file, "io.weight");
    EXPECT_FALSE(features.cgroup.memsw);
    EXPECT_TRUE(features.cgroup.swap_accounting);
    ASSERT_NE(features.cgroup.controller("io"), nullptr);
    EXPECT_EQ(features.cgroup.controller("io")->dir, m_roots.cgroup);
    EXPECT_EQ(features.cgroup.controller("blkio"), nullptr);
    ASSERT_NE(features.cgroup.controller("memory"), nullptr);
    EXPECT_TRUE(features.cgroup.controller("memory")->has("memory.swap.max"));
    EXPECT_FALSE(features.cgroup.controller("memory")->has("io.weight"));
}

TEST_F(HostProbeTest, HybridWithControllersInTheUnifiedHierarchy)
{
    v1({}, true);
    put("cgroup/unified/cgroup.controllers", "hugetlb\n");
    program("runc", "echo 'runc version 1.1.5'");
    program("crun", "echo 'crun version 1.8.1'");
    auto const features = probe();
    EXPECT_EQ(features.cgroup.layout, "hybrid");
    EXPECT_TRUE(features.cgroup.unified_has_controllers);
    ASSERT_EQ(features.oci_runtimes.size(), 2U);
    EXPECT_EQ(features.oci_runtimes[0].name, "crun");
    EXPECT_FALSE(features.oci_runtimes[0].works);
    EXPECT_EQ(features.oci_runtimes[0].reason,
        "crun refuses a hybrid cgroup layout whose unified hierarchy holds controllers");
    EXPECT_TRUE(features.oci_runtimes[1].works);
    EXPECT_EQ(features.oci_runtimes[1].version, "runc version 1.1.5");
    ASSERT_NE(features.oci_runtime(), nullptr);
    EXPECT_EQ(features.oci_runtime()->name, "runc");
}

TEST_F(HostProbeTest, CrunIsPreferredWhenItWorksAndABrokenRuntimeDoesNot)
{
    v1({}, true);
    put("cgroup/unified/cgroup.controllers", "\n");
    program("crun", "echo 'crun version 1.8.1'");
    program("runc", "exit 1");
    auto const features = probe();
    EXPECT_EQ(features.cgroup.layout, "hybrid");
    EXPECT_FALSE(features.oci_runtimes[1].works);
    EXPECT_EQ(features.oci_runtimes[1].reason, m_dir + "/bin/runc --version failed");
    ASSERT_NE(features.oci_runtime(), nullptr);
    EXPECT_EQ(features.oci_runtime()->name, "crun");
}

TEST_F(HostProbeTest, NoRuntimeNoToolsNoCgroups)
{
    put("sys/module/bridge/parameters/x");
    put("proc/net/psched", "000003e8 00000040 000f4240 3b9aca00\n");
    auto const features = probe();
    EXPECT_TRUE(features.bridge.kernel);
    EXPECT_FALSE(features.veth.kernel);
    EXPECT_TRUE(features.tc.kernel);
    EXPECT_FALSE(features.nftables.kernel);
    EXPECT_EQ(features.cgroup.layout, "none");
    EXPECT_EQ(features.oci_runtime(), nullptr);
    EXPECT_EQ(features.oci_runtimes[1].reason, "runc is not installed (not in PATH)");
    EXPECT_FALSE(features.bridge.usable);
    EXPECT_EQ(features.bridge.reason, "ip is not installed (not in PATH)");
    EXPECT_EQ(features.nftables.reason, "nft is not installed (not in PATH)");
    EXPECT_EQ(features.tc.reason, "tc is not installed (not in PATH)");
    EXPECT_EQ(features.cgroup.io_weight_reason, "the host has no blkio cgroup controller");
}

TEST_F(HostProbeTest, ProcFacts)
{
    program("btrfs", "exit 0");
    auto features = probe();
    EXPECT_EQ(features.boot_id, "11111111-2222-3333-4444-555555555555");
    EXPECT_FALSE(features.cap_sys_resource);
    EXPECT_TRUE(features.btrfs.kernel);
    EXPECT_TRUE(features.btrfs.available());
    EXPECT_FALSE(features.zfs.kernel);
    EXPECT_FALSE(features.zfs.available());
    EXPECT_EQ(features.kvm.cpu_flag, "vmx");

    put("proc/self/status", "Name:\tvmadm\nCapEff:\t000001ffffffffff\n");
    put("proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme sse2\n\n");
    features = probe();
    EXPECT_TRUE(features.cap_sys_resource);
    EXPECT_EQ(features.kvm.cpu_flag, "");
}

TEST_F(HostProbeTest, KvmWithoutADeviceSaysWhy)
{
    auto const features = probe();
    EXPECT_FALSE(features.kvm.usable);
    EXPECT_EQ(features.kvm.reason, "cannot open " + m_dir + "/dev/kvm: No such file or directory");
}

TEST_F(HostProbeTest, KvmDeviceThatIsNoKvmSaysWhy)
{
    put("dev/kvm");
    auto const features = probe();
    EXPECT_FALSE(features.kvm.usable);
    EXPECT_EQ(features.kvm.reason,
        "KVM_GET_API_VERSION on " + m_dir + "/dev/kvm failed: Inappropriate ioctl for device");
}

TEST_F(HostProbeTest, JsonRoundTrip)
{
    v1({ "blkio.bfq.weight" }, true);
    put("cgroup/unified/cgroup.controllers", "hugetlb\n");
    program("runc", "echo 'runc version 1.1.5'");
    auto const features = probe();
    Json const json = host_features_json(features);
    EXPECT_EQ(json["cgroup"]["io_weight_file"], "blkio.bfq.weight");
    EXPECT_EQ(json["oci_runtime"], "runc");
    EXPECT_EQ(json["kvm"]["usable"], false);
    auto const back = host_features_from_json(json);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(host_features_json(*back), json);

    Json broken = json;
    broken["cgroup"]["memsw"] = "yes";
    EXPECT_FALSE(host_features_from_json(broken).has_value());
    EXPECT_FALSE(host_features_from_json(Json::array()).has_value());
}

class HostFeaturesCacheTest : public HostProbeTest {
protected:
    void SetUp() override
    {
        HostProbeTest::SetUp();
        v1({}, true);
    }
    Paths paths() const { return Paths(m_dir + "/root"); }
    std::string cache() const { return m_dir + "/root/run/lumos/host-features.json"; }
    std::string cached_weight(bool refresh = false)
    {
        auto features = host_features(paths(), m_roots, refresh);
        EXPECT_TRUE(features.has_value());
        return features ? features->cgroup.io_weight_file : "error";
    }
};

TEST_F(HostFeaturesCacheTest, ReusedWithinOneBoot)
{
    EXPECT_EQ(cached_weight(), "");
    EXPECT_TRUE(fs::exists(cache()));
    // The kernel's files change, the cache does not: the same boot reuses it.
    put("cgroup/blkio/lumos/blkio.bfq.weight", "100\n");
    EXPECT_EQ(cached_weight(), "");
    // refresh (sysinfo -u) probes again.
    EXPECT_EQ(cached_weight(true), "blkio.bfq.weight");
    EXPECT_EQ(cached_weight(), "blkio.bfq.weight");
}

TEST_F(HostFeaturesCacheTest, AnotherBootProbesAgain)
{
    EXPECT_EQ(cached_weight(), "");
    put("cgroup/blkio/lumos/blkio.bfq.weight", "100\n");
    put("proc/sys/kernel/random/boot_id", "99999999-2222-3333-4444-555555555555\n");
    EXPECT_EQ(cached_weight(), "blkio.bfq.weight");
    auto text = read_file(cache());
    ASSERT_TRUE(text.has_value());
    EXPECT_NE(text->find("99999999-2222-3333-4444-555555555555"), std::string::npos);
}

TEST_F(HostFeaturesCacheTest, CorruptOrForeignCacheIsProbedAgain)
{
    EXPECT_EQ(cached_weight(), "");
    put("cgroup/blkio/lumos/blkio.bfq.weight", "100\n");
    put("root/run/lumos/host-features.json", "{\"boot_id\": ");
    EXPECT_EQ(cached_weight(), "blkio.bfq.weight");

    fs::remove(m_dir + "/cgroup/blkio/lumos/blkio.bfq.weight");
    auto text = read_file(cache());
    ASSERT_TRUE(text.has_value());
    auto json = parse_json(*text);
    ASSERT_TRUE(json.has_value());
    (*json)["build"] = "0.0.0+another";
    put("root/run/lumos/host-features.json", dump_pretty(*json));
    EXPECT_EQ(cached_weight(), "");

    put("root/run/lumos/host-features.json", "[1, 2]");
    EXPECT_EQ(cached_weight(), "");
}

TEST_F(HostFeaturesCacheTest, AnotherCgroupParentProbesAgain)
{
    EXPECT_EQ(cached_weight(), "");
    put("cgroup/blkio/other/blkio.weight", "100\n");
    m_roots.cgroup_parent = "/other";
    EXPECT_EQ(cached_weight(), "blkio.weight");
}

TEST(HostProbe, ConfiguredCgroupParent)
{
    char dir[] = "/tmp/lumos-probe-config-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    Paths const paths { dir };
    EXPECT_EQ(configured_cgroup_parent(paths), "/lumos");
    ASSERT_TRUE(make_directories(paths.etc_dir()).has_value());
    ASSERT_TRUE(write_file_atomic(paths.etc_dir() + "/config", "admin_nic=x\ncgroup_parent=/t1\n")
                    .has_value());
    EXPECT_EQ(configured_cgroup_parent(paths), "/t1");
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

// This machine has no /dev/kvm: the probe must say so, with a reason.
TEST(HostProbe, ThisHost)
{
    ProbeRoots const roots;
    auto features = probe_host(roots);
    ASSERT_TRUE(features.has_value()) << features.error().message();
    EXPECT_FALSE(features->boot_id.empty());
    EXPECT_NE(features->cgroup.layout, "");
    if (!fs::exists("/dev/kvm")) {
        EXPECT_FALSE(features->kvm.usable);
        EXPECT_EQ(features->kvm.reason, "cannot open /dev/kvm: No such file or directory");
    }
    std::cout << dump_pretty(host_features_json(*features)) << "\n";
}

} // namespace
} // namespace lumos::sys
