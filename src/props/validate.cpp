// SPDX-License-Identifier: MPL-2.0
#include "props/validate.hpp"

#include "base/strings.hpp"
#include "base/uuid.hpp"
#include "props/detail/javascript.hpp"

#include <algorithm>
#include <cmath>

namespace lumos::props {

namespace {

void push_unique(std::vector<std::string>& list, std::string const& name)
{
    if (std::find(list.begin(), list.end(), name) == list.end()) {
        list.push_back(name);
    }
}

bool is_blank_value(Json const& value)
{
    if (value.is_null()) {
        return true;
    }
    return value.is_string() && is_blank(value.get_ref<std::string const&>());
}

// The property name an add_*/update_* array is checked as (proptable check_as).
std::string_view check_as(std::string_view name)
{
    if (name.starts_with("add_")) {
        return name.substr(4);
    }
    if (name.starts_with("update_")) {
        return name.substr(7);
    }
    return name;
}

void validate_integer(
    Property const& property, Json const& value, std::string const& name, ValidationErrors& errors)
{
    if (value.is_null()) {
        return;
    }
    if (value.is_string() && is_blank(value.get_ref<std::string const&>())) {
        return;
    }
    if (value.is_boolean()) {
        errors.bad_values.push_back(name);
        return;
    }
    double const number = detail::js_to_number(value);
    if (!std::isfinite(number) || std::floor(number) != number) {
        errors.bad_values.push_back(name);
        return;
    }
    if (auto const min = property.minimum(); min && number < static_cast<double>(*min)) {
        errors.bad_values.push_back(name);
        return;
    }
    if (auto const max = property.maximum(); max && number > static_cast<double>(*max)) {
        errors.bad_values.push_back(name);
    }
}

void validate_list(
    Property const& property, Json const& value, std::string const& name, ValidationErrors& errors)
{
    Json elements = Json::array();
    if (value.is_string()) {
        for (auto& part : split(value.get_ref<std::string const&>(), ',')) {
            if (!part.empty()) {
                elements.push_back(part);
            }
        }
    } else if (value.is_array()) {
        elements = value;
    } else {
        push_unique(errors.bad_values, name);
        return;
    }
    for (auto const& element : elements) {
        if (!element.is_string() && !element.is_number()) {
            push_unique(errors.bad_values, name);
            break;
        }
        std::string const text = js_string(element);
        if (text.empty() && name == "resolvers") {
            continue; // dropped by create (the seed article's "resolvers": [""]): valid too
        }
        if (!run_validator(property.validator, text)) {
            push_unique(errors.bad_values, name);
            break;
        }
        if (text.find(',') != std::string::npos) {
            push_unique(errors.bad_values, name);
        }
    }
}

} // namespace

std::optional<bool> to_boolean(Json const& value)
{
    if (value.is_boolean()) {
        return value.get<bool>();
    }
    if (value.is_string()) {
        auto const& text = value.get_ref<std::string const&>();
        if (text == "true" || text == "1") {
            return true;
        }
        if (text == "false" || text == "0") {
            return false;
        }
        return std::nullopt;
    }
    if (value.is_number_integer() || value.is_number_unsigned()) {
        auto const number = value.get<long long>();
        if (number == 1) {
            return true;
        }
        if (number == 0) {
            return false;
        }
    }
    return std::nullopt;
}

// validateProperty: one (name, value) pair. Read-only and unknown names are bad properties;
// a property that is not allowed is still type-checked, as SmartOS does.
static void validate_property(Brand brand, std::string const& name, Json const& value,
    uint8_t action, HostFacts const& host, ValidationErrors& errors)
{
    Property const* property = find_property(name);
    if (property == nullptr || !property->allows(brand, action)) {
        push_unique(errors.bad_properties, name);
    }
    if (property == nullptr) {
        return;
    }
    switch (property->type) {
    case PropType::Uuid:
        if (!value.is_string() || !is_uuid(value.get_ref<std::string const&>())) {
            push_unique(errors.bad_values, name);
        }
        break;
    case PropType::Boolean:
        if (!to_boolean(value)) {
            push_unique(errors.bad_values, name);
        }
        break;
    case PropType::String:
        if (is_blank_value(value)) {
            break;
        }
        if (!value.is_string()) {
            push_unique(errors.bad_values, name);
            // SmartOS runs the validator on the value's string form as well.
            if (!run_validator(property->validator, js_string(value))) {
                push_unique(errors.bad_values, name);
            }
            break;
        }
        if (!run_validator(property->validator, value.get_ref<std::string const&>())) {
            push_unique(errors.bad_values, name);
        }
        if (auto const max = property->maximum();
            max && value.get_ref<std::string const&>().size() > static_cast<size_t>(*max)) {
            push_unique(errors.bad_values, name);
        }
        break;
    case PropType::Integer:
        validate_integer(*property, value, name, errors);
        break;
    case PropType::Zpool:
        if (!value.is_string()
            || std::find(
                   host.zpools.begin(), host.zpools.end(), value.get_ref<std::string const&>())
                == host.zpools.end()) {
            push_unique(errors.bad_values, name);
        }
        break;
    case PropType::FlatObject:
        // typeof null === 'object' in JavaScript, and arrays are objects too.
        if (!value.is_object() && !value.is_null() && !value.is_array()) {
            push_unique(errors.bad_values, name);
        }
        if (value.is_object() || value.is_array()) {
            for (auto const& element : value) {
                if (!element.is_string() && !element.is_number() && !element.is_boolean()) {
                    push_unique(errors.bad_values, name);
                    break;
                }
            }
        }
        break;
    case PropType::List:
        validate_list(*property, value, name, errors);
        break;
    case PropType::ObjectArray:
        if (!value.is_array()) {
            push_unique(errors.bad_values, name);
            break;
        }
        for (auto const& element : value) {
            if (!element.is_object() && !element.is_null() && !element.is_array()) {
                push_unique(errors.bad_values, name);
                break;
            }
        }
        break;
    case PropType::ReadOnly:
        push_unique(errors.bad_properties, name);
        break;
    }
}

namespace {

void validate_disk_source(
    Json const& payload, std::string const& prefix, Json const& disk, ValidationErrors& errors)
{
    if (!disk.is_object()) {
        return;
    }
    if (disk.contains("media") && disk["media"] != "disk") {
        return;
    }
    if (disk.contains("image_uuid")) {
        if (!disk.contains("image_size")) {
            errors.missing_properties.push_back(prefix + ".image_size");
        }
        if (disk.contains("size") && !payload.contains("flexible_disk_size")) {
            errors.bad_properties.push_back(prefix + ".size");
        }
        if (disk.contains("block_size")) {
            errors.bad_properties.push_back(prefix + ".block_size");
        }
    } else {
        if (!disk.contains("size")) {
            errors.missing_properties.push_back(prefix + ".size");
        }
        if (disk.contains("image_name")) {
            errors.bad_properties.push_back(prefix + ".image_name");
        }
        if (disk.contains("image_size")) {
            errors.bad_properties.push_back(prefix + ".image_size");
        }
    }
}

bool valid_pci_slot(std::string const& text)
{
    // parsePCIslot: "<bus>:<device>:<function>" or "<device>:<function>" or "<device>", each
    // decimal within the PCI limits.
    auto const parts = split(text, ':');
    if (parts.empty() || parts.size() > 3) {
        return false;
    }
    static constexpr long LIMITS_3[] = { 255, 31, 7 };
    static constexpr long LIMITS_2[] = { 31, 7 };
    static constexpr long LIMITS_1[] = { 31 };
    long const* limits = parts.size() == 3 ? LIMITS_3 : parts.size() == 2 ? LIMITS_2 : LIMITS_1;
    for (size_t i = 0; i < parts.size(); ++i) {
        auto const value = parse_integer(parts[i]);
        if (parts[i].empty() || !value || *value < 0 || *value > limits[i]
            || parts[i].find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
    }
    return true;
}

void validate_pci_device(std::string const& prefix, Json const& device, ValidationErrors& errors)
{
    if (!device.is_object()) {
        return;
    }
    if (!device.contains("path")) {
        errors.missing_properties.push_back(prefix + ".path");
    } else if (!device["path"].is_string()
        || !device["path"].get_ref<std::string const&>().starts_with("/devices")) {
        errors.bad_values.push_back(prefix + ".path");
    }
    if (!device.contains("pci_slot")) {
        errors.missing_properties.push_back(prefix + ".pci_slot");
    } else if (!device["pci_slot"].is_string()
        || !valid_pci_slot(device["pci_slot"].get<std::string>())) {
        errors.bad_values.push_back(prefix + ".pci_slot");
    }
    if (device.contains("model") && device["model"] != "passthru") {
        errors.bad_values.push_back(prefix + ".model");
    }
}

bool image_type_allowed(Json const& manifest, std::vector<std::string_view> const& types)
{
    if (!manifest.is_object() || !manifest.contains("type") || !manifest["type"].is_string()) {
        return false;
    }
    auto const& type = manifest["type"].get_ref<std::string const&>();
    return std::find(types.begin(), types.end(), type) != types.end();
}

std::string pool_of(Json const& object)
{
    if (object.contains("zpool") && object["zpool"].is_string()) {
        return object["zpool"].get<std::string>();
    }
    return "zones";
}

bool has_boot_flag(Json const& disk)
{
    return disk.contains("boot") && js_truthy(disk["boot"]);
}

// validateImage's bootrom rules for the boot disk's image (test-bhyve-uefi.js): the image's
// requirements.bootrom must equal the payload's bootrom and fills it when the payload has none;
// an image with requirements but no bootrom lets the payload choose, bios or uefi only (a path
// cannot exist before the zone does). VM.js also copies requirements.bootrom from a data disk's
// image into a payload without bootrom; only the boot disk decides here.
bool check_bootrom(Json& payload, Json const& manifest)
{
    if (!manifest.contains("requirements") || !manifest["requirements"].is_object()) {
        return true;
    }
    Json const& requirements = manifest["requirements"];
    if (requirements.contains("bootrom")) {
        if (!payload.contains("bootrom")) {
            payload["bootrom"] = requirements["bootrom"];
            return true;
        }
        return payload["bootrom"] == requirements["bootrom"];
    }
    return !payload.contains("bootrom") || payload["bootrom"] == "bios"
        || payload["bootrom"] == "uefi";
}

// validateImages: installed images of the right type; image_size and cloud-init facts are
// copied from the manifest into the payload.
void validate_images(Json& payload, Brand brand, HostFacts const& host, ValidationErrors& errors)
{
    if (!host.image_manifest) {
        return;
    }
    if (payload.contains("image_uuid") && payload["image_uuid"].is_string()
        && is_uuid(payload["image_uuid"].get_ref<std::string const&>())) {
        auto const& brand_features = features(brand);
        std::vector<std::string_view> types;
        for (auto const type : brand_features.zoneroot_image_types) {
            if (!type.empty()) {
                types.push_back(type);
            }
        }
        auto const manifest
            = host.image_manifest(pool_of(payload), payload["image_uuid"].get<std::string>());
        if (!manifest || !image_type_allowed(*manifest, types)) {
            errors.bad_values.emplace_back("image_uuid");
        } else {
            if (manifest->contains("tags") && (*manifest)["tags"].is_object()
                && (*manifest)["tags"].contains("org.smartos:cloudinit_datasource")) {
                auto const& datasource = (*manifest)["tags"]["org.smartos:cloudinit_datasource"];
                if (!payload.contains("internal_metadata")
                    || !payload["internal_metadata"].is_object()) {
                    payload["internal_metadata"] = Json::object();
                }
                payload["internal_metadata"]["cloudinit_datasource"] = datasource;
            }
        }
    }
    for (char const* key : { "disks", "add_disks" }) {
        if (!payload.contains(key) || !payload[key].is_array()) {
            continue;
        }
        size_t index = 0;
        for (auto& disk : payload[key]) {
            std::string const prefix = std::string(key) + "." + std::to_string(index++);
            if (!disk.is_object() || !disk.contains("image_uuid")) {
                continue;
            }
            std::optional<Json> manifest;
            if (disk["image_uuid"].is_string()) {
                manifest
                    = host.image_manifest(pool_of(disk), disk["image_uuid"].get<std::string>());
            }
            if (!manifest || !image_type_allowed(*manifest, { "zvol" })) {
                errors.bad_values.push_back(prefix + ".image_uuid");
                continue;
            }
            if (manifest->contains("image_size") && disk.contains("image_size")
                && detail::js_to_number(disk["image_size"])
                    != detail::js_to_number((*manifest)["image_size"])) {
                errors.bad_values.push_back(prefix + ".image_size");
                continue;
            }
            if (brand == Brand::Bhyve && has_boot_flag(disk)
                && !check_bootrom(payload, *manifest)) {
                errors.bad_values.emplace_back("bootrom");
                continue;
            }
            if (!manifest->contains("image_size") || disk.contains("image_size")) {
                continue;
            }
            auto const& image_size = (*manifest)["image_size"];
            disk["image_size"] = image_size;
            auto& missing = errors.missing_properties;
            missing.erase(
                std::remove(missing.begin(), missing.end(), prefix + ".image_size"), missing.end());
            if (disk.contains("size")
                && detail::js_to_number(disk["size"]) < detail::js_to_number(image_size)) {
                errors.bad_values.emplace_back("size");
            }
        }
    }
}

} // namespace

ValidationErrors validate_and_fill(
    std::string_view brand_name_text, uint8_t action, Json& payload, HostFacts const& host)
{
    ValidationErrors errors;
    auto const brand = parse_brand(brand_name_text);
    if (!brand) {
        errors.bad_brand = brand_name_text.empty() ? "undefined" : std::string(brand_name_text);
        return errors;
    }
    if (!payload.is_object()) {
        return errors;
    }
    for (auto const& [name, value] : payload.items()) {
        validate_property(*brand, name, value, action, host, errors);
        Property const* property = find_property(name);
        if (property == nullptr || property->type != PropType::ObjectArray || !value.is_array()) {
            continue;
        }
        std::string const prefix = std::string(check_as(name)) + ".*.";
        uint8_t const sub_action = name.starts_with("update_") ? ACTION_UPDATE : ACTION_ADD;
        for (auto const& element : value) {
            if (!element.is_object()) {
                push_unique(errors.bad_values, name);
                continue;
            }
            for (auto const& [key, sub_value] : element.items()) {
                validate_property(*brand, prefix + key, sub_value, sub_action, host, errors);
            }
        }
    }
    if (is_hvm(*brand)) {
        for (char const* key : { "disks", "add_disks" }) {
            if (payload.contains(key) && payload[key].is_array()) {
                size_t index = 0;
                for (auto const& disk : payload[key]) {
                    validate_disk_source(
                        payload, std::string(key) + "." + std::to_string(index++), disk, errors);
                }
            }
        }
    }
    if (*brand == Brand::Bhyve) {
        for (char const* key : { "pci_devices", "add_pci_devices" }) {
            if (payload.contains(key) && payload[key].is_array()) {
                size_t index = 0;
                for (auto const& device : payload[key]) {
                    validate_pci_device(
                        std::string(key) + "." + std::to_string(index++), device, errors);
                }
            }
        }
    }
    if (action == ACTION_CREATE) {
        for (auto const& property : property_table()) {
            if (property.required_for(*brand) && !payload.contains(std::string(property.name))) {
                errors.missing_properties.emplace_back(property.name);
            }
        }
    }
    validate_images(payload, *brand, host, errors);
    for (char const* key : { "disks", "add_disks" }) {
        if (!payload.contains(key) || !payload[key].is_array()) {
            continue;
        }
        size_t index = 0;
        for (auto const& disk : payload[key]) {
            if (disk.is_object() && disk.contains("refreservation")
                && detail::js_to_number(disk["refreservation"]) < 0) {
                errors.bad_values.push_back(
                    std::string(key) + "." + std::to_string(index) + ".refreservation");
            }
            ++index;
        }
    }
    return errors;
}

ValidationErrors validate(
    std::string_view brand, uint8_t action, Json const& payload, HostFacts const& host)
{
    Json copy = payload;
    return validate_and_fill(brand, action, copy, host);
}

Json ValidationErrors::to_json() const
{
    if (bad_brand) {
        return Json { { "bad_brand", *bad_brand } };
    }
    Json out = Json::object();
    out["bad_values"] = bad_values;
    out["bad_properties"] = bad_properties;
    out["missing_properties"] = missing_properties;
    return out;
}

} // namespace lumos::props
