// SPDX-License-Identifier: MPL-2.0
// net/address: MACs, IP addresses and prefixes, link names, as text in and out.
#include "base/paths.hpp"
#include "net/address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace lumos;
using namespace lumos::net;

TEST(NetMac, ParsesAndFormatsNormalized)
{
    auto const mac = MacAddress::parse("2:8:20:AB:cd:eF");
    ASSERT_TRUE(mac.has_value()) << mac.error().message();
    EXPECT_EQ(mac->str(), "02:08:20:ab:cd:ef");
    EXPECT_EQ(MacAddress::parse("02-08-20-ab-cd-ef")->str(), "02:08:20:ab:cd:ef");
    EXPECT_FALSE(mac->is_multicast());
    EXPECT_TRUE(MacAddress::parse("01:00:5e:00:00:01")->is_multicast());
    EXPECT_TRUE(MacAddress::parse("ff:ff:ff:ff:ff:ff")->is_multicast());
    EXPECT_TRUE(MacAddress::parse("0:0:0:0:0:0")->is_zero());
}

TEST(NetMac, RefusesWhatIsNotSixOctets)
{
    for (std::string const bad : { "", "02:08:20:ab:cd", "02:08:20:ab:cd:ef:00",
             "02:08:20:ab:cd:", "002:08:20:ab:cd:ef", "02:08:20:ab:cd:eg", "02:08-20:ab:cd:ef",
             "02::20:ab:cd:ef", " 02:08:20:ab:cd:ef", "02:08:20:ab:cd:ef\n" }) {
        auto const mac = MacAddress::parse(bad);
        ASSERT_FALSE(mac.has_value()) << bad;
        EXPECT_EQ(mac.error().code(), ErrorCode::InvalidArgument);
        EXPECT_EQ(mac.error().message(), "invalid MAC address \"" + bad + "\"");
    }
}

TEST(NetIp, ParsesBothFamilies)
{
    auto const v4 = IpAddress::parse("10.0.0.2");
    ASSERT_TRUE(v4.has_value());
    EXPECT_EQ(v4->family, IpFamily::V4);
    EXPECT_EQ(v4->str(), "10.0.0.2");
    auto const v6 = IpAddress::parse("FD00:0::2");
    ASSERT_TRUE(v6.has_value());
    EXPECT_EQ(v6->family, IpFamily::V6);
    EXPECT_EQ(v6->str(), "fd00::2");
    for (std::string const& bad : std::vector<std::string> { "", "10.0.0", "10.0.0.256", "fd00:::2",
             "10.0.0.2/24", std::string("10.0.0.2\0", 9) }) {
        EXPECT_FALSE(IpAddress::parse(bad).has_value()) << bad;
    }
}

TEST(NetIp, PrefixesKeepTheHostBitsAndGiveTheirNetwork)
{
    auto const p = IpPrefix::parse("10.1.2.3/20");
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->length, 20);
    EXPECT_EQ(p->str(), "10.1.2.3/20");
    EXPECT_EQ(p->network().str(), "10.1.0.0/20");
    EXPECT_EQ(IpPrefix::parse("10.1.2.3")->str(), "10.1.2.3/32");
    EXPECT_EQ(IpPrefix::parse("fd00::1:2/112")->network().str(), "fd00::1:0/112");
    EXPECT_EQ(IpPrefix::parse("fd00::1/0")->network().str(), "::/0");
    EXPECT_EQ(IpPrefix::parse("fd00::1")->length, 128);
    for (std::string const bad : { "10.0.0.1/33", "10.0.0.1/-1", "10.0.0.1/", "10.0.0.1/2a",
             "10.0.0.1/0024", "fd00::1/129", "/24", "x/24" }) {
        auto const prefix = IpPrefix::parse(bad);
        ASSERT_FALSE(prefix.has_value()) << bad;
        EXPECT_EQ(prefix.error().code(), ErrorCode::InvalidArgument);
    }
}

TEST(NetLinkName, KernelRulesForInterfaceNames)
{
    EXPECT_TRUE(check_link_name("net0").has_value());
    EXPECT_TRUE(check_link_name("a23456789012345").has_value());
    for (std::string const& bad : std::vector<std::string> { "", ".", "..", "a234567890123456",
             "a/b", "a:b", "a b", "a\tb", std::string("a\0b", 3) }) {
        auto const checked = check_link_name(bad);
        ASSERT_FALSE(checked.has_value()) << bad;
        EXPECT_EQ(checked.error().code(), ErrorCode::InvalidArgument);
    }
}

TEST(NetPaths, ZoneNetnsLivesInTheZoneRunDir)
{
    EXPECT_EQ(Paths("/tmp/r").zone_netns("0a1b"), "/tmp/r/run/lumos/zones/0a1b/netns");
    EXPECT_EQ(Paths("/").zone_netns("0a1b"), "/run/lumos/zones/0a1b/netns");
}
