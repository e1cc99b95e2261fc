// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"
#include "props/claims.hpp"

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace lumos::store {

// Every VM record's claims (uuid, props::claims_of(record)), for a rebuild.
using ClaimsByVm = std::vector<std::pair<std::string, std::vector<props::Claim>>>;

// The conflict index: which VM holds which MAC, IP, VRID, VNC port and dataset
// (props/claims.hpp), in $LUMOS_ROOT/etc/lumos/vm-index.db (SQLite, one row per (kind, key,
// uuid), keyed by (kind, key) and by uuid). A conflict check or a `lookup nics.*.mac=` is a
// handful of key lookups instead of reading every record.
//
// Contract (the record, written by temp + fsync + rename, stays the one commit point; the index
// is derived from the records and never decides anything alone):
//  - A hit is a candidate, never a verdict: the caller reads the owning VM's record (one file)
//    and applies the real rule to it. A row whose VM no longer claims its key, or whose record
//    is gone, changes no answer.
//  - Rows for a VM's new claims are committed (synchronous=FULL) BEFORE its record is written;
//    rows it no longer claims are removed AFTER (VmStore::save). Deletes remove the record, then
//    the rows. So at every instant, killed or not, each record's claims have rows; a crash
//    leaves only extra rows, which the next save of that VM or `lumosadm reindex` removes.
//  - A missing index, or one of another format version, is rebuilt from the records on first
//    use, in one write transaction that only adds rows to an index of this version (a save that
//    already wrote its rows keeps them).
//  - Writers: every save of a VM holds its VM lock (vm.<uuid>.config.lockfile), and every save
//    that adds a MAC, IP, VRID or VNC port (create, update with add_nics, update_nics or
//    vnc_port) also holds the create lock across its check and its write, so two such commands
//    never both pass the check. SQLite's own locks order the rows' transactions.
//  - A record put in place by hand (a restore) is not in the index until `lumosadm reindex`
//    (or vm-index.db is removed).
class VmIndex {
public:
    VmIndex(std::string path, std::function<Result<ClaimsByVm>()> all_claims);
    ~VmIndex();
    VmIndex(VmIndex const&) = delete;
    VmIndex& operator=(VmIndex const&) = delete;
    VmIndex(VmIndex&&) = delete;
    VmIndex& operator=(VmIndex&&) = delete;

    std::string const& path() const { return m_path; }

    // The VMs with a row for any of the claims (a Dataset claim also finds datasets nested in
    // or around it), sorted.
    Result<std::set<std::string>> uuids_claiming(std::vector<props::Claim> const& claims);
    // The claims the index holds for a VM.
    Result<std::vector<props::Claim>> claims_of(std::string const& uuid);
    // Adds rows (before the record is written). Writes nothing when none is new.
    Result<void> add(std::string const& uuid, std::vector<props::Claim> const& claims);
    // Removes a VM's rows that are not in `keep` (after the record is written).
    Result<void> retain(std::string const& uuid, std::vector<props::Claim> const& keep);
    // Removes every row of a VM (after its record was removed).
    Result<void> forget(std::string const& uuid);
    // Adds every record's claims (all_claims) in one transaction, and returns the uuids whose
    // rows are not exactly their record's (extra rows, or rows without a record) for the caller
    // to settle under their locks.
    Result<std::set<std::string>> reindex();

private:
    struct Db;
    Result<Db*> db();
    Result<void> rebuild_if_needed(Db& db);

    std::string m_path;
    std::function<Result<ClaimsByVm>()> m_all_claims;
    std::unique_ptr<Db> m_db;
};

} // namespace lumos::store
