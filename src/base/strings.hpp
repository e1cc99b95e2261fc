// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos {

std::vector<std::string> split(std::string_view text, char separator);
std::string join(std::vector<std::string> const& parts, std::string_view separator);
std::string_view trim(std::string_view text);
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);
bool is_blank(std::string_view text);
bool is_valid_utf8(std::string_view text);

// Parses a whole decimal integer (optional sign), as JavaScript's Number() would accept it for
// integer properties: surrounding blanks are allowed, fractions and junk are not.
std::optional<long long> parse_integer(std::string_view text);

// Formats a double the way JavaScript's Number.prototype.toString does for the values we meet
// (integers print without a fraction).
std::string js_number_string(double value);

} // namespace lumos
