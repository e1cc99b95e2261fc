// SPDX-License-Identifier: MPL-2.0
// The OCI config of src/runtime/zone_spec.hpp run for real by runc, as root, over a busybox root
// filesystem: the zone starts, sees its own hostname and pid namespace, has its limits in its
// cgroup, cannot load modules or mount, and leaves no cgroup behind.
#include "runtime/zone_spec.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

std::string const UUID = "3b0c6a52-9f1e-4c1a-8d0e-5a7b9c2d4e6f";

class RuncTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "running a zone needs root";
        }
        m_zonepath = m_dir.path() / UUID;
        fs::path root = m_zonepath / "root";
        for (char const* dir : { "bin", "proc", "dev", "sys", "tmp", "etc" }) {
            fs::create_directories(root / dir);
        }
        fs::create_directories(m_zonepath / ".zonecontrol");
        fs::copy_file("/bin/busybox", root / "bin/busybox");
        for (char const* applet :
            { "sh", "cat", "hostname", "echo", "mount", "mknod", "head", "grep" }) {
            fs::create_symlink("busybox", root / "bin" / applet);
        }
        m_bundle = m_dir.path() / "bundle";
        fs::create_directories(m_bundle);
        m_cgroup_parent = "/lumos-test-" + std::to_string(::getpid());
    }
    void TearDown() override
    {
        if (::geteuid() != 0) {
            return;
        }
        // A zone a failed test left running: its processes and its runc state go first.
        (void)test::run({ "/usr/sbin/runc", "--root", (m_dir.path() / "runc").string(), "delete",
            "--force", "lumos-test-" + UUID });
        // runc run removes the zone's own cgroups; the parent is this test's to remove.
        for (auto const& controller : fs::directory_iterator("/sys/fs/cgroup")) {
            std::error_code ignored;
            fs::remove(controller.path() / m_cgroup_parent.substr(1), ignored);
        }
    }

    // runc run of a zone whose PID 1 is `/bin/sh -c script`.
    test::RunResult run_zone(Json vm, std::string const& script)
    {
        ZoneHostPaths paths;
        paths.zonepath = m_zonepath.string();
        paths.cgroup_parent = m_cgroup_parent;
        HostLayout host;
        auto const probed = probe_host_layout(m_cgroup_parent);
        host.memlock_ceiling = probed.memlock_ceiling;
        host.io_weight = probed.io_weight;
        auto spec = zone_spec(vm, paths, host);
        EXPECT_TRUE(spec.has_value()) << spec.error().message();
        spec->args = { "/bin/sh", "-c", script };
        std::ofstream(m_bundle / "config.json") << oci_config(*spec).dump(2);
        test::RunOptions options;
        options.timeout = std::chrono::milliseconds(30000);
        return test::run({ "/usr/sbin/runc", "--root", (m_dir.path() / "runc").string(), "run",
                             "--bundle", m_bundle.string(), "lumos-test-" + UUID },
            options);
    }

    Json vm() const
    {
        return Json { { "uuid", UUID }, { "brand", "lx" }, { "hostname", "zone01" },
            { "max_physical_memory", 128 }, { "max_lwps", 100 }, { "tmpfs", 16 } };
    }

    test::TempRoot m_dir;
    fs::path m_zonepath;
    fs::path m_bundle;
    std::string m_cgroup_parent;
};

TEST_F(RuncTest, ZoneRunsWithItsHostnamePidNamespaceAndLimits)
{
    auto result = run_zone(vm(),
        "hostname; echo pid=$$; cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
        "/sys/fs/cgroup/pids/pids.max");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "zone01\npid=1\n" + std::to_string(128ULL << 20) + "\n100\n");
}

TEST_F(RuncTest, EveryResourceControlIsAccepted)
{
    Json full = vm();
    full["max_swap"] = 256;
    full["max_locked_memory"] = 64;
    full["cpu_cap"] = 50;
    full["cpu_shares"] = 200;
    full["zfs_io_priority"] = 100;
    auto result = run_zone(full,
        "cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
        "/sys/fs/cgroup/cpu/cpu.shares; ulimit -l");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    // ulimit -l is in KiB; a host without CAP_SYS_RESOURCE caps it at its own hard limit.
    uint64_t locked = 64ULL << 20;
    if (auto ceiling = probe_host_layout().memlock_ceiling) {
        locked = std::min(locked, *ceiling);
    }
    EXPECT_EQ(result.out,
        std::to_string(256ULL << 20) + "\n50000\n2048\n" + std::to_string(locked / 1024) + "\n");
}

TEST_F(RuncTest, RootInTheZoneCannotMountOrReachTheHost)
{
    auto result = run_zone(vm(),
        "mount -t tmpfs none /tmp 2>/dev/null && echo mounted; "
        "mount -o remount,rw /sys 2>/dev/null && echo remounted; "
        "cat /proc/kcore 2>/dev/null | head -c1 | grep -q . && echo kcore; "
        "[ -e /dev/sda ] && echo sda; mknod /dev/disk b 8 0 2>/dev/null && echo mknod; "
        "echo done");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "done\n");
}

TEST_F(RuncTest, InitExitStatusComesBack)
{
    auto result = run_zone(vm(), "exit 13");
    EXPECT_EQ(result.exit_code, 13) << result.describe();
}

} // namespace
} // namespace lumos::runtime
