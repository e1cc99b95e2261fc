// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lumos::pools {

// A storage pool holds datasets named as ZFS names them ("zones/<uuid>", "zones/<uuid>/data",
// "zones/cores/<uuid>", volumes "zones/<uuid>-disk0") and snapshots ("zones/<image>@final").
//
// Dataset name -> path: the pool's mountpoint joined with the name after the pool
// ("zones/<uuid>" -> "<mountpoint>/<uuid>"), for filesystems a directory (btrfs: a subvolume),
// for volumes a regular file (raw disk image). Snapshots are not in that tree; backends keep
// them where the pool says (btrfs/dir: "<mountpoint>/.snapshots/...").
//
// Every operation either completes or leaves the pool as it was (a killed process may leave an
// orphan that the next operation on that name cleans up, never a dataset that looks whole but is
// not). Operations on one pool from several processes are safe (the backend locks).
//
// On-disk layout of the dir and btrfs backends (pools/detail/journaled_pool.*):
//
//   <mountpoint>/<rel>                 dataset "<pool>/<rel>": directory (btrfs: subvolume) or,
//                                      for a volume, a sparse raw file
//   <mountpoint>/.snapshots/<hex>-<snap>  snapshot "<pool>/<rel>@<snap>": a copy of the dataset
//                                      (dir: cp -a --reflink=auto, child datasets left as empty
//                                      directories; btrfs: read-only snapshot subvolume; volumes:
//                                      a reflinked read-only file). The name is fixed at creation
//                                      and kept across renames; metadata maps names to it.
//   <mountpoint>/.lumos/datasets.db    every dataset and snapshot of the pool, one row each in an
//                                      SQLite database keyed by the relative name ("<uuid>",
//                                      "<uuid>@final"): columns origin, state, sequence for what
//                                      is looked up, the rest (type, creation, quota, volsize,
//                                      properties, holds, storage, subvolume_id, ...) as JSON
//                                      (pools/detail/dataset_db.hpp). list/info/exists read only
//                                      the rows they need (list does not walk datasets; used_bytes
//                                      is a tree walk in info() on dir, the qgroup's referenced
//                                      bytes on btrfs with quotas on). `.lumos` is NOCOW on btrfs.
//   <mountpoint>/.lumos/datasets.db-journal  its rollback journal, kept and preallocated
//                                      (journal_mode=PERSIST) so that a full pool still commits
//   <mountpoint>/.lumos/datasets.json, datasets.spare  a pool from before the database: converted
//                                      once into datasets.db, then removed
//                                      (pools/detail/legacy_journal.hpp)
//   <mountpoint>/.lumos/lock           flock serializing all mutations of the pool
//   <mountpoint>/.lumos/tmp/           scratch (btrfs receive), emptied by the next mutation
//   <mountpoint>/.lumos/notices.log    "quota recorded, not enforced" notices
//
// Crash safety: the database's transactions are the commit point (BEGIN IMMEDIATE under the
// pool's flock, synchronous=FULL); each row's state is the journal for the data outside it.
// Create commits the row with state "creating", makes the data, then commits the state cleared;
// destroy commits "destroying", removes the data (snapshots, then deepest datasets), then
// deletes the rows; rename commits "renaming" (rename_root/rename_to) on the dataset, its
// children and snapshots, does one rename(2), then rekeys the rows (and clones' origins) in one
// transaction. Readers ignore rows with a state. Every mutation first (under the lock) finishes
// or undoes what a killed process left, found through an index of the rows with a state (so
// that costs what is pending, not the pool's size): "creating"/"destroying" rows lose their
// data and go, a rename is completed when the new path exists and the old one does not, else
// rolled back. A process killed inside a transaction leaves SQLite's hot journal, which the next
// reader or writer rolls back. Nothing outside the journal is ever deleted: create over an
// existing non-empty path fails (AlreadyExists); an empty directory is taken over.
//
// Quotas on btrfs (pools made with quotas on) limit the referenced bytes of the dataset's own
// subvolume (its level-0 qgroup), so unlike a ZFS quota they count neither child datasets
// ("<uuid>/data" is a subvolume of its own) nor snapshots, and a clone's data shared with its
// origin counts. used_bytes is that qgroup's referenced bytes. Each snapshot or clone costs more
// as snapshots pile up with qgroups on (bench/qgroup_cost.sh); pools made with --no-quotas and
// dir pools record and report quotas without enforcing them (a line in .lumos/notices.log).
//
// The zfs backend (zfs_pool.cpp) runs zfs(8) for everything (snapshots at
// <mountpoint>/<rel>/.zfs/snapshot/<snap>). Pools: $LUMOS_ROOT/etc/lumos/pools.json
// {"pools":[{"name","backend","mountpoint","quotas","device"?,"file"?}]}.
// Backend factories and setup helpers: pools/backends.hpp, pools/pool_setup.hpp.

enum class Backend { Btrfs, Dir, Zfs };
char const* backend_name(Backend backend);
Result<Backend> backend_from_name(std::string const& name);

enum class DatasetType { Filesystem, Volume, Snapshot };
char const* dataset_type_name(DatasetType type); // "filesystem", "volume", "snapshot"

struct DatasetInfo {
    std::string name; // "zones/<uuid>" or "zones/<uuid>@final"
    DatasetType type { DatasetType::Filesystem };
    std::string path; // filesystem: mount directory; volume: the file; snapshot: its read-only copy
    std::optional<std::string> origin; // "zones/<image>@final" for clones
    uint64_t used_bytes { 0 }; // best effort (btrfs: qgroup referenced, dir: du)
    std::optional<uint64_t> quota_bytes; // nullopt: none
    std::optional<uint64_t> volume_size_bytes; // volumes only
    int64_t creation { 0 }; // epoch seconds
    std::map<std::string, std::string> user_properties; // "imgadm:ignore" = "true", ...
    std::vector<std::string> holds; // snapshot hold tags ("do_not_destroy")
};

struct CreateOptions {
    std::optional<uint64_t> quota_bytes;
    // ZFS properties the caller wants (compression, recsize, ...). Backends apply what they have
    // an equivalent for and ignore the rest (the dir backend ignores all).
    std::map<std::string, std::string> properties;
};

enum class Recursive { No, Yes };

class Pool {
public:
    virtual ~Pool() = default;

    virtual std::string const& name() const = 0;
    virtual Backend backend() const = 0;
    virtual std::string const& mountpoint() const = 0;
    // Whether quotas are enforced (btrfs with qgroups on, zfs); the dir backend and a btrfs pool
    // with quotas turned off report quotas but do not enforce them.
    virtual bool enforces_quotas() const = 0;

    // Where a dataset lives (no check that it exists).
    virtual std::string path_of(std::string const& dataset) const = 0;
    // What a volume's readers and writers open (QEMU, dd): its raw file, or a zfs pool's block
    // device /dev/zvol/<dataset>.
    virtual std::string volume_path(std::string const& dataset) const { return path_of(dataset); }

    virtual Result<bool> exists(std::string const& name) const = 0;
    virtual Result<DatasetInfo> info(std::string const& name) const = 0;
    // Datasets and snapshots whose name is `prefix` or starts with `prefix + "/"` or
    // `prefix + "@"`; an empty prefix lists the whole pool.
    virtual Result<std::vector<DatasetInfo>> list(std::string const& prefix = {}) const = 0;

    // Parents must exist ("zones/<uuid>/data" needs "zones/<uuid>"); "zones/cores" is created on
    // demand by create_filesystem of "zones/cores/<uuid>".
    virtual Result<void> create_filesystem(std::string const& name, CreateOptions const& options)
        = 0;
    // A raw volume file of size bytes (sparse).
    virtual Result<void> create_volume(
        std::string const& name, uint64_t size_bytes, CreateOptions const& options)
        = 0;
    // "<dataset>@<snap>": an O(1) read-only copy where the backend can (btrfs, zfs).
    virtual Result<void> snapshot(std::string const& snapshot_name) = 0;
    // A writable dataset from a snapshot; O(1) on btrfs/zfs, reflink or copy on dir. The
    // clone's origin is recorded, and the snapshot cannot be destroyed while clones exist.
    virtual Result<void> clone(
        std::string const& snapshot_name, std::string const& target, CreateOptions const& options)
        = 0;
    // Renames a dataset (with its snapshots) within the pool.
    virtual Result<void> rename(std::string const& from, std::string const& to) = 0;
    // Destroys a dataset or snapshot. Refuses (Busy) a snapshot with holds or clones, and a
    // dataset with children or snapshots unless Recursive::Yes (children and snapshots first;
    // still refuses when any of them is held or has clones).
    virtual Result<void> destroy(std::string const& name, Recursive recursive) = 0;

    // `zfs rollback -r` — the dataset's content becomes the snapshot's
    // again and snapshots taken after it are destroyed (Busy when one of them is held or has
    // clones). Child datasets ("<ds>/data") are untouched, as on ZFS.
    virtual Result<void> rollback(std::string const& snapshot_name)
    {
        return make_error(
            ErrorCode::Unsupported, "rollback is not supported here: " + snapshot_name);
    }

    // Finishes or undoes what a killed process left (every mutation does that first): for
    // lumosadm pool check, which otherwise only reads.
    virtual Result<void> recover() { return {}; }

    virtual Result<void> set_quota(std::string const& name, std::optional<uint64_t> bytes) = 0;
    // `zfs set volsize=` — a volume grows or shrinks to bytes (sparse: a grown
    // volume reads zeros past its old end; a shrunk one loses what was past its new end). The
    // caller decides whether a shrink is allowed (dangerous_allow_shrink). InvalidArgument for
    // a filesystem or snapshot, NotFound for a missing volume.
    virtual Result<void> resize_volume(std::string const& name, uint64_t bytes) = 0;
    virtual Result<void> set_user_property(
        std::string const& name, std::string const& key, std::string const& value)
        = 0;
    virtual Result<void> hold(std::string const& snapshot_name, std::string const& tag) = 0;
    virtual Result<void> release(std::string const& snapshot_name, std::string const& tag) = 0;

    // Streams: a full (or, with from_snapshot, incremental) send of a snapshot to fd, and a
    // receive from fd into a new dataset `target` whose single snapshot is named as in the stream
    // (the caller renames it). Format is the backend's native one (btrfs send, zfs send);
    // Unsupported where there is none (dir).
    virtual Result<void> send(std::string const& snapshot_name,
        std::optional<std::string> const& from_snapshot, int fd) const = 0;
    virtual Result<void> receive(std::string const& target, int fd) = 0;
};

// The pools of a host, from $LUMOS_ROOT/etc/lumos/pools.json. A host without that file has one
// implicit pool "zones" with the dir backend at $LUMOS_ROOT/zones, so a fresh LUMOS_ROOT works
// without setup (quotas reported, not enforced).
struct PoolConfig {
    std::string name;
    Backend backend { Backend::Dir };
    std::string mountpoint;
    std::string device; // btrfs on a block device, or the loop device of `file`
    std::string file; // loop-backed pool image, when made with --file
    bool quotas { true }; // btrfs: qgroups enabled (enforced); false: reported, not enforced
};

// What every pool the registry opens is handed through before its user gets it: none in
// production; tests wrap pools to count calls or inject failures (tests/support/failing_pool).
using PoolDecorator = std::function<std::unique_ptr<Pool>(std::unique_ptr<Pool>)>;

class PoolRegistry {
public:
    explicit PoolRegistry(Paths paths, PoolDecorator decorator = {});
    Paths const& paths() const { return m_paths; }

    Result<std::vector<PoolConfig>> configs() const;
    Result<std::unique_ptr<Pool>> open(std::string const& name) const;
    // Names of the pools (for vmadm's zpool checks).
    std::vector<std::string> names() const;

    // lumosadm pool create/destroy.
    struct CreateRequest {
        std::string name { "zones" };
        Backend backend { Backend::Btrfs };
        std::string device; // an existing block device to format
        std::string file; // or a file to make (size bytes) and attach to a loop device
        uint64_t size_bytes { 0 };
        bool quotas { true };
        std::string mountpoint; // default Paths::pool_mountpoint(name)
    };
    Result<PoolConfig> create(CreateRequest const& request);
    // Unmounts, detaches the loop device, removes the backing file it made, forgets the pool.
    Result<void> destroy(std::string const& name);

private:
    Result<std::unique_ptr<Pool>> open_undecorated(std::string const& name) const;

    Paths m_paths;
    PoolDecorator m_decorator;
};

} // namespace lumos::pools
