// SPDX-License-Identifier: MPL-2.0
// Pool setup that fails part-way leaves nothing behind: no pool file, no loop device, no mount
// (root only: loop devices, mkfs.btrfs, mount). The failures are injected through the command
// runner, which otherwise runs the real tools.
#include "base/file.hpp"
#include "base/sizes.hpp"
#include "pools/pool_setup.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>

#include <unistd.h>

namespace lumos::pools {
namespace {

namespace fs = std::filesystem;

// The system runner, with a hook that sees each command first: it may answer in the tool's
// place (a failure) or act after the tool ran.
class HookedRunner final : public CommandRunner {
public:
    std::function<std::optional<CommandOutput>(std::vector<std::string> const&)> before;
    std::function<void(std::vector<std::string> const&)> after;

    Result<CommandOutput> run(std::vector<std::string> const& argv, CommandIo const& io) override
    {
        if (before) {
            if (auto answer = before(argv)) {
                return *answer;
            }
        }
        auto output = system_command_runner().run(argv, io);
        if (after && output && output->status == 0) {
            after(argv);
        }
        return output;
    }
};

class PoolSetupLeakTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root (loop devices, mkfs.btrfs, mount)";
        }
        m_root.emplace();
        m_paths.emplace(m_root->str());
        m_image = m_root->str() + "/pool.img";
        m_mountpoint = m_root->str() + "/zones";
    }

    void TearDown() override
    {
        // Whatever the code under test left, so that the host stays clean either way.
        if (!m_root) {
            return;
        }
        if (is_mountpoint(m_mountpoint)) {
            (void)system_command_runner().run({ "umount", "-l", m_mountpoint }, {});
        }
        for (auto const& device : loop_devices_of(system_command_runner(), m_image)) {
            (void)system_command_runner().run({ "losetup", "-d", device }, {});
        }
    }

    PoolRegistry::CreateRequest request() const
    {
        PoolRegistry::CreateRequest request;
        request.name = "zones";
        request.backend = Backend::Btrfs;
        request.file = m_image;
        request.size_bytes = 300 * MIB;
        request.quotas = false;
        return request;
    }

    std::optional<test::TempRoot> m_root;
    std::optional<Paths> m_paths;
    std::string m_image;
    std::string m_mountpoint;
};

TEST_F(PoolSetupLeakTest, CreateThatCannotWriteTheConfigurationUndoesEverything)
{
    HookedRunner runner;
    // Once mounted (the last step), pools.json becomes a directory the new configuration cannot
    // replace.
    runner.after = [&](std::vector<std::string> const& argv) {
        if (argv.front() == "mount") {
            fs::create_directories(m_paths->etc_dir() + "/pools.json/in-the-way");
        }
    };
    auto made = create_pool(*m_paths, request(), runner);
    ASSERT_FALSE(made);
    EXPECT_FALSE(is_mountpoint(m_mountpoint));
    EXPECT_TRUE(loop_devices_of(system_command_runner(), m_image).empty());
    EXPECT_FALSE(fs::exists(m_image));
    EXPECT_FALSE(fs::exists(m_mountpoint));

    // And a retry, the obstacle gone, succeeds (no O_EXCL failure on a leftover file).
    fs::remove_all(m_paths->etc_dir() + "/pools.json");
    auto again = create_pool(*m_paths, request(), system_command_runner());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_TRUE(is_mountpoint(m_mountpoint));
    auto destroyed = destroy_pool(*m_paths, "zones", system_command_runner());
    EXPECT_TRUE(destroyed) << destroyed.error().message();
}

TEST_F(PoolSetupLeakTest, RemountThatFailsLeavesNoLoopDeviceAttached)
{
    auto made = create_pool(*m_paths, request(), system_command_runner());
    ASSERT_TRUE(made) << made.error().message();
    ASSERT_EQ(system_command_runner().run({ "umount", m_mountpoint }, {})->status, 0);
    for (auto const& device : loop_devices_of(system_command_runner(), m_image)) {
        ASSERT_EQ(system_command_runner().run({ "losetup", "-d", device }, {})->status, 0);
    }

    HookedRunner runner;
    runner.before = [](std::vector<std::string> const& argv) -> std::optional<CommandOutput> {
        if (argv.front() == "mount") {
            return CommandOutput { .status = 32, .out = {}, .err = "mount: injected failure" };
        }
        return std::nullopt;
    };
    auto mounted = ensure_pool_mounted(runner, *made);
    ASSERT_FALSE(mounted);
    EXPECT_NE(mounted.error().message().find("injected failure"), std::string::npos);
    EXPECT_FALSE(is_mountpoint(m_mountpoint));
    EXPECT_TRUE(loop_devices_of(system_command_runner(), m_image).empty());

    // Without the fault it mounts, and the pool goes as it came.
    ASSERT_TRUE(ensure_pool_mounted(system_command_runner(), *made));
    EXPECT_TRUE(is_mountpoint(m_mountpoint));
    auto destroyed = destroy_pool(*m_paths, "zones", system_command_runner());
    EXPECT_TRUE(destroyed) << destroyed.error().message();
}

} // namespace
} // namespace lumos::pools
