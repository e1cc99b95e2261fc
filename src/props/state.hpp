// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace lumos::props {

// Internal attributes kept in the stored VM object and never shown as such (reference 3.1).
inline constexpr char const* ATTR_ZONE_STATE = "zone_state";
inline constexpr char const* ATTR_TRANSITION = "transition"; // "<state>:<target>:<expire ms>"
inline constexpr char const* ATTR_PROVISIONING = "provisioning"; // true while installing
inline constexpr char const* ATTR_FAILED = "failed"; // e.g. "provisioning"

// The states of a VM object's "state" the engine decides on (reference 3.1); Other for the
// rest (ready, shutting_down, down, receiving, ...), which no rule allows anything from.
enum class VmState {
    Configured,
    Incomplete,
    Provisioning,
    Stopped,
    Running,
    Stopping,
    Failed,
    Other
};

VmState parse_vm_state(std::string_view state);
// The state of a VM object (derive_state's "state"); Other when it has none.
VmState vm_state(Json const& vm);

// Provisioning timeout (PROVISION_TIMEOUT) in ms for a VM, scaled for large HVM guests.
int64_t provision_timeout_ms(Json const& vm);

std::string make_transition(std::string const& state, std::string const& target, int64_t expire_ms);

// Computes "state" (and transition_to / transition_expire) from the internal attributes of a
// stored VM object, as vmload's getVmobj does, and removes the raw transition, provisioning and
// failed attributes from the object.
void derive_state(Json& vm);

} // namespace lumos::props
