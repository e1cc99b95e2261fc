// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/host_config.hpp"
#include "base/json.hpp"
#include "base/result.hpp"
#include "pools/pool.hpp"
#include "props/filters.hpp"
#include "props/host_facts.hpp"
#include "store/vm_store.hpp"
#include "vm/lifecycle.hpp"
#include "vm/runtime.hpp"
#include "vm/vm_datasets.hpp"

#include <string>
#include <vector>

namespace lumos::vm {

struct CreateResult {
    std::string uuid;
    // Said to the operator before success: e.g. a default quota larger than the pool.
    std::vector<std::string> warnings;
};

// Whether host_facts lists the other VMs (create's and some updates' conflict checks).
enum class OtherVms { Skip, Include };

struct ListQuery {
    std::vector<props::Filter> filters;
    // Top-level keys needed (nullopt: whole objects, as lookup -j prints).
    std::optional<std::set<std::string>> keys;
};

// The VM engine: the one API that vmadm (and later lumosd) adapt. Each command takes the store's
// locks, gathers host facts, runs the pure spec pipeline, makes or changes the VM's datasets on
// the host's pools (vm_datasets.hpp), and persists the result.
//
// Storage and record order: create makes every dataset first and writes the record last (a
// failure destroys what it made; a killed create can leave datasets no VM owns, never a VM
// without datasets). Delete destroys the datasets first and removes the record last, as
// SmartOS uninstalls the zone before deleting its config: a killed delete leaves a VM that a
// second delete finishes (missing datasets are fine), never an invisible VM holding space.
class Engine { // NOLINT(cppcoreguidelines-special-member-functions): no destructor to write
public:
    // Runtimes: which runtime boots which brand.
    Engine(store::VmStore& store, Runtimes runtimes, pools::PoolRegistry const& pools);
    // One runtime for every brand (tests).
    Engine(store::VmStore& store, Runtime& runtime, pools::PoolRegistry const& pools);
    Engine(Engine const&) = delete;
    Engine& operator=(Engine const&) = delete;

    // With autoboot (the default) the VM is booted and, unless the payload says nowait, create
    // waits for the provisioning handshake (reference 3.3): success clears the transition, a
    // timeout marks the VM failed and halts it. The locks are not held while it waits.
    Result<CreateResult> create(Json const& payload);
    // The VM object as vmadm get shows it. Reads only: see ensure_monitored.
    Result<Json> get(std::string const& uuid) const;
    // A running zone whose monitor died gets a new one (SmartOS's zoneadmd is started on
    // demand the same way). Best effort; vmadm, zlogin and zonestat call it after get, and the
    // lifecycle commands below do it themselves. Only a VM the live view found running (a pid)
    // is asked about.
    void ensure_monitored(Json const& vm);
    Result<void> update(std::string const& uuid, Json const& payload);
    Result<void> remove(std::string const& uuid);

    // Lifecycle (reference 1.2, 3.4), each under the VM's lock, with the state rules of
    // vmadm's (lifecycle.hpp says which refusal means what). start sets autoboot, stop clears
    // it; remove halts a running VM first.
    LifecycleResult<Transition> start(
        std::string const& uuid, runtime::StartOptions const& options = {});
    LifecycleResult<Transition> stop(std::string const& uuid, StopRequest const& request);
    LifecycleResult<void> reboot(std::string const& uuid, StopMode mode);
    // signal: a number, a name (HUP) or a SIG name (SIGHUP), as vmadm kill takes it.
    LifecycleResult<void> kill(std::string const& uuid, std::string const& signal);
    LifecycleResult<UniqueFd> console(std::string const& uuid);
    // HVM guests (reference 1.2 info, sysrq): only while running or stopping; types checked
    // against the brand's (VM.js checkInfoTypes, SYSRQ_TYPES) with SmartOS's messages.
    LifecycleResult<Json> info(std::string const& uuid, std::vector<std::string> const& types);
    LifecycleResult<void> sysrq(std::string const& uuid, std::string const& request);
    // What SmartOS's zones service does at host start: every VM whose guest still runs without
    // a monitor gets one again; every stopped VM with autoboot true is started. One outcome per
    // VM acted on; safe to run again at any time.
    Result<std::vector<AutobootOutcome>> autoboot();

    // Whether this host can boot VMs of the brand; the error says why not.
    Result<void> can_boot(std::string const& brand) const
    {
        return m_runtimes.for_brand(brand).can_boot(brand);
    }
    // The runtime that runs VMs of the VM object's brand (zlogin's exec, zonestat's figures).
    Runtime& runtime_for(Json const& vm) const { return m_runtimes.for_vm(vm); }

    // VMs matching all filters, with list's fake fields (type, ram) added. Filters on
    // nics.*.mac / nics.*.ip alone read only the VMs the store's index names.
    Result<std::vector<Json>> find(ListQuery const& query) const;

    // Host facts for validation: pools (PoolRegistry::names()), nic tags (the host config),
    // installed image manifests (installed as `imgadm get` sees it: image::ImageCatalog, the one
    // rule), and (when wanted) the other VMs for conflict checks: HostFacts::vms_claiming,
    // answered from the store's index (only the VMs holding a checked MAC, IP, VRID, VNC port
    // or dataset are read).
    props::HostFacts host_facts(OtherVms other_vms, std::string const& exclude_uuid = {}) const;

private:
    struct CreatedRecord {
        std::string uuid;
        bool autoboot { false };
        std::vector<std::string> warnings;
    };
    // create's locked part: checks, datasets, the record.
    Result<CreatedRecord> create_record(Json const& payload);
    // What the VM's datasets say (indestructible_* from the holds, `snapshots`), from one
    // listing of its zone root (VmDatasets::dataset_view).
    void add_dataset_view(Json& vm) const;
    // The store's live view: the runtime's facts over a record (zone_state, pid, ...), and the
    // provisioning outcome its monitor recorded when no vmadm was there to persist it.
    void live_view(Json& record) const;
    // info's and sysrq's VM (monitored again if need be), refused unless running or stopping
    // with VM.js's "Unable to <doing> from state ..." message.
    LifecycleResult<Json> running_or_stopping_vm(std::string const& uuid, std::string const& doing);
    // After the handshake: clears the transition, or marks the VM failed.
    enum class Provisioned { Succeeded, Failed };
    Result<void> finish_provisioning(std::string const& uuid, Provisioned outcome);
    // The VM's lock, and the VM loaded under it (monitored again if need be).
    struct LockedVm {
        FileLock lock;
        Json vm;
    };
    LifecycleResult<LockedVm> lock_and_load(std::string const& uuid);

    store::VmStore& m_store;
    Runtimes m_runtimes;
    pools::PoolRegistry const& m_pools;
    VmDatasets m_datasets;
    // etc/lumos/config, read once: nic tags and the provision_timeout override.
    HostConfig m_config;
};

// zoneadm verify's check of a new VM's filesystems: every lofs source must exist on the host,
// else "could not verify fs <target>: could not access <source>: <reason>" (test-delete.js).
Result<void> check_filesystem_sources(Json const& vm);

} // namespace lumos::vm
