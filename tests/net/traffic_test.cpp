// SPDX-License-Identifier: MPL-2.0
// Traffic through what net::Rtnl builds: zones on a host bridge reach the host and each other,
// bridge VLANs isolate, addresses and routes land where asked.
#include "net_fixture.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace lumos::net::test {
namespace {

using TrafficTest = NetTest;

TEST_F(TrafficTest, ZonesOnOneBridgeReachTheHostAndEachOther)
{
    std::string const host = make_netns("host");
    std::string const z1 = make_netns("z1");
    std::string const z2 = make_netns("z2");
    auto rtnl = session(host);
    ASSERT_OK(rtnl);
    ASSERT_OK(rtnl->create_bridge({ .name = "br0" }));
    ASSERT_OK(rtnl->add_address("br0", IpPrefix::parse("10.99.0.1/24").value()));
    plug_zone(host, z1, "vz1", "br0", "02:08:20:00:00:01", "10.99.0.2/24");
    plug_zone(host, z2, "vz2", "br0", "02:08:20:00:00:02", "10.99.0.3/24");

    EXPECT_TRUE(pings(z1, "10.99.0.1"));
    EXPECT_TRUE(pings(host, "10.99.0.2"));
    EXPECT_TRUE(pings(z1, "10.99.0.3"));
    EXPECT_TRUE(pings(z2, "10.99.0.2"));
    // The zone learnt the host through its own MAC: the neighbour entry on the host's side is
    // the zone's MAC.
    auto const neigh = ip_json(host, { "neigh", "show", "10.99.0.2" });
    ASSERT_EQ(neigh.size(), 1U) << neigh.dump();
    EXPECT_EQ(neigh[0]["lladdr"], "02:08:20:00:00:01");
}

TEST_F(TrafficTest, VlansIsolateZonesOnOneBridge)
{
    std::string const host = make_netns("host");
    std::string const a = make_netns("a10");
    std::string const b = make_netns("b10");
    std::string const c = make_netns("c20");
    auto rtnl = session(host);
    ASSERT_OK(rtnl);
    auto const filtering = rtnl->create_bridge({ .name = "br0", .vlan_filtering = true });
    if (!filtering && filtering.error().code() == ErrorCode::Unsupported) {
        GTEST_SKIP() << filtering.error().message();
    }
    ASSERT_OK(filtering);
    plug_zone(host, a, "va", "br0", "02:08:20:00:00:0a", "10.98.0.10/24");
    plug_zone(host, b, "vb", "br0", "02:08:20:00:00:0b", "10.98.0.11/24");
    plug_zone(host, c, "vc", "br0", "02:08:20:00:00:0c", "10.98.0.20/24");
    for (auto const& [port, vid] : { std::pair { "va", 10 }, { "vb", 10 }, { "vc", 20 } }) {
        ASSERT_OK(rtnl->add_bridge_vlan(port, vid, true));
        ASSERT_OK(rtnl->remove_bridge_vlan(port, 1));
    }

    EXPECT_TRUE(pings(a, "10.98.0.11"));
    EXPECT_TRUE(pings(b, "10.98.0.10"));
    EXPECT_FALSE(pings(a, "10.98.0.20"));
    EXPECT_FALSE(pings(c, "10.98.0.11"));
}

// Where the kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING, these CI
// machines), a tag's VLANs can still be kept apart on an internal (etherstub) tag with one bridge
// per VLAN: zones on VLAN 10's bridge reach each other, not the zone on VLAN 20's.
TEST_F(TrafficTest, OneBridgePerVlanIsolatesWithoutVlanFiltering)
{
    std::string const host = make_netns("host");
    std::string const a = make_netns("a10");
    std::string const b = make_netns("b10");
    std::string const c = make_netns("c20");
    auto rtnl = session(host);
    ASSERT_OK(rtnl);
    ASSERT_OK(rtnl->create_bridge({ .name = "stub0.10" }));
    ASSERT_OK(rtnl->create_bridge({ .name = "stub0.20" }));
    plug_zone(host, a, "va", "stub0.10", "02:08:20:00:01:0a", "10.93.0.10/24");
    plug_zone(host, b, "vb", "stub0.10", "02:08:20:00:01:0b", "10.93.0.11/24");
    plug_zone(host, c, "vc", "stub0.20", "02:08:20:00:01:0c", "10.93.0.20/24");

    EXPECT_TRUE(pings(a, "10.93.0.11"));
    EXPECT_TRUE(pings(b, "10.93.0.10"));
    EXPECT_FALSE(pings(a, "10.93.0.20"));
    EXPECT_FALSE(pings(c, "10.93.0.11"));
}

TEST_F(TrafficTest, DefaultAndPrefixRoutesCarryTrafficBeyondTheBridge)
{
    // host: br0 10.97.0.1/24 and, towards the outside, veth up0 10.96.0.1/24 whose peer is in
    // "outside" (10.96.0.2/24). The zone reaches the outside through its default route; the
    // outside reaches the zone through a prefix route via the host.
    std::string const host = make_netns("host");
    std::string const outside = make_netns("outside");
    std::string const zone = make_netns("zone");
    auto rtnl = session(host);
    ASSERT_OK(rtnl);
    ASSERT_OK(rtnl->create_bridge({ .name = "br0" }));
    ASSERT_OK(rtnl->add_address("br0", IpPrefix::parse("10.97.0.1/24").value()));
    plug_zone(host, zone, "vz", "br0", "02:08:20:00:00:07", "10.97.0.7/24");
    auto outside_ns = Netns::open(outside);
    ASSERT_OK(outside_ns);
    ASSERT_OK(
        rtnl->create_veth({ .name = "up0", .peer_name = "eth0", .peer_netns = &*outside_ns }));
    ASSERT_OK(rtnl->set_up("up0", true));
    ASSERT_OK(rtnl->add_address("up0", IpPrefix::parse("10.96.0.1/24").value()));
    auto out = Rtnl::in(*outside_ns);
    ASSERT_OK(out);
    ASSERT_OK(out->set_up("eth0", true));
    ASSERT_OK(out->add_address("eth0", IpPrefix::parse("10.96.0.2/24").value()));
    ASSERT_TRUE(in(host, { "sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward" }).exit_code == 0);

    EXPECT_FALSE(pings(zone, "10.96.0.2")); // no route yet
    auto zone_rtnl = session(zone);
    ASSERT_OK(zone_rtnl);
    ASSERT_OK(zone_rtnl->add_route({ .gateway = IpAddress::parse("10.97.0.1").value() }));
    ASSERT_OK(out->add_route({ .destination = IpPrefix::parse("10.97.0.0/24").value(),
        .gateway = IpAddress::parse("10.96.0.1").value() }));
    EXPECT_TRUE(pings(zone, "10.96.0.2"));
    EXPECT_TRUE(pings(outside, "10.97.0.7"));

    auto const routes = ip_json(zone, { "route", "show", "default" });
    ASSERT_EQ(routes.size(), 1U) << routes.dump();
    EXPECT_EQ(routes[0]["gateway"], "10.97.0.1");
    EXPECT_EQ(routes[0]["dev"], "net0");
}

TEST_F(TrafficTest, OnLinkRoutesIpv6AddressesAndAddrconf)
{
    std::string const zone = make_netns("zone");
    std::string const peer = make_netns("peer");
    auto rtnl = session(zone);
    ASSERT_OK(rtnl);
    auto peer_ns = Netns::open(peer);
    ASSERT_OK(peer_ns);
    ASSERT_OK(rtnl->create_veth({ .name = "net0", .peer_name = "eth0", .peer_netns = &*peer_ns }));
    ASSERT_OK(rtnl->set_ipv6_addrconf("net0", false, false));
    ASSERT_OK(rtnl->set_up("net0", true));
    ASSERT_OK(rtnl->add_address("net0", IpPrefix::parse("fd00:99::2/64").value()));
    ASSERT_OK(rtnl->add_address("net0", IpPrefix::parse("10.95.0.2/24").value()));
    ASSERT_OK(rtnl->add_route(
        { .destination = IpPrefix::parse("192.168.50.9/24").value(), .link = "net0" }));
    ASSERT_OK(rtnl->add_route({ .destination = IpPrefix::parse("fd00:aa::/48").value(),
        .gateway = IpAddress::parse("fd00:99::1").value() }));

    auto const conf = in(zone,
        { "cat", "/proc/sys/net/ipv6/conf/net0/autoconf",
            "/proc/sys/net/ipv6/conf/net0/accept_ra" });
    EXPECT_EQ(conf.out, "0\n0\n") << conf.describe();
    ASSERT_OK(rtnl->set_ipv6_addrconf("net0", true, false));
    EXPECT_EQ(in(zone, { "cat", "/proc/sys/net/ipv6/conf/net0/autoconf" }).out, "1\n");

    auto const addrs = ip_json(zone, { "addr", "show", "dev", "net0" });
    ASSERT_EQ(addrs.size(), 1U);
    std::vector<std::string> locals;
    for (auto const& info : addrs[0]["addr_info"]) {
        locals.push_back(
            info["local"].get<std::string>() + "/" + std::to_string(info["prefixlen"].get<int>()));
    }
    EXPECT_NE(std::find(locals.begin(), locals.end(), "fd00:99::2/64"), locals.end());
    EXPECT_NE(std::find(locals.begin(), locals.end(), "10.95.0.2/24"), locals.end());

    auto const onlink = ip_json(zone, { "route", "show", "192.168.50.0/24" });
    ASSERT_EQ(onlink.size(), 1U) << onlink.dump();
    EXPECT_EQ(onlink[0]["dev"], "net0");
    EXPECT_EQ(onlink[0]["scope"], "link");
    auto const v6 = ip_json(zone, { "-6", "route", "show", "fd00:aa::/48" });
    ASSERT_EQ(v6.size(), 1U) << v6.dump();
    EXPECT_EQ(v6[0]["gateway"], "fd00:99::1");

    // Errors: duplicates, missing links, routes that cannot be.
    auto const dup = rtnl->add_address("net0", IpPrefix::parse("10.95.0.2/24").value());
    ASSERT_FALSE(dup.has_value());
    EXPECT_EQ(dup.error().code(), ErrorCode::AlreadyExists);
    EXPECT_EQ(dup.error().message(), "add address 10.95.0.2/24 to net0: File exists");
    auto const no_link = rtnl->add_address("net9", IpPrefix::parse("10.95.0.3/24").value());
    ASSERT_FALSE(no_link.has_value());
    EXPECT_EQ(no_link.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(rtnl->add_route({}).error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(rtnl->add_route({ .destination = IpPrefix::parse("10.1.0.0/16").value() })
                  .error()
                  .message(),
        "add route 10.1.0.0/16: an on-link route needs a link");
    auto const unreachable = rtnl->add_route({ .gateway = IpAddress::parse("172.16.0.1").value() });
    ASSERT_FALSE(unreachable.has_value());
    EXPECT_EQ(unreachable.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(
        unreachable.error().message(), "add route default via 172.16.0.1: Network is unreachable");
    auto const mixed = rtnl->add_route({ .destination = IpPrefix::parse("10.2.0.0/16").value(),
        .gateway = IpAddress::parse("fd00:99::1").value() });
    EXPECT_EQ(mixed.error().code(), ErrorCode::InvalidArgument);
    auto const no_sysctl = rtnl->set_ipv6_addrconf("net9", false, false);
    EXPECT_EQ(no_sysctl.error().code(), ErrorCode::NotFound);
}

TEST_F(TrafficTest, AddressesRoutesAndMtuChangeLiveAndGoAgain)
{
    std::string const zone = make_netns("zone");
    std::string const peer = make_netns("peer");
    auto rtnl = session(zone);
    ASSERT_OK(rtnl);
    auto peer_ns = Netns::open(peer);
    ASSERT_OK(peer_ns);
    ASSERT_OK(rtnl->create_veth({ .name = "net0", .peer_name = "eth0", .peer_netns = &*peer_ns }));
    ASSERT_OK(rtnl->set_up("net0", true));
    auto peer_rtnl = Rtnl::in(*peer_ns);
    ASSERT_OK(peer_rtnl);
    ASSERT_OK(peer_rtnl->set_up("eth0", true));
    ASSERT_OK(peer_rtnl->add_address("eth0", IpPrefix::parse("10.94.0.1/24").value()));
    auto const address = IpPrefix::parse("10.94.0.2/24").value();
    ASSERT_OK(rtnl->add_address("net0", address));
    Route const default_route { .gateway = IpAddress::parse("10.94.0.1").value() };
    ASSERT_OK(rtnl->add_route(default_route));
    EXPECT_TRUE(pings(zone, "10.94.0.1"));
    EXPECT_EQ(ip_json(zone, { "route", "show", "default" }).size(), 1U);

    ASSERT_OK(rtnl->set_mtu("net0", 1280));
    EXPECT_EQ(rtnl->link("net0")->mtu, 1280U);
    auto const too_big = rtnl->set_mtu("net0", 70000);
    ASSERT_FALSE(too_big.has_value());
    EXPECT_EQ(too_big.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(too_big.error().message(), "set mtu of link net0 to 70000: Invalid argument");

    ASSERT_OK(rtnl->remove_route(default_route));
    EXPECT_EQ(ip_json(zone, { "route", "show", "default" }).size(), 0U);
    auto const route_gone = rtnl->remove_route(default_route);
    ASSERT_FALSE(route_gone.has_value());
    EXPECT_EQ(route_gone.error().code(), ErrorCode::NotFound) << route_gone.error().message();

    ASSERT_OK(rtnl->remove_address("net0", address));
    EXPECT_FALSE(pings(zone, "10.94.0.1"));
    auto const addrs = ip_json(zone, { "-4", "addr", "show", "dev", "net0" });
    EXPECT_TRUE(addrs.empty() || addrs[0]["addr_info"].empty()) << addrs.dump();
    auto const address_gone = rtnl->remove_address("net0", address);
    ASSERT_FALSE(address_gone.has_value());
    EXPECT_EQ(address_gone.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(address_gone.error().message(),
        "remove address 10.94.0.2/24 from net0: Cannot assign requested address");
}

} // namespace
} // namespace lumos::net::test
