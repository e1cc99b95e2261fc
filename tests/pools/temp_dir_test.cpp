// SPDX-License-Identifier: MPL-2.0
// support/temp_dir's TempRoot on what pool tests leave in it: read-only btrfs snapshots, and a
// mount a failed test did not undo (root only, on a loop-backed btrfs pool).
#include "pools/loop_btrfs_pool.hpp"
#include "pools/pool_setup.hpp"
#include "support/cli_runner.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

TEST(TempRootTest, RemovesItsTree)
{
    fs::path path;
    {
        TempRoot root;
        path = root.path();
        EXPECT_EQ(path.parent_path(), "/tmp");
        root.write_file("a/b/c", "x");
        fs::create_directory_symlink("/etc", root.path() / "link"); // removed, not followed
    }
    EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
    EXPECT_TRUE(fs::exists("/etc/passwd"));
}

class TempRootOnBtrfsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0 || std::getenv("LUMOS_HOST_TESTS") == nullptr) {
            GTEST_SKIP() << "a btrfs pool needs root and LUMOS_HOST_TESTS=1";
        }
        auto made = m_loop.make({ .name = "zones", .quotas = false, .size_bytes = 256 * MIB });
        ASSERT_TRUE(made) << made.error().message();
    }

    static void run_ok(std::vector<std::string> const& argv)
    {
        auto ran = pools::system_command_runner().run(argv, {});
        ASSERT_TRUE(ran && ran->status == 0) << pools::describe_argv(argv);
    }

    LoopBtrfsPool m_loop;
};

TEST_F(TempRootOnBtrfsTest, RemovesReadOnlySnapshots)
{
    fs::path path;
    {
        TempRoot root(m_loop.mountpoint());
        path = root.path();
        run_ok({ "btrfs", "subvolume", "create", root.str() + "/sv" });
        root.write_file("sv/f", "x");
        run_ok({ "btrfs", "subvolume", "snapshot", "-r", root.str() + "/sv", root.str() + "/ro" });
        ASSERT_TRUE(fs::exists(root.path() / "ro" / "f"));
    }
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(TempRootOnBtrfsTest, LeavesATreeWithAMountInPlace)
{
    std::optional<TempRoot> root(std::in_place, "/tmp");
    auto const mounted = root->str() + "/mnt";
    fs::create_directories(mounted);
    run_ok({ "mount", "--bind", m_loop.mountpoint(), mounted });
    std::ofstream(m_loop.mountpoint() + "/precious") << "x";
    EXPECT_FALSE(remove_temp_tree(root->path()));
    EXPECT_TRUE(fs::exists(m_loop.mountpoint() + "/precious")); // not deleted through the mount
    run_ok({ "umount", mounted });
    root.reset();
    EXPECT_FALSE(fs::exists(mounted));
}

} // namespace
} // namespace lumos::test
