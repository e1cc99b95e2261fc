// SPDX-License-Identifier: MPL-2.0
// lumosadm pool commands that need no root: dir pools, usage errors and their exit codes.
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

RunResult lumosadm(TempRoot const& root, std::vector<std::string> args)
{
    args.insert(args.begin(), LUMOS_LUMOSADM_BIN);
    RunOptions options;
    options.env = { { "LUMOS_ROOT", root.str() } };
    return run(args, options);
}

TEST(LumosadmDirTest, CreateListDestroyDirPool)
{
    TempRoot root;
    auto listed = lumosadm(root, { "pool", "list" });
    ASSERT_EQ(listed.exit_code, 0) << listed.describe();
    auto lines = split_lines(listed.out);
    ASSERT_EQ(lines.size(), 2U) << listed.out;
    EXPECT_TRUE(lines[0].starts_with("NAME")) << lines[0];
    EXPECT_TRUE(lines[1].starts_with("zones ")) << lines[1];
    EXPECT_NE(lines[1].find(" dir "), std::string::npos) << lines[1];

    auto created = lumosadm(root, { "pool", "create", "data", "--backend", "dir" });
    ASSERT_EQ(created.exit_code, 0) << created.describe();
    EXPECT_TRUE(fs::is_directory(root.path() / "data"));
    auto json = lumosadm(root, { "pool", "list", "-j" });
    ASSERT_EQ(json.exit_code, 0) << json.describe();
    EXPECT_NE(json.out.find("\"name\": \"data\""), std::string::npos) << json.out;
    EXPECT_NE(json.out.find("\"name\": \"zones\""), std::string::npos) << json.out;
    EXPECT_TRUE(fs::exists(root.path() / "etc/lumos/pools.json"));

    auto again = lumosadm(root, { "pool", "create", "data", "--backend", "dir" });
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_EQ(again.err, "lumosadm: error: pool \"data\" already exists\n");

    auto destroyed = lumosadm(root, { "pool", "destroy", "data" });
    EXPECT_EQ(destroyed.exit_code, 0) << destroyed.describe();
    auto gone = lumosadm(root, { "pool", "destroy", "data" });
    EXPECT_EQ(gone.exit_code, 1);
    EXPECT_EQ(gone.err, "lumosadm: error: pool \"data\" does not exist\n");
}

TEST(LumosadmDirTest, UsageErrorsExitTwo)
{
    TempRoot root;
    for (auto const& args : std::vector<std::vector<std::string>> {
             {},
             { "bogus" },
             { "pool" },
             { "pool", "frobnicate" },
             { "pool", "create" },
             { "pool", "create", "x", "--backend", "ext4" },
             { "pool", "create", "x", "--file", "/tmp/x.img" },
             { "pool", "create", "x", "--file", "/tmp/x.img", "--size", "lots" },
             { "pool", "create", "x", "--device", "/dev/null", "--file", "/tmp/x.img", "--size",
                 "1G" },
             { "pool", "create", "x", "--backend", "dir", "--device", "/dev/null" },
             { "pool", "create", "x", "--mountpoint", "relative" },
             { "pool", "list", "extra" },
             { "pool", "destroy" },
         }) {
        auto result = lumosadm(root, args);
        EXPECT_EQ(result.exit_code, 2)
            << "args: " << ::testing::PrintToString(args) << " " << result.describe();
        EXPECT_TRUE(result.err.starts_with("lumosadm: error: ") || result.err.starts_with("Usage:"))
            << result.err;
    }
    EXPECT_FALSE(fs::exists("/tmp/x.img"));
    EXPECT_FALSE(fs::exists(root.path() / "etc/lumos/pools.json"));
}

TEST(LumosadmDirTest, BtrfsWithoutDeviceNeedsBtrfsMountpoint)
{
    TempRoot root;
    auto result = lumosadm(root, { "pool", "create", "zones" });
    // The default backend is btrfs; /tmp is not btrfs on our hosts.
    if (result.exit_code == 0) {
        GTEST_SKIP() << "/tmp is on btrfs here";
    }
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("not on btrfs"), std::string::npos) << result.err;
}

} // namespace
} // namespace lumos::test
