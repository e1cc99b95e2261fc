// SPDX-License-Identifier: MPL-2.0
#include "props/detail/js_number.hpp"

#include "base/strings.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace lumos::props::detail {

static double string_to_number(std::string_view raw)
{
    constexpr double NOT_A_NUMBER = std::numeric_limits<double>::quiet_NaN();
    std::string_view const text = trim(raw);
    if (text.empty()) {
        return 0;
    }
    if (text.size() > 2 && text[0] == '0') {
        int base = 0;
        switch (text[1]) {
        case 'x':
        case 'X':
            base = 16;
            break;
        case 'o':
        case 'O':
            base = 8;
            break;
        case 'b':
        case 'B':
            base = 2;
            break;
        default:
            break;
        }
        if (base != 0) {
            double value = 0;
            for (char const c : text.substr(2)) {
                int digit = -1;
                if (c >= '0' && c <= '9') {
                    digit = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    digit = c - 'a' + 10;
                } else if (c >= 'A' && c <= 'F') {
                    digit = c - 'A' + 10;
                }
                if (digit < 0 || digit >= base) {
                    return NOT_A_NUMBER;
                }
                value = value * base + digit;
            }
            return value;
        }
    }
    std::string_view body = text;
    bool negative = false;
    if (body.front() == '+' || body.front() == '-') {
        negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (body == "Infinity") {
        return negative ? -std::numeric_limits<double>::infinity()
                        : std::numeric_limits<double>::infinity();
    }
    // Only decimal syntax: digits, one '.', an exponent. strtod alone would also take "nan",
    // "inf" and hex floats, which Number() does not.
    bool seen_digit = false;
    bool seen_dot = false;
    bool seen_exponent = false;
    for (size_t i = 0; i < body.size(); ++i) {
        char const c = body[i];
        if (c >= '0' && c <= '9') {
            seen_digit = true;
        } else if (c == '.' && !seen_dot && !seen_exponent) {
            seen_dot = true;
        } else if ((c == 'e' || c == 'E') && seen_digit && !seen_exponent) {
            seen_exponent = true;
            if (i + 1 < body.size() && (body[i + 1] == '+' || body[i + 1] == '-')) {
                ++i;
            }
            if (i + 1 >= body.size()) {
                return NOT_A_NUMBER;
            }
        } else {
            return NOT_A_NUMBER;
        }
    }
    if (!seen_digit) {
        return NOT_A_NUMBER;
    }
    std::string const copy(text);
    return std::strtod(copy.c_str(), nullptr);
}

double js_to_number(Json const& value)
{
    switch (value.type()) {
    case Json::value_t::number_integer:
        return static_cast<double>(value.get<long long>());
    case Json::value_t::number_unsigned:
        return static_cast<double>(value.get<unsigned long long>());
    case Json::value_t::number_float:
        return value.get<double>();
    case Json::value_t::boolean:
        return value.get<bool>() ? 1 : 0;
    case Json::value_t::null:
        return 0;
    case Json::value_t::string:
        return string_to_number(value.get_ref<std::string const&>());
    case Json::value_t::array:
        if (value.empty()) {
            return 0;
        }
        if (value.size() == 1 && !value[0].is_object()) {
            return js_to_number(Json(js_string(value[0])));
        }
        return std::numeric_limits<double>::quiet_NaN();
    default:
        return std::numeric_limits<double>::quiet_NaN();
    }
}

} // namespace lumos::props::detail
