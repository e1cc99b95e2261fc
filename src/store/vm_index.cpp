// SPDX-License-Identifier: MPL-2.0
#include "store/vm_index.hpp"

#include <algorithm>
#include <iterator>
#include <map>

#include <sqlite3.h>

namespace lumos::store {

namespace {

// Bump when the rows' meaning or the schema changes: an index of another version is rebuilt.
constexpr int FORMAT_VERSION = 1;
constexpr int BUSY_TIMEOUT_MS = 30000;

constexpr char const* SCHEMA
    = "CREATE TABLE claims (kind INTEGER NOT NULL, key TEXT NOT NULL, uuid TEXT NOT NULL,"
      " PRIMARY KEY (kind, key, uuid)) WITHOUT ROWID;"
      "CREATE INDEX claims_by_uuid ON claims (uuid);";

class Statement {
public:
    Statement(sqlite3* db, char const* sql)
        : m_code(sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr))
    {
    }
    ~Statement() { sqlite3_finalize(m_statement); }
    Statement(Statement const&) = delete;
    Statement& operator=(Statement const&) = delete;
    Statement(Statement&&) = delete;
    Statement& operator=(Statement&&) = delete;

    bool ok() const { return m_code == SQLITE_OK && m_statement != nullptr; }
    bool bind(int index, std::string const& text)
    {
        return sqlite3_bind_text(
                   m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT)
            == SQLITE_OK;
    }
    bool bind(int index, props::ClaimKind kind)
    {
        return sqlite3_bind_int(m_statement, index, static_cast<int>(kind)) == SQLITE_OK;
    }
    int step() { return sqlite3_step(m_statement); }
    void reset()
    {
        sqlite3_reset(m_statement);
        sqlite3_clear_bindings(m_statement);
    }
    int integer(int column) const { return sqlite3_column_int(m_statement, column); }
    std::string text(int column) const
    {
        auto const* data = sqlite3_column_text(m_statement, column);
        auto const size = sqlite3_column_bytes(m_statement, column);
        return data == nullptr
            ? std::string()
            : std::string(reinterpret_cast<char const*>(data), static_cast<size_t>(size));
    }

private:
    sqlite3_stmt* m_statement { nullptr };
    int m_code { SQLITE_OK };
};

} // namespace

struct VmIndex::Db {
    sqlite3* handle { nullptr };
    std::string path;

    Db() = default;
    ~Db()
    {
        if (handle != nullptr && sqlite3_get_autocommit(handle) == 0) {
            (void)sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        sqlite3_close_v2(handle);
    }
    Db(Db const&) = delete;
    Db& operator=(Db const&) = delete;
    Db(Db&&) = delete;
    Db& operator=(Db&&) = delete;

    Error error(std::string const& what) const
    {
        int const code = handle != nullptr ? sqlite3_extended_errcode(handle) : SQLITE_CANTOPEN;
        std::string const message = handle != nullptr ? sqlite3_errmsg(handle) : "cannot open";
        int const primary = code & 0xff;
        if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FORMAT) {
            return Error(ErrorCode::System,
                "VM index " + path + " is corrupt (" + message
                    + "); remove it (with no vmadm running) and it is rebuilt from the records");
        }
        if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
            return Error(ErrorCode::Busy, what + " VM index " + path + ": " + message);
        }
        return Error(ErrorCode::System, what + " VM index " + path + ": " + message,
            handle != nullptr ? sqlite3_system_errno(handle) : 0);
    }

    Result<void> exec(char const* sql, char const* what = "cannot update") const
    {
        if (sqlite3_exec(handle, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
            return tl::unexpected(error(what));
        }
        return {};
    }

    Result<int> version() const
    {
        Statement statement(handle, "PRAGMA user_version");
        if (!statement.ok() || statement.step() != SQLITE_ROW) {
            return tl::unexpected(error("cannot read"));
        }
        return statement.integer(0);
    }

    // Runs body inside BEGIN IMMEDIATE ... COMMIT; rolls back on its error.
    Result<void> transaction(std::function<Result<void>()> const& body) const
    {
        TRY(exec("BEGIN IMMEDIATE"));
        if (auto done = body(); !done) {
            (void)sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
            return done;
        }
        if (auto committed = exec("COMMIT"); !committed) {
            (void)sqlite3_exec(handle, "ROLLBACK", nullptr, nullptr, nullptr);
            return committed;
        }
        return {};
    }

    Result<void> insert(std::string const& uuid, std::vector<props::Claim> const& claims) const
    {
        Statement statement(
            handle, "INSERT OR IGNORE INTO claims (kind, key, uuid) VALUES (?1, ?2, ?3)");
        if (!statement.ok()) {
            return tl::unexpected(error("cannot update"));
        }
        for (auto const& claim : claims) {
            statement.reset();
            if (!statement.bind(1, claim.kind) || !statement.bind(2, claim.key)
                || !statement.bind(3, uuid) || statement.step() != SQLITE_DONE) {
                return tl::unexpected(error("cannot update"));
            }
        }
        return {};
    }

    Result<std::vector<props::Claim>> rows_of(std::string const& uuid) const
    {
        Statement statement(handle, "SELECT kind, key FROM claims WHERE uuid = ?1");
        if (!statement.ok() || !statement.bind(1, uuid)) {
            return tl::unexpected(error("cannot read"));
        }
        std::vector<props::Claim> claims;
        int code = SQLITE_ROW;
        while ((code = statement.step()) == SQLITE_ROW) {
            claims.push_back(props::Claim {
                static_cast<props::ClaimKind>(statement.integer(0)), statement.text(1) });
        }
        if (code != SQLITE_DONE) {
            return tl::unexpected(error("cannot read"));
        }
        std::sort(claims.begin(), claims.end());
        return claims;
    }
};

VmIndex::VmIndex(std::string path, std::function<Result<ClaimsByVm>()> all_claims)
    : m_path(std::move(path))
    , m_all_claims(std::move(all_claims))
{
}

VmIndex::~VmIndex() = default;

Result<VmIndex::Db*> VmIndex::db()
{
    if (m_db) {
        return m_db.get();
    }
    auto db = std::make_unique<Db>();
    db->path = m_path;
    int const code = sqlite3_open_v2(m_path.c_str(), &db->handle,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
        nullptr);
    if (code != SQLITE_OK) {
        return tl::unexpected(db->error("cannot open"));
    }
    sqlite3_extended_result_codes(db->handle, 1);
    sqlite3_busy_timeout(db->handle, BUSY_TIMEOUT_MS);
    sqlite3_db_config(db->handle, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(db->handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(db->handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    // FULL: a row is on disk before the record that needs it is written.
    TRY(db->exec("PRAGMA trusted_schema=OFF; PRAGMA journal_mode=PERSIST; "
                 "PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA cell_size_check=ON;",
        "cannot open"));
    TRY(rebuild_if_needed(*db));
    m_db = std::move(db);
    return m_db.get();
}

Result<void> VmIndex::rebuild_if_needed(Db& db)
{
    // Reading the version reads page 1: a hot journal left by a killed writer is rolled back
    // here first.
    TRY_ASSIGN(found, db.version());
    if (found == FORMAT_VERSION) {
        return {};
    }
    return db.transaction([&]() -> Result<void> {
        // Another process may have rebuilt it while this one waited for the write lock.
        TRY_ASSIGN(again, db.version());
        if (again == FORMAT_VERSION) {
            return {};
        }
        TRY(db.exec("DROP INDEX IF EXISTS claims_by_uuid; DROP TABLE IF EXISTS claims;"));
        TRY(db.exec(SCHEMA));
        TRY_ASSIGN(records, m_all_claims());
        for (auto const& [uuid, claims] : records) {
            TRY(db.insert(uuid, claims));
        }
        return db.exec(("PRAGMA user_version=" + std::to_string(FORMAT_VERSION)).c_str());
    });
}

Result<std::set<std::string>> VmIndex::uuids_claiming(std::vector<props::Claim> const& claims)
{
    TRY_ASSIGN(db, db());
    std::set<std::string> uuids;
    Statement exact(db->handle, "SELECT uuid FROM claims WHERE kind = ?1 AND key = ?2");
    // Datasets below a name: keys in ("<name>/", "<name>0"), '0' being the byte after '/'.
    Statement below(
        db->handle, "SELECT uuid FROM claims WHERE kind = ?1 AND key > ?2 AND key < ?3");
    if (!exact.ok() || !below.ok()) {
        return tl::unexpected(db->error("cannot read"));
    }
    auto const collect = [&](Statement& statement) -> Result<void> {
        int code = SQLITE_ROW;
        while ((code = statement.step()) == SQLITE_ROW) {
            uuids.insert(statement.text(0));
        }
        if (code != SQLITE_DONE) {
            return tl::unexpected(db->error("cannot read"));
        }
        return {};
    };
    auto const find_exact = [&](props::ClaimKind kind, std::string const& key) -> Result<void> {
        exact.reset();
        if (!exact.bind(1, kind) || !exact.bind(2, key)) {
            return tl::unexpected(db->error("cannot read"));
        }
        return collect(exact);
    };
    for (auto const& claim : claims) {
        TRY(find_exact(claim.kind, claim.key));
        if (claim.kind != props::ClaimKind::Dataset) {
            continue;
        }
        // The datasets it lies inside: each parent name.
        for (size_t slash = claim.key.rfind('/'); slash != std::string::npos && slash > 0;
             slash = claim.key.rfind('/', slash - 1)) {
            TRY(find_exact(claim.kind, claim.key.substr(0, slash)));
        }
        below.reset();
        if (!below.bind(1, claim.kind) || !below.bind(2, claim.key + "/")
            || !below.bind(3, claim.key + "0")) {
            return tl::unexpected(db->error("cannot read"));
        }
        TRY(collect(below));
    }
    return uuids;
}

Result<std::vector<props::Claim>> VmIndex::claims_of(std::string const& uuid)
{
    TRY_ASSIGN(db, db());
    return db->rows_of(uuid);
}

Result<void> VmIndex::add(std::string const& uuid, std::vector<props::Claim> const& claims)
{
    TRY_ASSIGN(db, db());
    TRY_ASSIGN(held, db->rows_of(uuid));
    std::vector<props::Claim> wanted = claims;
    std::sort(wanted.begin(), wanted.end());
    std::vector<props::Claim> missing;
    std::set_difference(
        wanted.begin(), wanted.end(), held.begin(), held.end(), std::back_inserter(missing));
    if (missing.empty()) {
        return {}; // most saves (start, stop, a state change) claim what they claimed
    }
    return db->transaction([&] { return db->insert(uuid, missing); });
}

Result<void> VmIndex::retain(std::string const& uuid, std::vector<props::Claim> const& keep)
{
    TRY_ASSIGN(db, db());
    TRY_ASSIGN(held, db->rows_of(uuid));
    std::vector<props::Claim> kept = keep;
    std::sort(kept.begin(), kept.end());
    std::vector<props::Claim> stale;
    std::set_difference(
        held.begin(), held.end(), kept.begin(), kept.end(), std::back_inserter(stale));
    if (stale.empty()) {
        return {};
    }
    return db->transaction([&]() -> Result<void> {
        Statement statement(
            db->handle, "DELETE FROM claims WHERE kind = ?1 AND key = ?2 AND uuid = ?3");
        if (!statement.ok()) {
            return tl::unexpected(db->error("cannot update"));
        }
        for (auto const& claim : stale) {
            statement.reset();
            if (!statement.bind(1, claim.kind) || !statement.bind(2, claim.key)
                || !statement.bind(3, uuid) || statement.step() != SQLITE_DONE) {
                return tl::unexpected(db->error("cannot update"));
            }
        }
        return {};
    });
}

Result<void> VmIndex::forget(std::string const& uuid)
{
    TRY_ASSIGN(db, db());
    return db->transaction([&]() -> Result<void> {
        Statement statement(db->handle, "DELETE FROM claims WHERE uuid = ?1");
        if (!statement.ok() || !statement.bind(1, uuid) || statement.step() != SQLITE_DONE) {
            return tl::unexpected(db->error("cannot update"));
        }
        return {};
    });
}

Result<std::set<std::string>> VmIndex::reindex()
{
    TRY_ASSIGN(db, db());
    std::set<std::string> unsettled;
    auto const added = db->transaction([&]() -> Result<void> {
        TRY_ASSIGN(records, m_all_claims());
        std::map<std::string, std::vector<props::Claim>> by_uuid;
        for (auto& [uuid, claims] : records) {
            TRY(db->insert(uuid, claims));
            std::sort(claims.begin(), claims.end());
            by_uuid[uuid] = std::move(claims);
        }
        Statement owners(db->handle, "SELECT DISTINCT uuid FROM claims");
        if (!owners.ok()) {
            return tl::unexpected(db->error("cannot read"));
        }
        std::vector<std::string> uuids;
        int code = SQLITE_ROW;
        while ((code = owners.step()) == SQLITE_ROW) {
            uuids.push_back(owners.text(0));
        }
        if (code != SQLITE_DONE) {
            return tl::unexpected(db->error("cannot read"));
        }
        for (auto const& uuid : uuids) {
            auto const record = by_uuid.find(uuid);
            if (record == by_uuid.end()) {
                unsettled.insert(uuid);
                continue;
            }
            TRY_ASSIGN(held, db->rows_of(uuid));
            if (held != record->second) {
                unsettled.insert(uuid);
            }
        }
        return {};
    });
    if (!added) {
        return tl::unexpected(added.error());
    }
    return unsettled;
}

} // namespace lumos::store
