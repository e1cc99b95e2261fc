// SPDX-License-Identifier: MPL-2.0
// What is the dir backend's own (its journal's crash recovery, hidden directories, two processes
// at once) and the registry's implicit pool, in a temp directory (no root needed). pool.hpp's
// contract, which dir shares with every backend, is pool_contract_test.cpp.
#include "pools/backends.hpp"
#include "pools/detail/dataset_db.hpp"
#include "pools/pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

namespace lumos::pools {
namespace {

namespace fs = std::filesystem;

class DirPoolTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        PoolConfig config;
        config.name = "zones";
        config.backend = Backend::Dir;
        config.mountpoint = m_root.str() + "/zones";
        config.quotas = false;
        fs::create_directories(config.mountpoint);
        m_pool = make_dir_pool(config);
    }

    std::string mp() const { return m_root.str() + "/zones"; }

    static void write(std::string const& path, std::string const& content)
    {
        std::ofstream(path) << content;
    }

    // Rewrites one row of the pool's database as a killed process would have left it.
    void edit_row(std::string const& name, std::function<void(detail::Entry&)> const& change)
    {
        auto db = detail::DatasetDb::open(mp() + "/.lumos", detail::DatasetDb::Access::Write);
        ASSERT_TRUE(db) << db.error().message();
        auto entry = db->get(name);
        ASSERT_TRUE(entry && *entry) << name;
        change(**entry);
        ASSERT_TRUE(db->put(name, **entry));
    }

    test::TempRoot m_root;
    std::unique_ptr<Pool> m_pool;
};

TEST_F(DirPoolTest, HiddenDirectoriesAreNeverDatasets)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a@s"));
    auto listed = m_pool->list();
    ASSERT_TRUE(listed);
    for (auto const& info : *listed) {
        EXPECT_EQ(info.name.find("zones/."), std::string::npos) << info.name;
    }
    EXPECT_FALSE(m_pool->create_filesystem("zones/.lumos", {}));
    EXPECT_FALSE(m_pool->create_filesystem("zones/../x", {}));
    EXPECT_FALSE(m_pool->create_filesystem("other/x", {}));
}

TEST_F(DirPoolTest, InterruptedOperationsAreCleanedUp)
{
    // What a process killed mid-create and mid-destroy leaves: journal entries whose data is
    // half there. Readers do not see them, and the next mutation removes them.
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/b", {}));
    edit_row("a", [](detail::Entry& entry) { entry.state = detail::EntryState::Creating; });
    edit_row("b", [](detail::Entry& entry) { entry.state = detail::EntryState::Destroying; });
    EXPECT_FALSE(*m_pool->exists("zones/a"));
    EXPECT_FALSE(*m_pool->exists("zones/b"));
    EXPECT_TRUE(m_pool->list()->empty());
    ASSERT_TRUE(m_pool->create_filesystem("zones/c", {}));
    EXPECT_FALSE(fs::exists(mp() + "/a"));
    EXPECT_FALSE(fs::exists(mp() + "/b"));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
}

TEST_F(DirPoolTest, InterruptedRenameFinishesOrRollsBack)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a@s"));
    // Killed after the rename(2): the new name wins.
    for (std::string key : { "a", "a@s" }) {
        edit_row(key, [](detail::Entry& entry) {
            entry.state = detail::EntryState::Renaming;
            entry.rename_root = "a";
            entry.rename_to = "z";
        });
    }
    fs::rename(mp() + "/a", mp() + "/z");
    ASSERT_TRUE(m_pool->create_filesystem("zones/other", {}));
    EXPECT_TRUE(*m_pool->exists("zones/z"));
    EXPECT_TRUE(*m_pool->exists("zones/z@s"));
    EXPECT_FALSE(*m_pool->exists("zones/a"));
}

TEST_F(DirPoolTest, InterruptedRollbackIsFinished)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    write(mp() + "/a/f", "old");
    // As a rollback killed after its journal commit and the move of the old content aside:
    // the dataset's directory is gone, the new content waits in scratch.
    fs::create_directories(mp() + "/.lumos/tmp/rollback-0011-new");
    write(mp() + "/.lumos/tmp/rollback-0011-new/f", "restored");
    fs::rename(mp() + "/a", mp() + "/.lumos/tmp/rollback-0011-old");
    edit_row("a", [](detail::Entry& entry) {
        entry.state = detail::EntryState::RollingBack;
        entry.rollback_id = "0011";
    });
    EXPECT_TRUE(*m_pool->exists("zones/a"));
    ASSERT_TRUE(m_pool->create_filesystem("zones/b", {}));
    EXPECT_EQ(test::read_file(mp() + "/a/f"), "restored");
    EXPECT_FALSE(fs::exists(mp() + "/.lumos/tmp"));
}

TEST_F(DirPoolTest, ConcurrentMutationsAreSerialized)
{
    // Two pool objects stand for two processes: each flock is on its own open file.
    PoolConfig config;
    config.name = "zones";
    config.backend = Backend::Dir;
    config.mountpoint = mp();
    auto other = make_dir_pool(config);
    auto work = [](Pool& pool, std::string const& prefix) {
        for (int i = 0; i < 15; ++i) {
            auto name = "zones/" + prefix + std::to_string(i);
            EXPECT_TRUE(pool.create_filesystem(name, {}));
            EXPECT_TRUE(pool.snapshot(name + "@s"));
        }
    };
    std::thread first([&] { work(*m_pool, "a"); });
    std::thread second([&] { work(*other, "b"); });
    first.join();
    second.join();
    auto listed = m_pool->list();
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 60U);
}

TEST(PoolRegistryTest, ImplicitDirPool)
{
    test::TempRoot root;
    PoolRegistry registry { Paths(root.str()) };
    EXPECT_EQ(registry.names(), std::vector<std::string> { "zones" });
    auto configs = registry.configs();
    ASSERT_TRUE(configs);
    ASSERT_EQ(configs->size(), 1U);
    EXPECT_EQ(configs->front().backend, Backend::Dir);
    EXPECT_FALSE(configs->front().quotas);
    auto pool = registry.open("zones");
    ASSERT_TRUE(pool) << pool.error().message();
    EXPECT_EQ((*pool)->name(), "zones");
    EXPECT_EQ((*pool)->backend(), Backend::Dir);
    EXPECT_TRUE(fs::is_directory((*pool)->mountpoint()));
    EXPECT_EQ((*pool)->path_of("zones/abc"), Paths(root.str()).pool_mountpoint("zones") + "/abc");
    ASSERT_TRUE((*pool)->create_filesystem("zones/abc", {}));
    EXPECT_EQ(registry.open("nope").error().code(), ErrorCode::NotFound);
}

TEST(PoolRegistryTest, DirPoolCreateAndDestroy)
{
    test::TempRoot root;
    PoolRegistry registry { Paths(root.str()) };
    PoolRegistry::CreateRequest request;
    request.name = "data";
    request.backend = Backend::Dir;
    auto made = registry.create(request);
    ASSERT_TRUE(made) << made.error().message();
    auto names = registry.names();
    EXPECT_EQ(names, (std::vector<std::string> { "zones", "data" }));
    EXPECT_EQ(registry.create(request).error().code(), ErrorCode::AlreadyExists);
    request.name = "1bad/name";
    EXPECT_EQ(registry.create(request).error().code(), ErrorCode::InvalidArgument);
    ASSERT_TRUE(registry.destroy("data"));
    EXPECT_EQ(registry.names(), std::vector<std::string> { "zones" });
    EXPECT_EQ(registry.destroy("data").error().code(), ErrorCode::NotFound);
}

} // namespace
} // namespace lumos::pools
