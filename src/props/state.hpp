// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"

#include <cstdint>
#include <string>

namespace lumos::props {

// Internal attributes kept in the stored VM object and never shown as such (reference 3.1).
inline constexpr char const* ATTR_ZONE_STATE = "zone_state";
inline constexpr char const* ATTR_TRANSITION = "transition";     // "<state>:<target>:<expire ms>"
inline constexpr char const* ATTR_PROVISIONING = "provisioning"; // true while installing
inline constexpr char const* ATTR_FAILED = "failed";             // e.g. "provisioning"

// Provisioning timeout (PROVISION_TIMEOUT) in ms for a VM, scaled for large HVM guests.
int64_t provision_timeout_ms(Json const& vm);

std::string make_transition(std::string const& state, std::string const& target,
    int64_t expire_ms);

// Computes "state" (and transition_to / transition_expire) from the internal attributes of a
// stored VM object, as vmload's getVmobj does, and removes the raw transition, provisioning and
// failed attributes from the object.
void derive_state(Json& vm);

} // namespace lumos::props
