// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
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

// Reading members of JSON that may have any shape (records, manifests, payloads). None of these
// throws: a missing member, a member of another type, or a value that is not an object reads as
// the fallback. They replace Json::value(key, default), which throws type_error on a member of
// another type.
Json const* json_member(Json const& object, std::string_view key);
std::string string_or(Json const& object, std::string_view key, std::string fallback = {});
// Whole numbers only (an integer, or a float with no fraction that fits int64_t).
int64_t int_or(Json const& object, std::string_view key, int64_t fallback);
// JSON booleans only; "true" and 1 are not booleans here (property coercion lives in props/).
bool bool_or(Json const& object, std::string_view key, bool fallback);

} // namespace lumos
