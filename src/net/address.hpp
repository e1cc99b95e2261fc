// SPDX-License-Identifier: MPL-2.0
// Link-layer and IP addresses as values: parsed from and formatted to the text SmartOS payloads
// and nic tags use. Pure: no I/O.
#pragma once

#include "base/result.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lumos::net {

// An Ethernet MAC address.
struct MacAddress {
    std::array<std::uint8_t, 6> bytes {};

    // Six hex octets separated by ':' (or '-'), one or two digits each, any case:
    // "2:8:20:ab:CD:ef" is 02:08:20:ab:cd:ef, as SmartOS normalizes a nic tag's MAC.
    static Result<MacAddress> parse(std::string_view text);

    // Lower case, two digits per octet: "02:08:20:ab:cd:ef".
    std::string str() const;
    // The group bit (a multicast or broadcast address cannot be a NIC's).
    bool is_multicast() const { return (bytes[0] & 0x01U) != 0; }
    bool is_zero() const;

    friend bool operator==(MacAddress const&, MacAddress const&) = default;
};

enum class IpFamily {
    V4,
    V6,
};

// An IPv4 or IPv6 address (network byte order, the first 4 bytes for IPv4).
struct IpAddress {
    IpFamily family = IpFamily::V4;
    std::array<std::uint8_t, 16> bytes {};

    static Result<IpAddress> parse(std::string_view text);
    std::string str() const;
    std::size_t size() const { return family == IpFamily::V4 ? 4 : 16; }
    int max_prefix() const { return family == IpFamily::V4 ? 32 : 128; }

    friend bool operator==(IpAddress const&, IpAddress const&) = default;
};

// An address with its prefix length: "10.0.0.2/24", "fd00::2/64". The address keeps its host
// bits (an interface address); network() clears them (a route's destination).
struct IpPrefix {
    IpAddress address;
    int length = 0;

    // "<address>/<length>"; without "/<length>" the whole address (/32, /128).
    static Result<IpPrefix> parse(std::string_view text);
    std::string str() const;
    IpPrefix network() const;

    friend bool operator==(IpPrefix const&, IpPrefix const&) = default;
};

// A Linux interface name the kernel takes: 1 to 15 bytes, not "." or "..", no '/', ':', NUL or
// whitespace (dev_valid_name; ':' is refused too, it is an alias separator for old tools).
Result<void> check_link_name(std::string_view name);

} // namespace lumos::net
