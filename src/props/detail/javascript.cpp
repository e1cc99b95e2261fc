// SPDX-License-Identifier: MPL-2.0
#include "props/detail/javascript.hpp"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

namespace lumos::props::detail {

namespace {

constexpr double NOT_A_NUMBER = std::numeric_limits<double>::quiet_NaN();
constexpr double INFINITE = std::numeric_limits<double>::infinity();

// The UTF-8 decoder of the WHATWG Encoding standard (what node applies to bytes): the second
// byte's range depends on the lead, so overlong forms, surrogates and values above U+10FFFF are
// invalid; each maximal invalid subpart becomes one U+FFFD.
struct Utf8Lead {
    size_t length = 0;
    uint32_t bits = 0;
    unsigned char low = 0x80U; // the second byte's range
    unsigned char high = 0xBFU;
};

Utf8Lead classify_lead(unsigned char lead)
{
    if (lead < 0x80U) {
        return { 1, lead };
    }
    if (lead >= 0xC2U && lead <= 0xDFU) {
        return { 2, lead & 0x1FU };
    }
    if (lead >= 0xE0U && lead <= 0xEFU) {
        unsigned char const low = lead == 0xE0U ? 0xA0U : 0x80U;
        unsigned char const high = lead == 0xEDU ? 0x9FU : 0xBFU;
        return { 3, lead & 0x0FU, low, high };
    }
    if (lead >= 0xF0U && lead <= 0xF4U) {
        unsigned char const low = lead == 0xF0U ? 0x90U : 0x80U;
        unsigned char const high = lead == 0xF4U ? 0x8FU : 0xBFU;
        return { 4, lead & 0x07U, low, high };
    }
    return {};
}

void append_code_point(std::u16string& out, uint32_t code_point)
{
    if (code_point >= 0x10000U) {
        uint32_t const offset = code_point - 0x10000U;
        out.push_back(static_cast<char16_t>(0xD800U + (offset >> 10U)));
        out.push_back(static_cast<char16_t>(0xDC00U + (offset & 0x3FFU)));
    } else {
        out.push_back(static_cast<char16_t>(code_point));
    }
}

bool is_ascii_digit(char16_t c)
{
    return c >= u'0' && c <= u'9';
}

int digit_value(char16_t c)
{
    if (c >= u'0' && c <= u'9') {
        return c - u'0';
    }
    if (c >= u'a' && c <= u'z') {
        return c - u'a' + 10;
    }
    if (c >= u'A' && c <= u'Z') {
        return c - u'A' + 10;
    }
    return std::numeric_limits<int>::max();
}

// The value of a run of digits in radix; NaN when it is empty or holds another character.
double digits_value(std::u16string_view digits, int radix)
{
    if (digits.empty()) {
        return NOT_A_NUMBER;
    }
    double value = 0;
    for (char16_t const c : digits) {
        int const digit = digit_value(c);
        if (digit >= radix) {
            return NOT_A_NUMBER;
        }
        value = value * radix + digit;
    }
    return value;
}

// strtod rounds like JavaScript and saturates to infinity/zero; the text is plain ASCII decimal
// when this is called, so its locale and hex extensions cannot come into play.
double decimal_value(std::u16string_view ascii_digits)
{
    std::string ascii;
    ascii.reserve(ascii_digits.size());
    for (char16_t const c : ascii_digits) {
        ascii.push_back(static_cast<char>(c));
    }
    return std::strtod(ascii.c_str(), nullptr);
}

// StrUnsignedDecimalLiteral: digits [. digits] | . digits, then an optional exponent.
bool is_unsigned_decimal(std::u16string_view body)
{
    size_t i = 0;
    size_t mantissa_digits = 0;
    while (i < body.size() && is_ascii_digit(body[i])) {
        ++i;
        ++mantissa_digits;
    }
    if (i < body.size() && body[i] == u'.') {
        ++i;
        while (i < body.size() && is_ascii_digit(body[i])) {
            ++i;
            ++mantissa_digits;
        }
    }
    if (mantissa_digits == 0) {
        return false;
    }
    if (i < body.size() && (body[i] == u'e' || body[i] == u'E')) {
        ++i;
        if (i < body.size() && (body[i] == u'+' || body[i] == u'-')) {
            ++i;
        }
        size_t exponent_digits = 0;
        while (i < body.size() && is_ascii_digit(body[i])) {
            ++i;
            ++exponent_digits;
        }
        if (exponent_digits == 0) {
            return false;
        }
    }
    return i == body.size();
}

} // namespace

std::u16string to_utf16(std::string_view utf8)
{
    std::u16string out;
    out.reserve(utf8.size());
    size_t i = 0;
    while (i < utf8.size()) {
        Utf8Lead const lead = classify_lead(static_cast<unsigned char>(utf8[i]));
        if (lead.length == 0) {
            out.push_back(u'\uFFFD');
            ++i;
            continue;
        }
        uint32_t code_point = lead.bits;
        size_t taken = 1;
        while (taken < lead.length && i + taken < utf8.size()) {
            auto const byte = static_cast<unsigned char>(utf8[i + taken]);
            unsigned char const low = taken == 1 ? lead.low : 0x80U;
            unsigned char const high = taken == 1 ? lead.high : 0xBFU;
            if (byte < low || byte > high) {
                break;
            }
            code_point = (code_point << 6U) | (byte & 0x3FU);
            ++taken;
        }
        if (taken == lead.length) {
            append_code_point(out, code_point);
        } else {
            // The valid prefix is one maximal subpart; the byte that broke it starts afresh.
            out.push_back(u'\uFFFD');
        }
        i += taken;
    }
    return out;
}

size_t js_length(std::string_view utf8)
{
    return to_utf16(utf8).size();
}

bool js_string_less(std::string_view a, std::string_view b)
{
    return to_utf16(a) < to_utf16(b);
}

bool is_line_terminator(char16_t c)
{
    return c == u'\n' || c == u'\r' || c == u'\u2028' || c == u'\u2029';
}

bool is_js_space(char16_t c)
{
    return (c >= u'\t' && c <= u'\r') || c == u' ' || c == u'\u00A0' || c == u'\u1680'
        || (c >= u'\u2000' && c <= u'\u200A') || c == u'\u2028' || c == u'\u2029' || c == u'\u202F'
        || c == u'\u205F' || c == u'\u3000' || c == u'\uFEFF';
}

std::u16string_view trim_js_space(std::u16string_view text)
{
    while (!text.empty() && is_js_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_js_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

void rtrim_js_space(std::string& text)
{
    while (!text.empty()) {
        size_t start = text.size() - 1;
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0U) == 0x80U) {
            --start;
        }
        std::u16string const last = to_utf16(std::string_view(text).substr(start));
        if (last.size() != 1 || !is_js_space(last[0])) {
            return;
        }
        text.erase(start);
    }
}

double string_to_number(std::string_view utf8)
{
    std::u16string const wide = to_utf16(utf8);
    std::u16string_view const text = trim_js_space(wide);
    if (text.empty()) {
        return 0;
    }
    // NonDecimalIntegerLiteral: no sign allowed, so "-0x10" is NaN.
    if (text.size() > 2 && text[0] == u'0') {
        char16_t const prefix = text[1];
        if (prefix == u'x' || prefix == u'X') {
            return digits_value(text.substr(2), 16);
        }
        if (prefix == u'o' || prefix == u'O') {
            return digits_value(text.substr(2), 8);
        }
        if (prefix == u'b' || prefix == u'B') {
            return digits_value(text.substr(2), 2);
        }
    }
    bool negative = false;
    std::u16string_view body = text;
    if (body.front() == u'+' || body.front() == u'-') {
        negative = body.front() == u'-';
        body.remove_prefix(1);
    }
    double value = NOT_A_NUMBER;
    if (body == u"Infinity") {
        value = INFINITE;
    } else if (is_unsigned_decimal(body)) {
        value = decimal_value(body);
    }
    return negative ? -value : value;
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
        return string_to_number(js_to_string(value));
    default:
        return NOT_A_NUMBER;
    }
}

double js_parse_int(std::string_view utf8, int radix)
{
    std::u16string const wide = to_utf16(utf8);
    std::u16string_view text = wide;
    while (!text.empty() && is_js_space(text.front())) {
        text.remove_prefix(1);
    }
    bool negative = false;
    if (!text.empty() && (text.front() == u'+' || text.front() == u'-')) {
        negative = text.front() == u'-';
        text.remove_prefix(1);
    }
    if (radix == 16 && text.size() >= 2 && text[0] == u'0'
        && (text[1] == u'x' || text[1] == u'X')) {
        text.remove_prefix(2);
    }
    size_t run = 0;
    while (run < text.size() && digit_value(text[run]) < radix) {
        ++run;
    }
    std::u16string_view const digits = text.substr(0, run);
    double value = NOT_A_NUMBER;
    if (!digits.empty()) {
        // Decimal through strtod, so long runs round as node rounds them.
        value = radix == 10 ? decimal_value(digits) : digits_value(digits, radix);
    }
    return negative ? -value : value;
}

std::string js_to_string(Json const& value)
{
    if (value.is_number_float() && value.get<double>() == 0.0) {
        return "0";
    }
    if (value.is_array()) {
        std::string out;
        for (size_t i = 0; i < value.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            if (!value[i].is_null()) {
                out += js_to_string(value[i]);
            }
        }
        return out;
    }
    return js_string(value);
}

bool js_truthy_or_undefined(Json const* value)
{
    return value != nullptr && js_truthy(*value);
}

JsPrimitive to_primitive(Json const* value)
{
    JsPrimitive result;
    if (value == nullptr) {
        return result;
    }
    if (value->is_null()) {
        result.kind = JsPrimitive::Kind::Null;
    } else if (value->is_boolean()) {
        result.kind = JsPrimitive::Kind::Boolean;
        result.number = value->get<bool>() ? 1 : 0;
    } else if (value->is_number()) {
        result.kind = JsPrimitive::Kind::Number;
        result.number = value->get<double>();
    } else {
        result.kind = JsPrimitive::Kind::String;
        result.text = js_to_string(*value);
    }
    return result;
}

double to_number(JsPrimitive const& value)
{
    switch (value.kind) {
    case JsPrimitive::Kind::Undefined:
        return NOT_A_NUMBER;
    case JsPrimitive::Kind::Null:
        return 0;
    case JsPrimitive::Kind::Boolean:
    case JsPrimitive::Kind::Number:
        return value.number;
    case JsPrimitive::Kind::String:
        return string_to_number(value.text);
    }
    return NOT_A_NUMBER;
}

bool js_less(JsPrimitive const& a, JsPrimitive const& b)
{
    if (a.kind == JsPrimitive::Kind::String && b.kind == JsPrimitive::Kind::String) {
        return js_string_less(a.text, b.text);
    }
    double const x = to_number(a);
    double const y = to_number(b);
    return !std::isnan(x) && !std::isnan(y) && x < y;
}

} // namespace lumos::props::detail
