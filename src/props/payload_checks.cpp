// SPDX-License-Identifier: MPL-2.0
// SmartOS checkPayloadProperties (VM.js): the fatal cross-field checks run on a normalized
// payload, in VM.js's order, so that a payload breaking several rules reports the same one.
#include "props/payload_checks.hpp"

#include "base/strings.hpp"
#include "props/detail/ip.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/json_access.hpp"
#include "props/nics.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace lumos::props {

namespace {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::is_create;
using detail::json_bool;
using detail::json_integer;
using detail::json_list;
using detail::json_number;
using detail::member;
using detail::string_member;
using detail::stringify;

constexpr std::array<std::string_view, 5> VGA_TYPES { "cirrus", "std", "vmware", "qxl", "xenfb" };
constexpr double MINIMUM_MAX_SWAP = 256;

std::string nic_mac(Json const& nic)
{
    return detail::canonical_mac(has(nic, "mac") ? js_string(nic["mac"]) : "");
}

// The key VM.js files a NIC under: its MAC, or the VRRP MAC of its VRID.
std::optional<std::string> nic_key(Json const& nic)
{
    if (has(nic, "mac")) {
        return nic_mac(nic);
    }
    if (has(nic, "vrrp_vrid")) {
        if (auto vrid = json_integer(nic["vrrp_vrid"])) {
            return detail::vrrp_mac(*vrid);
        }
    }
    return std::nullopt;
}

bool matches(std::string_view text, bool allow_slash)
{
    if (text.empty()) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [allow_slash](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_' || (allow_slash && c == '/');
    });
}

bool is_blank_model(Json const& nic)
{
    Json const* model = member(nic, "model");
    return model == nullptr || !js_truthy(*model) || *model == "undefined";
}

template <typename Container>
bool contains(Container const& container, typename Container::value_type const& value)
{
    return std::find(container.begin(), container.end(), value) != container.end();
}

// Every address of a list field, as strings (non-string entries printed as JavaScript would).
std::vector<std::string> entries(Json const& value)
{
    std::vector<std::string> result;
    if (value.is_array()) {
        for (auto const& element : value) {
            result.push_back(js_string(element));
        }
    } else if (value.is_string()) {
        result = json_list(value);
    }
    return result;
}

std::string disk_models(Brand brand)
{
    std::string result;
    for (auto const model : features(brand).disk_models) {
        if (model.empty()) {
            continue;
        }
        if (!result.empty()) {
            result += ",";
        }
        result += model;
    }
    return result;
}

Result<void> check_disk_model(Json const& disk, Brand brand)
{
    std::string const model = js_string(disk["model"]);
    auto const& models = features(brand).disk_models;
    if (model.empty() || std::find(models.begin(), models.end(), model) == models.end()) {
        return invalid("\"" + model + "\" is not a valid disk model for "
            + std::string(brand_name(brand)) + " brand. Valid are: " + disk_models(brand));
    }
    return {};
}

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

Result<void> check_disks(Json const& payload, Brand brand)
{
    for (auto const& disk : array_member(payload, "add_disks")) {
        // A path is only allowed for cdroms and for disks that name an existing volume.
        bool const nocreate = has(disk, "nocreate") && json_bool(disk["nocreate"]).value_or(false);
        if (disk.contains("path") && disk.value("media", Json()) != "cdrom" && !nocreate) {
            return invalid("you cannot specify a path for a disk unless you set nocreate=true");
        }
        if (disk.contains("block_size")) {
            auto const size = json_number(disk["block_size"]);
            if (!size || !detail::valid_record_size(*size)) {
                return invalid("invalid .block_size(" + js_string(disk["block_size"])
                    + "), must be 512-131072 and a power of 2.");
            }
            if (disk.contains("image_uuid")) {
                return invalid("setting both .block_size and .image_uuid on a volume is invalid");
            }
        }
        if (disk.contains("compression") && !detail::valid_compression(disk["compression"])) {
            return invalid("invalid compression setting for disk, must be one of: "
                + detail::compression_list(", "));
        }
        if (!disk.contains("model") || disk["model"] == "undefined") {
            return invalid("missing .model option for disk: " + stringify(disk));
        }
        TRY(check_disk_model(disk, brand));
    }
    for (auto const& disk : array_member(payload, "update_disks")) {
        if (disk.value("refreservation", Json()) == "auto") {
            return invalid("cannot change refreservation to auto on existing disk");
        }
        if (disk.contains("compression") && !detail::valid_compression(disk["compression"])) {
            return invalid("invalid compression type for disk, must be one of: "
                + detail::compression_list(", "));
        }
        if (disk.contains("block_size")) {
            return invalid("cannot change .block_size for a disk after creation");
        }
        if (disk.contains("model")) {
            TRY(check_disk_model(disk, brand));
        }
    }
    return {};
}

Result<void> check_disk_uuids(Json const& payload, Json const& vm, Brand brand)
{
    if (brand != Brand::Bhyve) {
        return {};
    }
    std::vector<std::string> uuids;
    for (auto const& disk : array_member(vm, "disks")) {
        if (auto uuid = string_member(disk, "uuid")) {
            uuids.push_back(*uuid);
        }
    }
    for (auto const& disk : array_member(payload, "add_disks")) {
        if (!has(disk, "uuid")) {
            continue;
        }
        std::string const uuid = js_string(disk["uuid"]);
        if (contains(uuids, uuid)) {
            return invalid("duplicate disk uuid " + uuid);
        }
        uuids.push_back(uuid);
    }
    return {};
}

// VM.js validateIPlist, for allowed_ips.
Result<void> check_allowed_ips(std::vector<std::string> const& list)
{
    std::vector<std::string> bad;
    for (auto const& ip : list) {
        if (detail::is_ipv4(ip) || detail::is_ipv6(ip)) {
            continue;
        }
        auto const parts = split(ip, '/');
        if (parts.size() != 2) {
            bad.push_back(ip);
            continue;
        }
        auto const bits = parse_integer(parts[1]);
        if (detail::is_ipv4(parts[0])) {
            if (!bits || *bits > 32 || *bits < 1) {
                bad.push_back(ip);
            }
        } else if (detail::is_ipv6(parts[0])) {
            if (!bits || *bits > 128 || *bits < 1) {
                bad.push_back(ip);
            }
        } else {
            bad.push_back(ip);
        }
    }
    if (!bad.empty()) {
        return invalid("invalid allowed_ips: " + join(bad, ", "));
    }
    if (list.size() > 13) {
        return invalid("Maximum of 13 allowed_ips per nic");
    }
    return {};
}

// A static address taken by a NIC of this payload, with the network it lives on.
struct ClaimedIp {
    std::string ip;
    Json nic_tag;
    long long vlan_id;
};

long long vlan_of(Json const& nic)
{
    Json const* vlan = member(nic, "vlan_id");
    return vlan == nullptr ? 0 : json_integer(*vlan).value_or(0);
}

// The NIC set after the update (VM.js nics_result / nics_result_ordered) and what it claims.
struct NicState {
    std::vector<Json> nics; // in VM order, then added NICs in payload order
    std::vector<std::string> current_ips;
    std::vector<std::string> current_macs;
    std::vector<long long> current_vrids;
    std::vector<ClaimedIp> ips; // claimed by the payload
    std::vector<std::string> macs;
    std::vector<long long> vrids;
    std::vector<Json const*> changed;
    int primary_count = 0;

    Json* find(std::string const& key)
    {
        for (auto& nic : nics) {
            if (nic_key(nic) == key) {
                return &nic;
            }
        }
        return nullptr;
    }
};

NicState current_nics(Json const& payload, Json const& vm)
{
    NicState state;
    std::map<std::string, Json const*> updates;
    for (auto const& update : array_member(payload, "update_nics")) {
        if (auto key = nic_key(update)) {
            updates[*key] = &update;
        }
    }
    for (auto const& nic : array_member(vm, "nics")) {
        if (!nic.is_object()) {
            continue;
        }
        Json const* update = nullptr;
        if (auto key = nic_key(nic)) {
            if (state.find(*key) == nullptr) {
                state.nics.push_back(nic);
            }
            auto const found = updates.find(*key);
            update = found == updates.end() ? nullptr : found->second;
        }
        if ((update == nullptr || !update->contains("ips")) && nic.contains("ips")) {
            for (auto const& ip : entries(nic["ips"])) {
                if (!detail::is_autoconfig(ip)) {
                    state.current_ips.push_back(ip);
                }
            }
        }
        if (nic.contains("mac")) {
            state.current_macs.push_back(nic_mac(nic));
        }
        // A NIC changing its own VRID does not collide with its old one.
        if (nic.contains("vrrp_vrid") && !(update != nullptr && update->contains("vrrp_vrid"))) {
            if (auto vrid = json_integer(nic["vrrp_vrid"])) {
                state.current_vrids.push_back(*vrid);
            }
        }
    }
    return state;
}

Result<void> check_payload_nic(Json const& nic, bool adding, Brand brand, NicState& state)
{
    if (nic.contains("vrrp_vrid")) {
        if (auto vrid = json_integer(nic["vrrp_vrid"])) {
            if (contains(state.current_vrids, *vrid) || contains(state.vrids, *vrid)) {
                return invalid(
                    "Cannot add multiple NICs with the same VRID: " + std::to_string(*vrid));
            }
            state.vrids.push_back(*vrid);
        }
    }
    // On update the MAC is the key, so it always matches an existing one.
    if (adding && nic.contains("mac")) {
        std::string const mac = nic_mac(nic);
        if (contains(state.macs, mac) || contains(state.current_macs, mac)) {
            return invalid("Cannot add multiple NICs with the same MAC: " + mac);
        }
        state.macs.push_back(mac);
    }
    if (nic.contains("primary")) {
        if (nic["primary"] != true) {
            return invalid("invalid value for NIC's primary flag: " + js_string(nic["primary"])
                + " (must be true)");
        }
        ++state.primary_count;
    }
    state.changed.push_back(&nic);
    if (nic.contains("gateways")) {
        for (auto const& gateway : entries(nic["gateways"])) {
            if (!detail::is_ipv4(gateway)) {
                return invalid("Static gateways must be IPv4 addresses: " + gateway);
            }
        }
    }
    if (nic.contains("ips")) {
        Json const& ips = nic["ips"];
        size_t const count = ips.is_array() ? ips.size() : entries(ips).size();
        if (count > 20) {
            return invalid(
                "nic.*.ips contains " + std::to_string(count) + " addresses, but is limited to 20");
        }
        // The network an update claims its addresses on is the NIC's after the update.
        Json effective = Json::object();
        if (auto key = nic_key(nic); key && !adding) {
            if (Json const* existing = state.find(*key)) {
                effective = *existing;
            }
        }
        for (auto const& [key, value] : nic.items()) {
            effective[key] = value;
        }
        for (auto const& element : ips.is_array() ? ips : Json(entries(ips))) {
            if (element.is_string()
                && detail::is_autoconfig(element.get_ref<std::string const&>())) {
                continue;
            }
            if (!element.is_string()
                || !detail::is_cidr_input(element.get_ref<std::string const&>())) {
                return invalid("Invalid IP for NIC: " + stringify(nic));
            }
            std::string const ip = element.get<std::string>();
            bool const taken = std::any_of(state.ips.begin(), state.ips.end(),
                [&](ClaimedIp const& claimed) { return claimed.ip == ip; });
            if (taken || contains(state.current_ips, ip)) {
                return invalid("Cannot add multiple NICs with the same IP: " + ip);
            }
            state.ips.push_back(
                ClaimedIp { ip, effective.value("nic_tag", Json()), vlan_of(effective) });
        }
    }
    if (adding && nic.contains("vrrp_vrid")) {
        auto const vrid = json_integer(nic["vrrp_vrid"]);
        if (!vrid || nic_mac(nic) != detail::vrrp_mac(*vrid)) {
            return invalid("Cannot set both mac and vrrp_vrid");
        }
    }
    if (features(brand).model_required && adding && is_blank_model(nic)) {
        return invalid("missing .model option for NIC: " + stringify(nic));
    }
    if (adding) {
        Json const* tag = member(nic, "nic_tag");
        if (tag == nullptr || !tag->is_string()
            || !matches(tag->get_ref<std::string const&>(), true)) {
            return invalid("invalid or missing .nic_tag option for NIC: " + stringify(nic));
        }
    } else {
        if (nic.contains("model") && is_blank_model(nic)) {
            return invalid("invalid .model option for NIC: " + stringify(nic));
        }
        if (nic.contains("nic_tag")
            && !(nic["nic_tag"].is_string()
                && matches(nic["nic_tag"].get_ref<std::string const&>(), false))) {
            return invalid("invalid .nic_tag option for NIC: " + stringify(nic));
        }
    }
    if (auto key = nic_key(nic)) {
        if (Json* existing = state.find(*key)) {
            for (auto const& [field, value] : nic.items()) {
                (*existing)[field] = value;
            }
        } else {
            state.nics.push_back(nic);
        }
    }
    if (nic.contains("allowed_ips")) {
        TRY(check_allowed_ips(entries(nic["allowed_ips"])));
    }
    if (nic.contains("allowed_dhcp_cids")) {
        auto const cids = entries(nic["allowed_dhcp_cids"]);
        if (cids.size() > 20) {
            return invalid("nics.*.allowed_dhcp_cids contains " + std::to_string(cids.size())
                + " Client Identifiers, but is limited to 20");
        }
        if (join(cids, ",").size() >= 1024) {
            return invalid("nics.*.allowed_dhcp_cids contains too many long Client Identifiers");
        }
    }
    return {};
}

void remove_nics(Json const& payload, NicState& state)
{
    Json const* removals = member(payload, "remove_nics");
    if (removals == nullptr) {
        return;
    }
    for (auto const& mac : entries(*removals)) {
        std::string const key = detail::canonical_mac(mac);
        auto const found = std::find_if(state.nics.begin(), state.nics.end(),
            [&](Json const& nic) { return nic_key(nic) == key; });
        if (found == state.nics.end()) {
            continue; // VM.js warns and skips an unknown MAC.
        }
        if (found->contains("ips")) {
            for (auto const& ip : entries((*found)["ips"])) {
                if (detail::is_autoconfig(ip)) {
                    continue;
                }
                auto const claimed = std::find_if(state.ips.begin(), state.ips.end(),
                    [&](ClaimedIp const& entry) { return entry.ip == ip; });
                if (claimed != state.ips.end()) {
                    state.ips.erase(claimed);
                }
                auto const current
                    = std::find(state.current_ips.begin(), state.current_ips.end(), ip);
                if (current != state.current_ips.end()) {
                    state.current_ips.erase(current);
                }
            }
        }
        state.nics.erase(found);
    }
}

// The VRRP rules and the 32-address limit, on the NICs as they will be.
Result<void> check_final_nics(NicState const& state)
{
    std::vector<std::string> primary_ips;
    for (auto const& nic : state.nics) {
        if (nic.contains("vrrp_primary_ip")) {
            primary_ips.push_back(js_string(nic["vrrp_primary_ip"]));
        }
    }
    bool only_vrrp = true;
    for (auto const& nic : state.nics) {
        std::vector<std::string> const ips
            = nic.contains("ips") ? entries(nic["ips"]) : std::vector<std::string> {};
        if (nic.contains("vrrp_vrid")) {
            for (auto const& ip : ips) {
                if (contains(primary_ips, detail::split_cidr(ip).ip)) {
                    return invalid("Cannot set vrrp_primary_ip to the IP of a VRRP nic");
                }
            }
            if (!nic.contains("vrrp_primary_ip")) {
                return invalid("vrrp_vrid set but not vrrp_primary_ip");
            }
        } else {
            only_vrrp = false;
        }
        size_t const allowed = nic.contains("allowed_ips") ? entries(nic["allowed_ips"]).size() : 0;
        if (allowed + (nic.contains("vrrp_primary_ip") ? 1U : 0U) + ips.size() > 32) {
            return invalid("More than 32 IPs cannot be associated with a NIC");
        }
    }
    if (only_vrrp && !state.nics.empty()) {
        return invalid("VM cannot contain only VRRP nics");
    }
    for (auto const& primary : primary_ips) {
        bool found = false;
        for (auto const& ip : state.current_ips) {
            found = found || detail::split_cidr(ip).ip == primary;
        }
        for (auto const& claimed : state.ips) {
            found = found || detail::split_cidr(claimed.ip).ip == primary;
        }
        if (!found) {
            return invalid("vrrp_primary_ip must belong to the same VM");
        }
    }
    if (state.primary_count > 1) {
        return invalid("payload specifies more than 1 primary NIC");
    }
    return {};
}

// A route gateway naming a NIC (nics[N] or macs[<mac>]) must name one with a static address.
struct LocalRoute {
    bool is_nic = false;
    bool valid = false;
};

LocalRoute local_route(std::string const& gateway, std::vector<Json> const& nics)
{
    LocalRoute result;
    std::optional<size_t> index;
    if (gateway.starts_with("macs[") && gateway.ends_with("]") && gateway.size() > 6) {
        auto const mac = detail::parse_mac(gateway.substr(5, gateway.size() - 6));
        if (!mac) {
            return result;
        }
        for (size_t i = 0; i < nics.size(); ++i) {
            if (nic_mac(nics[i]) == *mac) {
                index = i;
                break;
            }
        }
    } else if (gateway.starts_with("nics[") && gateway.ends_with("]") && gateway.size() > 6) {
        std::string_view const digits = std::string_view(gateway).substr(5, gateway.size() - 6);
        if (!std::all_of(
                digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return result;
        }
        auto const number = parse_integer(digits);
        if (number && *number >= 0) {
            index = static_cast<size_t>(*number);
        }
    } else {
        return result;
    }
    result.is_nic = true;
    if (!index || *index >= nics.size() || !nics[*index].contains("ips")) {
        return result;
    }
    for (auto const& ip : entries(nics[*index]["ips"])) {
        if (!detail::is_autoconfig(ip)) {
            result.valid = true;
        }
    }
    return result;
}

std::string non_existent_nic(std::string const& gateway)
{
    return "Route gateway: \"" + gateway + "\" refers to non-existent or DHCP nic";
}

Result<void> check_routes(Json const& payload, Json const& vm, std::vector<Json> const& nics)
{
    std::map<std::string, std::string> routes;
    if (Json const* existing = member(vm, "routes"); existing != nullptr && existing->is_object()) {
        for (auto const& [destination, gateway] : existing->items()) {
            routes[destination] = js_string(gateway);
        }
    }
    for (char const* field : { "routes", "set_routes" }) {
        Json const* given = member(payload, field);
        if (given == nullptr || !given->is_object()) {
            continue;
        }
        for (auto const& [destination, value] : given->items()) {
            if (!detail::is_ipv4(destination) && !detail::is_cidr_v4(destination)) {
                return invalid("Invalid route destination: \"" + destination
                    + "\" (must be IP address or CIDR)");
            }
            std::string const gateway = js_string(value);
            if (!detail::is_ipv4(gateway)) {
                auto const local = local_route(gateway, nics);
                if (!local.valid) {
                    return invalid(local.is_nic ? non_existent_nic(gateway)
                                                : "Invalid route gateway: \"" + gateway
                                + "\" (must be IP address, MAC address, or nic)");
                }
            }
            routes[destination] = gateway;
        }
    }
    if (Json const* removals = member(payload, "remove_routes")) {
        for (auto const& destination : entries(*removals)) {
            routes.erase(destination);
        }
    }
    // After the changes every route through a NIC must still have its NIC.
    for (auto const& [destination, gateway] : routes) {
        if (!detail::is_ipv4(gateway) && !local_route(gateway, nics).valid) {
            return invalid(non_existent_nic(gateway));
        }
    }
    return {};
}

Result<void> check_zfs_properties(Json const& payload)
{
    for (char const* key : { "zfs_root_recsize", "zfs_data_recsize" }) {
        Json const* value = member(payload, key);
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

// VM.js lookupConflicts: MACs, static IPs (same nic_tag and vlan_id), VRIDs and the VNC port
// must not be in use by another VM; failed VMs that are not running do not count.
Result<void> check_conflicts(
    NicState const& state, std::optional<double> vnc_port, Json const& vm, HostFacts const& host)
{
    if (state.macs.empty() && state.ips.empty() && state.vrids.empty() && !vnc_port) {
        return {};
    }
    Json const* own_uuid = member(vm, "uuid");
    for (auto const& other : host.other_vms) {
        if (!other.is_object()) {
            continue;
        }
        if (own_uuid != nullptr && other.value("uuid", Json()) == *own_uuid) {
            continue;
        }
        if (other.value("state", Json()) == "failed"
            && other.value("zone_state", Json()) != "running") {
            continue;
        }
        bool conflict = false;
        for (auto const& nic : array_member(other, "nics")) {
            if (!nic.is_object()) {
                continue;
            }
            for (auto const& claimed : state.ips) {
                if (nic.value("nic_tag", Json()) == claimed.nic_tag
                    && vlan_of(nic) == claimed.vlan_id && nic.contains("ips")
                    && contains(entries(nic["ips"]), claimed.ip)) {
                    conflict = true;
                }
            }
            if (nic.contains("mac") && contains(state.macs, nic_mac(nic))) {
                conflict = true;
            }
            if (nic.contains("vrrp_vrid")) {
                auto const vrid = json_integer(nic["vrrp_vrid"]);
                conflict = conflict || (vrid && contains(state.vrids, *vrid));
            }
        }
        if (vnc_port && has(other, "vnc_port")) {
            auto const port = json_number(other["vnc_port"]);
            conflict = conflict || (port && *port == *vnc_port);
        }
        if (conflict) {
            return invalid("Conflict detected with another vm, please check the MAC, IP, and VRID");
        }
    }
    return {};
}

bool nic_tag_exists(std::string const& tag, HostFacts const& host)
{
    if (contains(host.nic_tags, tag)) {
        return true;
    }
    // An overlay NIC's tag is "<overlay rule>/<vnet id>"; nictagadm checks the rule.
    size_t const slash = tag.find('/');
    return slash != std::string::npos && contains(host.nic_tags, tag.substr(0, slash));
}

// VM.js validateNicTags: lookupInvalidNicTags, then lookupInvalidNicTagMTUs. Every host tag is
// taken to be a "normal" tag (HostFacts carries no tag types).
Result<void> check_nic_tags(std::vector<Json const*> const& nics, HostFacts const& host)
{
    std::vector<std::string> bad;
    for (auto const* nic : nics) {
        if (nic->contains("nic_tag")) {
            std::string const tag = js_string((*nic)["nic_tag"]);
            if (!nic_tag_exists(tag, host) && !contains(bad, tag)) {
                bad.push_back(tag);
            }
        }
    }
    if (!bad.empty()) {
        std::vector<std::string> lines;
        for (auto const& tag : bad) {
            lines.push_back("Invalid nic tag \"" + tag + "\"");
        }
        return invalid(join(lines, "\n"));
    }
    struct Lowest {
        double mtu;
        size_t index;
        std::string mac;
    };
    std::map<std::string, Lowest> lowest;
    for (size_t i = 0; i < nics.size(); ++i) {
        Json const& nic = *nics[i];
        if (!nic.contains("nic_tag") || !nic.contains("mtu")) {
            continue;
        }
        auto const mtu = json_number(nic["mtu"]);
        if (!mtu) {
            continue;
        }
        std::string const tag = js_string(nic["nic_tag"]);
        auto const found = lowest.find(tag);
        if (found == lowest.end() || *mtu < found->second.mtu) {
            lowest[tag] = Lowest { *mtu, i, has(nic, "mac") ? js_string(nic["mac"]) : "undefined" };
        }
    }
    std::vector<std::string> lines;
    for (auto const& tag : host.nic_tags) {
        auto const found = lowest.find(tag);
        if (found != lowest.end() && found->second.mtu < 1500) {
            lines.push_back("nic " + std::to_string(found->second.index) + " (" + found->second.mac
                + "): MTU is below the supported MTU (1500) of nic tag \"" + tag + "\"");
        }
    }
    if (!lines.empty()) {
        return invalid(join(lines, "\n"));
    }
    return {};
}

// resizeDisks: a disk given a smaller size is refused unless dangerous_allow_shrink is set.
Result<void> check_disk_resizes(Json const& payload, Json const& vm)
{
    for (auto const& update : array_member(payload, "update_disks")) {
        if (!has(update, "size") || !has(update, "path")) {
            continue;
        }
        bool const allow_shrink
            = has(update, "dangerous_allow_shrink") && js_truthy(update["dangerous_allow_shrink"]);
        for (auto const& disk : array_member(vm, "disks")) {
            if (!has(disk, "path") || disk["path"] != update["path"] || !has(disk, "size")) {
                continue;
            }
            auto const old_size = json_number(disk["size"]);
            auto const new_size = json_number(update["size"]);
            if (old_size && new_size && *old_size > *new_size && !allow_shrink) {
                return invalid("cannot resize disk: new size must be greater than current size. ("
                    + js_string(disk["size"]) + " > " + js_string(update["size"]) + ")");
            }
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
        bool const adding = std::string_view(field) == "add_nics";
        for (auto const& nic : array_member(payload, field)) {
            TRY(check_payload_nic(nic, adding, brand, state));
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
