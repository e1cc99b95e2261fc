// SPDX-License-Identifier: MPL-2.0
// hvm_network's pure parts: an HVM guest's taps and the rules keyed on them, from the plan that
// zones share.
#include "net/tap.hpp"
#include "vm/hvm_network.hpp"

#include <gtest/gtest.h>

namespace lumos::vm {
namespace {

constexpr char const* UUID = "1a30fbd7-d26f-4b90-a717-864df08bb974";

HostConfig config()
{
    return HostConfig::parse("external_nic=02:08:20:00:00:02\netherstub=stub0\n");
}

Json kvm_with(Json nics)
{
    return Json { { "uuid", UUID }, { "brand", "kvm" }, { "nics", std::move(nics) } };
}

VnicPlan planned(Json nic)
{
    nic["mac"] = "02:00:00:00:00:01";
    nic["nic_tag"] = "stub0";
    auto plan = plan_zone_network(kvm_with({ nic }), config());
    EXPECT_TRUE(plan) << plan.error().message();
    return plan ? plan->vnics.at(0) : VnicPlan {};
}

TEST(HvmNetwork, AGuestsTapsAreNamedAfterItsNicsInTheirOrder)
{
    auto plan = plan_zone_network(
        kvm_with({ { { "mac", "02:00:00:00:00:01" }, { "nic_tag", "external" }, { "maxbw", 20 } },
            { { "mac", "02:00:00:00:00:02" }, { "nic_tag", "stub0" }, { "vlan_id", 7 },
                { "interface", "net1" } } }),
        config());
    ASSERT_TRUE(plan) << plan.error().message();
    EXPECT_EQ(hvm_taps(*plan), (std::vector<std::string> { "z1a30fbd7_net0", "z1a30fbd7_net1" }));
    EXPECT_EQ(plan->vnics[0].bridge, "t_external");
    EXPECT_EQ(plan->vnics[1].bridge, "t_stub0.7");
    ASSERT_TRUE(plan->vnics[0].shaping);
    EXPECT_EQ(plan->vnics[0].shaping->host_link, "z1a30fbd7_net0");
    EXPECT_EQ(plan->vnics[0].shaping->ifb_link, "i1a30fbd7_net0");
    EXPECT_TRUE(hvm_taps(ZoneNetwork {}).empty());
}

TEST(HvmNetwork, AVlanOnANormalTagIsRefusedAsForAZone)
{
    auto plan
        = plan_zone_network(kvm_with({ { { "mac", "02:00:00:00:00:01" }, { "nic_tag", "external" },
                                { "vlan_id", 5 }, { "interface", "net0" } } }),
            config());
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error().code(), ErrorCode::Unsupported);
}

TEST(HvmFilter, AStaticNicKeepsTheRulesOfAZonesNic)
{
    VnicPlan const vnic = planned({ { "ips", { "10.0.0.2/24", "addrconf" } } });
    Unenforced lines;
    net::VnicFilter const filter = hvm_filter(vnic, lines);
    EXPECT_TRUE(lines.empty());
    EXPECT_EQ(filter.host_link, "z1a30fbd7_net0");
    EXPECT_EQ(filter.mac.str(), "02:00:00:00:00:01");
    ASSERT_EQ(filter.ips.size(), 1U);
    EXPECT_EQ(filter.ips[0].str(), "10.0.0.2");
    EXPECT_TRUE(filter.allowed_ips.empty());
    EXPECT_TRUE(filter.addrconf);
    EXPECT_FALSE(filter.allow_ip_spoofing);
}

TEST(HvmFilter, ADhcpNicsIpv4SourcesGoUncheckedAndTheLogSaysSo)
{
    VnicPlan const vnic = planned({ { "ips", { "dhcp" } } });
    Unenforced lines;
    net::VnicFilter const filter = hvm_filter(vnic, lines);
    ASSERT_EQ(filter.allowed_ips.size(), 1U);
    EXPECT_EQ(filter.allowed_ips[0].str(), "0.0.0.0/0");
    EXPECT_FALSE(filter.allow_ip_spoofing); // IPv6, ARP's MAC and the rest are still checked
    EXPECT_FALSE(filter.allow_mac_spoofing);
    EXPECT_EQ(lines,
        (Unenforced { "ip-nospoof not applied to the IPv4 sources of net0: its DHCP lease is the "
                      "guest's own, which the host does not learn (allowed_ips would bound "
                      "them)" }));
    // nftables gets the whole IPv4 space as one network of the allowed set.
    auto commands = net::detail::vnic_filter_commands(filter);
    ASSERT_TRUE(commands) << commands.error().message();
    EXPECT_NE(commands->dump().find(R"({"prefix":{"addr":"0.0.0.0","len":0}})"), std::string::npos)
        << commands->dump();
}

TEST(HvmFilter, AllowedIpsOrIpSpoofingLeaveADhcpNicsRulesAlone)
{
    Unenforced lines;
    net::VnicFilter const bounded = hvm_filter(
        planned({ { "ips", { "dhcp" } }, { "allowed_ips", { "10.9.0.0/16" } } }), lines);
    ASSERT_EQ(bounded.allowed_ips.size(), 1U);
    EXPECT_EQ(bounded.allowed_ips[0].str(), "10.9.0.0/16");
    net::VnicFilter const spoofing
        = hvm_filter(planned({ { "ips", { "dhcp" } }, { "allow_ip_spoofing", true } }), lines);
    EXPECT_TRUE(spoofing.allowed_ips.empty());
    EXPECT_TRUE(spoofing.allow_ip_spoofing);
    // An IPv6 network alone does not bound the IPv4 lease.
    net::VnicFilter const v6
        = hvm_filter(planned({ { "ips", { "dhcp" } }, { "allowed_ips", { "fd00::/64" } } }), lines);
    EXPECT_EQ(v6.allowed_ips.size(), 2U);
    EXPECT_EQ(lines.size(), 1U);
}

TEST(Tap, ABadNameIsRefusedBeforeAnythingIsMade)
{
    auto netns = net::Netns::current();
    ASSERT_TRUE(netns) << netns.error().message();
    auto made = net::create_tap(*netns, { .name = "much-too-long-name", .owner = UUID });
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().code(), ErrorCode::InvalidArgument);
    EXPECT_NE(made.error().message().find("create tap much-too-long-name for " + std::string(UUID)),
        std::string::npos)
        << made.error().message();
}

} // namespace
} // namespace lumos::vm
