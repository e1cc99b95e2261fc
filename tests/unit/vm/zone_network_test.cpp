// SPDX-License-Identifier: MPL-2.0
// plan_zone_network: what a zone's NICs and routes become on the host, from the record alone.
#include "vm/zone_network.hpp"

#include <gtest/gtest.h>

namespace lumos::vm {
namespace {

constexpr char const* UUID = "1a30fbd7-d26f-4b90-a717-864df08bb974";

HostConfig config()
{
    return HostConfig::parse("external_nic=02:08:20:00:00:02\nexternal_mtu=9000\n"
                             "admin_nic=aggr0\naggr0_aggr=e1000g0,e1000g1\netherstub=stub0\n");
}

Json vm_with(Json nics, Json extra = Json::object())
{
    Json vm { { "uuid", UUID }, { "brand", "joyent-minimal" }, { "nics", std::move(nics) } };
    vm.update(extra);
    return vm;
}

TEST(ZoneNetworkPlan, ANicOnANormalTagPlugsTheTagsLinkIntoItsBridge)
{
    auto plan
        = plan_zone_network(vm_with({ { { "physical", "net0" }, { "mac", "02:00:00:00:00:01" },
                                { "nic_tag", "external" }, { "ips", { "10.0.0.2/24", "addrconf" } },
                                { "gateways", { "10.0.0.1" } }, { "primary", true } } }),
            config());
    ASSERT_TRUE(plan) << plan.error().message();
    ASSERT_EQ(plan->vnics.size(), 1U);
    VnicPlan const& vnic = plan->vnics[0];
    EXPECT_EQ(vnic.interface, "net0");
    EXPECT_EQ(vnic.host_link, "z1a30fbd7_net0");
    EXPECT_EQ(vnic.bridge, "t_external");
    ASSERT_TRUE(vnic.uplink_mac);
    EXPECT_EQ(vnic.uplink_mac->str(), "02:08:20:00:00:02");
    EXPECT_EQ(vnic.mac.str(), "02:00:00:00:00:01");
    EXPECT_EQ(vnic.mtu, 9000U); // the tag's, as the NIC has none
    ASSERT_EQ(vnic.addresses.size(), 1U);
    EXPECT_EQ(vnic.addresses[0].str(), "10.0.0.2/24");
    EXPECT_TRUE(vnic.addrconf);
    EXPECT_FALSE(vnic.dhcp);
    ASSERT_EQ(plan->routes.size(), 1U);
    EXPECT_FALSE(plan->routes[0].destination);
    EXPECT_EQ(plan->routes[0].gateway->str(), "10.0.0.1");
}

TEST(ZoneNetworkPlan, AnEtherstubsVlansAreBridgesOfTheirOwnAndLxNamesEth)
{
    Json vm = vm_with({ { { "mac", "02:00:00:00:00:01" }, { "nic_tag", "stub0" }, { "vlan_id", 10 },
                          { "ips", { "dhcp" } }, { "mtu", 1400 } } },
        { { "brand", "lx" } });
    auto plan = plan_zone_network(vm, config());
    ASSERT_TRUE(plan) << plan.error().message();
    VnicPlan const& vnic = plan->vnics.at(0);
    EXPECT_EQ(vnic.interface, "eth0");
    EXPECT_EQ(vnic.bridge, "t_stub0.10");
    EXPECT_FALSE(vnic.uplink_mac);
    EXPECT_TRUE(vnic.dhcp);
    EXPECT_EQ(vnic.mtu, 1400U);
    EXPECT_TRUE(plan->routes.empty()); // not primary
}

TEST(ZoneNetworkPlan, RoutesTakeAddressesNicsAndMacsAsGateways)
{
    Json vm = vm_with({ { { "physical", "net0" }, { "mac", "02:00:00:00:00:01" },
                            { "nic_tag", "stub0" }, { "ips", { "10.0.0.2/24" } } },
                          { { "physical", "net1" }, { "mac", "02:00:00:00:00:02" },
                              { "nic_tag", "stub0" }, { "ips", { "10.1.0.2/24" } } } },
        { { "routes",
            { { "10.2.0.0/16", "10.0.0.1" }, { "10.3.0.7", "nics[1]" },
                { "10.4.0.0/24", "macs[02:00:00:00:00:01]" } } } });
    auto plan = plan_zone_network(vm, config());
    ASSERT_TRUE(plan) << plan.error().message();
    ASSERT_EQ(plan->routes.size(), 3U);
    EXPECT_EQ(plan->routes[0].destination->str(), "10.2.0.0/16");
    EXPECT_EQ(plan->routes[0].gateway->str(), "10.0.0.1");
    EXPECT_EQ(plan->routes[1].destination->str(), "10.3.0.7/32");
    EXPECT_EQ(plan->routes[1].link, "net1");
    EXPECT_FALSE(plan->routes[1].gateway);
    EXPECT_EQ(plan->routes[2].link, "net0");

    vm["routes"] = { { "10.5.0.0/16", "nics[7]" } };
    auto missing = plan_zone_network(vm, config());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message(), "route 10.5.0.0/16: the VM has no NIC 7");
}

TEST(ZoneNetworkPlan, WhatTheHostCannotMakeIsRefusedWithTheReason)
{
    auto refused = [](Json nic) {
        nic["mac"] = "02:00:00:00:00:01";
        nic["physical"] = "net0";
        auto plan = plan_zone_network(vm_with({ nic }), config());
        return plan ? std::string() : plan.error().message();
    };
    EXPECT_EQ(refused({ { "nic_tag", "nope" } }),
        "NIC net0: nic tag \"nope\" does not exist on this host (nictagadm list)");
    EXPECT_EQ(refused({ { "nic_tag", "admin" } }),
        "NIC net0: nic tag \"admin\" is on link aggregation aggr0, which lumos does not make");
    EXPECT_EQ(refused({ { "nic_tag", "external" }, { "vlan_id", 5 } }),
        "NIC net0: vlan_id 5 on nic tag \"external\" needs 802.1Q VLANs on its link, which this "
        "kernel does not offer");
    EXPECT_NE(refused({ { "nic_tag", "stub0" }, { "ips", { "10.0.0.300/24" } } }), "");
}

TEST(ZoneNetworkPlan, DhcpInterfacesComeFromTheRecordAlone)
{
    Json vm = vm_with({ { { "physical", "net0" }, { "nic_tag", "gone" }, { "ips", { "dhcp" } },
                            { "primary", true } },
        { { "physical", "net1" }, { "nic_tag", "stub0" }, { "ips", { "10.0.0.2/24" } } },
        { { "physical", "net2" }, { "nic_tag", "stub0" }, { "ips", { "addrconf", "dhcp" } } } });
    EXPECT_EQ(dhcp_interfaces(vm), (std::vector<std::string> { "net0:primary", "net2" }));
    EXPECT_TRUE(dhcp_interfaces(vm_with(Json::array())).empty());
}

TEST(ZoneNetworkPlan, NoNicsNoPlan)
{
    auto plan = plan_zone_network(vm_with(Json::array()), config());
    ASSERT_TRUE(plan);
    EXPECT_TRUE(plan->vnics.empty());
    EXPECT_TRUE(plan->routes.empty());
}

} // namespace
} // namespace lumos::vm
