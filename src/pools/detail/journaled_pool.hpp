// SPDX-License-Identifier: MPL-2.0
// The part of the dir and btrfs backends that does not depend on the filesystem: names,
// metadata, locking, the journal that makes every operation complete or vanish, and the checks
// (holds, clones, children). Backends supply the data operations.
#pragma once

#include "base/file.hpp"
#include "pools/command_runner.hpp"
#include "pools/detail/dataset_db.hpp"
#include "pools/detail/entry.hpp"
#include "pools/pool.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lumos::pools::detail {

enum class Detail { List, Full };

class JournaledPool : public Pool {
public:
    JournaledPool(PoolConfig const& config, CommandRunner& runner);

    // Free space below which new datasets are refused (out of space), for a pool of pool_bytes.
    static uint64_t free_space_floor(uint64_t pool_bytes);

    std::string const& name() const override { return m_name; }
    Backend backend() const override { return m_backend; }
    std::string const& mountpoint() const override { return m_mountpoint; }
    std::string path_of(std::string const& dataset) const override;

    Result<bool> exists(std::string const& name) const override;
    Result<DatasetInfo> info(std::string const& name) const override;
    Result<std::vector<DatasetInfo>> list(std::string const& prefix) const override;

    Result<void> create_filesystem(std::string const& name, CreateOptions const& options) override;
    Result<void> create_volume(
        std::string const& name, uint64_t size_bytes, CreateOptions const& options) override;
    Result<void> snapshot(std::string const& snapshot_name) override;
    Result<void> clone(std::string const& snapshot_name, std::string const& target,
        CreateOptions const& options) override;
    Result<void> rename(std::string const& from, std::string const& to) override;
    Result<void> destroy(std::string const& name, Recursive recursive) override;
    Result<void> rollback(std::string const& snapshot_name) override;
    Result<void> recover() override;
    Result<void> set_quota(std::string const& name, std::optional<uint64_t> bytes) override;
    Result<void> resize_volume(std::string const& name, uint64_t bytes) override;
    Result<void> set_user_property(
        std::string const& name, std::string const& key, std::string const& value) override;
    Result<void> hold(std::string const& snapshot_name, std::string const& tag) override;
    Result<void> release(std::string const& snapshot_name, std::string const& tag) override;
    Result<void> send(std::string const& snapshot_name,
        std::optional<std::string> const& from_snapshot, int fd) const override;
    Result<void> receive(std::string const& target, int fd) override;

protected:
    // Data operations, called with the pool lock held.
    virtual Result<void> make_filesystem_at(std::string const& path) = 0;
    // A read-only copy of the filesystem at source; child datasets (paths relative to source)
    // are not part of it.
    virtual Result<void> make_snapshot_at(std::string const& source, std::string const& target,
        std::vector<std::string> const& child_paths)
        = 0;
    virtual Result<void> make_clone_at(std::string const& snapshot_path, std::string const& target)
        = 0;
    // Removes a filesystem or snapshot tree (not a volume file).
    virtual Result<void> remove_tree(std::string const& path, uint64_t subvolume_id) = 0;
    virtual Result<void> apply_quota(std::string const& path, std::optional<uint64_t> bytes) = 0;
    // ZFS properties from CreateOptions that the backend has an equivalent for (btrfs:
    // compression); the rest are ignored.
    virtual Result<void> apply_properties(
        std::string const& /*path*/, std::map<std::string, std::string> const& /*properties*/)
    {
        return {};
    }
    virtual uint64_t subvolume_id(std::string const& /*path*/) const { return 0; }
    // Fills used_bytes. The default: volumes by their allocated blocks, filesystems by a walk of
    // the tree only with Detail::Full (list stays cheap).
    virtual void fill_usage(std::vector<DatasetInfo>& infos,
        std::vector<Entry const*> const& entries, Detail detail) const;
    // receive's data part: the stream into a scratch directory; returns the received
    // read-only tree's path inside it.
    virtual Result<std::string> receive_into(std::string const& scratch_dir, int fd);
    virtual Result<void> send_stream(std::string const& snapshot_path,
        std::optional<std::string> const& parent_path, int fd) const;

    // Helpers for backends.
    Result<void> copy_tree(std::string const& source, std::string const& target) const;
    Result<void> copy_file(std::string const& source, std::string const& target) const;
    void notice(std::string const& message) const; // appended to .lumos/notices.log
    uint64_t tree_usage(std::string const& path) const;

    std::string metadata_dir() const { return m_mountpoint + "/.lumos"; }
    std::string snapshots_dir() const { return m_mountpoint + "/.snapshots"; }
    std::string scratch_root() const { return m_mountpoint + "/.lumos/tmp"; }

    CommandRunner& m_runner;

private:
    Result<std::string> relative(std::string const& name) const;
    std::string full(std::string const& relative_name) const
    {
        return m_name + "/" + relative_name;
    }
    std::string location(std::string const& relative_name, Entry const& entry) const;

    // The database for readers (converting a pre-database pool's datasets.json first, under
    // the lock, when it has one).
    Result<DatasetDb> open_read() const;
    Result<FileLock> lock() const;
    // Whether the pool has room above the free-space floor.
    bool has_room() const;
    // Takes the lock, opens the database in a transaction, finishes or undoes what a killed
    // process left, then runs body; commits what body wrote when it succeeds, rolls back what it
    // wrote after its last checkpoint when it fails.
    template <typename Body>
    Result<void> mutate(Body&& body);
    Result<void> recover(DatasetDb& db);
    Result<void> recover_scratch(DatasetDb const& db);
    Result<void> remove_data(std::string const& relative_name, Entry const& entry);
    Result<void> apply_rename(DatasetDb& db, std::string const& from, std::string const& to) const;
    Result<void> finish_rollback(
        DatasetDb const& db, std::string const& relative_name, Entry& entry);
    Result<void> check_room(std::string const& relative_name) const;
    Result<void> check_new_dataset(DatasetDb& db, std::string const& relative_name);
    // The end of a create or a clone whose entry is journaled Creating: whole, with quota, when
    // made succeeded; else gone, with whatever of its data was made.
    Result<void> commit_new_dataset(DatasetDb& db, std::string const& relative_name, Entry& entry,
        Result<void> made, std::optional<uint64_t> quota);
    Result<void> create_locked(DatasetDb& db, std::string const& relative_name, DatasetType type,
        uint64_t size_bytes, CreateOptions const& options);
    DatasetInfo to_info(std::string const& relative_name, Entry const& entry) const;
    // The whole snapshot entry relative_name (named `name` to the caller) has; NotFound for a
    // missing, half-made or non-snapshot one (hold, release, send).
    static Result<Entry> whole_snapshot(
        DatasetDb const& db, std::string const& relative_name, std::string const& name);

    std::string m_name;
    Backend m_backend;
    std::string m_mountpoint;
};

bool is_whole(Entry const& entry);
std::string random_hex(size_t bytes);

} // namespace lumos::pools::detail
