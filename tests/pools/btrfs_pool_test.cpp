// SPDX-License-Identifier: MPL-2.0
// What is the btrfs backend's own, on a loop device each test makes (root only): subvolumes,
// read-only snapshots, O(1) clones, qgroup quotas, NOCOW metadata, streams between pools,
// remounting; and lumosadm pool create/list/destroy as a user runs it. Every image, loop device
// and mount is removed again. pool.hpp's contract, which btrfs shares with every backend, is
// pool_contract_test.cpp.
#include "base/file.hpp"
#include "base/sizes.hpp"
#include "pools/backends.hpp"
#include "pools/fill_file.hpp"
#include "pools/loop_btrfs_pool.hpp"
#include "pools/pool.hpp"
#include "pools/pool_setup.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lumos::pools {
namespace {

namespace fs = std::filesystem;

uint64_t fs_used(std::string const& path)
{
    struct statvfs st { };
    ::statvfs(path.c_str(), &st);
    return static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
}

// A btrfs pool "zones" on a loop-backed file in a temporary LUMOS_ROOT, destroyed afterwards.
class BtrfsPoolTest : public ::testing::Test {
protected:
    void make_pool(bool quotas)
    {
        if (auto reason = test::LoopBtrfsPool::unavailable(); !reason.empty()) {
            GTEST_SKIP() << reason;
        }
        auto made = m_loop.make({ .name = "zones", .quotas = quotas, .size_bytes = 512 * MIB });
        ASSERT_TRUE(made) << made.error().message();
        m_pool = m_loop.open();
    }

    void SetUp() override { make_pool(true); }

    std::string mp() const { return m_loop.mountpoint(); }

    test::LoopBtrfsPool m_loop;
    std::unique_ptr<Pool> m_pool; // destroyed before the pool it stands for
};

class BtrfsNoQuotaPoolTest : public BtrfsPoolTest {
protected:
    void SetUp() override { make_pool(false); }
};

bool is_subvolume(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0 && st.st_ino == 256;
}

bool is_nocow(std::string const& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    int flags = 0;
    return fd.valid() && ::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) == 0
        && (flags & FS_NOCOW_FL) != 0;
}

TEST_F(BtrfsNoQuotaPoolTest, MetadataFilesAreNocowAlsoAfterConversion)
{
    // In-place overwrites of NOCOW files need no new space: what lets a full pool commit.
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    EXPECT_TRUE(is_nocow(mp() + "/.lumos"));
    EXPECT_TRUE(is_nocow(mp() + "/.lumos/datasets.db"));
    EXPECT_TRUE(is_nocow(mp() + "/.lumos/datasets.db-journal"));
    // A pool from before the database: its .lumos was made copy-on-write.
    auto const legacy = mp() + "/legacy";
    fs::create_directories(legacy + "/.lumos");
    ASSERT_FALSE(is_nocow(legacy + "/.lumos"));
    std::ofstream(legacy + "/.lumos/datasets.json")
        << R"({"version":1,"generation":1,"datasets":{"x":{"type":"filesystem","creation":1}}})";
    fs::create_directories(legacy + "/x");
    PoolConfig config = m_loop.config();
    config.mountpoint = legacy;
    config.quotas = false;
    auto pool = make_btrfs_pool(config);
    ASSERT_TRUE(pool->create_filesystem("zones/y", {}));
    EXPECT_TRUE(*pool->exists("zones/x"));
    EXPECT_FALSE(fs::exists(legacy + "/.lumos/datasets.json"));
    EXPECT_TRUE(is_nocow(legacy + "/.lumos/datasets.db"));
    EXPECT_TRUE(is_nocow(legacy + "/.lumos/datasets.db-journal"));
}

TEST_F(BtrfsPoolTest, SnapshotAndCloneAreSubvolumesAndCloneIsConstantTime)
{
    ASSERT_TRUE(m_pool->enforces_quotas());
    ASSERT_TRUE(m_pool->create_filesystem("zones/img", {}));
    EXPECT_TRUE(is_subvolume(mp() + "/img"));
    ASSERT_EQ(test::fill(mp() + "/img/blob", 64 * MIB).first, 0);
    ASSERT_TRUE(m_pool->snapshot("zones/img@final"));
    auto snap = m_pool->info("zones/img@final");
    ASSERT_TRUE(snap) << snap.error().message();
    EXPECT_TRUE(is_subvolume(snap->path));
    EXPECT_TRUE(snap->path.starts_with(mp() + "/.snapshots/"));
    // Read-only.
    int fd = ::open((snap->path + "/new").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_LT(fd, 0);
    EXPECT_EQ(errno, EROFS);

    ::sync();
    auto before = fs_used(mp());
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(m_pool->clone(
        "zones/img@final", "zones/vm1", { .quota_bytes = 256 * MIB, .properties = {} }));
    auto elapsed = std::chrono::steady_clock::now() - start;
    ::sync();
    EXPECT_LT(fs_used(mp()), before + 8 * MIB) << "a clone must share the snapshot's extents";
    EXPECT_LT(elapsed, std::chrono::seconds(2));
    EXPECT_TRUE(is_subvolume(mp() + "/vm1"));
    EXPECT_TRUE(fs::exists(mp() + "/vm1/blob"));
    auto clone = m_pool->info("zones/vm1");
    ASSERT_TRUE(clone);
    EXPECT_EQ(clone->origin, "zones/img@final");
    EXPECT_EQ(clone->quota_bytes, 256 * MIB);
    EXPECT_GE(clone->used_bytes, 60 * MIB); // qgroup referenced bytes
    // A renamed dataset is the same subvolume.
    ASSERT_TRUE(m_pool->rename("zones/vm1", "zones/vm2"));
    EXPECT_TRUE(is_subvolume(mp() + "/vm2"));
}

TEST_F(BtrfsPoolTest, CompressionPropertyMapsToBtrfs)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/", {}).has_value() == false);
    ASSERT_TRUE(m_pool->create_filesystem("zones/a",
        { .quota_bytes = std::nullopt,
            .properties = { { "compression", "gzip-6" }, { "recsize", "128k" } } }));
    auto shown = system_command_runner().run(
        { "btrfs", "property", "get", mp() + "/a", "compression" }, {});
    ASSERT_TRUE(shown);
    EXPECT_NE(shown->out.find("zlib"), std::string::npos) << shown->out;
}

TEST_F(BtrfsPoolTest, QuotaIsEnforcedAndCanBeChangedLive)
{
    ASSERT_TRUE(
        m_pool->create_filesystem("zones/q", { .quota_bytes = 20 * MIB, .properties = {} }));
    auto [error, written] = test::fill(mp() + "/q/blob", 64 * MIB);
    EXPECT_EQ(error, EDQUOT);
    EXPECT_LT(written, 32 * MIB);
    ::unlink((mp() + "/q/blob").c_str());
    ::sync();

    ASSERT_TRUE(m_pool->set_quota("zones/q", std::nullopt));
    EXPECT_EQ(test::fill(mp() + "/q/blob", 40 * MIB).first, 0);
    ::sync();
    auto info = m_pool->info("zones/q");
    ASSERT_TRUE(info);
    EXPECT_FALSE(info->quota_bytes.has_value());
    EXPECT_GE(info->used_bytes, 39 * MIB);

    ASSERT_TRUE(m_pool->set_quota("zones/q", 50 * MIB));
    EXPECT_EQ(m_pool->info("zones/q")->quota_bytes, 50 * MIB);
    EXPECT_EQ(test::fill(mp() + "/q/more", 40 * MIB).first, EDQUOT);
}

TEST_F(BtrfsNoQuotaPoolTest, QuotaIsReportedNotEnforced)
{
    EXPECT_FALSE(m_pool->enforces_quotas());
    ASSERT_TRUE(
        m_pool->create_filesystem("zones/q", { .quota_bytes = 10 * MIB, .properties = {} }));
    EXPECT_EQ(test::fill(mp() + "/q/blob", 30 * MIB).first, 0);
    auto info = m_pool->info("zones/q");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->quota_bytes, 10 * MIB);
    EXPECT_GE(info->used_bytes, 29 * MIB);
    auto notices = test::read_file(mp() + "/.lumos/notices.log");
    EXPECT_NE(notices.find("not enforced"), std::string::npos);
}

// Sends snapshot (incremental from `from` when given) of `source` into `target` on `destination`.
Result<void> pipe_through(Pool& source, std::string const& snapshot,
    std::optional<std::string> const& from, Pool& destination, std::string const& target)
{
    std::array<int, 2> pipe_fds {};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        return make_error(ErrorCode::System, "pipe");
    }
    Result<void> sent;
    std::thread sender([&] {
        sent = source.send(snapshot, from, pipe_fds[1]);
        ::close(pipe_fds[1]);
    });
    auto received = destination.receive(target, pipe_fds[0]);
    sender.join();
    ::close(pipe_fds[0]);
    if (!sent) {
        return sent;
    }
    return received;
}

TEST_F(BtrfsPoolTest, FullAndIncrementalStreamsToAnotherPool)
{
    test::LoopBtrfsPool other_loop;
    auto made = other_loop.make({ .name = "other", .quotas = true, .size_bytes = 512 * MIB });
    ASSERT_TRUE(made) << made.error().message();
    auto other = other_loop.open();
    auto const other_mp = other_loop.mountpoint();

    ASSERT_TRUE(m_pool->create_filesystem("zones/src", {}));
    std::ofstream(mp() + "/src/f") << "v1";
    ASSERT_TRUE(m_pool->snapshot("zones/src@s1"));
    std::ofstream(mp() + "/src/f") << "v2";
    std::ofstream(mp() + "/src/g") << "new";
    ASSERT_TRUE(m_pool->snapshot("zones/src@s2"));

    auto full = pipe_through(*m_pool, "zones/src@s1", std::nullopt, *other, "other/base");
    ASSERT_TRUE(full) << full.error().message();
    EXPECT_EQ(test::read_file(other_mp + "/base/f"), "v1");
    EXPECT_TRUE(*other->exists("other/base@s1"));

    auto incremental
        = pipe_through(*m_pool, "zones/src@s2", std::string("zones/src@s1"), *other, "other/next");
    ASSERT_TRUE(incremental) << incremental.error().message();
    EXPECT_EQ(test::read_file(other_mp + "/next/f"), "v2");
    EXPECT_EQ(test::read_file(other_mp + "/next/g"), "new");
    EXPECT_TRUE(*other->exists("other/next@s2"));
}

TEST_F(BtrfsPoolTest, VolumesCloneByReflink)
{
    ASSERT_TRUE(m_pool->create_volume("zones/vm-disk0", 256 * MIB, {}));
    ASSERT_EQ(test::fill(mp() + "/vm-disk0", 48 * MIB).first, 0);
    ASSERT_TRUE(m_pool->snapshot("zones/vm-disk0@final"));
    ::sync();
    auto before = fs_used(mp());
    ASSERT_TRUE(m_pool->clone("zones/vm-disk0@final", "zones/vm2-disk0", {}));
    ::sync();
    EXPECT_LT(fs_used(mp()), before + 8 * MIB) << "volume clones are reflinks";
    auto clone = m_pool->info("zones/vm2-disk0");
    ASSERT_TRUE(clone);
    EXPECT_EQ(clone->type, DatasetType::Volume);
    EXPECT_EQ(clone->origin, "zones/vm-disk0@final");
    EXPECT_EQ(fs::file_size(mp() + "/vm2-disk0"), 48 * MIB);
}

TEST_F(BtrfsPoolTest, DestroyRemovesSubvolumesUsersMadeInside)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    fs::create_directories(mp() + "/a/var/lib");
    ASSERT_EQ(system_command_runner()
                  .run({ "btrfs", "subvolume", "create", mp() + "/a/var/lib/inner" }, {})
                  ->status,
        0);
    ASSERT_EQ(system_command_runner()
                  .run({ "btrfs", "subvolume", "create", mp() + "/a/var/lib/inner/deeper" }, {})
                  ->status,
        0);
    ASSERT_TRUE(m_pool->destroy("zones/a", Recursive::No));
    EXPECT_FALSE(fs::exists(mp() + "/a"));
}

TEST_F(BtrfsPoolTest, RollbackSwapsInANewSubvolumeWithTheQuota)
{
    ASSERT_TRUE(
        m_pool->create_filesystem("zones/a", { .quota_bytes = 20 * MIB, .properties = {} }));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    std::ofstream(mp() + "/a/f") << "one";
    std::ofstream(mp() + "/a/data/d") << "kept";
    ASSERT_TRUE(m_pool->snapshot("zones/a@vmsnap-1"));
    std::ofstream(mp() + "/a/f") << "two";
    ASSERT_TRUE(m_pool->snapshot("zones/a@vmsnap-2"));
    ASSERT_TRUE(m_pool->rollback("zones/a@vmsnap-1"));
    EXPECT_EQ(test::read_file(mp() + "/a/f"), "one");
    EXPECT_EQ(test::read_file(mp() + "/a/data/d"), "kept");
    EXPECT_TRUE(is_subvolume(mp() + "/a"));
    EXPECT_TRUE(is_subvolume(mp() + "/a/data"));
    EXPECT_FALSE(*m_pool->exists("zones/a@vmsnap-2"));
    EXPECT_EQ(test::fill(mp() + "/a/blob", 64 * MIB).first, EDQUOT);
}

TEST_F(BtrfsPoolTest, ReopenAfterUnmountRemounts)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/keep", {}));
    m_pool.reset();
    ASSERT_EQ(system_command_runner().run({ "umount", mp() }, {})->status, 0);
    for (auto const& device : loop_devices_of(system_command_runner(), m_loop.config().file)) {
        ASSERT_EQ(system_command_runner().run({ "losetup", "-d", device }, {})->status, 0);
    }
    EXPECT_FALSE(is_mountpoint(mp()));
    PoolRegistry registry(m_loop.paths());
    auto pool = registry.open("zones");
    ASSERT_TRUE(pool) << pool.error().message();
    EXPECT_TRUE(is_mountpoint(mp()));
    EXPECT_TRUE(*(*pool)->exists("zones/keep"));
}

TEST(LumosadmTest, PoolCreateListDestroyWithFile)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (loop devices, mkfs.btrfs, mount)";
    }
    test::TempRoot root;
    auto const dir = root.str();
    test::RunOptions options;
    options.env = { { "LUMOS_ROOT", dir } };
    std::string bin = LUMOS_LUMOSADM_BIN;
    auto image = dir + "/pool.img";

    auto created = test::run(
        { bin, "pool", "create", "zones", "--backend", "btrfs", "--file", image, "--size", "300M" },
        options);
    EXPECT_EQ(created.exit_code, 0) << created.describe();
    EXPECT_TRUE(is_mountpoint(dir + "/zones"));

    auto listed = test::run({ bin, "pool", "list" }, options);
    EXPECT_EQ(listed.exit_code, 0) << listed.describe();
    EXPECT_NE(listed.out.find("NAME"), std::string::npos);
    EXPECT_NE(listed.out.find("btrfs"), std::string::npos);
    auto json = test::run({ bin, "pool", "list", "-j" }, options);
    EXPECT_NE(json.out.find("\"file\": \"" + image + "\""), std::string::npos) << json.out;

    auto again = test::run(
        { bin, "pool", "create", "zones", "--file", dir + "/other.img", "--size", "300M" },
        options);
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_TRUE(again.err.starts_with("lumosadm: error: ")) << again.err;
    EXPECT_FALSE(fs::exists(dir + "/other.img"));

    fs::create_directories(dir + "/full");
    std::ofstream(dir + "/full/f") << "x";
    auto hiding = test::run({ bin, "pool", "create", "full", "--file", dir + "/full.img", "--size",
                                "300M", "--mountpoint", dir + "/full" },
        options);
    EXPECT_EQ(hiding.exit_code, 1) << hiding.describe();
    EXPECT_NE(hiding.err.find("not empty"), std::string::npos) << hiding.err;
    EXPECT_FALSE(fs::exists(dir + "/full.img"));
    EXPECT_FALSE(is_mountpoint(dir + "/full"));

    auto usage = test::run({ bin, "pool", "create", "x", "--file", dir + "/x.img" }, options);
    EXPECT_EQ(usage.exit_code, 2);

    auto destroyed = test::run({ bin, "pool", "destroy", "zones" }, options);
    EXPECT_EQ(destroyed.exit_code, 0) << destroyed.describe();
    EXPECT_FALSE(is_mountpoint(dir + "/zones"));
    EXPECT_TRUE(loop_devices_of(system_command_runner(), image).empty());
    EXPECT_FALSE(fs::exists(image));

    if (is_mountpoint(dir + "/zones")) {
        (void)system_command_runner().run({ "umount", "-l", dir + "/zones" }, {});
    }
    for (auto const& device : loop_devices_of(system_command_runner(), image)) {
        (void)system_command_runner().run({ "losetup", "-d", device }, {});
    }
}

TEST(LumosadmTest, PoolOnADeviceIsUnmountedButTheDeviceKept)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (loop devices, mkfs.btrfs, mount)";
    }
    test::TempRoot root;
    auto const dir = root.str();
    auto image = dir + "/disk.img";
    {
        std::ofstream(image).flush();
    }
    fs::resize_file(image, 300 * MIB);
    auto attached = system_command_runner().run({ "losetup", "-f", "--show", image }, {});
    ASSERT_TRUE(attached && attached->status == 0);
    std::string device(attached->out.substr(0, attached->out.find('\n')));

    test::RunOptions options;
    options.env = { { "LUMOS_ROOT", dir } };
    std::string bin = LUMOS_LUMOSADM_BIN;
    auto created
        = test::run({ bin, "pool", "create", "tank", "--device", device, "--no-quotas" }, options);
    EXPECT_EQ(created.exit_code, 0) << created.describe();
    EXPECT_TRUE(is_mountpoint(dir + "/tank"));
    auto listed = test::run({ bin, "pool", "list" }, options);
    EXPECT_NE(listed.out.find("off"), std::string::npos) << listed.out;
    PoolRegistry registry { Paths(dir) };
    auto pool = registry.open("tank");
    ASSERT_TRUE(pool) << pool.error().message();
    EXPECT_FALSE((*pool)->enforces_quotas());
    pool->reset();

    auto destroyed = test::run({ bin, "pool", "destroy", "tank" }, options);
    EXPECT_EQ(destroyed.exit_code, 0) << destroyed.describe();
    EXPECT_FALSE(is_mountpoint(dir + "/tank"));
    EXPECT_EQ(loop_devices_of(system_command_runner(), image), std::vector<std::string> { device });

    if (is_mountpoint(dir + "/tank")) {
        (void)system_command_runner().run({ "umount", "-l", dir + "/tank" }, {});
    }
    (void)system_command_runner().run({ "losetup", "-d", device }, {});
}

TEST(BtrfsSetupTest, WithoutDeviceTheMountpointMustBeOnBtrfs)
{
    test::TempRoot root;
    Paths paths(root.str());
    PoolRegistry::CreateRequest request;
    request.name = "zones";
    request.backend = Backend::Btrfs;
    request.mountpoint = root.str() + "/zones";
    struct statvfs st { };
    ASSERT_EQ(::statvfs(root.str().c_str(), &st), 0);
    auto made = create_pool(paths, request, system_command_runner());
    // /tmp is not btrfs on our hosts; where it is, the pool is made in place.
    if (made) {
        EXPECT_EQ(made->backend, Backend::Btrfs);
        return;
    }
    EXPECT_EQ(made.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(made.error().message().find("not on btrfs"), std::string::npos);
    EXPECT_EQ(PoolRegistry(paths).names(), std::vector<std::string> { "zones" });
    EXPECT_EQ(PoolRegistry(paths).configs()->front().backend, Backend::Dir);
}

} // namespace
} // namespace lumos::pools
