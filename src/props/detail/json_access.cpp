// SPDX-License-Identifier: MPL-2.0
#include "props/detail/json_access.hpp"

#include "base/strings.hpp"
#include "props/detail/javascript.hpp"

#include <cmath>
#include <string>

namespace lumos::props::detail {

bool is_create(Json const& vm)
{
    return !vm.is_object() || vm.empty();
}

bool has(Json const& object, std::string_view key)
{
    return object.is_object() && object.contains(key);
}

Json const& array_member(Json const& object, std::string_view key)
{
    static Json const EMPTY = Json::array();
    Json const* value = member(object, key);
    return value != nullptr && value->is_array() ? *value : EMPTY;
}

Result<void> require_objects(Json const& payload, std::string const& field)
{
    Json const* value = member(payload, field);
    if (value == nullptr) {
        return {};
    }
    if (!value->is_array()) {
        return invalid(field + " must be an array.");
    }
    for (auto const& element : *value) {
        if (!element.is_object()) {
            return invalid("Invalid value(s) for: " + field);
        }
    }
    return {};
}

Json const* member(Json const& object, std::string_view key)
{
    return json_member(object, key);
}

Json const& member_or_null(Json const& object, std::string_view key)
{
    static Json const NULL_VALUE;
    Json const* value = member(object, key);
    return value == nullptr ? NULL_VALUE : *value;
}

Json member_or(Json const& object, std::string_view key, Json fallback)
{
    Json const* value = member(object, key);
    if (value == nullptr) {
        return fallback;
    }
    return *value;
}

std::optional<std::string> string_member(Json const& object, std::string_view key)
{
    Json const* value = member(object, key);
    if (value == nullptr || !value->is_string()) {
        return std::nullopt;
    }
    return value->get<std::string>();
}

std::optional<double> json_number(Json const& value)
{
    if (value.is_number()) {
        return value.get<double>();
    }
    if (!value.is_string()) {
        return std::nullopt;
    }
    std::u16string const wide = to_utf16(value.get_ref<std::string const&>());
    if (trim_js_space(wide).empty()) {
        return std::nullopt;
    }
    double const number = string_to_number(value.get_ref<std::string const&>());
    if (std::isnan(number)) {
        return std::nullopt;
    }
    return number;
}

std::optional<long long> json_integer(Json const& value)
{
    auto const number = json_number(value);
    if (!number || !std::isfinite(*number) || std::floor(*number) != *number
        || std::fabs(*number) > 9.0e15) {
        return std::nullopt;
    }
    return static_cast<long long>(*number);
}

std::vector<std::string> json_list(Json const& value)
{
    std::vector<std::string> result;
    if (value.is_array()) {
        for (auto const& element : value) {
            if (element.is_string() || element.is_number()) {
                result.push_back(js_string(element));
            }
        }
    } else if (value.is_string()) {
        for (auto& part : split(value.get_ref<std::string const&>(), ',')) {
            if (!part.empty()) {
                result.push_back(std::move(part));
            }
        }
    }
    return result;
}

std::optional<bool> json_bool(Json const& value)
{
    if (value.is_boolean()) {
        return value.get<bool>();
    }
    if (value == "true" || value == "1" || value == 1) {
        return true;
    }
    if (value == "false" || value == "0" || value == 0) {
        return false;
    }
    return std::nullopt;
}

std::string stringify(Json const& value)
{
    return dump_compact(value);
}

std::string compression_list(std::string_view separator)
{
    std::string result;
    for (auto const type : COMPRESSION_TYPES) {
        if (!result.empty()) {
            result += separator;
        }
        result += type;
    }
    return result;
}

bool valid_compression(Json const& value)
{
    if (!value.is_string()) {
        return false;
    }
    for (auto const type : COMPRESSION_TYPES) {
        if (value.get_ref<std::string const&>() == type) {
            return true;
        }
    }
    return false;
}

bool valid_record_size(double value)
{
    if (value < 512 || value > 131072 || std::floor(value) != value) {
        return false;
    }
    auto const integer = static_cast<long long>(value);
    return (integer & (integer - 1)) == 0;
}

} // namespace lumos::props::detail
