// SPDX-License-Identifier: MPL-2.0
// net/dhcp_lease: a lease from udhcpc's environment is checked value by value and refused whole
// when one value is hostile; its JSON round-trips through the same checks; its resolv.conf.
#include "net/dhcp_lease.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

using namespace lumos;
using namespace lumos::net;

namespace {

DhcpEnvironment good()
{
    return { { "interface", "net0" }, { "ip", "10.0.5.20" }, { "mask", "24" },
        { "subnet", "255.255.255.0" }, { "router", "10.0.5.1 10.0.5.2" },
        { "dns", "10.0.5.53 192.0.2.53" }, { "domain", "example.com" }, { "lease", "3600" },
        { "serverid", "10.0.5.1" }, { "hostname", "ignored; rm -rf /" } };
}

DhcpEnvironment with(std::string const& key, std::string const& value)
{
    auto env = good();
    env[key] = value;
    return env;
}

DhcpEnvironment without(std::string const& key)
{
    auto env = good();
    env.erase(key);
    return env;
}

} // namespace

TEST(DhcpLease, ParsesWhatUdhcpcPasses)
{
    auto const lease = parse_dhcp_lease(good());
    ASSERT_TRUE(lease.has_value()) << lease.error().message();
    EXPECT_EQ(lease->interface, "net0");
    EXPECT_EQ(lease->address.str(), "10.0.5.20/24");
    ASSERT_EQ(lease->routers.size(), 2U);
    EXPECT_EQ(lease->routers[0].str(), "10.0.5.1");
    ASSERT_EQ(lease->dns.size(), 2U);
    EXPECT_EQ(lease->dns[1].str(), "192.0.2.53");
    EXPECT_EQ(lease->domain, "example.com");
    EXPECT_EQ(lease->lease_seconds, 3600U);
    ASSERT_TRUE(lease->server.has_value());
    EXPECT_EQ(lease->server->str(), "10.0.5.1");
}

TEST(DhcpLease, MaskOrSubnetAloneAndOptionalValues)
{
    auto const subnet_only = parse_dhcp_lease(without("mask"));
    ASSERT_TRUE(subnet_only.has_value()) << subnet_only.error().message();
    EXPECT_EQ(subnet_only->address.length, 24);
    auto const mask_only = parse_dhcp_lease(without("subnet"));
    ASSERT_TRUE(mask_only.has_value()) << mask_only.error().message();
    EXPECT_EQ(mask_only->address.length, 24);
    DhcpEnvironment const minimal { { "interface", "eth1" }, { "ip", "192.168.7.9" },
        { "subnet", "255.255.252.0" } };
    auto const lease = parse_dhcp_lease(minimal);
    ASSERT_TRUE(lease.has_value()) << lease.error().message();
    EXPECT_EQ(lease->address.str(), "192.168.7.9/22");
    EXPECT_TRUE(lease->routers.empty());
    EXPECT_TRUE(lease->dns.empty());
    EXPECT_EQ(lease->domain, "");
    EXPECT_EQ(lease->lease_seconds, 0U);
    EXPECT_FALSE(lease->server.has_value());
    // A /31 and a /32 have no network or broadcast address to refuse.
    EXPECT_TRUE(
        parse_dhcp_lease({ { "interface", "net0" }, { "ip", "10.0.0.0" }, { "mask", "31" } })
            .has_value());
    EXPECT_TRUE(
        parse_dhcp_lease({ { "interface", "net0" }, { "ip", "10.0.0.7" }, { "mask", "32" } })
            .has_value());
}

TEST(DhcpLease, RefusesHostileValuesWhole)
{
    std::string const many_dns = "1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 "
                                 "1.1.1.8 1.1.1.9";
    std::string const many_routers = "10.0.5.1 10.0.5.2 10.0.5.3 10.0.5.4 10.0.5.5 10.0.5.6 "
                                     "10.0.5.7 10.0.5.8 10.0.5.9";
    std::vector<std::pair<DhcpEnvironment, std::string>> const cases {
        { without("interface"), "invalid interface \"\"" },
        { with("interface", "net0/../x"), "invalid interface \"net0/../x\"" },
        { with("interface", "averyveryverylongname"), "invalid interface" },
        { without("ip"), "invalid lease: no ip" },
        { with("ip", "10.0.5.20 "), "invalid ip \"10.0.5.20 \"" },
        { with("ip", "fd00::1"), "invalid ip \"fd00::1\"" },
        { with("ip", "0.0.0.0"), "invalid ip" },
        { with("ip", "127.0.0.1"), "invalid ip" },
        { with("ip", "169.254.1.1"), "invalid ip" },
        { with("ip", "224.0.0.1"), "invalid ip" },
        { with("ip", "240.0.0.1"), "invalid ip" },
        { with("ip", "255.255.255.255"), "invalid ip" },
        { with("ip", "10.0.5.0"), "invalid ip \"10.0.5.0/24\"" },
        { with("ip", "10.0.5.255"), "invalid ip \"10.0.5.255/24\"" },
        { with("ip", "010.0.5.20"), "invalid ip" },
        { with("mask", "0"), "invalid mask \"0\"" },
        { with("mask", "33"), "invalid mask \"33\"" },
        { with("mask", "+24"), "invalid mask" },
        { with("mask", "24 "), "invalid mask" },
        { with("mask", "16"), "invalid subnet \"255.255.255.0\"" }, // they disagree
        { with("subnet", "255.0.255.0"), "invalid subnet" },
        { with("subnet", "0.0.0.0"), "invalid subnet" },
        { [] {
             auto env = without("mask");
             env.erase("subnet");
             return env;
         }(),
            "invalid lease: no subnet mask" },
        { with("router", "192.0.2.1"), "invalid router \"192.0.2.1\"" },
        { with("router", "10.0.5.20"), "invalid router \"10.0.5.20\"" },
        { with("router", "10.0.5.1 x"), "invalid router \"x\"" },
        { with("router", many_routers), "invalid router: more than 8 addresses" },
        { with("dns", many_dns), "invalid dns: more than 8 addresses" },
        { with("dns", "10.0.5.53\nnameserver 6.6.6.6"), "invalid dns \"10.0.5.53?nameserver" },
        { with("dns", "127.0.0.53"), "invalid dns \"127.0.0.53\"" },
        { with("dns", "fd00::53"), "invalid dns" },
        { with("domain", "example.com\nnameserver 6.6.6.6"), "invalid domain" },
        { with("domain", "a b"), "invalid domain" },
        { with("domain", "-bad.example"), "invalid domain" },
        { with("domain", "a..b"), "invalid domain" },
        { with("domain", std::string(64, 'a') + ".com"), "invalid domain" },
        { with("domain", "x/y"), "invalid domain" },
        { with("lease", "-1"), "invalid lease \"-1\"" },
        { with("lease", "99999999999"), "invalid lease" },
        { with("lease", "1h"), "invalid lease" },
        { with("serverid", "0.0.0.0"), "invalid serverid" },
        { with("ip", std::string(2000, '1')), "invalid ip" },
    };
    for (auto const& [env, message] : cases) {
        auto const lease = parse_dhcp_lease(env);
        ASSERT_FALSE(lease.has_value()) << message;
        EXPECT_EQ(lease.error().code(), ErrorCode::InvalidArgument);
        EXPECT_TRUE(lease.error().message().starts_with(message))
            << lease.error().message() << " / " << message;
        EXPECT_LE(lease.error().message().size(), 100U) << lease.error().message();
    }
}

TEST(DhcpLease, AcceptsTheLimits)
{
    std::string eight;
    for (int i = 1; i <= 8; ++i) {
        eight += "10.0.5." + std::to_string(100 + i) + " ";
    }
    auto env = with("dns", eight);
    env["router"] = eight;
    env["domain"] = std::string(63, 'a') + ".example.com.";
    auto const lease = parse_dhcp_lease(env);
    ASSERT_TRUE(lease.has_value()) << lease.error().message();
    EXPECT_EQ(lease->dns.size(), DHCP_MAX_DNS);
    EXPECT_EQ(lease->routers.size(), DHCP_MAX_ROUTERS);
}

TEST(DhcpLease, JsonRoundTripsThroughTheChecks)
{
    auto const lease = parse_dhcp_lease(good());
    ASSERT_TRUE(lease.has_value());
    auto const json = dhcp_lease_json(*lease);
    EXPECT_EQ(json["ip"], "10.0.5.20");
    EXPECT_EQ(json["prefix"], 24);
    EXPECT_EQ(json["routers"], Json::array({ "10.0.5.1", "10.0.5.2" }));
    auto const back = dhcp_lease_from_json(json);
    ASSERT_TRUE(back.has_value()) << back.error().message();
    EXPECT_EQ(*back, *lease);

    auto bad = json;
    bad["dns"] = Json::array({ "10.0.5.53\nnameserver 6.6.6.6" });
    EXPECT_FALSE(dhcp_lease_from_json(bad).has_value());
    bad = json;
    bad["routers"] = "10.0.5.1";
    EXPECT_FALSE(dhcp_lease_from_json(bad).has_value());
    EXPECT_FALSE(dhcp_lease_from_json(Json::array()).has_value());
}

TEST(DhcpLease, ResolvConfHasTheDomainAndNameServers)
{
    auto const lease = parse_dhcp_lease(good());
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(dhcp_resolv_conf(*lease),
        "# lumos: from the DHCP lease of net0\nsearch example.com\nnameserver 10.0.5.53\n"
        "nameserver 192.0.2.53\n");
    auto const bare = parse_dhcp_lease(without("domain"));
    ASSERT_TRUE(bare.has_value());
    EXPECT_EQ(dhcp_resolv_conf(*bare).find("search"), std::string::npos);
}
