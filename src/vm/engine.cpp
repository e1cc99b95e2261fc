// SPDX-License-Identifier: MPL-2.0
#include "vm/engine.hpp"

#include "base/rollback.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "image/catalog.hpp"
#include "props/flatten.hpp"
#include "props/normalize.hpp"
#include "props/state.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <sys/stat.h>

namespace lumos::vm {

Engine::Engine(store::VmStore& store, Runtimes runtimes, pools::PoolRegistry const& pools)
    : m_store(store)
    , m_runtimes(std::move(runtimes))
    , m_pools(pools)
    , m_datasets(pools)
    , m_config(HostConfig::load(store.paths()))
{
    m_store.set_live_view([this](Json& record) { live_view(record); });
}

Engine::Engine(store::VmStore& store, Runtime& runtime, pools::PoolRegistry const& pools)
    : Engine(store, Runtimes(runtime), pools)
{
}

void Engine::live_view(Json& record) const
{
    std::string const uuid = string_or(record, "uuid");
    Runtime const& runtime = m_runtimes.for_vm(record);
    auto const live = runtime.live(uuid);
    if (live) {
        record[props::ATTR_ZONE_STATE] = "running";
        record["pid"] = live->pid;
        record["zoneid"] = live->pid;
        record["boot_timestamp"] = live->boot_timestamp;
    }
    if (!record.contains(props::ATTR_TRANSITION) || !record[props::ATTR_TRANSITION].is_string()) {
        return;
    }
    auto const parts = split(record[props::ATTR_TRANSITION].get<std::string>(), ':');
    if (parts.size() != 3 || parts[0] != "provisioning") {
        return;
    }
    // A create that was killed while it waited: the monitor's outcome stands in for it.
    std::string const outcome = live ? live->provisioning : runtime.provision_outcome(uuid);
    auto const expire = parse_integer(parts[2]);
    if (outcome == "success") {
        record.erase(props::ATTR_TRANSITION);
        record.erase(props::ATTR_PROVISIONING);
    } else if (outcome == "failed" || (!live && expire && *expire < now_ms())) {
        record.erase(props::ATTR_TRANSITION);
        record[props::ATTR_FAILED] = "provisioning";
    }
}

Result<void> Engine::finish_provisioning(std::string const& uuid, Provisioned outcome)
{
    TRY_ASSIGN(vm_lock, m_store.lock_vm(uuid));
    TRY_ASSIGN(record, m_store.load_record(uuid));
    record.erase(props::ATTR_TRANSITION);
    record.erase(props::ATTR_PROVISIONING);
    if (outcome == Provisioned::Failed) {
        record[props::ATTR_FAILED] = "provisioning";
    }
    return m_store.save(record);
}

Result<void> check_filesystem_sources(Json const& vm)
{
    if (!vm.is_object() || !vm.contains("filesystems") || !vm["filesystems"].is_array()) {
        return {};
    }
    for (auto const& filesystem : vm["filesystems"]) {
        // zoneadm's verify_fs_special, for the one type whose source is a host path here.
        if (!filesystem.is_object() || string_or(filesystem, "type") != "lofs") {
            continue;
        }
        std::string const source = string_or(filesystem, "source");
        struct stat st { };
        if (::stat(source.c_str(), &st) != 0) {
            int const error = errno;
            return make_error(ErrorCode::InvalidArgument,
                "could not verify fs " + string_or(filesystem, "target") + ": could not access "
                    + source + ": " + std::strerror(error));
        }
    }
    return {};
}

props::HostFacts Engine::host_facts(OtherVms other_vms, std::string const& exclude_uuid) const
{
    props::HostFacts facts;
    facts.zpools = m_pools.names();
    facts.nic_tags = m_config.nic_tags;
    // Installed as `imgadm get` sees it (VM.js validateImage runs imgadm get).
    facts.image_manifest
        = [catalog = image::ImageCatalog(m_store.paths(), m_pools)](std::string_view pool,
              std::string_view image_uuid) { return catalog.installed_manifest(pool, image_uuid); };
    if (other_vms == OtherVms::Include) {
        // Only the VMs the store's index names for the claims checked (MACs, IPs, VRIDs, the VNC
        // port, datasets) are read, one record each, however many VMs the host has.
        facts.vms_claiming
            = [this, exclude_uuid](
                  std::vector<props::Claim> const& claims) -> Result<std::vector<Json>> {
            store::LoadOptions options;
            // zonename, zpool, datasets and disks: the datasets a new VM must not nest with.
            options.keys = std::set<std::string> { "uuid", "nics", "vnc_port", "state", "brand",
                "zonename", "zpool", "datasets", "disks" };
            TRY_ASSIGN(vms, m_store.load_claiming(claims, options));
            std::erase_if(
                vms, [&](Json const& vm) { return string_or(vm, "uuid") == exclude_uuid; });
            return vms;
        };
    }
    return facts;
}

Result<CreateResult> Engine::create(Json const& payload)
{
    if (!payload.is_object()) {
        return make_error(ErrorCode::InvalidArgument, "Invalid JSON payload: not an object");
    }
    std::string uuid;
    bool autoboot = false;
    std::vector<std::string> warnings;
    {
        TRY_ASSIGN(created, create_record(payload));
        uuid = created.uuid;
        autoboot = created.autoboot;
        warnings = std::move(created.warnings);
    }
    if (!autoboot) {
        return CreateResult { uuid, warnings };
    }
    // Boot, then wait for the handshake without holding any lock (reference 3.3).
    TRY_ASSIGN(vm, m_store.load(uuid));
    int64_t const expire = int_or(vm, "transition_expire", 0);
    int64_t const timeout = std::max<int64_t>(expire - now_ms(), 1000);
    Runtime& runtime = m_runtimes.for_vm(vm);
    if (auto started = runtime.start(vm, timeout); !started) {
        if (started.error().code() == ErrorCode::InvalidArgument) {
            // The runtime refused what the VM asks of it (QEMU its command line, say
            // qemu_extra_opts): the create fails and leaves nothing, as a payload refused before
            // the boot does.
            if (auto removed = remove(uuid); !removed) {
                (void)finish_provisioning(uuid, Provisioned::Failed);
            }
            return tl::unexpected(started.error());
        }
        (void)finish_provisioning(uuid, Provisioned::Failed);
        return tl::unexpected(started.error());
    }
    if (Json const* nowait = json_member(payload, "nowait");
        nowait != nullptr && js_truthy(*nowait)) {
        return CreateResult { uuid, warnings };
    }
    TRY_ASSIGN(outcome, runtime.wait_provisioning(vm));
    if (outcome == "success") {
        TRY(finish_provisioning(uuid, Provisioned::Succeeded));
        return CreateResult { uuid, warnings };
    }
    (void)finish_provisioning(uuid, Provisioned::Failed);
    (void)runtime.stop(vm, StopMode::Force, 0);
    return make_error(
        ErrorCode::Timeout, "timed out waiting for /var/svc/provisioning to move for " + uuid);
}

Result<Engine::CreatedRecord> Engine::create_record(Json const& payload)
{
    // One create at a time: checking that the uuid is free and writing the record must not
    // interleave with another create of the same uuid.
    TRY_ASSIGN(create_lock, m_store.lock_create());
    if (payload.contains("uuid") && payload["uuid"].is_string()) {
        std::string const requested = payload["uuid"].get<std::string>();
        if (is_uuid(requested) && m_store.exists(requested)) {
            return make_error(
                ErrorCode::AlreadyExists, "VM with UUID " + requested + " already exists");
        }
    }
    // Every create checks the other VMs' datasets (no nesting) and NICs, through the index.
    props::CreateContext context;
    context.host = host_facts(OtherVms::Include);
    context.now_ms = now_ms();
    context.new_uuid = generate_uuid();
    TRY_ASSIGN(vm, props::prepare_create(payload, context));
    std::string const uuid = string_or(vm, "uuid");
    bool const autoboot = bool_or(vm, "autoboot", true);
    if (autoboot && m_config.provision_timeout_s) {
        // The operator's override of SmartOS's 300 s.
        vm[props::ATTR_TRANSITION] = props::make_transition(
            "provisioning", "running", context.now_ms + *m_config.provision_timeout_s * 1000);
    }
    if (m_store.exists(uuid)) {
        return make_error(ErrorCode::AlreadyExists, "VM with UUID " + uuid + " already exists");
    }
    if (autoboot) {
        TRY(m_runtimes.for_vm(vm).can_boot_vm(vm));
    }
    // zoneadm install verifies the filesystems before anything of the zone exists on disk.
    TRY(check_filesystem_sources(vm));
    // A quota larger than the whole pool promises space that is not there (a tenant filling the
    // zone fills the pool): refused when asked for, a warning when it is the brand's default.
    std::vector<std::string> warnings;
    if (auto fits = m_datasets.quota_fits(vm, int_or(vm, "quota", 0)); !fits) {
        if (payload.contains("quota")) {
            return tl::unexpected(std::move(fits.error()));
        }
        // "Invalid value for quota: ..." -> "Warning: default quota: ..."
        std::string const message = fits.error().message();
        warnings.push_back("Warning: default " + message.substr(message.find("quota")));
    }
    TRY_ASSIGN(vm_lock, m_store.lock_vm(uuid));
    // A create of this uuid killed before its record was written left datasets no VM owns; with
    // the create lock held none is in progress, so they go and the uuid can be used again.
    TRY(m_datasets.remove_leftovers(uuid));
    // Datasets first (provision undoes its own partial work), the record last: the VM exists
    // once it is whole.
    TRY(m_datasets.provision(vm));
    if (auto saved = m_store.save(vm); !saved) {
        // Nothing half-made stays behind: remove whatever part of the VM got written.
        (void)m_store.remove(vm);
        (void)m_datasets.set_indestructible(vm, false, false);
        (void)m_datasets.set_indestructible(vm, true, false);
        (void)m_datasets.destroy(vm);
        return tl::unexpected(saved.error());
    }
    return CreatedRecord { uuid, autoboot, std::move(warnings) };
}

void Engine::add_dataset_view(Json& vm) const
{
    // One listing of the VM's zone root answers both (reference 7.4): SmartOS derives the
    // indestructible_* flags from the hold on <ds>@indestructible, so releasing the hold by hand
    // clears them, and `snapshots` from the zone root's vmsnap-* snapshots. A VM whose pool or
    // dataset is absent keeps its record's flags and no snapshots.
    auto view = m_datasets.dataset_view(vm);
    if (!view) {
        return;
    }
    for (bool const delegated : { false, true }) {
        char const* flag = delegated ? "indestructible_delegated" : "indestructible_zoneroot";
        auto const& held = delegated ? view->delegated_held : view->zoneroot_held;
        if (!held) {
            continue;
        }
        if (*held) {
            vm[flag] = true;
        } else {
            vm.erase(flag);
        }
    }
    vm["snapshots"] = std::move(view->snapshots);
}

Result<Json> Engine::get(std::string const& uuid) const
{
    TRY_ASSIGN(vm, m_store.load(uuid));
    add_dataset_view(vm);
    return vm;
}

Result<void> Engine::update(std::string const& uuid, Json const& payload)
{
    if (!payload.is_object()) {
        return make_error(ErrorCode::InvalidArgument, "Invalid JSON payload: not an object");
    }
    bool const wants_conflict_checks = payload.contains("add_nics")
        || payload.contains("update_nics") || payload.contains("vnc_port");
    // The host-wide MAC/IP/VRID check and the write must be one step against creates and other
    // such updates, so those take the create lock first (always before a VM lock: one order).
    std::optional<FileLock> host_lock;
    if (wants_conflict_checks) {
        TRY_ASSIGN(lock, m_store.lock_create());
        host_lock.emplace(std::move(lock));
    }
    TRY_ASSIGN(vm_lock, m_store.lock_vm(uuid));
    TRY_ASSIGN(record, m_store.load_record(uuid));
    Json const view = m_store.vm_object(record);
    TRY_ASSIGN(updated,
        props::prepare_update(view, payload,
            host_facts(wants_conflict_checks ? OtherVms::Include : OtherVms::Skip, uuid)));
    // The internal attributes are the engine's, never the payload's.
    for (char const* key : { props::ATTR_TRANSITION, props::ATTR_PROVISIONING, props::ATTR_FAILED,
             props::ATTR_ZONE_STATE }) {
        updated.erase(key);
        if (record.contains(key)) {
            updated[key] = record[key];
        }
    }
    // An update that changes nothing (every key dropped, or values already set) writes
    // nothing, so last_modified keeps meaning "last change".
    Json updated_view = updated;
    for (char const* key :
        { props::ATTR_TRANSITION, props::ATTR_PROVISIONING, props::ATTR_FAILED }) {
        updated_view.erase(key);
    }
    bool const unchanged = updated_view == view;
    if (unchanged) {
        return {};
    }
    // Live storage changes before the record: a failure leaves both as they were. Each change
    // arms its undo before it is made (putting back what did not change is harmless), so a
    // change whose failure was reported after it took effect is undone too.
    Rollback undo;
    auto number = [](Json const& object, char const* key) -> int64_t {
        return object.contains(key) && object[key].is_number()
            ? static_cast<int64_t>(object[key].get<double>())
            : 0;
    };
    if (number(updated, "quota") != number(view, "quota")) {
        TRY(m_datasets.quota_fits(updated, number(updated, "quota")));
        undo.push(
            [this, &view, old = number(view, "quota")] { (void)m_datasets.set_quota(view, old); });
        TRY(m_datasets.set_quota(updated, number(updated, "quota")));
    }
    for (bool const delegated : { false, true }) {
        char const* flag = delegated ? "indestructible_delegated" : "indestructible_zoneroot";
        bool const wanted = bool_or(updated, flag, false);
        if (wanted != bool_or(view, flag, false)) {
            undo.push([this, &view, delegated, wanted] {
                (void)m_datasets.set_indestructible(view, delegated, !wanted);
            });
            TRY(m_datasets.set_indestructible(updated, delegated, wanted));
        }
    }
    // update_disks sizes change the volumes (spec refused a shrink without
    // dangerous_allow_shrink, and any size change while the VM is not stopped); a failure
    // puts back the volumes it resized itself.
    TRY(m_datasets.resize_disks(view, updated));
    undo.push([this, &view, &updated] { (void)m_datasets.resize_disks(updated, view); });
    // Resource controls reach a running zone now (its next boot reads the record).
    if (Runtime& runtime = m_runtimes.for_vm(updated); runtime.live(uuid)) {
        TRY(runtime.apply_limits(updated));
    }
    TRY(m_store.save(updated));
    undo.disarm();
    return {};
}

Result<void> Engine::remove(std::string const& uuid)
{
    TRY_ASSIGN(vm_lock, m_store.lock_vm(uuid));
    TRY_ASSIGN(vm, m_store.load(uuid));
    add_dataset_view(vm);
    if (bool_or(vm, "indestructible_zoneroot", false)) {
        return make_error(
            ErrorCode::PermissionDenied, "indestructible_zoneroot is set, cannot delete");
    }
    if (bool_or(vm, "indestructible_delegated", false)) {
        return make_error(
            ErrorCode::PermissionDenied, "indestructible_delegated is set, cannot delete");
    }
    Runtime& runtime = m_runtimes.for_vm(vm);
    if (runtime.live(uuid)) {
        TRY(runtime.stop(vm, StopMode::Force, 0));
    }
    TRY(m_datasets.destroy(vm));
    TRY(m_store.remove(vm));
    runtime.forget(uuid);
    return {};
}

Result<std::vector<Json>> Engine::find(ListQuery const& query) const
{
    store::LoadOptions options;
    options.keys = query.keys;
    TRY_ASSIGN(uuids, m_store.list_uuids());
    // lookup nics.*.mac=/nics.*.ip=: only the VMs the index names are read (the filters still
    // decide), in the directory's order as the full scan would give them.
    if (auto const claims = props::index_claims(query.filters)) {
        TRY_ASSIGN(candidates, m_store.uuids_claiming(*claims));
        std::erase_if(uuids, [&](std::string const& uuid) { return !candidates.contains(uuid); });
    }
    std::vector<Json> matching;
    for (auto const& uuid : uuids) {
        auto loaded = m_store.load(uuid, options);
        if (!loaded) {
            continue; // deleted while we listed, or unreadable: not a VM we can show
        }
        Json vm = std::move(*loaded);
        props::add_fake_fields(vm);
        TRY_ASSIGN(matched, props::matches(vm, query.filters));
        if (matched) {
            matching.push_back(std::move(vm));
        }
    }
    return matching;
}

} // namespace lumos::vm
