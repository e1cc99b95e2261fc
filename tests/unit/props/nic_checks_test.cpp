// SPDX-License-Identifier: MPL-2.0
// checkPayloadProperties for NICs, routes and the other cross-field checks (reference 2.4), with
// cases from test-create.js, test-update.js, test-net-conflicts.js, test-required-nic-props.js,
// test-spoof-opts.js and test-routes-joyent-minimal.js.
#include "arrays_support.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using namespace lumos;
using namespace lumos::props;
using namespace lumos::props::arrays_test;

// --- checkPayloadProperties: NICs ------------------------------------------------------------

TEST(NicChecks, InvalidIps)
{
    auto const nic = [](Json ips) {
        return Json::array({ Json { { "nic_tag", "admin" }, { "ips", ips } } });
    };
    for (char const* bad : { "10.0.0.1/7", "10.0.0.1/33", "10.0.0.1", "fd00::1/129", "fd00::1",
             "10.0.0.256/24", "dhcp6" }) {
        std::string const error = create_error(nic({ bad }));
        EXPECT_EQ(error.rfind("Invalid IP for NIC: {", 0), 0U) << bad << ": " << error;
    }
    for (char const* good :
        { "10.0.0.1/8", "10.0.0.1/32", "fd00::1/0", "fd00::1/128", "dhcp", "addrconf" }) {
        EXPECT_EQ(create_error(nic({ good })), "<ok>") << good;
    }
    // test-update.js "add net1 -- bad IP": a comma list in ip is one (bad) address.
    std::string const error = create_error(Json::array({ Json { { "nic_tag", "external" },
        { "ip", "10.99.99.12,10.99.99.33,10.99.99.34" }, { "netmask", "255.255.255.0" } } }));
    EXPECT_EQ(error.rfind("Invalid IP for NIC: ", 0), 0U) << error;
}

TEST(NicChecks, AtMostTwentyIps)
{
    Json ips = Json::array();
    for (int i = 1; i <= 21; ++i) {
        ips.push_back("10.0.0." + std::to_string(i) + "/24");
    }
    EXPECT_EQ(create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", ips } } })),
        "nic.*.ips contains 21 addresses, but is limited to 20");
}

TEST(NicChecks, GatewaysMustBeIpv4)
{
    EXPECT_EQ(create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "addrconf" } },
                  { "gateways", { "fd00::1" } } } })),
        "Static gateways must be IPv4 addresses: fd00::1");
}

TEST(NicChecks, DuplicateMacs)
{
    // test-net-conflicts.js "2 nics with same MAC".
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ip", "dhcp" },
                                       { "mac", "01:02:03:04:05:06" } },
            Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", "01:02:03:04:05:06" } } })),
        "Cannot add multiple NICs with the same MAC: 01:02:03:04:05:06");
    EXPECT_EQ(message(prepare({ { "add_nics",
                                  Json::array({ Json { { "nic_tag", "admin" }, { "ip", "dhcp" },
                                      { "mac", "01:02:03:04:05:06" } } }) } },
                  one_nic_vm(), Brand::Joyent)),
        "Cannot add multiple NICs with the same MAC: 01:02:03:04:05:06");
}

TEST(NicChecks, DuplicateIps)
{
    // test-net-conflicts.js "2 nics with same IP" and "add additional nic with same IP". VM.js
    // prints the address as given, prefix included.
    EXPECT_EQ(create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ip", "172.17.2.172" },
                                             { "netmask", "255.255.255.0" } },
                  Json { { "nic_tag", "admin" }, { "ip", "172.17.2.172" },
                      { "netmask", "255.255.255.0" } } })),
        "Cannot add multiple NICs with the same IP: 172.17.2.172/24");
    EXPECT_EQ(message(prepare({ { "add_nics",
                                  Json::array({ Json { { "nic_tag", "admin" },
                                      { "ips", { "10.254.254.254/24" } } } }) } },
                  one_nic_vm(), Brand::Joyent)),
        "Cannot add multiple NICs with the same IP: 10.254.254.254/24");
    // A NIC whose ips are replaced no longer holds its old ones; autoconfig never collides.
    EXPECT_TRUE(
        prepare({ { "update_nics",
                      Json::array({ Json { { "mac", "01:02:03:04:05:06" },
                          { "ips", { "10.254.254.254/24", "fd00::1/64", "addrconf" } } } }) },
                    { "add_nics", Json::array({ dhcp_nic(), dhcp_nic() }) } },
            one_nic_vm(), Brand::Joyent));
}

TEST(NicChecks, DuplicateVrids)
{
    // test-vrrp-nics.js "create: 2 nics with same VRID" and the update to another NIC's VRID.
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.127/24" } },
                                       { "vrrp_vrid", 27 }, { "vrrp_primary_ip", "172.18.1.129" } },
            Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.128/24" } }, { "vrrp_vrid", 27 },
                { "vrrp_primary_ip", "172.18.1.129" } },
            Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.129/24" } } } })),
        "Cannot add multiple NICs with the same VRID: 27");
    EXPECT_EQ(
        message(prepare(
            { { "update_nics",
                Json::array({ Json { { "mac", "00:00:5e:00:01:01" }, { "vrrp_vrid", 2 } } }) } },
            vrrp_vm(), Brand::JoyentMinimal)),
        "Cannot add multiple NICs with the same VRID: 2");
}

TEST(NicChecks, ConflictsWithOtherVms)
{
    HostFacts facts = host();
    facts.other_vms.push_back(
        Json { { "uuid", "11111111-1111-1111-1111-111111111111" }, { "state", "running" },
            { "nics",
                Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "nic_tag", "admin" },
                    { "ips", { "172.17.2.172/24" } }, { "vrrp_vrid", 9 } } }) },
            { "vnc_port", 5901 } });
    std::string const conflict
        = "Conflict detected with another vm, please check the MAC, IP, and VRID";
    auto const with = [](Json extra) {
        Json nic { { "nic_tag", "admin" }, { "ip", "dhcp" } };
        nic.update(extra);
        return Json::array({ nic });
    };
    EXPECT_EQ(
        create_error(with({ { "mac", "01:02:03:04:05:06" } }), Brand::Joyent, facts), conflict);
    EXPECT_EQ(
        create_error(with({ { "ips", { "172.17.2.172/24" } } }), Brand::Joyent, facts), conflict);
    // Same address on another nic tag (test-net-conflicts.js payloadC) or VLAN is fine.
    EXPECT_EQ(
        create_error(
            Json::array({ Json { { "nic_tag", "external" }, { "ips", { "172.17.2.172/24" } } } }),
            Brand::Joyent, facts),
        "<ok>");
    EXPECT_EQ(create_error(with({ { "ips", { "172.17.2.172/24" } }, { "vlan_id", 5 } }),
                  Brand::Joyent, facts),
        "<ok>");
    Json vrrp = Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.202/24" } },
                                  { "vrrp_vrid", 9 }, { "vrrp_primary_ip", "172.18.1.203" } },
        Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.203/24" } } } });
    EXPECT_EQ(create_error(vrrp, Brand::Joyent, facts), conflict);
    EXPECT_EQ(
        message(prepare({ { "vnc_port", 5901 } }, Json::object(), Brand::Kvm, facts)), conflict);

    // "no conflict when reusing IP of failed VM".
    facts.other_vms[0]["state"] = "failed";
    facts.other_vms[0]["zone_state"] = "installed";
    EXPECT_EQ(create_error(with({ { "mac", "01:02:03:04:05:06" } }), Brand::Joyent, facts), "<ok>");
    facts.other_vms[0]["zone_state"] = "running";
    EXPECT_EQ(
        create_error(with({ { "mac", "01:02:03:04:05:06" } }), Brand::Joyent, facts), conflict);
}

TEST(NicChecks, NicTagRules)
{
    std::string const missing = create_error(Json::array({ Json { { "ip", "dhcp" } } }));
    EXPECT_EQ(missing.rfind("invalid or missing .nic_tag option for NIC: {", 0), 0U) << missing;
    std::string const bad
        = create_error(Json::array({ Json { { "ip", "dhcp" }, { "nic_tag", "a b" } } }));
    EXPECT_EQ(bad.rfind("invalid or missing .nic_tag option for NIC: ", 0), 0U) << bad;
    std::string const update = message(prepare(
        { { "update_nics",
            Json::array(
                { Json { { "mac", "01:02:03:04:05:06" }, { "nic_tag", "sdc_overlay/12" } } }) } },
        one_nic_vm(), Brand::Joyent));
    EXPECT_EQ(update.rfind("invalid .nic_tag option for NIC: ", 0), 0U) << update;

    // test-invalid-nic-tags.js: every unknown tag is named, one per line.
    EXPECT_EQ(create_error(Json::array({ dhcp_nic("nope"), dhcp_nic("admin"), dhcp_nic("gone") })),
        "Invalid nic tag \"nope\"\nInvalid nic tag \"gone\"");
    HostFacts overlay = host();
    overlay.nic_tags.push_back("sdc_overlay");
    EXPECT_EQ(create_error(Json::array({ dhcp_nic("sdc_overlay/4200") }), Brand::Joyent, overlay),
        "<ok>");
}

TEST(NicChecks, MtuBelowNormalTagMinimum)
{
    EXPECT_EQ(create_error(Json::array({ dhcp_nic(),
                  Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mtu", 1400 },
                      { "mac", "02:00:00:00:00:01" } },
                  Json { { "nic_tag", "external" }, { "ip", "dhcp" }, { "mtu", 1500 } } })),
        "nic 1 (02:00:00:00:00:01): MTU is below the supported MTU (1500) of nic tag \"admin\"");
}

TEST(NicChecks, HvmModels)
{
    // test-required-nic-props.js "test create KVM without model".
    std::string const missing = create_error(Json::array({ dhcp_nic() }), Brand::Kvm);
    EXPECT_EQ(missing.rfind("missing .model option for NIC: {", 0), 0U) << missing;
    EXPECT_EQ(create_error(Json::array({ dhcp_nic() }), Brand::Joyent), "<ok>");
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    std::string const blank = message(
        prepare({ { "update_nics",
                    Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "model", "" } } }) } },
            vm, Brand::Kvm));
    EXPECT_EQ(blank.rfind("invalid .model option for NIC: ", 0), 0U) << blank;
}

TEST(NicChecks, AllowedIps)
{
    auto const nic = [](Json allowed) {
        return Json::array(
            { Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "allowed_ips", allowed } } });
    };
    EXPECT_EQ(create_error(nic({ "10.0.0.1", "10.0.0.0/24", "fd00::/64", "fd00::1" })), "<ok>");
    EXPECT_EQ(create_error(nic({ "10.0.0.0/33", "junk", "10.0.0.1", "fd00::/0", "1/2/3" })),
        "invalid allowed_ips: 10.0.0.0/33, junk, fd00::/0, 1/2/3");
    Json many = Json::array();
    for (int i = 1; i <= 14; ++i) {
        many.push_back("10.0.0." + std::to_string(i));
    }
    EXPECT_EQ(create_error(nic(many)), "Maximum of 13 allowed_ips per nic");
}

TEST(NicChecks, AllowedDhcpCids)
{
    auto const nic = [](Json cids) {
        return Json::array(
            { Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "allowed_dhcp_cids", cids } } });
    };
    Json many = Json::array();
    for (int i = 0; i < 21; ++i) {
        many.push_back("0x1234");
    }
    EXPECT_EQ(create_error(nic(many)),
        "nics.*.allowed_dhcp_cids contains 21 Client Identifiers, but is limited to 20");
    Json longer = Json::array();
    for (int i = 0; i < 3; ++i) {
        longer.push_back("0x" + std::string(400, 'a'));
    }
    EXPECT_EQ(create_error(nic(longer)),
        "nics.*.allowed_dhcp_cids contains too many long Client Identifiers");
}

TEST(NicChecks, AtMostThirtyTwoAddressesPerNic)
{
    Json ips = Json::array();
    for (int i = 1; i <= 20; ++i) {
        ips.push_back("10.0.0." + std::to_string(i) + "/24");
    }
    Json allowed = Json::array();
    for (int i = 1; i <= 12; ++i) {
        allowed.push_back("10.1.0." + std::to_string(i));
    }
    Json nic { { "nic_tag", "admin" }, { "ips", ips }, { "allowed_ips", allowed } };
    EXPECT_EQ(create_error(Json::array({ nic })), "<ok>");
    nic["vrrp_primary_ip"] = "10.0.0.1";
    EXPECT_EQ(
        create_error(Json::array({ nic })), "More than 32 IPs cannot be associated with a NIC");
}

TEST(NicChecks, VrrpCreateRules)
{
    // test-vrrp-nics.js create cases.
    EXPECT_EQ(create_error(Json::array({ Json {
                  { "nic_tag", "admin" }, { "mac", "52:31:98:52:5d:07" }, { "vrrp_vrid", 9 } } })),
        "Cannot set both mac and vrrp_vrid");
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.110/24" } },
                                       { "vrrp_vrid", 31 }, { "vrrp_primary_ip", "172.18.1.1" } },
            Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "vrrp_vrid", 32 },
                { "vrrp_primary_ip", "172.18.1.110" } },
            Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.1/24" } } } })),
        "Cannot set vrrp_primary_ip to the IP of a VRRP nic");
    EXPECT_EQ(create_error(
                  Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.111/24" } } },
                      Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "vrrp_vrid", 33 },
                          { "vrrp_primary_ip", "172.18.1.254" } } })),
        "vrrp_primary_ip must belong to the same VM");
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.127/24" } },
                                       { "vrrp_vrid", 26 }, { "vrrp_primary_ip", "172.18.1.127" } },
            dhcp_nic() })),
        "Cannot set vrrp_primary_ip to the IP of a VRRP nic");
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.127/24" } },
                                       { "vrrp_vrid", 27 } },
            dhcp_nic() })),
        "vrrp_vrid set but not vrrp_primary_ip");
    EXPECT_EQ(
        create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ips", { "172.18.1.127/24" } },
            { "vrrp_vrid", 27 }, { "vrrp_primary_ip", "172.18.1.2" } } })),
        "VM cannot contain only VRRP nics");
}

TEST(NicChecks, VrrpUpdateRules)
{
    Json const vm = vrrp_vm();
    auto const update_error = [&](Json payload) {
        return message(prepare(std::move(payload), vm, Brand::JoyentMinimal));
    };
    EXPECT_EQ(update_error({ { "add_nics",
                  Json::array({ Json { { "mac", "52:31:98:52:5d:07" }, { "nic_tag", "external" },
                      { "ip", "dhcp" }, { "vrrp_vrid", 4 } } }) } }),
        "Cannot set both mac and vrrp_vrid");
    EXPECT_EQ(update_error({ { "update_nics",
                  Json::array({ Json { { "mac", "00:00:5e:00:01:01" },
                      { "vrrp_primary_ip", "172.18.1.254" }, { "vrrp_vrid", 12 } } }) } }),
        "vrrp_primary_ip must belong to the same VM");
    EXPECT_EQ(
        update_error({ { "update_nics",
            Json::array({ Json { { "mac", "52:31:98:52:5d:01" }, { "vrrp_vrid", 14 } } }) } }),
        "Cannot set vrrp_primary_ip to the IP of a VRRP nic");
    EXPECT_EQ(update_error({ { "add_nics",
                  Json::array({ Json { { "ip", "dhcp" }, { "nic_tag", "external" },
                      { "vrrp_vrid", 15 }, { "vrrp_primary_ip", "172.18.1.101" } } }) } }),
        "Cannot set vrrp_primary_ip to the IP of a VRRP nic");
    EXPECT_EQ(update_error({ { "add_nics",
                  Json::array({ Json { { "nic_tag", "external" }, { "ip", "172.18.1.118" },
                      { "netmask", "255.255.255.0" }, { "vrrp_vrid", 17 } } }) } }),
        "vrrp_vrid set but not vrrp_primary_ip");
    EXPECT_EQ(
        update_error({ { "update_nics",
            Json::array({ Json { { "mac", "52:31:98:52:5d:02" }, { "vrrp_vrid", 18 } } }) } }),
        "vrrp_vrid set but not vrrp_primary_ip");
    EXPECT_EQ(update_error({ { "remove_nics",
                  { "00:00:5e:00:01:02", "52:31:98:52:5d:01", "52:31:98:52:5d:02" } } }),
        "VM cannot contain only VRRP nics");
    EXPECT_EQ(update_error({ { "remove_nics", { "52:31:98:52:5d:01", "52:31:98:52:5d:02" } } }),
        "VM cannot contain only VRRP nics");
    EXPECT_EQ(update_error({ { "remove_nics", { "52:31:98:52:5d:01" } } }),
        "vrrp_primary_ip must belong to the same VM");
    EXPECT_EQ(update_error({ { "update_nics",
                  Json::array({ Json {
                      { "mac", "00:00:5e:00:01:01" }, { "vrrp_primary_ip", "172.18.1.3" } } }) } }),
        "<ok>");

    // Changing the VRID changes the MAC.
    auto result = updated_vm(vm,
        { { "update_nics",
            Json::array({ Json { { "mac", "00:00:5e:00:01:01" }, { "vrrp_vrid", 3 } } }) } },
        Brand::JoyentMinimal);
    ASSERT_TRUE(result) << message(result);
    EXPECT_EQ((*result)["nics"][0]["mac"], "00:00:5e:00:01:03");
    EXPECT_EQ((*result)["nics"][0]["vrrp_vrid"], 3);
    EXPECT_EQ((*result)["nics"][1]["mac"], "00:00:5e:00:01:02");
}

TEST(NicChecks, PrimaryFlag)
{
    // test-primary-flag.js: primary=false on update fails; 3 primaries at create fail.
    EXPECT_EQ(
        message(prepare(
            { { "update_nics",
                Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "primary", false } } }) } },
            one_nic_vm(), Brand::Joyent)),
        "invalid value for NIC's primary flag: false (must be true)");
    Json primary { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", true } };
    EXPECT_EQ(create_error(Json::array({ primary, primary,
                  Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", 1 } } })),
        "payload specifies more than 1 primary NIC");
    EXPECT_EQ(create_error(Json::array({ primary,
                  Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", false } } })),
        "<ok>");
}

// --- routes --------------------------------------------------------------------------------

TEST(RouteChecks, CreateFailuresFromTestRoutes)
{
    auto const route_error = [](Json routes, Json nics = Json::array()) {
        Json payload { { "routes", routes } };
        if (!nics.empty()) {
            payload["add_nics"] = nics;
        }
        return message(prepare(payload, Json::object(), Brand::JoyentMinimal));
    };
    auto const bad_destination = [](std::string const& d) {
        return "Invalid route destination: \"" + d + "\" (must be IP address or CIDR)";
    };
    auto const bad_gateway = [](std::string const& g) {
        return "Invalid route gateway: \"" + g + "\" (must be IP address, MAC address, or nic)";
    };
    auto const bad_nic = [](std::string const& g) {
        return "Route gateway: \"" + g + "\" refers to non-existent or DHCP nic";
    };
    EXPECT_EQ(route_error({ { "asdf", "1.2.3.4" } }), bad_destination("asdf"));
    EXPECT_EQ(route_error({ { "1.2.3.256", "1.2.3.4" } }), bad_destination("1.2.3.256"));
    EXPECT_EQ(route_error({ { "10.2.0.0/7", "1.2.3.4" } }), bad_destination("10.2.0.0/7"));
    EXPECT_EQ(route_error({ { "10.2.0.0/33", "1.2.3.4" } }), bad_destination("10.2.0.0/33"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "asdf" } }), bad_gateway("asdf"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "macs[asdf]" } }), bad_gateway("macs[asdf]"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "10.2.0.0/24" } }), bad_gateway("10.2.0.0/24"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "10.2.0.256" } }), bad_gateway("10.2.0.256"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "nics[0]" } }), bad_nic("nics[0]"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "nics[1]" } }, Json::array({ dhcp_nic() })),
        bad_nic("nics[1]"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "nics[0]" } }, Json::array({ dhcp_nic() })),
        bad_nic("nics[0]"));
    EXPECT_EQ(route_error({ { "10.2.0.0/24", "macs[aa:bb:cc:dd:ee:ff]" } }),
        bad_nic("macs[aa:bb:cc:dd:ee:ff]"));
    EXPECT_EQ(
        route_error({ { "10.2.0.0/24", "macs[aa:bb:cc:dd:ee:ff]" } }, Json::array({ dhcp_nic() })),
        bad_nic("macs[aa:bb:cc:dd:ee:ff]"));
    Json dhcp_with_mac = dhcp_nic();
    dhcp_with_mac["mac"] = "aa:bb:cc:dd:ee:ff";
    EXPECT_EQ(route_error(
                  { { "10.2.0.0/24", "macs[aa:bb:cc:dd:ee:ff]" } }, Json::array({ dhcp_with_mac })),
        bad_nic("macs[aa:bb:cc:dd:ee:ff]"));
}

TEST(RouteChecks, NicRoutesOnCreateAndUpdate)
{
    // test-routes-joyent-minimal.js "update routes and resolvers".
    Json nics = Json::array({ Json { { "nic_tag", "admin" }, { "ip", "172.19.1.2" },
                                  { "netmask", "255.255.255.0" }, { "mac", "aa:bb:cc:12:34:56" } },
        Json { { "nic_tag", "admin" }, { "ip", "172.20.1.2" }, { "netmask", "255.255.255.0" },
            { "mac", "aa:bb:cc:12:34:57" } } });
    Json routes { { "172.21.1.1", "nics[1]" }, { "172.22.2.0/24", "172.19.1.1" },
        { "172.23.3.0/24", "macs[AA:BB:CC:12:34:56]" } };
    auto vm = created_vm({ { "add_nics", nics }, { "routes", routes } }, Brand::JoyentMinimal);
    ASSERT_TRUE(vm) << message(vm);
    (*vm)["routes"] = routes;
    (*vm)["brand"] = "joyent-minimal";

    auto const update_error = [&](Json payload) {
        return message(prepare(std::move(payload), *vm, Brand::JoyentMinimal));
    };
    EXPECT_EQ(update_error({ { "remove_routes", { "172.22.2.0/24" } },
                  { "set_routes", { { "172.22.3.0/24", "172.19.1.1" } } } }),
        "<ok>");
    EXPECT_EQ(update_error({ { "remove_nics", { "aa:bb:cc:12:34:57" } } }),
        "Route gateway: \"nics[1]\" refers to non-existent or DHCP nic");
    EXPECT_EQ(update_error({ { "remove_nics", { "aa:bb:cc:12:34:57" } },
                  { "remove_routes", { "172.21.1.1" } } }),
        "<ok>");
    EXPECT_EQ(update_error({ { "set_routes", { { "10.0.0.0/8", "nics[7]" } } } }),
        "Route gateway: \"nics[7]\" refers to non-existent or DHCP nic");
}

// --- other cross-field checks ------------------------------------------------------------

TEST(NicPayloadMisc, VgaAndVncPassword)
{
    EXPECT_EQ(message(prepare({ { "vga", "hercules" } }, Json::object(), Brand::Kvm)),
        "Invalid VGA type: \"hercules\", supported types are: cirrus,std,vmware,qxl,xenfb");
    EXPECT_EQ(message(prepare({ { "vga", "qxl" } }, Json::object(), Brand::Kvm)), "<ok>");
    EXPECT_EQ(message(prepare({ { "vnc_password", "123456789" } }, Json::object(), Brand::Kvm)),
        "VNC password is too long, maximum length is 8 characters.");
    EXPECT_EQ(
        message(prepare({ { "vnc_password", "12345678" } }, Json::object(), Brand::Kvm)), "<ok>");
}

TEST(NicPayloadMisc, ZfsProperties)
{
    auto const error = [](Json payload) {
        return message(prepare(std::move(payload), Json::object(), Brand::Joyent));
    };
    EXPECT_EQ(error({ { "zfs_root_recsize", 1000 } }),
        "invalid zfs_root_recsize (1000), must be 512-131072 and a power of 2. (0 to disable)");
    EXPECT_EQ(error({ { "zfs_data_recsize", 262144 } }),
        "invalid zfs_data_recsize (262144), must be 512-131072 and a power of 2. (0 to disable)");
    EXPECT_EQ(error({ { "zfs_root_recsize", 0 }, { "zfs_data_recsize", 512 } }), "<ok>");
    EXPECT_EQ(error({ { "zfs_root_compression", "zip" } }),
        "invalid compression type for zip, must be one of: on, off, gzip, gzip-1, gzip-2, gzip-3, "
        "gzip-4, gzip-5, gzip-6, gzip-7, gzip-8, gzip-9, lz4, lzjb, zle");
    EXPECT_EQ(error({ { "zfs_data_compression", "lz4" } }), "<ok>");
    EXPECT_EQ(error({ { "zfs_snapshot_limit", -1 } }),
        "invalid zfs_snapshot_limit (-1), must be a number >= 0 (or '' to disable)");
    EXPECT_EQ(error({ { "zfs_filesystem_limit", "lots" } }),
        "invalid zfs_filesystem_limit (lots), must be a number >= 0 (or '' to disable)");
    EXPECT_EQ(error({ { "zfs_filesystem_limit", 0 }, { "zfs_snapshot_limit", nullptr } }), "<ok>");
}

// The recsize and limit checks read numbers with JavaScript's Number(): "0x1p12" and "inf" are
// not numbers, "0b1000000000" is 512.
TEST(NicPayloadMisc, ZfsNumbersAreJavaScriptNumbers)
{
    auto const error = [](Json payload) {
        return message(prepare(std::move(payload), Json::object(), Brand::Joyent));
    };
    EXPECT_EQ(error({ { "zfs_root_recsize", "0x1p12" } }),
        "invalid zfs_root_recsize (0x1p12), must be 512-131072 and a power of 2. (0 to disable)");
    EXPECT_EQ(error({ { "zfs_data_recsize", "0b1000000000" } }), "<ok>");
    EXPECT_EQ(error({ { "zfs_snapshot_limit", "inf" } }),
        "invalid zfs_snapshot_limit (inf), must be a number >= 0 (or '' to disable)");
    EXPECT_EQ(error({ { "zfs_filesystem_limit", "\u00A010" } }), "<ok>");
}

TEST(NicPayloadMisc, MemoryRules)
{
    EXPECT_EQ(message(prepare({ { "max_physical_memory", 256 }, { "max_locked_memory", 512 } },
                  Json::object(), Brand::Joyent)),
        "max_locked_memory must be <= max_physical_memory");
    EXPECT_EQ(message(prepare({ { "max_physical_memory", 512 }, { "max_swap", 256 } },
                  Json::object(), Brand::Joyent)),
        "max_swap must be >= max_physical_memory");
    Json kvm = one_nic_vm();
    kvm["brand"] = "kvm";
    kvm["ram"] = 1024;
    EXPECT_EQ(message(prepare({ { "max_physical_memory", 512 } }, kvm, Brand::Kvm)),
        "vm.max_physical_memory (512) cannot be lower than vm.ram (1024)");
    EXPECT_EQ(message(prepare({ { "max_locked_memory", 1000 } }, kvm, Brand::Kvm)),
        "vm.max_locked_memory (1000) cannot be lower than vm.ram (1024)");
    EXPECT_EQ(message(prepare({ { "ram", 2048 }, { "max_swap", 2000 } }, kvm, Brand::Kvm)),
        "vm.max_swap (2000) cannot be lower than vm.ram (2048)");
    kvm["ram"] = 128;
    EXPECT_EQ(message(prepare({ { "max_swap", 200 } }, kvm, Brand::Kvm)),
        "vm.max_swap (200) cannot be lower than 256MiB");
    EXPECT_EQ(message(prepare({ { "max_swap", 200 } }, one_nic_vm(), Brand::Joyent)), "<ok>");
}

TEST(NicPayloadMisc, PciDevicesOnlyWhenStopped)
{
    Json vm = one_nic_vm();
    vm["state"] = "running";
    vm["zone_state"] = "running";
    EXPECT_EQ(message(prepare({ { "remove_pci_devices", { "/devices/x" } } }, vm, Brand::Bhyve)),
        "updates to pci_devices are only allowed when state is \"stopped\", currently: running "
        "(running)");
}
