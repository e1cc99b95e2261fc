// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "props/brand.hpp"

namespace lumos::props {

// SmartOS fixPayloadMemory (reference 2.6): derives max_physical_memory, max_locked_memory,
// max_swap, tmpfs and the shm/msg/sem ids from ram and from the VM's current values (vm is {} on
// create). Runs on payloads whose integers are already coerced.
void fix_payload_memory(Json& payload, Json const& vm, Brand brand);

} // namespace lumos::props
