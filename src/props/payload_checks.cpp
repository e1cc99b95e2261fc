// SPDX-License-Identifier: MPL-2.0
// SmartOS checkPayloadProperties (VM.js): the fatal cross-field checks run on a normalized
// payload, in VM.js's order, so that a payload breaking several rules reports the same one.
#include "props/payload_checks.hpp"

#include "base/strings.hpp"
#include "props/checks/common.hpp"
#include "props/checks/disk_checks.hpp"
#include "props/checks/host_conflicts.hpp"
#include "props/checks/nic_checks.hpp"
#include "props/checks/route_checks.hpp"
#include "props/detail/ip.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/json_access.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lumos::props {

namespace {

using namespace checks;

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::is_create;
using detail::json_number;
using detail::member;
using detail::string_member;

constexpr std::array<std::string_view, 5> VGA_TYPES { "cirrus", "std", "vmware", "qxl", "xenfb" };
constexpr double MINIMUM_MAX_SWAP = 256;

Result<void> check_array_fields(Json const& payload)
{
    for (char const* kind : { "nics", "disks", "filesystems", "pci_devices" }) {
        for (char const* action : { "add_", "update_", "remove_" }) {
            std::string const field = std::string(action) + kind;
            Json const* value = member(payload, field);
            if (value == nullptr) {
                continue;
            }
            // remove_* is a list property, which may still be a comma-separated string.
            if (!value->is_array() && !(value->is_string() && field.starts_with("remove_"))) {
                return invalid(field + " must be an array.");
            }
            if (field.starts_with("remove_")) {
                continue;
            }
            for (auto const& element : *value) {
                if (!element.is_object()) {
                    return invalid("Invalid value(s) for: " + field);
                }
            }
        }
    }
    return {};
}

Result<void> check_memory(Json const& payload, Json const& vm, Brand brand, bool creating)
{
    auto const number = [](Json const& object, char const* key) -> std::optional<double> {
        Json const* value = member(object, key);
        return value == nullptr ? std::nullopt : json_number(*value);
    };
    auto const physical = number(payload, "max_physical_memory");
    if (creating) {
        auto const locked = number(payload, "max_locked_memory");
        auto const swap = number(payload, "max_swap");
        if (locked && physical && *locked > *physical) {
            return invalid("max_locked_memory must be <= max_physical_memory");
        }
        if (swap && physical && *swap < *physical) {
            return invalid("max_swap must be >= max_physical_memory");
        }
        return {};
    }
    if (features(brand).min_memory_overhead == 0) {
        return {};
    }
    auto const ram = has(payload, "ram") ? number(payload, "ram") : number(vm, "ram");
    if (!ram) {
        return {};
    }
    std::string const ram_text = js_number_string(*ram);
    for (char const* key : { "max_physical_memory", "max_locked_memory", "max_swap" }) {
        auto const value = number(payload, key);
        if (value && *value < *ram) {
            return invalid("vm." + std::string(key) + " (" + js_number_string(*value)
                + ") cannot be lower than vm.ram (" + ram_text + ")");
        }
    }
    auto const swap = number(payload, "max_swap");
    if (swap && *swap < MINIMUM_MAX_SWAP) {
        return invalid("vm.max_swap (" + js_number_string(*swap) + ") cannot be lower than "
            + js_number_string(MINIMUM_MAX_SWAP) + "MiB");
    }
    return {};
}

Result<void> check_pci_device_state(Json const& payload, Json const& vm)
{
    bool const changes = has(payload, "add_pci_devices") || has(payload, "update_pci_devices")
        || has(payload, "remove_pci_devices");
    std::string const state = has(vm, "state") ? js_string(vm["state"]) : "undefined";
    if (changes && state != "stopped") {
        std::string const zone_state
            = has(vm, "zone_state") ? js_string(vm["zone_state"]) : "undefined";
        return invalid("updates to pci_devices are only allowed when state is \"stopped\", "
                       "currently: "
            + state + " (" + zone_state + ")");
    }
    return {};
}

Result<void> check_zfs_properties(Json const& payload)
{
    for (char const* key : { "zfs_root_recsize", "zfs_data_recsize" }) {
        Json const* value = member(payload, key);
        // NOLINTNEXTLINE(readability-container-size-empty): Json::empty() is false for ""
        if (value == nullptr || value->is_null() || *value == 0 || *value == "") {
            continue; // 0 and "" reset the record size to its default.
        }
        auto const size = json_number(*value);
        if (!size || !detail::valid_record_size(*size)) {
            return invalid("invalid " + std::string(key) + " (" + js_string(*value)
                + "), must be 512-131072 and a power of 2. (0 to disable)");
        }
    }
    for (char const* key : { "zfs_root_compression", "zfs_data_compression" }) {
        Json const* value = member(payload, key);
        if (value != nullptr && !detail::valid_compression(*value)) {
            return invalid("invalid compression type for " + js_string(*value)
                + ", must be one of: " + detail::compression_list(", "));
        }
    }
    for (char const* key : { "zfs_filesystem_limit", "zfs_snapshot_limit" }) {
        Json const* value = member(payload, key);
        // NOLINTNEXTLINE(readability-container-size-empty): Json::empty() is false for ""
        if (value == nullptr || value->is_null() || *value == "" || *value == "none") {
            continue;
        }
        auto const limit = json_number(*value);
        if (!limit || *limit < 0) {
            return invalid("invalid " + std::string(key) + " (" + js_string(*value)
                + "), must be a number >= 0 (or '' to disable)");
        }
    }
    return {};
}

} // namespace

Result<void> check_payload_properties(
    Json const& payload, Json const& vm, Brand brand, HostFacts const& host)
{
    if (!payload.is_object()) {
        return invalid("Invalid JSON payload: payload must be an object");
    }
    bool const creating = is_create(vm);
    TRY(check_array_fields(payload));
    TRY(check_disk_uuids(payload, vm, brand));
    TRY(check_memory(payload, vm, brand, creating));
    if (!creating) {
        TRY(check_pci_device_state(payload, vm));
    }
    NicState state = creating ? NicState {} : current_nics(payload, vm);
    TRY(check_disks(payload, brand));

    for (char const* field : { "add_nics", "update_nics" }) {
        auto const change = std::string_view(field) == "add_nics" ? checks::NicChange::Added
                                                                  : checks::NicChange::Updated;
        for (auto const& nic : array_member(payload, field)) {
            TRY(check_payload_nic(nic, change, brand, state));
        }
    }
    remove_nics(payload, state);
    TRY(check_final_nics(state));

    if (Json const* vga = member(payload, "vga")) {
        std::string const type = js_string(*vga);
        if (!vga->is_string() || !contains(VGA_TYPES, std::string_view(type))) {
            return invalid("Invalid VGA type: \"" + type
                + "\", supported types are: cirrus,std,vmware,qxl,xenfb");
        }
    }
    TRY(check_routes(payload, vm, state.nics));
    if (auto password = string_member(payload, "vnc_password");
        password && detail::js_length(*password) > 8) {
        return invalid("VNC password is too long, maximum length is 8 characters.");
    }
    std::optional<double> vnc_port;
    if (Json const* port = member(payload, "vnc_port")) {
        if (auto number = json_number(*port); number && *number > 0) {
            vnc_port = number;
        }
    }
    TRY(check_zfs_properties(payload));
    TRY(check_conflicts(state, vnc_port, vm, host));
    TRY(check_nic_tags(state.changed, host));
    return creating ? Result<void> {} : check_disk_resizes(payload, vm);
}

} // namespace lumos::props
