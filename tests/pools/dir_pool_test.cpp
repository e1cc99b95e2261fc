// SPDX-License-Identifier: MPL-2.0
// The dir backend and the registry's implicit pool, in a temp directory (no root needed).
#include "pools/backends.hpp"
#include "pools/detail/dataset_db.hpp"
#include "pools/pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <sys/stat.h>

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

TEST_F(DirPoolTest, CreateListInfoDestroy)
{
    ASSERT_TRUE(
        m_pool->create_filesystem("zones/a", { .quota_bytes = 10ULL << 30, .properties = {} }));
    EXPECT_TRUE(fs::is_directory(mp() + "/a"));
    EXPECT_EQ(m_pool->path_of("zones/a"), mp() + "/a");
    EXPECT_TRUE(*m_pool->exists("zones/a"));
    EXPECT_FALSE(*m_pool->exists("zones/b"));
    write(mp() + "/a/file", std::string(8192, 'x'));

    auto info = m_pool->info("zones/a");
    ASSERT_TRUE(info) << info.error().message();
    EXPECT_EQ(info->type, DatasetType::Filesystem);
    EXPECT_EQ(info->quota_bytes, 10ULL << 30);
    EXPECT_GE(info->used_bytes, 8192U);
    EXPECT_GT(info->creation, 0);
    EXPECT_FALSE(m_pool->enforces_quotas());

    auto again = m_pool->create_filesystem("zones/a", {});
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code(), ErrorCode::AlreadyExists);

    auto listed = m_pool->list();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 1U);
    EXPECT_EQ(listed->front().name, "zones/a");

    ASSERT_TRUE(m_pool->destroy("zones/a", Recursive::No));
    EXPECT_FALSE(fs::exists(mp() + "/a"));
    EXPECT_FALSE(*m_pool->exists("zones/a"));
    EXPECT_EQ(m_pool->info("zones/a").error().code(), ErrorCode::NotFound);
}

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

TEST_F(DirPoolTest, ParentsMustExistExceptCores)
{
    auto orphan = m_pool->create_filesystem("zones/a/data", {});
    ASSERT_FALSE(orphan);
    EXPECT_EQ(orphan.error().code(), ErrorCode::NotFound);
    ASSERT_TRUE(m_pool->create_filesystem("zones/cores/u1", {}));
    EXPECT_TRUE(*m_pool->exists("zones/cores"));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    auto listed = m_pool->list("zones/a");
    ASSERT_TRUE(listed);
    EXPECT_EQ(listed->size(), 2U);
}

TEST_F(DirPoolTest, SnapshotCloneOriginAndDependencies)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/img", {}));
    write(mp() + "/img/hello", "world");
    ASSERT_TRUE(m_pool->snapshot("zones/img@final"));
    write(mp() + "/img/hello", "changed");

    auto snap = m_pool->info("zones/img@final");
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->type, DatasetType::Snapshot);
    EXPECT_EQ(test::read_file(snap->path + "/hello"), "world");
    EXPECT_EQ(m_pool->path_of("zones/img@final"), snap->path);

    ASSERT_TRUE(m_pool->clone(
        "zones/img@final", "zones/vm1", { .quota_bytes = 1ULL << 30, .properties = {} }));
    EXPECT_EQ(test::read_file(mp() + "/vm1/hello"), "world");
    auto clone = m_pool->info("zones/vm1");
    ASSERT_TRUE(clone);
    EXPECT_EQ(clone->origin, "zones/img@final");
    EXPECT_EQ(clone->quota_bytes, 1ULL << 30);

    auto busy = m_pool->destroy("zones/img@final", Recursive::No);
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error().code(), ErrorCode::Busy);
    auto busy_recursive = m_pool->destroy("zones/img", Recursive::Yes);
    ASSERT_FALSE(busy_recursive);
    EXPECT_EQ(busy_recursive.error().code(), ErrorCode::Busy);

    ASSERT_TRUE(m_pool->destroy("zones/vm1", Recursive::No));
    ASSERT_TRUE(m_pool->destroy("zones/img@final", Recursive::No));
}

TEST_F(DirPoolTest, SnapshotLeavesChildDatasetsOut)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    write(mp() + "/a/data/secret", "x");
    write(mp() + "/a/mine", "y");
    ASSERT_TRUE(m_pool->snapshot("zones/a@s"));
    auto snap = m_pool->info("zones/a@s");
    ASSERT_TRUE(snap);
    EXPECT_TRUE(fs::exists(snap->path + "/mine"));
    EXPECT_TRUE(fs::is_directory(snap->path + "/data"));
    EXPECT_FALSE(fs::exists(snap->path + "/data/secret"));
}

TEST_F(DirPoolTest, HoldsRefuseDestroy)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a@indestructible"));
    ASSERT_TRUE(m_pool->hold("zones/a@indestructible", "do_not_destroy"));
    EXPECT_EQ(m_pool->hold("zones/a@indestructible", "do_not_destroy").error().code(),
        ErrorCode::AlreadyExists);
    auto info = m_pool->info("zones/a@indestructible");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->holds, std::vector<std::string> { "do_not_destroy" });
    EXPECT_EQ(
        m_pool->destroy("zones/a@indestructible", Recursive::No).error().code(), ErrorCode::Busy);
    EXPECT_EQ(m_pool->destroy("zones/a", Recursive::Yes).error().code(), ErrorCode::Busy);
    EXPECT_TRUE(*m_pool->exists("zones/a@indestructible"));
    ASSERT_TRUE(m_pool->release("zones/a@indestructible", "do_not_destroy"));
    EXPECT_EQ(m_pool->release("zones/a@indestructible", "do_not_destroy").error().code(),
        ErrorCode::NotFound);
    ASSERT_TRUE(m_pool->destroy("zones/a@indestructible", Recursive::No));
}

TEST_F(DirPoolTest, DestroyNeedsRecursiveForChildrenAndSnapshots)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a/data@s1"));
    ASSERT_TRUE(m_pool->snapshot("zones/a@s1"));
    EXPECT_EQ(m_pool->destroy("zones/a", Recursive::No).error().code(), ErrorCode::Busy);
    ASSERT_TRUE(m_pool->destroy("zones/a", Recursive::Yes));
    EXPECT_TRUE(m_pool->list()->empty());
    EXPECT_FALSE(fs::exists(mp() + "/a"));
    EXPECT_TRUE(fs::is_empty(mp() + "/.snapshots"));
}

TEST_F(DirPoolTest, RenameCarriesSnapshotsChildrenAndOrigins)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    write(mp() + "/a/f", "1");
    ASSERT_TRUE(m_pool->snapshot("zones/a@final"));
    ASSERT_TRUE(m_pool->clone("zones/a@final", "zones/c", {}));
    ASSERT_TRUE(m_pool->rename("zones/a", "zones/b"));
    EXPECT_FALSE(*m_pool->exists("zones/a"));
    EXPECT_TRUE(*m_pool->exists("zones/b"));
    EXPECT_TRUE(*m_pool->exists("zones/b/data"));
    EXPECT_TRUE(*m_pool->exists("zones/b@final"));
    EXPECT_EQ(test::read_file(mp() + "/b/f"), "1");
    EXPECT_EQ(m_pool->info("zones/c")->origin, "zones/b@final");
    // Snapshot rename (imgadm create moves an existing @final aside).
    ASSERT_TRUE(m_pool->rename("zones/b@final", "zones/b@old"));
    EXPECT_EQ(m_pool->info("zones/c")->origin, "zones/b@old");
    EXPECT_FALSE(m_pool->rename("zones/b@old", "zones/c@old"));
}

TEST_F(DirPoolTest, VolumesAndClones)
{
    ASSERT_TRUE(m_pool->create_volume("zones/vm-disk0", 1ULL << 30, {}));
    struct stat st { };
    ASSERT_EQ(::stat((mp() + "/vm-disk0").c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), 1ULL << 30);
    EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 1ULL << 20); // sparse
    auto info = m_pool->info("zones/vm-disk0");
    ASSERT_TRUE(info);
    EXPECT_EQ(info->type, DatasetType::Volume);
    EXPECT_EQ(info->volume_size_bytes, 1ULL << 30);
    ASSERT_TRUE(m_pool->snapshot("zones/vm-disk0@final"));
    ASSERT_TRUE(m_pool->clone("zones/vm-disk0@final", "zones/vm2-disk0", {}));
    auto clone = m_pool->info("zones/vm2-disk0");
    ASSERT_TRUE(clone);
    EXPECT_EQ(clone->type, DatasetType::Volume);
    EXPECT_EQ(clone->volume_size_bytes, 1ULL << 30);
    EXPECT_EQ(clone->origin, "zones/vm-disk0@final");
}

TEST_F(DirPoolTest, ResizeVolumeChangesTheFileAndVolsize)
{
    // test-bhyve-disk-resize.js: update_disks size changes the volume itself.
    ASSERT_TRUE(m_pool->create_volume("zones/vm-disk0", 2ULL << 20, {}));
    std::fstream(mp() + "/vm-disk0", std::ios::in | std::ios::out) << "boot sector"; // in place
    ASSERT_TRUE(m_pool->snapshot("zones/vm-disk0@before"));
    auto size_of = [this](std::string const& rel) {
        struct stat st { };
        EXPECT_EQ(::stat((mp() + "/" + rel).c_str(), &st), 0) << rel;
        return static_cast<uint64_t>(st.st_size);
    };
    EXPECT_EQ(size_of("vm-disk0"), 2ULL << 20);
    ASSERT_TRUE(m_pool->resize_volume("zones/vm-disk0", 3ULL << 20));
    EXPECT_EQ(size_of("vm-disk0"), 3ULL << 20);
    EXPECT_EQ(m_pool->info("zones/vm-disk0")->volume_size_bytes, 3ULL << 20);
    std::ifstream in(mp() + "/vm-disk0");
    std::string head(11, '\0');
    in.read(head.data(), 11);
    EXPECT_EQ(head, "boot sector"); // growing keeps the data
    // The snapshot keeps its size.
    struct stat snap { };
    ASSERT_EQ(::stat(m_pool->info("zones/vm-disk0@before")->path.c_str(), &snap), 0);
    EXPECT_EQ(static_cast<uint64_t>(snap.st_size), 2ULL << 20);

    ASSERT_TRUE(m_pool->resize_volume("zones/vm-disk0", 1ULL << 20));
    EXPECT_EQ(size_of("vm-disk0"), 1ULL << 20);
    EXPECT_EQ(m_pool->info("zones/vm-disk0")->volume_size_bytes, 1ULL << 20);

    ASSERT_TRUE(m_pool->create_filesystem("zones/fs", {}));
    EXPECT_EQ(
        m_pool->resize_volume("zones/fs", 1ULL << 20).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(m_pool->resize_volume("zones/vm-disk0@before", 1ULL << 20).error().code(),
        ErrorCode::InvalidArgument);
    EXPECT_EQ(m_pool->resize_volume("zones/nope", 1ULL << 20).error().code(), ErrorCode::NotFound);
    EXPECT_EQ(
        m_pool->resize_volume("zones/vm-disk0", 0).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(size_of("vm-disk0"), 1ULL << 20);
}

TEST_F(DirPoolTest, QuotaAndUserPropertiesAreStored)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->set_quota("zones/a", 5ULL << 30));
    EXPECT_EQ(m_pool->info("zones/a")->quota_bytes, 5ULL << 30);
    ASSERT_TRUE(m_pool->set_quota("zones/a", std::nullopt));
    EXPECT_FALSE(m_pool->info("zones/a")->quota_bytes.has_value());
    ASSERT_TRUE(m_pool->set_user_property("zones/a", "imgadm:ignore", "true"));
    EXPECT_EQ(m_pool->info("zones/a")->user_properties.at("imgadm:ignore"), "true");
}

TEST_F(DirPoolTest, SendIsUnsupported)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a@s"));
    EXPECT_EQ(m_pool->send("zones/a@s", std::nullopt, 1).error().code(), ErrorCode::Unsupported);
}

TEST_F(DirPoolTest, ExistingDataIsNotTakenOver)
{
    fs::create_directories(mp() + "/mine");
    write(mp() + "/mine/f", "keep");
    auto made = m_pool->create_filesystem("zones/mine", {});
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code(), ErrorCode::AlreadyExists);
    EXPECT_EQ(test::read_file(mp() + "/mine/f"), "keep");
    fs::create_directories(mp() + "/empty");
    EXPECT_TRUE(m_pool->create_filesystem("zones/empty", {}));
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

TEST_F(DirPoolTest, RollbackRestoresContentKeepsChildrenAndDropsLaterSnapshots)
{
    ASSERT_TRUE(
        m_pool->create_filesystem("zones/a", { .quota_bytes = 1ULL << 30, .properties = {} }));
    ASSERT_TRUE(m_pool->create_filesystem("zones/a/data", {}));
    write(mp() + "/a/f", "one");
    write(mp() + "/a/data/d", "kept");
    ASSERT_TRUE(m_pool->snapshot("zones/a@vmsnap-1"));
    write(mp() + "/a/f", "two");
    write(mp() + "/a/extra", "x");
    ASSERT_TRUE(m_pool->snapshot("zones/a@vmsnap-2"));
    write(mp() + "/a/f", "three");
    ASSERT_TRUE(m_pool->snapshot("zones/a/data@later")); // another dataset's: stays

    ASSERT_TRUE(m_pool->rollback("zones/a@vmsnap-1"));
    EXPECT_EQ(test::read_file(mp() + "/a/f"), "one");
    EXPECT_FALSE(fs::exists(mp() + "/a/extra"));
    EXPECT_EQ(test::read_file(mp() + "/a/data/d"), "kept");
    EXPECT_TRUE(*m_pool->exists("zones/a@vmsnap-1"));
    EXPECT_FALSE(*m_pool->exists("zones/a@vmsnap-2"));
    EXPECT_TRUE(*m_pool->exists("zones/a/data@later"));
    EXPECT_EQ(m_pool->info("zones/a")->quota_bytes, 1ULL << 30);
    EXPECT_FALSE(fs::exists(mp() + "/.lumos/tmp"));
    // Listing the snapshots directory: vmsnap-1, data@later.
    size_t stored = 0;
    for ([[maybe_unused]] auto const& item : fs::directory_iterator(mp() + "/.snapshots")) {
        ++stored;
    }
    EXPECT_EQ(stored, 2U);
}

TEST_F(DirPoolTest, RollbackRefusesHeldOrClonedLaterSnapshots)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    write(mp() + "/a/f", "one");
    ASSERT_TRUE(m_pool->snapshot("zones/a@s1"));
    write(mp() + "/a/f", "two");
    ASSERT_TRUE(m_pool->snapshot("zones/a@s2"));
    ASSERT_TRUE(m_pool->hold("zones/a@s2", "do_not_destroy"));
    EXPECT_EQ(m_pool->rollback("zones/a@s1").error().code(), ErrorCode::Busy);
    EXPECT_EQ(test::read_file(mp() + "/a/f"), "two");
    ASSERT_TRUE(m_pool->release("zones/a@s2", "do_not_destroy"));
    ASSERT_TRUE(m_pool->clone("zones/a@s2", "zones/b", {}));
    EXPECT_EQ(m_pool->rollback("zones/a@s1").error().code(), ErrorCode::Busy);
    // Rolling back to the newest snapshot destroys nothing.
    write(mp() + "/a/f", "three");
    ASSERT_TRUE(m_pool->rollback("zones/a@s2"));
    EXPECT_EQ(test::read_file(mp() + "/a/f"), "two");
}

TEST_F(DirPoolTest, RollbackOfAVolume)
{
    ASSERT_TRUE(m_pool->create_volume("zones/v-disk0", 1 << 20, {}));
    write(mp() + "/v-disk0", "before");
    ASSERT_TRUE(m_pool->snapshot("zones/v-disk0@s"));
    write(mp() + "/v-disk0", "after!");
    ASSERT_TRUE(m_pool->rollback("zones/v-disk0@s"));
    EXPECT_EQ(test::read_file(mp() + "/v-disk0"), "before");
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
