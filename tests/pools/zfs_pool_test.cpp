// SPDX-License-Identifier: MPL-2.0
// The zfs backend through a fake command runner: the zfs(8) command lines it generates, and
// how it reads zfs's output and errors.
#include "pools/backends.hpp"
#include "pools/pool_setup.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace lumos::pools {
namespace {

class FakeRunner final : public CommandRunner {
public:
    Result<CommandOutput> run(std::vector<std::string> const& argv, CommandIo const& io) override
    {
        calls.push_back(argv);
        ios.push_back(io);
        if (replies.empty()) {
            return CommandOutput {};
        }
        auto reply = replies.front();
        replies.pop_front();
        return reply;
    }

    void reply(int status, std::string out, std::string err = {})
    {
        replies.push_back(CommandOutput { status, std::move(out), std::move(err) });
    }

    std::vector<std::vector<std::string>> calls;
    std::vector<CommandIo> ios;
    std::deque<CommandOutput> replies;
};

using Argv = std::vector<std::string>;

class ZfsPoolTest : public ::testing::Test {
protected:
    ZfsPoolTest()
    {
        PoolConfig config;
        config.name = "zones";
        config.backend = Backend::Zfs;
        config.mountpoint = "/zones";
        m_pool = make_zfs_pool(config, m_runner);
    }

    FakeRunner m_runner;
    std::unique_ptr<Pool> m_pool;
};

TEST_F(ZfsPoolTest, CreateCommands)
{
    EXPECT_TRUE(m_pool->enforces_quotas());
    EXPECT_EQ(m_pool->backend(), Backend::Zfs);
    ASSERT_TRUE(m_pool->create_filesystem(
        "zones/u1", { .quota_bytes = 10ULL << 30, .properties = { { "compression", "lz4" } } }));
    ASSERT_TRUE(m_pool->create_filesystem(
        "zones/cores/u1", { .quota_bytes = 102400ULL << 20, .properties = {} }));
    ASSERT_TRUE(m_pool->create_volume("zones/u1-disk0", 1ULL << 30, {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/u2", { .quota_bytes = 1000, .properties = {} }));
    ASSERT_EQ(m_runner.calls.size(), 4U);
    EXPECT_EQ(m_runner.calls[0],
        (Argv { "zfs", "create", "-o", "quota=10g", "-o", "compression=lz4", "zones/u1" }));
    EXPECT_EQ(
        m_runner.calls[1], (Argv { "zfs", "create", "-p", "-o", "quota=100g", "zones/cores/u1" }));
    EXPECT_EQ(
        m_runner.calls[2], (Argv { "zfs", "create", "-s", "-V", "1073741824", "zones/u1-disk0" }));
    EXPECT_EQ(m_runner.calls[3], (Argv { "zfs", "create", "-o", "quota=1000", "zones/u2" }));
}

TEST_F(ZfsPoolTest, SnapshotCloneRenameDestroyHold)
{
    ASSERT_TRUE(m_pool->snapshot("zones/img@final"));
    ASSERT_TRUE(m_pool->clone(
        "zones/img@final", "zones/u1", { .quota_bytes = 5ULL << 30, .properties = {} }));
    ASSERT_TRUE(m_pool->rename("zones/u1", "zones/u1-reprovisioning-root"));
    ASSERT_TRUE(m_pool->destroy("zones/u1", Recursive::Yes));
    ASSERT_TRUE(m_pool->destroy("zones/u1@s", Recursive::No));
    ASSERT_TRUE(m_pool->hold("zones/u1@s", "do_not_destroy"));
    ASSERT_TRUE(m_pool->release("zones/u1@s", "do_not_destroy"));
    ASSERT_TRUE(m_pool->set_quota("zones/u1", std::nullopt));
    ASSERT_TRUE(m_pool->set_quota("zones/u1", 20ULL << 30));
    ASSERT_TRUE(m_pool->set_user_property("zones/u1", "imgadm:ignore", "true"));
    ASSERT_TRUE(m_pool->rollback("zones/u1@vmsnap-a"));
    std::vector<Argv> expected {
        { "zfs", "snapshot", "zones/img@final" },
        { "zfs", "clone", "-o", "quota=5g", "zones/img@final", "zones/u1" },
        { "zfs", "rename", "zones/u1", "zones/u1-reprovisioning-root" },
        { "zfs", "destroy", "-r", "zones/u1" },
        { "zfs", "destroy", "zones/u1@s" },
        { "zfs", "hold", "do_not_destroy", "zones/u1@s" },
        { "zfs", "release", "do_not_destroy", "zones/u1@s" },
        { "zfs", "set", "quota=none", "zones/u1" },
        { "zfs", "set", "quota=20g", "zones/u1" },
        { "zfs", "set", "imgadm:ignore=true", "zones/u1" },
        { "zfs", "rollback", "-r", "zones/u1@vmsnap-a" },
    };
    EXPECT_EQ(m_runner.calls, expected);
}

TEST_F(ZfsPoolTest, ErrorsKeepStderrAndMapToCodes)
{
    m_runner.reply(1, "", "cannot destroy 'zones/img@final': snapshot has dependent clones\n");
    auto busy = m_pool->destroy("zones/img@final", Recursive::No);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code(), ErrorCode::Busy);
    EXPECT_NE(busy.error().message().find("dependent clones"), std::string::npos);

    m_runner.reply(1, "", "cannot open 'zones/nope': dataset does not exist\n");
    EXPECT_EQ(m_pool->snapshot("zones/nope@s").error().code(), ErrorCode::NotFound);
    m_runner.reply(1, "", "cannot create 'zones/a': dataset already exists\n");
    EXPECT_EQ(m_pool->create_filesystem("zones/a", {}).error().code(), ErrorCode::AlreadyExists);
    EXPECT_EQ(m_pool->create_filesystem("other/a", {}).error().code(), ErrorCode::InvalidArgument);
}

TEST_F(ZfsPoolTest, ResizeVolumeSetsVolsize)
{
    // test-bhyve-disk-resize.js: the zvol's volsize changes; zfs's refusal keeps its words.
    ASSERT_TRUE(m_pool->resize_volume("zones/u1/disk1", 3ULL << 30));
    EXPECT_EQ(
        m_runner.calls.back(), (Argv { "zfs", "set", "volsize=3221225472", "zones/u1/disk1" }));
    m_runner.reply(
        1, "", "cannot set property for 'zones/u1/disk1': size is greater than available space\n");
    auto refused = m_pool->resize_volume("zones/u1/disk1", 1ULL << 40);
    ASSERT_FALSE(refused);
    EXPECT_NE(
        refused.error().message().find("size is greater than available space"), std::string::npos);
    size_t const calls = m_runner.calls.size();
    EXPECT_EQ(
        m_pool->resize_volume("zones/u1/disk1", 0).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(
        m_pool->resize_volume("other/u1/disk1", 1).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(m_runner.calls.size(), calls);
}

TEST_F(ZfsPoolTest, ExistsAndList)
{
    m_runner.reply(0, "zones/u1\n");
    EXPECT_TRUE(*m_pool->exists("zones/u1"));
    m_runner.reply(1, "", "cannot open 'zones/u2': dataset does not exist\n");
    EXPECT_FALSE(*m_pool->exists("zones/u2"));

    m_runner.reply(0,
        "zones\tfilesystem\t-\t1000\t0\t-\t1700000000\t-\t/zones\n"
        "zones/img\tfilesystem\t-\t4096\t0\t-\t1700000001\t-\t/zones/img\n"
        "zones/img@final\tsnapshot\t-\t0\t-\t-\t1700000002\t1\t-\n"
        "zones/u1\tfilesystem\tzones/img@final\t8192\t10737418240\t-\t1700000003\t-\t/zones/u1\n"
        "zones/u1-disk0\tvolume\t-\t512\t-\t1073741824\t1700000004\t-\t-\n");
    auto listed = m_pool->list();
    ASSERT_TRUE(listed) << listed.error().message();
    EXPECT_EQ(m_runner.calls.back(),
        (Argv { "zfs", "list", "-H", "-p", "-t", "all", "-r", "-o",
            "name,type,origin,used,quota,volsize,creation,userrefs,mountpoint", "zones" }));
    ASSERT_EQ(listed->size(), 4U);
    auto const& img = (*listed)[0];
    EXPECT_EQ(img.name, "zones/img");
    EXPECT_FALSE(img.quota_bytes.has_value());
    auto const& snap = (*listed)[1];
    EXPECT_EQ(snap.type, DatasetType::Snapshot);
    EXPECT_EQ(snap.path, "/zones/img/.zfs/snapshot/final");
    EXPECT_EQ(snap.holds.size(), 1U);
    auto const& u1 = (*listed)[2];
    EXPECT_EQ(u1.origin, "zones/img@final");
    EXPECT_EQ(u1.quota_bytes, 10ULL << 30);
    EXPECT_EQ(u1.used_bytes, 8192U);
    EXPECT_EQ(u1.creation, 1700000003);
    EXPECT_EQ(u1.path, "/zones/u1");
    auto const& disk = (*listed)[3];
    EXPECT_EQ(disk.type, DatasetType::Volume);
    EXPECT_EQ(disk.volume_size_bytes, 1ULL << 30);
    EXPECT_EQ(disk.path, "/zones/u1-disk0");
}

TEST_F(ZfsPoolTest, InfoReadsHoldsAndUserProperties)
{
    m_runner.reply(0, "zones/img@final\tsnapshot\t-\t0\t-\t-\t1700000002\t1\t-\n");
    m_runner.reply(0, "zones/img@final\tdo_not_destroy\tThu Nov 23 10:00 2023\n");
    m_runner.reply(0, "imgadm:ignore\ttrue\ncompression\tlz4\n");
    auto info = m_pool->info("zones/img@final");
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->holds, std::vector<std::string> { "do_not_destroy" });
    EXPECT_EQ(info->user_properties,
        (std::map<std::string, std::string> { { "imgadm:ignore", "true" } }));
    EXPECT_EQ(m_runner.calls[1], (Argv { "zfs", "holds", "-H", "zones/img@final" }));
}

TEST_F(ZfsPoolTest, SendAndReceivePassTheDescriptor)
{
    ASSERT_TRUE(m_pool->send("zones/u1@b", std::string("zones/u1@a"), 7));
    EXPECT_EQ(m_runner.calls[0], (Argv { "zfs", "send", "-i", "zones/u1@a", "zones/u1@b" }));
    EXPECT_EQ(m_runner.ios[0].stdout_fd, 7);
    ASSERT_TRUE(m_pool->receive("zones/u2", 9));
    EXPECT_EQ(m_runner.calls[1], (Argv { "zfs", "receive", "zones/u2" }));
    EXPECT_EQ(m_runner.ios[1].stdin_fd, 9);
}

TEST(ZfsRegistryTest, CreateChecksThatThePoolExists)
{
    test::TempRoot root;
    Paths paths(root.str());
    FakeRunner runner;
    runner.reply(1, "", "cannot open 'tank': dataset does not exist\n");
    PoolRegistry::CreateRequest request;
    request.name = "tank";
    request.backend = Backend::Zfs;
    auto missing = create_pool(paths, request, runner);
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message().find("zpool create"), std::string::npos);

    runner.reply(0, "tank\n");
    runner.reply(0, "/tank\n");
    auto made = create_pool(paths, request, runner);
    ASSERT_TRUE(made) << made.error().message();
    EXPECT_EQ(made->mountpoint, "/tank");
    EXPECT_TRUE(made->quotas);
    PoolRegistry registry(paths);
    EXPECT_EQ(registry.names(), (std::vector<std::string> { "zones", "tank" }));
    auto pool = registry.open("tank");
    ASSERT_TRUE(pool);
    EXPECT_EQ((*pool)->backend(), Backend::Zfs);
}

} // namespace
} // namespace lumos::pools
