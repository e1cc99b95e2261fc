// SPDX-License-Identifier: MPL-2.0
#include "store/vm_store.hpp"

#include "base/host_identity.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "props/brand.hpp"
#include "props/property_table.hpp"
#include "props/state.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::store {

namespace {

// <zonepath>/lastexited: "<epoch seconds> <wait status>" (vmload's getLastExited): exit_status
// is the exit code when init exited, minus the signal when it was killed, 0 for the special -1.
void add_last_exited(Json& vm, std::string const& zonepath)
{
    auto text = read_file(zonepath + "/lastexited");
    if (!text) {
        return;
    }
    auto const fields = split(trim(*text), ' ');
    if (fields.size() != 2) {
        return;
    }
    char* end = nullptr;
    std::string const& status_text = fields[1];
    long const status = std::strtol(status_text.c_str(), &end, 10);
    std::string const& seconds_text = fields[0];
    double const seconds = std::strtod(seconds_text.c_str(), nullptr);
    if (end == status_text.c_str()) {
        return;
    }
    if (status == -1) {
        vm["exit_status"] = 0;
    } else if ((status & 0xff) == 0) {
        vm["exit_status"] = status >> 8;
    } else {
        vm["exit_status"] = -(status & 0xff);
    }
    vm["exit_timestamp"] = iso_timestamp(static_cast<int64_t>(seconds * 1000));
}

// Keys computed when a VM is loaded; never persisted.
constexpr char const* DERIVED_KEYS[] = { "state", "zonepath", "zfs_filesystem", "hvm",
    "last_modified", "server_uuid", "platform_buildstamp", "transition_to", "transition_expire",
    "pid", "boot_timestamp", "zoneid", "zonedid", "init_restarts", "exit_status", "exit_timestamp",
    "datacenter_name", "headnode_id", "type", "snapshots" };

int64_t mtime_ms(std::string const& path)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0) {
        return 0;
    }
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

Json read_json_object(std::string const& path)
{
    auto text = read_file(path);
    if (!text) {
        return Json::object();
    }
    auto parsed = parse_json(*text);
    if (!parsed || !parsed->is_object()) {
        return Json::object();
    }
    return std::move(*parsed);
}

Result<std::vector<std::string>> record_uuids(Paths const& paths)
{
    std::vector<std::string> uuids;
    DIR* dir = ::opendir(paths.vms_dir().c_str());
    if (dir == nullptr) {
        if (errno == ENOENT) {
            return uuids;
        }
        return tl::unexpected(Error::from_errno("opendir " + paths.vms_dir(), errno));
    }
    while (dirent const* entry = ::readdir(dir)) {
        std::string_view const name = entry->d_name;
        if (name.size() == 41 && name.ends_with(".json") && is_uuid(name.substr(0, 36))) {
            uuids.emplace_back(name.substr(0, 36));
        }
    }
    ::closedir(dir);
    return uuids;
}

// The members props::claims_of reads.
std::set<std::string> const CLAIM_KEYS { "uuid", "zonename", "zpool", "nics", "vnc_port",
    "datasets", "disks" };

// Every record's claims, for the index's rebuild. A record that cannot be read claims nothing
// (no command can load it either).
Result<ClaimsByVm> all_claims(Paths const& paths)
{
    TRY_ASSIGN(uuids, record_uuids(paths));
    ClaimsByVm claims;
    claims.reserve(uuids.size());
    for (auto const& uuid : uuids) {
        auto text = read_file(paths.vm_config(uuid));
        if (!text) {
            continue;
        }
        auto record = parse_trusted_json_object(*text, &CLAIM_KEYS);
        if (!record || !record->is_object()) {
            continue;
        }
        claims.emplace_back(uuid, props::claims_of(*record));
    }
    return claims;
}

} // namespace

VmStore::VmStore(Paths paths)
    : m_paths(std::move(paths))
    , m_index(std::make_shared<VmIndex>(m_paths.under_root("/etc/lumos/vm-index.db"),
          [paths = m_paths] { return all_claims(paths); }))
{
}

Result<void> VmStore::ensure_directories() const
{
    TRY(make_directories(m_paths.vms_dir(), 0700));
    TRY(make_directories(m_paths.run_dir(), 0755));
    return {};
}

Result<std::vector<std::string>> VmStore::list_uuids() const
{
    return record_uuids(m_paths);
}

bool VmStore::exists(std::string const& uuid) const
{
    if (!is_uuid(uuid)) {
        return false;
    }
    struct stat st { };
    return ::stat(m_paths.vm_config(uuid).c_str(), &st) == 0;
}

Result<Json> VmStore::load_record(std::string const& uuid, LoadOptions const& options) const
{
    // vmadm's CLI only checks a uuid's shape; anything that is not a real uuid never becomes a
    // path ("../../..-/..." has the shape).
    if (!is_uuid(uuid)) {
        return make_error(ErrorCode::NotFound, "VM " + uuid + " not found");
    }
    auto text = read_file(m_paths.vm_config(uuid));
    if (!text) {
        if (text.error().code() == ErrorCode::NotFound) {
            return make_error(ErrorCode::NotFound, "VM " + uuid + " not found");
        }
        return tl::unexpected(text.error());
    }
    std::set<std::string> keys;
    if (options.keys) {
        // What vm_object needs besides the caller's keys: identity, brand and the state attributes.
        keys = *options.keys;
        for (char const* key : { "uuid", "zonename", "zpool", "brand", "zone_state", "transition",
                 "provisioning", "failed" }) {
            keys.insert(key);
        }
    }
    auto record = parse_trusted_json_object(*text, options.keys ? &keys : nullptr);
    if (!record || !record->is_object()) {
        return make_error(ErrorCode::Internal, "VM " + uuid + " has a corrupt config");
    }
    return std::move(*record);
}

std::string VmStore::zonepath(Json const& vm) const
{
    return m_paths.zonepath(
        string_or(vm, "zpool", "zones"), string_or(vm, "zonename", string_or(vm, "uuid")));
}

void VmStore::set_live_view(std::function<void(Json&)> hook)
{
    m_live_view = std::move(hook);
}

std::string const& VmStore::server_uuid() const
{
    if (m_server_uuid.empty()) {
        // Without a recorded, SMBIOS or machine id, and no right to record one: the nil uuid,
        // as before host identities were recorded.
        m_server_uuid
            = lumos::server_uuid(m_paths).value_or("00000000-0000-0000-0000-000000000000");
    }
    return m_server_uuid;
}

Json VmStore::vm_object(Json vm, LoadOptions const& options) const
{
    if (m_live_view) {
        m_live_view(vm);
    }
    props::derive_state(vm);
    std::string const pool = string_or(vm, "zpool", "zones");
    std::string const zonename = string_or(vm, "zonename", string_or(vm, "uuid"));
    std::string const path = zonepath(vm);
    auto const brand = props::parse_brand(string_or(vm, "brand"));
    bool const hvm = brand && props::is_hvm(*brand);

    vm["zonepath"] = path;
    vm["zfs_filesystem"] = pool + "/" + zonename;
    vm["hvm"] = hvm;
    if (!vm.contains("firewall_enabled")) {
        vm["firewall_enabled"] = false;
    }
    if (options.wants("snapshots")) {
        // Snapshots are the pool's (vm::Engine::get lists them), never in the record, so
        // listing VMs costs the same however many snapshots they have.
        vm["snapshots"] = Json::array();
    }
    for (char const* key : { "resolvers", "nics" }) {
        if (!vm.contains(key)) {
            vm[key] = Json::array();
        }
    }
    if (hvm && !vm.contains("disks")) {
        vm["disks"] = Json::array();
    }
    if (!vm.contains("zfs_root_recsize")) {
        vm["zfs_root_recsize"] = 131072;
    }
    vm["init_restarts"] = 0;
    if (options.wants("exit_status") || options.wants("exit_timestamp")) {
        add_last_exited(vm, path);
    }
    vm["server_uuid"] = server_uuid();
    vm["platform_buildstamp"] = platform_buildstamp();

    // The record holds the maps (it is the one commit point); SmartOS's config files are read
    // only for records written before that, which lack them.
    std::string const config_dir = path + "/config";
    bool const wants_metadata
        = options.wants("customer_metadata") || options.wants("internal_metadata");
    if (wants_metadata && !vm.contains("customer_metadata")) {
        Json metadata = read_json_object(config_dir + "/metadata.json");
        for (char const* key : { "customer_metadata", "internal_metadata" }) {
            vm[key] = metadata.contains(key) && metadata[key].is_object() ? metadata[key]
                                                                          : Json::object();
        }
    }
    for (char const* key : { "tags", "routes" }) {
        if (options.wants(key) && !vm.contains(key)) {
            vm[key] = read_json_object(config_dir + "/" + key + ".json");
        }
    }
    for (std::string_view const map : props::map_properties()) {
        std::string const key(map);
        if (!options.wants(key)) {
            vm.erase(key);
        } else if (!vm[key].is_object()) {
            vm[key] = Json::object();
        }
    }
    if (options.wants("last_modified")) {
        int64_t newest = mtime_ms(m_paths.vm_config(string_or(vm, "uuid")));
        for (char const* file : { "/config/metadata.json", "/config/routes.json",
                 "/config/tags.json", "/lastexited" }) {
            newest = std::max(newest, mtime_ms(path + file));
        }
        vm["last_modified"] = iso_timestamp(newest - newest % 1000);
    }
    return vm;
}

Result<Json> VmStore::load(std::string const& uuid, LoadOptions const& options) const
{
    TRY_ASSIGN(record, load_record(uuid, options));
    return vm_object(std::move(record), options);
}

Result<std::vector<Json>> VmStore::load_all(LoadOptions const& options) const
{
    TRY_ASSIGN(uuids, list_uuids());
    std::vector<Json> vms;
    vms.reserve(uuids.size());
    for (auto const& uuid : uuids) {
        auto record = load_record(uuid, options);
        if (!record) {
            continue; // deleted while we listed, or unreadable: not a VM we can show
        }
        vms.push_back(vm_object(std::move(*record), options));
    }
    return vms;
}

Result<std::set<std::string>> VmStore::uuids_claiming(std::vector<props::Claim> const& claims) const
{
    struct stat st { };
    if (claims.empty() || ::stat(m_paths.vms_dir().c_str(), &st) != 0) {
        return std::set<std::string> {}; // no VM was ever saved here: nothing to index or read
    }
    return m_index->uuids_claiming(claims);
}

Result<std::vector<Json>> VmStore::load_claiming(
    std::vector<props::Claim> const& claims, LoadOptions const& options) const
{
    TRY_ASSIGN(uuids, uuids_claiming(claims));
    std::vector<Json> vms;
    vms.reserve(uuids.size());
    for (auto const& uuid : uuids) {
        // A row is a candidate, not a fact: its VM may be gone (a killed create or delete).
        if (auto vm = load(uuid, options)) {
            vms.push_back(std::move(*vm));
        }
    }
    return vms;
}

Result<size_t> VmStore::reindex() const
{
    TRY_ASSIGN(create_lock, lock_create());
    TRY_ASSIGN(unsettled, m_index->reindex());
    for (auto const& uuid : unsettled) {
        // Under the VM's lock no save of it is between its rows and its record.
        TRY_ASSIGN(vm_lock, lock_vm(uuid));
        auto text = read_file(m_paths.vm_config(uuid));
        if (!text && text.error().code() == ErrorCode::NotFound) {
            TRY(m_index->forget(uuid));
            continue;
        }
        TRY(text);
        auto record = parse_trusted_json_object(*text, &CLAIM_KEYS);
        if (!record || !record->is_object()) {
            continue; // unreadable: its rows stay, as candidates that load skips
        }
        TRY(m_index->retain(uuid, props::claims_of(*record)));
    }
    return unsettled.size();
}

Json record_from_vm(Json const& vm)
{
    Json record = vm;
    for (char const* key : DERIVED_KEYS) {
        record.erase(key);
    }
    return record;
}

Result<void> VmStore::save(Json const& vm) const
{
    TRY(ensure_directories());
    std::string const uuid = string_or(vm, "uuid");
    if (!is_uuid(uuid)) {
        return make_error(ErrorCode::Internal, "refusing to save a VM without a valid uuid");
    }
    // The index rows of what the VM claims are committed first, so no record ever lacks them
    // (vm_index.hpp); a failure here leaves the old record and, at worst, extra rows.
    auto const claims = props::claims_of(vm);
    TRY(m_index->add(uuid, claims));
    // The record is the commit point: it carries the maps too, so a command killed at any
    // moment leaves the whole old VM or the whole new one. SmartOS's config files follow as
    // copies for the tools that read them.
    TRY(write_file_atomic(m_paths.vm_config(uuid), dump_pretty(record_from_vm(vm)) + "\n", 0600));
    // Rows the VM no longer claims go after the record; one left by a failure here is only a
    // candidate that its record disowns, removed by the next save or lumosadm reindex.
    (void)m_index->retain(uuid, claims);
    return write_config_files(vm);
}

Result<void> VmStore::write_config_files(Json const& vm) const
{
    std::string const config_dir = zonepath(vm) + "/config";
    TRY(make_directories(config_dir, 0755));
    auto map_of = [&](char const* key) {
        return vm.contains(key) && vm[key].is_object() ? vm[key] : Json::object();
    };
    Json const metadata { { "customer_metadata", map_of("customer_metadata") },
        { "internal_metadata", map_of("internal_metadata") } };
    // Most saves (autoboot flipped by start and stop, a state change) leave these as they were.
    TRY(write_file_if_changed(config_dir + "/metadata.json", dump_pretty(metadata) + "\n"));
    TRY(write_file_if_changed(config_dir + "/tags.json", dump_pretty(map_of("tags")) + "\n"));
    return write_file_if_changed(config_dir + "/routes.json", dump_pretty(map_of("routes")) + "\n");
}

Result<void> VmStore::remove(Json const& vm) const
{
    std::string const uuid = string_or(vm, "uuid");
    TRY(remove_file(m_paths.vm_config(uuid)));
    // After the record, and best effort: a row without a record is never taken as a claim.
    (void)m_index->forget(uuid);
    // A snapshot list that older versions read beside the record (nothing writes it now).
    TRY(remove_file(m_paths.vm_snapshots(uuid)));
    std::string const path = zonepath(vm);
    for (char const* file :
        { "/config/metadata.json", "/config/tags.json", "/config/routes.json", "/lastexited" }) {
        TRY(remove_file(path + file));
    }
    // Only empty directories go: anything else under the zonepath belongs to storage.
    ::rmdir((path + "/config").c_str());
    ::rmdir(path.c_str());
    return {};
}

Result<FileLock> VmStore::lock_vm(std::string const& uuid) const
{
    if (!is_uuid(uuid)) {
        return make_error(ErrorCode::NotFound, "VM " + uuid + " not found");
    }
    TRY(ensure_directories());
    return FileLock::acquire(m_paths.vm_lock(uuid));
}

Result<FileLock> VmStore::lock_create() const
{
    TRY(ensure_directories());
    return FileLock::acquire(m_paths.create_lock());
}

} // namespace lumos::store
