// SPDX-License-Identifier: MPL-2.0
// The JSON commands a VnicFilter becomes, and the counters read from a listing.
#include "net/antispoof.hpp"

#include <gtest/gtest.h>

namespace lumos::net {
namespace {

using nlohmann::json;

VnicFilter defaults()
{
    return { .host_link = "z1a30fbd7_net0",
        .mac = MacAddress::parse("02:08:20:97:00:02").value(),
        .ips = { IpAddress::parse("10.97.0.2").value() } };
}

json commands_of(VnicFilter const& filter)
{
    auto commands = detail::vnic_filter_commands(filter);
    EXPECT_TRUE(commands.has_value()) << commands.error().message();
    return commands.value_or(json::object())["nftables"];
}

// The expressions of the rules that drop through the named counter.
std::vector<json> rules_counted_by(json const& commands, std::string const& counter)
{
    std::vector<json> found;
    for (json const& command : commands) {
        if (!command.contains("add") || !command["add"].contains("rule")) {
            continue;
        }
        json const& expr = command["add"]["rule"]["expr"];
        for (json const& statement : expr) {
            if (statement == json { { "counter", counter } }) {
                found.push_back(expr);
            }
        }
    }
    return found;
}

TEST(Antispoof, LinkLocalAddressIsTheModifiedEui64OfTheMac)
{
    EXPECT_EQ(detail::link_local_address(MacAddress::parse("02:08:20:97:00:02").value()).str(),
        "fe80::8:20ff:fe97:2");
    EXPECT_EQ(detail::link_local_address(MacAddress::parse("90:b8:d0:12:34:56").value()).str(),
        "fe80::92b8:d0ff:fe12:3456");
}

// The expressions of the rules of one chain.
std::vector<json> chain_rules(json const& commands, std::string const& chain)
{
    std::vector<json> found;
    for (json const& command : commands) {
        if (command.contains("add") && command["add"].contains("rule")
            && command["add"]["rule"]["chain"] == chain) {
            found.push_back(command["add"]["rule"]["expr"]);
        }
    }
    return found;
}

TEST(Antispoof, ReplacingIsOneTransactionOnTheBridgeHooks)
{
    json const commands = commands_of(defaults());
    ASSERT_GE(commands.size(), 3U);
    json const table = { { "family", "bridge" }, { "name", "lumos_z1a30fbd7_net0" } };
    EXPECT_EQ(commands[0], json({ { "add", { { "table", table } } } }));
    EXPECT_EQ(commands[1], json({ { "flush", { { "table", table } } } }));
    std::vector<std::string> hooks;
    for (json const& command : commands) {
        if (command.contains("add") && command["add"].contains("chain")
            && command["add"]["chain"].contains("hook")) {
            hooks.push_back(command["add"]["chain"]["hook"]);
            EXPECT_EQ(command["add"]["chain"]["policy"], "accept");
        }
    }
    EXPECT_EQ(hooks, (std::vector<std::string> { "prerouting", "input" }));
    // Both let every other link's frames go, then jump to the checks; input only for link-local
    // group destinations (the only frames it sees that prerouting did not).
    json const other_link
        = json::parse(R"({"match": {"op": "!=", "left": {"meta": {"key": "iifname"}},
        "right": "z1a30fbd7_net0"}})");
    json const jump = json::parse(R"([{"jump": {"target": "checks"}}])");
    auto const prerouting = chain_rules(commands, "prerouting");
    ASSERT_EQ(prerouting.size(), 2U);
    EXPECT_EQ(prerouting[0], json::array({ other_link, { { "accept", nullptr } } }));
    EXPECT_EQ(prerouting[1], jump);
    auto const input = chain_rules(commands, "input");
    ASSERT_EQ(input.size(), 3U);
    EXPECT_EQ(input[0], json::array({ other_link, { { "accept", nullptr } } }));
    EXPECT_EQ(input[1][0]["match"]["right"], "01:80:c2:00:00:00");
    EXPECT_EQ(input[2], jump);
    for (std::string const name :
        { "spoofed_mac", "spoofed_ip", "spoofed_arp", "dhcp_server", "restricted" }) {
        bool declared = false;
        for (json const& command : commands) {
            declared = declared
                || (command.contains("add") && command["add"].contains("counter")
                    && command["add"]["counter"]["name"] == name);
        }
        EXPECT_TRUE(declared) << name;
    }
}

TEST(Antispoof, DefaultsDropEveryKindOfSpoofing)
{
    json const commands = commands_of(defaults());
    EXPECT_EQ(rules_counted_by(commands, "spoofed_mac").size(), 1U);
    EXPECT_EQ(rules_counted_by(commands, "restricted").size(), 1U);
    EXPECT_EQ(
        rules_counted_by(commands, "spoofed_arp").size(), 3U); // layout, sender MAC, sender IP
    EXPECT_EQ(rules_counted_by(commands, "dhcp_server").size(), 1U);
    auto const ip = rules_counted_by(commands, "spoofed_ip");
    ASSERT_EQ(ip.size(), 3U); // IPv4, IPv6, neighbour advertisements
    EXPECT_EQ(ip[0][0]["match"]["right"], json({ { "set", { "10.97.0.2" } } }));
    EXPECT_EQ(ip[1][0]["match"]["right"], json({ { "set", { "::", "fe80::8:20ff:fe97:2" } } }));
}

TEST(Antispoof, EachAllowFlagTakesItsRulesAway)
{
    VnicFilter filter = defaults();
    filter.allow_mac_spoofing = true;
    EXPECT_TRUE(rules_counted_by(commands_of(filter), "spoofed_mac").empty());
    EXPECT_EQ(rules_counted_by(commands_of(filter), "spoofed_arp").size(), 2U);
    filter = defaults();
    filter.allow_restricted_traffic = true;
    EXPECT_TRUE(rules_counted_by(commands_of(filter), "restricted").empty());
    filter = defaults();
    filter.dhcp_server = true;
    EXPECT_TRUE(rules_counted_by(commands_of(filter), "dhcp_server").empty());
    filter = defaults();
    filter.allow_dhcp_spoofing = true;
    EXPECT_TRUE(rules_counted_by(commands_of(filter), "dhcp_server").empty());
    filter = defaults();
    filter.allow_ip_spoofing = true;
    EXPECT_TRUE(rules_counted_by(commands_of(filter), "spoofed_ip").empty());

    filter = defaults();
    filter.allow_ip_spoofing = filter.allow_mac_spoofing = filter.allow_dhcp_spoofing
        = filter.allow_restricted_traffic = true;
    EXPECT_TRUE(chain_rules(commands_of(filter), "checks").empty());
}

TEST(Antispoof, AllowedIpsAreNetworksAndIpsExactAddresses)
{
    VnicFilter filter = defaults();
    filter.ips.push_back(IpAddress::parse("fd00::2").value());
    filter.allowed_ips = { IpPrefix::parse("10.97.8.77/24").value(),
        IpPrefix::parse("10.97.9.1").value(), IpPrefix::parse("fd01::/64").value() };
    auto const ip = rules_counted_by(commands_of(filter), "spoofed_ip");
    ASSERT_EQ(ip.size(), 3U);
    EXPECT_EQ(ip[0][0]["match"]["right"],
        json::parse(
            R"({"set": ["10.97.0.2", {"prefix": {"addr": "10.97.8.0", "len": 24}}, "10.97.9.1"]})"));
    EXPECT_EQ(ip[1][0]["match"]["right"],
        json::parse(R"({"set": ["fd00::2", {"prefix": {"addr": "fd01::", "len": 64}}, "::",
            "fe80::8:20ff:fe97:2"]})"));
}

TEST(Antispoof, NeighborAdvertTargetsAreCheckedAsRawAddresses)
{
    VnicFilter filter = defaults();
    filter.ips.push_back(IpAddress::parse("fd00::2").value());
    filter.allowed_ips = { IpPrefix::parse("fd01::/64").value() };
    filter.addrconf = true;
    auto const ip = rules_counted_by(commands_of(filter), "spoofed_ip");
    ASSERT_EQ(ip.size(), 3U);
    EXPECT_EQ(ip[2][0], json::parse(R"({"match": {"op": "==",
        "left": {"payload": {"protocol": "icmpv6", "field": "type"}}, "right": "nd-neighbor-advert"}})"));
    EXPECT_EQ(ip[2][1]["match"]["right"], json::parse(R"({"set": [
        "0xfd000000000000000000000000000002",
        {"range": ["0xfd010000000000000000000000000000", "0xfd01000000000000ffffffffffffffff"]},
        "0xfe80000000000000000820fffe970002"]})"));
    EXPECT_EQ(ip[2][2]["match"]["right"], "0x000820fffe970002");
}

TEST(Antispoof, NoIpsLeavesOnlyTheDhcpClientException)
{
    VnicFilter filter = defaults();
    filter.ips.clear();
    json const commands = commands_of(filter);
    auto const ip = rules_counted_by(commands, "spoofed_ip");
    ASSERT_EQ(ip.size(), 3U);
    // Every IPv4 packet, after the accept of 0.0.0.0:68 -> :67.
    EXPECT_EQ(ip[0][0], json::parse(R"({"match": {"op": "==", "left": {"meta": {"key": "protocol"}},
        "right": "ip"}})"));
    bool client_accepted = false;
    for (json const& command : commands) {
        if (command.contains("add") && command["add"].contains("rule")) {
            json const& expr = command["add"]["rule"]["expr"];
            client_accepted = client_accepted
                || (expr.back() == json { { "accept", nullptr } }
                    && expr[0]["match"]["right"] == "0.0.0.0" && expr[1]["match"]["right"] == 68
                    && expr[2]["match"]["right"] == 67);
        }
    }
    EXPECT_TRUE(client_accepted);
    // ARP from 0.0.0.0 (a probe) only.
    auto const arp = rules_counted_by(commands, "spoofed_arp");
    ASSERT_EQ(arp.size(), 3U);
    EXPECT_EQ(arp[2][0]["match"]["right"], json({ { "set", { "0.0.0.0" } } }));
}

TEST(Antispoof, AddrconfAllowsTheMacsInterfaceIdUnderAnyPrefix)
{
    VnicFilter filter = defaults();
    filter.addrconf = true;
    auto const ip = rules_counted_by(commands_of(filter), "spoofed_ip");
    ASSERT_EQ(ip.size(), 3U);
    EXPECT_EQ(ip[1][1], json::parse(R"({"match": {"op": "!=",
        "left": {"&": [{"payload": {"protocol": "ip6", "field": "saddr"}}, "::ffff:ffff:ffff:ffff"]},
        "right": "::8:20ff:fe97:2"}})"));
}

TEST(Antispoof, BadFiltersAreRefused)
{
    VnicFilter filter = defaults();
    filter.host_link = "a/b";
    EXPECT_EQ(detail::vnic_filter_commands(filter).error().code(), ErrorCode::InvalidArgument);
    filter = defaults();
    filter.mac = MacAddress {};
    EXPECT_EQ(detail::vnic_filter_commands(filter).error().code(), ErrorCode::InvalidArgument);
    filter.mac = MacAddress::parse("01:00:5e:00:00:01").value();
    EXPECT_EQ(detail::vnic_filter_commands(filter).error().code(), ErrorCode::InvalidArgument);
}

TEST(Antispoof, CountersAreReadFromTheListing)
{
    json const listing = json::parse(R"({"nftables": [
        {"metainfo": {"version": "1.0.6"}},
        {"table": {"family": "bridge", "name": "lumos_z1a30fbd7_net0", "handle": 1}},
        {"counter": {"family": "bridge", "name": "spoofed_mac", "table": "lumos_z1a30fbd7_net0", "packets": 2, "bytes": 120}},
        {"counter": {"family": "bridge", "name": "spoofed_ip", "table": "lumos_z1a30fbd7_net0", "packets": 5, "bytes": 300}},
        {"counter": {"family": "bridge", "name": "spoofed_arp", "table": "lumos_z1a30fbd7_net0", "packets": 1, "bytes": 60}},
        {"counter": {"family": "bridge", "name": "dhcp_server", "table": "lumos_z1a30fbd7_net0", "packets": 3, "bytes": 1}},
        {"counter": {"family": "bridge", "name": "restricted", "table": "lumos_z1a30fbd7_net0", "packets": 4, "bytes": 1}},
        {"counter": {"family": "bridge", "name": "other", "table": "lumos_z1a30fbd7_net0", "packets": 9, "bytes": 1}},
        {"counter": {"family": "bridge", "name": "spoofed_ip", "packets": "many"}}
    ]})");
    VnicFilterCounters const counters = detail::counters_from_listing(listing);
    EXPECT_EQ(counters.mac, 2U);
    EXPECT_EQ(counters.ip, 5U);
    EXPECT_EQ(counters.arp, 1U);
    EXPECT_EQ(counters.dhcp_server, 3U);
    EXPECT_EQ(counters.restricted, 4U);
    EXPECT_EQ(detail::counters_from_listing(json::parse("[1]")).ip, 0U);
}

} // namespace
} // namespace lumos::net
