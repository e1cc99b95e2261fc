// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <cstdint>
#include <string>

namespace lumos {

// Milliseconds since the epoch, wall clock.
int64_t now_ms();

// ISO-8601 UTC with milliseconds, as JavaScript's Date.toISOString: 2011-12-31T06:38:42.457Z.
std::string iso_timestamp(int64_t epoch_ms);

} // namespace lumos
