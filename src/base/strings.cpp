// SPDX-License-Identifier: MPL-2.0
#include "base/strings.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace lumos {

std::vector<std::string> split(std::string_view text, char separator)
{
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        size_t const pos = text.find(separator, start);
        if (pos == std::string_view::npos) {
            parts.emplace_back(text.substr(start));
            break;
        }
        parts.emplace_back(text.substr(start, pos - start));
        start = pos + 1;
    }
    return parts;
}

std::string join(std::vector<std::string> const& parts, std::string_view separator)
{
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i != 0) {
            out += separator;
        }
        out += parts[i];
    }
    return out;
}

std::string_view trim(std::string_view text)
{
    constexpr std::string_view BLANKS = " \t\r\n\f\v";
    size_t const first = text.find_first_not_of(BLANKS);
    if (first == std::string_view::npos) {
        return {};
    }
    size_t const last = text.find_last_not_of(BLANKS);
    return text.substr(first, last - first + 1);
}

std::string to_upper(std::string_view text)
{
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string to_lower(std::string_view text)
{
    std::string out(text);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool is_blank(std::string_view text)
{
    return trim(text).empty();
}

bool is_valid_utf8(std::string_view text)
{
    size_t i = 0;
    auto const byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    while (i < text.size()) {
        unsigned char const c = byte(i);
        size_t extra = 0;
        if (c < 0x80) {
            ++i;
            continue;
        }
        if ((c & 0xE0U) == 0xC0U && c >= 0xC2) {
            extra = 1;
        } else if ((c & 0xF0U) == 0xE0U) {
            extra = 2;
        } else if ((c & 0xF8U) == 0xF0U && c <= 0xF4) {
            extra = 3;
        } else {
            return false;
        }
        if (i + extra >= text.size()) {
            return false;
        }
        for (size_t k = 1; k <= extra; ++k) {
            if ((byte(i + k) & 0xC0U) != 0x80U) {
                return false;
            }
        }
        i += extra + 1;
    }
    return true;
}

std::optional<long long> parse_integer(std::string_view text)
{
    text = trim(text);
    if (text.empty()) {
        return std::nullopt;
    }
    if (text.front() == '+') {
        text.remove_prefix(1);
    }
    long long value = 0;
    auto const* end = text.data() + text.size();
    auto const [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::string js_number_string(double value)
{
    if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e21) {
        char buffer[32];
        (void)std::snprintf(buffer, sizeof(buffer), "%.0f", value);
        return buffer;
    }
    char buffer[64];
    (void)std::snprintf(buffer, sizeof(buffer), "%.17g", value);
    // Shorten to the fewest digits that round-trip, as JavaScript does.
    for (int precision = 1; precision <= 17; ++precision) {
        char candidate[64];
        (void)std::snprintf(candidate, sizeof(candidate), "%.*g", precision, value);
        if (std::strtod(candidate, nullptr) == value) {
            return candidate;
        }
    }
    return buffer;
}

} // namespace lumos
