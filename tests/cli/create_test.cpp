// SPDX-License-Identifier: MPL-2.0
// `vmadm create`: reference §1.2, §2.3, §2.4, §2.6, §3.3 and the team's autoboot rule.
#include "cli/cli_fixture.hpp"

#include <gmock/gmock.h>

#include <algorithm>
#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

namespace lumos::test {
namespace {

using ::testing::HasSubstr;

class Create : public CliTest {
protected:
    // Sorted names after "Invalid value(s) for: " / "Missing required properties: ".
    static std::set<std::string> listed_after(const std::string& err, const std::string& prefix)
    {
        std::set<std::string> names;
        if (err.rfind(prefix, 0) != 0) {
            return names;
        }
        std::string rest = err.substr(prefix.size());
        if (!rest.empty() && rest.back() == '\n') {
            rest.pop_back();
        }
        std::stringstream ss(rest);
        std::string item;
        while (std::getline(ss, item, ',')) {
            names.insert(item);
        }
        return names;
    }

    void expect_nothing_created() const
    {
        EXPECT_TRUE(config_files().empty());
        EXPECT_TRUE(list_uuids().empty());
        // nor a dataset or zone directory ($LUMOS_ROOT/zones/<uuid>): only the images remain
        EXPECT_TRUE(zones_as_set_up());
    }

    static json nic(const std::string& tag, json extra = json::object())
    {
        extra["nic_tag"] = tag;
        return extra;
    }
};

TEST_F(Create, MinimalPayloadWithGivenUuid)
{
    const std::string uuid = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c01";
    auto p = os_payload();
    p["uuid"] = uuid;
    auto r = create(p);
    EXPECT_TRUE(succeeded_with_message(r, "Successfully created VM " + uuid));
    EXPECT_TRUE(std::filesystem::exists(config_path(uuid)));
    EXPECT_EQ(list_uuids(), std::vector<std::string> { uuid });
}

TEST_F(Create, GeneratesLowerCaseUuidWhenAbsent)
{
    auto uuid = create_ok(os_payload());
    EXPECT_TRUE(is_lower_uuid(uuid)) << uuid;
    EXPECT_TRUE(std::filesystem::exists(config_path(uuid)));
    EXPECT_EQ(get(uuid)["uuid"], uuid);
}

TEST_F(Create, TwoCreatesGetDistinctUuids)
{
    auto a = create_ok(os_payload());
    auto b = create_ok(os_payload());
    EXPECT_NE(a, b);
    EXPECT_EQ(list_uuids().size(), 2U);
}

TEST_F(Create, AutobootFalseLeavesVmStoppedAndInstalled)
{
    auto vm = get(create_ok(os_payload()));
    EXPECT_EQ(vm["state"], "stopped");
    EXPECT_EQ(vm["zone_state"], "installed");
    EXPECT_EQ(vm["autoboot"], false);
}

class AutobootRefused
    : public Create
    , public ::testing::WithParamInterface<const char*> {
protected:
    void SetUp() override
    {
        Create::SetUp();
        ::setenv("LUMOS_QEMU", "/nonexistent/qemu-system-x86_64", 1);
    }
    void TearDown() override
    {
        ::unsetenv("LUMOS_QEMU");
        Create::TearDown();
    }
};

TEST_P(AutobootRefused, WithoutQemuFailsAndLeavesNothingBehind)
{
    // A host without QEMU: autoboot true (explicit or the default) must fail cleanly, before
    // anything is made. (VMs that boot: tests/hvm.)
    auto p = payload_for(GetParam());
    p["uuid"] = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c02";
    p.erase("autoboot");
    auto r = create(p);
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(split_lines(r.err).size(), 1U) << r.err;
    EXPECT_NE(r.err.find("LUMOS_QEMU (/nonexistent/qemu-system-x86_64) is not an executable"),
        std::string::npos)
        << r.err;
    expect_nothing_created();
    EXPECT_EQ(vmadm({ "get", "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c02" }).exit_code, 1);

    p["autoboot"] = true;
    r = create(p);
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    expect_nothing_created();
}

INSTANTIATE_TEST_SUITE_P(Brands, AutobootRefused, ::testing::Values("kvm", "bhyve"));

TEST_F(Create, DuplicateUuidIsRefused)
{
    const std::string uuid = "3b6f3a7e-0d55-4f0a-9c2a-6f6d1b2a1c03";
    auto p = os_payload();
    p["uuid"] = uuid;
    p["alias"] = "first";
    ASSERT_EQ(create(p).exit_code, 0);
    p["alias"] = "second";
    EXPECT_TRUE(failed_with(create(p), "VM with UUID " + uuid + " already exists"));
    EXPECT_EQ(get(uuid)["alias"], "first");
    EXPECT_EQ(list_uuids().size(), 1U);
}

TEST_F(Create, MissingImageUuid)
{
    auto p = os_payload();
    p.erase("image_uuid");
    EXPECT_TRUE(failed_with(create(p), "Missing required properties: image_uuid"));
    expect_nothing_created();
}

TEST_F(Create, LxNeedsKernelVersion)
{
    auto p = os_payload("lx");
    p.erase("kernel_version");
    EXPECT_TRUE(failed_with(create(p), "Missing required properties: kernel_version"));
    expect_nothing_created();
}

TEST_F(Create, ImageNotInstalled)
{
    auto p = os_payload();
    p["image_uuid"] = "7b0b4140-6e98-11e5-b1ae-ff68fe257228";
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: image_uuid"));
    expect_nothing_created();
}

TEST_F(Create, ImageOfWrongTypeForBrand)
{
    auto p = os_payload("joyent");
    p["image_uuid"] = LX_IMAGE_UUID; // lx-dataset is not a joyent zoneroot
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: image_uuid"));
    auto q = os_payload("lx");
    q["image_uuid"] = IMAGE_UUID; // zone-dataset is not an lx zoneroot
    EXPECT_TRUE(failed_with(create(q), "Invalid value(s) for: image_uuid"));
    expect_nothing_created();
}

TEST_F(Create, BrandDefaultsToJoyent)
{
    auto p = os_payload();
    p.erase("brand");
    EXPECT_EQ(get(create_ok(p))["brand"], "joyent");
}

struct BadValueCase {
    const char* name;
    json patch;
    const char* bad; // names after "Invalid value(s) for: ", or a full message if it has a space
};

class CreateBadValue
    : public Create
    , public ::testing::WithParamInterface<BadValueCase> { };

TEST_P(CreateBadValue, IsRejectedAndNothingCreated)
{
    auto p = os_payload();
    p.merge_patch(GetParam().patch);
    const std::string bad = GetParam().bad;
    EXPECT_TRUE(failed_with(
        create(p), bad.find(' ') == std::string::npos ? "Invalid value(s) for: " + bad : bad));
    expect_nothing_created();
}

INSTANTIATE_TEST_SUITE_P(Values, CreateBadValue,
    ::testing::Values(BadValueCase { "alias_number", { { "alias", 42 } }, "alias" },
        BadValueCase { "autoboot_word", { { "autoboot", "aardvark" } }, "autoboot" },
        // integers are coerced with Number() before validation (§2.4); upstream prints
        // 'Invalid value for <prop>: ' + JSON.stringify(NaN) + ':' + typeof NaN
        BadValueCase {
            "cpu_cap_word", { { "cpu_cap", "doogle" } }, "Invalid value for cpu_cap: null:number" },
        BadValueCase { "cpu_cap_negative", { { "cpu_cap", -1 } }, "cpu_cap" },
        BadValueCase { "cpu_shares_fraction", { { "cpu_shares", 1.5 } }, "cpu_shares" },

        BadValueCase { "quota_object", { { "quota", { { "a", 1 } } } },
            "Invalid value for quota: null:number" },
        // the image is looked up in the named pool, so it is not found there either
        BadValueCase { "zpool_unknown", { { "zpool", "doogle" } }, "zpool,image_uuid" },
        BadValueCase {
            "uuid_upper", { { "uuid", "3B6F3A7E-0D55-4F0A-9C2A-6F6D1B2A1C04" } }, "uuid" },
        BadValueCase { "uuid_garbage", { { "uuid", "doogle" } }, "uuid" },
        BadValueCase { "owner_uuid_number", { { "owner_uuid", 7 } }, "owner_uuid" },
        BadValueCase { "customer_metadata_nested",
            { { "customer_metadata", { { "hello", { { "complicated", "world" } } } } } },
            "customer_metadata" },
        BadValueCase { "tags_string", { { "tags", "role=db" } }, "tags" },
        BadValueCase {
            "fs_allowed_object", { { "fs_allowed", { { "hello", "world" } } } }, "fs_allowed" },
        BadValueCase {
            "fs_allowed_comma_element", { { "fs_allowed", { "ufs,tmpfs,pcfs" } } }, "fs_allowed" },
        BadValueCase { "resolvers_not_ip", { { "resolvers", { "not-an-ip" } } }, "resolvers" },
        BadValueCase { "nics_object", { { "nics", json::object() } }, "nics" },
        BadValueCase { "nics_string", { { "nics", "[]" } }, "nics" },
        BadValueCase { "mtu_low",
            { { "nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mtu", 500 } } } } },
            "nics.*.mtu" },
        BadValueCase { "mtu_high",
            { { "nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mtu", 10000 } } } } },
            "nics.*.mtu" },
        BadValueCase { "mac_garbage",
            { { "nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", "zz:zz" } } } } },
            "nics.*.mac" },
        BadValueCase { "vlan_too_big",
            { { "nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "vlan_id", 4096 } } } } },
            "nics.*.vlan_id" }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Create, SeveralBadValuesAreAllListed)
{
    auto p = os_payload();
    p["alias"] = 42;
    p["autoboot"] = "aardvark";
    auto r = create(p);
    EXPECT_TRUE(failed_with_prefix(r, "Invalid value(s) for: "));
    EXPECT_EQ(listed_after(r.err, "Invalid value(s) for: "),
        (std::set<std::string> { "alias", "autoboot" }))
        << r.err;
    expect_nothing_created();
}

TEST_F(Create, DisallowedKeysAreDroppedSilently)
{
    auto p = os_payload();
    p["vcpus"] = 4; // kvm/bhyve only
    p["cpu_type"] = "host"; // kvm only
    p["zonepath"] = "/elsewhere"; // read-only
    p["state"] = "running"; // read-only
    p["bogus_property"] = "x";
    auto uuid = create_ok(p);
    auto vm = get(uuid);
    EXPECT_FALSE(vm.contains("vcpus"));
    EXPECT_FALSE(vm.contains("cpu_type"));
    EXPECT_FALSE(vm.contains("bogus_property"));
    EXPECT_EQ(vm["zonepath"], root().str() + "/zones/" + uuid);
    EXPECT_EQ(vm["state"], "stopped");
}

TEST_F(Create, SimplePropertiesRoundTrip)
{
    auto p = os_payload();
    p["alias"] = "web01";
    p["hostname"] = "web01.example.com";
    p["dns_domain"] = "example.com";
    p["owner_uuid"] = "930896af-bf8c-48d4-885c-6573a94b1853";
    p["billing_id"] = "7fa2e1f6-1cb6-4b47-ab3b-0f1e1e1e1e1e";
    p["package_name"] = "small";
    p["package_version"] = "1.0.0";
    p["cpu_cap"] = 150;
    p["quota"] = 20;
    p["resolvers"] = { "8.8.8.8", "2001:4860:4860::8888" };
    p["tags"] = { { "role", "db" }, { "n", 1 }, { "b", true } };
    p["customer_metadata"] = { { "user-script", "#!/bin/sh\necho hi" } };
    p["internal_metadata"] = { { "operator:x", "y" } };
    p["routes"] = { { "10.2.2.0/24", "10.2.1.1" } };
    p["fs_allowed"] = { "ufs", "pcfs", "tmpfs" };
    p["limit_priv"] = "default,dtrace_user";
    auto vm = get(create_ok(p));
    for (const char* key : { "alias", "hostname", "dns_domain", "owner_uuid", "billing_id",
             "package_name", "package_version", "cpu_cap", "quota", "resolvers", "tags",
             "customer_metadata", "internal_metadata", "routes", "limit_priv" }) {
        EXPECT_EQ(vm[key], p[key]) << key;
    }
    // §2.7: list properties given as arrays come back as comma-joined strings.
    EXPECT_EQ(vm["fs_allowed"], "ufs,pcfs,tmpfs");
}

TEST_F(Create, StringListsAcceptCommaStrings)
{
    auto p = os_payload();
    p["resolvers"] = "8.8.8.8,8.8.4.4";
    p["fs_allowed"] = "ufs,pcfs,tmpfs";
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["resolvers"], json::array({ "8.8.8.8", "8.8.4.4" }));
    EXPECT_EQ(vm["fs_allowed"], "ufs,pcfs,tmpfs");
}

TEST_F(Create, NullAliasIsNotStored)
{
    auto p = os_payload();
    p["alias"] = nullptr;
    EXPECT_FALSE(get(create_ok(p)).contains("alias"));
}

TEST_F(Create, CreateTimestampIsIsoWithMilliseconds)
{
    auto vm = get(create_ok(os_payload()));
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
    ASSERT_TRUE(vm["create_timestamp"].is_string());
    EXPECT_TRUE(std::regex_match(vm["create_timestamp"].get<std::string>(), re))
        << vm["create_timestamp"];
}

// --- §2.6 memory on create ------------------------------------------------------------------

TEST_F(Create, OsRamSetsMaxPhysicalAndIsNotStored)
{
    auto p = os_payload();
    p["ram"] = 512;
    auto vm = get(create_ok(p));
    EXPECT_FALSE(vm.contains("ram"));
    EXPECT_EQ(vm["max_physical_memory"], 512);
    EXPECT_EQ(vm["max_locked_memory"], 512);
    EXPECT_EQ(vm["max_swap"], 512);
    EXPECT_EQ(vm["max_shm_memory"], 512);
    EXPECT_EQ(vm["tmpfs"], 512);
}

TEST_F(Create, MaxPhysicalDrivesTheOthers)
{
    auto p = os_payload();
    p["max_physical_memory"] = 1024;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["max_physical_memory"], 1024);
    EXPECT_EQ(vm["max_locked_memory"], 1024);
    EXPECT_EQ(vm["max_swap"], 1024);
    EXPECT_EQ(vm["max_shm_memory"], 1024);
    EXPECT_EQ(vm["tmpfs"], 1024);
}

TEST_F(Create, SmallMaxSwapIsRaisedNotRejected)
{
    // validate rejects max_swap 128 (min 256) but create fixes memory first (§2.6).
    auto p = os_payload();
    p["max_swap"] = 128;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["max_swap"], 256);
}

TEST_F(Create, LockedAbovePhysicalIsClamped)
{
    auto p = os_payload();
    p["max_physical_memory"] = 512;
    p["max_locked_memory"] = 2048;
    EXPECT_EQ(get(create_ok(p))["max_locked_memory"], 512);
}

TEST_F(Create, TmpfsLargerThanMaxPhysicalIsClamped)
{
    auto p = os_payload();
    p["max_physical_memory"] = 512;
    p["tmpfs"] = 4096;
    EXPECT_EQ(get(create_ok(p))["tmpfs"], 512);
}

TEST_F(Create, TmpfsZeroIsKept)
{
    auto p = os_payload();
    p["tmpfs"] = 0;
    EXPECT_EQ(get(create_ok(p))["tmpfs"], 0);
}

TEST_F(Create, CpuSharesAreCappedAt65535)
{
    auto p = os_payload();
    p["cpu_shares"] = 100000;
    EXPECT_EQ(get(create_ok(p))["cpu_shares"], 65535);
}

TEST_F(Create, NumericStringsAreCoerced)
{
    auto p = os_payload();
    p["max_physical_memory"] = "768";
    p["cpu_cap"] = "200";
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["max_physical_memory"], 768);
    EXPECT_EQ(vm["cpu_cap"], 200);
}

TEST_F(Create, KvmRamPlusOverhead)
{
    auto p = hvm_payload("kvm");
    p["ram"] = 1024;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["ram"], 1024);
    EXPECT_EQ(vm["max_physical_memory"], 2048);
    EXPECT_EQ(vm["max_locked_memory"], 2048);
    EXPECT_EQ(vm["max_swap"], 2048);
}

TEST_F(Create, KvmMaxPhysicalRaisedToRamPlusMinOverhead)
{
    auto p = hvm_payload("kvm");
    p["ram"] = 256;
    p["max_physical_memory"] = 256;
    p["max_swap"] = 512;
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["max_physical_memory"], 512);
    EXPECT_EQ(vm["max_locked_memory"], 512);
    EXPECT_EQ(vm["max_swap"], 512);
}

// --- §2.4 NICs ------------------------------------------------------------------------------

TEST_F(Create, NicWithIpv4AndIpv6)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ips", { "10.11.12.13/24", "fd00::4321/64" } } }) };
    auto vm = get(create_ok(p));
    ASSERT_EQ(vm["nics"].size(), 1U) << vm["nics"];
    const auto& n = vm["nics"][0];
    EXPECT_EQ(n["interface"], "net0");
    EXPECT_EQ(n["nic_tag"], "admin");
    EXPECT_EQ(n["ip"], "10.11.12.13");
    EXPECT_EQ(n["netmask"], "255.255.255.0");
    EXPECT_EQ(n["ips"], json::array({ "10.11.12.13/24", "fd00::4321/64" }));
    EXPECT_EQ(n["primary"], true);
    static const std::regex mac_re("^[1-9a-f]2:([0-9a-f]{2}:){4}[0-9a-f]{2}$");
    ASSERT_TRUE(n["mac"].is_string());
    EXPECT_TRUE(std::regex_match(n["mac"].get<std::string>(), mac_re)) << n["mac"];
}

TEST_F(Create, LegacyIpNetmaskGateway)
{
    auto p = os_payload();
    p["nics"] = { nic("external",
        { { "ip", "10.2.121.70" }, { "netmask", "255.255.0.0" }, { "gateway", "10.2.121.1" },
            { "mac", "b2:1e:ba:a5:6e:71" } }) };
    auto vm = get(create_ok(p));
    const auto& n = vm["nics"][0];
    EXPECT_EQ(n["ips"], json::array({ "10.2.121.70/16" }));
    EXPECT_EQ(n["gateways"], json::array({ "10.2.121.1" }));
    EXPECT_EQ(n["gateway"], "10.2.121.1");
    EXPECT_EQ(n["ip"], "10.2.121.70");
    EXPECT_EQ(n["netmask"], "255.255.0.0");
    EXPECT_EQ(n["mac"], "b2:1e:ba:a5:6e:71");
}

TEST_F(Create, DhcpAndAddrconf)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ips", { "dhcp", "addrconf" } } }),
        nic("external", { { "ips", { "addrconf" } } }), nic("admin", { { "ip", "dhcp" } }) };
    auto vm = get(create_ok(p));
    ASSERT_EQ(vm["nics"].size(), 3U);
    EXPECT_EQ(vm["nics"][0]["ip"], "dhcp");
    EXPECT_FALSE(vm["nics"][0].contains("netmask"));
    EXPECT_FALSE(vm["nics"][1].contains("ip"));
    EXPECT_EQ(vm["nics"][2]["ips"], json::array({ "dhcp" }));
    EXPECT_EQ(vm["nics"][1]["interface"], "net1");
    EXPECT_EQ(vm["nics"][2]["interface"], "net2");
    EXPECT_EQ(vm["nics"][0]["primary"], true);
    EXPECT_FALSE(vm["nics"][1].contains("primary"));
}

TEST_F(Create, EtherstubTagsAreValid)
{
    auto p = os_payload();
    p["nics"] = { nic("stub1", { { "ips", { "192.168.5.5/24" } } }) };
    EXPECT_EQ(get(create_ok(p))["nics"][0]["nic_tag"], "stub1");
}

TEST_F(Create, LxInterfacesAreEth)
{
    auto p = os_payload("lx");
    p["nics"] = { nic("admin", { { "ip", "dhcp" } }) };
    EXPECT_EQ(get(create_ok(p))["nics"][0]["interface"], "eth0");
}

TEST_F(Create, ExplicitPrimaryOnSecondNic)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ip", "dhcp" } }),
        nic("external", { { "ip", "dhcp" }, { "primary", true } }) };
    auto vm = get(create_ok(p));
    EXPECT_FALSE(vm["nics"][0].contains("primary"));
    EXPECT_EQ(vm["nics"][1]["primary"], true);
}

TEST_F(Create, VrrpNicGetsVrrpMac)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ips", { "10.0.0.5/24" } } }),
        nic("admin",
            { { "ips", { "10.0.0.6/24" } }, { "vrrp_vrid", 26 },
                { "vrrp_primary_ip", "10.0.0.5" } }) };
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["nics"][1]["mac"], "00:00:5e:00:01:1a");
}

struct NicErrorCase {
    const char* name;
    json nics;
    const char* prefix; // stderr must start with this (whole line when exact is true)
    bool exact;
};

class CreateNicError
    : public Create
    , public ::testing::WithParamInterface<NicErrorCase> { };

TEST_P(CreateNicError, IsRejected)
{
    auto p = os_payload();
    p["nics"] = GetParam().nics;
    auto r = create(p);
    if (GetParam().exact) {
        EXPECT_TRUE(failed_with(r, GetParam().prefix));
    } else {
        EXPECT_TRUE(failed_with_prefix(r, GetParam().prefix));
    }
    expect_nothing_created();
}

INSTANTIATE_TEST_SUITE_P(Rules, CreateNicError,
    ::testing::Values(NicErrorCase { "unknown_tag",
                          json::array({ { { "nic_tag", "doesnotexist" }, { "ip", "dhcp" } } }),
                          "Invalid nic tag \"doesnotexist\"", true },
        NicErrorCase { "missing_tag", json::array({ { { "ip", "dhcp" } } }),
            "invalid or missing .nic_tag option for NIC: ", false },
        NicErrorCase { "tag_bad_chars",
            json::array({ { { "nic_tag", "ad min!" }, { "ip", "dhcp" } } }),
            "invalid or missing .nic_tag option for NIC: ", false },
        NicErrorCase { "ip_without_netmask",
            json::array({ { { "nic_tag", "admin" }, { "ip", "10.0.0.1" } } }),
            "Missing .netmask option for NIC: ", false },
        NicErrorCase { "bad_netmask",
            json::array(
                { { { "nic_tag", "admin" }, { "ip", "10.0.0.1" }, { "netmask", "255.0.255.0" } } }),
            "Specified netmask value is invalid: 255.0.255.0", true },
        NicErrorCase { "bad_ip",
            json::array({ { { "nic_tag", "admin" }, { "ips", { "10.0.0.300/24" } } } }),
            "Invalid IP for NIC: ", false },
        NicErrorCase { "prefix_too_short",
            json::array({ { { "nic_tag", "admin" }, { "ips", { "10.0.0.1/4" } } } }),
            "Invalid IP for NIC: ", false },
        NicErrorCase { "ipv6_gateway",
            json::array({ { { "nic_tag", "admin" }, { "ips", { "10.0.0.1/24" } },
                { "gateways", { "fd00::1" } } } }),
            "Static gateways must be IPv4 addresses: fd00::1", true },
        NicErrorCase { "duplicate_mac",
            json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" },
                              { "mac", "02:00:00:00:00:01" } },
                { { "nic_tag", "external" }, { "ip", "dhcp" }, { "mac", "02:00:00:00:00:01" } } }),
            "Cannot add multiple NICs with the same MAC: 02:00:00:00:00:01", true },
        NicErrorCase { "duplicate_ip",
            json::array({ { { "nic_tag", "admin" }, { "ips", { "10.0.0.1/24" } } },
                { { "nic_tag", "external" }, { "ips", { "10.0.0.1/24" } } } }),
            "Cannot add multiple NICs with the same IP: 10.0.0.1/24", true },
        NicErrorCase { "two_primaries",
            json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "primary", true } },
                { { "nic_tag", "external" }, { "ip", "dhcp" }, { "primary", true } } }),
            "payload specifies more than 1 primary NIC", true },
        NicErrorCase { "mac_and_vrid",
            json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" },
                { "mac", "02:00:00:00:00:09" }, { "vrrp_vrid", 3 } } }),
            "Cannot set both mac and vrrp_vrid", true },
        NicErrorCase { "mtu_below_tag_mtu",
            json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mtu", 1000 },
                { "mac", "02:00:00:00:00:0a" } } }),
            "nic 0 (02:00:00:00:00:0a): MTU is below the supported MTU (1500) of nic tag \"admin\"",
            true },
        NicErrorCase { "too_many_allowed_ips",
            json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" },
                { "allowed_ips",
                    { "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
                        "10.0.0.7", "10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.12",
                        "10.0.0.13", "10.0.0.14" } } } }),
            "Maximum of 13 allowed_ips per nic", true }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Create, MacConflictWithExistingStoppedVm)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ip", "dhcp" }, { "mac", "02:00:00:00:00:42" } }) };
    create_ok(p);
    EXPECT_TRUE(failed_with(
        create(p), "Conflict detected with another vm, please check the MAC, IP, and VRID"));
    EXPECT_EQ(list_uuids().size(), 1U);
}

TEST_F(Create, IpConflictWithExistingVmOnSameTag)
{
    auto p = os_payload();
    p["nics"] = { nic("admin", { { "ips", { "10.9.9.9/24" } } }) };
    create_ok(p);
    EXPECT_TRUE(failed_with(
        create(p), "Conflict detected with another vm, please check the MAC, IP, and VRID"));
    // Same IP on another tag is fine.
    p["nics"] = { nic("external", { { "ips", { "10.9.9.9/24" } } }) };
    create_ok(p);
}

// --- §2.4 cross-field checks --------------------------------------------------------------------

struct CrossFieldCase {
    const char* name;
    json patch;
    const char* message;
};

class CreateCrossField
    : public Create
    , public ::testing::WithParamInterface<CrossFieldCase> { };

TEST_P(CreateCrossField, IsRejected)
{
    auto p = os_payload();
    p.merge_patch(GetParam().patch);
    EXPECT_TRUE(failed_with(create(p), GetParam().message));
    expect_nothing_created();
}

INSTANTIATE_TEST_SUITE_P(Rules, CreateCrossField,
    ::testing::Values(CrossFieldCase { "recsize_not_pow2", { { "zfs_root_recsize", 1000 } },
                          "invalid zfs_root_recsize (1000), must be 512-131072 and a power of 2. "
                          "(0 to disable)" },
        CrossFieldCase { "compression_unknown", { { "zfs_root_compression", "brotli" } },
            "invalid compression type for brotli, must be one of: on, off, gzip, gzip-1, gzip-2, "
            "gzip-3, gzip-4, gzip-5, gzip-6, gzip-7, gzip-8, gzip-9, lz4, lzjb, zle" },
        CrossFieldCase { "route_bad_destination", { { "routes", { { "foo", "10.0.0.1" } } } },
            "Invalid route destination: \"foo\" (must be IP address or CIDR)" },
        CrossFieldCase { "route_bad_gateway", { { "routes", { { "10.1.0.0/16", "bar" } } } },
            "Invalid route gateway: \"bar\" (must be IP address, MAC address, or nic)" },
        CrossFieldCase { "route_missing_nic", { { "routes", { { "10.1.0.0/16", "nics[3]" } } } },
            "Route gateway: \"nics[3]\" refers to non-existent or DHCP nic" }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

struct HvmCase {
    const char* name;
    const char* brand;
    json patch;
    const char* message;
    bool exact;
};

class CreateHvmError
    : public Create
    , public ::testing::WithParamInterface<HvmCase> { };

TEST_P(CreateHvmError, IsRejected)
{
    auto p = hvm_payload(GetParam().brand);
    p.merge_patch(GetParam().patch);
    auto r = create(p);
    if (GetParam().exact) {
        EXPECT_TRUE(failed_with(r, GetParam().message));
    } else {
        EXPECT_TRUE(failed_with_prefix(r, GetParam().message));
    }
    expect_nothing_created();
}

INSTANTIATE_TEST_SUITE_P(Rules, CreateHvmError,
    ::testing::Values(
        HvmCase { "vga", "kvm", { { "vga", "foo" } },
            "Invalid VGA type: \"foo\", supported types are: cirrus,std,vmware,qxl,xenfb", true },
        HvmCase { "vnc_password", "kvm", { { "vnc_password", "123456789" } },
            "VNC password is too long, maximum length is 8 characters.", true },
        HvmCase { "nic_without_model", "kvm",
            { { "nics", json::array({ { { "nic_tag", "admin" }, { "ip", "dhcp" } } }) } },
            "missing .model option for NIC: ", false },
        HvmCase { "disk_path_without_nocreate", "kvm",
            { { "disks",
                json::array(
                    { { { "model", "virtio" }, { "size", 1024 }, { "path", "/dev/foo" } } }) } },
            "you cannot specify a path for a disk unless you set nocreate=true", true },
        HvmCase { "disk_block_size", "kvm",
            { { "disks",
                json::array(
                    { { { "model", "virtio" }, { "size", 1024 }, { "block_size", 1000 } } }) } },
            "invalid .block_size(1000), must be 512-131072 and a power of 2.", true },
        HvmCase { "disk_model", "bhyve",
            { { "disks", json::array({ { { "model", "scsi" }, { "size", 1024 } } }) } },
            "\"scsi\" is not a valid disk model for bhyve brand. Valid are: ", false },
        HvmCase { "disk_without_model", "kvm",
            { { "disks", json::array({ { { "size", 1024 } } }) } },
            "missing .model option for disk: ", false }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Create, HvmNicModelFromNicDriver)
{
    auto p = hvm_payload("kvm");
    p["nic_driver"] = "virtio";
    p["nics"] = { { { "nic_tag", "admin" }, { "ip", "dhcp" } } };
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["nics"][0]["model"], "virtio");
}

TEST_F(Create, MoreNicRules)
{
    auto base = os_payload();
    auto p = base;
    json ips = json::array();
    for (int i = 1; i <= 21; ++i) {
        ips.push_back("10.0.1." + std::to_string(i) + "/24");
    }
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", ips } } };
    EXPECT_TRUE(failed_with(create(p), "nic.*.ips contains 21 addresses, but is limited to 20"));

    p = base;
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", { "10.0.0.5/24" } }, { "vrrp_vrid", 3 } },
        { { "nic_tag", "admin" }, { "ips", { "10.0.0.6/24" } } } };
    EXPECT_TRUE(failed_with(create(p), "vrrp_vrid set but not vrrp_primary_ip"));

    p = base;
    p["nics"] = { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "allowed_ips", { "bogus" } } } };
    EXPECT_TRUE(failed_with(create(p), "invalid allowed_ips: bogus"));
    expect_nothing_created();
}

TEST_F(Create, RoutesThroughNic)
{
    auto p = os_payload();
    p["nics"] = { { { "nic_tag", "admin" }, { "ips", { "10.0.0.5/24" } } } };
    p["routes"] = { { "10.1.0.0/16", "nics[0]" }, { "10.2.0.1", "10.0.0.1" } };
    auto vm = get(create_ok(p));
    EXPECT_EQ(vm["routes"], p["routes"]);

    auto q = os_payload();
    q["nics"] = { { { "nic_tag", "admin" }, { "ip", "dhcp" } } };
    q["routes"] = { { "10.1.0.0/16", "nics[0]" } };
    EXPECT_TRUE(
        failed_with(create(q), "Route gateway: \"nics[0]\" refers to non-existent or DHCP nic"));
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Create, FreshRootWithoutStoreDirectories)
{
    std::filesystem::remove_all(root().path() / "etc/lumos/vms");
    std::filesystem::remove_all(root().path() / "zones");
    std::filesystem::remove(root().path() / "etc/lumos/config");
    // The pool directory comes back with the image a create needs (an implicit dir pool).
    install_image(IMAGE_UUID, "zone-dataset");
    auto l = vmadm({ "list", "-H" });
    EXPECT_EQ(l.exit_code, 0) << l.describe();
    EXPECT_EQ(l.out, "");
    auto uuid = create_ok(os_payload());
    EXPECT_EQ(get(uuid)["state"], "stopped");
    // without a host config there are no nic tags
    auto p = os_payload();
    p["nics"] = { { { "nic_tag", "admin" }, { "ip", "dhcp" } } };
    EXPECT_TRUE(failed_with(create(p), "Invalid nic tag \"admin\""));
}

} // namespace
} // namespace lumos::test
