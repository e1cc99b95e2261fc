// SPDX-License-Identifier: MPL-2.0
#pragma once

// Address helpers with the exact acceptance rules of SmartOS's ip.js, node's net.isIPv4/isIPv6
// and the macaddr module, which the NIC and route checks are written against.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lumos::props::detail {

// net.isIPv4: four decimal octets 0-255, no leading zeros, nothing else.
bool is_ipv4(std::string_view text);
// net.isIPv6 (an optional %zone suffix is allowed, as libuv's inet_pton allows it).
bool is_ipv6(std::string_view text);
std::optional<uint32_t> ipv4_to_number(std::string_view text);

// "dhcp" or "addrconf" (ip.js NIC_AUTOCONFIG).
bool is_autoconfig(std::string_view text);
// ip.js isIPv4Netmask: an IPv4 literal whose bits are contiguous ones then zeros.
bool is_ipv4_netmask(std::string_view text);
int netmask_to_bits(std::string_view netmask);
std::string bits_to_netmask(int bits);
// ip.js bitsToNetmask for a prefix parsed with Number(): NaN gives 255.255.255.255, as there.
std::string prefix_netmask(double prefix);

// ip.js isCIDRv4: "<ipv4>/<8-32>" (the prefix read with parseInt).
bool is_cidr_v4(std::string_view text);
// ip.js isCIDR: IPv4 with prefix 8-32 or IPv6 with prefix 0-128.
bool is_cidr(std::string_view text);
// ip.js isCIDRInput: "dhcp", "addrconf" or isCIDR.
bool is_cidr_input(std::string_view text);

struct SplitCidr {
    std::string ip;
    std::optional<double> prefix; // Number(<after the slash>), may be NaN
};
// ip.js splitCIDR: splits on the only '/', else the whole text is the address.
SplitCidr split_cidr(std::string_view text);

// SmartOS's isPrivateIP: an IPv4 literal in 10/8, 172.16/12 or 192.168/16.
bool is_private_ip(std::string_view text);

// The macaddr module's parse: six 1-2 digit hex octets separated by ':' or '-' (one separator
// kind), or twelve hex digits. Returns the canonical lower-case, zero-padded form.
std::optional<std::string> parse_mac(std::string_view text);

// A MAC as SmartOS compares it: its canonical form when parseable, else the text unchanged.
std::string canonical_mac(std::string_view text);

// utils.vrrpMAC: 00:00:5e:00:01:<vrid as two hex digits>.
std::string vrrp_mac(long long vrid);

} // namespace lumos::props::detail
