// SPDX-License-Identifier: MPL-2.0
#include "props/datasets.hpp"

namespace lumos::props {

namespace {

std::string string_value(Json const& object, char const* key)
{
    if (object.is_object() && object.contains(key) && object[key].is_string()) {
        return object[key].get<std::string>();
    }
    return {};
}

// a and b are the same dataset or one lies under the other.
bool nested(std::string const& a, std::string const& b)
{
    auto const under = [](std::string const& child, std::string const& parent) {
        return child.size() > parent.size() && child.starts_with(parent)
            && child[parent.size()] == '/';
    };
    return a == b || under(a, b) || under(b, a);
}

Error conflict(std::string const& zonename, std::string const& mine, std::string const& theirs,
    std::string const& owner)
{
    return Error(ErrorCode::InvalidArgument,
        "Invalid value for zonename: \"" + zonename + "\" (dataset " + mine + " conflicts with "
            + theirs + (owner.empty() ? std::string() : " of VM " + owner) + ")");
}

} // namespace

std::vector<std::string> owned_datasets(Json const& vm)
{
    std::string pool = string_value(vm, "zpool");
    if (pool.empty()) {
        pool = "zones";
    }
    std::string const uuid = string_value(vm, "uuid");
    std::string zonename = string_value(vm, "zonename");
    if (zonename.empty()) {
        zonename = uuid;
    }
    std::vector<std::string> owned;
    if (!zonename.empty()) {
        owned.push_back(pool + "/" + zonename);
    }
    if (!uuid.empty()) {
        if (uuid != zonename) {
            owned.push_back(pool + "/" + uuid);
        }
        owned.push_back(pool + "/cores/" + uuid);
    }
    if (vm.contains("datasets") && vm["datasets"].is_array()) {
        for (auto const& dataset : vm["datasets"]) {
            if (dataset.is_string() && !dataset.get_ref<std::string const&>().empty()) {
                owned.push_back(dataset.get<std::string>());
            }
        }
    }
    if (vm.contains("disks") && vm["disks"].is_array()) {
        for (auto const& disk : vm["disks"]) {
            if (auto name = string_value(disk, "zfs_filesystem"); !name.empty()) {
                owned.push_back(std::move(name));
            }
        }
    }
    return owned;
}

Result<void> check_dataset_nesting(Json const& vm, HostFacts const& host)
{
    std::string const zonename = string_value(vm, "zonename");
    auto const mine = owned_datasets(vm);
    if (mine.empty()) {
        return {};
    }
    // The zone root may hold the VM's own delegated datasets and disks (zonename = uuid), never
    // its cores dataset, which lives beside every other VM's.
    std::string const uuid = string_value(vm, "uuid");
    for (auto const& name : mine) {
        if (name != mine.front() && name.ends_with("/cores/" + uuid)
            && nested(mine.front(), name)) {
            return tl::unexpected(conflict(zonename, mine.front(), name, ""));
        }
    }
    std::vector<Claim> claims;
    claims.reserve(mine.size());
    for (auto const& name : mine) {
        claims.push_back(Claim { ClaimKind::Dataset, name });
    }
    TRY_ASSIGN(others, vms_claiming(host, claims));
    for (auto const& other : others) {
        if (string_value(other, "uuid") == uuid) {
            continue;
        }
        for (auto const& theirs : owned_datasets(other)) {
            for (auto const& name : mine) {
                if (nested(name, theirs)) {
                    return tl::unexpected(
                        conflict(zonename, name, theirs, string_value(other, "uuid")));
                }
            }
        }
    }
    return {};
}

} // namespace lumos::props
