// SPDX-License-Identifier: MPL-2.0
// normalize_nics (reference 2.4): NIC normalization before the payload checks, with cases from
// test-create.js, test-primary-flag.js and test-vrrp-nics.js.
#include "arrays_support.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using namespace lumos;
using namespace lumos::props;
using namespace lumos::props::arrays_test;

// --- normalize_nics ------------------------------------------------------------------------

TEST(NicNormalize, GeneratedMacIsUnicastLocallyAdministered)
{
    std::regex const shape("^[1-9a-f]2(:[0-9a-f]{2}){5}$");
    for (int i = 0; i < 64; ++i) {
        Json payload { { "add_nics", Json::array({ dhcp_nic() }) } };
        ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
        std::string const mac = payload["add_nics"][0]["mac"];
        EXPECT_TRUE(std::regex_match(mac, shape)) << mac;
        EXPECT_EQ(mac.find(":00"), std::string::npos) << mac;
    }
}

TEST(NicNormalize, VrrpNicGetsVrrpMac)
{
    Json payload { { "add_nics",
        Json::array({ Json { { "nic_tag", "admin" }, { "vrrp_vrid", 1 } },
            Json { { "nic_tag", "admin" }, { "vrrp_vrid", "255" } } }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    EXPECT_EQ(payload["add_nics"][0]["mac"], "00:00:5e:00:01:01");
    EXPECT_EQ(payload["add_nics"][1]["mac"], "00:00:5e:00:01:ff");
}

TEST(NicNormalize, MacIsCanonicalised)
{
    Json payload { { "add_nics",
        Json::array({ Json { { "nic_tag", "admin" }, { "mac", "0A:B:0C:0D:0E:0F" } } }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    EXPECT_EQ(payload["add_nics"][0]["mac"], "0a:0b:0c:0d:0e:0f");
}

TEST(NicNormalize, InterfaceBecomesPhysicalAndFreeNamesAreAssigned)
{
    Json payload { { "add_nics",
        Json::array({ dhcp_nic(), Json { { "nic_tag", "admin" }, { "interface", "net1" } },
            dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    Json const& nics = payload["add_nics"];
    EXPECT_EQ(nics[0]["physical"], "net0");
    EXPECT_EQ(nics[1]["physical"], "net1");
    EXPECT_FALSE(nics[1].contains("interface"));
    EXPECT_EQ(nics[2]["physical"], "net2");
}

TEST(NicNormalize, LxInterfacesAreEth)
{
    Json payload { { "add_nics", Json::array({ dhcp_nic(), dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Lx));
    EXPECT_EQ(payload["add_nics"][0]["physical"], "eth0");
    EXPECT_EQ(payload["add_nics"][1]["physical"], "eth1");
}

TEST(NicNormalize, UpdateTakesLowestFreeIndexAfterExistingNics)
{
    Json vm = one_nic_vm();
    vm["nics"].push_back(Json { { "interface", "net2" }, { "mac", "02:00:00:00:00:02" } });
    Json payload { { "add_nics", Json::array({ dhcp_nic(), dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, vm, Brand::Joyent));
    EXPECT_EQ(payload["add_nics"][0]["physical"], "net1");
    EXPECT_EQ(payload["add_nics"][1]["physical"], "net3");
}

TEST(NicNormalize, FirstNicIsPrimaryAtCreateWhenNoneIs)
{
    // test-primary-flag.js "create VM with 2 nics" and "3 nics (all false)".
    Json payload { { "add_nics",
        Json::array({ Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", false } },
            Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", false } } }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    EXPECT_EQ(payload["add_nics"][0]["primary"], true);
    EXPECT_FALSE(payload["add_nics"][1].contains("primary"));
}

TEST(NicNormalize, DeprecatedPrimaryOneIsTrue)
{
    // test-primary-flag.js "create VM with 2 nics (second primary)".
    Json payload { { "add_nics",
        Json::array({ dhcp_nic(),
            Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", 1 } } }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    EXPECT_FALSE(payload["add_nics"][0].contains("primary"));
    EXPECT_EQ(payload["add_nics"][1]["primary"], true);
}

TEST(NicNormalize, NoAutomaticPrimaryOnUpdate)
{
    // test-update.js "add NIC with minimal properties": only interface, mac, nic_tag, ip, ips.
    Json vm = one_nic_vm();
    vm["nics"] = Json::array();
    auto result = updated_vm(vm,
        { { "add_nics",
            Json::array({ Json {
                { "mac", "01:02:03:04:05:06" }, { "ip", "dhcp" }, { "nic_tag", "admin" } } }) } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_EQ((*result)["nics"],
        Json::array({ Json { { "interface", "net0" }, { "mac", "01:02:03:04:05:06" },
            { "nic_tag", "admin" }, { "ip", "dhcp" }, { "ips", { "dhcp" } } } }));
}

TEST(NicNormalize, LegacyAddressesBecomeIpsAndGateways)
{
    Json payload { { "add_nics",
        Json::array({ Json { { "nic_tag", "admin" }, { "ip", "10.0.0.5" },
                          { "netmask", "255.255.252.0" }, { "gateway", "10.0.0.1" } },
            dhcp_nic(), Json { { "nic_tag", "admin" } },
            Json {
                { "nic_tag", "admin" }, { "ip", "10.9.9.9" }, { "ips", { "10.1.1.1/24" } } } }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Joyent));
    Json const& nics = payload["add_nics"];
    EXPECT_EQ(nics[0]["ips"], Json({ "10.0.0.5/22" }));
    EXPECT_EQ(nics[0]["gateways"], Json({ "10.0.0.1" }));
    EXPECT_FALSE(nics[0].contains("ip"));
    EXPECT_FALSE(nics[0].contains("netmask"));
    EXPECT_FALSE(nics[0].contains("gateway"));
    EXPECT_EQ(nics[1]["ips"], Json({ "dhcp" }));
    EXPECT_EQ(nics[2]["ips"], Json::array());
    EXPECT_EQ(nics[3]["ips"], Json({ "10.1.1.1/24" }));
    EXPECT_FALSE(nics[3].contains("ip"));
}

TEST(NicNormalize, LegacyAddressErrors)
{
    EXPECT_EQ(create_error(Json::array({ Json {
                  { "nic_tag", "admin" }, { "ip", "10.0.0.5" }, { "netmask", "255.0.255.0" } } })),
        "Specified netmask value is invalid: 255.0.255.0");
    EXPECT_EQ(create_error(Json::array({ Json {
                  { "nic_tag", "admin" }, { "ips", { "10.0.0.5/24" } }, { "netmask", "junk" } } })),
        "Specified netmask value is invalid: junk");
    std::string const missing
        = create_error(Json::array({ Json { { "nic_tag", "admin" }, { "ip", "10.0.0.5" } } }));
    EXPECT_EQ(missing.rfind("Missing .netmask option for NIC: {", 0), 0U) << missing;
    EXPECT_NE(missing.find("\"ip\":\"10.0.0.5\""), std::string::npos) << missing;
}

TEST(NicNormalize, UpdateNicsNeedAKnownMac)
{
    EXPECT_EQ(message(prepare({ { "update_nics", Json::array({ Json { { "mtu", 1500 } } }) } },
                  one_nic_vm(), Brand::Joyent)),
        "NIC object needs a .mac property to update");
    EXPECT_EQ(message(prepare(
                  { { "update_nics", Json::array({ Json { { "mac", "02:02:02:02:02:02" } } }) } },
                  one_nic_vm(), Brand::Joyent)),
        "There is no existing NIC with that mac address");
    // The key matches whatever the case of the payload's MAC.
    EXPECT_TRUE(
        prepare({ { "update_nics", Json::array({ Json { { "mac", "01:02:03:04:05:6" } } }) } },
            one_nic_vm(), Brand::Joyent));
}

TEST(NicNormalize, LoneIpOrNetmaskUpdateMergesWithExistingAddress)
{
    Json payload { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "ip", "10.254.254.200" } } }) } };
    ASSERT_TRUE(normalize_nics(payload, one_nic_vm(), Brand::Joyent));
    EXPECT_EQ(payload["update_nics"][0]["ips"], Json({ "10.254.254.200/24" }));

    payload = { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "netmask", "255.255.0.0" } } }) } };
    ASSERT_TRUE(normalize_nics(payload, one_nic_vm(), Brand::Joyent));
    EXPECT_EQ(payload["update_nics"][0]["ips"], Json({ "10.254.254.254/16" }));

    payload = { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "ip", "dhcp" } } }) } };
    ASSERT_TRUE(normalize_nics(payload, one_nic_vm(), Brand::Joyent));
    EXPECT_EQ(payload["update_nics"][0]["ips"], Json({ "dhcp" }));
}

TEST(NicNormalize, LoneIpUpdateErrors)
{
    Json vm = one_nic_vm();
    vm["nics"][0]["ips"] = { "10.254.254.254/24", "fd00::1/64" };
    Json payload { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "netmask", "255.255.0.0" } } }) } };
    EXPECT_EQ(message(normalize_nics(payload, vm, Brand::Joyent)),
        "Need a single existing IPv4 address to update .ip or .netmask");

    vm["nics"][0].erase("ips");
    vm["nics"][0].erase("netmask");
    payload = { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "ip", "10.0.0.9" } } }) } };
    EXPECT_EQ(message(normalize_nics(payload, vm, Brand::Joyent)),
        "Updating IP address of NIC, but there is currently no specified netmask");

    // test-required-nic-props.js: an empty netmask is not a netmask.
    payload = { { "update_nics",
        Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "netmask", "" } } }) } };
    EXPECT_EQ(message(normalize_nics(payload, one_nic_vm(), Brand::Joyent)),
        "Specified netmask value is invalid: ");
}

TEST(NicNormalize, HvmModelDefaults)
{
    Json payload { { "nic_driver", "virtio" }, { "add_nics", Json::array({ dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, Json::object(), Brand::Kvm));
    EXPECT_EQ(payload["add_nics"][0]["model"], "virtio");

    // test-required-nic-props.js "create good KVM then add nic with no model".
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    vm["nics"][0]["model"] = "e1000";
    payload = { { "add_nics", Json::array({ dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_nics"][0]["model"], "e1000");
    vm["nic_driver"] = "virtio";
    payload = { { "add_nics", Json::array({ dhcp_nic() }) } };
    ASSERT_TRUE(normalize_nics(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_nics"][0]["model"], "virtio");
}

TEST(NicNormalize, MalformedArraysAreErrorsNotCrashes)
{
    Json payload { { "add_nics", Json::array({ 1, "x" }) } };
    EXPECT_EQ(message(normalize_nics(payload, Json::object(), Brand::Joyent)),
        "Invalid value(s) for: add_nics");
    payload = { { "add_nics", Json::object() } };
    EXPECT_EQ(message(normalize_nics(payload, Json::object(), Brand::Joyent)),
        "add_nics must be an array.");
    payload = { { "update_nics", Json::array({ Json::array() }) } };
    EXPECT_FALSE(normalize_nics(payload, one_nic_vm(), Brand::Joyent));
    Json vm = one_nic_vm();
    vm["nics"] = Json::array({ 3, Json { { "mac", 7 } } });
    payload = { { "add_nics", Json::array({ dhcp_nic() }) },
        { "update_nics", Json::array({ Json { { "mac", "01:02:03:04:05:06" } } }) } };
    EXPECT_FALSE(normalize_nics(payload, vm, Brand::Joyent));
    EXPECT_FALSE(apply_object_arrays(vm, Json { { "remove_nics", { "x" } } }, Brand::Joyent));
    Json disks { { "add_disks", Json::array({ nullptr }) } };
    EXPECT_FALSE(normalize_disks(disks, Json::object(), Brand::Bhyve));
    EXPECT_FALSE(check_payload_properties(
        Json { { "add_disks", Json::array({ 1 }) } }, Json::object(), Brand::Kvm, host()));
    EXPECT_EQ(message(check_payload_properties(
                  Json { { "update_disks", "x" } }, one_nic_vm(), Brand::Kvm, host())),
        "update_disks must be an array.");
}
