// SPDX-License-Identifier: MPL-2.0
#include "base/directory_below.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lumos;
namespace fs = std::filesystem;

namespace {

class DirectoryBelowTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string templ = (fs::temp_directory_path() / "lumos-unit-below-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        m_dir = templ;
        m_fd = UniqueFd(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(m_fd.valid());
    }
    void TearDown() override { fs::remove_all(m_dir); }

    Result<UniqueFd> open_below(
        std::string const& relative, Create create, std::string const& action = {})
    {
        return open_directory_below(m_fd.get(), m_dir, relative, create, action);
    }

    std::string m_dir;
    UniqueFd m_fd;
};

TEST_F(DirectoryBelowTest, CreatesEachMissingComponent0755)
{
    ::umask(077);
    auto opened = open_below("a/b/c", Create::Yes);
    ::umask(022);
    ASSERT_TRUE(opened) << opened.error().message();
    for (char const* path : { "/a", "/a/b", "/a/b/c" }) {
        struct stat st { };
        ASSERT_EQ(::stat((m_dir + path).c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0755U) << path;
    }
    // The descriptor is the last directory's.
    ASSERT_EQ(::mkdirat(opened->get(), "d", 0755), 0);
    EXPECT_TRUE(fs::is_directory(m_dir + "/a/b/c/d"));
    // Existing: opened again, created or not.
    EXPECT_TRUE(open_below("a/b", Create::Yes));
    EXPECT_TRUE(open_below("a/b", Create::No));
}

TEST_F(DirectoryBelowTest, WithoutCreateAMissingDirectoryIsAnError)
{
    auto opened = open_below("missing/x", Create::No);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), ErrorCode::NotFound);
    EXPECT_FALSE(fs::exists(m_dir + "/missing"));
}

TEST_F(DirectoryBelowTest, RefusesASymbolicLinkAnywhereOnThePath)
{
    fs::create_directories(m_dir + "/outside");
    fs::create_directories(m_dir + "/root");
    fs::create_directory_symlink(m_dir + "/outside", m_dir + "/root/etc");
    for (Create create : { Create::Yes, Create::No }) {
        auto opened = open_below("root/etc/sub", create);
        ASSERT_FALSE(opened);
        EXPECT_EQ(opened.error().code(), ErrorCode::PermissionDenied);
        EXPECT_EQ(opened.error().message(),
            "refusing to create " + m_dir + "/root/etc/sub: " + m_dir
                + "/root/etc is a symbolic link or not a directory");
    }
    EXPECT_FALSE(fs::exists(m_dir + "/outside/sub"));
    // The action a caller names replaces "create <path>".
    auto opened = open_below("root/etc", Create::Yes, "write /z/etc/resolv.conf");
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message(),
        "refusing to write /z/etc/resolv.conf: " + m_dir
            + "/root/etc is a symbolic link or not a directory");
}

TEST_F(DirectoryBelowTest, RefusesAFileInTheWay)
{
    ASSERT_TRUE(UniqueFd(::open((m_dir + "/file").c_str(), O_CREAT | O_WRONLY, 0644)).valid());
    auto opened = open_below("file/x", Create::Yes);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().message(),
        "refusing to create " + m_dir + "/file/x: " + m_dir
            + "/file is a symbolic link or not a directory");
}

TEST_F(DirectoryBelowTest, RejectsEmptyDotAndDotDotComponents)
{
    for (char const* relative : { "", "a//b", "./a", "a/..", "../x", "/a" }) {
        auto opened = open_below(relative, Create::Yes);
        ASSERT_FALSE(opened) << relative;
        EXPECT_EQ(opened.error().code(), ErrorCode::InvalidArgument);
        EXPECT_EQ(opened.error().message(), std::string("bad directory name: ") + relative);
    }
    EXPECT_TRUE(fs::is_empty(m_dir)); // nothing made on the way
}

} // namespace
