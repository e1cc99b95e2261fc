// SPDX-License-Identifier: MPL-2.0
// Datasets no VM owns: what a `vmadm create` killed before its record left (the record is the
// create's commit point, written last). Found by name on the host's pools: <pool>/<uuid> (a
// zone root named by its uuid; not an installed image, which has @final), <pool>/cores/<uuid>
// and <pool>/<uuid>-disk<N>, whose uuid has no record and is no VM's zonename. Roots named by a
// zonename of a killed create are not recognizable and are left alone.
#pragma once

#include "base/result.hpp"
#include "pools/pool.hpp"
#include "store/vm_store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::vm {

struct VmOrphan {
    std::string dataset;
    std::string uuid;
};

// The caller holds the create lock (VmStore::lock_create): no create is in progress then, so a
// dataset without a record is not one being made. Pools that cannot be opened are skipped.
Result<std::vector<VmOrphan>> find_vm_orphans(store::VmStore const& store,
    pools::PoolRegistry const& pools, std::optional<std::string> const& pool = {});

Result<void> remove_vm_orphan(pools::PoolRegistry const& pools, VmOrphan const& orphan);

} // namespace lumos::vm
