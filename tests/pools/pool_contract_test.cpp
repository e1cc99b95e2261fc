// SPDX-License-Identifier: MPL-2.0
// The Pool contract of pools/pool.hpp, one suite run against every backend: dir (in a temp
// directory, any user), btrfs (on a loop device; root and LUMOS_HOST_TESTS=1) and zfs (a pool on
// a file; only where zfs works). A backend that cannot run here skips with the reason.
//
// Each backend's pool is made once per run of the test program (ctest runs every case in a
// process of its own, so there once per case) and every case uses dataset names of its own
// ("<pool>/t<N>-..."), so a case never sees another's datasets. Where backends
// legitimately differ the case asks the pool (enforces_quotas(), backend()), never its name.
// Backend-specific cases (journal recovery, qgroups, subvolumes, the legacy json) stay in
// dir_pool_test.cpp and btrfs_pool_test.cpp.
#include "pools/backend_under_test.hpp"
#include "pools/detail/dataset_db.hpp"
#include "pools/fill_file.hpp"
#include "pools/pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::pools {
namespace {

namespace fs = std::filesystem;
using test::BackendCase;
using test::PoolUnderTest;

template <typename T>
::testing::AssertionResult succeeds(Result<T> const& result)
{
    if (result) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
        << error_code_name(result.error().code()) << ": " << result.error().message();
}

template <typename T>
::testing::AssertionResult fails_with(Result<T> const& result, ErrorCode code)
{
    if (result) {
        return ::testing::AssertionFailure() << "succeeded; expected " << error_code_name(code);
    }
    if (result.error().code() != code) {
        return ::testing::AssertionFailure()
            << error_code_name(result.error().code()) << " (" << result.error().message()
            << "); expected " << error_code_name(code);
    }
    return ::testing::AssertionSuccess();
}

void write(std::string const& path, std::string const& content)
{
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
}

std::vector<std::string> names_of(std::vector<DatasetInfo> const& infos)
{
    std::vector<std::string> names;
    for (auto const& info : infos) {
        names.push_back(info.name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

uint64_t file_size(std::string const& path)
{
    struct stat st { };
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return static_cast<uint64_t>(st.st_size);
}

class PoolContract : public ::testing::TestWithParam<BackendCase> {
protected:
    struct Slot {
        bool tried { false };
        std::string error;
        std::unique_ptr<PoolUnderTest> under_test;
    };

    static void TearDownTestSuite() { s_slots.clear(); }

    void SetUp() override
    {
        auto const& backend = GetParam();
        if (auto reason = backend.unavailable(); !reason.empty()) {
            GTEST_SKIP() << reason;
        }
        auto& slot = s_slots[backend.name];
        if (!slot.tried) {
            slot.tried = true;
            auto made = backend.make();
            if (made) {
                slot.under_test = std::move(*made);
            } else {
                slot.error = made.error().message();
            }
        }
        ASSERT_TRUE(slot.under_test) << "cannot make a " << backend.name << " pool: " << slot.error;
        m_under_test = slot.under_test.get();
        m_stem = "t" + std::to_string(++s_cases) + "-";
    }

    Pool& pool() const { return m_under_test->pool(); }
    // A dataset (or snapshot) name of this case's own: "<pool>/t<N>-<rel>".
    std::string ds(std::string const& rel) const { return pool().name() + "/" + m_stem + rel; }
    std::string path(std::string const& rel) const { return pool().path_of(ds(rel)); }
    std::string volume_path(std::string const& rel) const
    {
        return m_under_test->volume_path(ds(rel));
    }
    // The dir and btrfs backends keep pool.hpp's journal and on-disk layout; zfs is zfs(8)'s.
    bool journaled() const { return pool().backend() != Backend::Zfs; }
    std::string snapshot_text(std::string const& snapshot, std::string const& file) const
    {
        auto info = pool().info(ds(snapshot));
        EXPECT_TRUE(succeeds(info)) << snapshot;
        return info ? test::read_file(info->path + "/" + file) : std::string();
    }

    static inline std::map<std::string, Slot> s_slots;
    static inline int s_cases = 0;
    PoolUnderTest* m_under_test { nullptr };
    std::string m_stem;
};

TEST_P(PoolContract, CreatedFilesystemShowsInExistsInfoAndList)
{
    ASSERT_TRUE(succeeds(
        pool().create_filesystem(ds("a"), { .quota_bytes = 10ULL << 30, .properties = {} })));
    EXPECT_TRUE(fs::is_directory(path("a")));
    EXPECT_EQ(path("a"), pool().mountpoint() + "/" + m_stem + "a");
    EXPECT_EQ(pool().exists(ds("a")), true);
    EXPECT_EQ(pool().exists(ds("b")), false);
    auto [error, written] = test::fill(path("a") + "/file", 1 * MIB);
    ASSERT_EQ(error, 0);
    {
        int fd = ::open(path("a").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ASSERT_GE(fd, 0);
        ::syncfs(fd); // btrfs counts a qgroup's bytes at commit
        ::close(fd);
    }

    auto info = pool().info(ds("a"));
    ASSERT_TRUE(succeeds(info));
    EXPECT_EQ(info->name, ds("a"));
    EXPECT_EQ(info->type, DatasetType::Filesystem);
    EXPECT_EQ(info->path, path("a"));
    EXPECT_EQ(info->quota_bytes, 10ULL << 30);
    EXPECT_FALSE(info->origin.has_value());
    EXPECT_FALSE(info->volume_size_bytes.has_value());
    EXPECT_GE(info->used_bytes, written / 2);
    EXPECT_GT(info->creation, 0);

    auto listed = pool().list(ds("a"));
    ASSERT_TRUE(succeeds(listed));
    EXPECT_EQ(names_of(*listed), std::vector<std::string> { ds("a") });
    auto whole = pool().list();
    ASSERT_TRUE(succeeds(whole));
    auto const all = names_of(*whole);
    EXPECT_EQ(std::count(all.begin(), all.end(), ds("a")), 1);

    EXPECT_TRUE(fails_with(pool().info(ds("b")), ErrorCode::NotFound));
    ASSERT_TRUE(succeeds(pool().destroy(ds("a"), Recursive::No)));
    EXPECT_FALSE(fs::exists(path("a")));
    EXPECT_EQ(pool().exists(ds("a")), false);
    EXPECT_TRUE(fails_with(pool().info(ds("a")), ErrorCode::NotFound));
    EXPECT_TRUE(fails_with(pool().destroy(ds("a"), Recursive::No), ErrorCode::NotFound));
}

TEST_P(PoolContract, CreateNeedsTheParentExceptForCores)
{
    EXPECT_TRUE(fails_with(pool().create_filesystem(ds("a/data"), {}), ErrorCode::NotFound));
    EXPECT_TRUE(fails_with(pool().create_volume(ds("a/disk0"), MIB, {}), ErrorCode::NotFound));
    EXPECT_EQ(pool().exists(ds("a/data")), false);
    EXPECT_EQ(pool().exists(ds("a/disk0")), false);
    auto const cores = pool().name() + "/cores/" + m_stem + "u";
    ASSERT_TRUE(succeeds(pool().create_filesystem(cores, {})));
    EXPECT_EQ(pool().exists(pool().name() + "/cores"), true);
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a/data"), {})));
    EXPECT_TRUE(fs::is_directory(path("a/data")));
    auto listed = pool().list(ds("a"));
    ASSERT_TRUE(succeeds(listed));
    EXPECT_EQ(names_of(*listed), (std::vector<std::string> { ds("a"), ds("a/data") }));
}

TEST_P(PoolContract, CreateOverADatasetIsAlreadyExists)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    write(path("a") + "/f", "mine");
    EXPECT_TRUE(fails_with(pool().create_filesystem(ds("a"), {}), ErrorCode::AlreadyExists));
    EXPECT_TRUE(fails_with(pool().create_volume(ds("a"), MIB, {}), ErrorCode::AlreadyExists));
    EXPECT_EQ(test::read_file(path("a") + "/f"), "mine");
}

TEST_P(PoolContract, CreateTakesOverAnEmptyDirectoryNeverData)
{
    if (!journaled()) {
        GTEST_SKIP() << "zfs mounts a new dataset over whatever is there (zfs(8)'s rule)";
    }
    fs::create_directories(path("mine"));
    write(path("mine") + "/f", "keep");
    EXPECT_TRUE(fails_with(pool().create_filesystem(ds("mine"), {}), ErrorCode::AlreadyExists));
    EXPECT_EQ(test::read_file(path("mine") + "/f"), "keep");
    EXPECT_EQ(pool().exists(ds("mine")), false);
    write(path("file"), "keep");
    EXPECT_TRUE(fails_with(pool().create_volume(ds("file"), MIB, {}), ErrorCode::AlreadyExists));
    EXPECT_EQ(test::read_file(path("file")), "keep");
    fs::create_directories(path("empty"));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("empty"), {})));
    EXPECT_EQ(pool().exists(ds("empty")), true);
}

TEST_P(PoolContract, NamesOutsideThePoolAreInvalid)
{
    EXPECT_TRUE(fails_with(pool().create_filesystem("other/x", {}), ErrorCode::InvalidArgument));
    EXPECT_TRUE(
        fails_with(pool().create_filesystem(pool().name(), {}), ErrorCode::InvalidArgument));
    EXPECT_TRUE(fails_with(pool().snapshot("other/x@s"), ErrorCode::InvalidArgument));
    EXPECT_TRUE(fails_with(pool().destroy("other/x", Recursive::Yes), ErrorCode::InvalidArgument));
}

TEST_P(PoolContract, ListTakesTheDatasetItsChildrenAndSnapshotsNotNamesakes)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("x"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("x/y"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("x@s"))));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("x/y@s"))));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("xy"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("xy@s"))));
    ASSERT_TRUE(succeeds(pool().create_volume(ds("x-disk0"), MIB, {})));

    auto listed = pool().list(ds("x"));
    ASSERT_TRUE(succeeds(listed));
    EXPECT_EQ(names_of(*listed),
        (std::vector<std::string> { ds("x"), ds("x/y"), ds("x/y@s"), ds("x@s") }));
    auto child = pool().list(ds("x/y"));
    ASSERT_TRUE(succeeds(child));
    EXPECT_EQ(names_of(*child), (std::vector<std::string> { ds("x/y"), ds("x/y@s") }));
    auto none = pool().list(ds("nothing"));
    ASSERT_TRUE(succeeds(none));
    EXPECT_TRUE(none->empty());
    for (auto const& info : *listed) {
        EXPECT_EQ(info.type,
            info.name.find('@') == std::string::npos ? DatasetType::Filesystem
                                                     : DatasetType::Snapshot)
            << info.name;
    }
}

TEST_P(PoolContract, SnapshotFreezesTheContent)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("img"), {})));
    write(path("img") + "/hello", "world");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("img@final"))));
    write(path("img") + "/hello", "changed");
    write(path("img") + "/new", "x");

    auto snap = pool().info(ds("img@final"));
    ASSERT_TRUE(succeeds(snap));
    EXPECT_EQ(snap->type, DatasetType::Snapshot);
    EXPECT_EQ(snap->path, path("img@final"));
    EXPECT_FALSE(snap->origin.has_value());
    EXPECT_TRUE(snap->holds.empty());
    EXPECT_EQ(test::read_file(snap->path + "/hello"), "world");
    EXPECT_FALSE(fs::exists(snap->path + "/new"));
    EXPECT_EQ(pool().exists(ds("img@final")), true);
    EXPECT_EQ(pool().exists(ds("img@other")), false);

    EXPECT_TRUE(fails_with(pool().snapshot(ds("img@final")), ErrorCode::AlreadyExists));
    EXPECT_TRUE(fails_with(pool().snapshot(ds("nope@final")), ErrorCode::NotFound));
    EXPECT_TRUE(fails_with(pool().info(ds("img@nope")), ErrorCode::NotFound));
}

TEST_P(PoolContract, SnapshotLeavesChildDatasetsOut)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a/data"), {})));
    write(path("a/data") + "/secret", "x");
    write(path("a") + "/mine", "y");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@s"))));
    EXPECT_EQ(pool().exists(ds("a/data@s")), false);
    auto snap = pool().info(ds("a@s"));
    ASSERT_TRUE(succeeds(snap));
    EXPECT_EQ(test::read_file(snap->path + "/mine"), "y");
    EXPECT_TRUE(fs::is_directory(snap->path + "/data")); // where the child is mounted
    EXPECT_FALSE(fs::exists(snap->path + "/data/secret"));
}

TEST_P(PoolContract, CloneRecordsItsOriginAndPinsTheSnapshot)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("img"), {})));
    write(path("img") + "/hello", "world");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("img@final"))));
    write(path("img") + "/hello", "changed");

    ASSERT_TRUE(succeeds(
        pool().clone(ds("img@final"), ds("vm1"), { .quota_bytes = 1ULL << 30, .properties = {} })));
    EXPECT_EQ(test::read_file(path("vm1") + "/hello"), "world");
    write(path("vm1") + "/hello", "mine");
    EXPECT_EQ(snapshot_text("img@final", "hello"), "world");
    auto clone = pool().info(ds("vm1"));
    ASSERT_TRUE(succeeds(clone));
    EXPECT_EQ(clone->type, DatasetType::Filesystem);
    EXPECT_EQ(clone->origin, ds("img@final"));
    EXPECT_EQ(clone->quota_bytes, 1ULL << 30);

    EXPECT_TRUE(fails_with(pool().clone(ds("img@final"), ds("vm1"), {}), ErrorCode::AlreadyExists));
    EXPECT_TRUE(fails_with(pool().clone(ds("img@nope"), ds("vm2"), {}), ErrorCode::NotFound));
    EXPECT_EQ(pool().exists(ds("vm2")), false);

    EXPECT_TRUE(fails_with(pool().destroy(ds("img@final"), Recursive::No), ErrorCode::Busy));
    EXPECT_TRUE(fails_with(pool().destroy(ds("img"), Recursive::Yes), ErrorCode::Busy));
    EXPECT_EQ(pool().exists(ds("img@final")), true);
    EXPECT_EQ(pool().exists(ds("img")), true);

    ASSERT_TRUE(succeeds(pool().destroy(ds("vm1"), Recursive::No)));
    auto const snap_path = path("img@final");
    ASSERT_TRUE(succeeds(pool().destroy(ds("img@final"), Recursive::No)));
    EXPECT_EQ(pool().exists(ds("img@final")), false);
    if (journaled()) {
        EXPECT_FALSE(fs::exists(snap_path));
    }
}

TEST_P(PoolContract, RenameCarriesSnapshotsChildrenAndClonesOrigins)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a/data"), {})));
    write(path("a") + "/f", "1");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@final"))));
    ASSERT_TRUE(succeeds(pool().clone(ds("a@final"), ds("c"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("taken"), {})));

    EXPECT_TRUE(fails_with(pool().rename(ds("a"), ds("taken")), ErrorCode::AlreadyExists));
    EXPECT_TRUE(fails_with(pool().rename(ds("nope"), ds("b")), ErrorCode::NotFound));
    ASSERT_TRUE(succeeds(pool().rename(ds("a"), ds("b"))));
    EXPECT_EQ(pool().exists(ds("a")), false);
    EXPECT_EQ(pool().exists(ds("a@final")), false);
    EXPECT_FALSE(fs::exists(path("a")));
    EXPECT_EQ(pool().exists(ds("b")), true);
    EXPECT_EQ(pool().exists(ds("b/data")), true);
    EXPECT_EQ(pool().exists(ds("b@final")), true);
    EXPECT_EQ(test::read_file(path("b") + "/f"), "1");
    EXPECT_EQ(snapshot_text("b@final", "f"), "1");
    EXPECT_EQ(pool().info(ds("c"))->origin, ds("b@final"));

    // A snapshot renames within its dataset (imgadm create moves an existing @final aside).
    ASSERT_TRUE(succeeds(pool().rename(ds("b@final"), ds("b@old"))));
    EXPECT_EQ(pool().exists(ds("b@final")), false);
    EXPECT_EQ(snapshot_text("b@old", "f"), "1");
    EXPECT_EQ(pool().info(ds("c"))->origin, ds("b@old"));
    EXPECT_TRUE(fails_with(pool().rename(ds("b@old"), ds("c@old")), ErrorCode::InvalidArgument));
    EXPECT_EQ(pool().exists(ds("b@old")), true);
}

TEST_P(PoolContract, DestroyNeedsRecursiveForChildrenAndSnapshots)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a/data"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a/data@s1"))));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@s1"))));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("b"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("b@s1"))));
    auto const snapshot_paths = std::array { path("a@s1"), path("a/data@s1") };

    EXPECT_TRUE(fails_with(pool().destroy(ds("a"), Recursive::No), ErrorCode::Busy));
    EXPECT_TRUE(fails_with(pool().destroy(ds("b"), Recursive::No), ErrorCode::Busy));
    EXPECT_EQ(pool().list(ds("a"))->size(), 4U);
    ASSERT_TRUE(succeeds(pool().destroy(ds("a"), Recursive::Yes)));
    EXPECT_TRUE(pool().list(ds("a"))->empty());
    EXPECT_FALSE(fs::exists(path("a")));
    if (journaled()) {
        for (auto const& snapshot_path : snapshot_paths) {
            EXPECT_FALSE(fs::exists(snapshot_path)) << snapshot_path;
        }
    }
    // A snapshot alone goes without recursion, and the dataset after it.
    ASSERT_TRUE(succeeds(pool().destroy(ds("b@s1"), Recursive::No)));
    ASSERT_TRUE(succeeds(pool().destroy(ds("b"), Recursive::No)));
    EXPECT_TRUE(pool().list(ds("b"))->empty());
}

TEST_P(PoolContract, HoldsRefuseDestroyUntilReleased)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@indestructible"))));
    ASSERT_TRUE(succeeds(pool().hold(ds("a@indestructible"), "do_not_destroy")));
    EXPECT_TRUE(fails_with(
        pool().hold(ds("a@indestructible"), "do_not_destroy"), ErrorCode::AlreadyExists));
    auto info = pool().info(ds("a@indestructible"));
    ASSERT_TRUE(succeeds(info));
    EXPECT_EQ(info->holds, std::vector<std::string> { "do_not_destroy" });

    EXPECT_TRUE(fails_with(pool().destroy(ds("a@indestructible"), Recursive::No), ErrorCode::Busy));
    EXPECT_TRUE(fails_with(pool().destroy(ds("a"), Recursive::Yes), ErrorCode::Busy));
    EXPECT_EQ(pool().exists(ds("a@indestructible")), true);
    EXPECT_EQ(pool().exists(ds("a")), true);

    ASSERT_TRUE(succeeds(pool().release(ds("a@indestructible"), "do_not_destroy")));
    EXPECT_TRUE(pool().info(ds("a@indestructible"))->holds.empty());
    EXPECT_TRUE(
        fails_with(pool().release(ds("a@indestructible"), "do_not_destroy"), ErrorCode::NotFound));
    EXPECT_TRUE(fails_with(pool().hold(ds("a@nope"), "do_not_destroy"), ErrorCode::NotFound));
    EXPECT_TRUE(fails_with(pool().release(ds("a@nope"), "do_not_destroy"), ErrorCode::NotFound));
    ASSERT_TRUE(succeeds(pool().destroy(ds("a"), Recursive::Yes)));
    EXPECT_EQ(pool().exists(ds("a@indestructible")), false);
}

TEST_P(PoolContract, RollbackRestoresTheSnapshotAndDropsLaterOnes)
{
    ASSERT_TRUE(succeeds(
        pool().create_filesystem(ds("a"), { .quota_bytes = 1ULL << 30, .properties = {} })));
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a/data"), {})));
    write(path("a") + "/f", "one");
    write(path("a/data") + "/d", "kept");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@vmsnap-1"))));
    write(path("a") + "/f", "two");
    write(path("a") + "/extra", "x");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@vmsnap-2"))));
    write(path("a") + "/f", "three");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a/data@later")))); // another dataset's: stays
    auto const dropped_path = path("a@vmsnap-2");

    ASSERT_TRUE(succeeds(pool().rollback(ds("a@vmsnap-1"))));
    EXPECT_EQ(test::read_file(path("a") + "/f"), "one");
    EXPECT_FALSE(fs::exists(path("a") + "/extra"));
    EXPECT_EQ(test::read_file(path("a/data") + "/d"), "kept");
    EXPECT_EQ(pool().exists(ds("a@vmsnap-1")), true);
    EXPECT_EQ(pool().exists(ds("a@vmsnap-2")), false);
    EXPECT_EQ(pool().exists(ds("a/data@later")), true);
    EXPECT_EQ(pool().info(ds("a"))->quota_bytes, 1ULL << 30);
    EXPECT_EQ(snapshot_text("a@vmsnap-1", "f"), "one");
    if (journaled()) {
        EXPECT_FALSE(fs::exists(dropped_path));
        EXPECT_FALSE(fs::exists(pool().mountpoint() + "/.lumos/tmp"));
    }
    EXPECT_TRUE(fails_with(pool().rollback(ds("a@nope")), ErrorCode::NotFound));
}

TEST_P(PoolContract, RollbackRefusesHeldOrClonedLaterSnapshots)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    write(path("a") + "/f", "one");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@s1"))));
    write(path("a") + "/f", "two");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("a@s2"))));
    ASSERT_TRUE(succeeds(pool().hold(ds("a@s2"), "do_not_destroy")));
    EXPECT_TRUE(fails_with(pool().rollback(ds("a@s1")), ErrorCode::Busy));
    EXPECT_EQ(test::read_file(path("a") + "/f"), "two");
    EXPECT_EQ(pool().exists(ds("a@s2")), true);
    ASSERT_TRUE(succeeds(pool().release(ds("a@s2"), "do_not_destroy")));
    ASSERT_TRUE(succeeds(pool().clone(ds("a@s2"), ds("b"), {})));
    EXPECT_TRUE(fails_with(pool().rollback(ds("a@s1")), ErrorCode::Busy));
    EXPECT_EQ(pool().exists(ds("a@s2")), true);
    // Rolling back to the newest snapshot destroys nothing.
    write(path("a") + "/f", "three");
    ASSERT_TRUE(succeeds(pool().rollback(ds("a@s2"))));
    EXPECT_EQ(test::read_file(path("a") + "/f"), "two");
    EXPECT_EQ(pool().exists(ds("a@s1")), true);
}

TEST_P(PoolContract, RollbackOfAVolume)
{
    ASSERT_TRUE(succeeds(pool().create_volume(ds("v-disk0"), MIB, {})));
    std::fstream(volume_path("v-disk0"), std::ios::in | std::ios::out) << "before";
    ASSERT_TRUE(succeeds(pool().snapshot(ds("v-disk0@s"))));
    std::fstream(volume_path("v-disk0"), std::ios::in | std::ios::out) << "after!";
    ASSERT_TRUE(succeeds(pool().rollback(ds("v-disk0@s"))));
    std::ifstream in(volume_path("v-disk0"));
    std::string head(6, '\0');
    in.read(head.data(), 6);
    EXPECT_EQ(head, "before");
}

TEST_P(PoolContract, QuotaIsRecordedAndEnforcedWhereThePoolSaysSo)
{
    ASSERT_TRUE(
        succeeds(pool().create_filesystem(ds("q"), { .quota_bytes = 4 * MIB, .properties = {} })));
    EXPECT_EQ(pool().info(ds("q"))->quota_bytes, 4 * MIB);
    auto [error, written] = test::fill(path("q") + "/blob", 16 * MIB);
    if (pool().enforces_quotas()) {
        EXPECT_EQ(error, EDQUOT);
        EXPECT_LT(written, 16 * MIB);
    } else {
        EXPECT_EQ(error, 0);
        EXPECT_EQ(written, 16 * MIB);
    }
    fs::remove(path("q") + "/blob");

    ASSERT_TRUE(succeeds(pool().set_quota(ds("q"), 5ULL << 30)));
    EXPECT_EQ(pool().info(ds("q"))->quota_bytes, 5ULL << 30);
    ASSERT_TRUE(succeeds(pool().set_quota(ds("q"), std::nullopt)));
    EXPECT_FALSE(pool().info(ds("q"))->quota_bytes.has_value());
    EXPECT_TRUE(fails_with(pool().set_quota(ds("nope"), MIB), ErrorCode::NotFound));
}

TEST_P(PoolContract, UserPropertiesAreStored)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("a"), {})));
    EXPECT_TRUE(pool().info(ds("a"))->user_properties.empty());
    ASSERT_TRUE(succeeds(pool().set_user_property(ds("a"), "imgadm:ignore", "true")));
    ASSERT_TRUE(succeeds(pool().set_user_property(ds("a"), "lumos:note", "x")));
    ASSERT_TRUE(succeeds(pool().set_user_property(ds("a"), "lumos:note", "y")));
    auto info = pool().info(ds("a"));
    ASSERT_TRUE(succeeds(info));
    EXPECT_EQ(info->user_properties,
        (std::map<std::string, std::string> {
            { "imgadm:ignore", "true" }, { "lumos:note", "y" } }));
    EXPECT_TRUE(
        fails_with(pool().set_user_property(ds("nope"), "lumos:note", "x"), ErrorCode::NotFound));
}

TEST_P(PoolContract, VolumesAreSparseAndSnapshotAndClone)
{
    ASSERT_TRUE(succeeds(pool().create_volume(ds("vm-disk0"), 1ULL << 30, {})));
    auto info = pool().info(ds("vm-disk0"));
    ASSERT_TRUE(succeeds(info));
    EXPECT_EQ(info->type, DatasetType::Volume);
    EXPECT_EQ(info->volume_size_bytes, 1ULL << 30);
    if (journaled()) {
        struct stat st { };
        ASSERT_EQ(::stat(path("vm-disk0").c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(static_cast<uint64_t>(st.st_size), 1ULL << 30);
        EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, MIB); // sparse
    }
    std::fstream(volume_path("vm-disk0"), std::ios::in | std::ios::out) << "boot sector";
    ASSERT_TRUE(succeeds(pool().snapshot(ds("vm-disk0@final"))));
    EXPECT_EQ(pool().info(ds("vm-disk0@final"))->type, DatasetType::Snapshot);
    ASSERT_TRUE(succeeds(pool().clone(ds("vm-disk0@final"), ds("vm2-disk0"), {})));
    auto clone = pool().info(ds("vm2-disk0"));
    ASSERT_TRUE(succeeds(clone));
    EXPECT_EQ(clone->type, DatasetType::Volume);
    EXPECT_EQ(clone->volume_size_bytes, 1ULL << 30);
    EXPECT_EQ(clone->origin, ds("vm-disk0@final"));
    std::ifstream in(volume_path("vm2-disk0"));
    std::string head(11, '\0');
    in.read(head.data(), 11);
    EXPECT_EQ(head, "boot sector");
    EXPECT_TRUE(fails_with(pool().destroy(ds("vm-disk0"), Recursive::Yes), ErrorCode::Busy));
}

TEST_P(PoolContract, ResizeVolumeGrowsWithZerosAndShrinks)
{
    // test-bhyve-disk-resize.js: update_disks size changes the volume itself.
    ASSERT_TRUE(succeeds(pool().create_volume(ds("vm-disk0"), 2 * MIB, {})));
    std::string const marker = "boot sector";
    {
        std::fstream out(volume_path("vm-disk0"), std::ios::in | std::ios::out);
        out.seekp(static_cast<std::streamoff>(2 * MIB - marker.size()));
        out << marker; // the last bytes before the old end
    }
    ASSERT_TRUE(succeeds(pool().snapshot(ds("vm-disk0@before"))));
    ASSERT_TRUE(succeeds(pool().resize_volume(ds("vm-disk0"), 3 * MIB)));
    EXPECT_EQ(pool().info(ds("vm-disk0"))->volume_size_bytes, 3 * MIB);
    {
        std::ifstream in(volume_path("vm-disk0"));
        in.seekg(static_cast<std::streamoff>(2 * MIB - marker.size()));
        std::string kept(marker.size(), '\0');
        in.read(kept.data(), static_cast<std::streamsize>(kept.size()));
        EXPECT_EQ(kept, marker); // growing keeps the data
        std::string grown(MIB, 'x');
        in.read(grown.data(), static_cast<std::streamsize>(grown.size()));
        EXPECT_EQ(in.gcount(), static_cast<std::streamsize>(MIB));
        EXPECT_EQ(grown.find_first_not_of('\0'), std::string::npos) << "grown bytes read zeros";
    }
    if (journaled()) {
        EXPECT_EQ(file_size(path("vm-disk0")), 3 * MIB);
        EXPECT_EQ(file_size(pool().info(ds("vm-disk0@before"))->path), 2 * MIB);
    }

    ASSERT_TRUE(succeeds(pool().resize_volume(ds("vm-disk0"), MIB)));
    EXPECT_EQ(pool().info(ds("vm-disk0"))->volume_size_bytes, MIB);
    if (journaled()) {
        EXPECT_EQ(file_size(path("vm-disk0")), MIB);
    }

    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("fs"), {})));
    EXPECT_TRUE(fails_with(pool().resize_volume(ds("fs"), MIB), ErrorCode::InvalidArgument));
    EXPECT_TRUE(
        fails_with(pool().resize_volume(ds("vm-disk0@before"), MIB), ErrorCode::InvalidArgument));
    EXPECT_TRUE(fails_with(pool().resize_volume(ds("vm-disk0"), 0), ErrorCode::InvalidArgument));
    EXPECT_TRUE(fails_with(pool().resize_volume(ds("nope"), MIB), ErrorCode::NotFound));
    EXPECT_EQ(pool().info(ds("vm-disk0"))->volume_size_bytes, MIB);
    if (journaled()) {
        EXPECT_EQ(file_size(path("vm-disk0")), MIB);
    }
}

// Sends snapshot (incremental from `from` when given) into target on the same pool.
Result<void> send_receive(Pool& pool, std::string const& snapshot,
    std::optional<std::string> const& from, std::string const& target)
{
    std::array<int, 2> pipe_fds {};
    if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
        return make_error(ErrorCode::System, "pipe");
    }
    Result<void> sent;
    std::thread sender([&] {
        sent = pool.send(snapshot, from, pipe_fds[1]);
        ::close(pipe_fds[1]);
    });
    auto received = pool.receive(target, pipe_fds[0]);
    ::close(pipe_fds[0]); // a receive that stopped early ends the sender with EPIPE
    sender.join();
    if (!received) {
        return received;
    }
    return sent;
}

TEST_P(PoolContract, SendAndReceiveRoundTripWhereTheBackendHasAStreamFormat)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("src"), {})));
    write(path("src") + "/hello", "world");
    fs::create_directories(path("src") + "/dir/sub");
    write(path("src") + "/dir/sub/f", "deep");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("src@s1"))));
    write(path("src") + "/hello", "again");
    ASSERT_TRUE(succeeds(pool().snapshot(ds("src@s2"))));

    if (pool().backend() == Backend::Dir) {
        // pool.hpp: no native stream format on dir.
        EXPECT_TRUE(
            fails_with(pool().send(ds("src@s1"), std::nullopt, -1), ErrorCode::Unsupported));
        EXPECT_TRUE(fails_with(pool().receive(ds("copy"), -1), ErrorCode::Unsupported));
        EXPECT_EQ(pool().exists(ds("copy")), false);
        EXPECT_FALSE(fs::exists(path("copy")));
        EXPECT_FALSE(fs::exists(pool().mountpoint() + "/.lumos/tmp"));
        return;
    }
    ASSERT_TRUE(succeeds(send_receive(pool(), ds("src@s1"), std::nullopt, ds("copy"))));
    EXPECT_EQ(pool().exists(ds("copy")), true);
    EXPECT_EQ(pool().exists(ds("copy@s1")), true);
    EXPECT_EQ(test::read_file(path("copy") + "/hello"), "world");
    EXPECT_EQ(test::read_file(path("copy") + "/dir/sub/f"), "deep");
    EXPECT_EQ(snapshot_text("copy@s1", "hello"), "world");
    write(path("copy") + "/new", "x"); // the received dataset is writable
    EXPECT_EQ(test::read_file(path("copy") + "/new"), "x");
    if (journaled()) {
        EXPECT_FALSE(fs::exists(pool().mountpoint() + "/.lumos/tmp"));
    }
    EXPECT_TRUE(fails_with(pool().send(ds("src@nope"), std::nullopt, -1), ErrorCode::NotFound));
}

TEST_P(PoolContract, ReceiveOfGarbageLeavesNothing)
{
    std::array<int, 2> pipe_fds {};
    ASSERT_EQ(::pipe2(pipe_fds.data(), O_CLOEXEC), 0);
    std::string junk(4096, 'j');
    ASSERT_EQ(::write(pipe_fds[1], junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    ::close(pipe_fds[1]);
    auto received = pool().receive(ds("copy"), pipe_fds[0]);
    ::close(pipe_fds[0]);
    EXPECT_FALSE(received);
    EXPECT_EQ(pool().exists(ds("copy")), false);
    EXPECT_FALSE(fs::exists(path("copy")));
    if (journaled()) {
        EXPECT_FALSE(fs::exists(pool().mountpoint() + "/.lumos/tmp"));
    }
}

TEST_P(PoolContract, RecoverFinishesWhatAKilledCreateLeft)
{
    ASSERT_TRUE(succeeds(pool().create_filesystem(ds("keep"), {})));
    ASSERT_TRUE(succeeds(pool().snapshot(ds("keep@s"))));
    if (journaled()) {
        // As a create killed after its journal commit: the row says "creating", the data is
        // half there. Readers do not see it; recover() removes it.
        ASSERT_TRUE(succeeds(pool().create_filesystem(ds("half"), {})));
        write(path("half") + "/f", "x");
        {
            auto db = detail::DatasetDb::open(
                pool().mountpoint() + "/.lumos", detail::DatasetDb::Access::Write);
            ASSERT_TRUE(succeeds(db));
            auto entry = db->get(m_stem + "half");
            ASSERT_TRUE(entry && *entry);
            (*entry)->state = detail::EntryState::Creating;
            ASSERT_TRUE(succeeds(db->put(m_stem + "half", **entry)));
        }
        EXPECT_EQ(pool().exists(ds("half")), false);
        EXPECT_TRUE(fs::exists(path("half")));
    }
    ASSERT_TRUE(succeeds(pool().recover()));
    EXPECT_FALSE(fs::exists(path("half")));
    EXPECT_EQ(pool().exists(ds("half")), false);
    EXPECT_EQ(pool().exists(ds("keep")), true);
    EXPECT_EQ(pool().exists(ds("keep@s")), true);
    ASSERT_TRUE(succeeds(pool().recover())); // nothing left to do
}

INSTANTIATE_TEST_SUITE_P(Backends, PoolContract,
    ::testing::Values(test::DIR_BACKEND, test::BTRFS_BACKEND, test::ZFS_BACKEND),
    [](::testing::TestParamInfo<BackendCase> const& backend) {
        return std::string(backend.param.name);
    });

} // namespace
} // namespace lumos::pools
