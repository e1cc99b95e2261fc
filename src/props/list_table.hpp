// SPDX-License-Identifier: MPL-2.0
#pragma once

// vmadm list's table (reference 1.6): columns, sort keys, sortVM's order and
// outputVMListLine's format.

#include "base/json.hpp"
#include "base/result.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::props {

struct ListOptions {
    std::vector<std::string> columns { "uuid", "type", "ram", "state", "alias" };
    std::vector<std::string> sort_keys { "ram", "uuid" }; // "-k" descending, "+k"/"k" ascending
    bool parsable = false; // -p
    bool header = true; // -H clears
};

// The most -o columns or -s keys a listing takes.
constexpr size_t MAX_LIST_FIELDS = 256;

// Fields accepted for -o / -s: table columns, <array>.<N>.<sub>, <hash>.<key>; no ".*.".
bool valid_list_field(std::string_view key);

// A sort key without its leading '+' or '-'.
std::string_view strip_sort_direction(std::string_view key);

// Validates columns and sort keys even when no VM matches. Errors, exact text:
//   too many order fields: <n> (at most 256) / too many sort fields: <n> (at most 256)
//   Invalid order key: "<k>" / Invalid sort key: "<k>" (".*." given)
//   invalid order field: <f> / invalid sort field: <f> (unknown column)
Result<void> check_list_options(ListOptions const& options);

// Sorts vms (sortVM rules) and renders the table (outputVMListLine rules), each line ending in
// '\n'. vms already carry fake fields.
Result<std::string> format_list(std::vector<Json> vms, ListOptions const& options);

} // namespace lumos::props
