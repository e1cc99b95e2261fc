// SPDX-License-Identifier: MPL-2.0
#pragma once

// vmadm list / lookup: flattening, filters, sorting and the table format (reference 1.4-1.6).
// Pure functions over VM objects (the JSON that vmadm get prints).

#include "base/json.hpp"
#include "base/result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::props {

// SmartOS exports.flatten: "nics.0.ip", "tags.role", "resolvers.0", or a plain key. nullopt when
// the VM has no such value.
std::optional<Json> flatten_value(Json const& vm, std::string_view key);

// validFilterKey (list filters and lookup keys).
bool valid_filter_key(std::string_view key);
// Fields accepted for -o / -s: table columns, <array>.<N>.<sub>, <hash>.<key>; no ".*.".
bool valid_list_field(std::string_view key);

struct Filter {
    std::string key;
    std::string value; // "~regex" for a case-insensitive JavaScript regex
};

// Parses k=v arguments. Errors (ErrorCode::InvalidArgument), exact text:
//   kind "filter": Invalid filter key: "<k>"      kind "lookup": Invalid lookup key: "<k>"
//   a regex that does not compile: Invalid regular expression: /<source>/: <reason>
Result<std::vector<Filter>> parse_filters(std::vector<std::string> const& args,
    std::string_view kind);

// All filters match (AND); nics.*.x / disks.*.x match if any element does; MACs normalized.
// Regex filters run on PCRE2 with match limits: a value that makes a pattern exceed them is an
// error (ErrorCode::InvalidArgument), as is a pattern that does not compile.
Result<bool> matches(Json const& vm, std::vector<Filter> const& filters);

// addFakeFields: "type" from the brand (OS, LX, KVM, BHYV) and, for non-HVM, ram =
// max_physical_memory.
void add_fake_fields(Json& vm);

// Top-level keys a listing needs loaded for these columns, sort keys and filters (so the store
// can skip files it does not need).
std::vector<std::string> needed_keys(std::vector<std::string> const& columns,
    std::vector<std::string> const& sort_keys, std::vector<Filter> const& filters);

struct ListOptions {
    std::vector<std::string> columns { "uuid", "type", "ram", "state", "alias" };
    std::vector<std::string> sort_keys { "ram", "uuid" }; // "-k" descending, "+k"/"k" ascending
    bool parsable = false;                                // -p
    bool header = true;                                   // -H clears
};

// The most -o columns or -s keys a listing takes.
constexpr size_t MAX_LIST_FIELDS = 256;

// Validates columns and sort keys even when no VM matches. Errors, exact text:
//   too many order fields: <n> (at most 256) / too many sort fields: <n> (at most 256)
//   Invalid order key: "<k>" / Invalid sort key: "<k>" (".*." given)
//   invalid order field: <f> / invalid sort field: <f> (unknown column)
Result<void> check_list_options(ListOptions const& options);

// Sorts vms (sortVM rules) and renders the table (outputVMListLine rules), each line ending in
// '\n'. vms already carry fake fields.
Result<std::string> format_list(std::vector<Json> vms, ListOptions const& options);

} // namespace lumos::props
