// SPDX-License-Identifier: MPL-2.0
// zinit as PID 1 of a joyent-minimal zone (sparse root: the host's /usr and its symlinks), run
// by runc as root: the command's status comes back, the provisioning handshake happens after
// the services started, and a stop signal ends every process in the zone promptly.
#include "runtime/zone_bundle_fixture.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <unistd.h>

namespace lumos::runtime {
namespace {

namespace fs = std::filesystem;

std::string const UUID = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f";

class ZinitTest : public ZoneBundleTest {
protected:
    ZinitTest()
        : ZoneBundleTest(UUID, "lumos-zinit-" + std::to_string(::getpid()))
    {
    }

    void SetUp() override
    {
        ZoneBundleTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        for (char const* dir : { "root/etc/zinit/services", "root/var/svc", "root/tmp" }) {
            fs::create_directories(m_zonepath / dir);
        }
    }

    // Writes the bundle of a joyent-minimal zone whose zinit gets `command` as arguments.
    void write_zone_bundle(std::vector<std::string> const& command)
    {
        Json vm { { "uuid", UUID }, { "brand", "joyent-minimal" }, { "max_physical_memory", 128 },
            { "max_lwps", 200 } };
        auto spec = zone_spec(vm, host_paths(), probed_layout(m_cgroup_parent));
        ASSERT_TRUE(spec.has_value()) << spec.error().message();
        spec->args.insert(spec->args.end(), command.begin(), command.end());
        spec->env.insert(spec->env.end(), m_env.begin(), m_env.end());
        ASSERT_TRUE(write_bundle(*spec));
    }

    test::RunResult run_zone(std::vector<std::string> const& command)
    {
        write_zone_bundle(command);
        return run_bundle();
    }

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
    // Each service says when it runs as the test needs it (b: with its traps set), outside the
    // zone's /tmp (a tmpfs the host does not see).
    fs::path const started_dir = m_zonepath / "root/var/started";
    fs::create_directories(started_dir);
    std::ofstream(m_zonepath / "root/etc/zinit/services/a")
        << "touch /var/started/a; exec sleep 1000\n";
    std::ofstream(m_zonepath / "root/etc/zinit/services/b")
        << "trap '' TERM HUP; touch /var/started/b; while :; do sleep 1; done\n";
    m_env.push_back("ZINIT_STOP_TIMEOUT=2");
    write_zone_bundle({});
    test::RunOptions options;
    options.timeout = std::chrono::milliseconds(30000);
    auto process
        = test::Process::spawn(runc({ "run", "--bundle", m_bundle.string(), m_id }), options);
    // Wait until both services run, then ask the zone to stop as vmadm stop does (SIGTERM to
    // PID 1).
    auto const started
        = [&] { return fs::exists(started_dir / "a") && fs::exists(started_dir / "b"); };
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!started() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(started()) << "the services did not start";
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
