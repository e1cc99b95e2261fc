// SPDX-License-Identifier: MPL-2.0
#include "image/human_size.hpp"

#include <cmath>
#include <cstdio>
#include <iterator>

namespace lumos::image {

// common.js humanSizeFromBytes: one decimal, clipped, binary units.
std::string human_size(uint64_t bytes)
{
    static char const* const UNITS[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    if (bytes == 0) {
        return "0 B";
    }
    size_t unit = 0;
    auto value = static_cast<double>(bytes);
    while (value >= 1024.0 && unit + 1 < std::size(UNITS)) {
        value /= 1024.0;
        ++unit;
    }
    double clipped = std::floor(value * 10.0 + 1e-9) / 10.0;
    char text[64];
    (void)std::snprintf(text, sizeof text, "%.1f %s", clipped, UNITS[unit]);
    return text;
}

} // namespace lumos::image
