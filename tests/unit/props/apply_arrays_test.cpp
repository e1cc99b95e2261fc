// SPDX-License-Identifier: MPL-2.0
// apply_object_arrays (reference 1.7 update_* semantics, primary re-election, 2.7 object
// shape), and SmartOS's own expectations for them (test-update.js, test-vrrp-nics.js).
#include "arrays_support.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

using namespace lumos;
using namespace lumos::props;
using namespace lumos::props::arrays_test;

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
