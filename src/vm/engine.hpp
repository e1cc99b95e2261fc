// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "spec/host_facts.hpp"
#include "spec/list_view.hpp"
#include "store/vm_store.hpp"
#include "vm/runtime.hpp"

#include <string>
#include <vector>

namespace lumos::vm {

struct CreateResult {
    std::string uuid;
};

struct ListQuery {
    std::vector<spec::Filter> filters;
    // Top-level keys needed (nullopt: whole objects, as lookup -j prints).
    std::optional<std::set<std::string>> keys;
};

// The VM engine: the one API that vmadm (and later lumosd) adapt. Each command takes the store's
// locks, gathers host facts, runs the pure spec pipeline, and persists the result.
class Engine {
public:
    Engine(store::VmStore& store, Runtime& runtime);

    Result<CreateResult> create(Json const& payload);
    Result<Json> get(std::string const& uuid) const;
    Result<void> update(std::string const& uuid, Json const& payload);
    Result<void> remove(std::string const& uuid);
    // Whether this host's runtime can boot VMs of the brand; the error says why not.
    Result<void> can_boot(std::string const& brand) const { return m_runtime.can_boot(brand); }

    // VMs matching all filters, with list's fake fields (type, ram) added.
    Result<std::vector<Json>> find(ListQuery const& query) const;

    // Host facts for validation: pools, nic tags ($LUMOS_ROOT/etc/lumos/config), installed image
    // manifests, and (when wanted) the other VMs for conflict checks.
    spec::HostFacts host_facts(bool with_other_vms, std::string const& exclude_uuid = {}) const;

private:
    store::VmStore& m_store;
    Runtime& m_runtime;
};

// Nic tags defined by a SmartOS-style host config: "<tag>_nic=<mac>" lines and
// "etherstub=a,b".
std::vector<std::string> nic_tags_from_config(std::string const& config_text);

} // namespace lumos::vm
