// SPDX-License-Identifier: MPL-2.0
#pragma once

// The VM object as vmadm list and lookup see it: the fake fields and SmartOS's exports.flatten
// ("nics.0.ip", "tags.role", "resolvers.0"), which reaches inside a value as the property
// table's Flatten column says. Pure functions over VM objects (the JSON that vmadm get prints).

#include "base/json.hpp"

#include <cstddef>
#include <optional>
#include <string_view>

namespace lumos::props {

// addFakeFields: "type" from the brand (OS, LX, KVM, BHYV) and, for non-HVM, ram =
// max_physical_memory.
void add_fake_fields(Json& vm);

// exports.flatten; nullopt when the VM has no such value.
std::optional<Json> flatten_value(Json const& vm, std::string_view key);

// flatten without copying; nullptr is undefined. Where vmadm would throw (a null nic), this
// answers undefined.
Json const* flatten_ref(Json const& vm, std::string_view key);

// container[key] when key is an own property of an object or an index of an array; nullptr
// stands for undefined.
Json const* own_member(Json const& container, std::string_view key);

// A canonical array index ("0", "17"; not "01" or "+1"), as hasOwnProperty sees array keys.
std::optional<size_t> canonical_index(std::string_view text);

} // namespace lumos::props
