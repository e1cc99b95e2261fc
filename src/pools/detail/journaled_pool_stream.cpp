// SPDX-License-Identifier: MPL-2.0
// JournaledPool's streams: send of a snapshot (full or incremental) and receive of a new
// dataset, in the backend's stream format.
#include "base/time.hpp"
#include "pools/detail/dataset_name.hpp"
#include "pools/detail/journaled_pool.hpp"
#include "pools/detail/journaled_pool_mutate.hpp"

#include <filesystem>

namespace lumos::pools::detail {

namespace fs = std::filesystem;

Result<void> JournaledPool::send(
    std::string const& snapshot_name, std::optional<std::string> const& from_snapshot, int fd) const
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    TRY_ASSIGN(db, open_read());
    TRY_ASSIGN(entry, whole_snapshot(db, rel, snapshot_name));
    std::optional<std::string> parent_path;
    if (from_snapshot) {
        TRY_ASSIGN(from_rel, relative(*from_snapshot));
        TRY_ASSIGN(from_entry, whole_snapshot(db, from_rel, *from_snapshot));
        parent_path = location(from_rel, from_entry);
    }
    return send_stream(location(rel, entry), parent_path, fd);
}

Result<void> JournaledPool::send_stream(
    std::string const&, std::optional<std::string> const&, int) const
{
    return make_error(ErrorCode::Unsupported,
        std::string("pool ") + m_name + " (" + backend_name(m_backend)
            + ") has no send stream format");
}

Result<std::string> JournaledPool::receive_into(std::string const&, int)
{
    return make_error(ErrorCode::Unsupported,
        std::string("pool ") + m_name + " (" + backend_name(m_backend)
            + ") cannot receive streams");
}

Result<void> JournaledPool::receive(std::string const& target, int fd)
{
    TRY_ASSIGN(rel, relative(target));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + target);
    }
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY(check_new_dataset(db, rel));
        // Received subvolumes stay read-only where btrfs receive made them (a read-only
        // subvolume cannot move to another directory), so each receive gets a directory of its
        // own under .snapshots and the snapshot's storage is "<dir>/<name>".
        auto scratch_name = RECEIVE_PREFIX + random_hex(8);
        auto scratch = snapshots_dir() + "/" + scratch_name;
        // The marker makes the next mutation look for an interrupted receive.
        auto marker = scratch_root() + "/" + scratch_name;
        TRY(make_directories(marker, 0700));
        TRY(make_directories(scratch, 0700));
        auto received = receive_into(scratch, fd);
        if (!received) {
            (void)recover_scratch(db);
            return tl::unexpected(std::move(received).error());
        }
        // The received tree is named as the sender's snapshot storage ("<hex>-<snap>").
        auto base = fs::path(*received).filename().string();
        auto dash = base.find('-');
        auto snap
            = dash != std::string::npos && dash + 1 < base.size() ? base.substr(dash + 1) : base;
        if (!valid_component(snap)) {
            snap = "received";
        }
        auto snap_rel = rel + "@" + snap;
        Entry dataset;
        dataset.type = DatasetType::Filesystem;
        dataset.creation = now_ms() / 1000;
        dataset.state = EntryState::Creating;
        Entry snapshot;
        snapshot.type = DatasetType::Snapshot;
        snapshot.creation = dataset.creation;
        snapshot.storage = scratch_name + "/" + base;
        snapshot.state = EntryState::Creating;
        TRY(db.put(rel, dataset));
        TRY(db.put(snap_rel, snapshot));
        TRY(db.checkpoint());
        auto snap_path = location(snap_rel, snapshot);
        auto destination = m_mountpoint + "/" + rel;
        auto made = make_clone_at(snap_path, destination);
        if (!made) {
            if (recover(db)) {
                (void)db.checkpoint();
            }
            return tl::unexpected(std::move(made).error());
        }
        dataset.state = EntryState::Whole;
        dataset.subvolume_id = subvolume_id(destination);
        snapshot.state = EntryState::Whole;
        snapshot.subvolume_id = subvolume_id(snap_path);
        TRY(db.put(rel, dataset));
        TRY(db.put(snap_rel, snapshot));
        TRY(db.checkpoint());
        std::error_code ec;
        fs::remove(marker, ec);
        fs::remove(scratch_root(), ec);
        return {};
    });
}

} // namespace lumos::pools::detail
