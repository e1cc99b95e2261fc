// SPDX-License-Identifier: MPL-2.0
// nictagadm's edits of the host config: every other line and comment kept, keys matched as the
// parser reads them, the etherstub list edited in place; and the locked, atomic write.
#include "base/file.hpp"
#include "base/host_config.hpp"
#include "base/host_config_edit.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>

using namespace lumos;

namespace {

std::string const CONFIG = "# SmartOS-style config\n"
                           "admin_nic=00:00:00:00:00:01\n"
                           "  external_nic = 00:00:00:00:00:02\n"
                           "#external_nic=commented\n"
                           "hostname=cn01\n"
                           "external_nic=00:00:00:00:00:03\n"
                           "root_shadow='secret'\n";

} // namespace

TEST(HostConfigEditTest, WithKeyReplacesTheFirstLineAndDropsRepeats)
{
    EXPECT_EQ(config_with_key(CONFIG, "external_nic", "00:00:00:00:00:09"),
        "# SmartOS-style config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "external_nic=00:00:00:00:00:09\n"
        "#external_nic=commented\n"
        "hostname=cn01\n"
        "root_shadow='secret'\n");
}

TEST(HostConfigEditTest, WithKeyAppendsANewKeyAndEndsTheLastLine)
{
    EXPECT_EQ(config_with_key("a=1", "storage_nic", "00:00:00:00:00:04"),
        "a=1\nstorage_nic=00:00:00:00:00:04\n");
    EXPECT_EQ(config_with_key("", "storage_mtu", "9000"), "storage_mtu=9000\n");
}

TEST(HostConfigEditTest, WithoutKeyRemovesEveryLineOfThatKeyOnly)
{
    std::string const text = config_without_key(CONFIG, "external_nic");
    EXPECT_EQ(text,
        "# SmartOS-style config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "#external_nic=commented\n"
        "hostname=cn01\n"
        "root_shadow='secret'\n");
    EXPECT_EQ(HostConfig::parse(text).nic_tags, (std::vector<std::string> { "admin" }));
}

TEST(HostConfigEditTest, EtherstubsAreAddedToTheLastListInsideItsQuotes)
{
    EXPECT_EQ(config_with_etherstub("a=1\n", "stub0"), "a=1\netherstub=stub0\n");
    EXPECT_EQ(config_with_etherstub("etherstub=\n", "stub0"), "etherstub=stub0\n");
    EXPECT_EQ(config_with_etherstub("etherstub=old0\nx=1\netherstub=\"s1, s2\"\n", "s3"),
        "etherstub=old0\nx=1\netherstub=\"s1,s2,s3\"\n");
}

TEST(HostConfigEditTest, EtherstubRemovalMatchesWholeNamesAndDropsAnEmptyList)
{
    // sed's s/stub1,*// in the script would also cut "stub1" out of "stub10".
    EXPECT_EQ(config_without_etherstub("etherstub=stub10,stub1,stub11\n", "stub1"),
        "etherstub=stub10,stub11\n");
    EXPECT_EQ(config_without_etherstub("a=1\netherstub='stub0'\nb=2\n", "stub0"), "a=1\nb=2\n");
    EXPECT_EQ(config_without_etherstub("a=1\n", "stub0"), "a=1\n");
}

class HostConfigEditFileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-config-edit.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }
    std::string config_path() const { return m_root + "/etc/lumos/config"; }

    std::string m_root;
};

TEST_F(HostConfigEditFileTest, MissingFileIsEmptyAndCommitCreatesIt)
{
    auto edit = HostConfigEdit::begin(Paths(m_root));
    ASSERT_TRUE(edit) << edit.error().message();
    EXPECT_EQ(edit->text(), "");
    ASSERT_TRUE(edit->commit("etherstub=stub0\n"));
    EXPECT_EQ(read_file(config_path()).value_or(""), "etherstub=stub0\n");
}

// The config may hold secrets (SmartOS keeps root_shadow there): the new file keeps the mode.
TEST_F(HostConfigEditFileTest, CommitKeepsTheFilesMode)
{
    std::filesystem::create_directories(m_root + "/etc/lumos");
    ASSERT_TRUE(write_file_atomic(config_path(), CONFIG, 0600));
    ASSERT_EQ(::chmod(config_path().c_str(), 0600), 0);
    auto edit = HostConfigEdit::begin(Paths(m_root));
    ASSERT_TRUE(edit);
    EXPECT_EQ(edit->text(), CONFIG);
    ASSERT_TRUE(edit->commit(config_with_etherstub(edit->text(), "stub0")));
    struct stat st { };
    ASSERT_EQ(::stat(config_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777U, 0600U);
}

// A config that cannot be read is never replaced (its other lines would be lost).
TEST_F(HostConfigEditFileTest, UnreadableOrOversizedConfigIsAnError)
{
    std::filesystem::create_directories(config_path()); // a directory: read fails
    EXPECT_FALSE(HostConfigEdit::begin(Paths(m_root)));
    std::filesystem::remove(config_path());
    std::ofstream(config_path()) << std::string((size_t { 1 } << 20U) + 1, '#');
    auto edit = HostConfigEdit::begin(Paths(m_root));
    ASSERT_FALSE(edit);
    EXPECT_EQ(std::filesystem::file_size(config_path()), (size_t { 1 } << 20U) + 1);
}

// A writer killed between its temp file and the rename leaves config.tmp.<id>; the next edit,
// holding the lock (so no writer is running), removes it and nothing else.
TEST_F(HostConfigEditFileTest, BeginRemovesTempFilesOfKilledWriters)
{
    std::filesystem::create_directories(m_root + "/etc/lumos");
    std::ofstream(m_root + "/etc/lumos/config.tmp.0a1b2c3d") << "half";
    std::ofstream(m_root + "/etc/lumos/pools.json") << "{}";
    auto edit = HostConfigEdit::begin(Paths(m_root));
    ASSERT_TRUE(edit);
    EXPECT_FALSE(std::filesystem::exists(m_root + "/etc/lumos/config.tmp.0a1b2c3d"));
    EXPECT_TRUE(std::filesystem::exists(m_root + "/etc/lumos/pools.json"));
}
