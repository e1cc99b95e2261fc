// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/host_facts.hpp"
#include "props/filters.hpp"
#include "pools/pool.hpp"
#include "store/vm_store.hpp"
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
class Engine {
public:
    Engine(store::VmStore& store, Runtime& runtime, pools::PoolRegistry const& pools);

    // With autoboot (the default) the VM is booted and, unless the payload says nowait, create
    // waits for the provisioning handshake (reference 3.3): success clears the transition, a
    // timeout marks the VM failed and halts it. The locks are not held while it waits.
    Result<CreateResult> create(Json const& payload);
    Result<Json> get(std::string const& uuid) const;
    Result<void> update(std::string const& uuid, Json const& payload);
    Result<void> remove(std::string const& uuid);
    // Lifecycle (reference 1.2, 3.4), each under the VM's lock. start sets autoboot, stop
    // clears it; remove halts a running VM first.
    Result<void> start(std::string const& uuid);
    Result<void> stop(std::string const& uuid, bool force, int timeout_s);
    Result<void> reboot(std::string const& uuid, bool force);
    Result<void> kill(std::string const& uuid, int signal);
    Result<UniqueFd> console(std::string const& uuid);
    // Whether this host's runtime can boot VMs of the brand; the error says why not.
    Result<void> can_boot(std::string const& brand) const { return m_runtime.can_boot(brand); }

    // VMs matching all filters, with list's fake fields (type, ram) added.
    Result<std::vector<Json>> find(ListQuery const& query) const;

    // Host facts for validation: pools (PoolRegistry::names()), nic tags
    // ($LUMOS_ROOT/etc/lumos/config), installed image manifests (an image is installed when
    // <pool>/<uuid>@final exists; its manifest comes from imgadm's cache, as ImageStore keeps
    // it), and (when wanted) the other VMs for conflict checks.
    props::HostFacts host_facts(bool with_other_vms, std::string const& exclude_uuid = {}) const;

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
    // After the handshake: clears the transition, or marks the VM failed.
    Result<void> finish_provisioning(std::string const& uuid, bool succeeded);
    // Host config (etc/lumos/config) "provision_timeout=<seconds>": the operator's override of
    // SmartOS's 300 s.
    std::optional<int64_t> provision_timeout_override() const;

    store::VmStore& m_store;
    Runtime& m_runtime;
    pools::PoolRegistry const& m_pools;
    VmDatasets m_datasets;
};

// zoneadm verify's check of a new VM's filesystems: every lofs source must exist on the host,
// else "could not verify fs <target>: could not access <source>: <reason>" (test-delete.js).
Result<void> check_filesystem_sources(Json const& vm);

// Nic tags defined by a SmartOS-style host config: "<tag>_nic=<mac>" lines and
// "etherstub=a,b".
std::vector<std::string> nic_tags_from_config(std::string const& config_text);

} // namespace lumos::vm
