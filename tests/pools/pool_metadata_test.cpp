// SPDX-License-Identifier: MPL-2.0
// The dir and btrfs pools' metadata database (pools/detail/dataset_db.hpp), on a dir pool in a
// temp directory: conversion of a pre-database datasets.json (and spare), prefix listing, a
// writer killed inside a transaction, corrupt files, and the query plans that keep one
// dataset's cost independent of the pool's size.
#include "pools/backends.hpp"
#include "pools/detail/dataset_db.hpp"
#include "pools/pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lumos::pools {
namespace {

namespace fs = std::filesystem;
using detail::DatasetDb;

class PoolMetadataTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        fs::create_directories(mp());
        m_pool = open_pool();
    }

    std::unique_ptr<Pool> open_pool() const
    {
        PoolConfig config;
        config.name = "zones";
        config.backend = Backend::Dir;
        config.mountpoint = mp();
        config.quotas = false;
        return make_dir_pool(config);
    }

    std::string mp() const { return m_root.str() + "/zones"; }
    std::string meta() const { return mp() + "/.lumos"; }

    std::vector<std::string> names(std::string const& prefix = {}) const
    {
        std::vector<std::string> out;
        auto listed = m_pool->list(prefix);
        EXPECT_TRUE(listed) << listed.error().message();
        if (listed) {
            for (auto const& info : *listed) {
                out.push_back(info.name);
            }
        }
        return out;
    }

    static void write(std::string const& path, std::string const& content)
    {
        std::ofstream(path, std::ios::binary) << content;
    }

    test::TempRoot m_root;
    std::unique_ptr<Pool> m_pool;
};

// A pre-database spare: two slots, each magic, generation, length, FNV-1a, then the JSON.
std::string legacy_spare(std::string const& text, uint64_t generation, size_t slot_size)
{
    auto put = [](std::string& out, size_t at, uint64_t value) {
        for (size_t i = 0; i < 8; ++i) {
            out[at + i] = static_cast<char>((value >> (8 * i)) & 0xff);
        }
    };
    uint64_t hash = 14695981039346656037ULL;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    std::string spare(slot_size * 2, '\0');
    auto const at = (generation % 2) * slot_size;
    std::memcpy(spare.data() + at, "lumosjn1", 8);
    put(spare, at + 8, generation);
    put(spare, at + 16, text.size());
    put(spare, at + 24, hash);
    std::memcpy(spare.data() + at + 32, text.data(), text.size());
    return spare;
}

TEST_F(PoolMetadataTest, LegacyJournalAndNewerSpareAreConvertedOnce)
{
    // A pool from before the database: datasets.json at generation 3, and a newer generation
    // (4) in the spare, written in place when the pool was full. The spare's copy wins.
    fs::create_directories(meta());
    fs::create_directories(mp() + "/img");
    fs::create_directories(mp() + "/vm");
    fs::create_directories(mp() + "/.snapshots/00aa-final");
    nlohmann::json older = { { "version", 1 }, { "generation", 3 },
        { "datasets", { { "img", { { "type", "filesystem" }, { "creation", 1 } } } } } };
    nlohmann::json newer = older;
    newer["generation"] = 4;
    newer["datasets"]["img@final"] = { { "type", "snapshot" }, { "creation", 2 },
        { "storage", "00aa-final" }, { "sequence", 1 }, { "holds", { "keep" } } };
    newer["datasets"]["vm"] = { { "type", "filesystem" }, { "creation", 3 },
        { "origin", "img@final" }, { "quota", 1024 } };
    write(meta() + "/datasets.json", older.dump());
    write(meta() + "/datasets.spare", legacy_spare(newer.dump(), 4, 4096));
    // What a conversion killed before its rename left: replaced, never used.
    write(meta() + "/datasets.db.new", "half a database");

    // A reader converts (under the lock) and sees the newest generation.
    EXPECT_EQ(names(), (std::vector<std::string> { "zones/img", "zones/img@final", "zones/vm" }));
    EXPECT_TRUE(fs::exists(meta() + "/datasets.db"));
    EXPECT_FALSE(fs::exists(meta() + "/datasets.json"));
    EXPECT_FALSE(fs::exists(meta() + "/datasets.spare"));
    EXPECT_FALSE(fs::exists(meta() + "/datasets.db.new"));
    auto vm = m_pool->info("zones/vm");
    ASSERT_TRUE(vm) << vm.error().message();
    EXPECT_EQ(vm->origin, "zones/img@final");
    EXPECT_EQ(vm->quota_bytes, 1024U);
    EXPECT_EQ(m_pool->info("zones/img@final")->holds, std::vector<std::string> { "keep" });
    EXPECT_EQ(m_pool->path_of("zones/img@final"), mp() + "/.snapshots/00aa-final");
    // The converted rows behave: the clone still pins its origin.
    ASSERT_TRUE(m_pool->release("zones/img@final", "keep"));
    EXPECT_EQ(m_pool->destroy("zones/img", Recursive::Yes).error().code(), ErrorCode::Busy);
    ASSERT_TRUE(m_pool->destroy("zones/vm", Recursive::No));
    ASSERT_TRUE(m_pool->destroy("zones/img", Recursive::Yes));
    EXPECT_TRUE(names().empty());
}

TEST_F(PoolMetadataTest, ConversionKilledAfterItsRenameKeepsTheDatabase)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    // The old files outlived the rename: the database is the pool's, they are leftovers.
    write(meta() + "/datasets.json",
        R"({"version":1,"generation":9,"datasets":{"stale":{"type":"filesystem"}}})");
    EXPECT_EQ(names(), std::vector<std::string> { "zones/a" });
    ASSERT_TRUE(m_pool->create_filesystem("zones/b", {}));
    EXPECT_FALSE(fs::exists(meta() + "/datasets.json"));
    EXPECT_EQ(names(), (std::vector<std::string> { "zones/a", "zones/b" }));
}

TEST_F(PoolMetadataTest, PrefixListingDoesNotMatchSiblingsWithACommonPrefix)
{
    std::string const uuid = "5a4ba06a-0de8-4ea9-9a28-3c5c1c5e0e4c";
    for (auto const& name : { uuid, uuid + "0", uuid + "0/data", uuid + "-disk0", uuid + ":x",
             uuid + ".y", uuid + "/data", uuid + "/data/deeper" }) {
        ASSERT_TRUE(m_pool->create_filesystem("zones/" + name, {})) << name;
    }
    ASSERT_TRUE(m_pool->snapshot("zones/" + uuid + "@s"));
    ASSERT_TRUE(m_pool->snapshot("zones/" + uuid + "/data@t"));
    ASSERT_TRUE(m_pool->snapshot("zones/" + uuid + "0@s"));
    ASSERT_TRUE(m_pool->snapshot("zones/" + uuid + "-disk0@s"));
    std::string const z = "zones/" + uuid;
    EXPECT_EQ(names(z),
        (std::vector<std::string> { z, z + "/data", z + "/data/deeper", z + "/data@t", z + "@s" }));
    EXPECT_EQ(names(z + "/data"),
        (std::vector<std::string> { z + "/data", z + "/data/deeper", z + "/data@t" }));
    EXPECT_EQ(names(z + "0"), (std::vector<std::string> { z + "0", z + "0/data", z + "0@s" }));
    // A recursive destroy takes the same rows, and the siblings stay.
    ASSERT_TRUE(m_pool->destroy(z, Recursive::Yes));
    EXPECT_EQ(names(),
        (std::vector<std::string> {
            z + "-disk0", z + "-disk0@s", z + ".y", z + "0", z + "0/data", z + "0@s", z + ":x" }));
    // So does a rename.
    ASSERT_TRUE(m_pool->rename(z + "0", "zones/moved"));
    EXPECT_EQ(names(z + "0"), std::vector<std::string> {});
    EXPECT_EQ(names("zones/moved"),
        (std::vector<std::string> { "zones/moved", "zones/moved/data", "zones/moved@s" }));
    EXPECT_TRUE(*m_pool->exists(z + "-disk0@s"));
}

TEST_F(PoolMetadataTest, RenameKilledBeforeItsRenameSyscallRollsBack)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->snapshot("zones/a@s"));
    ASSERT_TRUE(m_pool->clone("zones/a@s", "zones/c", {}));
    {
        auto db = DatasetDb::open(meta(), DatasetDb::Access::Write);
        ASSERT_TRUE(db) << db.error().message();
        for (std::string key : { "a", "a@s" }) {
            auto entry = *db->get(key);
            entry->state = detail::EntryState::Renaming;
            entry->rename_root = "a";
            entry->rename_to = "z";
            ASSERT_TRUE(db->put(key, *entry));
        }
    }
    // Readers see the old names until the rename commits.
    EXPECT_TRUE(*m_pool->exists("zones/a@s"));
    ASSERT_TRUE(m_pool->create_filesystem("zones/other", {}));
    EXPECT_TRUE(*m_pool->exists("zones/a"));
    EXPECT_TRUE(*m_pool->exists("zones/a@s"));
    EXPECT_FALSE(*m_pool->exists("zones/z"));
    EXPECT_EQ(m_pool->info("zones/c")->origin, "zones/a@s");
    // And a finished rename carries the clone's origin along.
    ASSERT_TRUE(m_pool->rename("zones/a", "zones/z"));
    EXPECT_EQ(m_pool->info("zones/c")->origin, "zones/z@s");
    EXPECT_EQ(m_pool->destroy("zones/z", Recursive::Yes).error().code(), ErrorCode::Busy);
}

TEST_F(PoolMetadataTest, WriterKilledInsideATransactionLeavesTheLastCommit)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    ASSERT_TRUE(m_pool->create_filesystem("zones/b", {}));
    auto const db_path = meta() + "/datasets.db";
    // A writer that has spilled uncommitted pages into the database file (its cache is tiny)
    // and dies: a hot journal, which the next reader must roll back.
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
            ::_exit(2);
        }
        std::string const big(3000, 'x');
        std::string sql = "PRAGMA journal_mode=PERSIST; PRAGMA cache_size=2; BEGIN IMMEDIATE; "
                          "DELETE FROM datasets WHERE name = 'a';";
        for (int i = 0; i < 300; ++i) {
            sql += "INSERT INTO datasets(name, data) VALUES('junk" + std::to_string(i) + "', '{\""
                + big + "\":1}');";
        }
        ::_exit(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK ? 0 : 3);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    std::array<char, 8> header {};
    {
        std::ifstream journal(db_path + "-journal", std::ios::binary);
        journal.read(header.data(), header.size());
    }
    ASSERT_NE(std::string(header.data(), header.size()), std::string(8, '\0'))
        << "the killed writer left no hot journal";

    EXPECT_EQ(names(), (std::vector<std::string> { "zones/a", "zones/b" }));
    ASSERT_TRUE(m_pool->create_filesystem("zones/c", {}));
    ASSERT_TRUE(m_pool->destroy("zones/a", Recursive::No));
    EXPECT_EQ(names(), (std::vector<std::string> { "zones/b", "zones/c" }));
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    std::string integrity;
    sqlite3_exec(
        db, "PRAGMA integrity_check",
        [](void* out, int, char** values, char**) {
            *static_cast<std::string*>(out) += values[0] != nullptr ? values[0] : "";
            return 0;
        },
        &integrity, nullptr);
    sqlite3_close(db);
    EXPECT_EQ(integrity, "ok");
}

TEST_F(PoolMetadataTest, CorruptDatabaseIsAClearError)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    auto const db_path = meta() + "/datasets.db";
    write(db_path, std::string(8192, 'G'));
    auto seen = m_pool->exists("zones/a");
    ASSERT_FALSE(seen);
    EXPECT_NE(
        seen.error().message().find("pool metadata " + db_path + " is corrupt"), std::string::npos)
        << seen.error().message();
    auto made = m_pool->create_filesystem("zones/b", {});
    ASSERT_FALSE(made);
    EXPECT_NE(made.error().message().find("is corrupt"), std::string::npos)
        << made.error().message();
    EXPECT_FALSE(fs::exists(mp() + "/b"));
    EXPECT_FALSE(m_pool->list());
}

TEST_F(PoolMetadataTest, RowThatIsNotJsonIsAClearError)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((meta() + "/datasets.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE datasets SET data = '{\"type\":' WHERE name = 'a'", nullptr,
                  nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    auto info = m_pool->info("zones/a");
    ASSERT_FALSE(info);
    EXPECT_NE(
        info.error().message().find("the row of \"a\" is not a JSON object"), std::string::npos)
        << info.error().message();
}

TEST_F(PoolMetadataTest, NewerFormatIsRefused)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((meta() + "/datasets.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
        SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=7", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto seen = m_pool->exists("zones/a");
    ASSERT_FALSE(seen);
    EXPECT_NE(seen.error().message().find("has format 7"), std::string::npos)
        << seen.error().message();
}

TEST_F(PoolMetadataTest, PerDatasetStatementsNeverScanTheTable)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    auto db = DatasetDb::open(meta(), DatasetDb::Access::Read);
    ASSERT_TRUE(db) << db.error().message();
    auto plans = db->query_plans();
    ASSERT_TRUE(plans) << plans.error().message();
    ASSERT_FALSE(plans->empty());
    for (auto const& plan : *plans) {
        // "SCAN datasets" alone is a walk of every row; a SEARCH of the key or an index, or a
        // SCAN of the partial index of pending rows, is not. (An INSERT has no plan rows.)
        EXPECT_EQ(plan.find("SCAN datasets;"), std::string::npos) << plan;
        if (plan.starts_with("INSERT")) {
            continue;
        }
        EXPECT_TRUE(plan.find("PRIMARY KEY") != std::string::npos
            || plan.find("INDEX") != std::string::npos)
            << plan;
    }
}

TEST_F(PoolMetadataTest, FreshPoolPreallocatesItsJournalAndFreePages)
{
    ASSERT_TRUE(m_pool->create_filesystem("zones/a", {}));
    // The journal stays allocated (PERSIST, zeroed header) so that a full pool can commit.
    auto const journal = meta() + "/datasets.db-journal";
    ASSERT_TRUE(fs::exists(journal));
    EXPECT_GE(fs::file_size(journal), 512U << 10);
    std::array<char, 8> header {};
    {
        std::ifstream in(journal, std::ios::binary);
        in.read(header.data(), header.size());
    }
    EXPECT_EQ(std::string(header.data(), header.size()), std::string(8, '\0'));
    sqlite3* db = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2((meta() + "/datasets.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
        SQLITE_OK);
    int free_pages = -1;
    sqlite3_exec(
        db, "PRAGMA freelist_count",
        [](void* out, int, char** values, char**) {
            *static_cast<int*>(out) = std::atoi(values[0]);
            return 0;
        },
        &free_pages, nullptr);
    sqlite3_close(db);
    EXPECT_GE(free_pages, 16);
}

} // namespace
} // namespace lumos::pools
