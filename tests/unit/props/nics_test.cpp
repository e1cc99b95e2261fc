// SPDX-License-Identifier: MPL-2.0
// Reference 2.4 (NIC/disk normalization and checkPayloadProperties), 1.7 (update_* semantics,
// primary re-election) and 2.7 (object shape), with cases from test-create.js, test-update.js,
// test-primary-flag.js, test-vrrp-nics.js, test-net-conflicts.js, test-required-nic-props.js,
// test-spoof-opts.js, test-routes-joyent-minimal.js and test-disk-uuid.js.
#include "base/uuid.hpp"
#include "props/apply_arrays.hpp"
#include "props/disks.hpp"
#include "props/nics.hpp"
#include "props/payload_checks.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using namespace lumos;
using namespace lumos::props;

namespace {

constexpr char const* VM_UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";

HostFacts host()
{
    HostFacts facts;
    facts.nic_tags = { "admin", "external" };
    return facts;
}

std::string message(Result<void> const& result)
{
    return result ? std::string("<ok>") : result.error().message();
}

template <typename T>
std::string message(Result<T> const& result)
{
    return result ? std::string("<ok>") : result.error().message();
}

// normalizePayload's NIC and disk steps, then checkPayloadProperties.
Result<Json> prepare(Json payload, Json const& vm, Brand brand, HostFacts const& facts = host())
{
    TRY(normalize_nics(payload, vm, brand));
    TRY(normalize_disks(payload, vm, brand));
    TRY(check_payload_properties(payload, vm, brand, facts));
    return payload;
}

Result<Json> create(Json nics, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    Json payload { { "add_nics", std::move(nics) } };
    return prepare(std::move(payload), Json::object(), brand, facts);
}

std::string create_error(Json nics, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    return message(create(std::move(nics), brand, facts));
}

// The whole create path for the arrays: normalize, check, apply to a fresh VM object.
Result<Json> created_vm(Json payload, Brand brand = Brand::Joyent)
{
    TRY_ASSIGN(normalized, prepare(std::move(payload), Json::object(), brand));
    Json vm { { "uuid", VM_UUID }, { "zpool", "zones" }, { "nics", Json::array() } };
    if (is_hvm(brand)) {
        vm["disks"] = Json::array();
    }
    TRY(apply_object_arrays(vm, normalized, brand));
    return vm;
}

Result<Json> updated_vm(
    Json vm, Json payload, Brand brand = Brand::Joyent, HostFacts const& facts = host())
{
    TRY_ASSIGN(normalized, prepare(std::move(payload), vm, brand, facts));
    TRY(apply_object_arrays(vm, normalized, brand));
    return vm;
}

// A stopped joyent-minimal VM with one static NIC, as vmadm get shows it.
Json one_nic_vm()
{
    return Json { { "uuid", VM_UUID }, { "brand", "joyent-minimal" }, { "zpool", "zones" },
        { "state", "stopped" }, { "zone_state", "installed" },
        { "nics",
            Json::array({ Json { { "interface", "net0" }, { "mac", "01:02:03:04:05:06" },
                { "nic_tag", "external" }, { "ips", { "10.254.254.254/24" } },
                { "ip", "10.254.254.254" }, { "netmask", "255.255.255.0" },
                { "gateways", { "10.254.254.1" } }, { "gateway", "10.254.254.1" },
                { "primary", true } } }) } };
}

// The VM of test-vrrp-nics.js "vrrp vnics: updating" after its create.
Json vrrp_vm()
{
    Json vm = one_nic_vm();
    vm["nics"] = Json::array({
        Json { { "interface", "net0" }, { "mac", "00:00:5e:00:01:01" }, { "nic_tag", "external" },
            { "vrrp_vrid", 1 }, { "ips", { "172.18.1.101/24" } },
            { "vrrp_primary_ip", "172.18.1.2" }, { "primary", true } },
        Json { { "interface", "net1" }, { "mac", "00:00:5e:00:01:02" }, { "nic_tag", "external" },
            { "vrrp_vrid", 2 }, { "ips", { "172.18.1.102/24" } },
            { "vrrp_primary_ip", "172.18.1.2" } },
        Json { { "interface", "net2" }, { "mac", "52:31:98:52:5d:01" }, { "nic_tag", "external" },
            { "ips", { "172.18.1.2/24" } } },
        Json { { "interface", "net3" }, { "mac", "52:31:98:52:5d:02" }, { "nic_tag", "external" },
            { "ips", { "172.18.1.3/24" } } },
    });
    return vm;
}

Json dhcp_nic(char const* tag = "admin")
{
    return Json { { "nic_tag", tag }, { "ip", "dhcp" } };
}

} // namespace

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

// --- disks ---------------------------------------------------------------------------------

TEST(DiskNormalize, MediaAndModelDefaults)
{
    Json payload { { "disk_driver", "virtio" },
        { "add_disks",
            Json::array(
                { Json { { "size", 1024 } }, Json { { "size", 1 }, { "model", "ide" } } }) } };
    ASSERT_TRUE(normalize_disks(payload, Json::object(), Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["media"], "disk");
    EXPECT_EQ(payload["add_disks"][0]["model"], "virtio");
    EXPECT_EQ(payload["add_disks"][1]["model"], "ide");
    EXPECT_FALSE(payload["add_disks"][0].contains("uuid"));

    Json vm = one_nic_vm();
    vm["disks"]
        = Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/x-disk0" }, { "model", "scsi" } } });
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["model"], "scsi");
    vm["disk_driver"] = "ide";
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Kvm));
    EXPECT_EQ(payload["add_disks"][0]["model"], "ide");
}

TEST(DiskNormalize, BhyveUuidsAndPciSlots)
{
    Json payload { { "add_disks",
        Json::array({ Json { { "size", 1 } }, Json { { "size", 1 }, { "boot", true } },
            Json { { "media", "cdrom" }, { "path", "/iso" } }, Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, Json::object(), Brand::Bhyve));
    Json const& disks = payload["add_disks"];
    EXPECT_EQ(disks[1]["pci_slot"], "0:4:0");
    EXPECT_EQ(disks[0]["pci_slot"], "0:4:1");
    EXPECT_EQ(disks[3]["pci_slot"], "0:4:2");
    EXPECT_EQ(disks[2]["pci_slot"], "0:3:0");
    EXPECT_TRUE(is_uuid(disks[0]["uuid"].get<std::string>()));
    EXPECT_NE(disks[0]["uuid"], disks[3]["uuid"]);

    // Slots and uuids of the existing disks are taken.
    Json vm = one_nic_vm();
    vm["disks"] = Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/u/disk0" }, { "boot", true },
        { "pci_slot", "0:4:0" }, { "uuid", "11adf075-d948-6518-eaa7-fab9fcadb934" } } });
    payload = { { "add_disks", Json::array({ Json { { "size", 1 } } }) } };
    ASSERT_TRUE(normalize_disks(payload, vm, Brand::Bhyve));
    EXPECT_EQ(payload["add_disks"][0]["pci_slot"], "0:4:1");
    payload = { { "add_disks",
        Json::array(
            { Json { { "size", 1 }, { "uuid", "11adf075-d948-6518-eaa7-fab9fcadb934" } } }) } };
    EXPECT_EQ(message(normalize_disks(payload, vm, Brand::Bhyve)),
        "duplicate disk uuid 11adf075-d948-6518-eaa7-fab9fcadb934");
}

TEST(DiskNormalize, PciSlotErrors)
{
    auto const error = [](Json disks) {
        Json payload { { "add_disks", std::move(disks) } };
        return message(normalize_disks(payload, Json::object(), Brand::Bhyve));
    };
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:6:0" } } })),
        "pci_slot \"0:6:0\" invalid: PCI device 6 is reserved");
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:4:9" } } })),
        "pci_slot \"0:4:9\" is not valid");
    EXPECT_EQ(
        error(Json::array({ Json { { "pci_slot", "a:b" } } })), "pci_slot \"a:b\" is not valid");
    EXPECT_EQ(error(Json::array({ Json { { "pci_slot", "0:4:1" }, { "path", "/a" } },
                  Json { { "pci_slot", "4:1" }, { "path", "/b" } } })),
        "VM has multiple disks in pci_slot \"4:1\": \"/a\" and \"/b");
    Json nine = Json::array();
    for (int i = 0; i < 9; ++i) {
        nine.push_back(Json { { "size", 1 } });
    }
    EXPECT_EQ(error(nine), "VM has more than 8 disk devices on PCI device 4");
    EXPECT_EQ(error(Json::array({ Json { { "boot", true }, { "path", "/a" } },
                  Json { { "boot", true }, { "path", "/b" } } })),
        "multiple boot disks: \"path=/a\" and \"path=/b\"");
}

TEST(DiskChecks, AddDiskRules)
{
    auto const error = [](Json disk, Brand brand = Brand::Kvm) {
        return message(
            prepare({ { "add_disks", Json::array({ std::move(disk) }) } }, Json::object(), brand));
    };
    EXPECT_EQ(error({ { "model", "virtio" }, { "path", "/dev/zvol/rdsk/zones/x" } }),
        "you cannot specify a path for a disk unless you set nocreate=true");
    EXPECT_EQ(error({ { "model", "virtio" }, { "path", "/x" }, { "nocreate", true } }), "<ok>");
    EXPECT_EQ(error({ { "model", "ide" }, { "path", "/x.iso" }, { "media", "cdrom" } }), "<ok>");
    EXPECT_EQ(error({ { "model", "virtio" }, { "size", 10 }, { "block_size", 1000 } }),
        "invalid .block_size(1000), must be 512-131072 and a power of 2.");
    EXPECT_EQ(error({ { "model", "virtio" }, { "block_size", 4096 },
                  { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" } }),
        "setting both .block_size and .image_uuid on a volume is invalid");
    EXPECT_EQ(error({ { "model", "virtio" }, { "size", 10 }, { "compression", "zip" } }),
        "invalid compression setting for disk, must be one of: on, off, gzip, gzip-1, gzip-2, "
        "gzip-3, gzip-4, gzip-5, gzip-6, gzip-7, gzip-8, gzip-9, lz4, lzjb, zle");
    std::string const missing = error({ { "size", 10 } });
    EXPECT_EQ(missing.rfind("missing .model option for disk: {", 0), 0U) << missing;
    EXPECT_EQ(error({ { "model", "ahci" }, { "size", 10 } }),
        "\"ahci\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    EXPECT_EQ(error({ { "model", "scsi" }, { "size", 10 } }, Brand::Bhyve),
        "\"scsi\" is not a valid disk model for bhyve brand. Valid are: virtio,ahci,nvme");
}

TEST(DiskChecks, UpdateDiskRules)
{
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    auto const error = [&](Json disk) {
        return message(
            prepare({ { "update_disks", Json::array({ std::move(disk) }) } }, vm, Brand::Kvm));
    };
    EXPECT_EQ(error({ { "path", "/p" }, { "refreservation", "auto" } }),
        "cannot change refreservation to auto on existing disk");
    EXPECT_EQ(error({ { "path", "/p" }, { "compression", "zip" } })
                  .rfind("invalid compression type for disk, must be one of: on, off, gzip", 0),
        0U);
    EXPECT_EQ(error({ { "path", "/p" }, { "block_size", 4096 } }),
        "cannot change .block_size for a disk after creation");
    EXPECT_EQ(error({ { "path", "/p" }, { "model", "nvme" } }),
        "\"nvme\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    EXPECT_EQ(error({ { "path", "/p" }, { "model", "ide" }, { "compression", "lz4" } }), "<ok>");
}

TEST(DiskChecks, DuplicateBhyveUuidInPayload)
{
    Json payload { { "add_disks",
        Json::array({ Json { { "size", 1 }, { "model", "virtio" },
                          { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } },
            Json { { "size", 1 }, { "model", "virtio" },
                { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } } }) } };
    EXPECT_EQ(message(check_payload_properties(payload, Json::object(), Brand::Bhyve, host())),
        "duplicate disk uuid 4869641c-555b-6809-bd97-b9fc2a84e1b9");
}

TEST(DiskApply, NewZvolsGetPathsAndDefaults)
{
    auto vm = created_vm(
        { { "disk_driver", "virtio" },
            { "add_disks",
                Json::array({ Json { { "boot", true },
                                  { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" },
                                  { "image_size", 5120 } },
                    Json { { "media", "cdrom" }, { "path", "/iso/x.iso" } },
                    Json { { "size", 1024 }, { "nocreate", false } } }) } },
        Brand::Kvm);
    ASSERT_TRUE(vm) << message(vm);
    Json const& disks = (*vm)["disks"];
    ASSERT_EQ(disks.size(), 3U);
    std::string const base = std::string("zones/") + VM_UUID;
    EXPECT_EQ(disks[0]["path"], "/dev/zvol/rdsk/" + base + "-disk0");
    EXPECT_EQ(disks[0]["zfs_filesystem"], base + "-disk0");
    EXPECT_EQ(disks[0]["zpool"], "zones");
    EXPECT_EQ(disks[0]["size"], 5120);
    EXPECT_EQ(disks[0]["boot"], true);
    EXPECT_FALSE(disks[0].contains("block_size"));
    EXPECT_EQ(disks[0]["refreservation"], 5120);
    // vmload sorts on the trailing diskN of the path; a cdrom path has none and counts as 0.
    EXPECT_EQ(disks[1]["path"], "/iso/x.iso");
    EXPECT_EQ(disks[1]["media"], "cdrom");
    EXPECT_EQ(disks[2]["path"], "/dev/zvol/rdsk/" + base + "-disk1");
    EXPECT_EQ(disks[2]["block_size"], 8192);
    EXPECT_EQ(disks[2]["refreservation"], 1024);
    EXPECT_EQ(disks[2]["boot"], false);
    EXPECT_FALSE(disks[2].contains("nocreate"));
}

TEST(DiskApply, BhyvePathsSkipUsedIndexesAndSortByIndex)
{
    Json vm = one_nic_vm();
    vm["brand"] = "bhyve";
    std::string const base = std::string("/dev/zvol/rdsk/zones/") + VM_UUID;
    vm["disks"] = Json::array({ Json { { "path", base + "/disk1" }, { "boot", false },
        { "model", "virtio" }, { "media", "disk" }, { "pci_slot", "0:4:1" },
        { "uuid", "4869641c-555b-6809-bd97-b9fc2a84e1b9" } } });
    auto result = updated_vm(vm,
        { { "add_disks", Json::array({ Json { { "size", 10 } }, Json { { "size", 20 } } }) } },
        Brand::Bhyve);
    ASSERT_TRUE(result) << message(result);
    Json const& disks = (*result)["disks"];
    ASSERT_EQ(disks.size(), 3U);
    EXPECT_EQ(disks[0]["path"], base + "/disk0");
    EXPECT_EQ(disks[0]["zfs_filesystem"], std::string("zones/") + VM_UUID + "/disk0");
    EXPECT_EQ(disks[0]["model"], "virtio");
    EXPECT_EQ(disks[1]["path"], base + "/disk1");
    EXPECT_EQ(disks[2]["path"], base + "/disk2");
    EXPECT_EQ(disks[2]["size"], 20);
    EXPECT_TRUE(disks[2].contains("uuid"));
    EXPECT_TRUE(disks[2].contains("pci_slot"));
}

TEST(DiskApply, UpdateAndRemoveByPath)
{
    Json vm = one_nic_vm();
    vm["brand"] = "kvm";
    vm["disks"] = Json::array({
        Json { { "path", "/dev/zvol/rdsk/zones/u-disk1" }, { "boot", false }, { "model", "virtio" },
            { "size", 10 } },
        Json { { "path", "/dev/zvol/rdsk/zones/u-disk0" }, { "boot", true }, { "model", "virtio" },
            { "size", 10 } },
    });
    Json payload { { "update_disks",
        Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/u-disk1" }, { "model", "ide" },
            { "boot", "true" }, { "image_uuid", "71101322-43a5-11e1-8f01-cf2a3031a7f4" } } }) } };
    ASSERT_TRUE(apply_object_arrays(vm, payload, Brand::Kvm));
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/u-disk0");
    EXPECT_EQ(vm["disks"][1]["model"], "ide");
    EXPECT_EQ(vm["disks"][1]["boot"], true);
    EXPECT_FALSE(vm["disks"][1].contains("image_uuid"));
    ASSERT_TRUE(apply_object_arrays(
        vm, Json { { "remove_disks", "/dev/zvol/rdsk/zones/u-disk0" } }, Brand::Kvm));
    ASSERT_EQ(vm["disks"].size(), 1U);
    EXPECT_EQ(vm["disks"][0]["path"], "/dev/zvol/rdsk/zones/u-disk1");
}

// --- apply_object_arrays: NIC shape and merging ----------------------------------------------

TEST(NicApply, RepresentativeAddresses)
{
    // test-create.js: IPv4 + IPv6, dhcp + addrconf, addrconf only.
    auto vm = created_vm({ { "add_nics",
        Json::array(
            { Json { { "nic_tag", "admin" }, { "ips", { "10.11.12.13/24", "fd00::4321/64" } },
                  { "gateways", { "10.11.12.1" } } },
                Json { { "nic_tag", "admin" }, { "ips", { "dhcp", "addrconf" } } },
                Json { { "nic_tag", "admin" }, { "ips", { "addrconf" } } },
                Json { { "nic_tag", "admin" }, { "ips", { "fd00::1/64" } },
                    { "vlan_id", "0" } } }) } });
    ASSERT_TRUE(vm) << message(vm);
    Json const& nics = (*vm)["nics"];
    EXPECT_EQ(nics[0]["ip"], "10.11.12.13");
    EXPECT_EQ(nics[0]["netmask"], "255.255.255.0");
    EXPECT_EQ(nics[0]["gateway"], "10.11.12.1");
    EXPECT_EQ(nics[0]["gateways"], Json({ "10.11.12.1" }));
    EXPECT_EQ(nics[0]["interface"], "net0");
    EXPECT_EQ(nics[0]["primary"], true);
    EXPECT_FALSE(nics[0].contains("physical"));
    EXPECT_EQ(nics[1]["ip"], "dhcp");
    EXPECT_FALSE(nics[1].contains("netmask"));
    EXPECT_FALSE(nics[1].contains("primary"));
    EXPECT_FALSE(nics[2].contains("ip"));
    EXPECT_EQ(nics[2]["ips"], Json({ "addrconf" }));
    EXPECT_FALSE(nics[3].contains("ip"));
    EXPECT_FALSE(nics[3].contains("vlan_id"));
}

TEST(NicApply, ValueShapes)
{
    auto vm = created_vm({ { "add_nics",
        Json::array({ Json { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "vlan_id", "42" },
            { "mtu", "9000" }, { "blocked_outgoing_ports", "25,587" },
            { "allow_ip_spoofing", "true" }, { "dhcp_server", "1" },
            { "allow_mac_spoofing", false }, { "mac", "AA:BB:CC:DD:EE:F" },
            { "allowed_dhcp_cids", Json::array() } } }) } });
    ASSERT_TRUE(vm) << message(vm);
    Json const& nic = (*vm)["nics"][0];
    EXPECT_EQ(nic["vlan_id"], 42);
    EXPECT_EQ(nic["mtu"], 9000);
    EXPECT_EQ(nic["blocked_outgoing_ports"], Json({ 25, 587 }));
    EXPECT_EQ(nic["allow_ip_spoofing"], true);
    EXPECT_EQ(nic["dhcp_server"], true);
    EXPECT_EQ(nic["allow_mac_spoofing"], false);
    EXPECT_EQ(nic["mac"], "aa:bb:cc:dd:ee:0f");
    EXPECT_FALSE(nic.contains("allowed_dhcp_cids"));
}

TEST(NicApply, UpdateMergesOnlyUpdatableKeys)
{
    auto result = updated_vm(one_nic_vm(),
        { { "update_nics",
            Json::array(
                { Json { { "mac", "01:02:03:04:05:06" }, { "interface", "net7" }, { "mtu", 1500 },
                    { "allowed_ips", { "10.254.254.9" } }, { "allow_dhcp_spoofing", false },
                    { "ips", { "10.254.254.254/24", "fd00::1/64", "addrconf" } } } }) } });
    ASSERT_TRUE(result) << message(result);
    Json const& nic = (*result)["nics"][0];
    EXPECT_EQ(nic["interface"], "net0");
    EXPECT_EQ(nic["mtu"], 1500);
    EXPECT_EQ(nic["allowed_ips"], Json({ "10.254.254.9" }));
    EXPECT_EQ(nic["allow_dhcp_spoofing"], false); // test-spoof-opts.js: false stays present
    EXPECT_EQ(nic["ips"], Json({ "10.254.254.254/24", "fd00::1/64", "addrconf" }));
    EXPECT_EQ(nic["ip"], "10.254.254.254");
    EXPECT_EQ(nic["primary"], true);

    // test-update.js "remove IPs to make empty NIC".
    result = updated_vm(*result,
        { { "update_nics",
            Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "ips", Json::array() } } }) } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_FALSE((*result)["nics"][0].contains("ips"));
    EXPECT_FALSE((*result)["nics"][0].contains("ip"));
    EXPECT_FALSE((*result)["nics"][0].contains("netmask"));
}

TEST(NicApply, PrimaryMovesToUpdatedOrAddedNic)
{
    Json vm = one_nic_vm();
    vm["nics"].push_back(Json { { "interface", "net1" }, { "mac", "02:00:00:00:00:01" },
        { "nic_tag", "admin" }, { "ips", { "dhcp" } } });
    auto result = updated_vm(vm,
        { { "update_nics",
            Json::array({ Json { { "mac", "02:00:00:00:00:01" }, { "primary", true } } }) } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_FALSE((*result)["nics"][0].contains("primary"));
    EXPECT_EQ((*result)["nics"][1]["primary"], true);

    // test-primary-flag.js: an added primary NIC takes over.
    result = updated_vm(vm,
        { { "add_nics",
            Json::array(
                { Json { { "primary", true }, { "nic_tag", "admin" }, { "ip", "dhcp" } } }) } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_FALSE((*result)["nics"][0].contains("primary"));
    EXPECT_FALSE((*result)["nics"][1].contains("primary"));
    EXPECT_EQ((*result)["nics"][2]["primary"], true);
    EXPECT_EQ((*result)["nics"][2]["interface"], "net2");

    EXPECT_EQ(
        message(apply_object_arrays(vm,
            Json { { "update_nics",
                Json::array({ Json { { "mac", "02:00:00:00:00:01" }, { "primary", false } } }) } },
            Brand::Joyent)),
        "invalid value for NIC's primary flag: false (must be true)");
    EXPECT_EQ(
        message(apply_object_arrays(vm,
            Json { { "update_nics", Json::array({ Json { { "mtu", 1500 } } }) } }, Brand::Joyent)),
        "NIC object needs a .mac property to update");
    EXPECT_EQ(
        message(apply_object_arrays(vm,
            Json { { "update_nics", Json::array({ Json { { "mac", "0f:0f:0f:0f:0f:0f" } } }) } },
            Brand::Joyent)),
        "There is no existing NIC with that mac address");
}

TEST(NicApply, PrimaryReelection)
{
    // test-update.js "add 3 nics, 2 non-private" / "1 non-private" then "remove net1".
    auto const three = [](char const* third_ip) {
        Json vm = one_nic_vm();
        vm["nics"] = Json::array({
            Json { { "interface", "net0" }, { "mac", "01:02:03:04:05:06" },
                { "nic_tag", "external" }, { "ips", { "10.254.254.254/24" } } },
            Json { { "interface", "net1" }, { "mac", "02:03:04:05:06:07" },
                { "nic_tag", "external" }, { "ips", { "169.254.169.254/24" } }, { "vlan_id", 254 },
                { "primary", true } },
            Json { { "interface", "net2" }, { "mac", "02:03:04:05:06:08" },
                { "nic_tag", "external" }, { "ips", { third_ip } } },
        });
        return vm;
    };
    auto result
        = updated_vm(three("169.254.169.253/24"), { { "remove_nics", { "02:03:04:05:06:07" } } });
    ASSERT_TRUE(result) << message(result);
    ASSERT_EQ((*result)["nics"].size(), 2U);
    EXPECT_FALSE((*result)["nics"][0].contains("primary"));
    EXPECT_EQ((*result)["nics"][1]["primary"], true);

    result = updated_vm(three("10.254.254.253/24"), { { "remove_nics", { "02:03:04:05:06:07" } } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_EQ((*result)["nics"][0]["primary"], true);
    EXPECT_FALSE((*result)["nics"][1].contains("primary"));

    // dhcp counts as non-private; NICs without ips are never chosen.
    Json vm = three("dhcp");
    vm["nics"][0].erase("ips");
    result = updated_vm(vm, { { "remove_nics", { "02:03:04:05:06:07" } } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_FALSE((*result)["nics"][0].contains("primary"));
    EXPECT_EQ((*result)["nics"][1]["primary"], true);

    // An unknown MAC is skipped.
    result = updated_vm(three("dhcp"), { { "remove_nics", { "0e:0e:0e:0e:0e:0e" } } });
    ASSERT_TRUE(result) << message(result);
    EXPECT_EQ((*result)["nics"].size(), 3U);
    EXPECT_EQ((*result)["nics"][1]["primary"], true);
}

TEST(NicApply, SortedByInterfaceNumber)
{
    Json vm = one_nic_vm();
    vm["nics"] = Json::array({ Json { { "interface", "net10" }, { "mac", "02:00:00:00:00:0a" } },
        Json { { "interface", "net2" }, { "mac", "02:00:00:00:00:02" } },
        Json { { "interface", "net0" }, { "mac", "02:00:00:00:00:00" }, { "primary", true } } });
    ASSERT_TRUE(apply_object_arrays(vm, Json::object(), Brand::Joyent));
    EXPECT_EQ(vm["nics"][0]["interface"], "net0");
    EXPECT_EQ(vm["nics"][1]["interface"], "net2");
    EXPECT_EQ(vm["nics"][2]["interface"], "net10");
}

TEST(NicApply, FilesystemsByTarget)
{
    // test-update.js add/update/remove_fs_tmp_global.
    Json vm = one_nic_vm();
    ASSERT_TRUE(apply_object_arrays(vm,
        Json { { "add_filesystems",
            Json::array({ Json { { "type", "lofs" }, { "source", "/tmp" },
                              { "target", "/var/tmp/global" }, { "options", { "nodevice" } } },
                Json {
                    { "type", "lofs" }, { "source", "/opt" }, { "target", "/opt/global" } } }) } },
        Brand::Joyent));
    EXPECT_EQ(vm["filesystems"][0]["target"], "/opt/global");
    ASSERT_TRUE(apply_object_arrays(vm,
        Json { { "update_filesystems",
            Json::array(
                { Json { { "options", "nodevice,ro" }, { "target", "/var/tmp/global" } } }) } },
        Brand::Joyent));
    EXPECT_EQ(vm["filesystems"][1]["options"], Json({ "nodevice", "ro" }));
    ASSERT_TRUE(apply_object_arrays(
        vm, Json { { "remove_filesystems", { "/var/tmp/global" } } }, Brand::Joyent));
    ASSERT_EQ(vm["filesystems"].size(), 1U);
    EXPECT_EQ(vm["filesystems"][0]["target"], "/opt/global");
}

TEST(NicRobustness, OddValueTypesNeverThrow)
{
    Json const odd_values = Json::array({ nullptr, 5, -1, 1e300, "", "10.0.0.1/24abc", "x,y",
        Json::array({ 1, nullptr }), Json::object(), true });
    for (auto const& value : odd_values) {
        for (char const* key : { "mac", "ip", "ips", "netmask", "gateway", "gateways", "vlan_id",
                 "vrrp_vrid", "vrrp_primary_ip", "nic_tag", "primary", "model", "mtu",
                 "allowed_ips", "allowed_dhcp_cids", "blocked_outgoing_ports", "interface" }) {
            Json nic { { "nic_tag", "admin" }, { "ip", "dhcp" } };
            nic[key] = value;
            for (Brand const brand : { Brand::Joyent, Brand::Kvm }) {
                EXPECT_NO_THROW({
                    auto result = created_vm(
                        { { "add_nics", Json::array({ nic }) },
                            { "routes",
                                { { "10.0.0.0/8",
                                    value.is_string() ? value : Json("nics[0]") } } } },
                        brand);
                    (void)result;
                    auto update = updated_vm(one_nic_vm(),
                        { { "update_nics",
                              Json::array(
                                  { Json { { "mac", "01:02:03:04:05:06" }, { key, value } } }) },
                            { "remove_nics", value } },
                        brand);
                    (void)update;
                }) << key;
            }
        }
        for (char const* key : { "media", "model", "path", "size", "block_size", "boot", "pci_slot",
                 "uuid", "image_size", "compression", "refreservation", "nocreate" }) {
            Json disk { { "size", 10 }, { "model", "virtio" } };
            disk[key] = value;
            for (Brand const brand : { Brand::Kvm, Brand::Bhyve }) {
                EXPECT_NO_THROW({
                    auto result = created_vm({ { "add_disks", Json::array({ disk }) } }, brand);
                    (void)result;
                }) << key;
            }
        }
    }
}

// --- SmartOS's own expectations (issue 12) ---------------------------------------------------

TEST(TestUpdate, AddNet0KeepsVlanIdZero)
{
    // test-update.js "add net0": every field of the added NIC reads back as given, vlan_id 0
    // included (buildNicZonecfg compares the number with the string '0' and writes vlan-id).
    Json vm = one_nic_vm();
    vm["nics"] = Json::array();
    Json const net0 { { "ip", "10.254.254.254" }, { "ips", { "10.254.254.254/24" } },
        { "netmask", "255.255.255.0" }, { "nic_tag", "external" }, { "interface", "net0" },
        { "vlan_id", 0 }, { "gateway", "10.254.254.1" }, { "gateways", { "10.254.254.1" } },
        { "mac", "01:02:03:04:05:06" } };
    auto updated = updated_vm(vm, { { "add_nics", Json::array({ net0 }) } });
    ASSERT_TRUE(updated) << message(updated);
    ASSERT_EQ((*updated)["nics"].size(), 1U);
    Json const& nic = (*updated)["nics"][0];
    for (auto const& [field, value] : net0.items()) {
        EXPECT_EQ(nic.value(field, Json()), value) << field;
    }
    ASSERT_TRUE(nic.contains("vlan_id"));
    EXPECT_TRUE(nic["vlan_id"].is_number_integer());

    // Kept by the next update of another property of that NIC, and by an update to 0.
    auto again = updated_vm(*updated,
        { { "update_nics",
            Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "mtu", 1500 } } }) } });
    ASSERT_TRUE(again) << message(again);
    EXPECT_EQ((*again)["nics"][0].value("vlan_id", Json()), 0);
    auto tagged = updated_vm(*again,
        { { "update_nics",
            Json::array({ Json { { "mac", "01:02:03:04:05:06" }, { "vlan_id", 253 } } }) } });
    ASSERT_TRUE(tagged) << message(tagged);
    EXPECT_EQ((*tagged)["nics"][0].value("vlan_id", Json()), 253);
}
