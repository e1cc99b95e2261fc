// SPDX-License-Identifier: MPL-2.0
// JournaledPool's recovery (what a killed mutation left: entries not whole, scratch content) and
// rollback, whose interrupted swap recovery finishes.
#include "pools/detail/dataset_name.hpp"
#include "pools/detail/journaled_pool.hpp"
#include "pools/detail/journaled_pool_mutate.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <sys/stat.h>

namespace lumos::pools::detail {

namespace fs = std::filesystem;

namespace {

bool path_exists(std::string const& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

Result<void> JournaledPool::recover(DatasetDb& db)
{
    // Rollbacks go forward: the new content exists complete in scratch before the journal says so.
    TRY_ASSIGN(pending, db.pending());
    for (auto& [key, entry] : pending) {
        if (entry.state == EntryState::RollingBack && finish_rollback(db, key, entry)) {
            entry.state = EntryState::Whole;
            entry.rollback_id.clear();
            TRY(db.put(key, entry));
        }
    }
    // Renames: the rename(2) of the root decides whether the whole rename happened.
    std::set<std::pair<std::string, std::string>> renames;
    for (auto const& [key, entry] : pending) {
        if (entry.state == EntryState::Renaming) {
            renames.emplace(entry.rename_root, entry.rename_to);
        }
    }
    for (auto const& [from, to] : renames) {
        if (!path_exists(m_mountpoint + "/" + from) && path_exists(m_mountpoint + "/" + to)) {
            TRY(apply_rename(db, from, to));
        } else {
            for (auto& [key, entry] : pending) {
                if (entry.state == EntryState::Renaming && entry.rename_root == from) {
                    entry.state = EntryState::Whole;
                    entry.rename_root.clear();
                    entry.rename_to.clear();
                    TRY(db.put(key, entry));
                }
            }
        }
    }
    // Half-made and half-destroyed datasets: their data goes, then their entry. Snapshots and
    // deeper datasets first.
    TRY_ASSIGN(left, db.pending());
    Rows doomed;
    for (auto& row : left) {
        if (row.second.state == EntryState::Creating
            || row.second.state == EntryState::Destroying) {
            doomed.push_back(std::move(row));
        }
    }
    std::stable_sort(doomed.begin(), doomed.end(), [](Row const& a, Row const& b) {
        bool snap_a = is_snapshot_name(a.first);
        bool snap_b = is_snapshot_name(b.first);
        if (snap_a != snap_b) {
            return snap_a;
        }
        return std::count(a.first.begin(), a.first.end(), '/')
            > std::count(b.first.begin(), b.first.end(), '/');
    });
    for (auto const& [key, entry] : doomed) {
        if (remove_data(key, entry)) {
            TRY(db.erase(key));
        }
    }
    return recover_scratch(db);
}

// Scratch: rollback contents and the markers of receives. A receive's directory under
// .snapshots goes unless a snapshot's storage is in it (killed after its commit).
Result<void> JournaledPool::recover_scratch(DatasetDb const& db)
{
    std::error_code ec;
    if (!fs::exists(scratch_root(), ec)) {
        return {};
    }
    for (auto const& item : fs::directory_iterator(scratch_root(), ec)) {
        auto const name = item.path().filename().string();
        if (name.starts_with(RECEIVE_PREFIX)) {
            TRY_ASSIGN(used, db.storage_under(name));
            auto const received = snapshots_dir() + "/" + name;
            if (!used && fs::exists(received, ec)) {
                for (auto const& inner : fs::directory_iterator(received, ec)) {
                    (void)remove_tree(inner.path().string(), 0);
                }
                fs::remove(received, ec);
            }
        }
        auto path = item.path().string();
        for (auto const& inner : fs::directory_iterator(path, ec)) {
            (void)remove_tree(inner.path().string(), 0);
        }
        (void)remove_tree(path, 0);
    }
    fs::remove(scratch_root(), ec);
    return {};
}

Result<void> JournaledPool::rollback(std::string const& snapshot_name)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    if (!is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a snapshot name: " + snapshot_name);
    }
    auto dataset_rel = dataset_part(rel);
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(snap, db.get(rel));
        TRY_ASSIGN(dataset, db.get(dataset_rel));
        if (!snap || !dataset) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        // Later snapshots of the dataset go, as with zfs rollback -r.
        TRY_ASSIGN(snapshots, db.range(dataset_rel, DatasetDb::Range::Snapshots));
        Rows later;
        for (auto& row : snapshots) {
            if (row.second.type == DatasetType::Snapshot && row.second.sequence > snap->sequence) {
                later.push_back(std::move(row));
            }
        }
        for (auto const& [key, entry] : later) {
            if (!entry.holds.empty()) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy later snapshot " + full(key) + ": it has holds");
            }
            TRY_ASSIGN(clones, db.clones_of(key));
            if (!clones.empty()) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy later snapshot " + full(key) + ": it has dependent clones ("
                        + full(clones.front()) + ")");
            }
        }
        // The new content is made complete in scratch before the journal names it.
        auto id = random_hex(8);
        auto fresh = scratch_root() + "/rollback-" + id + "-new";
        TRY(make_directories(scratch_root(), 0700));
        bool volume = dataset->type == DatasetType::Volume;
        auto snap_path = location(rel, *snap);
        auto made = volume ? copy_file(snap_path, fresh) : make_clone_at(snap_path, fresh);
        if (made && volume && ::chmod(fresh.c_str(), 0600) != 0) {
            made = tl::unexpected(Error::from_errno("chmod " + fresh, errno));
        }
        if (!made) {
            (void)recover_scratch(db);
            return tl::unexpected(std::move(made).error());
        }
        dataset->state = EntryState::RollingBack;
        dataset->rollback_id = id;
        TRY(db.put(dataset_rel, *dataset));
        for (auto& [key, entry] : later) {
            entry.state = EntryState::Destroying;
            TRY(db.put(key, entry));
        }
        TRY(db.checkpoint());
        TRY(finish_rollback(db, dataset_rel, *dataset));
        dataset->state = EntryState::Whole;
        dataset->rollback_id.clear();
        TRY(db.put(dataset_rel, *dataset));
        TRY(recover(db)); // removes the later snapshots and the scratch directory
        return db.checkpoint();
    });
}

Result<void> JournaledPool::finish_rollback(
    DatasetDb const& db, std::string const& relative_name, Entry& entry)
{
    auto path = m_mountpoint + "/" + relative_name;
    auto fresh = scratch_root() + "/rollback-" + entry.rollback_id + "-new";
    auto old = scratch_root() + "/rollback-" + entry.rollback_id + "-old";
    if (path_exists(fresh)) {
        if (path_exists(path)) {
            if (entry.type == DatasetType::Filesystem) {
                // Child datasets live inside the dataset's directory; they move to the new
                // content, replacing the empty directory the snapshot has in their place.
                std::error_code ec;
                for (auto const& item : fs::directory_iterator(path, ec)) {
                    auto child = item.path().filename().string();
                    auto target = fresh + "/" + child;
                    if (child.empty() || child[0] == '.') {
                        continue;
                    }
                    TRY_ASSIGN(is_child, db.contains(relative_name + "/" + child));
                    if (!is_child) {
                        continue; // only child datasets move
                    }
                    std::error_code ignored;
                    if (fs::is_directory(target, ignored) && fs::is_empty(target, ignored)) {
                        ::rmdir(target.c_str());
                    }
                    if (::rename(item.path().c_str(), target.c_str()) != 0) {
                        return tl::unexpected(
                            Error::from_errno("rename " + item.path().string(), errno));
                    }
                }
            }
            if (::rename(path.c_str(), old.c_str()) != 0) {
                return tl::unexpected(Error::from_errno("rename " + path, errno));
            }
        }
        if (::rename(fresh.c_str(), path.c_str()) != 0) {
            return tl::unexpected(Error::from_errno("rename " + fresh, errno));
        }
        if (entry.type == DatasetType::Filesystem) {
            // A new subvolume on btrfs: its quota (and id) are its own.
            entry.subvolume_id = subvolume_id(path);
            if (entry.quota) {
                TRY(apply_quota(path, entry.quota));
            }
        }
    }
    if (path_exists(old)) {
        struct stat st { };
        if (::lstat(old.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
            ::unlink(old.c_str());
        } else {
            (void)remove_tree(old, 0);
        }
    }
    return {};
}

Result<void> JournaledPool::recover()
{
    return mutate([](DatasetDb&) -> Result<void> { return {}; });
}

} // namespace lumos::pools::detail
