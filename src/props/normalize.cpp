// SPDX-License-Identifier: MPL-2.0
#include "props/normalize.hpp"

#include "base/strings.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "props/apply_arrays.hpp"
#include "props/datasets.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/json_access.hpp"
#include "props/disks.hpp"
#include "props/memory.hpp"
#include "props/nics.hpp"
#include "props/payload_checks.hpp"
#include "props/property_table.hpp"
#include "props/state.hpp"
#include "props/validate.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace lumos::props {

namespace {

constexpr char const* NIL_UUID = "00000000-0000-0000-0000-000000000000";
constexpr int DEFAULT_RECSIZE = 131072;

// The object arrays, in the order their errors are reported.
constexpr std::string_view COMPOUND[] = { "disks", "nics", "filesystems", "pci_devices" };

Error invalid(std::string message)
{
    return Error(ErrorCode::InvalidArgument, std::move(message));
}

Json number_json(double value)
{
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9.0e18) {
        return static_cast<long long>(value);
    }
    return value;
}

// First pass of normalizePayload: integers through Number(), lists split on commas.
Result<void> coerce(Json& payload)
{
    std::vector<std::string> undefined;
    for (auto const& [name, value] : payload.items()) {
        Property const* property = find_property(name);
        if (property == nullptr) {
            continue;
        }
        if (property->type == PropType::Integer) {
            if (value.is_null()
                || (value.is_string() && value.get_ref<std::string const&>().empty())) {
                undefined.push_back(name);
                continue;
            }
            if (value.is_boolean()) {
                // Number(true) would be 1; VM.validate refuses a boolean integer, and vmadm
                // validate and create must agree, so it stays for validation to refuse.
                continue;
            }
            double const number = detail::js_to_number(value);
            if (std::isnan(number)) {
                return tl::unexpected(invalid("Invalid value for " + name + ": null:number"));
            }
            value = std::isfinite(number) ? number_json(number) : Json(js_string(value));
        } else if (property->type == PropType::List && value.is_string()) {
            Json list = Json::array();
            for (auto& part : split(value.get_ref<std::string const&>(), ',')) {
                if (!part.empty()) {
                    list.push_back(std::move(part));
                }
            }
            value = std::move(list);
        } else if (name == "resolvers" && value.is_array()) {
            // Lenient where SmartOS of 2013 was: "resolvers": [""] (the seed article's Listing 1)
            // means none. Empty entries go, as they do from a comma-separated list.
            Json list = Json::array();
            for (auto& element : value) {
                if (!(element.is_string() && element.get_ref<std::string const&>().empty())) {
                    list.push_back(std::move(element));
                }
            }
            value = std::move(list);
        }
    }
    // "undefined" stays in the payload as null: on update it means "remove the setting".
    for (auto const& name : undefined) {
        payload[name] = name == "quota" ? Json(0) : Json(nullptr);
    }
    return {};
}

// Integers above their maximum (the size bounds), and booleans, are refused before the memory
// fix-ups, which would otherwise lower an oversized tmpfs or max_locked_memory to
// max_physical_memory, or copy a boolean into derived keys, and let create accept (or report
// differently) what validate refuses.
Result<void> check_maximums(Json const& payload)
{
    std::vector<std::string> bad;
    for (auto const& [name, value] : payload.items()) {
        Property const* property = find_property(name);
        if (property == nullptr || property->type != PropType::Integer) {
            continue;
        }
        if (value.is_boolean()) {
            bad.push_back(name);
            continue;
        }
        if (auto const max = property->maximum();
            max && value.is_number() && detail::js_to_number(value) > static_cast<double>(*max)) {
            bad.push_back(name);
        }
    }
    if (!bad.empty()) {
        return tl::unexpected(invalid("Invalid value(s) for: " + join(bad, ",")));
    }
    return {};
}

void apply_zone_defaults(Json& payload, Brand brand)
{
    auto set_default = [&](char const* key, Json value) {
        if (!payload.contains(key)) {
            payload[key] = std::move(value);
        }
    };
    set_default("owner_uuid", NIL_UUID);
    set_default("autoboot", true);
    set_default("zpool", "zones");
    set_default("dns_domain", "local");
    if (!payload.contains("cpu_shares")) {
        payload["cpu_shares"] = 100;
    } else if (detail::js_to_number(payload["cpu_shares"]) > 65535) {
        payload["cpu_shares"] = 65535;
    }
    set_default("zfs_io_priority", 100);
    set_default("max_lwps", 2000);
    set_default("ram", 256);
    fix_payload_memory(payload, Json::object(), brand);
    auto const& brand_features = features(brand);
    if (find_property("vcpus")->allows(brand, ACTION_CREATE)) {
        set_default("vcpus", 1);
    }
    if (brand_features.use_tmpfs
        && (!payload.contains("tmpfs")
            || detail::js_to_number(payload["tmpfs"])
                > detail::js_to_number(payload["max_physical_memory"]))) {
        payload["tmpfs"] = payload["max_physical_memory"];
    }
    if (!payload.contains("limit_priv")) {
        payload["limit_priv"] = split(brand_features.default_limit_priv, ',');
    }
    set_default("quota", brand_features.default_quota);
    set_default("billing_id", NIL_UUID);
    for (char const* key : { "add_disks", "disks" }) {
        if (!payload.contains(key) || !payload[key].is_array()) {
            continue;
        }
        for (auto& disk : payload[key]) {
            if (!disk.is_object()) {
                continue;
            }
            if (!disk.contains("model") && payload.contains("disk_driver")) {
                disk["model"] = payload["disk_driver"];
            }
            if (!disk.contains("media")) {
                disk["media"] = "disk";
            }
        }
        break;
    }
    for (char const* key : { "add_nics", "nics" }) {
        if (!payload.contains(key) || !payload[key].is_array()) {
            continue;
        }
        for (auto& nic : payload[key]) {
            if (nic.is_object() && !nic.contains("model") && payload.contains("nic_driver")) {
                nic["model"] = payload["nic_driver"];
            }
        }
        break;
    }
}

std::string new_docker_id(std::string const& uuid)
{
    std::string id = uuid + generate_uuid();
    id.erase(std::remove(id.begin(), id.end(), '-'), id.end());
    return id;
}

bool list_has(Json const& list, std::string_view value)
{
    if (!list.is_array()) {
        return false;
    }
    return std::any_of(list.begin(), list.end(), [&](Json const& e) { return e == value; });
}

void docker_adjustments(
    Json& payload, Json const& vm, Brand brand, std::string const& uuid, bool is_update)
{
    if (!payload.contains("docker") || !js_truthy(payload["docker"])) {
        return;
    }
    if (!list_has(detail::member_or_null(vm, "internal_metadata_namespaces"), "docker")) {
        if (!payload.contains("internal_metadata_namespaces")
            || !payload["internal_metadata_namespaces"].is_array()) {
            payload["internal_metadata_namespaces"] = Json::array({ "docker" });
        } else if (!list_has(payload["internal_metadata_namespaces"], "docker")) {
            payload["internal_metadata_namespaces"].push_back("docker");
        }
    }
    if (detail::member_or_null(vm, "restart_init") != false
        && detail::member_or_null(payload, "restart_init") != false) {
        payload["restart_init"] = false;
    }
    bool const vm_has_init = vm.contains("init_name") && js_truthy(vm["init_name"]);
    if (!vm_has_init && !(payload.contains("init_name") && js_truthy(payload["init_name"]))) {
        if (brand == Brand::Lx) {
            payload["init_name"] = "/native/usr/vm/sbin/dockerinit";
        } else if (brand == Brand::JoyentMinimal) {
            payload["init_name"] = "/usr/vm/sbin/dockerinit";
        }
    }
    char const* key = is_update ? "set_internal_metadata" : "internal_metadata";
    bool const vm_has_id = vm.contains("internal_metadata") && vm["internal_metadata"].is_object()
        && vm["internal_metadata"].contains("docker:id");
    if (!vm_has_id) {
        if (!payload.contains(key) || !payload[key].is_object()) {
            payload[key] = Json { { "docker:id", new_docker_id(uuid) } };
        } else if (!payload[key].contains("docker:id")) {
            payload[key]["docker:id"] = new_docker_id(uuid);
        }
    }
}

// Validation, then SmartOS's reaction: bad values and missing properties fail the command;
// properties not allowed for the action are dropped (with their sub-keys) and the rest goes on.
Result<void> validate_payload(Json& payload, Brand brand, uint8_t action, HostFacts const& host)
{
    auto const errors = validate_and_fill(brand_name(brand), action, payload, host);
    if (errors.bad_brand) {
        return tl::unexpected(invalid(
            "Invalid brand while validating payload: " + dump_compact(Json(*errors.bad_brand))));
    }
    if (!errors.bad_values.empty()) {
        return tl::unexpected(invalid("Invalid value(s) for: " + join(errors.bad_values, ",")));
    }
    if (!errors.missing_properties.empty()) {
        return tl::unexpected(
            invalid("Missing required properties: " + join(errors.missing_properties, ",")));
    }
    for (auto const& bad : errors.bad_properties) {
        for (auto const compound : COMPOUND) {
            std::string const prefix = std::string(compound) + ".*.";
            if (!bad.starts_with(prefix)) {
                continue;
            }
            std::string const sub_key = bad.substr(prefix.size());
            for (auto const& array_key : { std::string(compound), "add_" + std::string(compound),
                     "update_" + std::string(compound) }) {
                if (payload.contains(array_key) && payload[array_key].is_array()) {
                    for (auto& element : payload[array_key]) {
                        if (element.is_object()) {
                            element.erase(sub_key);
                        }
                    }
                }
            }
        }
        payload.erase(bad);
    }
    return {};
}

void loose_booleans(Json& payload)
{
    for (auto const& [name, value] : payload.items()) {
        Property const* property = find_property(name);
        if (property != nullptr && property->type == PropType::Boolean) {
            // fixBooleanLoose: "true"/"1"/1/true are true, anything else false.
            value = to_boolean(value).value_or(false);
        }
    }
}

void default_data_properties(Json& payload, Json const& vm)
{
    if (payload.contains("zfs_root_compression") && !payload.contains("zfs_data_compression")) {
        payload["zfs_data_compression"]
            = detail::member_or(vm, "zfs_data_compression", Json("off"));
    }
    if (payload.contains("zfs_root_recsize") && !payload.contains("zfs_data_recsize")) {
        payload["zfs_data_recsize"]
            = detail::member_or(vm, "zfs_data_recsize", Json(DEFAULT_RECSIZE));
    }
}

// Stores one top-level property into the VM object with SmartOS's unset and default rules.
void store_property(Json& vm, std::string const& name, Json const& value, Brand brand)
{
    Property const* property = find_property(name);
    if (property == nullptr || property->storage == Storage::Never) {
        return;
    }
    switch (property->type) {
    case PropType::Boolean: {
        bool const flag = to_boolean(value).value_or(false);
        if (property->storage == Storage::WhenTrue) {
            if (flag) {
                vm[name] = true;
            } else {
                vm.erase(name);
            }
        } else if (property->storage == Storage::WhenFalse) {
            if (flag) {
                vm.erase(name);
            } else {
                vm[name] = false;
            }
        } else {
            vm[name] = flag;
        }
        break;
    }
    case PropType::Integer: {
        if (name == "ram" && !is_hvm(brand)) {
            return; // for OS VMs ram only feeds max_physical_memory
        }
        if (value.is_null()) {
            vm.erase(name);
            return;
        }
        double const number = detail::js_to_number(value);
        if ((name == "zfs_root_recsize" || name == "zfs_data_recsize") && number == 0) {
            vm[name] = DEFAULT_RECSIZE;
            return;
        }
        if (number == 0 && property->storage == Storage::RemovedAtZero) {
            vm.erase(name);
            return;
        }
        vm[name] = number_json(number);
        break;
    }
    case PropType::String:
    case PropType::Uuid:
    case PropType::Zpool:
        // vmload shows zfs_{root,data}_compression only when the dataset's compression is not
        // off (test-blocksizes.js), so off is not kept.
        if (value.is_null() || (value.is_string() && is_blank(value.get_ref<std::string const&>()))
            || ((name == "zfs_root_compression" || name == "zfs_data_compression")
                && value == "off")) {
            vm.erase(name);
        } else {
            vm[name] = value.is_string() ? value : Json(js_string(value));
        }
        break;
    case PropType::List: {
        Json list = Json::array();
        if (value.is_array()) {
            for (auto const& element : value) {
                list.push_back(js_string(element));
            }
        }
        if (name == "limit_priv" || name == "fs_allowed") {
            if (list.empty()) {
                vm.erase(name);
            } else {
                vm[name] = js_string(list);
            }
        } else {
            vm[name] = std::move(list);
        }
        break;
    }
    case PropType::FlatObject:
        if (property->has_flag(FLAG_MAP)) {
            vm[name] = value.is_object() ? value : Json::object();
        }
        break;
    case PropType::ObjectArray:
    case PropType::ReadOnly:
        break;
    }
}

std::vector<std::string> key_list(Json const& value)
{
    std::vector<std::string> keys;
    if (value.is_array()) {
        for (auto const& element : value) {
            keys.push_back(js_string(element));
        }
    } else if (value.is_string()) {
        for (auto& part : split(value.get_ref<std::string const&>(), ',')) {
            if (!part.empty()) {
                keys.push_back(std::move(part));
            }
        }
    }
    return keys;
}

void apply_map_changes(Json& vm, Json const& payload)
{
    for (auto const map : map_properties()) {
        std::string const name(map);
        std::string const remove_key = "remove_" + name;
        std::string const set_key = "set_" + name;
        if (!payload.contains(remove_key) && !payload.contains(set_key)) {
            continue;
        }
        if (!vm.contains(name) || !vm[name].is_object()) {
            vm[name] = Json::object();
        }
        if (payload.contains(remove_key)) {
            for (auto const& key : key_list(payload[remove_key])) {
                vm[name].erase(key);
            }
        }
        if (payload.contains(set_key) && payload[set_key].is_object()) {
            for (auto const& [key, value] : payload[set_key].items()) {
                vm[name][key] = value;
            }
        }
    }
}

Result<Brand> brand_of(Json const& object)
{
    if (!object.contains("brand")) {
        return tl::unexpected(invalid("Unable to determine brand for payload"));
    }
    auto const& value = object["brand"];
    auto const brand = value.is_string() ? parse_brand(value.get<std::string>()) : std::nullopt;
    if (!brand) {
        return tl::unexpected(invalid("Unsupported brand: " + js_string(value)));
    }
    return *brand;
}

bool is_array_change(std::string const& name)
{
    for (auto const compound : COMPOUND) {
        for (char const* prefix : { "add_", "update_", "remove_" }) {
            if (name == prefix + std::string(compound)) {
                return true;
            }
        }
    }
    return false;
}

bool is_map_change(std::string const& name)
{
    return name.starts_with("set_") || (name.starts_with("remove_") && !is_array_change(name));
}

Result<void> check_disk_state(Json const& payload, Json const& vm)
{
    std::string const state = string_or(vm, "state");
    std::string const zone_state = string_or(vm, "zone_state");
    bool const stopped
        = state == "stopped" || (state == "provisioning" && zone_state == "installed");
    if (stopped) {
        return {};
    }
    if (payload.contains("add_disks") || payload.contains("remove_disks")) {
        return tl::unexpected(
            invalid("updates to disks are only allowed when state is \"stopped\", "
                    "currently: "
                + state + " (" + zone_state + ")"));
    }
    if (payload.contains("update_disks") && payload["update_disks"].is_array()) {
        for (auto const& disk : payload["update_disks"]) {
            if (!disk.is_object()) {
                continue;
            }
            for (auto const& [key, value] : disk.items()) {
                if (key != "path" && key != "compression" && key != "refreservation") {
                    return tl::unexpected(invalid(
                        "at least one specified update to disks is only allowed when state is "
                        "\"stopped\", currently: "
                        + state + " (" + zone_state + ")"));
                }
            }
        }
    }
    return {};
}

Result<void> check_both_forms(Json const& payload)
{
    for (auto const compound : COMPOUND) {
        std::string const name(compound);
        if (payload.contains(name) && payload.contains("add_" + name)) {
            return tl::unexpected(
                invalid("Cannot specify both \"" + name + "\" and \"add_" + name + "\""));
        }
    }
    for (auto const compound : COMPOUND) {
        for (char const* prefix : { "add_", "update_", "remove_" }) {
            std::string const name = prefix + std::string(compound);
            if (payload.contains(name) && !payload[name].is_array()) {
                return tl::unexpected(invalid(name + " must be an array."));
            }
        }
    }
    return {};
}

} // namespace

Result<Json> prepare_create(Json const& input, CreateContext const& context)
{
    if (!input.is_object()) {
        return tl::unexpected(invalid("Invalid JSON payload: payload must be an object"));
    }
    Json payload = input;
    TRY(coerce(payload));
    TRY(check_maximums(payload));
    if (!payload.contains("brand")) {
        payload["brand"] = "joyent";
    }
    TRY_ASSIGN(brand, brand_of(payload));
    apply_zone_defaults(payload, brand);
    if (!payload.contains("uuid")) {
        payload["uuid"] = context.new_uuid;
    }
    std::string const uuid = js_string(payload["uuid"]);

    for (char const* key : { "dataset_uuid", "zone_dataset_uuid" }) {
        if (payload.contains(key) && find_property(key)->allows(brand, ACTION_CREATE)) {
            if (!payload.contains("image_uuid")) {
                payload["image_uuid"] = payload[key];
            }
            payload.erase(key);
            break;
        }
    }
    docker_adjustments(payload, Json::object(), brand, uuid, false);
    TRY(check_both_forms(payload));
    TRY(validate_payload(payload, brand, ACTION_CREATE, context.host));

    if (!payload.contains("zonename") || payload["zonename"].is_null()) {
        payload["zonename"] = payload["uuid"];
    }
    for (auto const compound : COMPOUND) {
        std::string const name(compound);
        if (payload.contains(name)) {
            payload["add_" + name] = std::move(payload[name]);
            payload.erase(name);
        }
    }
    default_data_properties(payload, Json::object());
    Json const empty = Json::object();
    TRY(normalize_nics(payload, empty, brand));
    TRY(normalize_disks(payload, empty, brand));
    loose_booleans(payload);
    if (payload.contains("zfs_storage_pool_name")) {
        if (!input.contains("zpool")) {
            payload["zpool"] = payload["zfs_storage_pool_name"];
        }
        payload.erase("zfs_storage_pool_name");
    }
    if (!payload.contains("image_uuid")) {
        payload.erase("spice_opts");
        payload.erase("spice_password");
        payload.erase("spice_port");
    }
    TRY(check_payload_properties(payload, empty, brand, context.host));

    Json vm = Json::object();
    for (auto const& [name, value] : payload.items()) {
        store_property(vm, name, value, brand);
    }
    for (auto const map : map_properties()) {
        if (!vm.contains(std::string(map))) {
            vm[std::string(map)] = Json::object();
        }
    }
    vm["uuid"] = uuid;
    vm["brand"] = brand_name(brand);
    vm["zpool"] = payload["zpool"];
    vm["zonename"] = js_string(payload["zonename"]);
    vm["create_timestamp"] = iso_timestamp(context.now_ms);
    vm["v"] = 1;
    if (payload.contains("delegate_dataset") && payload["delegate_dataset"] == true) {
        vm["datasets"] = Json::array({ js_string(payload["zpool"]) + "/" + uuid + "/data" });
    }
    if (is_hvm(brand)) {
        vm["disks"] = Json::array();
    }
    vm["nics"] = Json::array();
    TRY(apply_object_arrays(vm, payload, brand));
    TRY(check_dataset_nesting(vm, context.host));
    vm[ATTR_ZONE_STATE] = "installed";
    if (bool_or(vm, "autoboot", true)) {
        vm[ATTR_PROVISIONING] = true;
        vm[ATTR_TRANSITION]
            = make_transition("provisioning", "running", context.now_ms + provision_timeout_ms(vm));
    }
    return vm;
}

Result<Json> prepare_update(Json const& vm, Json const& input, HostFacts const& host)
{
    if (!input.is_object()) {
        return tl::unexpected(invalid("Invalid JSON payload: payload must be an object"));
    }
    TRY_ASSIGN(brand, brand_of(vm));
    Json payload = input;
    TRY(coerce(payload));
    TRY(check_maximums(payload));
    fix_payload_memory(payload, vm, brand);
    docker_adjustments(payload, vm, brand, string_or(vm, "uuid"), true);
    TRY(check_both_forms(payload));
    TRY(validate_payload(payload, brand, ACTION_UPDATE, host));
    default_data_properties(payload, vm);
    TRY(normalize_nics(payload, vm, brand));
    TRY(normalize_disks(payload, vm, brand));
    loose_booleans(payload);
    TRY(check_disk_state(payload, vm));
    TRY(check_payload_properties(payload, vm, brand, host));

    Json updated = vm;
    apply_map_changes(updated, payload);
    for (auto const& [name, value] : payload.items()) {
        if (is_array_change(name) || is_map_change(name)) {
            continue;
        }
        store_property(updated, name, value, brand);
    }
    TRY(apply_object_arrays(updated, payload, brand));
    return updated;
}

Json payload_from_key_values(std::vector<std::string> const& args)
{
    Json payload = Json::object();
    for (auto const& arg : args) {
        size_t const equals = arg.find('=');
        if (equals == std::string::npos) {
            payload[arg] = "";
        } else {
            payload[arg.substr(0, equals)] = arg.substr(equals + 1);
        }
    }
    return payload;
}

} // namespace lumos::props
