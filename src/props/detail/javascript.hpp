// SPDX-License-Identifier: MPL-2.0
#pragma once

// The JavaScript semantics vmadm's behaviour depends on, in one place: Number(), parseInt(),
// String(), UTF-16 lengths and comparison, JS whitespace, ToPrimitive and the < operator.
// Truthiness is lumos::js_truthy (base/json.hpp), which image/ uses too; js_truthy_or_undefined
// adds undefined. VM objects hold UTF-8; the functions here decode it to UTF-16 the way node
// decodes bytes (an invalid sequence becomes one U+FFFD per maximal subpart).

#include "base/json.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace lumos::props::detail {

std::u16string to_utf16(std::string_view utf8);

// String.prototype.length: UTF-16 code units.
size_t js_length(std::string_view utf8);

// a < b for two JavaScript strings: UTF-16 code units compared in order.
bool js_string_less(std::string_view a, std::string_view b);

// What "." in a JavaScript regex (without the s flag) refuses to match.
bool is_line_terminator(char16_t c);

// WhiteSpace and LineTerminator, as \s, String.prototype.trim, Number() and parseInt see them.
bool is_js_space(char16_t c);
std::u16string_view trim_js_space(std::u16string_view text);
// text.replace(/\s+$/, ''), in place on UTF-8.
void rtrim_js_space(std::string& text);

// StringToNumber (Number("...")): JS whitespace around, "" is 0, 0x/0o/0b integer literals
// without a sign, [+-]Infinity, decimal literals; anything else ("inf", "0x1p3", "-0x10",
// "1_000") is NaN.
double string_to_number(std::string_view utf8);

// Number(value) for a JSON value: numbers as is, booleans 0/1, null 0, strings through
// string_to_number, arrays through their String() ([] is 0, [x] is Number(String(x))), objects
// NaN.
double js_to_number(Json const& value);

// parseInt(text, radix) for radix 10 or 16: leading JS whitespace, a sign, with radix 16 an
// optional 0x, then the longest run of digits of the radix; NaN when there is none.
double js_parse_int(std::string_view utf8, int radix);

// String(value). Unlike lumos::js_string, negative zero prints "0" as in JavaScript, and an
// array's null elements print as "" (Array.prototype.join).
std::string js_to_string(Json const& value);

// Truthiness of a value that may be undefined (nullptr).
bool js_truthy_or_undefined(Json const* value);

// A value after ToPrimitive: arrays and objects have become their toString().
struct JsPrimitive {
    enum class Kind { Undefined, Null, Boolean, Number, String };
    Kind kind = Kind::Undefined;
    double number = 0;
    std::string text;
};

// nullptr is undefined.
JsPrimitive to_primitive(Json const* value);
double to_number(JsPrimitive const& value);

// JavaScript a < b: two strings compare by UTF-16 code units, anything else numerically, and
// NaN (undefined, "abc") is neither less nor greater than anything.
bool js_less(JsPrimitive const& a, JsPrimitive const& b);

} // namespace lumos::props::detail
