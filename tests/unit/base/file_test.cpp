// SPDX-License-Identifier: MPL-2.0
#include "base/file.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lumos;
namespace fs = std::filesystem;

namespace {

class FileTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        std::string templ = (fs::temp_directory_path() / "lumos-unit-file-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        m_dir = templ;
    }
    void TearDown() override { fs::remove_all(m_dir); }
    fs::path m_dir;
};

ino_t inode_of(fs::path const& path)
{
    struct stat st { };
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_ino;
}

TEST_F(FileTest, EveryReplacementLeavesTheWholeNewContentAndNoTempFile)
{
    auto const path = (m_dir / "f").string();
    ASSERT_TRUE(write_file_atomic(path, "one", 0600));
    ASSERT_TRUE(write_file_replace(path, "two", 0600));
    EXPECT_EQ(*read_file(path), "two");
    EXPECT_EQ(fs::status(path).permissions() & fs::perms::all,
        fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()), 1);
}

TEST_F(FileTest, IfChangedWritesOnlyNewContent)
{
    auto const path = m_dir / "f";
    ASSERT_TRUE(write_file_if_changed(path.string(), "same\n"));
    EXPECT_EQ(*read_file(path.string()), "same\n");
    ino_t const first = inode_of(path);
    ASSERT_TRUE(write_file_if_changed(path.string(), "same\n"));
    EXPECT_EQ(inode_of(path), first); // untouched: no replacement happened
    ASSERT_TRUE(write_file_if_changed(path.string(), "other\n"));
    EXPECT_NE(inode_of(path), first);
    EXPECT_EQ(*read_file(path.string()), "other\n");
}

TEST_F(FileTest, ReplacingALinkReplacesTheLinkNotItsTarget)
{
    std::ofstream(m_dir / "target") << "kept";
    fs::create_symlink(m_dir / "target", m_dir / "f");
    UniqueFd dir(::open(m_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(replace_file_at(dir.get(), m_dir.string(), "f", "new", 0644, Durability::Unsynced));
    EXPECT_FALSE(fs::is_symlink(m_dir / "f"));
    EXPECT_EQ(*read_file((m_dir / "f").string()), "new");
    EXPECT_EQ(*read_file((m_dir / "target").string()), "kept");
}

TEST_F(FileTest, WriteFullyReportsAClosedReader)
{
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    ::signal(SIGPIPE, SIG_IGN);
    EXPECT_FALSE(write_fully(fds[1], "x", 1));
    EXPECT_EQ(errno, EPIPE);
    ::close(fds[1]);
}

} // namespace

TEST_F(FileTest, BoundedReadStopsAtItsLimit)
{
    auto const path = (m_dir / "payload").string();
    ASSERT_TRUE(write_file_atomic(path, std::string(100, 'x')));
    EXPECT_EQ(read_file_bounded(path, 100)->size(), 100U);
    auto const over = read_file_bounded(path, 99);
    ASSERT_FALSE(over.has_value());
    EXPECT_EQ(over.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(over.error().message(), "larger than 99 bytes");
    // An endless file is refused after the limit, not read until memory runs out.
    auto const zero = read_file_bounded("/dev/zero", 1 << 20);
    ASSERT_FALSE(zero.has_value());
    EXPECT_EQ(zero.error().message(), "larger than 1048576 bytes");
}
