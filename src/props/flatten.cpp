// SPDX-License-Identifier: MPL-2.0
#include "props/flatten.hpp"

#include "base/strings.hpp"
#include "props/brand.hpp"
#include "props/detail/javascript.hpp"
#include "props/property_table.hpp"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace lumos::props {

// Canonical array index ("0", "17"; not "01" or "+1"), as hasOwnProperty sees array keys.
std::optional<size_t> canonical_index(std::string_view text)
{
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char const c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value >= 0xFFFFFFFFULL) {
        return std::nullopt;
    }
    return static_cast<size_t>(value);
}

// container[key] when key is an own property of an object or an index of an array; nullptr
// stands for undefined.
Json const* own_member(Json const& container, std::string_view key)
{
    if (container.is_object()) {
        auto const it = container.find(key);
        return it == container.end() ? nullptr : &*it;
    }
    if (container.is_array()) {
        auto const index = canonical_index(key);
        if (!index || *index >= container.size()) {
            return nullptr;
        }
        return &container[*index];
    }
    return nullptr;
}

// exports.flatten without copying; nullptr is undefined. Where vmadm would throw (a null nic),
// this answers undefined.
Json const* flatten_ref(Json const& vm, std::string_view key)
{
    std::vector<std::string> const tokens = split(key, '.');
    if (tokens.size() == 3 && flatten_kind(tokens[0]) == Flatten::Elements) {
        Json const* outer = own_member(vm, tokens[0]);
        Json const* element = outer == nullptr ? nullptr : own_member(*outer, tokens[1]);
        return element == nullptr ? nullptr : own_member(*element, tokens[2]);
    }
    if (tokens.size() == 2 && flatten_kind(tokens[0]) == Flatten::Keys) {
        Json const* outer = own_member(vm, tokens[0]);
        return outer == nullptr ? nullptr : own_member(*outer, tokens[1]);
    }
    if (tokens.size() == 2 && flatten_kind(tokens[0]) == Flatten::Indexes) {
        Json const* outer = own_member(vm, tokens[0]);
        if (outer == nullptr || !outer->is_array()) {
            return nullptr;
        }
        // The index goes through Number(), so "resolvers." is element 0 and "resolvers.1.0"
        // element 1, as in vmadm.
        double const index = detail::string_to_number(tokens[1]);
        if (!std::isfinite(index) || index < 0 || std::floor(index) != index
            || index >= static_cast<double>(outer->size())) {
            return nullptr;
        }
        return &(*outer)[static_cast<size_t>(index)];
    }
    return own_member(vm, key);
}

std::optional<Json> flatten_value(Json const& vm, std::string_view key)
{
    Json const* value = flatten_ref(vm, key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return *value;
}

void add_fake_fields(Json& vm)
{
    if (!vm.is_object()) {
        return;
    }
    std::optional<Brand> brand;
    auto const brand_it = vm.find("brand");
    if (brand_it != vm.end() && brand_it->is_string()) {
        brand = parse_brand(brand_it->get_ref<std::string const&>());
    }
    // The TYPE column is four wide, so vmadm cuts the type there too: BHYVE becomes BHYV.
    vm["type"] = brand ? std::string(features(*brand).type.substr(0, 4)) : std::string("OS");
    if (brand && is_hvm(*brand)) {
        return;
    }
    // m.ram = m.max_physical_memory: a missing value leaves ram undefined, not stale.
    auto const memory = vm.find("max_physical_memory");
    if (memory != vm.end()) {
        Json value = *memory;
        vm["ram"] = std::move(value);
    } else {
        vm.erase("ram");
    }
}

} // namespace lumos::props
