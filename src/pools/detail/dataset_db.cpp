// SPDX-License-Identifier: MPL-2.0
#include "pools/detail/dataset_db.hpp"

#include "base/file.hpp"
#include "base/json.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::pools::detail {

namespace {

constexpr int SCHEMA_VERSION = 1;
constexpr int BUSY_TIMEOUT_MS = 30000;
// The rollback journal's preallocated size (and journal_size_limit, so it stays that size):
// room for a transaction of ~120 pages, far more than any one operation changes.
constexpr off_t JOURNAL_BYTES = off_t { 512 } << 10;
// Free pages kept in the database so that a transaction on a full pool need not grow it.
constexpr int MIN_FREE_PAGES = 16;
constexpr int RESERVE_PAGES = 64;

char const* const SCHEMA = R"(
CREATE TABLE IF NOT EXISTS datasets(
    name TEXT PRIMARY KEY NOT NULL,
    origin TEXT,
    state TEXT,
    sequence INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS datasets_origin ON datasets(origin) WHERE origin IS NOT NULL;
CREATE INDEX IF NOT EXISTS datasets_pending ON datasets(state) WHERE state IS NOT NULL;
CREATE INDEX IF NOT EXISTS datasets_sequence ON datasets(sequence);
CREATE TABLE IF NOT EXISTS reserve(pages BLOB);
)";

char const* const SELECT_ONE = "SELECT name, data FROM datasets WHERE name = ?1";
char const* const SELECT_RANGE
    = "SELECT name, data FROM datasets WHERE name > ?1 AND name < ?2 ORDER BY name";
char const* const SELECT_ALL = "SELECT name, data FROM datasets ORDER BY name";
char const* const SELECT_CLONES = "SELECT name FROM datasets WHERE origin = ?1 ORDER BY name";
// INDEXED BY: the partial index holds only the rows with a state, and without statistics the
// planner would rather scan the whole table in key order.
char const* const SELECT_PENDING
    = "SELECT name, data FROM datasets INDEXED BY datasets_pending WHERE state IS NOT NULL";
char const* const SELECT_MAX_SEQUENCE = "SELECT max(sequence) FROM datasets";
char const* const UPSERT = "INSERT OR REPLACE INTO datasets(name, origin, state, sequence, data) "
                           "VALUES(?1, ?2, ?3, ?4, ?5)";
char const* const DELETE_ONE = "DELETE FROM datasets WHERE name = ?1";

bool corrupt(int code)
{
    int const primary = code & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB || primary == SQLITE_FORMAT;
}

// One prepared statement, finalized on destruction.
class Statement {
public:
    // m_statement (declared first) is null before sqlite3_prepare_v2 sets it.
    Statement(sqlite3* db, char const* sql)
        : m_code(sqlite3_prepare_v2(db, sql, -1, &m_statement, nullptr))
    {
    }
    Statement(Statement const&) = delete;
    Statement& operator=(Statement const&) = delete;
    ~Statement() { sqlite3_finalize(m_statement); }

    bool ok() const { return m_code == SQLITE_OK && m_statement != nullptr; }
    int code() const { return m_code; }
    sqlite3_stmt* get() const { return m_statement; }

    bool bind(int index, std::string const& text)
    {
        return sqlite3_bind_text(
                   m_statement, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT)
            == SQLITE_OK;
    }
    bool bind_null(int index) { return sqlite3_bind_null(m_statement, index) == SQLITE_OK; }
    bool bind(int index, int64_t value)
    {
        return sqlite3_bind_int64(m_statement, index, value) == SQLITE_OK;
    }
    // SQLITE_ROW, SQLITE_DONE or an error.
    int step() { return sqlite3_step(m_statement); }
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

void set_nocow(int fd)
{
    int flags = 0;
    if (::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_NOCOW_FL) == 0) {
        flags |= FS_NOCOW_FL;
        (void)::ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
}

// NOCOW on a directory before its files exist (btrfs takes the flag only on empty files; new
// files inherit it from their directory). Elsewhere the ioctl fails and nothing changes.
void set_directory_nocow(std::string const& directory)
{
    UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.valid()) {
        set_nocow(dir.get());
    }
}

bool file_exists(std::string const& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

DatasetDb::DatasetDb(sqlite3* db, std::string path)
    : m_db(db)
    , m_path(std::move(path))
{
}

DatasetDb::DatasetDb(DatasetDb&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr))
    , m_path(std::move(other.m_path))
    , m_in_transaction(std::exchange(other.m_in_transaction, false))
    , m_empty(other.m_empty)
{
}

DatasetDb& DatasetDb::operator=(DatasetDb&& other) noexcept
{
    if (this != &other) {
        if (m_in_transaction) {
            rollback();
        }
        sqlite3_close_v2(m_db);
        m_db = std::exchange(other.m_db, nullptr);
        m_path = std::move(other.m_path);
        m_in_transaction = std::exchange(other.m_in_transaction, false);
        m_empty = other.m_empty;
    }
    return *this;
}

DatasetDb::~DatasetDb()
{
    if (m_in_transaction) {
        rollback();
    }
    sqlite3_close_v2(m_db);
}

Error DatasetDb::error(std::string const& what) const
{
    int const code = m_db != nullptr ? sqlite3_extended_errcode(m_db) : SQLITE_CANTOPEN;
    std::string const message = m_db != nullptr ? sqlite3_errmsg(m_db) : "cannot open";
    if (corrupt(code)) {
        return Error(ErrorCode::System,
            "pool metadata " + m_path + " is corrupt or not a lumos database (" + message
                + "); restore it from a backup or move it aside");
    }
    int const primary = code & 0xff;
    if (primary == SQLITE_FULL) {
        return Error(ErrorCode::System, what + " " + m_path + ": " + message, ENOSPC);
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        return Error(ErrorCode::Busy, what + " " + m_path + ": " + message);
    }
    return Error(ErrorCode::System, what + " " + m_path + ": " + message,
        m_db != nullptr ? sqlite3_system_errno(m_db) : 0);
}

Result<void> DatasetDb::exec(char const* sql) const
{
    if (sqlite3_exec(m_db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return tl::unexpected(error("cannot update"));
    }
    return {};
}

Result<void> DatasetDb::configure(Access access) const
{
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, BUSY_TIMEOUT_MS);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(m_db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
    std::string pragmas = "PRAGMA trusted_schema=OFF; PRAGMA journal_mode=PERSIST; "
                          "PRAGMA journal_size_limit="
        + std::to_string(JOURNAL_BYTES)
        + "; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY; PRAGMA cell_size_check=ON;";
    if (access == Access::Read) {
        pragmas += " PRAGMA query_only=ON;";
    }
    if (sqlite3_exec(m_db, pragmas.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return tl::unexpected(error("cannot open"));
    }
    return {};
}

Result<void> DatasetDb::ensure_schema(Access access)
{
    // Reading the version reads page 1: a hot journal left by a killed writer is rolled back
    // here, before anything else looks at the database or its journal.
    Statement version(m_db, "PRAGMA user_version");
    if (!version.ok() || version.step() != SQLITE_ROW) {
        return tl::unexpected(error("cannot read"));
    }
    auto const found = sqlite3_column_int(version.get(), 0);
    if (found > SCHEMA_VERSION) {
        return make_error(ErrorCode::Unsupported,
            "pool metadata " + m_path + " has format " + std::to_string(found)
                + ", newer than this lumos reads (" + std::to_string(SCHEMA_VERSION) + ")");
    }
    if (found == SCHEMA_VERSION) {
        return {};
    }
    if (access == Access::Read) {
        m_empty = true; // a writer is making it
        return {};
    }
    TRY(begin());
    if (auto made = exec(SCHEMA); !made) {
        rollback();
        return made;
    }
    TRY(exec(("PRAGMA user_version=" + std::to_string(SCHEMA_VERSION)).c_str()));
    return commit();
}

Result<DatasetDb> DatasetDb::open(std::string const& directory, Access access, bool room)
{
    auto const path = path_in(directory);
    if (access == Access::Read && !file_exists(path)) {
        DatasetDb none(nullptr, path);
        none.m_empty = true;
        return none;
    }
    if (access == Access::Write && !file_exists(path)) {
        set_directory_nocow(directory);
    }
    int const flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        | (access == Access::Write ? SQLITE_OPEN_CREATE : 0);
    sqlite3* raw = nullptr;
    int const code = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    DatasetDb db(raw, path);
    if (code != SQLITE_OK) {
        return tl::unexpected(db.error("cannot open"));
    }
    TRY(db.configure(access));
    TRY(db.ensure_schema(access));
    if (access == Access::Write && room) {
        db.preallocate_journal();
        db.reserve_free_pages();
    }
    return db;
}

Result<DatasetDb> DatasetDb::create_at(std::string const& path)
{
    ::unlink(path.c_str());
    ::unlink((path + "-journal").c_str());
    // A converted pool's `.lumos` predates the database: NOCOW from now on (the new files).
    set_directory_nocow(std::filesystem::path(path).parent_path().string());
    sqlite3* raw = nullptr;
    int const code = sqlite3_open_v2(path.c_str(), &raw,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
        nullptr);
    DatasetDb db(raw, path);
    if (code != SQLITE_OK) {
        return tl::unexpected(db.error("cannot create"));
    }
    TRY(db.configure(Access::Write));
    TRY(db.ensure_schema(Access::Write));
    return db;
}

// Only under the pool lock, with no transaction open and after ensure_schema() read the
// database (so no hot journal is left): nobody else writes the journal then.
void DatasetDb::preallocate_journal() const
{
    auto const path = m_path + "-journal";
    struct stat st { };
    if (::lstat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size >= JOURNAL_BYTES)) {
        return;
    }
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        return;
    }
    if (st.st_size == 0) {
        set_nocow(fd.get());
    }
    std::array<char, 8> header {};
    if (st.st_size > 0
        && (::pread(fd.get(), header.data(), header.size(), 0)
                != static_cast<ssize_t>(header.size())
            || std::any_of(header.begin(), header.end(), [](char c) { return c != 0; }))) {
        return; // not ours to touch
    }
    std::string const zeros(static_cast<size_t>(JOURNAL_BYTES - st.st_size), '\0');
    if (::lseek(fd.get(), st.st_size, SEEK_SET) == st.st_size
        && write_fully(fd.get(), zeros.data(), zeros.size())) {
        (void)::fdatasync(fd.get());
    }
}

void DatasetDb::reserve_free_pages()
{
    Statement count(m_db, "PRAGMA freelist_count");
    if (!count.ok() || count.step() != SQLITE_ROW
        || sqlite3_column_int(count.get(), 0) >= MIN_FREE_PAGES) {
        return;
    }
    Statement size(m_db, "PRAGMA page_size");
    if (!size.ok() || size.step() != SQLITE_ROW) {
        return;
    }
    auto const bytes = int64_t { sqlite3_column_int(size.get(), 0) } * RESERVE_PAGES;
    if (!begin()) {
        return;
    }
    // The blob's pages grow the file, and deleting it leaves them on the freelist.
    auto const sql = "INSERT INTO reserve VALUES(zeroblob(" + std::to_string(bytes)
        + ")); DELETE FROM reserve;";
    if (!exec(sql.c_str()) || !commit()) {
        rollback();
    }
}

Result<void> DatasetDb::begin()
{
    if (m_db == nullptr) {
        return make_error(
            ErrorCode::Internal, "pool metadata " + m_path + " is not open for writing");
    }
    TRY(exec("BEGIN IMMEDIATE"));
    m_in_transaction = true;
    return {};
}

Result<void> DatasetDb::commit()
{
    if (auto done = exec("COMMIT"); !done) {
        rollback();
        return done;
    }
    m_in_transaction = false;
    return {};
}

void DatasetDb::rollback()
{
    if (m_db != nullptr && sqlite3_get_autocommit(m_db) == 0) {
        (void)sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    m_in_transaction = false;
}

Result<void> DatasetDb::checkpoint()
{
    TRY(commit());
    return begin();
}

Result<Rows> DatasetDb::select_rows(char const* sql, std::vector<std::string> const& args) const
{
    Rows rows;
    if (m_empty) {
        return rows;
    }
    Statement statement(m_db, sql);
    if (!statement.ok()) {
        return tl::unexpected(error("cannot read"));
    }
    for (size_t i = 0; i < args.size(); ++i) {
        statement.bind(static_cast<int>(i + 1), args[i]);
    }
    while (true) {
        int const code = statement.step();
        if (code == SQLITE_DONE) {
            break;
        }
        if (code != SQLITE_ROW) {
            return tl::unexpected(error("cannot read"));
        }
        auto json = parse_json(statement.text(1));
        if (!json || !json->is_object()) {
            return make_error(ErrorCode::System,
                "pool metadata " + m_path + " is corrupt: the row of \"" + statement.text(0)
                    + "\" is not a JSON object");
        }
        rows.emplace_back(statement.text(0), entry_from_json(*json));
    }
    return rows;
}

Result<std::optional<Entry>> DatasetDb::get(std::string const& name) const
{
    TRY_ASSIGN(rows, select_rows(SELECT_ONE, { name }));
    if (rows.empty()) {
        return std::optional<Entry>();
    }
    return std::optional<Entry>(std::move(rows.front().second));
}

Result<bool> DatasetDb::contains(std::string const& name) const
{
    TRY_ASSIGN(entry, get(name));
    return entry.has_value();
}

Result<void> DatasetDb::put(std::string const& name, Entry const& entry)
{
    Statement statement(m_db, UPSERT);
    if (!statement.ok()) {
        return tl::unexpected(error("cannot update"));
    }
    statement.bind(1, name);
    if (entry.origin) {
        statement.bind(2, *entry.origin);
    } else {
        statement.bind_null(2);
    }
    if (entry.state == EntryState::Whole) {
        statement.bind_null(3);
    } else {
        statement.bind(3, std::string(entry_state_name(entry.state)));
    }
    statement.bind(4, static_cast<int64_t>(entry.sequence));
    statement.bind(5, dump_compact(entry_to_json(entry)));
    if (statement.step() != SQLITE_DONE) {
        return tl::unexpected(error("cannot update"));
    }
    return {};
}

Result<void> DatasetDb::erase(std::string const& name)
{
    Statement statement(m_db, DELETE_ONE);
    if (!statement.ok() || !statement.bind(1, name) || statement.step() != SQLITE_DONE) {
        return tl::unexpected(error("cannot update"));
    }
    return {};
}

Result<Rows> DatasetDb::range(std::string const& prefix, Range range) const
{
    if (prefix.empty()) {
        return select_rows(SELECT_ALL, {});
    }
    Rows rows;
    if (range == Range::All) {
        TRY_ASSIGN(self, select_rows(SELECT_ONE, { prefix }));
        rows = std::move(self);
    }
    if (range != Range::Snapshots) {
        TRY_ASSIGN(children, select_rows(SELECT_RANGE, { prefix + "/", prefix + "0" }));
        std::move(children.begin(), children.end(), std::back_inserter(rows));
    }
    if (range != Range::Children) {
        TRY_ASSIGN(snapshots, select_rows(SELECT_RANGE, { prefix + "@", prefix + "A" }));
        std::move(snapshots.begin(), snapshots.end(), std::back_inserter(rows));
    }
    std::sort(
        rows.begin(), rows.end(), [](Row const& a, Row const& b) { return a.first < b.first; });
    return rows;
}

Result<std::vector<std::string>> DatasetDb::clones_of(std::string const& snapshot) const
{
    std::vector<std::string> names;
    if (m_empty) {
        return names;
    }
    Statement statement(m_db, SELECT_CLONES);
    if (!statement.ok() || !statement.bind(1, snapshot)) {
        return tl::unexpected(error("cannot read"));
    }
    int code = SQLITE_ROW;
    while ((code = statement.step()) == SQLITE_ROW) {
        names.push_back(statement.text(0));
    }
    if (code != SQLITE_DONE) {
        return tl::unexpected(error("cannot read"));
    }
    return names;
}

Result<Rows> DatasetDb::pending() const
{
    TRY_ASSIGN(rows, select_rows(SELECT_PENDING, {}));
    std::sort(
        rows.begin(), rows.end(), [](Row const& a, Row const& b) { return a.first < b.first; });
    return rows;
}

Result<uint64_t> DatasetDb::max_sequence() const
{
    if (m_empty) {
        return uint64_t { 0 };
    }
    Statement statement(m_db, SELECT_MAX_SEQUENCE);
    if (!statement.ok() || statement.step() != SQLITE_ROW) {
        return tl::unexpected(error("cannot read"));
    }
    auto const value = sqlite3_column_int64(statement.get(), 0);
    return value > 0 ? static_cast<uint64_t>(value) : uint64_t { 0 };
}

Result<bool> DatasetDb::storage_under(std::string const& dir) const
{
    if (m_empty) {
        return false;
    }
    Statement statement(m_db, "SELECT 1 FROM datasets WHERE instr(data, ?1) > 0 LIMIT 1");
    if (!statement.ok() || !statement.bind(1, "\"storage\":\"" + dir + "/")) {
        return tl::unexpected(error("cannot read"));
    }
    int const code = statement.step();
    if (code != SQLITE_ROW && code != SQLITE_DONE) {
        return tl::unexpected(error("cannot read"));
    }
    return code == SQLITE_ROW;
}

Result<std::vector<std::string>> DatasetDb::query_plans() const
{
    std::vector<std::string> plans;
    for (auto const* sql : { SELECT_ONE, SELECT_RANGE, SELECT_CLONES, SELECT_PENDING,
             SELECT_MAX_SEQUENCE, UPSERT, DELETE_ONE }) {
        Statement statement(m_db, ("EXPLAIN QUERY PLAN " + std::string(sql)).c_str());
        if (!statement.ok()) {
            return tl::unexpected(error("cannot read"));
        }
        std::string plan = std::string(sql) + ":";
        while (statement.step() == SQLITE_ROW) {
            plan += " " + statement.text(3) + ";";
        }
        plans.push_back(plan);
    }
    return plans;
}

} // namespace lumos::pools::detail
