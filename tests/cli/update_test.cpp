// SPDX-License-Identifier: MPL-2.0
// `vmadm update`: reference §1.2, §1.7, §2.6 and upstream test-update.js, test-alias.js,
// test-quota.js, test-firewall.js, test-autoboot.js, test-tmpfs.js.
#include "cli/cli_fixture.hpp"

namespace lumos::test {
namespace {

class Update : public CliTest {
protected:
    void SetUp() override
    {
        CliTest::SetUp();
        if (!IsSkipped()) {
            m_uuid = create_ok(os_payload());
        }
    }
    std::string m_uuid;
};

TEST_F(Update, SuccessMessageOnStderr)
{
    EXPECT_TRUE(succeeded_with_message(
        update(m_uuid, { { "alias", "renamed" } }), "Successfully updated VM " + m_uuid));
    EXPECT_EQ(get(m_uuid)["alias"], "renamed");
}

TEST_F(Update, FromFile)
{
    auto path = write_payload(json { { "alias", "fromfile" } });
    EXPECT_TRUE(succeeded_with_message(
        vmadm({ "update", m_uuid, "-f", path }), "Successfully updated VM " + m_uuid));
    EXPECT_EQ(get(m_uuid)["alias"], "fromfile");
}

TEST_F(Update, UnknownVmFails)
{
    auto r = update(ABSENT_UUID, { { "alias", "x" } });
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(list_uuids(), std::vector<std::string> { m_uuid });
}

class UnsetSimpleProperty
    : public Update
    , public ::testing::WithParamInterface<std::tuple<const char*, json>> { };

TEST_P(UnsetSimpleProperty, NullOrEmptyRemovesIt)
{
    const std::string key = std::get<0>(GetParam());
    const std::string value = "930896af-bf8c-48d4-885c-6573a94b1853";
    update_ok(m_uuid, { { key, value } });
    EXPECT_EQ(get(m_uuid)[key], value);
    update_ok(m_uuid, { { key, std::get<1>(GetParam()) } });
    auto vm = get(m_uuid);
    if (key == "owner_uuid" || key == "billing_id") {
        // these have create-time defaults; unsetting must at least drop the value we set
        EXPECT_NE(vm.value(key, json()), value) << key;
    } else {
        EXPECT_FALSE(vm.contains(key)) << key << " = " << vm[key];
    }
}

INSTANTIATE_TEST_SUITE_P(Keys, UnsetSimpleProperty,
    ::testing::Combine(::testing::Values("alias", "hostname", "package_name", "package_version",
                           "billing_id", "owner_uuid"),
        ::testing::Values(json(nullptr), json(""), json("   "))));

TEST_F(Update, AliasUtf8AndLongRoundTrip)
{
    const std::string utf8 = "\xc3\xa9t\xc3\xa9-\xe2\x98\x83-\xf0\x9f\x9a\x80";
    update_ok(m_uuid, { { "alias", utf8 } });
    EXPECT_EQ(get(m_uuid)["alias"], utf8);
    const std::string long_alias(189, 'x');
    update_ok(m_uuid, { { "alias", long_alias } });
    EXPECT_EQ(get(m_uuid)["alias"], long_alias);
    const std::string tricky = "quote\" backslash\\ newline\n tab\t =,:";
    update_ok(m_uuid, { { "alias", tricky } });
    EXPECT_EQ(get(m_uuid)["alias"], tricky);
}

TEST_F(Update, UnmodifiablePropertiesAreIgnored)
{
    auto before = get(m_uuid);
    auto r = update(m_uuid,
        { { "brand", "lx" }, { "hvm", true }, { "last_modified", "2000-01-01T00:00:00.000Z" },
            { "server_uuid", "00000000-0000-0000-0000-000000000001" },
            { "uuid", "11111111-2222-3333-4444-555555555555" }, { "zonename", "renamed" },
            { "tags", { { "a", "b" } } }, { "customer_metadata", { { "a", "b" } } } });
    EXPECT_TRUE(succeeded_with_message(r, "Successfully updated VM " + m_uuid));
    auto after = get(m_uuid);
    for (const char* key :
        { "brand", "hvm", "server_uuid", "uuid", "zonename", "tags", "customer_metadata" }) {
        EXPECT_EQ(after.value(key, json()), before.value(key, json())) << key;
    }
    EXPECT_EQ(list_uuids(), std::vector<std::string> { m_uuid });
}

TEST_F(Update, BadValueFailsAndChangesNothing)
{
    auto before = get(m_uuid);
    EXPECT_TRUE(failed_with(update(m_uuid, { { "cpu_cap", "doogle" }, { "alias", "changed" } }),
        "Invalid value for cpu_cap: null:number"));
    EXPECT_EQ(get(m_uuid), before);
    EXPECT_TRUE(failed_with(update(m_uuid, { { "cpu_cap", -5 }, { "alias", "changed" } }),
        "Invalid value(s) for: cpu_cap"));
    EXPECT_TRUE(failed_with(
        update(m_uuid, { { "autoboot", "aardvark" } }), "Invalid value(s) for: autoboot"));
    EXPECT_TRUE(failed_with(
        update(m_uuid, { { "resolvers", { "x.y" } } }), "Invalid value(s) for: resolvers"));
    EXPECT_EQ(get(m_uuid), before);
}

struct MemoryCase {
    const char* name;
    json patch;
    int max_physical;
    int max_locked;
    int max_swap;
};

class UpdateMemory
    : public Update
    , public ::testing::WithParamInterface<MemoryCase> { };

TEST_P(UpdateMemory, Derives)
{
    update_ok(m_uuid, GetParam().patch);
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["max_physical_memory"], GetParam().max_physical);
    EXPECT_EQ(vm["max_locked_memory"], GetParam().max_locked);
    EXPECT_EQ(vm["max_swap"], GetParam().max_swap);
    EXPECT_FALSE(vm.contains("ram"));
}

INSTANTIATE_TEST_SUITE_P(Cases, UpdateMemory,
    ::testing::Values(MemoryCase { "ram_512", { { "ram", 512 } }, 512, 512, 512 },
        MemoryCase { "ram_128", { { "ram", 128 } }, 128, 128, 256 },
        MemoryCase { "ram_string_64", { { "ram", "64" } }, 64, 64, 256 },
        MemoryCase { "max_physical_1024", { { "max_physical_memory", 1024 } }, 1024, 1024, 1024 },
        MemoryCase { "swap_below_physical_is_raised", { { "max_swap", 200 } }, 256, 256, 256 },
        MemoryCase {
            "locked_above_physical_is_clamped", { { "max_locked_memory", 4096 } }, 256, 256, 256 }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Update, MemoryDeltasArePreserved)
{
    update_ok(m_uuid, { { "max_physical_memory", 1024 }, { "max_swap", 2048 } });
    update_ok(m_uuid, { { "max_physical_memory", 2048 } });
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["max_swap"], 3072);
    EXPECT_EQ(vm["max_locked_memory"], 2048);
}

TEST_F(Update, TmpfsKeepsRatioWhenMemoryChanges)
{
    update_ok(m_uuid, { { "tmpfs", 128 } });
    update_ok(m_uuid, { { "max_physical_memory", 1024 } });
    EXPECT_EQ(get(m_uuid)["tmpfs"], 512);
    update_ok(m_uuid, { { "tmpfs", 0 } });
    EXPECT_EQ(get(m_uuid)["tmpfs"], 0);
    update_ok(m_uuid, { { "tmpfs", 99999 } });
    EXPECT_EQ(get(m_uuid)["tmpfs"], 1024);
}

TEST_F(Update, QuotaSetAndRemove)
{
    update_ok(m_uuid, { { "quota", 13 } });
    EXPECT_EQ(get(m_uuid)["quota"], 13);
    update_ok(m_uuid, { { "quota", nullptr } });
    EXPECT_EQ(get(m_uuid)["quota"], 0);
    update_ok(m_uuid, { { "quota", 5 } });
    update_ok(m_uuid, { { "quota", "" } });
    EXPECT_EQ(get(m_uuid)["quota"], 0);
}

TEST_F(Update, CpuCapZeroOrNullRemovesIt)
{
    update_ok(m_uuid, { { "cpu_cap", 100 } });
    EXPECT_EQ(get(m_uuid)["cpu_cap"], 100);
    update_ok(m_uuid, { { "cpu_cap", 0 } });
    EXPECT_FALSE(get(m_uuid).contains("cpu_cap"));
    update_ok(m_uuid, { { "cpu_cap", 100 } });
    update_ok(m_uuid, { { "cpu_cap", nullptr } });
    EXPECT_FALSE(get(m_uuid).contains("cpu_cap"));
}

TEST_F(Update, RctlZeroIsStoredLiterally)
{
    update_ok(m_uuid, { { "cpu_shares", 0 }, { "zfs_io_priority", 0 } });
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["cpu_shares"], 0);
    EXPECT_EQ(vm["zfs_io_priority"], 0);
}

TEST_F(Update, FirewallToggles)
{
    EXPECT_EQ(get(m_uuid)["firewall_enabled"], false);
    update_ok(m_uuid, { { "firewall_enabled", true } });
    EXPECT_EQ(get(m_uuid)["firewall_enabled"], true);
    update_ok(m_uuid, { { "firewall_enabled", false } });
    EXPECT_EQ(get(m_uuid)["firewall_enabled"], false);
}

TEST_F(Update, AutobootIsPersisted)
{
    update_ok(m_uuid, { { "autoboot", true } });
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["autoboot"], true);
    EXPECT_EQ(vm["state"], "stopped");
    update_ok(m_uuid, { { "autoboot", false } });
    EXPECT_EQ(get(m_uuid)["autoboot"], false);
}

TEST_F(Update, BooleansStoredOnlyWhenTrue)
{
    update_ok(m_uuid, { { "do_not_inventory", true }, { "archive_on_delete", true } });
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["do_not_inventory"], true);
    EXPECT_EQ(vm["archive_on_delete"], true);
    update_ok(m_uuid, { { "do_not_inventory", false }, { "archive_on_delete", "false" } });
    vm = get(m_uuid);
    EXPECT_FALSE(vm.contains("do_not_inventory"));
    EXPECT_FALSE(vm.contains("archive_on_delete"));
}

TEST_F(Update, TagsAndMetadataSetAndRemove)
{
    update_ok(m_uuid,
        { { "set_tags", { { "a", "1" }, { "b", 2 }, { "c", true } } },
            { "set_customer_metadata", { { "user-script", "echo" } } },
            { "set_internal_metadata", { { "x:y", "z" } } } });
    auto vm = get(m_uuid);
    EXPECT_EQ(vm["tags"], (json { { "a", "1" }, { "b", 2 }, { "c", true } }));
    EXPECT_EQ(vm["customer_metadata"], (json { { "user-script", "echo" } }));
    EXPECT_EQ(vm["internal_metadata"], (json { { "x:y", "z" } }));

    update_ok(m_uuid,
        { { "remove_tags", { "a", "nonexistent" } }, { "set_tags", { { "d", "4" } } },
            { "remove_customer_metadata", "user-script" } });
    vm = get(m_uuid);
    EXPECT_EQ(vm["tags"], (json { { "b", 2 }, { "c", true }, { "d", "4" } }));
    EXPECT_EQ(vm["customer_metadata"], json::object());
}

TEST_F(Update, RemoveIsAppliedBeforeSet)
{
    update_ok(m_uuid, { { "set_tags", { { "k", "old" } } } });
    update_ok(m_uuid, { { "remove_tags", { "k" } }, { "set_tags", { { "k", "new" } } } });
    EXPECT_EQ(get(m_uuid)["tags"], (json { { "k", "new" } }));
}

TEST_F(Update, NestedMetadataIsRejected)
{
    EXPECT_TRUE(
        failed_with(update(m_uuid, { { "set_customer_metadata", { { "a", { { "b", "c" } } } } } }),
            "Invalid value(s) for: set_customer_metadata"));
}

// --- NICs ---------------------------------------------------------------------------------------

class UpdateNics : public Update {
protected:
    json nics() const { return get(m_uuid)["nics"]; }
};

TEST_F(UpdateNics, AddUpdateRemove)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ips", { "10.0.0.10/24" } },
                  { "mac", "02:00:00:00:01:01" }, { "primary", true } },
                { { "nic_tag", "external" }, { "ip", "dhcp" },
                    { "mac", "02:00:00:00:01:02" } } } } });
    auto n = nics();
    ASSERT_EQ(n.size(), 2U);
    EXPECT_EQ(n[0]["interface"], "net0");
    EXPECT_EQ(n[0]["primary"], true);
    EXPECT_EQ(n[1]["interface"], "net1");

    update_ok(m_uuid,
        { { "update_nics",
            { { { "mac", "02:00:00:00:01:02" }, { "primary", true }, { "mtu", 1500 } } } } });
    n = nics();
    EXPECT_FALSE(n[0].contains("primary"));
    EXPECT_EQ(n[1]["primary"], true);
    EXPECT_EQ(n[1]["mtu"], 1500);

    update_ok(m_uuid, { { "remove_nics", { "02:00:00:00:01:01" } } });
    n = nics();
    ASSERT_EQ(n.size(), 1U);
    EXPECT_EQ(n[0]["mac"], "02:00:00:00:01:02");
}

TEST_F(UpdateNics, UpdateIpOnly)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ips", { "10.0.0.10/24" } },
                { "mac", "02:00:00:00:01:01" } } } } });
    update_ok(m_uuid,
        { { "update_nics", { { { "mac", "02:00:00:00:01:01" }, { "ip", "10.0.0.11" } } } } });
    auto n = nics();
    EXPECT_EQ(n[0]["ip"], "10.0.0.11");
    EXPECT_EQ(n[0]["netmask"], "255.255.255.0");
    EXPECT_EQ(n[0]["ips"], json::array({ "10.0.0.11/24" }));
}

TEST_F(UpdateNics, RemovingPrimaryReelectsPublicFirst)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ips", { "10.0.0.10/24" } },
                  { "mac", "02:00:00:00:02:01" }, { "primary", true } },
                { { "nic_tag", "admin" }, { "ips", { "192.168.0.10/24" } },
                    { "mac", "02:00:00:00:02:02" } },
                { { "nic_tag", "external" }, { "ips", { "8.8.1.1/24" } },
                    { "mac", "02:00:00:00:02:03" } } } } });
    update_ok(m_uuid, { { "remove_nics", { "02:00:00:00:02:01" } } });
    auto n = nics();
    ASSERT_EQ(n.size(), 2U);
    EXPECT_FALSE(n[0].contains("primary")) << n.dump();
    EXPECT_EQ(n[1]["primary"], true) << n.dump();
}

TEST_F(UpdateNics, PrimaryKeyOnlyWhenTrue)
{
    // §2.7: `primary` appears only when true. (Only create makes the first NIC primary, so
    // none of these is primary.)
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ips", { "10.0.0.10/24" } },
                  { "mac", "02:00:00:00:04:01" } },
                { { "nic_tag", "admin" }, { "ips", { "192.168.0.10/24" } },
                    { "mac", "02:00:00:00:04:02" } },
                { { "nic_tag", "external" }, { "ips", { "8.8.1.1/24" } },
                    { "mac", "02:00:00:00:04:03" } } } } });
    update_ok(m_uuid, { { "remove_nics", { "02:00:00:00:04:01" } } });
    for (const auto& n : nics()) {
        if (n.contains("primary")) {
            EXPECT_EQ(n["primary"], true) << n.dump();
        }
    }
}

TEST_F(UpdateNics, Errors)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", "02:00:00:00:03:01" } } } } });
    auto before = get(m_uuid);
    EXPECT_TRUE(failed_with(
        update(
            m_uuid, { { "update_nics", { { { "mac", "02:00:00:00:03:09" }, { "mtu", 1500 } } } } }),
        "There is no existing NIC with that mac address"));
    EXPECT_TRUE(failed_with(update(m_uuid, { { "update_nics", { { { "mtu", 1500 } } } } }),
        "NIC object needs a .mac property to update"));
    EXPECT_TRUE(failed_with(
        update(m_uuid,
            { { "update_nics", { { { "mac", "02:00:00:00:03:01" }, { "primary", false } } } } }),
        "invalid value for NIC's primary flag: false (must be true)"));
    EXPECT_TRUE(failed_with(update(m_uuid,
                                { { "add_nics",
                                    { { { "nic_tag", "admin" }, { "ip", "dhcp" },
                                        { "mac", "02:00:00:00:03:01" } } } } }),
        "Cannot add multiple NICs with the same MAC: 02:00:00:00:03:01"));
    // "add_nics must be an array." or "Invalid value(s) for: add_nics": either is fine.
    auto r = update(m_uuid, { { "add_nics", { { "nic_tag", "admin" } } } });
    EXPECT_TRUE(clean_failure(r));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_TRUE(failed_with(
        update(m_uuid, { { "add_nics", { { { "nic_tag", "nosuchtag" }, { "ip", "dhcp" } } } } }),
        "Invalid nic tag \"nosuchtag\""));
    EXPECT_EQ(get(m_uuid), before);
}

TEST_F(UpdateNics, RemoveUnknownMacIsSkipped)
{
    EXPECT_TRUE(
        succeeded_with_message(update(m_uuid, { { "remove_nics", { "02:00:00:00:09:09" } } }),
            "Successfully updated VM " + m_uuid));
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(UpdateNics, UpdateIpv4WithoutExistingAddress)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", "02:00:00:00:06:01" },
                { "primary", true } } } } });
    EXPECT_TRUE(failed_with(
        update(m_uuid,
            { { "update_nics",
                { { { "mac", "02:00:00:00:06:01" }, { "netmask", "255.255.255.0" } } } } }),
        "Need a single existing IPv4 address to update .ip or .netmask"));
}

TEST_F(Update, RoutesSetAndRemove)
{
    update_ok(m_uuid,
        { { "set_routes", { { "10.1.0.0/16", "10.0.0.1" }, { "10.2.0.0/16", "10.0.0.1" } } } });
    EXPECT_EQ(get(m_uuid)["routes"].size(), 2U);
    update_ok(m_uuid, { { "remove_routes", { "10.1.0.0/16" } } });
    EXPECT_EQ(get(m_uuid)["routes"], (json { { "10.2.0.0/16", "10.0.0.1" } }));
    EXPECT_TRUE(failed_with(update(m_uuid, { { "set_routes", { { "foo", "10.0.0.1" } } } }),
        "Invalid route destination: \"foo\" (must be IP address or CIDR)"));
}

class UpdateKvm : public CliTest { };

TEST_F(UpdateKvm, RamMovesMemoryWithOverhead)
{
    auto uuid = create_ok(hvm_payload("kvm"));
    update_ok(uuid, { { "ram", 2048 } });
    auto vm = get(uuid);
    EXPECT_EQ(vm["ram"], 2048);
    EXPECT_EQ(vm["max_physical_memory"], 3072);
    EXPECT_EQ(vm["max_locked_memory"], 3072);
    EXPECT_EQ(vm["max_swap"], 3072);
}

TEST_F(UpdateKvm, MaxPhysicalBelowRamIsRaisedToRamPlusMinOverhead)
{
    // VM.js updateVM runs fixPayloadMemory before checkPayloadProperties: a max_physical_memory
    // below ram + KVM_MIN_MEM_OVERHEAD (256) is raised to it, so the "cannot be lower than
    // vm.ram" check never sees 512 and the update succeeds (test-update-kvm.js).
    auto p = hvm_payload("kvm");
    p["ram"] = 1024;
    auto uuid = create_ok(p);
    auto r = update(uuid, { { "max_physical_memory", 512 } });
    EXPECT_TRUE(succeeded_with_message(r, "Successfully updated VM " + uuid));
    EXPECT_EQ(get(uuid)["max_physical_memory"], 1024 + 256);
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(UpdateNics, MacOrIpOfAnotherVmIsAConflict)
{
    update_ok(m_uuid,
        { { "add_nics",
            { { { "nic_tag", "admin" }, { "ips", { "10.5.5.5/24" } },
                { "mac", "02:00:00:00:07:01" }, { "primary", true } } } } });
    auto other = create_ok(os_payload());
    const std::string conflict
        = "Conflict detected with another vm, please check the MAC, IP, and VRID";
    EXPECT_TRUE(failed_with(update(other,
                                { { "add_nics",
                                    { { { "nic_tag", "admin" }, { "ip", "dhcp" },
                                        { "mac", "02:00:00:00:07:01" } } } } }),
        conflict));
    EXPECT_TRUE(failed_with(
        update(other,
            { { "add_nics", { { { "nic_tag", "admin" }, { "ips", { "10.5.5.5/24" } } } } } }),
        conflict));
    EXPECT_TRUE(get(other)["nics"].empty());
}

} // namespace
} // namespace lumos::test
