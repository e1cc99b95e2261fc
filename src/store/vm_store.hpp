// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/file.hpp"
#include "base/json.hpp"
#include "base/paths.hpp"
#include "base/result.hpp"
#include "props/claims.hpp"
#include "store/vm_index.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lumos::store {

// Which parts of a VM object a reader needs. Listing 1,000 VMs must not open 4,000 files or stat
// anything it will not print, so the loader reads the metadata/tags/routes files and computes
// last_modified only when asked.
struct LoadOptions {
    // nullopt: everything (vmadm get). Otherwise the top-level keys wanted.
    std::optional<std::set<std::string>> keys;

    bool wants(std::string const& key) const { return !keys || keys->contains(key); }
};

// The persisted VM configs: $LUMOS_ROOT/etc/lumos/vms/<uuid>.json (the record: persisted
// properties, the metadata/tags/routes maps, and the internal attributes zone_state,
// transition, provisioning, failed), with <zonepath>/config/{metadata,tags,routes}.json written
// after it as SmartOS lays them out.
//
// Invariant: a record file is only ever replaced by rename, so a reader (or a command killed at
// any point) sees the old record or the new one, never a mix. A record is written last on create
// and removed last on delete (after the datasets and the zone), so a VM exists exactly when its
// record does. Beside the records, the conflict index (vm_index.hpp: which VM holds which MAC,
// IP, VRID, VNC port, dataset) is kept by save and remove around that commit point.
class VmStore {
public:
    explicit VmStore(Paths paths);

    Paths const& paths() const { return m_paths; }

    Result<std::vector<std::string>> list_uuids() const;
    bool exists(std::string const& uuid) const;

    // The raw record (with options.keys: only those members, plus identity and state).
    // NotFound when the VM does not exist.
    Result<Json> load_record(std::string const& uuid, LoadOptions const& options = {}) const;

    // The VM object as vmadm get shows it, built from a record.
    Json vm_object(Json vm, LoadOptions const& options = {}) const;

    // Load + vm_object.
    Result<Json> load(std::string const& uuid, LoadOptions const& options = {}) const;
    // Every VM; records that vanish or cannot be parsed while listing are skipped.
    Result<std::vector<Json>> load_all(LoadOptions const& options = {}) const;

    // The VMs the conflict index names for any of the claims (candidates: the caller applies
    // its rule to them), sorted by uuid.
    Result<std::set<std::string>> uuids_claiming(std::vector<props::Claim> const& claims) const;
    // Those VMs loaded, in uuid order; records that vanished or cannot be read are skipped, as
    // load_all skips them.
    Result<std::vector<Json>> load_claiming(
        std::vector<props::Claim> const& claims, LoadOptions const& options = {}) const;
    // lumosadm reindex: under the create lock, adds every record's claims to the index and
    // settles (under its VM lock) each VM whose rows differ from its record. Returns the number
    // of VMs whose rows were settled.
    Result<size_t> reindex() const;

    // Writes a VM object: its new claims to the index, the record (the commit point, maps
    // included), its old claims out of the index, then SmartOS's
    // config/{metadata,tags,routes}.json copies. Derived keys (state, zonepath, ...) are not
    // persisted. The caller holds the VM's lock (and the create lock when the VM gains a MAC,
    // IP, VRID or VNC port: vm_index.hpp).
    Result<void> save(Json const& vm) const;

    // Removes the record, then the VM's index rows, config files and its empty zonepath.
    Result<void> remove(Json const& vm) const;

    // Serializes commands on one VM (SmartOS's /var/run/vm.<uuid>.config.lockfile).
    Result<FileLock> lock_vm(std::string const& uuid) const;
    // Serializes creates, so that "does this uuid exist" and "write it" are one step.
    Result<FileLock> lock_create() const;

    std::string zonepath(Json const& vm) const;

    // Called on each record before its state is derived, to add what only the running system
    // knows (vm::Engine sets it: the runtime's zone_state, pid, boot_timestamp, provisioning).
    void set_live_view(std::function<void(Json&)> hook);

private:
    Result<void> ensure_directories() const;
    Result<void> write_config_files(Json const& vm) const;
    // The host's server uuid (base/host_identity), read once per store: a list loads it per VM.
    std::string const& server_uuid() const;

    Paths m_paths;
    // Shared by copies of the store (one connection to vm-index.db).
    std::shared_ptr<VmIndex> m_index;
    std::function<void(Json&)> m_live_view;
    mutable std::string m_server_uuid;
};

// The record a VM object is persisted as: everything except derived keys.
Json record_from_vm(Json const& vm);

} // namespace lumos::store
