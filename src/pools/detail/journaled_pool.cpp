// SPDX-License-Identifier: MPL-2.0
#include "pools/detail/journaled_pool.hpp"

#include "base/json.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "pools/detail/dataset_name.hpp"
#include "pools/detail/journaled_pool_mutate.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lumos::pools::detail {

namespace fs = std::filesystem;

namespace {

bool path_exists(std::string const& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

// Readers see a dataset being renamed under its old name until the rename commits; half-made
// and half-destroyed ones not at all. (Inside a mutation, after recover(), every entry is whole.)
bool is_whole(Entry const& entry)
{
    return entry.state == EntryState::Whole || entry.state == EntryState::Renaming
        || entry.state == EntryState::RollingBack;
}

std::string random_hex(size_t bytes)
{
    std::vector<unsigned char> buffer(bytes);
    random_bytes(buffer.data(), buffer.size());
    static char const* const DIGITS = "0123456789abcdef";
    std::string out;
    for (auto byte : buffer) {
        out += DIGITS[byte >> 4];
        out += DIGITS[byte & 0xf];
    }
    return out;
}

JournaledPool::JournaledPool(PoolConfig const& config, CommandRunner& runner)
    : m_runner(runner)
    , m_name(config.name)
    , m_backend(config.backend)
    , m_mountpoint(config.mountpoint)
{
}

Result<std::string> JournaledPool::relative(std::string const& name) const
{
    return relative_dataset_name(m_name, name);
}

std::string JournaledPool::location(std::string const& relative_name, Entry const& entry) const
{
    if (entry.type == DatasetType::Snapshot) {
        return snapshots_dir() + "/" + entry.storage;
    }
    return m_mountpoint + "/" + relative_name;
}

std::string JournaledPool::path_of(std::string const& dataset) const
{
    auto rel
        = dataset.size() > m_name.size() + 1 ? dataset.substr(m_name.size() + 1) : std::string();
    if (is_snapshot_name(rel)) {
        if (auto db = open_read()) {
            if (auto entry = db->get(rel); entry && *entry) {
                return location(rel, **entry);
            }
        }
        return snapshots_dir() + "/" + rel;
    }
    return m_mountpoint + "/" + rel;
}

Result<DatasetDb> JournaledPool::open_read() const
{
    struct stat st { };
    if (::lstat(DatasetDb::path_in(metadata_dir()).c_str(), &st) != 0
        && has_legacy_journal(metadata_dir())) {
        TRY_ASSIGN(held, lock());
        TRY(migrate_legacy_journal(metadata_dir()));
    }
    return DatasetDb::open(metadata_dir(), DatasetDb::Access::Read);
}

Result<FileLock> JournaledPool::lock() const
{
    struct stat st { };
    if (::stat(m_mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(ErrorCode::NotFound,
            "pool \"" + m_name + "\": mountpoint " + m_mountpoint + " does not exist");
    }
    TRY(make_directories(metadata_dir(), 0700));
    return FileLock::acquire(metadata_dir() + "/lock");
}

Result<void> JournaledPool::remove_data(std::string const& relative_name, Entry const& entry)
{
    auto path = location(relative_name, entry);
    struct stat st { };
    if (::lstat(path.c_str(), &st) != 0) {
        return {};
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
            return tl::unexpected(Error::from_errno("unlink " + path, errno));
        }
        return {};
    }
    TRY(remove_tree(path, entry.subvolume_id));
    if (entry.type == DatasetType::Snapshot && entry.storage.find('/') != std::string::npos) {
        ::rmdir(fs::path(path).parent_path().c_str());
    }
    return {};
}

// Rekeys from's rows (itself, descendants, snapshots) to `to`, then the origins of their clones.
// NOLINTNEXTLINE(readability-convert-member-functions-to-static): kept beside its siblings
Result<void> JournaledPool::apply_rename(
    DatasetDb& db, std::string const& from, std::string const& to) const
{
    TRY_ASSIGN(rows, db.range(from));
    for (auto const& [key, entry] : rows) {
        TRY(db.erase(key));
    }
    for (auto& [key, entry] : rows) {
        entry.state = EntryState::Whole;
        entry.rename_root.clear();
        entry.rename_to.clear();
        TRY(db.put(to + key.substr(from.size()), entry));
    }
    for (auto const& [key, entry] : rows) {
        if (!is_snapshot_name(key)) {
            continue;
        }
        TRY_ASSIGN(clones, db.clones_of(key));
        for (auto const& clone : clones) {
            TRY_ASSIGN(found, db.get(clone));
            if (found) {
                found->origin = to + key.substr(from.size());
                TRY(db.put(clone, *found));
            }
        }
    }
    return {};
}

DatasetInfo JournaledPool::to_info(std::string const& relative_name, Entry const& entry) const
{
    DatasetInfo info;
    info.name = full(relative_name);
    info.type = entry.type;
    info.path = location(relative_name, entry);
    if (entry.origin) {
        info.origin = full(*entry.origin);
    }
    info.quota_bytes = entry.quota;
    if (entry.type == DatasetType::Volume) {
        info.volume_size_bytes = entry.volsize;
    }
    info.creation = entry.creation;
    info.user_properties = entry.properties;
    info.holds = entry.holds;
    return info;
}

Result<bool> JournaledPool::exists(std::string const& name) const
{
    TRY_ASSIGN(rel, relative(name));
    TRY_ASSIGN(db, open_read());
    TRY_ASSIGN(entry, db.get(rel));
    return entry && is_whole(*entry);
}

Result<DatasetInfo> JournaledPool::info(std::string const& name) const
{
    TRY_ASSIGN(rel, relative(name));
    TRY_ASSIGN(db, open_read());
    TRY_ASSIGN(entry, db.get(rel));
    if (!entry || !is_whole(*entry)) {
        return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
    }
    std::vector<DatasetInfo> infos { to_info(rel, *entry) };
    fill_usage(infos, { &*entry }, Detail::Full);
    return infos.front();
}

Result<std::vector<DatasetInfo>> JournaledPool::list(std::string const& prefix) const
{
    std::string base;
    if (!prefix.empty() && prefix != m_name) {
        TRY_ASSIGN(rel, relative(prefix));
        base = rel;
    }
    TRY_ASSIGN(db, open_read());
    TRY_ASSIGN(rows, db.range(base));
    std::vector<DatasetInfo> infos;
    std::vector<Entry const*> selected;
    for (auto const& [key, entry] : rows) {
        if (!is_whole(entry)) {
            continue;
        }
        infos.push_back(to_info(key, entry));
        selected.push_back(&entry);
    }
    fill_usage(infos, selected, Detail::List);
    return infos;
}

void JournaledPool::fill_usage(
    std::vector<DatasetInfo>& infos, std::vector<Entry const*> const& entries, Detail detail) const
{
    for (size_t i = 0; i < infos.size(); ++i) {
        auto const& entry = *entries[i];
        bool file = entry.type == DatasetType::Volume
            || (entry.type == DatasetType::Snapshot && entry.volsize.has_value());
        if (file) {
            struct stat st { };
            if (::stat(infos[i].path.c_str(), &st) == 0) {
                infos[i].used_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
            }
        } else if (detail == Detail::Full) {
            infos[i].used_bytes = tree_usage(infos[i].path);
        }
    }
}

// NOLINTNEXTLINE(readability-convert-member-functions-to-static): kept beside its siblings
uint64_t JournaledPool::tree_usage(std::string const& path) const
{
    uint64_t total = 0;
    std::error_code ec;
    struct stat st { };
    if (::lstat(path.c_str(), &st) == 0) {
        total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (::lstat(it->path().c_str(), &st) == 0) {
            total += static_cast<uint64_t>(st.st_blocks) * 512;
        }
    }
    return total;
}

// A new dataset needs room: a pool with less free than this refuses it, as ZFS keeps its slop
// space, so that a full pool stays manageable (deletes write the journal into the spare) and a
// create fails before it makes anything rather than half-way.
uint64_t JournaledPool::free_space_floor(uint64_t pool_bytes)
{
    constexpr uint64_t MIN_FREE = uint64_t { 16 } << 20;
    return std::max(MIN_FREE, pool_bytes / 128);
}

Result<void> JournaledPool::check_room(std::string const& relative_name) const
{
    struct statvfs st { };
    if (::statvfs(m_mountpoint.c_str(), &st) != 0) {
        return tl::unexpected(Error::from_errno("statvfs " + m_mountpoint, errno));
    }
    auto const available = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    auto const size = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
    if (available < free_space_floor(size)) {
        return tl::unexpected(Error(ErrorCode::System,
            "cannot create '" + full(relative_name) + "': out of space (pool " + m_name + " has "
                + std::to_string(available >> 20) + " MiB free)",
            ENOSPC));
    }
    return {};
}

bool JournaledPool::has_room() const
{
    struct statvfs st { };
    if (::statvfs(m_mountpoint.c_str(), &st) != 0) {
        return false;
    }
    auto const available = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    return available >= free_space_floor(static_cast<uint64_t>(st.f_blocks) * st.f_frsize);
}

Result<void> JournaledPool::check_new_dataset(DatasetDb& db, std::string const& relative_name)
{
    TRY_ASSIGN(taken, db.contains(relative_name));
    if (taken) {
        return make_error(
            ErrorCode::AlreadyExists, "dataset already exists: " + full(relative_name));
    }
    TRY(check_room(relative_name));
    auto parent = parent_of(relative_name);
    if (parent) {
        TRY_ASSIGN(found, db.get(*parent));
        if (!found && *parent == "cores") {
            TRY(create_locked(db, *parent, DatasetType::Filesystem, 0, {}));
            TRY_ASSIGN(made, db.get(*parent));
            found = std::move(made);
        }
        if (!found || !is_whole(*found)) {
            return make_error(
                ErrorCode::NotFound, "parent dataset does not exist: " + full(*parent));
        }
        if (found->type != DatasetType::Filesystem) {
            return make_error(
                ErrorCode::InvalidArgument, "parent is not a filesystem: " + full(*parent));
        }
    }
    auto path = m_mountpoint + "/" + relative_name;
    struct stat st { };
    if (::lstat(path.c_str(), &st) == 0) {
        // An empty directory (a mountpoint made by hand, say) is taken over; anything else is
        // somebody's data that this pool does not own.
        if (!S_ISDIR(st.st_mode) || ::rmdir(path.c_str()) != 0) {
            return make_error(
                ErrorCode::AlreadyExists, path + " exists but is not a dataset of pool " + m_name);
        }
    }
    return {};
}

Result<void> JournaledPool::create_locked(DatasetDb& db, std::string const& relative_name,
    DatasetType type, uint64_t size_bytes, CreateOptions const& options)
{
    TRY(check_new_dataset(db, relative_name));
    auto path = m_mountpoint + "/" + relative_name;
    Entry entry;
    entry.type = type;
    entry.creation = now_ms() / 1000;
    entry.state = EntryState::Creating;
    if (type == DatasetType::Volume) {
        entry.volsize = size_bytes;
    }
    TRY(db.put(relative_name, entry));
    TRY(db.checkpoint());

    auto made = [&]() -> Result<void> {
        if (type == DatasetType::Volume) {
            UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (!fd.valid()) {
                return tl::unexpected(Error::from_errno("create " + path, errno));
            }
            if (::ftruncate(fd.get(), static_cast<off_t>(size_bytes)) != 0) {
                return tl::unexpected(Error::from_errno("truncate " + path, errno));
            }
            return {};
        }
        TRY(make_filesystem_at(path));
        TRY(apply_properties(path, options.properties));
        if (options.quota_bytes) {
            TRY(apply_quota(path, options.quota_bytes));
        }
        return {};
    }();
    return commit_new_dataset(db, relative_name, entry, std::move(made), options.quota_bytes);
}

Result<void> JournaledPool::commit_new_dataset(DatasetDb& db, std::string const& relative_name,
    Entry& entry, Result<void> made, std::optional<uint64_t> quota)
{
    if (!made) {
        (void)remove_data(relative_name, entry);
        if (db.erase(relative_name)) {
            (void)db.checkpoint();
        }
        return tl::unexpected(std::move(made).error());
    }
    entry.state = EntryState::Whole;
    entry.quota = quota;
    if (entry.type == DatasetType::Filesystem) {
        entry.subvolume_id = subvolume_id(m_mountpoint + "/" + relative_name);
    }
    TRY(db.put(relative_name, entry));
    return db.checkpoint();
}

Result<void> JournaledPool::create_filesystem(std::string const& name, CreateOptions const& options)
{
    TRY_ASSIGN(rel, relative(name));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + name);
    }
    return mutate([&](DatasetDb& db) -> Result<void> {
        return create_locked(db, rel, DatasetType::Filesystem, 0, options);
    });
}

Result<void> JournaledPool::create_volume(
    std::string const& name, uint64_t size_bytes, CreateOptions const& options)
{
    TRY_ASSIGN(rel, relative(name));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + name);
    }
    return mutate([&](DatasetDb& db) -> Result<void> {
        return create_locked(db, rel, DatasetType::Volume, size_bytes, options);
    });
}

Result<void> JournaledPool::snapshot(std::string const& snapshot_name)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    if (!is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a snapshot name: " + snapshot_name);
    }
    auto source_rel = dataset_part(rel);
    auto snap = rel.substr(source_rel.size() + 1);
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(source, db.get(source_rel));
        if (!source || !is_whole(*source)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + full(source_rel));
        }
        TRY_ASSIGN(taken, db.contains(rel));
        if (taken) {
            return make_error(
                ErrorCode::AlreadyExists, "snapshot already exists: " + snapshot_name);
        }
        TRY(make_directories(snapshots_dir(), 0700));
        Entry entry;
        entry.type = DatasetType::Snapshot;
        entry.creation = now_ms() / 1000;
        entry.storage = random_hex(8) + "-" + snap;
        entry.state = EntryState::Creating;
        TRY_ASSIGN(sequence, db.max_sequence());
        entry.sequence = sequence + 1;
        if (source->type == DatasetType::Volume) {
            entry.volsize = source->volsize;
        }
        std::vector<std::string> children;
        TRY_ASSIGN(below, db.range(source_rel, DatasetDb::Range::Children));
        for (auto const& [key, child] : below) {
            if (!is_snapshot_name(key)) {
                children.push_back(key.substr(source_rel.size() + 1));
            }
        }
        bool volume = source->type == DatasetType::Volume;
        TRY(db.put(rel, entry));
        TRY(db.checkpoint());
        auto source_path = m_mountpoint + "/" + source_rel;
        auto target_path = location(rel, entry);
        auto made = volume ? copy_file(source_path, target_path)
                           : make_snapshot_at(source_path, target_path, children);
        if (made && volume) {
            ::chmod(target_path.c_str(), 0400);
        }
        if (!made) {
            (void)remove_data(rel, entry);
            if (db.erase(rel)) {
                (void)db.checkpoint();
            }
            return tl::unexpected(std::move(made).error());
        }
        entry.state = EntryState::Whole;
        if (!volume) {
            entry.subvolume_id = subvolume_id(target_path);
        }
        TRY(db.put(rel, entry));
        return db.checkpoint();
    });
}

Result<void> JournaledPool::clone(
    std::string const& snapshot_name, std::string const& target, CreateOptions const& options)
{
    TRY_ASSIGN(snap_rel, relative(snapshot_name));
    TRY_ASSIGN(rel, relative(target));
    if (!is_snapshot_name(snap_rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a snapshot name: " + snapshot_name);
    }
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + target);
    }
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(snap, db.get(snap_rel));
        if (!snap || !is_whole(*snap)) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        Entry const source = *snap;
        TRY(check_new_dataset(db, rel));
        bool volume = source.volsize.has_value();
        Entry entry;
        entry.type = volume ? DatasetType::Volume : DatasetType::Filesystem;
        entry.creation = now_ms() / 1000;
        entry.origin = snap_rel;
        entry.volsize = source.volsize;
        entry.state = EntryState::Creating;
        TRY(db.put(rel, entry));
        TRY(db.checkpoint());
        auto path = m_mountpoint + "/" + rel;
        auto snap_path = location(snap_rel, source);
        auto made = [&]() -> Result<void> {
            if (volume) {
                TRY(copy_file(snap_path, path));
                if (::chmod(path.c_str(), 0600) != 0) {
                    return tl::unexpected(Error::from_errno("chmod " + path, errno));
                }
                return {};
            }
            // NOLINTNEXTLINE(readability-suspicious-call-argument): path is the clone's target
            TRY(make_clone_at(snap_path, path));
            TRY(apply_properties(path, options.properties));
            if (options.quota_bytes) {
                TRY(apply_quota(path, options.quota_bytes));
            }
            return {};
        }();
        return commit_new_dataset(db, rel, entry, std::move(made), options.quota_bytes);
    });
}

Result<void> JournaledPool::rename(std::string const& from, std::string const& to)
{
    TRY_ASSIGN(from_rel, relative(from));
    TRY_ASSIGN(to_rel, relative(to));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(found, db.get(from_rel));
        if (!found || !is_whole(*found)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + from);
        }
        TRY_ASSIGN(taken, db.contains(to_rel));
        if (taken) {
            return make_error(ErrorCode::AlreadyExists, "dataset already exists: " + to);
        }
        if (is_snapshot_name(from_rel) || is_snapshot_name(to_rel)) {
            if (!is_snapshot_name(from_rel) || !is_snapshot_name(to_rel)
                || dataset_part(from_rel) != dataset_part(to_rel)) {
                return make_error(ErrorCode::InvalidArgument,
                    "snapshots can only be renamed within their dataset: " + from + " -> " + to);
            }
            // Metadata only: the snapshot's data lives under a name of its own.
            TRY(apply_rename(db, from_rel, to_rel));
            return db.checkpoint();
        }
        if (under(to_rel, from_rel)) {
            return make_error(ErrorCode::InvalidArgument,
                "cannot rename a dataset below itself: " + from + " -> " + to);
        }
        auto parent = parent_of(to_rel);
        if (parent) {
            TRY_ASSIGN(parent_entry, db.get(*parent));
            if (!parent_entry || !is_whole(*parent_entry)) {
                return make_error(
                    ErrorCode::NotFound, "parent dataset does not exist: " + full(*parent));
            }
        }
        auto from_path = m_mountpoint + "/" + from_rel;
        auto to_path = m_mountpoint + "/" + to_rel;
        if (path_exists(to_path)) {
            return make_error(ErrorCode::AlreadyExists,
                to_path + " exists but is not a dataset of pool " + m_name);
        }
        TRY_ASSIGN(rows, db.range(from_rel));
        for (auto const& [key, entry] : rows) {
            if (!is_whole(entry)) {
                return make_error(ErrorCode::Busy, "dataset is busy: " + full(key));
            }
        }
        for (auto& [key, entry] : rows) {
            entry.state = EntryState::Renaming;
            entry.rename_root = from_rel;
            entry.rename_to = to_rel;
            TRY(db.put(key, entry));
        }
        TRY(db.checkpoint());
        if (::rename(from_path.c_str(), to_path.c_str()) != 0) {
            int saved = errno;
            for (auto& [key, entry] : rows) {
                entry.state = EntryState::Whole;
                entry.rename_root.clear();
                entry.rename_to.clear();
                TRY(db.put(key, entry));
            }
            (void)db.checkpoint();
            return tl::unexpected(
                Error::from_errno("rename " + from_path + " to " + to_path, saved));
        }
        TRY(apply_rename(db, from_rel, to_rel));
        return db.checkpoint();
    });
}

Result<void> JournaledPool::destroy(std::string const& name, Recursive recursive)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(found, db.get(rel));
        if (!found || !is_whole(*found)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        Rows doomed { { rel, *found } };
        if (!is_snapshot_name(rel)) {
            TRY_ASSIGN(below, db.range(rel));
            for (auto& row : below) {
                if (row.first == rel) {
                    continue;
                }
                if (recursive == Recursive::No) {
                    return make_error(ErrorCode::Busy,
                        "cannot destroy " + name + ": it has children or snapshots ("
                            + full(row.first) + "); use recursive destroy");
                }
                doomed.push_back(std::move(row));
            }
        }
        std::set<std::string> doomed_set;
        for (auto const& [key, entry] : doomed) {
            doomed_set.insert(key);
            if (!is_whole(entry)) {
                return make_error(ErrorCode::Busy, "dataset is busy: " + full(key));
            }
            if (!entry.holds.empty()) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy snapshot " + full(key) + ": it has holds ("
                        + entry.holds.front() + ")");
            }
        }
        for (auto const& [key, entry] : doomed) {
            if (!is_snapshot_name(key)) {
                continue;
            }
            TRY_ASSIGN(clones, db.clones_of(key));
            for (auto const& clone : clones) {
                if (!doomed_set.contains(clone)) {
                    return make_error(ErrorCode::Busy,
                        "cannot destroy " + full(key) + ": it has dependent clones (" + full(clone)
                            + ")");
                }
            }
        }
        for (auto& [key, entry] : doomed) {
            entry.state = EntryState::Destroying;
            TRY(db.put(key, entry));
        }
        TRY(db.checkpoint());
        // The entries are gone for readers now; recover() removes the data (snapshots first,
        // deeper datasets before their parents) and forgets each entry once its data is gone.
        TRY(recover(db));
        TRY(db.checkpoint());
        for (auto const& [key, entry] : doomed) {
            TRY_ASSIGN(left, db.contains(key));
            if (left) {
                return make_error(ErrorCode::System,
                    "could not remove the data of " + full(key) + "; the next operation on pool "
                        + m_name + " retries");
            }
        }
        return {};
    });
}

Result<void> JournaledPool::set_quota(std::string const& name, std::optional<uint64_t> bytes)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(entry, db.get(rel));
        if (!entry || !is_whole(*entry)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        if (entry->type != DatasetType::Filesystem) {
            return make_error(
                ErrorCode::InvalidArgument, "quota applies to filesystems only: " + name);
        }
        TRY(apply_quota(location(rel, *entry), bytes));
        entry->quota = bytes;
        return db.put(rel, *entry);
    });
}

Result<void> JournaledPool::resize_volume(std::string const& name, uint64_t bytes)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(entry, db.get(rel));
        if (!entry || !is_whole(*entry)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        if (entry->type != DatasetType::Volume || !entry->volsize) {
            return make_error(
                ErrorCode::InvalidArgument, "volsize applies to volumes only: " + name);
        }
        if (bytes == 0 || bytes > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
            return make_error(ErrorCode::InvalidArgument,
                "invalid volsize " + std::to_string(bytes) + " for " + name);
        }
        // The file first, then the record: a failed truncate changes nothing, and a failed
        // commit puts the file back to the size the record still has.
        std::string const path = location(rel, *entry);
        uint64_t const old_size = *entry->volsize;
        if (::truncate(path.c_str(), static_cast<off_t>(bytes)) != 0) {
            return tl::unexpected(Error::from_errno("cannot resize " + name, errno));
        }
        entry->volsize = bytes;
        auto saved = db.put(rel, *entry).and_then([&] { return db.checkpoint(); });
        if (!saved) {
            (void)::truncate(path.c_str(), static_cast<off_t>(old_size));
        }
        return saved;
    });
}

Result<void> JournaledPool::set_user_property(
    std::string const& name, std::string const& key, std::string const& value)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(entry, db.get(rel));
        if (!entry || !is_whole(*entry)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        entry->properties[key] = value;
        return db.put(rel, *entry);
    });
}

Result<Entry> JournaledPool::whole_snapshot(
    DatasetDb const& db, std::string const& relative_name, std::string const& name)
{
    TRY_ASSIGN(entry, db.get(relative_name));
    if (!entry || !is_whole(*entry) || entry->type != DatasetType::Snapshot) {
        return make_error(ErrorCode::NotFound, "snapshot does not exist: " + name);
    }
    return std::move(*entry);
}

Result<void> JournaledPool::hold(std::string const& snapshot_name, std::string const& tag)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(entry, whole_snapshot(db, rel, snapshot_name));
        auto& holds = entry.holds;
        if (std::find(holds.begin(), holds.end(), tag) != holds.end()) {
            return make_error(ErrorCode::AlreadyExists,
                "tag already exists on this dataset: " + tag + " on " + snapshot_name);
        }
        holds.push_back(tag);
        return db.put(rel, entry);
    });
}

Result<void> JournaledPool::release(std::string const& snapshot_name, std::string const& tag)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    return mutate([&](DatasetDb& db) -> Result<void> {
        TRY_ASSIGN(entry, whole_snapshot(db, rel, snapshot_name));
        auto& holds = entry.holds;
        auto found = std::find(holds.begin(), holds.end(), tag);
        if (found == holds.end()) {
            return make_error(ErrorCode::NotFound,
                "no such tag on this dataset: " + tag + " on " + snapshot_name);
        }
        holds.erase(found);
        return db.put(rel, entry);
    });
}

Result<void> JournaledPool::copy_tree(std::string const& source, std::string const& target) const
{
    TRY(run_checked(m_runner, { "cp", "-a", "--reflink=auto", "--", source, target }));
    return {};
}

Result<void> JournaledPool::copy_file(std::string const& source, std::string const& target) const
{
    TRY(run_checked(m_runner, { "cp", "--reflink=auto", "--", source, target }));
    return {};
}

void JournaledPool::notice(std::string const& message) const
{
    auto path = metadata_dir() + "/notices.log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        return;
    }
    auto line = iso_timestamp(now_ms()) + " " + message + "\n";
    [[maybe_unused]] ssize_t const written = ::write(fd.get(), line.data(), line.size());
}

} // namespace lumos::pools::detail
