// SPDX-License-Identifier: MPL-2.0
#pragma once

// vmadm list filters and lookup keys (reference 1.4-1.5): parsing k=v arguments, matching a VM
// object, and the top-level keys a listing has to load.

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/claims.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::props {

struct Filter {
    std::string key;
    std::string value; // "~regex" for a case-insensitive JavaScript regex
};

// validFilterKey (list filters and lookup keys).
bool valid_filter_key(std::string_view key);

// Parses k=v arguments. Errors (ErrorCode::InvalidArgument), exact text:
//   kind "filter": Invalid filter key: "<k>"      kind "lookup": Invalid lookup key: "<k>"
//   a regex that does not compile: Invalid regular expression: /<source>/: <reason>
Result<std::vector<Filter>> parse_filters(
    std::vector<std::string> const& args, std::string_view kind);

// All filters match (AND); nics.*.x / disks.*.x match if any element does; MACs normalized.
// Regex filters run on PCRE2 with match limits: a value that makes a pattern exceed them is an
// error (ErrorCode::InvalidArgument), as is a pattern that does not compile.
Result<bool> matches(Json const& vm, std::vector<Filter> const& filters);

// When the filters are only nics.*.mac= and nics.*.ip= values (no regex): claims that every VM
// they match holds (props/claims.hpp), so the store's index can name the candidates instead of
// every VM being read. nullopt for any other filter.
std::optional<std::vector<Claim>> index_claims(std::vector<Filter> const& filters);

// Top-level keys a listing needs loaded for these columns, sort keys and filters (so the store
// can skip files it does not need).
std::vector<std::string> needed_keys(std::vector<std::string> const& columns,
    std::vector<std::string> const& sort_keys, std::vector<Filter> const& filters);

} // namespace lumos::props
