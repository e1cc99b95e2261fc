// SPDX-License-Identifier: MPL-2.0
// The btrfs send stream checker on its own (no root): well-formed streams pass whole and in any
// chunking, malformed ones (truncated, bad CRC, huge lengths, bad attributes) and hostile ones
// (paths out of the subvolume, writes through symlinks, incremental streams, foreign clones,
// device nodes, setuid, absolute links, capabilities) are refused at the offending command.
#include "image/detail/btrfs_stream.hpp"
#include "support/btrfs_stream_builder.hpp"

#include <gtest/gtest.h>

#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::test {
namespace {

using image::detail::BtrfsStreamChecker;
using image::detail::TreePolicy;
using B = SendStreamBuilder;

TreePolicy zone()
{
    return image::detail::tree_policy_for("zone-dataset");
}
TreePolicy lx()
{
    return image::detail::tree_policy_for("lx-dataset");
}

// Feeds the stream in chunks of `chunk` bytes; the checked bytes must be the stream.
image::ImgResult<void> check(std::string const& bytes, TreePolicy policy = zone(), size_t chunk = 0)
{
    BtrfsStreamChecker checker(policy);
    std::string passed;
    size_t const step = chunk == 0 ? bytes.size() + 1 : chunk;
    for (size_t at = 0; at < bytes.size(); at += step) {
        auto fed = checker.feed(std::string_view(bytes).substr(at, step));
        passed += checker.ready();
        checker.ready().clear();
        if (!fed) {
            EXPECT_LT(passed.size(), bytes.size());
            return fed;
        }
    }
    auto finished = checker.finish();
    if (finished) {
        EXPECT_EQ(passed, bytes);
    }
    return finished;
}

void expect_refused(std::string const& bytes, std::string const& why, TreePolicy policy = zone())
{
    auto result = check(bytes, policy);
    ASSERT_FALSE(result.has_value()) << "accepted, expected: " << why;
    EXPECT_EQ(result.error().code_name(), "InvalidImageFile");
    EXPECT_EQ(result.error().message.rfind("invalid image file: btrfs send stream: ", 0), 0U)
        << result.error().message;
    EXPECT_NE(result.error().message.find(why), std::string::npos) << result.error().message;
}

B image_stream(uint32_t version = 1)
{
    B b(version);
    b.subvol("final").small_root();
    return b;
}

TEST(BtrfsStream, Crc32cIsBtrfsOwn)
{
    // crc32c("123456789") is 0xe3069283 with the usual inversions; btrfs uses neither.
    std::string const digits = "123456789";
    EXPECT_EQ(image::detail::btrfs_crc32c(0, digits.data(), digits.size()), B::crc32c(digits));
    EXPECT_EQ(~image::detail::btrfs_crc32c(~0U, digits.data(), digits.size()), 0xe3069283U);
}

TEST(BtrfsStream, WellFormedStreamsPassInAnyChunking)
{
    for (uint32_t version : { 1U, 2U }) {
        B b = image_stream(version);
        b.symlink("o300-7-0", "../etc/motd").rename("o300-7-0", "root/l").chown("root/l", 0, 0);
        b.mkfile("root/big").write("root/big", 0, std::string(60000, 'x'));
        b.link("root/big2", "root/big")
            .clone("root/big2", 0, 4096, B::uuid_of('\x11'), 7, "root/big");
        b.set_xattr("root/big", "user.note", "ok").truncate("root/big", 10).end();
        for (size_t chunk : { size_t { 0 }, size_t { 1 }, size_t { 7 }, size_t { 4096 } }) {
            auto result = check(b.bytes(), zone(), chunk);
            EXPECT_TRUE(result.has_value())
                << "v" << version << " chunk " << chunk << ": " << result.error().message;
        }
    }
}

TEST(BtrfsStream, MalformedStreams)
{
    std::string const good = image_stream().end().bytes();
    expect_refused("tar-stream" + std::string(20, '\0'), "no \"btrfs-stream\" header");
    expect_refused(std::string("btrfs-stream\0", 13) + B::le(3, 4), "version 3");
    expect_refused(good.substr(0, 10), "ends inside its header");
    expect_refused(good.substr(0, good.size() - 3), "ends inside command");
    expect_refused(image_stream().bytes(), "before its end command");
    expect_refused(good + "x", "data after the end command");

    B bad_crc(1);
    bad_crc.subvol("s").command(B::MKDIR, B::tlv(B::PATH, "root") + B::u64(B::INO, 257), 0x1234);
    expect_refused(bad_crc.bytes(), "bad checksum");

    // A command claiming 4 GiB, and one just over the v1 limit: refused before any buffering.
    std::string huge = std::string("btrfs-stream\0", 13) + B::le(1, 4) + B::le(0xffffffffULL, 4)
        + B::le(B::SUBVOL, 2) + B::le(0, 4);
    expect_refused(huge, "bytes long");
    B over(1);
    over.subvol("s").mkfile("f").command(
        B::WRITE, B::tlv(B::PATH, "f") + B::u64(B::FILE_OFFSET, 0) + std::string(65536, 'x'));
    expect_refused(over.bytes(), "bytes long (at most 65536");

    B past(1);
    past.subvol("s").command(B::MKDIR, B::le(B::PATH, 2) + B::le(200, 2) + "root");
    expect_refused(past.bytes(), "runs past the end");
    B odd(1);
    odd.subvol("s").command(B::MKDIR, B::tlv(B::PATH, "root") + B::u64(B::INO, 257) + "x");
    expect_refused(odd.bytes(), "truncated attribute");
    B twice(1);
    twice.subvol("s").command(
        B::MKDIR, B::tlv(B::PATH, "root") + B::tlv(B::PATH, "../x") + B::u64(B::INO, 257));
    expect_refused(twice.bytes(), "given twice");
    B unknown_attr(1);
    unknown_attr.subvol("s").command(
        B::MKDIR, B::tlv(B::PATH, "r") + B::tlv(25, "") + B::u64(B::INO, 2));
    expect_refused(unknown_attr.bytes(), "unknown attribute 25");
    B missing(1);
    missing.subvol("s").command(B::MKDIR, B::tlv(B::PATH, "root"));
    expect_refused(missing.bytes(), "attribute 3 is missing");
    B short_int(1);
    short_int.subvol("s").command(B::MKDIR, B::tlv(B::PATH, "root") + B::tlv(B::INO, "abc"));
    expect_refused(short_int.bytes(), "has 3 bytes, not 8");
    B nul(1);
    nul.subvol("s").mkdir(std::string("root\0/../../etc", 15));
    expect_refused(nul.bytes(), "NUL");
    B unknown_cmd(1);
    unknown_cmd.subvol("s").command(23, B::tlv(B::PATH, "f")); // fallocate is v2 only
    expect_refused(unknown_cmd.bytes(), "unknown type 23");
    B verity(2);
    verity.subvol("s").command(26, B::tlv(B::PATH, "f"));
    expect_refused(verity.bytes(), "unknown type 26");
    B first(1);
    first.mkdir("root");
    expect_refused(first.bytes(), "before the subvolume");
}

TEST(BtrfsStream, OneFullSubvolume)
{
    expect_refused(image_stream().subvol("again").bytes(), "a second subvolume");
    B snapshot(1);
    snapshot.snapshot("final", B::uuid_of('\x22'), B::uuid_of('\x33'), 5);
    expect_refused(snapshot.bytes(), "an incremental stream");
    for (std::string name : { "", "..", ".", "a/b", "../../x" }) {
        B b(1);
        b.subvol(name);
        expect_refused(b.bytes(), "is not a single file name");
    }
}

TEST(BtrfsStream, PathsStayInTheSubvolume)
{
    std::string const climb = "../../../../etc/passwd";
    expect_refused(image_stream().write(climb, 0, "x").bytes(), "empty, \".\" or \"..\"");
    expect_refused(image_stream().mkfile("root/../../x").bytes(), "\"..\"");
    expect_refused(image_stream().mkfile("/etc/passwd").bytes(), "is absolute");
    expect_refused(image_stream().mkfile("root//x").bytes(), "empty");
    expect_refused(image_stream().mkfile("./root").bytes(), "\".\"");
    expect_refused(image_stream().mkfile("root/").bytes(), "empty");
    expect_refused(image_stream().rename("root/etc", "../etc").bytes(), "\"..\"");
    expect_refused(image_stream().link("root/x", "../../etc/shadow").bytes(), "\"..\"");
    expect_refused(image_stream().mkfile("").bytes(), "empty path");
    expect_refused(image_stream().mkfile(std::string(256, 'a')).bytes(), "longer than 255");
    std::string deep;
    while (deep.size() < 4200) {
        deep += "aaaaaaaa/";
    }
    expect_refused(image_stream().mkfile(deep + "f").bytes(), "bytes (at most 4095)");
    expect_refused(image_stream().rename("root", "root/etc/inside").bytes(), "into itself");
    expect_refused(image_stream().rename("root/etc", "root").bytes(), "over a directory above it");
}

TEST(BtrfsStream, NothingGoesThroughASymlink)
{
    // A link (relative, so allowed where it is made) then a write through it.
    auto through = image_stream();
    through.symlink("root/evil", "../../../../../../../etc").mkfile("root/evil/cron");
    expect_refused(through.bytes(), "goes through the symlink \"root/evil\"");
    auto write = image_stream();
    write.symlink("root/evil", "../../../../etc").write("root/evil/passwd", 0, "x");
    expect_refused(write.bytes(), "goes through the symlink");
    // Commands that would follow the link itself.
    auto follow = image_stream();
    follow.symlink("root/f", "../../../etc/passwd").write("root/f", 0, "x");
    expect_refused(follow.bytes(), "is a symlink, which this command would follow");
    expect_refused(
        image_stream().symlink("root/f", "x").truncate("root/f", 0).bytes(), "would follow");
    expect_refused(
        image_stream().symlink("root/f", "x").chmod("root/f", 0755).bytes(), "would follow");
    // Links renamed into place, inside a renamed directory, or hard-linked, are still links.
    auto renamed = image_stream();
    renamed.symlink("o9-1-0", "../../..").rename("o9-1-0", "root/x").write("root/x/y", 0, "z");
    expect_refused(renamed.bytes(), "through the symlink \"root/x\"");
    auto moved = image_stream();
    moved.mkdir("o8-1-0").symlink("o8-1-0/l", "../..").rename("o8-1-0", "root/d");
    moved.mkfile("root/d/l/f");
    expect_refused(moved.bytes(), "through the symlink \"root/d/l\"");
    auto hard = image_stream();
    hard.symlink("root/a", "../..").link("root/b", "root/a").mkfile("root/b/f");
    expect_refused(hard.bytes(), "through the symlink \"root/b\"");
    // Replaced by a directory (unlink, mkdir): fine again. Chown/utimes/xattrs act on the link.
    auto replaced = image_stream();
    replaced.symlink("root/a", "x").chown("root/a", 0, 0).unlink("root/a").mkdir("root/a");
    replaced.mkfile("root/a/f").end();
    EXPECT_TRUE(check(replaced.bytes()).has_value());
}

TEST(BtrfsStream, ImageRules)
{
    expect_refused(image_stream().mknod("root/null", S_IFCHR | 0666, 0x103).bytes(),
        "entry \"root/null\" is a device node");
    expect_refused(image_stream().mknod("root/sda", S_IFBLK | 0600, 0x800).bytes(), "device node");
    expect_refused(image_stream().mknod("root/x", S_IFREG | 0600, 0).bytes(), "device node", lx());
    expect_refused(image_stream().make(B::MKFIFO, "root/fifo").bytes(), "is a fifo", lx());
    expect_refused(image_stream().make(B::MKSOCK, "root/sock").bytes(), "is a socket", lx());

    auto suid = image_stream();
    suid.mkfile("root/sh").chmod("root/sh", 04755).end();
    expect_refused(suid.bytes(), "entry \"root/sh\" is setuid/setgid");
    EXPECT_TRUE(check(suid.bytes(), lx()).has_value());
    auto sgid_dir = image_stream(); // root/etc is 02775 in image_stream(): a directory may
    EXPECT_TRUE(check(sgid_dir.end().bytes()).has_value());
    auto sgid_root = image_stream();
    expect_refused(
        sgid_root.chmod("", 04755).mkfile("x").chmod("x", 02755).bytes(), "setuid/setgid");

    auto absolute = image_stream();
    absolute.symlink("root/passwd", "/etc/passwd").end();
    expect_refused(absolute.bytes(), "has an absolute target \"/etc/passwd\"");
    EXPECT_TRUE(check(absolute.bytes(), lx()).has_value());
    expect_refused(image_stream().symlink("root/l", "").bytes(), "has no target", lx());

    auto caps = image_stream();
    caps.mkfile("root/ping").set_xattr("root/ping", "security.capability", std::string(20, '\1'));
    caps.end();
    expect_refused(caps.bytes(), "file capabilities");
    EXPECT_TRUE(check(caps.bytes(), lx()).has_value());
    expect_refused(
        image_stream().set_xattr("root", "trusted.overlay.opaque", "y").bytes(), "trusted.", lx());
    expect_refused(
        image_stream().set_xattr("root", "security.selinux", "x").bytes(), "security.", lx());

    auto clone = image_stream();
    clone.mkfile("root/stolen")
        .clone("root/stolen", 0, 4096, B::uuid_of('\x44'), 3, "root/etc/shadow");
    expect_refused(clone.bytes(), "from another subvolume");

    B v2 = image_stream(2);
    expect_refused(v2.fileattr("root/etc/motd", 0x10).bytes(), "immutable or append-only");
    B v2ok = image_stream(2);
    EXPECT_TRUE(check(v2ok.fileattr("root/etc/motd", 0).end().bytes()).has_value());
}

TEST(BtrfsStream, RelayPassesCheckedCommandsAndStopsAtTheFirstRefusal)
{
    for (bool hostile : { false, true }) {
        B b = image_stream();
        if (hostile) {
            b.write("../../x", 0, "x");
        }
        b.mkfile("root/after").end();
        std::string const bytes = b.bytes();
        int fds[2];
        ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
        UniqueFd in(fds[0]);
        std::thread writer([&bytes, out = UniqueFd(fds[1])]() {
            (void)write_fully(out.get(), bytes.data() + 100, bytes.size() - 100);
        });
        auto relay = image::detail::CheckedRelay::start(bytes.substr(0, 100), in.get(), zone());
        ASSERT_TRUE(relay.has_value());
        std::string got;
        char buffer[4096];
        for (ssize_t n; (n = ::read(relay->fd(), buffer, sizeof buffer)) > 0;) {
            got.append(buffer, static_cast<size_t>(n));
        }
        auto verdict = relay->finish();
        writer.join();
        if (hostile) {
            ASSERT_FALSE(verdict.has_value());
            EXPECT_NE(verdict.error().message.find("\"../../x\""), std::string::npos);
            // At most what came before the bad command.
            EXPECT_TRUE(image_stream().bytes().starts_with(got));
        } else {
            ASSERT_TRUE(verdict.has_value()) << verdict.error().message;
            EXPECT_EQ(got, bytes);
        }
    }
}

} // namespace
} // namespace lumos::test
