// SPDX-License-Identifier: MPL-2.0
// net::Netns: persistent namespaces made and removed as `ip netns add/delete` do, opened by
// path, and every way that can fail as an error value.
#include "net_fixture.hpp"

#include <filesystem>
#include <fstream>

#include <sys/stat.h>

namespace lumos::net::test {
namespace {

namespace fs = std::filesystem;

ino_t inode_of(int fd)
{
    struct stat st { };
    EXPECT_EQ(::fstat(fd, &st), 0);
    return st.st_ino;
}

bool is_mount_point(std::string const& path)
{
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        if (line.find(" " + path + " ") != std::string::npos) {
            return true;
        }
    }
    return false;
}

using NetnsTest = NetTest;

TEST_F(NetnsTest, CreatePersistentMakesANewEmptyNamespaceAndRemoveUndoesIt)
{
    auto const before = Netns::current();
    ASSERT_OK(before);
    std::string const path = make_netns("zone");
    ASSERT_TRUE(is_mount_point(path));
    auto const zone = Netns::open(path);
    ASSERT_OK(zone);
    EXPECT_NE(inode_of(zone->fd()), inode_of(before->fd()));
    // Loopback only, and down: a namespace of its own.
    auto const links = ip_json(path, { "link", "show" });
    ASSERT_EQ(links.size(), 1U) << links.dump();
    EXPECT_EQ(links[0]["ifname"], "lo");
    // The caller's thread never changed namespace.
    auto const after = Netns::current();
    ASSERT_OK(after);
    EXPECT_EQ(inode_of(after->fd()), inode_of(before->fd()));

    ASSERT_OK(Netns::remove_persistent(path));
    EXPECT_FALSE(is_mount_point(path));
    EXPECT_FALSE(fs::exists(path));
    // Gone is success.
    ASSERT_OK(Netns::remove_persistent(path));
}

TEST_F(NetnsTest, CreateOverAnExistingPathIsRefusedAndLeavesItAlone)
{
    std::string const path = make_netns("zone");
    auto const again = Netns::create_persistent(path);
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code(), ErrorCode::AlreadyExists);
    EXPECT_EQ(again.error().message(), "create netns " + path + ": File exists");
    // The first one is still there and still a namespace.
    ASSERT_OK(Netns::open(path));

    std::string const file = root() + "/plain";
    std::ofstream(file) << "x";
    auto const over_file = Netns::create_persistent(file);
    ASSERT_FALSE(over_file.has_value());
    EXPECT_EQ(over_file.error().code(), ErrorCode::AlreadyExists);
    EXPECT_FALSE(is_mount_point(file));
}

TEST_F(NetnsTest, CreateInAMissingDirectoryFailsWithNothingLeft)
{
    std::string const path = root() + "/no/such/dir/zone";
    auto const made = Netns::create_persistent(path);
    ASSERT_FALSE(made.has_value());
    EXPECT_EQ(made.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(made.error().message(), "create netns " + path + ": No such file or directory");
}

TEST_F(NetnsTest, OpenRefusesWhatIsNotANetworkNamespace)
{
    auto const missing = Netns::open(root() + "/missing");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(
        missing.error().message(), "open netns " + root() + "/missing: No such file or directory");

    std::string const file = root() + "/plain";
    std::ofstream(file) << "x";
    auto const plain = Netns::open(file);
    ASSERT_FALSE(plain.has_value());
    EXPECT_EQ(plain.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(plain.error().message(), "open netns " + file + ": not a network namespace");

    auto const mount_ns = Netns::open("/proc/self/ns/mnt");
    ASSERT_FALSE(mount_ns.has_value());
    EXPECT_EQ(mount_ns.error().code(), ErrorCode::InvalidArgument);
}

TEST_F(NetnsTest, RemoveOfALeftoverFileFromAKilledCreateUnlinksIt)
{
    // A create killed between the file and its mount leaves an empty file.
    std::string const path = root() + "/leftover";
    std::ofstream(path).flush();
    ASSERT_OK(Netns::remove_persistent(path));
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(NetnsTest, ASessionInAMissingNamespaceIsAnError)
{
    auto const rtnl = session(root() + "/missing");
    ASSERT_FALSE(rtnl.has_value());
    EXPECT_EQ(rtnl.error().code(), ErrorCode::NotFound);
}

} // namespace
} // namespace lumos::net::test
