// SPDX-License-Identifier: MPL-2.0
#include "vm/orphans.hpp"

#include "base/uuid.hpp"
#include "vm/vm_datasets.hpp"

#include <set>

namespace lumos::vm {

namespace {

constexpr size_t UUID_LENGTH = 36;

// The uuid a VM dataset's name carries ("<uuid>", "cores/<uuid>", "<uuid>-disk<N>"), if any.
std::optional<std::string> vm_uuid_of(std::string const& relative)
{
    std::string candidate;
    if (relative.starts_with("cores/") && relative.size() == 6 + UUID_LENGTH) {
        candidate = relative.substr(6);
    } else if (relative.size() == UUID_LENGTH) {
        candidate = relative;
    } else if (relative.size() > UUID_LENGTH + 5 && relative.compare(UUID_LENGTH, 5, "-disk") == 0
        && relative.find_first_not_of("0123456789", UUID_LENGTH + 5) == std::string::npos) {
        candidate = relative.substr(0, UUID_LENGTH);
    } else {
        return std::nullopt;
    }
    if (!is_uuid(candidate)) {
        return std::nullopt;
    }
    return candidate;
}

} // namespace

Result<std::vector<VmOrphan>> find_vm_orphans(store::VmStore const& store,
    pools::PoolRegistry const& pools, std::optional<std::string> const& pool)
{
    store::LoadOptions options;
    options.keys = std::set<std::string> { "uuid", "zonename", "zpool" };
    TRY_ASSIGN(vms, store.load_all(options));
    std::set<std::string> owners; // uuids with a record, and roots named by a zonename
    std::set<std::string> roots;
    for (auto const& vm : vms) {
        owners.insert(vm.value("uuid", ""));
        roots.insert(VmDatasets::root_dataset(vm));
    }
    std::vector<VmOrphan> found;
    for (auto const& name : pools.names()) {
        if (pool && *pool != name) {
            continue;
        }
        auto const names = dataset_names_or_none(pools, name);
        for (auto const& dataset : names) {
            if (dataset.find('@') != std::string::npos || roots.contains(dataset)) {
                continue;
            }
            auto uuid = vm_uuid_of(dataset.substr(name.size() + 1));
            if (!uuid || owners.contains(*uuid) || names.contains(name + "/" + *uuid + "@final")) {
                continue;
            }
            found.push_back({ dataset, *uuid });
        }
    }
    return found;
}

Result<void> remove_vm_orphan(pools::PoolRegistry const& pools, VmOrphan const& orphan)
{
    TRY_ASSIGN(pool, pools.open(orphan.dataset.substr(0, orphan.dataset.find('/'))));
    auto destroyed = pool->destroy(orphan.dataset, pools::Recursive::Yes);
    if (!destroyed && destroyed.error().code() != ErrorCode::NotFound) {
        return destroyed;
    }
    if (orphan.dataset.find("/cores/") != std::string::npos) {
        drop_empty_cores(*pool);
    }
    return {};
}

} // namespace lumos::vm
