// SPDX-License-Identifier: MPL-2.0
// `vmadm delete` (alias `destroy`): reference §1.2, §3.4, upstream test-delete.js and
// test-indestructible.js.
#include "cli/cli_fixture.hpp"

namespace lumos::test {
namespace {

class Delete : public CliTest { };

TEST_F(Delete, RemovesTheVm)
{
    auto keep = create_ok(os_payload());
    auto uuid = create_ok(os_payload());
    EXPECT_TRUE(
        succeeded_with_message(vmadm({ "delete", uuid }), "Successfully deleted VM " + uuid));
    EXPECT_FALSE(std::filesystem::exists(config_path(uuid)));
    EXPECT_FALSE(std::filesystem::exists(root().path() / "zones" / uuid)) << "zonepath left behind";
    EXPECT_TRUE(std::filesystem::exists(root().path() / "zones" / keep));
    EXPECT_EQ(vmadm({ "get", uuid }).exit_code, 1);
    EXPECT_EQ(list_uuids(), std::vector<std::string> { keep });
    EXPECT_EQ(get(keep)["uuid"], keep);
}

TEST_F(Delete, UuidCanBeReusedAfterDelete)
{
    auto p = os_payload();
    p["uuid"] = "8a9e3c4d-1b2c-4d5e-8f90-a1b2c3d4e5f6";
    create_ok(p);
    ASSERT_EQ(vmadm({ "delete", "8a9e3c4d-1b2c-4d5e-8f90-a1b2c3d4e5f6" }).exit_code, 0);
    EXPECT_EQ(create_ok(p), "8a9e3c4d-1b2c-4d5e-8f90-a1b2c3d4e5f6");
}

TEST_F(Delete, FreesMacForNewVms)
{
    auto p = os_payload();
    p["nics"] = { { { "nic_tag", "admin" }, { "ip", "dhcp" }, { "mac", "02:00:00:00:05:01" } } };
    auto uuid = create_ok(p);
    ASSERT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
    create_ok(p);
}

TEST_F(Delete, UnknownVm)
{
    EXPECT_TRUE(failed_with(vmadm({ "delete", ABSENT_UUID }),
        std::string("Failed to delete VM ") + ABSENT_UUID + ": VM " + ABSENT_UUID + " not found"));
}

TEST_F(Delete, TwiceFailsTheSecondTime)
{
    auto uuid = create_ok(os_payload());
    ASSERT_EQ(vmadm({ "delete", uuid }).exit_code, 0);
    EXPECT_TRUE(
        failed_with_prefix(vmadm({ "delete", uuid }), "Failed to delete VM " + uuid + ": "));
}

class Indestructible
    : public Delete
    , public ::testing::WithParamInterface<const char*> { };

TEST_P(Indestructible, BlocksDeleteUntilCleared)
{
    const std::string flag = GetParam();
    auto p = os_payload();
    p["delegate_dataset"] = true; // indestructible_delegated protects zones/<uuid>/data
    p[flag] = true;
    auto uuid = create_ok(p);
    EXPECT_EQ(get(uuid)[flag], true);
    EXPECT_TRUE(failed_with(vmadm({ "delete", uuid }),
        "Failed to delete VM " + uuid + ": " + flag + " is set, cannot delete"));
    EXPECT_EQ(list_uuids(), std::vector<std::string> { uuid });
    EXPECT_TRUE(std::filesystem::exists(config_path(uuid)));

    update_ok(uuid, { { flag, false } });
    EXPECT_FALSE(get(uuid).contains(flag));
    EXPECT_TRUE(
        succeeded_with_message(vmadm({ "delete", uuid }), "Successfully deleted VM " + uuid));
    EXPECT_TRUE(list_uuids().empty());
}

TEST_P(Indestructible, CanBeSetByUpdate)
{
    const std::string flag = GetParam();
    auto p = os_payload();
    p["delegate_dataset"] = true;
    auto uuid = create_ok(p);
    update_ok(uuid, { { flag, true } });
    EXPECT_TRUE(failed_with(vmadm({ "delete", uuid }),
        "Failed to delete VM " + uuid + ": " + flag + " is set, cannot delete"));
}

INSTANTIATE_TEST_SUITE_P(Flags, Indestructible,
    ::testing::Values("indestructible_zoneroot", "indestructible_delegated"));

} // namespace
} // namespace lumos::test
