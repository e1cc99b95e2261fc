// SPDX-License-Identifier: MPL-2.0
// The OCI config of src/runtime/zone_spec.hpp run for real by runc, as root, over a busybox root
// filesystem: the zone starts, sees its own hostname and pid namespace, has its limits in its
// cgroup, cannot load modules or mount, make user namespaces or use io_uring, write its cgroup
// filesystem or use a capability beyond its set, and leaves no cgroup behind. Joyent-brand
// zones get the host's /usr read-only (a sparse root), so host binaries such as unshare run.
#include "runtime/zone_bundle_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

std::string const UUID = "3b0c6a52-9f1e-4c1a-8d0e-5a7b9c2d4e6f";

class RuncTest : public ZoneBundleTest {
protected:
    RuncTest()
        : ZoneBundleTest(UUID, "lumos-test-" + UUID)
    {
    }

    void SetUp() override
    {
        ZoneBundleTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        fs::path root = m_zonepath / "root";
        for (char const* dir : { "bin", "proc", "dev", "sys", "tmp", "etc" }) {
            fs::create_directories(root / dir);
        }
        fs::copy_file("/bin/busybox", root / "bin/busybox");
        fs::create_directories(root / ".probe");
        fs::copy_file(LUMOS_ZONE_SYSCALLS_BIN, root / ".probe/zone-syscalls");
        for (char const* applet :
            { "sh", "cat", "hostname", "echo", "mount", "mknod", "head", "grep", "mkdir" }) {
            fs::create_symlink("busybox", root / "bin" / applet);
        }
    }

    // runc run of a zone whose PID 1 is `/bin/sh -c script`.
    test::RunResult run_zone(Json vm, std::string const& script, bool nesting = false)
    {
        // joyent brands bind zinit (the tests run /bin/sh instead)
        auto spec = zone_spec(vm, host_paths(), probed_layout(m_cgroup_parent));
        EXPECT_TRUE(spec.has_value()) << spec.error().message();
        spec->args = { "/bin/sh", "-c", script };
        spec->allow_nesting = nesting;
        if (spec->brand != "lx") {
            fs::remove_all(m_zonepath / "root/bin"); // a sparse root's /bin is the host's
        }
        EXPECT_TRUE(write_bundle(*spec));
        return run_bundle();
    }

    Json vm() const
    {
        return Json { { "uuid", UUID }, { "brand", "lx" }, { "hostname", "zone01" },
            { "max_physical_memory", 128 }, { "max_lwps", 100 }, { "tmpfs", 16 } };
    }
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
    if (auto ceiling = probed_layout().memlock_ceiling) {
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

// The probes of tests/helpers/zone_syscalls.cpp and what a zone must get from each.
std::string const PROBES
    = "unshare-user clone-user clone3 setns-user io_uring_setup io_uring_enter "
      "io_uring_register clone-plain";
std::string const REFUSED = "unshare-user EPERM\nclone-user EPERM\nclone3 ENOSYS\nsetns-user "
                            "EPERM\nio_uring_setup EPERM\nio_uring_enter EPERM\n"
                            "io_uring_register EPERM\nclone-plain ok\n";

TEST_F(RuncTest, UserNamespacesAndIoUringAreRefusedInTheZone)
{
    // On the host (root, no filter) the same probes succeed, or the zone's refusals prove
    // nothing: io_uring_enter and _register on fd -1 say EBADF once they are let through.
    auto host = test::run({ LUMOS_ZONE_SYSCALLS_BIN, "unshare-user", "clone-user", "clone3",
        "io_uring_setup", "io_uring_enter" });
    ASSERT_EQ(host.exit_code, 0) << host.describe();
    if (host.out
        != "unshare-user ok\nclone-user ok\nclone3 ok\nio_uring_setup ok\nio_uring_enter "
           "EBADF\n") {
        GTEST_SKIP() << "this host itself refuses user namespaces or io_uring:\n" << host.out;
    }

    auto result = run_zone(vm(), "/.probe/zone-syscalls " + PROBES);
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, REFUSED);

    Json joyent = vm();
    joyent["brand"] = "joyent";
    result = run_zone(joyent,
        "/.probe/zone-syscalls " + PROBES
            + "; /usr/bin/unshare -U /bin/sh -c 'echo in a user namespace' || echo refused");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, REFUSED + "refused\n");
    EXPECT_NE(result.err.find("Operation not permitted"), std::string::npos) << result.err;
}

TEST_F(RuncTest, NestingLiftsTheUserNamespaceRules)
{
    Json joyent = vm();
    joyent["brand"] = "joyent";
    auto result = run_zone(joyent,
        "/.probe/zone-syscalls unshare-user clone-user clone3 io_uring_setup; "
        "/usr/bin/unshare -U /bin/sh -c 'echo in a user namespace' || echo refused",
        true);
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "unshare-user ok\nclone-user ok\nclone3 ok\nio_uring_setup EPERM\nin a user "
        "namespace\n");
}

TEST_F(RuncTest, CgroupFilesystemIsReadOnlyInTheZone)
{
    // Every write a zone's root could try on its cgroups, v1 (a tmpfs of per-controller
    // mounts) or v2: each must fail, and the limits stay the host's.
    auto result = run_zone(vm(),
        "for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max "
        "/sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max "
        "/sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/cgroup.procs "
        "/sys/fs/cgroup/cgroup.subtree_control; do "
        "[ -e $f ] && echo seen && echo 1000000 > $f 2>/dev/null && echo wrote $f; done; "
        "for d in /sys/fs/cgroup/x /sys/fs/cgroup/pids/x /sys/fs/cgroup/memory/x; do "
        "mkdir $d 2>/dev/null && echo made $d; done; "
        "cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null; true");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out.find("wrote"), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("made"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("seen\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("\n100\n"), std::string::npos) << result.out;
}

TEST_F(RuncTest, OnlyTheZonesCapabilitiesAreEffective)
{
    auto result = run_zone(vm(), "grep -E '^Cap(Eff|Prm|Bnd):' /proc/self/status");
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    // linux/capability.h numbers of the set in zone_spec.cpp (CAPABILITIES).
    uint64_t expected = 0;
    for (int bit : { 0 /* CHOWN */, 1 /* DAC_OVERRIDE */, 3 /* FOWNER */, 4 /* FSETID */,
             5 /* KILL */, 6 /* SETGID */, 7 /* SETUID */, 8 /* SETPCAP */,
             10 /* NET_BIND_SERVICE */, 13 /* NET_RAW */, 18 /* SYS_CHROOT */, 22 /* SYS_BOOT */,
             29 /* AUDIT_WRITE */, 31 /* SETFCAP */ }) {
        expected |= uint64_t { 1 } << bit;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(expected));
    EXPECT_EQ(result.out,
        "CapPrm:\t" + std::string(hex) + "\nCapEff:\t" + hex + "\nCapBnd:\t" + hex + "\n");
    // Among those gone: what Docker also drops, and CAP_MKNOD, which Docker keeps.
    auto const at = result.out.find("CapEff:\t");
    ASSERT_NE(at, std::string::npos);
    uint64_t const effective = std::stoull(result.out.substr(at + 8, 16), nullptr, 16);
    for (int bit :
        { 2 /* DAC_READ_SEARCH */, 12 /* NET_ADMIN */, 16 /* SYS_MODULE */, 17 /* SYS_RAWIO */,
            19 /* SYS_PTRACE */, 21 /* SYS_ADMIN */, 24 /* SYS_RESOURCE */, 27 /* MKNOD */ }) {
        EXPECT_EQ(effective & (uint64_t { 1 } << bit), 0U) << bit;
    }
}

TEST_F(RuncTest, InitExitStatusComesBack)
{
    auto result = run_zone(vm(), "exit 13");
    EXPECT_EQ(result.exit_code, 13) << result.describe();
}

} // namespace
} // namespace lumos::runtime
