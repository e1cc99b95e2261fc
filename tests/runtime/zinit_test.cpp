// SPDX-License-Identifier: MPL-2.0
// zinit as PID 1 of a joyent-minimal zone (sparse root: the host's /usr and its symlinks), run
// by runc as root: the command's status comes back, the provisioning handshake happens after
// the services started, and a stop signal ends every process in the zone promptly.
#include "runtime/zone_spec.hpp"
#include "support/cli_runner.hpp"
#include "sys/host_probe.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace lumos::runtime {
namespace {

// This host's layout as the probe finds it for the zones' cgroup parent.
HostLayout probed_layout(std::string const& cgroup_parent = "/lumos")
{
    sys::ProbeRoots roots;
    roots.cgroup_parent = cgroup_parent;
    auto features = sys::probe_host(roots);
    return host_layout(features ? *features : sys::HostFeatures {});
}

namespace fs = std::filesystem;

std::string const UUID = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

class ZinitTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "running a zone needs root";
        }
        m_zonepath = m_dir.path() / UUID;
        for (char const* dir :
            { "root/etc/zinit/services", "root/var/svc", "root/tmp", ".zonecontrol" }) {
            fs::create_directories(m_zonepath / dir);
        }
        m_bundle = m_dir.path() / "bundle";
        fs::create_directories(m_bundle);
        m_cgroup_parent = "/lumos-test-" + std::to_string(::getpid());
        m_id = "lumos-zinit-" + std::to_string(::getpid());
    }
    void TearDown() override
    {
        if (::geteuid() != 0) {
            return;
        }
        // A zone a failed test left running: its processes and its runc state go first.
        (void)test::run(runc({ "delete", "--force", m_id }));
        for (auto const& controller : fs::directory_iterator("/sys/fs/cgroup")) {
            std::error_code ignored;
            fs::remove(controller.path() / m_cgroup_parent.substr(1), ignored);
        }
    }

    std::vector<std::string> runc(std::vector<std::string> args) const
    {
        std::vector<std::string> argv { "/usr/sbin/runc", "--root",
            (m_dir.path() / "runc").string() };
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

    // Writes the bundle of a joyent-minimal zone whose zinit gets `command` as arguments.
    void write_bundle(std::vector<std::string> const& command)
    {
        ZoneHostPaths paths;
        paths.zonepath = m_zonepath.string();
        paths.zinit = LUMOS_ZINIT_BIN;
        paths.cgroup_parent = m_cgroup_parent;
        Json vm { { "uuid", UUID }, { "brand", "joyent-minimal" }, { "max_physical_memory", 128 },
            { "max_lwps", 200 } };
        auto spec = zone_spec(vm, paths, probed_layout(m_cgroup_parent));
        ASSERT_TRUE(spec.has_value()) << spec.error().message();
        spec->args.insert(spec->args.end(), command.begin(), command.end());
        spec->env.insert(spec->env.end(), m_env.begin(), m_env.end());
        auto prepared = prepare_root(*spec);
        ASSERT_TRUE(prepared.has_value()) << prepared.error().message();
        std::ofstream(m_bundle / "config.json") << oci_config(*spec).dump(2);
    }

    test::RunResult run_zone(std::vector<std::string> const& command)
    {
        write_bundle(command);
        test::RunOptions options;
        options.timeout = std::chrono::milliseconds(30000);
        return test::run(runc({ "run", "--bundle", m_bundle.string(), m_id }), options);
    }

    test::TempRoot m_dir;
    fs::path m_zonepath;
    fs::path m_bundle;
    std::string m_cgroup_parent;
    std::string m_id;
    std::vector<std::string> m_env;
};

TEST_F(ZinitTest, OneShotCommandStatusComesBack)
{
    auto result = run_zone({ "/bin/sh", "-c", "echo ppid=$PPID; exit 3" });
    EXPECT_EQ(result.exit_code, 3) << result.describe();
    EXPECT_EQ(result.out, "ppid=1\n");
}

TEST_F(ZinitTest, ProvisioningHandshakeAfterTheServicesStarted)
{
    std::ofstream(m_zonepath / "root/var/svc/provisioning") << "";
    std::ofstream(m_zonepath / "root/etc/zinit/services/web.once") << "echo up > /tmp/web\n";
    auto result = run_zone({ "/bin/sh", "-c",
        "for i in $(seq 50); do [ -e /tmp/web ] && break; sleep 0.1; done; ls /var/svc; cat "
        "/tmp/web" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "provision_success\nup\n");
}

TEST_F(ZinitTest, StopSignalEndsEveryProcessPromptly)
{
    std::ofstream(m_zonepath / "root/etc/zinit/services/a") << "exec sleep 1000\n";
    std::ofstream(m_zonepath / "root/etc/zinit/services/b")
        << "trap '' TERM HUP; while :; do sleep 1; done\n";
    m_env.push_back("ZINIT_STOP_TIMEOUT=2");
    write_bundle({});
    test::RunOptions options;
    options.timeout = std::chrono::milliseconds(30000);
    auto process
        = test::Process::spawn(runc({ "run", "--bundle", m_bundle.string(), m_id }), options);
    // Wait until the zone runs, then ask it to stop as vmadm stop does (SIGTERM to PID 1).
    for (int i = 0; i < 100; ++i) {
        auto state = test::run(runc({ "state", m_id }));
        if (state.exit_code == 0 && state.out.find("\"running\"") != std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the services started
    auto const start = std::chrono::steady_clock::now();
    auto killed = test::run(runc({ "kill", m_id, "TERM" }));
    EXPECT_EQ(killed.exit_code, 0) << killed.describe();
    auto result = process.wait();
    auto const took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    // b ignores SIGTERM and SIGHUP: it is killed after ZINIT_STOP_TIMEOUT (2 s here, 10 s by
    // default).
    EXPECT_GE(took, std::chrono::seconds(2));
    EXPECT_LT(took, std::chrono::seconds(8));
    EXPECT_NE(result.err.find("zinit: stopping"), std::string::npos) << result.err;
}

} // namespace
} // namespace lumos::runtime
