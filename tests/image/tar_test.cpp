// SPDX-License-Identifier: MPL-2.0
// Tar safety of ImageStore::install: every kind of malicious root-filesystem archive is refused
// with InvalidImageFile and leaves the pool and the manifest cache exactly as before; the
// legitimate cases (lx absolute symlinks, setuid in lx, numeric owners, hard links) work.
#include "image_test_util.hpp"

#include <filesystem>

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

class TarSafety : public StoreFixture {
protected:
    void expect_refused(std::vector<TarEntry> const& entries, std::string const& type,
        std::string const& message_part)
    {
        auto result = install_bytes(make_tar(entries), "gzip", type);
        ASSERT_FALSE(result.has_value()) << "installed a malicious archive";
        EXPECT_EQ(result.error().code_name(), "InvalidImageFile") << result.error().message;
        EXPECT_NE(result.error().message.find(message_part), std::string::npos)
            << result.error().message;
        expect_pool_untouched();
    }

    std::string image_root(Json const& manifest)
    {
        return paths().pool_mountpoint("zones") + "/" + manifest.at("uuid").get<std::string>()
            + "/root";
    }
};

TEST_F(TarSafety, AbsoluteEntryName)
{
    expect_refused(
        { dir_entry("etc"), file_entry("/etc/evil", "x") }, "zone-dataset", "\"/etc/evil\"");
}

TEST_F(TarSafety, DotDotEntryName)
{
    expect_refused({ file_entry("../evil", "x") }, "lx-dataset", "\"../evil\"");
    expect_refused(
        { dir_entry("a"), file_entry("a/../../evil", "x") }, "lx-dataset", "\"a/../../evil\"");
    EXPECT_FALSE(fs::exists(paths().pool_mountpoint("zones") + "/evil"));
}

TEST_F(TarSafety, HardlinkEscaping)
{
    expect_refused({ hardlink_entry("passwd", "../../../../etc/passwd") }, "lx-dataset",
        "hard link \"passwd\"");
    expect_refused(
        { hardlink_entry("shadow", "/etc/shadow") }, "lx-dataset", "hard link \"shadow\"");
}

TEST_F(TarSafety, WriteThroughAbsoluteSymlink)
{
    TempRoot outside;
    expect_refused({ symlink_entry("lib", outside.str()), file_entry("lib/evil", "x") },
        "lx-dataset", "written through the symlink \"lib\"");
    EXPECT_FALSE(fs::exists(outside.path() / "evil"));
}

TEST_F(TarSafety, WriteThroughRelativeSymlink)
{
    expect_refused({ dir_entry("b"), symlink_entry("a", "b"), file_entry("a/file", "x") },
        "zone-dataset", "written through the symlink \"a\"");
}

TEST_F(TarSafety, DatasetLayoutWithRootAsSymlink)
{
    TempRoot outside;
    expect_refused({ symlink_entry("root", outside.str()), file_entry("root/passwd", "x") },
        "lx-dataset", "is not a directory (the image's root)");
    EXPECT_FALSE(fs::exists(outside.path() / "passwd"));
}

TEST_F(TarSafety, HardlinkThroughSymlink)
{
    TempRoot outside;
    write_bytes(outside.str() + "/secret", "s");
    expect_refused({ symlink_entry("out", outside.str()), hardlink_entry("copy", "out/secret") },
        "lx-dataset", "through the symlink \"out\"");
}

TEST_F(TarSafety, RelativeSymlinkClimbingOut)
{
    expect_refused(
        { dir_entry("bin"), symlink_entry("bin/x", "../../etc") }, "lx-dataset", "points outside");
    expect_refused({ symlink_entry("up", "..") }, "zone-dataset", "points outside");
}

TEST_F(TarSafety, DatasetLayoutSymlinkLeavingRoot)
{
    // Every entry below "root/": the archive is a dataset; "root/x -> ../etc" leaves its root.
    expect_refused({ dir_entry("root"), symlink_entry("root/x", "../etc") }, "zone-dataset",
        "points outside the image");
}

TEST_F(TarSafety, AbsoluteSymlinkInZoneDataset)
{
    expect_refused({ dir_entry("etc"), symlink_entry("etc/localtime", "/usr/share/zoneinfo/UTC") },
        "zone-dataset", "absolute target");
}

TEST_F(TarSafety, DeviceNodesAndFifos)
{
    TarEntry chr { "dev/null", AE_IFCHR, "", 0666, "", "", 0, 0, {} };
    TarEntry blk { "dev/sda", AE_IFBLK, "", 0660, "", "", 0, 0, {} };
    TarEntry fifo { "run/fifo", AE_IFIFO, "", 0644, "", "", 0, 0, {} };
    expect_refused({ dir_entry("dev"), chr }, "lx-dataset", "device node");
    expect_refused({ dir_entry("dev"), blk }, "zone-dataset", "device node");
    expect_refused({ dir_entry("run"), fifo }, "lx-dataset", "fifo");
}

TEST_F(TarSafety, SetuidInZoneDataset)
{
    expect_refused(
        { dir_entry("bin"), file_entry("bin/su", "#!", 04755) }, "zone-dataset", "setuid");
    expect_refused(
        { dir_entry("bin"), file_entry("bin/wall", "#!", 02755) }, "zone-dataset", "setuid");
}

// File capabilities are setuid by other means (the same rule as btrfs stream images); LSM labels
// and trusted.* attributes mean something to the host, not to the image.
TEST_F(TarSafety, CapabilitiesAndHostXattrs)
{
    std::string caps(20, '\0'); // vfs_cap_data v2: effective, CAP_SYS_ADMIN permitted
    caps[0] = 1;
    caps[3] = 2;
    caps[6] = 0x20;
    TarEntry tool = file_entry("bin/tool", "#!");
    tool.xattrs = { { "security.capability", caps } };
    expect_refused({ dir_entry("bin"), tool }, "zone-dataset", "file capabilities");
    TarEntry labelled = file_entry("etc/x", "x");
    labelled.xattrs = { { "security.selinux", "system_u:object_r:shadow_t:s0" } };
    expect_refused({ dir_entry("etc"), labelled }, "lx-dataset", "security.selinux");
    TarEntry opaque = dir_entry("etc");
    opaque.xattrs = { { "trusted.overlay.opaque", "y" } };
    expect_refused({ opaque }, "lx-dataset", "trusted.overlay.opaque");
    if (::geteuid() == 0) { // xattrs are extracted with owners, as root only
        TarEntry ping = file_entry("bin/ping", "#!");
        ping.xattrs = { { "security.capability", caps }, { "user.note", "ok" } };
        Json manifest;
        auto result
            = install_bytes(make_tar({ dir_entry("bin"), ping }), "gzip", "lx-dataset", &manifest);
        ASSERT_TRUE(result.has_value()) << result.error().message;
        EXPECT_EQ(::getxattr((image_root(manifest) + "/bin/ping").c_str(), "security.capability",
                      nullptr, 0),
            20);
    }
}

TEST_F(TarSafety, CorruptArchive)
{
    std::string tar = make_tar({ file_entry("big", std::string(100000, 'x')) }, "none");
    tar[0] = 'Z'; // first header's checksum no longer matches
    auto result = install_bytes(tar.substr(0, 20000), "none", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "InvalidImageFile") << result.error().message;
    expect_pool_untouched();
}

TEST_F(TarSafety, TruncatedGzipIsAnUncompressionError)
{
    std::string tar = make_tar({ file_entry("big", std::string(200000, 'x') + "tail") }, "gzip");
    auto result = install_bytes(tar.substr(0, tar.size() / 2), "gzip", "zone-dataset");
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code_name(), "UncompressionError") << result.error().message;
    EXPECT_EQ(
        result.error().message.rfind("gzip uncompression error while importing: exit code ", 0), 0U)
        << result.error().message;
    expect_pool_untouched();
}

TEST_F(TarSafety, LxDatasetKeepsAbsoluteSymlinksSetuidAndOwners)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "keeping numeric owners needs root";
    }
    TarEntry su = file_entry("bin/su", "su", 04755);
    su.uid = 1234;
    su.gid = 4321;
    Json manifest;
    auto result = install_bytes(make_tar({ dir_entry("bin"), su, dir_entry("etc"),
                                    symlink_entry("etc/localtime", "/usr/share/zoneinfo/UTC"),
                                    symlink_entry("bin/sh", "../bin/su"),
                                    hardlink_entry("bin/su2", "bin/su"), dir_entry("tmp", 01777) }),
        "gzip", "lx-dataset", &manifest);
    ASSERT_TRUE(result.has_value()) << result.error().message;
    std::string root = image_root(manifest);
    struct stat st { };
    ASSERT_EQ(::lstat((root + "/bin/su").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234U);
    EXPECT_EQ(st.st_gid, 4321U);
    EXPECT_EQ(st.st_mode & 07777, 04755U);
    EXPECT_EQ(st.st_nlink, 2U);
    ASSERT_EQ(::lstat((root + "/tmp").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 01777U);
    EXPECT_EQ(fs::read_symlink(root + "/etc/localtime"), "/usr/share/zoneinfo/UTC");
    EXPECT_EQ(fs::read_symlink(root + "/bin/sh"), "../bin/su");
    EXPECT_TRUE(store().is_installed("zones", manifest.at("uuid").get<std::string>()));
}

TEST_F(TarSafety, RootLayoutAndDatasetLayoutLandInRoot)
{
    Json plain;
    ASSERT_TRUE(install_bytes(make_tar({ dir_entry("./etc"), file_entry("./etc/motd", "plain") }),
        "gzip", "zone-dataset", &plain));
    EXPECT_EQ(read_file(image_root(plain) + "/etc/motd"), "plain");
    Json layered;
    ASSERT_TRUE(install_bytes(
        make_tar({ dir_entry("root"), dir_entry("root/etc"), file_entry("root/etc/motd", "dataset"),
            symlink_entry("root/m", "etc/motd") }),
        "gzip", "zone-dataset", &layered));
    EXPECT_EQ(read_file(image_root(layered) + "/etc/motd"), "dataset");
    EXPECT_FALSE(fs::exists(image_root(layered) + "/root"));
}

} // namespace
} // namespace lumos::test
