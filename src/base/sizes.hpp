// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <cstdint>

namespace lumos {

constexpr uint64_t KIB = uint64_t { 1 } << 10U;
constexpr uint64_t MIB = uint64_t { 1 } << 20U;
constexpr uint64_t GIB = uint64_t { 1 } << 30U;
constexpr uint64_t TIB = uint64_t { 1 } << 40U;

} // namespace lumos
