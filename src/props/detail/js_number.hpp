// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"

namespace lumos::props::detail {

// JavaScript's Number(value) for JSON values: numbers as is, booleans 0/1, null 0, strings
// trimmed and parsed (decimal, exponent, 0x/0o/0b, Infinity; "" is 0), single-element arrays
// through their string form, anything else NaN.
double js_to_number(Json const& value);

} // namespace lumos::props::detail
