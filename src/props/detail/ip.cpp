// SPDX-License-Identifier: MPL-2.0
#include "props/detail/ip.hpp"

#include "base/strings.hpp"
#include "props/detail/javascript.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <arpa/inet.h>

namespace lumos::props::detail {

namespace {

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Splits "<left>/<right>" when there is exactly one '/' (JavaScript's split('/') of length 2).
std::optional<std::pair<std::string_view, std::string_view>> split_once(std::string_view text)
{
    size_t const slash = text.find('/');
    if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return std::make_pair(text.substr(0, slash), text.substr(slash + 1));
}

} // namespace

std::optional<uint32_t> ipv4_to_number(std::string_view text)
{
    uint32_t result = 0;
    int octets = 0;
    size_t pos = 0;
    while (true) {
        size_t const start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            ++pos;
        }
        size_t const length = pos - start;
        if (length == 0 || length > 3 || (length > 1 && text[start] == '0')) {
            return std::nullopt;
        }
        unsigned value = 0;
        for (size_t i = start; i < pos; ++i) {
            value = value * 10U + static_cast<unsigned>(text[i] - '0');
        }
        if (value > 255U) {
            return std::nullopt;
        }
        result = (result << 8U) | value;
        ++octets;
        if (octets == 4) {
            break;
        }
        if (pos >= text.size() || text[pos] != '.') {
            return std::nullopt;
        }
        ++pos;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    return result;
}

bool is_ipv4(std::string_view text)
{
    return ipv4_to_number(text).has_value();
}

bool is_ipv6(std::string_view text)
{
    size_t const zone = text.find('%');
    std::string const address(text.substr(0, zone));
    if (address.empty() || address.find('\0') != std::string::npos) {
        return false;
    }
    std::array<unsigned char, 16> buffer {};
    return inet_pton(AF_INET6, address.c_str(), buffer.data()) == 1;
}

bool is_autoconfig(std::string_view text)
{
    return text == "dhcp" || text == "addrconf";
}

bool is_ipv4_netmask(std::string_view text)
{
    auto const number = ipv4_to_number(text);
    if (!number) {
        return false;
    }
    uint32_t const inverse = ~*number;
    return ((inverse + 1U) & inverse) == 0U;
}

int netmask_to_bits(std::string_view netmask)
{
    uint32_t number = ~ipv4_to_number(netmask).value_or(0U);
    int bits = 0;
    for (bits = 0; bits < 32; ++bits) {
        if (number == 0U) {
            break;
        }
        number >>= 1U;
    }
    return 32 - bits;
}

std::string bits_to_netmask(int bits)
{
    if (bits < 0) {
        bits = 0;
    }
    if (bits > 32) {
        bits = 32;
    }
    uint32_t const mask
        = bits == 0 ? 0U : static_cast<uint32_t>(0xffffffffULL << static_cast<unsigned>(32 - bits));
    return std::to_string((mask >> 24U) & 0xffU) + "." + std::to_string((mask >> 16U) & 0xffU) + "."
        + std::to_string((mask >> 8U) & 0xffU) + "." + std::to_string(mask & 0xffU);
}

std::string prefix_netmask(double prefix)
{
    if (!std::isfinite(prefix)) {
        return bits_to_netmask(32);
    }
    return bits_to_netmask(static_cast<int>(std::clamp(prefix, 0.0, 32.0)));
}

bool is_cidr_v4(std::string_view text)
{
    auto const parts = split_once(text);
    if (!parts) {
        return false;
    }
    // NaN fails both comparisons.
    double const prefix = js_parse_int(parts->second, 10);
    return is_ipv4(parts->first) && prefix >= 8 && prefix <= 32;
}

bool is_cidr(std::string_view text)
{
    auto const parts = split_once(text);
    if (!parts) {
        return false;
    }
    double const prefix = js_parse_int(parts->second, 10);
    if (std::isnan(prefix)) {
        return false;
    }
    if (is_ipv4(parts->first)) {
        return prefix >= 8 && prefix <= 32;
    }
    if (is_ipv6(parts->first)) {
        return prefix >= 0 && prefix <= 128;
    }
    return false;
}

bool is_cidr_input(std::string_view text)
{
    return is_autoconfig(text) || is_cidr(text);
}

SplitCidr split_cidr(std::string_view text)
{
    auto const parts = split_once(text);
    if (!parts) {
        return SplitCidr { std::string(text), std::nullopt };
    }
    return SplitCidr { std::string(parts->first), string_to_number(parts->second) };
}

bool is_private_ip(std::string_view text)
{
    auto const number = ipv4_to_number(text);
    if (!number) {
        return false;
    }
    auto const in_range
        = [&](uint32_t first, uint32_t last) { return *number >= first && *number <= last; };
    return in_range(0x0a000000U, 0x0affffffU) || in_range(0xac100000U, 0xac1fffffU)
        || in_range(0xc0a80000U, 0xc0a8ffffU);
}

std::optional<std::string> parse_mac(std::string_view text)
{
    std::vector<int> octets;
    char separator = 0;
    std::string digits;
    auto const flush = [&]() {
        if (digits.empty() || digits.size() > 2 || octets.size() >= 6) {
            return false;
        }
        int value = 0;
        for (char const c : digits) {
            value = value * 16 + hex_value(c);
        }
        octets.push_back(value);
        digits.clear();
        return true;
    };
    bool saw_separator = false;
    for (char const c : text) {
        bool const is_separator = separator != 0 ? c == separator : (c == ':' || c == '-');
        if (is_separator) {
            separator = c;
            saw_separator = true;
            if (!flush()) {
                return std::nullopt;
            }
        } else if (hex_value(c) >= 0) {
            digits.push_back(c);
        } else {
            return std::nullopt;
        }
    }
    if (!saw_separator) {
        if (digits.size() != 12) {
            return std::nullopt;
        }
        for (size_t i = 0; i < 12; i += 2) {
            octets.push_back(hex_value(digits[i]) * 16 + hex_value(digits[i + 1]));
        }
    } else {
        // A trailing separator leaves no digits, which flush() refuses.
        if (!flush() || octets.size() != 6) {
            return std::nullopt;
        }
    }
    std::string result;
    for (size_t i = 0; i < octets.size(); ++i) {
        std::array<char, 4> buffer {};
        (void)std::snprintf(buffer.data(), buffer.size(), "%02x", static_cast<unsigned>(octets[i]));
        if (i != 0) {
            result.push_back(':');
        }
        result += buffer.data();
    }
    return result;
}

std::string canonical_mac(std::string_view text)
{
    auto parsed = parse_mac(text);
    return parsed ? std::move(*parsed) : std::string(text);
}

std::string vrrp_mac(long long vrid)
{
    std::array<char, 8> buffer {};
    (void)std::snprintf(
        buffer.data(), buffer.size(), "%02llx", static_cast<unsigned long long>(vrid) & 0xffULL);
    return std::string("00:00:5e:00:01:") + buffer.data();
}

} // namespace lumos::props::detail
