// SPDX-License-Identifier: MPL-2.0
#pragma once

// The dataset names a VM owns on its pool, and the rule that no VM's datasets nest in another's
// (a zone root inside another VM's delegated dataset would give one tenant the other's files).

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/host_facts.hpp"

#include <string>
#include <vector>

namespace lumos::props {

// <pool>/<zonename>, <pool>/<uuid> (parent of delegated datasets and bhyve disks),
// <pool>/cores/<uuid>, every "datasets" entry and every disk's zfs_filesystem.
std::vector<std::string> owned_datasets(Json const& vm);

// Refuses a new VM whose datasets equal, contain or lie inside another VM's (or whose zone root
// would contain its own cores dataset: zonename "cores"). The other VMs are those
// props::vms_claiming finds for the VM's Dataset claims.
Result<void> check_dataset_nesting(Json const& vm, HostFacts const& host);

} // namespace lumos::props
