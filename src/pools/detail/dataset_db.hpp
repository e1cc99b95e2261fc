// SPDX-License-Identifier: MPL-2.0
// A dir or btrfs pool's metadata: `<mountpoint>/.lumos/datasets.db`, an SQLite database (Debian's
// libsqlite3) with one row per dataset and snapshot, keyed by the relative name, so that one
// dataset's lookup or change reads and writes the few B-tree pages of its own rows whatever the
// pool holds (10 or 100,000 datasets): a prefix listing is three range scans of the primary key
// (the name itself, "<p>/..." and "<p>@..."; '/'+1 is '0' and '@'+1 is 'A', so "<p>-disk0" and
// "<p>0..." are never matched), clones are found through an index on origin, half-done
// operations (rows with a journal state) through a partial index on state, and the newest
// snapshot sequence through an index on sequence. The rest of an entry is the row's JSON.
//
// Why a database rather than one record file per dataset: a destroy or rename changes several
// rows (a dataset, its children, its snapshots, its clones' origins) and must commit them
// together; SQLite's transaction is that commit point, crash-safe (rollback journal,
// synchronous=FULL) and tested far beyond what a journal of record files written here would be,
// while record files would need their own multi-file journal, a directory walk for every prefix
// listing and an index of clones kept consistent by hand.
//
// A full pool still commits (a delete above all): `.lumos` is NOCOW on btrfs before its files
// exist, the rollback journal is kept (journal_mode=PERSIST) and preallocated with zeros
// (`datasets.db-journal`, a zeroed header is not "hot"), and the database keeps free pages
// (its freelist, topped up while there is room), so a transaction that does not grow the pool's
// metadata overwrites blocks it already owns, as the pre-database spare file did. Tried on a
// 256 MiB loop-backed btrfs filled to 100% (data, then metadata with xattr-laden files): a
// plain database (copy-on-write, journal_mode=DELETE) could not commit an UPDATE (its journal
// could not be created), this one could (acceptance Storage.FullBtrfsPoolStillDeletes...).
//
// Writers hold the pool's flock and a BEGIN IMMEDIATE transaction; readers open without it and
// see the last committed state. Readers open read-write (with query_only) so that a hot journal
// left by a killed writer is rolled back by whoever reads first, instead of failing every
// reader (SQLITE_READONLY_ROLLBACK) until the next mutation. The mountpoint is root's: a zone
// sees only its own dataset, never `.lumos`, so the database is not attacker-controlled; still,
// it is opened with trusted_schema=OFF, defensive mode and no extensions, and a corrupt file is
// an error naming it, never a crash.
#pragma once

#include "base/result.hpp"
#include "pools/detail/entry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace lumos::pools::detail {

class DatasetDb {
public:
    enum class Access { Read, Write };
    enum class Range {
        All, // the name, its descendants ("<p>/...") and the snapshots of either
        Children, // descendants only ("<p>/...", their snapshots included)
        Snapshots, // "<p>@..." only
    };

    static std::string path_in(std::string const& directory) { return directory + "/datasets.db"; }
    static std::string journal_in(std::string const& directory)
    {
        return directory + "/datasets.db-journal";
    }

    // Read: a pool without a database is an empty one (every query answers nothing). Write:
    // made when missing (the directory NOCOW first); room says whether the pool has space to
    // preallocate the journal and top up the free pages (a full pool skips that).
    static Result<DatasetDb> open(std::string const& directory, Access access, bool room = true);
    // A new database at path (migration: filled, then renamed into place).
    static Result<DatasetDb> create_at(std::string const& path);

    DatasetDb(DatasetDb&& other) noexcept;
    DatasetDb& operator=(DatasetDb&& other) noexcept;
    DatasetDb(DatasetDb const&) = delete;
    DatasetDb& operator=(DatasetDb const&) = delete;
    ~DatasetDb();

    // BEGIN IMMEDIATE / COMMIT / ROLLBACK. checkpoint() commits and begins again: what was
    // written so far is durable (the journal's "save").
    Result<void> begin();
    Result<void> commit();
    void rollback();
    Result<void> checkpoint();
    bool in_transaction() const { return m_in_transaction; }

    Result<std::optional<Entry>> get(std::string const& name) const;
    Result<bool> contains(std::string const& name) const;
    Result<void> put(std::string const& name, Entry const& entry);
    Result<void> erase(std::string const& name);
    // An empty prefix with Range::All: the whole pool.
    Result<Rows> range(std::string const& prefix, Range range = Range::All) const;
    // Names of the datasets whose origin is snapshot.
    Result<std::vector<std::string>> clones_of(std::string const& snapshot) const;
    // Rows with a journal state.
    Result<Rows> pending() const;
    Result<uint64_t> max_sequence() const;
    // Whether a snapshot's storage is under dir (".recv-<hex>"): a scan, only after a killed
    // receive.
    Result<bool> storage_under(std::string const& dir) const;

    // For tests: the query plans of the per-dataset statements (each must use the key or an
    // index, never scan the table).
    Result<std::vector<std::string>> query_plans() const;

private:
    DatasetDb(sqlite3* db, std::string path);
    Result<void> exec(char const* sql) const;
    Result<void> configure(Access access) const;
    Result<void> ensure_schema(Access access);
    void preallocate_journal() const;
    void reserve_free_pages();
    Error error(std::string const& what) const;
    Result<Rows> select_rows(char const* sql, std::vector<std::string> const& args) const;

    sqlite3* m_db { nullptr };
    std::string m_path;
    bool m_in_transaction { false };
    bool m_empty { false }; // Read of a pool without a database
};

} // namespace lumos::pools::detail
