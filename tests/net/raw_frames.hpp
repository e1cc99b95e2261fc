// SPDX-License-Identifier: MPL-2.0
// Hand-made Ethernet frames, sent and received through AF_PACKET sockets opened inside a test
// namespace (on an in_netns thread: the socket stays in that namespace after the thread ends).
// Every frame carries a tag, 16 bytes the receiver looks for among whatever else the link
// carries (neighbour discovery, MLD).
#pragma once

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "net/address.hpp"
#include "net/netns.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lumos::net::test {

using Frame = std::vector<std::uint8_t>;
using Tag = std::array<std::uint8_t, 16>;

// A new tag, different from every other of this process.
Tag make_tag();

inline constexpr std::uint16_t ETH_TYPE_IPV4 = 0x0800;
inline constexpr std::uint16_t ETH_TYPE_ARP = 0x0806;
inline constexpr std::uint16_t ETH_TYPE_IPV6 = 0x86dd;
inline constexpr std::uint16_t ETH_TYPE_VLAN = 0x8100;
inline constexpr std::uint16_t ETH_TYPE_LOCAL = 0x88b5; // IEEE local experimental

MacAddress broadcast_mac();

// Ethernet header + payload, padded to the 60-byte minimum.
Frame ethernet(MacAddress const& destination, MacAddress const& source, std::uint16_t type,
    Frame const& payload);
// An IPv4 UDP datagram (header checksum filled in, UDP checksum 0) whose data is the tag.
Frame ipv4_udp(IpAddress const& source, IpAddress const& destination, std::uint16_t source_port,
    std::uint16_t destination_port, Tag const& tag);
// An IPv6 UDP datagram (hop limit 1) whose data is the tag.
Frame ipv6_udp(IpAddress const& source, IpAddress const& destination, std::uint16_t source_port,
    std::uint16_t destination_port, Tag const& tag);
// An IPv6 neighbour advertisement for target (override flag set), the tag after it.
Frame neighbor_advert(IpAddress const& source, IpAddress const& target, Tag const& tag);
// An ARP request, Ethernet/IPv4 (a gratuitous one when sender_ip == target_ip), the tag after it.
Frame arp_request(MacAddress const& sender_mac, IpAddress const& sender_ip,
    IpAddress const& target_ip, Tag const& tag);
// A VLAN header (TCI vid) in front of inner_type and payload: goes after ethernet type 0x8100.
Frame vlan(std::uint16_t vid, std::uint16_t inner_type, Frame const& payload);

// An AF_PACKET socket on link in netns: it sends raw frames and, with receive, gets a copy of
// every frame the link receives from its opening on.
Result<UniqueFd> packet_socket(Netns const& netns, std::string const& link, bool receive);
Result<void> send_frame(int socket, Frame const& frame);

enum class Seen {
    Tagged,
    Marker,
    Nothing, // neither within 5 seconds
};
// Reads frames from a receiving socket until one carries tag or marker.
Seen wait_for(int socket, Tag const& tag, Tag const& marker);

} // namespace lumos::net::test
