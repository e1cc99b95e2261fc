// SPDX-License-Identifier: MPL-2.0
#include "net/address.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include <arpa/inet.h>

namespace lumos::net {
namespace {

int hex_digit(char c)
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

Error bad(std::string_view what, std::string_view text)
{
    return Error(ErrorCode::InvalidArgument,
        "invalid " + std::string(what) + " \"" + std::string(text) + "\"");
}

} // namespace

Result<MacAddress> MacAddress::parse(std::string_view text)
{
    MacAddress mac;
    std::size_t pos = 0;
    char separator = '\0';
    for (std::size_t octet = 0; octet < mac.bytes.size(); ++octet) {
        if (octet > 0) {
            if (pos >= text.size() || (text[pos] != ':' && text[pos] != '-')
                || (separator != '\0' && text[pos] != separator)) {
                return tl::unexpected(bad("MAC address", text));
            }
            separator = text[pos];
            ++pos;
        }
        unsigned value = 0;
        std::size_t digits = 0;
        while (pos < text.size() && digits < 2 && hex_digit(text[pos]) >= 0) {
            value = value * 16 + static_cast<unsigned>(hex_digit(text[pos]));
            ++pos;
            ++digits;
        }
        if (digits == 0) {
            return tl::unexpected(bad("MAC address", text));
        }
        mac.bytes.at(octet) = static_cast<std::uint8_t>(value);
    }
    if (pos != text.size()) {
        return tl::unexpected(bad("MAC address", text));
    }
    return mac;
}

std::string MacAddress::str() const
{
    std::array<char, 18> text {};
    (void)std::snprintf(text.data(), text.size(), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0],
        bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]);
    return std::string(text.data());
}

bool MacAddress::is_zero() const
{
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
}

Result<IpAddress> IpAddress::parse(std::string_view text)
{
    // inet_pton wants a NUL-terminated string; an embedded NUL must not cut the text short.
    if (text.empty() || text.size() > INET6_ADDRSTRLEN
        || text.find('\0') != std::string_view::npos) {
        return tl::unexpected(bad("IP address", text));
    }
    std::string const copy(text);
    IpAddress address;
    if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
        address.family = IpFamily::V4;
        return address;
    }
    if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
        address.family = IpFamily::V6;
        return address;
    }
    return tl::unexpected(bad("IP address", text));
}

std::string IpAddress::str() const
{
    std::array<char, INET6_ADDRSTRLEN> text {};
    int const af = family == IpFamily::V4 ? AF_INET : AF_INET6;
    if (::inet_ntop(af, bytes.data(), text.data(), text.size()) == nullptr) {
        return "?";
    }
    return std::string(text.data());
}

Result<IpPrefix> IpPrefix::parse(std::string_view text)
{
    auto const slash = text.find('/');
    TRY_ASSIGN(address, IpAddress::parse(text.substr(0, slash)));
    IpPrefix prefix { address, address.max_prefix() };
    if (slash == std::string_view::npos) {
        return prefix;
    }
    auto const digits = text.substr(slash + 1);
    int length = -1;
    auto const* end = digits.data() + digits.size();
    auto const [ptr, ec] = std::from_chars(digits.data(), end, length);
    if (digits.empty() || digits.size() > 3 || ec != std::errc() || ptr != end || length < 0
        || length > address.max_prefix()) {
        return tl::unexpected(bad("IP prefix", text));
    }
    prefix.length = length;
    return prefix;
}

std::string IpPrefix::str() const
{
    return address.str() + "/" + std::to_string(length);
}

IpPrefix IpPrefix::network() const
{
    IpPrefix out = *this;
    for (std::size_t i = 0; i < out.address.size(); ++i) {
        int const bits = std::clamp(length - static_cast<int>(i) * 8, 0, 8);
        auto const mask = static_cast<std::uint8_t>(0xFFU << (8 - bits));
        out.address.bytes.at(i) = static_cast<std::uint8_t>(out.address.bytes.at(i) & mask);
    }
    return out;
}

Result<void> check_link_name(std::string_view name)
{
    constexpr std::size_t MAX_NAME = 15; // IFNAMSIZ - 1
    bool const bad_char = std::any_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == ':' || c == '\0' || c == ' ' || (c >= '\t' && c <= '\r');
    });
    if (name.empty() || name.size() > MAX_NAME || name == "." || name == ".." || bad_char) {
        return make_error(ErrorCode::InvalidArgument,
            "invalid link name \"" + std::string(name)
                + "\" (1 to 15 bytes, no '/', ':' or space)");
    }
    return {};
}

} // namespace lumos::net
