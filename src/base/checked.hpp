// SPDX-License-Identifier: MPL-2.0
#pragma once

// Checked arithmetic for sizes that come from payloads and manifests: a product that does not
// fit is an error, never a wrapped (and much smaller) limit.

#include "base/result.hpp"
#include "base/sizes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lumos {

// a * b, or nullopt when the product does not fit in 64 bits.
constexpr std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b)
{
    uint64_t product = 0;
    if (__builtin_mul_overflow(a, b, &product)) {
        return std::nullopt;
    }
    return product;
}

// a + b, or nullopt when the sum does not fit in 64 bits.
constexpr std::optional<uint64_t> checked_add(uint64_t a, uint64_t b)
{
    uint64_t sum = 0;
    if (__builtin_add_overflow(a, b, &sum)) {
        return std::nullopt;
    }
    return sum;
}

// count units (e.g. MiB) as bytes, refused when negative or when the bytes do not fit in an
// int64 (what every kernel and zfs interface takes). what names the property in the error.
inline Result<uint64_t> size_in_bytes(int64_t count, uint64_t unit, std::string_view what)
{
    if (count < 0) {
        return make_error(ErrorCode::InvalidArgument,
            "Invalid value for " + std::string(what) + ": " + std::to_string(count));
    }
    auto const bytes = checked_mul(static_cast<uint64_t>(count), unit);
    if (!bytes || *bytes > static_cast<uint64_t>(INT64_MAX)) {
        return make_error(ErrorCode::InvalidArgument,
            "Invalid value for " + std::string(what) + ": " + std::to_string(count)
                + " is too large");
    }
    return *bytes;
}

} // namespace lumos
