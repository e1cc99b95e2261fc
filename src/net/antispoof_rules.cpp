// SPDX-License-Identifier: MPL-2.0
// The pure half of anti-spoofing: a VnicFilter as libnftables JSON commands, and the counters
// read back from a listing. No I/O.
#include "net/antispoof.hpp"
#include "net/names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace lumos::net::detail {

namespace {

using nlohmann::json;

constexpr std::string_view FAMILY = FILTER_FAMILY;
// The checks live in a regular chain; the two base chains jump to it for the host link's frames.
constexpr std::string_view CHAIN = "checks";

// The table's named counters, one per kind of drop (VnicFilterCounters' fields). Not "ip" or
// "mac": those are keywords of nft's text syntax, and `nft list` would print a table it cannot
// read back.
constexpr std::string_view MAC = "spoofed_mac";
constexpr std::string_view IP = "spoofed_ip";
constexpr std::string_view ARP = "spoofed_arp";
constexpr std::string_view DHCP_SERVER = "dhcp_server";
constexpr std::string_view RESTRICTED = "restricted";
constexpr std::array<std::string_view, 5> COUNTERS = { MAC, IP, ARP, DHCP_SERVER, RESTRICTED };

json payload(std::string_view protocol, std::string_view field)
{
    return { { "payload", { { "protocol", protocol }, { "field", field } } } };
}

json match(std::string_view op, json left, json right)
{
    return { { "match",
        { { "op", op }, { "left", std::move(left) }, { "right", std::move(right) } } } };
}

json meta_protocol(std::string_view protocol)
{
    return match("==", { { "meta", { { "key", "protocol" } } } }, protocol);
}

json counted_drop(std::string_view counter)
{
    return { { { "counter", counter } }, { { "drop", nullptr } } };
}

json address(IpAddress const& ip)
{
    return ip.str();
}

json network(IpPrefix const& prefix)
{
    if (prefix.length == prefix.address.max_prefix()) {
        return prefix.address.str();
    }
    IpPrefix const net = prefix.network();
    return { { "prefix", { { "addr", net.address.str() }, { "len", net.length } } } };
}

// The sources of one family the guest may use: its own addresses, allowed_ips, and extra (0.0.0.0
// for ARP probes, :: and the link-local address for IPv6). An anonymous set: nft merges
// overlapping networks itself.
json sources(VnicFilter const& filter, IpFamily family, std::vector<IpAddress> const& extra)
{
    json set = json::array();
    for (IpAddress const& ip : filter.ips) {
        if (ip.family == family) {
            set.push_back(address(ip));
        }
    }
    for (IpPrefix const& prefix : filter.allowed_ips) {
        if (prefix.address.family == family) {
            set.push_back(network(prefix));
        }
    }
    for (IpAddress const& ip : extra) {
        set.push_back(address(ip));
    }
    return { { "set", std::move(set) } };
}

json accept()
{
    return { { "accept", nullptr } };
}

json rule(std::string const& table, json expr, std::string_view chain = CHAIN)
{
    return { { "add",
        { { "rule",
            { { "family", FAMILY }, { "table", table }, { "chain", chain },
                { "expr", std::move(expr) } } } } } };
}

void add_base_chain(json& commands, std::string const& table, std::string_view hook)
{
    commands.push_back({ { "add",
        { { "chain",
            { { "family", FAMILY }, { "table", table }, { "name", hook }, { "type", "filter" },
                { "hook", hook }, { "prio", -200 }, { "policy", "accept" } } } } } });
}

json with_drop(json expr, std::string_view counter)
{
    for (json& statement : counted_drop(counter)) {
        expr.push_back(std::move(statement));
    }
    return expr;
}

IpAddress unspecified(IpFamily family)
{
    return IpAddress { .family = family, .bytes = {} };
}

void add_mac_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    if (filter.allow_mac_spoofing) {
        return;
    }
    commands.push_back(rule(table,
        with_drop(json::array({ match("!=", payload("ether", "saddr"), filter.mac.str()) }), MAC)));
}

void add_restricted_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    if (filter.allow_restricted_traffic) {
        return;
    }
    // `ether type` reads the frame as sent: nft puts back a VLAN tag the kernel took off on
    // receive, so 802.1Q frames are restricted too. (The IP rules go by the protocol inside.)
    commands.push_back(rule(table,
        with_drop(json::array({ match("!=", payload("ether", "type"),
                      { { "set", json::array({ "ip", "ip6", "arp" }) } }) }),
            RESTRICTED)));
}

void add_arp_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    if (filter.allow_mac_spoofing && filter.allow_ip_spoofing) {
        return;
    }
    // The checks below read the Ethernet/IPv4 layout; any other ARP (hardware type 1, protocol
    // 0x0800, lengths 6 and 4 are the first 6 bytes) would put its addresses elsewhere.
    json const raw_header = { { "payload", { { "base", "nh" }, { "offset", 0 }, { "len", 48 } } } };
    commands.push_back(rule(table,
        with_drop(json::array({ meta_protocol("arp"), match("!=", raw_header, 0x000108000604ULL) }),
            ARP)));
    if (!filter.allow_mac_spoofing) {
        commands.push_back(rule(table,
            with_drop(json::array({ match("!=", payload("arp", "saddr ether"), filter.mac.str()) }),
                ARP)));
    }
    if (!filter.allow_ip_spoofing) {
        // 0.0.0.0 is an address probe (RFC 5227); anything else, gratuitous ARP included, must
        // be an address the guest may use.
        commands.push_back(rule(table,
            with_drop(json::array({ match("!=", payload("arp", "saddr ip"),
                          sources(filter, IpFamily::V4, { unspecified(IpFamily::V4) })) }),
                ARP)));
    }
}

void add_dhcp_server_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    if (filter.allow_dhcp_spoofing || filter.dhcp_server) {
        return;
    }
    // A DHCP server (or relay) sends from port 67, a DHCPv6 one from 547; clients never do.
    commands.push_back(rule(table,
        with_drop(json::array({ match(
                      "==", payload("udp", "sport"), { { "set", json::array({ 67, 547 }) } }) }),
            DHCP_SERVER)));
}

// The low 64 bits of the link-local address: what SLAAC puts under any prefix.
IpAddress interface_id(MacAddress const& mac)
{
    IpAddress id = link_local_address(mac);
    std::fill(id.bytes.begin(), id.bytes.begin() + 8, std::uint8_t { 0 });
    return id;
}

// IPv6: its addresses, :: (duplicate address detection) and the link-local address made from
// its MAC, as illumos' ip-nospoof allows; with addrconf, any address with the MAC's interface id.
void add_ipv6_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    json expr = json::array({ match("!=", payload("ip6", "saddr"),
        sources(filter, IpFamily::V6,
            { unspecified(IpFamily::V6), link_local_address(filter.mac) })) });
    if (filter.addrconf) {
        IpAddress mask = unspecified(IpFamily::V6);
        std::fill(mask.bytes.begin() + 8, mask.bytes.end(), std::uint8_t { 0xff });
        expr.push_back(
            match("!=", { { "&", json::array({ payload("ip6", "saddr"), mask.str() }) } },
                interface_id(filter.mac).str()));
    }
    commands.push_back(rule(table, with_drop(std::move(expr), IP)));
}

// bytes as the hex integer literal nft takes for a raw payload ("0x" and two digits a byte).
std::string hex(std::uint8_t const* bytes, std::size_t size)
{
    static constexpr char DIGITS[] = "0123456789abcdef";
    std::string text = "0x";
    for (std::size_t i = 0; i < size; ++i) {
        text += DIGITS[bytes[i] >> 4U];
        text += DIGITS[bytes[i] & 0x0fU];
    }
    return text;
}

// The IPv6 sources of sources() as 128-bit integers (networks as ranges), for a raw payload:
// nftables 1.0.6 has no field for a neighbour advertisement's target.
json raw_v6_sources(VnicFilter const& filter)
{
    json set = json::array();
    auto add = [&](IpAddress const& ip) { set.push_back(hex(ip.bytes.data(), ip.bytes.size())); };
    for (IpAddress const& ip : filter.ips) {
        if (ip.family == IpFamily::V6) {
            add(ip);
        }
    }
    for (IpPrefix const& prefix : filter.allowed_ips) {
        if (prefix.address.family != IpFamily::V6) {
            continue;
        }
        IpAddress const low = prefix.network().address;
        IpAddress high = low;
        for (int bit = prefix.length; bit < 128; ++bit) {
            auto const byte = static_cast<std::size_t>(bit / 8);
            high.bytes.at(byte)
                = static_cast<std::uint8_t>(high.bytes.at(byte) | (0x80U >> (bit % 8)));
        }
        set.push_back({ { "range",
            json::array({ hex(low.bytes.data(), 16), hex(high.bytes.data(), 16) }) } });
    }
    add(link_local_address(filter.mac));
    return { { "set", std::move(set) } };
}

// A neighbour advertisement is IPv6's ARP reply: one for an address the guest may not use
// poisons its neighbours' caches (illumos' ip-nospoof checks its target the same way).
void add_neighbor_advert_rule(json& commands, std::string const& table, VnicFilter const& filter)
{
    // The target address: 16 bytes after type, code, checksum and flags.
    json const target = { { "payload", { { "base", "th" }, { "offset", 64 }, { "len", 128 } } } };
    json expr = json::array({ match("==", payload("icmpv6", "type"), "nd-neighbor-advert"),
        match("!=", target, raw_v6_sources(filter)) });
    if (filter.addrconf) {
        IpAddress const id = interface_id(filter.mac);
        json const target_id
            = { { "payload", { { "base", "th" }, { "offset", 128 }, { "len", 64 } } } };
        expr.push_back(match("!=", target_id, hex(id.bytes.data() + 8, 8)));
    }
    commands.push_back(rule(table, with_drop(std::move(expr), IP)));
}

void add_ip_rules(json& commands, std::string const& table, VnicFilter const& filter)
{
    if (filter.allow_ip_spoofing) {
        return;
    }
    // A DHCP client before its lease: the one IPv4 packet allowed from no address. accept ends
    // the chain, so this comes after every other kind of check.
    commands.push_back(rule(table,
        json::array({ match("==", payload("ip", "saddr"), "0.0.0.0"),
            match("==", payload("udp", "sport"), 68), match("==", payload("udp", "dport"), 67),
            { { "accept", nullptr } } })));
    json const v4 = sources(filter, IpFamily::V4, {});
    if (v4["set"].empty()) {
        commands.push_back(rule(table, with_drop(json::array({ meta_protocol("ip") }), IP)));
    } else {
        commands.push_back(
            rule(table, with_drop(json::array({ match("!=", payload("ip", "saddr"), v4) }), IP)));
    }
    add_ipv6_rules(commands, table, filter);
    add_neighbor_advert_rule(commands, table, filter);
}

Result<void> check(VnicFilter const& filter)
{
    TRY(check_link_name(filter.host_link));
    if (filter.mac.is_zero() || filter.mac.is_multicast()) {
        return make_error(ErrorCode::InvalidArgument,
            "MAC " + filter.mac.str() + " cannot be a NIC's (zero or multicast)");
    }
    for (IpPrefix const& prefix : filter.allowed_ips) {
        if (prefix.length < 0 || prefix.length > prefix.address.max_prefix()) {
            return make_error(ErrorCode::InvalidArgument, "bad allowed_ips prefix " + prefix.str());
        }
    }
    return {};
}

} // namespace

IpAddress link_local_address(MacAddress const& mac)
{
    IpAddress ip { .family = IpFamily::V6, .bytes = {} };
    ip.bytes[0] = 0xfe;
    ip.bytes[1] = 0x80;
    ip.bytes[8] = static_cast<std::uint8_t>(mac.bytes[0] ^ 0x02U); // the universal/local bit
    ip.bytes[9] = mac.bytes[1];
    ip.bytes[10] = mac.bytes[2];
    ip.bytes[11] = 0xff;
    ip.bytes[12] = 0xfe;
    ip.bytes[13] = mac.bytes[3];
    ip.bytes[14] = mac.bytes[4];
    ip.bytes[15] = mac.bytes[5];
    return ip;
}

Result<nlohmann::json> vnic_filter_commands(VnicFilter const& filter)
{
    TRY(check(filter));
    std::string const table = filter_table_name(filter.host_link);
    json const table_ref = { { "family", FAMILY }, { "name", table } };
    // add + flush + the whole chain in one transaction: a replace never leaves the link without
    // rules, and the named counters (objects, which flush keeps) go on counting.
    json commands = json::array({ { { "add", { { "table", table_ref } } } },
        { { "flush", { { "table", table_ref } } } },
        { { "add",
            { { "chain", { { "family", FAMILY }, { "table", table }, { "name", CHAIN } } } } } } });
    // Every VNIC's table sees every bridged frame: the others' frames leave at once. accept ends
    // this chain only; the hook goes on to the other tables.
    json const other_link = match("!=", { { "meta", { { "key", "iifname" } } } }, filter.host_link);
    json const checks = { { "jump", { { "target", CHAIN } } } };
    // prerouting: whatever the bridge forwards or delivers to the host.
    add_base_chain(commands, table, "prerouting");
    commands.push_back(rule(table, json::array({ other_link, accept() }), "prerouting"));
    commands.push_back(rule(table, json::array({ checks }), "prerouting"));
    // input: link-local destinations (01:80:c2:00:00:0x: LLDP, 802.1X, ...) the bridge does not
    // forward go to the host's stack on the port through this hook without passing prerouting.
    add_base_chain(commands, table, "input");
    commands.push_back(rule(table, json::array({ other_link, accept() }), "input"));
    commands.push_back(rule(table,
        json::array(
            { match("!=",
                  { { "&", json::array({ payload("ether", "daddr"), "ff:ff:ff:ff:ff:f0" }) } },
                  "01:80:c2:00:00:00"),
                accept() }),
        "input"));
    commands.push_back(rule(table, json::array({ checks }), "input"));
    for (std::string_view const name : COUNTERS) {
        commands.push_back({ { "add",
            { { "counter", { { "family", FAMILY }, { "table", table }, { "name", name } } } } } });
    }
    add_mac_rules(commands, table, filter);
    add_restricted_rules(commands, table, filter);
    add_arp_rules(commands, table, filter);
    add_dhcp_server_rules(commands, table, filter);
    add_ip_rules(commands, table, filter);
    return json { { "nftables", std::move(commands) } };
}

VnicFilterCounters counters_from_listing(nlohmann::json const& listing)
{
    VnicFilterCounters counters;
    auto const items = listing.find("nftables");
    if (items == listing.end() || !items->is_array()) {
        return counters;
    }
    for (json const& item : *items) {
        auto const counter = item.find("counter");
        if (counter == item.end() || !counter->is_object()) {
            continue;
        }
        auto const name_field = counter->find("name");
        auto const packets_field = counter->find("packets");
        if (name_field == counter->end() || !name_field->is_string()
            || packets_field == counter->end() || !packets_field->is_number_unsigned()) {
            continue;
        }
        auto const& name = name_field->get_ref<std::string const&>();
        auto const packets = packets_field->get<std::uint64_t>();
        if (name == MAC) {
            counters.mac = packets;
        } else if (name == IP) {
            counters.ip = packets;
        } else if (name == ARP) {
            counters.arp = packets;
        } else if (name == DHCP_SERVER) {
            counters.dhcp_server = packets;
        } else if (name == RESTRICTED) {
            counters.restricted = packets;
        }
    }
    return counters;
}

} // namespace lumos::net::detail
