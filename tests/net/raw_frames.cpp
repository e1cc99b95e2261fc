// SPDX-License-Identifier: MPL-2.0
#include "raw_frames.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>

#include <net/if.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lumos::net::test {

namespace {

void put16(Frame& frame, std::uint16_t value)
{
    frame.push_back(static_cast<std::uint8_t>(value >> 8U));
    frame.push_back(static_cast<std::uint8_t>(value & 0xffU));
}

void put(Frame& frame, std::uint8_t const* bytes, std::size_t size)
{
    frame.insert(frame.end(), bytes, bytes + size);
}

void put_ip(Frame& frame, IpAddress const& ip)
{
    put(frame, ip.bytes.data(), ip.size());
}

std::uint16_t checksum(Frame const& bytes, std::size_t from, std::size_t size)
{
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < size; i += 2) {
        sum += static_cast<std::uint32_t>(bytes[from + i] << 8U) | bytes[from + i + 1];
    }
    while ((sum >> 16U) != 0) {
        sum = (sum & 0xffffU) + (sum >> 16U);
    }
    return static_cast<std::uint16_t>(~sum & 0xffffU);
}

Frame udp(std::uint16_t source_port, std::uint16_t destination_port, Tag const& tag)
{
    Frame datagram;
    put16(datagram, source_port);
    put16(datagram, destination_port);
    put16(datagram, static_cast<std::uint16_t>(8 + tag.size()));
    put16(datagram, 0);
    put(datagram, tag.data(), tag.size());
    return datagram;
}

} // namespace

Tag make_tag()
{
    static std::atomic<std::uint32_t> next { 1 };
    Tag tag {};
    std::uint32_t const id = next++;
    auto const pid = static_cast<std::uint32_t>(::getpid());
    for (std::size_t i = 0; i < tag.size(); ++i) {
        tag.at(i) = static_cast<std::uint8_t>(0xa5U ^ (i * 29U));
    }
    for (std::size_t i = 0; i < 4; ++i) {
        tag.at(8 + i) = static_cast<std::uint8_t>(id >> (8U * i));
        tag.at(12 + i) = static_cast<std::uint8_t>(pid >> (8U * i));
    }
    return tag;
}

MacAddress broadcast_mac()
{
    MacAddress mac;
    mac.bytes.fill(0xff);
    return mac;
}

Frame ethernet(MacAddress const& destination, MacAddress const& source, std::uint16_t type,
    Frame const& payload)
{
    Frame frame;
    put(frame, destination.bytes.data(), destination.bytes.size());
    put(frame, source.bytes.data(), source.bytes.size());
    put16(frame, type);
    frame.insert(frame.end(), payload.begin(), payload.end());
    if (frame.size() < 60) {
        frame.resize(60, 0);
    }
    return frame;
}

Frame ipv4_udp(IpAddress const& source, IpAddress const& destination, std::uint16_t source_port,
    std::uint16_t destination_port, Tag const& tag)
{
    Frame const datagram = udp(source_port, destination_port, tag);
    Frame packet;
    packet.push_back(0x45); // version 4, 5 words of header
    packet.push_back(0);
    put16(packet, static_cast<std::uint16_t>(20 + datagram.size()));
    put16(packet, 0); // id
    put16(packet, 0x4000); // don't fragment
    packet.push_back(64); // ttl
    packet.push_back(17); // udp
    put16(packet, 0); // checksum, below
    put_ip(packet, source);
    put_ip(packet, destination);
    std::uint16_t const sum = checksum(packet, 0, 20);
    packet[10] = static_cast<std::uint8_t>(sum >> 8U);
    packet[11] = static_cast<std::uint8_t>(sum & 0xffU);
    packet.insert(packet.end(), datagram.begin(), datagram.end());
    return packet;
}

Frame ipv6_udp(IpAddress const& source, IpAddress const& destination, std::uint16_t source_port,
    std::uint16_t destination_port, Tag const& tag)
{
    Frame const datagram = udp(source_port, destination_port, tag);
    Frame packet;
    put16(packet, 0x6000); // version 6
    put16(packet, 0);
    put16(packet, static_cast<std::uint16_t>(datagram.size()));
    packet.push_back(17); // udp
    packet.push_back(1); // hop limit
    put_ip(packet, source);
    put_ip(packet, destination);
    packet.insert(packet.end(), datagram.begin(), datagram.end());
    return packet;
}

Frame neighbor_advert(IpAddress const& source, IpAddress const& target, Tag const& tag)
{
    Frame message;
    message.push_back(136); // neighbour advertisement
    message.push_back(0);
    put16(message, 0); // checksum: no receiver here checks it
    put16(message, 0x2000); // override
    put16(message, 0);
    put_ip(message, target);
    put(message, tag.data(), tag.size());
    Frame packet;
    put16(packet, 0x6000);
    put16(packet, 0);
    put16(packet, static_cast<std::uint16_t>(message.size()));
    packet.push_back(58); // icmpv6
    packet.push_back(255); // hop limit, as neighbour discovery requires
    put_ip(packet, source);
    put_ip(packet, IpAddress::parse("ff02::1").value());
    packet.insert(packet.end(), message.begin(), message.end());
    return packet;
}

Frame arp_request(MacAddress const& sender_mac, IpAddress const& sender_ip,
    IpAddress const& target_ip, Tag const& tag)
{
    Frame packet;
    put16(packet, 1); // Ethernet
    put16(packet, 0x0800); // IPv4
    packet.push_back(6);
    packet.push_back(4);
    put16(packet, 1); // request
    put(packet, sender_mac.bytes.data(), sender_mac.bytes.size());
    put_ip(packet, sender_ip);
    packet.insert(packet.end(), 6, 0);
    put_ip(packet, target_ip);
    put(packet, tag.data(), tag.size());
    return packet;
}

Frame vlan(std::uint16_t vid, std::uint16_t inner_type, Frame const& payload)
{
    Frame frame;
    put16(frame, vid);
    put16(frame, inner_type);
    frame.insert(frame.end(), payload.begin(), payload.end());
    return frame;
}

Result<UniqueFd> packet_socket(Netns const& netns, std::string const& link, bool receive)
{
    UniqueFd socket;
    TRY(in_netns(netns, [&]() -> Result<void> {
        std::uint16_t const protocol = receive ? htons(ETH_P_ALL) : 0;
        socket = UniqueFd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, protocol));
        if (socket.get() < 0) {
            return tl::unexpected(Error::from_errno("socket(AF_PACKET)", errno));
        }
        unsigned const index = ::if_nametoindex(link.c_str());
        if (index == 0) {
            return tl::unexpected(Error::from_errno("if_nametoindex " + link, errno));
        }
        sockaddr_ll address {};
        address.sll_family = AF_PACKET;
        address.sll_protocol = protocol;
        address.sll_ifindex = static_cast<int>(index);
        if (::bind(socket.get(), reinterpret_cast<sockaddr const*>(&address), sizeof address)
            != 0) {
            return tl::unexpected(Error::from_errno("bind AF_PACKET to " + link, errno));
        }
        return {};
    }));
    return socket;
}

Result<void> send_frame(int socket, Frame const& frame)
{
    ssize_t const sent = ::send(socket, frame.data(), frame.size(), 0);
    if (sent != static_cast<ssize_t>(frame.size())) {
        return tl::unexpected(Error::from_errno("send a raw frame", errno));
    }
    return {};
}

Seen wait_for(int socket, Tag const& tag, Tag const& marker)
{
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::array<std::uint8_t, 2048> buffer {};
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd ready { .fd = socket, .events = POLLIN, .revents = 0 };
        if (::poll(&ready, 1, 200) <= 0) {
            continue;
        }
        ssize_t const size = ::recv(socket, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (size <= 0) {
            continue;
        }
        auto const end = buffer.begin() + size;
        if (std::search(buffer.begin(), end, tag.begin(), tag.end()) != end) {
            return Seen::Tagged;
        }
        if (std::search(buffer.begin(), end, marker.begin(), marker.end()) != end) {
            return Seen::Marker;
        }
    }
    return Seen::Nothing;
}

} // namespace lumos::net::test
