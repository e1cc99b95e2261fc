// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <string_view>

namespace lumos {

using Json = nlohmann::json;

// Parses text without throwing. Errors carry a message in the style of node's JSON.parse
// ("Unexpected token } in JSON at position 7"), because vmadm prints it verbatim.
Result<Json> parse_json(std::string_view text);

// Parses JSON that lumos wrote itself (no nesting pre-check). With keys, only those top-level
// members of an object are kept.
Result<Json> parse_trusted_json_object(std::string_view text, std::set<std::string> const* keys);

// JSON.stringify(value, null, 2): two-space indent, non-ASCII kept as UTF-8. Invalid UTF-8 is
// replaced rather than thrown on.
std::string dump_pretty(Json const& value);
std::string dump_compact(Json const& value);

// JavaScript truthiness of a JSON value ("" / 0 / false / null are falsy).
bool js_truthy(Json const& value);

// String(value) as JavaScript prints it: numbers without trailing ".0", arrays comma-joined,
// objects "[object Object]", null "null".
std::string js_string(Json const& value);

} // namespace lumos
