// SPDX-License-Identifier: MPL-2.0
#pragma once

// checkPayloadProperties' route rules (routes, set_routes, remove_routes).

#include "base/json.hpp"
#include "base/result.hpp"

#include <vector>

namespace lumos::props::checks {

// nics: the VM's NICs after the update (NicState::nics).
Result<void> check_routes(Json const& payload, Json const& vm, std::vector<Json> const& nics);

} // namespace lumos::props::checks
