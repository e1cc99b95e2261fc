// SPDX-License-Identifier: MPL-2.0
// `vmadm get` (alias `json`): reference §1.2, §2.7 and the team's path rules.
#include "cli/cli_fixture.hpp"

namespace lumos::test {
namespace {

class Get : public CliTest { };

TEST_F(Get, UnknownVmIsNoSuchZone)
{
    EXPECT_TRUE(failed_with(vmadm({ "get", ABSENT_UUID }),
        std::string("zoneadm: ") + ABSENT_UUID + ": No such zone configured"));
    EXPECT_TRUE(failed_with(vmadm({ "json", ABSENT_UUID }),
        std::string("zoneadm: ") + ABSENT_UUID + ": No such zone configured"));
}

TEST_F(Get, UnknownVmAmongOthers)
{
    create_ok(os_payload());
    EXPECT_EQ(vmadm({ "get", ABSENT_UUID }).exit_code, 1);
}

TEST_F(Get, PathsAndNames)
{
    auto uuid = create_ok(os_payload());
    auto vm = get(uuid);
    EXPECT_EQ(vm["uuid"], uuid);
    EXPECT_EQ(vm["zonename"], uuid);
    EXPECT_EQ(vm["zonepath"], root().str() + "/zones/" + uuid);
    EXPECT_EQ(vm["zfs_filesystem"], "zones/" + uuid);
    EXPECT_EQ(vm["zpool"], "zones");
}

TEST_F(Get, OsVmHasNoRamOrTypeOrHostname)
{
    auto vm = get(create_ok(os_payload()));
    EXPECT_FALSE(vm.contains("ram")) << vm.dump(2);
    EXPECT_FALSE(vm.contains("type")) << vm.dump(2);
    EXPECT_FALSE(vm.contains("hostname")) << vm.dump(2);
}

TEST_F(Get, ZonenameFromPayload)
{
    auto p = os_payload();
    p["zonename"] = "myzone";
    auto uuid = create_ok(p);
    auto vm = get(uuid);
    EXPECT_EQ(vm["zonename"], "myzone");
    EXPECT_EQ(vm["uuid"], uuid);
}

TEST_F(Get, FlagsOnlyWhenTrue)
{
    auto vm = get(create_ok(os_payload()));
    for (const char* key :
        { "do_not_inventory", "indestructible_zoneroot", "indestructible_delegated",
            "archive_on_delete", "docker", "maintain_resolvers", "restart_init" }) {
        EXPECT_FALSE(vm.contains(key)) << key;
    }
    EXPECT_EQ(vm["firewall_enabled"], false);
}

TEST_F(Get, RestartInitAppearsOnlyWhenFalse)
{
    auto p = os_payload();
    p["restart_init"] = false;
    auto uuid = create_ok(p);
    EXPECT_EQ(get(uuid)["restart_init"], false);
    update_ok(uuid, { { "restart_init", true } });
    EXPECT_FALSE(get(uuid).contains("restart_init"));
}

TEST_F(Get, NicsSortedByInterface)
{
    auto p = os_payload();
    p["nics"] = json::array();
    for (int i = 0; i < 12; ++i) {
        p["nics"].push_back({ { "nic_tag", "admin" }, { "ip", "dhcp" },
            { "interface", "net" + std::to_string(11 - i) } });
    }
    auto vm = get(create_ok(p));
    ASSERT_EQ(vm["nics"].size(), 12U);
    for (int i = 0; i < 12; ++i) {
        EXPECT_EQ(vm["nics"][static_cast<size_t>(i)]["interface"], "net" + std::to_string(i));
    }
}

TEST_F(Get, ConfigSurvivesAcrossInvocations)
{
    auto uuid = create_ok(os_payload());
    EXPECT_TRUE(std::filesystem::exists(config_path(uuid)));
    auto a = get(uuid);
    auto b = get(uuid);
    EXPECT_EQ(a, b);
}

} // namespace
} // namespace lumos::test
