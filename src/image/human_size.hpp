// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <cstdint>
#include <string>

namespace lumos::image {

// imgadm's humanSizeFromBytes: "0 B", "512.0 B", "2.8 MiB" (one decimal, clipped).
std::string human_size(uint64_t bytes);

} // namespace lumos::image
