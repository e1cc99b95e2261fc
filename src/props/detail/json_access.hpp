// SPDX-License-Identifier: MPL-2.0
#pragma once

// Small JSON accessors shared by the NIC/disk normalization, the payload checks and the merge
// of add_*/update_*/remove_* arrays. None of them throws: a value of the wrong type reads as
// absent.

#include "base/json.hpp"
#include "base/result.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::props::detail {

inline constexpr std::array<std::string_view, 15> COMPRESSION_TYPES { "on", "off", "gzip", "gzip-1",
    "gzip-2", "gzip-3", "gzip-4", "gzip-5", "gzip-6", "gzip-7", "gzip-8", "gzip-9", "lz4", "lzjb",
    "zle" };

inline tl::unexpected<Error> invalid(std::string message)
{
    return make_error(ErrorCode::InvalidArgument, std::move(message));
}

// An empty VM object means create (the caller passes {}), as VM.js passes vmobj = null.
bool is_create(Json const& vm);

bool has(Json const& object, std::string_view key);
// object[key] when it is an array, else an empty array.
Json const& array_member(Json const& object, std::string_view key);
// Each add_*/update_* array must be an array of objects, whatever slipped past validation:
// "<field> must be an array." / "Invalid value(s) for: <field>".
Result<void> require_objects(Json const& payload, std::string const& field);
// object[key] when object is an object holding key, else nullptr (base/json's json_member).
Json const* member(Json const& object, std::string_view key);
// object[key], or null when object is not an object or lacks key (Json::value(key, Json())
// without its throw on a non-object).
Json const& member_or_null(Json const& object, std::string_view key);
// object[key] when present, else fallback.
Json member_or(Json const& object, std::string_view key, Json fallback);
// The string at object[key], nullopt when absent or not a string.
std::optional<std::string> string_member(Json const& object, std::string_view key);

// Number(value) (detail/javascript) for numbers and strings; nullopt for NaN, for a blank
// string (which Number() reads as 0) and for any other type.
std::optional<double> json_number(Json const& value);
// json_number when it is a whole number.
std::optional<long long> json_integer(Json const& value);
// A list property: an array of strings/numbers, or a comma-separated string (empties dropped).
std::vector<std::string> json_list(Json const& value);
// true/false, "true"/"false", 1/"1", 0/"0"; nullopt otherwise.
std::optional<bool> json_bool(Json const& value);

// JSON.stringify(value) for error messages.
std::string stringify(Json const& value);

// A comma-joined list of the compression types, as VM.js prints COMPRESSION_TYPES.join(sep).
std::string compression_list(std::string_view separator);
bool valid_compression(Json const& value);

// VM.js validRecordSize: 512-131072 and a power of two.
bool valid_record_size(double value);

} // namespace lumos::props::detail
