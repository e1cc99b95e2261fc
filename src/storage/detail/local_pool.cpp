// SPDX-License-Identifier: MPL-2.0
#include "storage/detail/local_pool.hpp"

#include "base/json.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "storage/detail/journal_file.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lumos::storage::detail {

namespace fs = std::filesystem;

namespace {

char const* const STATE_CREATING = "creating";
char const* const STATE_DESTROYING = "destroying";
char const* const STATE_RENAMING = "renaming";
char const* const STATE_ROLLINGBACK = "rollingback";
std::string const RECEIVE_PREFIX = ".recv-";

bool valid_component(std::string const& part)
{
    if (part.empty() || part[0] == '.' || part.size() > 200) {
        return false;
    }
    return std::all_of(part.begin(), part.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
            || c == '-' || c == '.' || c == ':';
    });
}

std::string dataset_part(std::string const& relative_name)
{
    auto at = relative_name.find('@');
    return at == std::string::npos ? relative_name : relative_name.substr(0, at);
}

bool is_snapshot_name(std::string const& relative_name)
{
    return relative_name.find('@') != std::string::npos;
}

// Whether key is `base` itself, a descendant ("base/...") or a snapshot of either.
bool under(std::string const& key, std::string const& base)
{
    if (key == base) {
        return true;
    }
    return key.size() > base.size() && key.compare(0, base.size(), base) == 0
        && (key[base.size()] == '/' || key[base.size()] == '@');
}

std::optional<std::string> parent_of(std::string const& relative_name)
{
    auto slash = relative_name.rfind('/');
    if (slash == std::string::npos) {
        return std::nullopt;
    }
    return relative_name.substr(0, slash);
}

Json entry_to_json(Entry const& entry)
{
    Json json = Json::object();
    json["type"] = dataset_type_name(entry.type);
    json["creation"] = entry.creation;
    if (entry.origin) {
        json["origin"] = *entry.origin;
    }
    if (entry.quota) {
        json["quota"] = *entry.quota;
    }
    if (entry.volsize) {
        json["volsize"] = *entry.volsize;
    }
    if (!entry.properties.empty()) {
        json["properties"] = entry.properties;
    }
    if (!entry.holds.empty()) {
        json["holds"] = entry.holds;
    }
    if (!entry.storage.empty()) {
        json["storage"] = entry.storage;
    }
    if (entry.subvolume_id != 0) {
        json["subvolume_id"] = entry.subvolume_id;
    }
    if (entry.sequence != 0) {
        json["sequence"] = entry.sequence;
    }
    if (!entry.state.empty()) {
        json["state"] = entry.state;
    }
    if (!entry.rollback_id.empty()) {
        json["rollback_id"] = entry.rollback_id;
    }
    if (!entry.rename_root.empty()) {
        json["rename_root"] = entry.rename_root;
        json["rename_to"] = entry.rename_to;
    }
    return json;
}

Entry entry_from_json(Json const& json)
{
    Entry entry;
    auto type = json.value("type", std::string("filesystem"));
    entry.type = type == "volume" ? DatasetType::Volume
        : type == "snapshot"      ? DatasetType::Snapshot
                                  : DatasetType::Filesystem;
    entry.creation = json.value("creation", int64_t { 0 });
    if (json.contains("origin") && json["origin"].is_string()) {
        entry.origin = json["origin"].get<std::string>();
    }
    if (json.contains("quota") && json["quota"].is_number_unsigned()) {
        entry.quota = json["quota"].get<uint64_t>();
    }
    if (json.contains("volsize") && json["volsize"].is_number_unsigned()) {
        entry.volsize = json["volsize"].get<uint64_t>();
    }
    if (json.contains("properties") && json["properties"].is_object()) {
        for (auto const& [key, value] : json["properties"].items()) {
            if (value.is_string()) {
                entry.properties[key] = value.get<std::string>();
            }
        }
    }
    if (json.contains("holds") && json["holds"].is_array()) {
        for (auto const& tag : json["holds"]) {
            if (tag.is_string()) {
                entry.holds.push_back(tag.get<std::string>());
            }
        }
    }
    entry.storage = json.value("storage", std::string());
    entry.subvolume_id = json.value("subvolume_id", uint64_t { 0 });
    entry.sequence = json.value("sequence", uint64_t { 0 });
    entry.state = json.value("state", std::string());
    entry.rollback_id = json.value("rollback_id", std::string());
    entry.rename_root = json.value("rename_root", std::string());
    entry.rename_to = json.value("rename_to", std::string());
    return entry;
}

bool path_exists(std::string const& path)
{
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

// Readers see a dataset being renamed under its old name until the rename commits; half-made
// and half-destroyed ones not at all. (Inside a mutation, after recover(), every entry is whole.)
bool is_whole(Entry const& entry)
{
    return entry.state.empty() || entry.state == STATE_RENAMING || entry.state == STATE_ROLLINGBACK;
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

LocalPool::LocalPool(PoolConfig const& config, CommandRunner& runner)
    : m_runner(runner)
    , m_name(config.name)
    , m_backend(config.backend)
    , m_mountpoint(config.mountpoint)
{
}

Result<std::string> LocalPool::relative(std::string const& name) const
{
    if (name.size() <= m_name.size() + 1 || name.compare(0, m_name.size(), m_name) != 0
        || name[m_name.size()] != '/') {
        return make_error(ErrorCode::InvalidArgument,
            "dataset name \"" + name + "\" is not in pool \"" + m_name + "\"");
    }
    std::string rel = name.substr(m_name.size() + 1);
    auto at = rel.find('@');
    std::string dataset = at == std::string::npos ? rel : rel.substr(0, at);
    if (at != std::string::npos && !valid_component(rel.substr(at + 1))) {
        return make_error(ErrorCode::InvalidArgument, "invalid snapshot name \"" + name + "\"");
    }
    size_t start = 0;
    while (true) {
        auto slash = dataset.find('/', start);
        auto part = dataset.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (!valid_component(part)) {
            return make_error(ErrorCode::InvalidArgument, "invalid dataset name \"" + name + "\"");
        }
        if (slash == std::string::npos) {
            break;
        }
        start = slash + 1;
    }
    return rel;
}

std::string LocalPool::location(std::string const& relative_name, Entry const& entry) const
{
    if (entry.type == DatasetType::Snapshot) {
        return snapshots_dir() + "/" + entry.storage;
    }
    return m_mountpoint + "/" + relative_name;
}

std::string LocalPool::path_of(std::string const& dataset) const
{
    auto rel = dataset.size() > m_name.size() + 1 ? dataset.substr(m_name.size() + 1) : std::string();
    if (is_snapshot_name(rel)) {
        auto entries = load();
        if (entries) {
            auto it = entries->find(rel);
            if (it != entries->end()) {
                return location(rel, it->second);
            }
        }
        return snapshots_dir() + "/" + rel;
    }
    return m_mountpoint + "/" + rel;
}

Result<Entries> LocalPool::load() const
{
    TRY_ASSIGN(loaded, JournalFile(metadata_dir()).read());
    m_generation = loaded.generation;
    auto const& json = loaded.json;
    Entries entries;
    if (json.is_object() && json.contains("datasets") && json["datasets"].is_object()) {
        for (auto const& [key, value] : json["datasets"].items()) {
            if (value.is_object()) {
                entries.emplace(key, entry_from_json(value));
            }
        }
    }
    return entries;
}

// Always under the lock, after load(): each save is one generation newer, so a reader can tell
// the spare's copy (written in place when the pool is full) from an older datasets.json.
Result<void> LocalPool::save(Entries const& entries) const
{
    Json datasets = Json::object();
    for (auto const& [key, entry] : entries) {
        datasets[key] = entry_to_json(entry);
    }
    Json json = { { "version", 1 }, { "datasets", datasets } };
    TRY(JournalFile(metadata_dir()).write(std::move(json), m_generation + 1));
    m_generation += 1;
    return {};
}

Result<FileLock> LocalPool::lock() const
{
    struct stat st {};
    if (::stat(m_mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return make_error(ErrorCode::NotFound,
            "pool \"" + m_name + "\": mountpoint " + m_mountpoint + " does not exist");
    }
    TRY(make_directories(metadata_dir(), 0700));
    return FileLock::acquire(metadata_dir() + "/lock");
}

template <typename Body>
auto LocalPool::mutate(Body&& body) -> decltype(body(std::declval<Entries&>()))
{
    TRY_ASSIGN(held, lock());
    TRY_ASSIGN(entries, load());
    bool journal = std::any_of(
        entries.begin(), entries.end(), [](auto const& item) { return !item.second.state.empty(); });
    std::error_code ec;
    if (journal || fs::exists(scratch_root(), ec)) {
        recover(entries);
        TRY(save(entries));
    }
    return body(entries);
}

void LocalPool::recover(Entries& entries)
{
    // Rollbacks go forward: the new content exists complete in scratch before the journal says so.
    for (auto& [key, entry] : entries) {
        if (entry.state == STATE_ROLLINGBACK && finish_rollback(entries, key, entry)) {
            entry.state.clear();
            entry.rollback_id.clear();
        }
    }
    // Renames: the rename(2) of the root decides whether the whole rename happened.
    std::set<std::pair<std::string, std::string>> renames;
    for (auto const& [key, entry] : entries) {
        if (entry.state == STATE_RENAMING) {
            renames.emplace(entry.rename_root, entry.rename_to);
        }
    }
    for (auto const& [from, to] : renames) {
        if (!path_exists(m_mountpoint + "/" + from) && path_exists(m_mountpoint + "/" + to)) {
            apply_rename(entries, from, to);
        } else {
            for (auto& [key, entry] : entries) {
                if (entry.state == STATE_RENAMING && entry.rename_root == from) {
                    entry.state.clear();
                    entry.rename_root.clear();
                    entry.rename_to.clear();
                }
            }
        }
    }
    // Half-made and half-destroyed datasets: their data goes, then their entry. Snapshots and
    // deeper datasets first.
    std::vector<std::string> doomed;
    for (auto const& [key, entry] : entries) {
        if (entry.state == STATE_CREATING || entry.state == STATE_DESTROYING) {
            doomed.push_back(key);
        }
    }
    std::sort(doomed.begin(), doomed.end(), [](std::string const& a, std::string const& b) {
        bool snap_a = is_snapshot_name(a);
        bool snap_b = is_snapshot_name(b);
        if (snap_a != snap_b) {
            return snap_a;
        }
        return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
    });
    for (auto const& key : doomed) {
        if (remove_data(key, entries[key])) {
            entries.erase(key);
        }
    }
    std::error_code ec;
    std::set<std::string> receive_dirs;
    for (auto const& [key, entry] : entries) {
        auto slash = entry.storage.find('/');
        if (slash != std::string::npos) {
            receive_dirs.insert(entry.storage.substr(0, slash));
        }
    }
    for (auto const& item : fs::directory_iterator(snapshots_dir(), ec)) {
        auto name = item.path().filename().string();
        if (name.starts_with(RECEIVE_PREFIX) && !receive_dirs.contains(name)) {
            for (auto const& inner : fs::directory_iterator(item.path(), ec)) {
                (void)remove_tree(inner.path().string(), 0);
            }
            fs::remove(item.path(), ec);
        }
    }
    if (fs::exists(scratch_root(), ec)) {
        for (auto const& item : fs::directory_iterator(scratch_root(), ec)) {
            auto path = item.path().string();
            for (auto const& inner : fs::directory_iterator(path, ec)) {
                (void)remove_tree(inner.path().string(), 0);
            }
            (void)remove_tree(path, 0);
        }
        fs::remove(scratch_root(), ec);
    }
}

Result<void> LocalPool::remove_data(std::string const& relative_name, Entry const& entry)
{
    auto path = location(relative_name, entry);
    struct stat st {};
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

void LocalPool::apply_rename(Entries& entries, std::string const& from, std::string const& to) const
{
    Entries renamed;
    for (auto it = entries.begin(); it != entries.end();) {
        if (under(it->first, from)) {
            Entry entry = it->second;
            entry.state.clear();
            entry.rename_root.clear();
            entry.rename_to.clear();
            renamed.emplace(to + it->first.substr(from.size()), std::move(entry));
            it = entries.erase(it);
        } else {
            ++it;
        }
    }
    entries.merge(renamed);
    for (auto& [key, entry] : entries) {
        if (entry.origin && under(*entry.origin, from)) {
            entry.origin = to + entry.origin->substr(from.size());
        }
    }
}

DatasetInfo LocalPool::to_info(std::string const& relative_name, Entry const& entry) const
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

Result<bool> LocalPool::exists(std::string const& name) const
{
    TRY_ASSIGN(rel, relative(name));
    TRY_ASSIGN(entries, load());
    auto it = entries.find(rel);
    return it != entries.end() && is_whole(it->second);
}

Result<DatasetInfo> LocalPool::info(std::string const& name) const
{
    TRY_ASSIGN(rel, relative(name));
    TRY_ASSIGN(entries, load());
    auto it = entries.find(rel);
    if (it == entries.end() || !is_whole(it->second)) {
        return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
    }
    std::vector<DatasetInfo> infos { to_info(rel, it->second) };
    fill_usage(infos, { &it->second }, Detail::Full);
    return infos.front();
}

Result<std::vector<DatasetInfo>> LocalPool::list(std::string const& prefix) const
{
    std::optional<std::string> base;
    if (!prefix.empty() && prefix != m_name) {
        TRY_ASSIGN(rel, relative(prefix));
        base = rel;
    }
    TRY_ASSIGN(entries, load());
    std::vector<DatasetInfo> infos;
    std::vector<Entry const*> selected;
    for (auto const& [key, entry] : entries) {
        if (!is_whole(entry) || (base && !under(key, *base))) {
            continue;
        }
        infos.push_back(to_info(key, entry));
        selected.push_back(&entry);
    }
    fill_usage(infos, selected, Detail::List);
    return infos;
}

void LocalPool::fill_usage(
    std::vector<DatasetInfo>& infos, std::vector<Entry const*> const& entries, Detail detail) const
{
    for (size_t i = 0; i < infos.size(); ++i) {
        auto const& entry = *entries[i];
        bool file = entry.type == DatasetType::Volume
            || (entry.type == DatasetType::Snapshot && entry.volsize.has_value());
        if (file) {
            struct stat st {};
            if (::stat(infos[i].path.c_str(), &st) == 0) {
                infos[i].used_bytes = static_cast<uint64_t>(st.st_blocks) * 512;
            }
        } else if (detail == Detail::Full) {
            infos[i].used_bytes = tree_usage(infos[i].path);
        }
    }
}

uint64_t LocalPool::tree_usage(std::string const& path) const
{
    uint64_t total = 0;
    std::error_code ec;
    struct stat st {};
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
uint64_t LocalPool::free_space_floor(uint64_t pool_bytes)
{
    constexpr uint64_t MIN_FREE = uint64_t { 16 } << 20;
    return std::max(MIN_FREE, pool_bytes / 128);
}

Result<void> LocalPool::check_room(std::string const& relative_name) const
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

Result<void> LocalPool::check_new_dataset(Entries& entries, std::string const& relative_name)
{
    auto it = entries.find(relative_name);
    if (it != entries.end()) {
        return make_error(ErrorCode::AlreadyExists, "dataset already exists: " + full(relative_name));
    }
    TRY(check_room(relative_name));
    auto parent = parent_of(relative_name);
    if (parent) {
        auto pit = entries.find(*parent);
        if (pit == entries.end() && *parent == "cores") {
            TRY(create_locked(entries, *parent, DatasetType::Filesystem, 0, {}));
            pit = entries.find(*parent);
        }
        if (pit == entries.end() || !is_whole(pit->second)) {
            return make_error(
                ErrorCode::NotFound, "parent dataset does not exist: " + full(*parent));
        }
        if (pit->second.type != DatasetType::Filesystem) {
            return make_error(ErrorCode::InvalidArgument,
                "parent is not a filesystem: " + full(*parent));
        }
    }
    auto path = m_mountpoint + "/" + relative_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        // An empty directory (a mountpoint made by hand, say) is taken over; anything else is
        // somebody's data that this pool does not own.
        if (!S_ISDIR(st.st_mode) || ::rmdir(path.c_str()) != 0) {
            return make_error(ErrorCode::AlreadyExists,
                path + " exists but is not a dataset of pool " + m_name);
        }
    }
    return {};
}

Result<void> LocalPool::create_locked(Entries& entries, std::string const& relative_name,
    DatasetType type, uint64_t size_bytes, CreateOptions const& options)
{
    TRY(check_new_dataset(entries, relative_name));
    auto path = m_mountpoint + "/" + relative_name;
    Entry entry;
    entry.type = type;
    entry.creation = now_ms() / 1000;
    entry.state = STATE_CREATING;
    if (type == DatasetType::Volume) {
        entry.volsize = size_bytes;
    }
    entries[relative_name] = entry;
    TRY(save(entries));

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
    if (!made) {
        (void)remove_data(relative_name, entry);
        entries.erase(relative_name);
        (void)save(entries);
        return tl::unexpected(std::move(made).error());
    }
    auto& stored = entries[relative_name];
    stored.state.clear();
    stored.quota = options.quota_bytes;
    if (type == DatasetType::Filesystem) {
        stored.subvolume_id = subvolume_id(path);
    }
    return save(entries);
}

Result<void> LocalPool::create_filesystem(std::string const& name, CreateOptions const& options)
{
    TRY_ASSIGN(rel, relative(name));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + name);
    }
    return mutate([&](Entries& entries) -> Result<void> {
        return create_locked(entries, rel, DatasetType::Filesystem, 0, options);
    });
}

Result<void> LocalPool::create_volume(
    std::string const& name, uint64_t size_bytes, CreateOptions const& options)
{
    TRY_ASSIGN(rel, relative(name));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + name);
    }
    return mutate([&](Entries& entries) -> Result<void> {
        return create_locked(entries, rel, DatasetType::Volume, size_bytes, options);
    });
}

Result<void> LocalPool::snapshot(std::string const& snapshot_name)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    if (!is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a snapshot name: " + snapshot_name);
    }
    auto source_rel = dataset_part(rel);
    auto snap = rel.substr(source_rel.size() + 1);
    return mutate([&](Entries& entries) -> Result<void> {
        auto source = entries.find(source_rel);
        if (source == entries.end() || !is_whole(source->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + full(source_rel));
        }
        if (entries.contains(rel)) {
            return make_error(ErrorCode::AlreadyExists, "snapshot already exists: " + snapshot_name);
        }
        TRY(make_directories(snapshots_dir(), 0700));
        Entry entry;
        entry.type = DatasetType::Snapshot;
        entry.creation = now_ms() / 1000;
        entry.storage = random_hex(8) + "-" + snap;
        entry.state = STATE_CREATING;
        for (auto const& [key, other] : entries) {
            entry.sequence = std::max(entry.sequence, other.sequence);
        }
        entry.sequence += 1;
        if (source->second.type == DatasetType::Volume) {
            entry.volsize = source->second.volsize;
        }
        std::vector<std::string> children;
        for (auto const& [key, child] : entries) {
            if (key.size() > source_rel.size() && key.compare(0, source_rel.size(), source_rel) == 0
                && key[source_rel.size()] == '/' && !is_snapshot_name(key)) {
                children.push_back(key.substr(source_rel.size() + 1));
            }
        }
        bool volume = source->second.type == DatasetType::Volume;
        entries[rel] = entry;
        TRY(save(entries));
        auto source_path = m_mountpoint + "/" + source_rel;
        auto target_path = location(rel, entry);
        auto made = volume ? copy_file(source_path, target_path)
                           : make_snapshot_at(source_path, target_path, children);
        if (made && volume) {
            ::chmod(target_path.c_str(), 0400);
        }
        if (!made) {
            (void)remove_data(rel, entry);
            entries.erase(rel);
            (void)save(entries);
            return tl::unexpected(std::move(made).error());
        }
        entries[rel].state.clear();
        if (!volume) {
            entries[rel].subvolume_id = subvolume_id(target_path);
        }
        return save(entries);
    });
}

Result<void> LocalPool::clone(
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
    return mutate([&](Entries& entries) -> Result<void> {
        auto snap = entries.find(snap_rel);
        if (snap == entries.end() || !is_whole(snap->second)) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        Entry const source = snap->second;
        TRY(check_new_dataset(entries, rel));
        bool volume = source.volsize.has_value();
        Entry entry;
        entry.type = volume ? DatasetType::Volume : DatasetType::Filesystem;
        entry.creation = now_ms() / 1000;
        entry.origin = snap_rel;
        entry.volsize = source.volsize;
        entry.state = STATE_CREATING;
        entries[rel] = entry;
        TRY(save(entries));
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
            TRY(make_clone_at(snap_path, path));
            TRY(apply_properties(path, options.properties));
            if (options.quota_bytes) {
                TRY(apply_quota(path, options.quota_bytes));
            }
            return {};
        }();
        if (!made) {
            (void)remove_data(rel, entry);
            entries.erase(rel);
            (void)save(entries);
            return tl::unexpected(std::move(made).error());
        }
        auto& stored = entries[rel];
        stored.state.clear();
        stored.quota = options.quota_bytes;
        if (!volume) {
            stored.subvolume_id = subvolume_id(path);
        }
        return save(entries);
    });
}

Result<void> LocalPool::rename(std::string const& from, std::string const& to)
{
    TRY_ASSIGN(from_rel, relative(from));
    TRY_ASSIGN(to_rel, relative(to));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(from_rel);
        if (it == entries.end() || !is_whole(it->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + from);
        }
        if (entries.contains(to_rel)) {
            return make_error(ErrorCode::AlreadyExists, "dataset already exists: " + to);
        }
        if (is_snapshot_name(from_rel) || is_snapshot_name(to_rel)) {
            if (!is_snapshot_name(from_rel) || !is_snapshot_name(to_rel)
                || dataset_part(from_rel) != dataset_part(to_rel)) {
                return make_error(ErrorCode::InvalidArgument,
                    "snapshots can only be renamed within their dataset: " + from + " -> " + to);
            }
            // Metadata only: the snapshot's data lives under a name of its own.
            apply_rename(entries, from_rel, to_rel);
            return save(entries);
        }
        if (under(to_rel, from_rel)) {
            return make_error(ErrorCode::InvalidArgument,
                "cannot rename a dataset below itself: " + from + " -> " + to);
        }
        auto parent = parent_of(to_rel);
        if (parent) {
            auto pit = entries.find(*parent);
            if (pit == entries.end() || !is_whole(pit->second)) {
                return make_error(ErrorCode::NotFound, "parent dataset does not exist: " + full(*parent));
            }
        }
        auto from_path = m_mountpoint + "/" + from_rel;
        auto to_path = m_mountpoint + "/" + to_rel;
        if (path_exists(to_path)) {
            return make_error(ErrorCode::AlreadyExists, to_path + " exists but is not a dataset of pool " + m_name);
        }
        for (auto& [key, entry] : entries) {
            if (under(key, from_rel)) {
                if (!is_whole(entry)) {
                    return make_error(ErrorCode::Busy, "dataset is busy: " + full(key));
                }
            }
        }
        for (auto& [key, entry] : entries) {
            if (under(key, from_rel)) {
                entry.state = STATE_RENAMING;
                entry.rename_root = from_rel;
                entry.rename_to = to_rel;
            }
        }
        TRY(save(entries));
        if (::rename(from_path.c_str(), to_path.c_str()) != 0) {
            int saved = errno;
            for (auto& [key, entry] : entries) {
                if (entry.state == STATE_RENAMING && entry.rename_root == from_rel) {
                    entry.state.clear();
                    entry.rename_root.clear();
                    entry.rename_to.clear();
                }
            }
            (void)save(entries);
            return tl::unexpected(Error::from_errno("rename " + from_path + " to " + to_path, saved));
        }
        apply_rename(entries, from_rel, to_rel);
        return save(entries);
    });
}

Result<void> LocalPool::destroy(std::string const& name, Recursive recursive)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        std::vector<std::string> doomed { rel };
        if (!is_snapshot_name(rel)) {
            for (auto const& [key, entry] : entries) {
                if (key != rel && under(key, rel)) {
                    if (recursive == Recursive::No) {
                        return make_error(ErrorCode::Busy,
                            "cannot destroy " + name + ": it has children or snapshots (" + full(key)
                                + "); use recursive destroy");
                    }
                    doomed.push_back(key);
                }
            }
        }
        std::set<std::string> doomed_set(doomed.begin(), doomed.end());
        for (auto const& key : doomed) {
            auto const& entry = entries[key];
            if (!is_whole(entry)) {
                return make_error(ErrorCode::Busy, "dataset is busy: " + full(key));
            }
            if (!entry.holds.empty()) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy snapshot " + full(key) + ": it has holds (" + entry.holds.front() + ")");
            }
        }
        for (auto const& [key, entry] : entries) {
            if (entry.origin && doomed_set.contains(*entry.origin) && !doomed_set.contains(key)) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy " + full(*entry.origin) + ": it has dependent clones (" + full(key) + ")");
            }
        }
        for (auto const& key : doomed) {
            entries[key].state = STATE_DESTROYING;
        }
        TRY(save(entries));
        // The entries are gone for readers now; recover() removes the data (snapshots first,
        // deeper datasets before their parents) and forgets each entry once its data is gone.
        recover(entries);
        TRY(save(entries));
        for (auto const& key : doomed) {
            if (entries.contains(key)) {
                return make_error(ErrorCode::System,
                    "could not remove the data of " + full(key) + "; the next operation on pool "
                        + m_name + " retries");
            }
        }
        return {};
    });
}

Result<void> LocalPool::rollback(std::string const& snapshot_name)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    if (!is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a snapshot name: " + snapshot_name);
    }
    auto dataset_rel = dataset_part(rel);
    return mutate([&](Entries& entries) -> Result<void> {
        auto snap = entries.find(rel);
        auto dataset = entries.find(dataset_rel);
        if (snap == entries.end() || dataset == entries.end()) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        // Later snapshots of the dataset go, as with zfs rollback -r.
        std::vector<std::string> later;
        for (auto const& [key, entry] : entries) {
            if (entry.type == DatasetType::Snapshot && dataset_part(key) == dataset_rel
                && entry.sequence > snap->second.sequence) {
                later.push_back(key);
            }
        }
        for (auto const& key : later) {
            if (!entries[key].holds.empty()) {
                return make_error(ErrorCode::Busy,
                    "cannot destroy later snapshot " + full(key) + ": it has holds");
            }
            for (auto const& [other, entry] : entries) {
                if (entry.origin == key) {
                    return make_error(ErrorCode::Busy,
                        "cannot destroy later snapshot " + full(key) + ": it has dependent clones ("
                            + full(other) + ")");
                }
            }
        }
        // The new content is made complete in scratch before the journal names it.
        auto id = random_hex(8);
        auto fresh = scratch_root() + "/rollback-" + id + "-new";
        TRY(make_directories(scratch_root(), 0700));
        bool volume = dataset->second.type == DatasetType::Volume;
        auto snap_path = location(rel, snap->second);
        auto made = volume ? copy_file(snap_path, fresh) : make_clone_at(snap_path, fresh);
        if (made && volume && ::chmod(fresh.c_str(), 0600) != 0) {
            made = tl::unexpected(Error::from_errno("chmod " + fresh, errno));
        }
        if (!made) {
            recover(entries);
            return tl::unexpected(std::move(made).error());
        }
        dataset->second.state = STATE_ROLLINGBACK;
        dataset->second.rollback_id = id;
        for (auto const& key : later) {
            entries[key].state = STATE_DESTROYING;
        }
        TRY(save(entries));
        TRY(finish_rollback(entries, dataset_rel, dataset->second));
        dataset->second.state.clear();
        dataset->second.rollback_id.clear();
        recover(entries); // removes the later snapshots and the scratch directory
        TRY(save(entries));
        return {};
    });
}

Result<void> LocalPool::finish_rollback(Entries const& entries, std::string const& relative_name, Entry& entry)
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
                    if (!entries.contains(relative_name + "/" + child)) {
                        continue; // only child datasets move
                    }
                    std::error_code ignored;
                    if (fs::is_directory(target, ignored) && fs::is_empty(target, ignored)) {
                        ::rmdir(target.c_str());
                    }
                    if (::rename(item.path().c_str(), target.c_str()) != 0) {
                        return tl::unexpected(Error::from_errno("rename " + item.path().string(), errno));
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
        struct stat st {};
        if (::lstat(old.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
            ::unlink(old.c_str());
        } else {
            (void)remove_tree(old, 0);
        }
    }
    return {};
}

Result<void> LocalPool::recover()
{
    return mutate([](Entries&) -> Result<void> { return {}; });
}

Result<void> LocalPool::set_quota(std::string const& name, std::optional<uint64_t> bytes)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        if (it->second.type != DatasetType::Filesystem) {
            return make_error(ErrorCode::InvalidArgument, "quota applies to filesystems only: " + name);
        }
        TRY(apply_quota(location(rel, it->second), bytes));
        it->second.quota = bytes;
        return save(entries);
    });
}

Result<void> LocalPool::resize_volume(std::string const& name, uint64_t bytes)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        if (it->second.type != DatasetType::Volume || !it->second.volsize) {
            return make_error(
                ErrorCode::InvalidArgument, "volsize applies to volumes only: " + name);
        }
        if (bytes == 0 || bytes > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) {
            return make_error(ErrorCode::InvalidArgument,
                "invalid volsize " + std::to_string(bytes) + " for " + name);
        }
        // The file first, then the record: a failed truncate changes nothing, and a failed save
        // puts the file back to the size the record still has.
        std::string const path = location(rel, it->second);
        uint64_t const old_size = *it->second.volsize;
        if (::truncate(path.c_str(), static_cast<off_t>(bytes)) != 0) {
            return tl::unexpected(Error::from_errno("cannot resize " + name, errno));
        }
        it->second.volsize = bytes;
        if (auto saved = save(entries); !saved) {
            (void)::truncate(path.c_str(), static_cast<off_t>(old_size));
            return saved;
        }
        return {};
    });
}

Result<void> LocalPool::set_user_property(
    std::string const& name, std::string const& key, std::string const& value)
{
    TRY_ASSIGN(rel, relative(name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second)) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        it->second.properties[key] = value;
        return save(entries);
    });
}

Result<void> LocalPool::hold(std::string const& snapshot_name, std::string const& tag)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second) || it->second.type != DatasetType::Snapshot) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        auto& holds = it->second.holds;
        if (std::find(holds.begin(), holds.end(), tag) != holds.end()) {
            return make_error(ErrorCode::AlreadyExists,
                "tag already exists on this dataset: " + tag + " on " + snapshot_name);
        }
        holds.push_back(tag);
        return save(entries);
    });
}

Result<void> LocalPool::release(std::string const& snapshot_name, std::string const& tag)
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    return mutate([&](Entries& entries) -> Result<void> {
        auto it = entries.find(rel);
        if (it == entries.end() || !is_whole(it->second) || it->second.type != DatasetType::Snapshot) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
        }
        auto& holds = it->second.holds;
        auto found = std::find(holds.begin(), holds.end(), tag);
        if (found == holds.end()) {
            return make_error(ErrorCode::NotFound, "no such tag on this dataset: " + tag + " on " + snapshot_name);
        }
        holds.erase(found);
        return save(entries);
    });
}

Result<void> LocalPool::send(
    std::string const& snapshot_name, std::optional<std::string> const& from_snapshot, int fd) const
{
    TRY_ASSIGN(rel, relative(snapshot_name));
    TRY_ASSIGN(entries, load());
    auto it = entries.find(rel);
    if (it == entries.end() || !is_whole(it->second) || it->second.type != DatasetType::Snapshot) {
        return make_error(ErrorCode::NotFound, "snapshot does not exist: " + snapshot_name);
    }
    std::optional<std::string> parent_path;
    if (from_snapshot) {
        TRY_ASSIGN(from_rel, relative(*from_snapshot));
        auto from_it = entries.find(from_rel);
        if (from_it == entries.end() || !is_whole(from_it->second)
            || from_it->second.type != DatasetType::Snapshot) {
            return make_error(ErrorCode::NotFound, "snapshot does not exist: " + *from_snapshot);
        }
        parent_path = location(from_rel, from_it->second);
    }
    return send_stream(location(rel, it->second), parent_path, fd);
}

Result<void> LocalPool::send_stream(std::string const&, std::optional<std::string> const&, int) const
{
    return make_error(ErrorCode::Unsupported,
        std::string("pool ") + m_name + " (" + backend_name(m_backend) + ") has no send stream format");
}

Result<std::string> LocalPool::receive_into(std::string const&, int)
{
    return make_error(ErrorCode::Unsupported,
        std::string("pool ") + m_name + " (" + backend_name(m_backend) + ") cannot receive streams");
}

Result<void> LocalPool::receive(std::string const& target, int fd)
{
    TRY_ASSIGN(rel, relative(target));
    if (is_snapshot_name(rel)) {
        return make_error(ErrorCode::InvalidArgument, "not a dataset name: " + target);
    }
    return mutate([&](Entries& entries) -> Result<void> {
        TRY(check_new_dataset(entries, rel));
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
            recover(entries);
            return tl::unexpected(std::move(received).error());
        }
        // The received tree is named as the sender's snapshot storage ("<hex>-<snap>").
        auto base = fs::path(*received).filename().string();
        auto dash = base.find('-');
        auto snap = dash != std::string::npos && dash + 1 < base.size() ? base.substr(dash + 1) : base;
        if (!valid_component(snap)) {
            snap = "received";
        }
        auto snap_rel = rel + "@" + snap;
        Entry dataset;
        dataset.type = DatasetType::Filesystem;
        dataset.creation = now_ms() / 1000;
        dataset.state = STATE_CREATING;
        Entry snapshot;
        snapshot.type = DatasetType::Snapshot;
        snapshot.creation = dataset.creation;
        snapshot.storage = scratch_name + "/" + base;
        snapshot.state = STATE_CREATING;
        entries[rel] = dataset;
        entries[snap_rel] = snapshot;
        TRY(save(entries));
        auto snap_path = location(snap_rel, snapshot);
        auto path = m_mountpoint + "/" + rel;
        auto made = make_clone_at(snap_path, path);
        if (!made) {
            recover(entries);
            (void)save(entries);
            return tl::unexpected(std::move(made).error());
        }
        entries[rel].state.clear();
        entries[rel].subvolume_id = subvolume_id(path);
        entries[snap_rel].state.clear();
        entries[snap_rel].subvolume_id = subvolume_id(snap_path);
        TRY(save(entries));
        std::error_code ec;
        fs::remove(marker, ec);
        fs::remove(scratch_root(), ec);
        return {};
    });
}

Result<void> LocalPool::copy_tree(std::string const& source, std::string const& target) const
{
    TRY(run_checked(m_runner, { "cp", "-a", "--reflink=auto", "--", source, target }));
    return {};
}

Result<void> LocalPool::copy_file(std::string const& source, std::string const& target) const
{
    TRY(run_checked(m_runner, { "cp", "--reflink=auto", "--", source, target }));
    return {};
}

void LocalPool::notice(std::string const& message) const
{
    auto path = metadata_dir() + "/notices.log";
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        return;
    }
    auto line = iso_timestamp(now_ms()) + " " + message + "\n";
    (void)!::write(fd.get(), line.data(), line.size());
}

} // namespace lumos::storage::detail
