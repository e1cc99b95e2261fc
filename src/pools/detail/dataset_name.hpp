// SPDX-License-Identifier: MPL-2.0
// The dataset name grammar of the dir and btrfs pools: "<pool>/<a>/<b>[@<snapshot>]", each
// component letters, digits, '_', '-', '.', ':' (not first '.'), at most 200 characters. Names
// inside the pool are relative: "<a>/<b>@<snapshot>".
#pragma once

#include "base/result.hpp"

#include <optional>
#include <string>

namespace lumos::pools::detail {

bool valid_component(std::string const& part);

// The relative name of name in pool pool_name, or InvalidArgument saying what is wrong.
Result<std::string> relative_dataset_name(std::string const& pool_name, std::string const& name);

// "<a>/<b>" of "<a>/<b>@<snapshot>" (a dataset's name is its own).
std::string dataset_part(std::string const& relative_name);
bool is_snapshot_name(std::string const& relative_name);
// Whether key is `base` itself, a descendant ("base/...") or a snapshot of either.
bool under(std::string const& key, std::string const& base);
// "<a>" of "<a>/<b>"; none at the top.
std::optional<std::string> parent_of(std::string const& relative_name);

} // namespace lumos::pools::detail
