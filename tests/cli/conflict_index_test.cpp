// SPDX-License-Identifier: MPL-2.0
// MAC/IP conflicts and `vmadm lookup nics.*.mac=` / `nics.*.ip=` through the store's conflict
// index (store/vm_index.hpp): what the index must never change (SmartOS's refusals, lookup's
// output) when it is lost, rebuilt, or left with rows of a save that failed before its record.
#include "base/paths.hpp"
#include "cli/cli_fixture.hpp"
#include "props/claims.hpp"
#include "store/vm_store.hpp"

#include <filesystem>

namespace lumos::test {
namespace {

const std::string CONFLICT
    = "Conflict detected with another vm, please check the MAC, IP, and VRID";

class ConflictIndex : public CliTest {
protected:
    static json with_nic(const std::string& mac, const std::string& ip)
    {
        auto p = os_payload();
        p["nics"] = { { { "nic_tag", "admin" }, { "mac", mac }, { "ips", { ip + "/24" } } } };
        return p;
    }
    std::filesystem::path index_path() const { return root().path() / "etc/lumos/vm-index.db"; }
    void drop_index() const
    {
        std::filesystem::remove(index_path());
        std::filesystem::remove(index_path().string() + "-journal");
    }
    std::set<std::string> rows_for_mac(const std::string& mac) const
    {
        store::VmStore const store { Paths(root().str()) };
        auto found = store.uuids_claiming({ props::Claim { props::ClaimKind::Mac, mac } });
        EXPECT_TRUE(found);
        return found ? *found : std::set<std::string> {};
    }
};

TEST_F(ConflictIndex, CreateAndUpdateConflictsSurviveALostIndex)
{
    auto first = create_ok(with_nic("02:00:00:00:09:01", "10.7.7.1"));
    auto second = create_ok(with_nic("02:00:00:00:09:02", "10.7.7.2"));
    drop_index(); // rebuilt from the records by the next check
    EXPECT_TRUE(failed_with(create(with_nic("02:00:00:00:09:01", "10.7.7.3")), CONFLICT));
    EXPECT_TRUE(failed_with(create(with_nic("02:00:00:00:09:03", "10.7.7.2")), CONFLICT));
    EXPECT_TRUE(failed_with(update(first,
                                { { "add_nics",
                                    { { { "nic_tag", "admin" }, { "ip", "dhcp" },
                                        { "mac", "02:00:00:00:09:02" } } } } }),
        CONFLICT));
    EXPECT_TRUE(failed_with(
        update(second,
            { { "update_nics",
                { { { "mac", "02:00:00:00:09:02" }, { "ips", { "10.7.7.1/24" } } } } } }),
        CONFLICT));
    EXPECT_EQ(list_uuids().size(), 2U);
}

TEST_F(ConflictIndex, ChangedAndDeletedNicsFreeTheirAddresses)
{
    auto uuid = create_ok(with_nic("02:00:00:00:09:11", "10.7.8.1"));
    update_ok(uuid,
        { { "update_nics",
            { { { "mac", "02:00:00:00:09:11" }, { "ips", { "10.7.8.9/24" } } } } } });
    // Its old address is free, its new one is not.
    create_ok(with_nic("02:00:00:00:09:12", "10.7.8.1"));
    EXPECT_TRUE(failed_with(create(with_nic("02:00:00:00:09:13", "10.7.8.9")), CONFLICT));
    update_ok(uuid, { { "remove_nics", { "02:00:00:00:09:11" } } });
    create_ok(with_nic("02:00:00:00:09:11", "10.7.8.9"));
    EXPECT_TRUE(failed_with(create(with_nic("02:00:00:00:09:11", "10.7.8.20")), CONFLICT));
    auto r = vmadm({ "delete", uuid });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(list_uuids().size(), 2U);
}

// The fault: VmStore::save of a VM fails after its index rows and before its record (its record
// path is taken by a directory, so the rename fails). The VM does not exist; its rows do. A
// create with the same MAC and IP is not refused, and lookup does not name the ghost.
TEST_F(ConflictIndex, SaveFailingBeforeItsRecordRefusesNothing)
{
    create_ok(with_nic("02:00:00:00:09:31", "10.7.9.1")); // makes the index
    const std::string ghost = "c0ffee00-0000-4000-8000-000000000031";
    const auto blocker = vms_dir() / (ghost + ".json");
    std::filesystem::create_directories(blocker / "x");
    {
        store::VmStore const store { Paths(root().str()) };
        json vm = with_nic("02:00:00:00:09:32", "10.7.9.2");
        vm["uuid"] = ghost;
        vm["zonename"] = ghost;
        vm["zpool"] = "zones";
        vm["nics"][0]["ips"] = { "10.7.9.2/24" };
        ASSERT_FALSE(store.save(vm));
    }
    std::filesystem::remove_all(blocker);
    ASSERT_EQ(rows_for_mac("02:00:00:00:09:32"), std::set<std::string> { ghost });

    auto uuid = create_ok(with_nic("02:00:00:00:09:32", "10.7.9.2"));
    auto r = vmadm({ "lookup", "nics.*.mac=02:00:00:00:09:32" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, uuid + "\n");
    // The new VM's save settled the rows of its own uuid only; the ghost's stay until reindex.
    EXPECT_EQ(rows_for_mac("02:00:00:00:09:32"), (std::set<std::string> { ghost, uuid }));
    {
        store::VmStore const store { Paths(root().str()) };
        ASSERT_TRUE(store.reindex());
    }
    EXPECT_EQ(rows_for_mac("02:00:00:00:09:32"), std::set<std::string> { uuid });
}

TEST_F(ConflictIndex, LookupByMacAndIpPrintsWhatAFullScanPrints)
{
    auto web = create_ok(with_nic("02:00:00:00:09:21", "10.7.10.1"));
    auto p = with_nic("02:00:00:00:09:22", "10.7.10.1");
    p["nics"][0]["nic_tag"] = "external"; // the same address on another tag is no conflict
    auto db = create_ok(p);
    create_ok(with_nic("02:00:00:00:09:23", "10.7.10.3"));

    // Through the index (only nics.*.mac / nics.*.ip), and through the full scan (a regex
    // filter, or another key beside them), the same VMs in the same order.
    auto by_index = vmadm({ "lookup", "nics.*.ip=10.7.10.1" });
    auto by_scan = vmadm({ "lookup", "nics.*.ip=~^10\\.7\\.10\\.1$" });
    ASSERT_EQ(by_index.exit_code, 0) << by_index.describe();
    EXPECT_EQ(by_index.out, by_scan.out);
    EXPECT_EQ(split_lines(by_index.out).size(), 2U);

    auto mac = vmadm({ "lookup", "nics.*.mac=2:0:0:0:9:21" }); // vmadm's fixMac applies
    EXPECT_EQ(mac.out, web + "\n");
    auto both = vmadm({ "lookup", "nics.*.ip=10.7.10.1", "nics.*.mac=02:00:00:00:09:22" });
    EXPECT_EQ(both.out, db + "\n");

    auto json_index = vmadm({ "lookup", "-j", "nics.*.mac=02:00:00:00:09:22" });
    auto json_scan = vmadm({ "lookup", "-j", "nics.*.mac=02:00:00:00:09:22", "brand=joyent" });
    ASSERT_EQ(json_index.exit_code, 0) << json_index.describe();
    EXPECT_EQ(json_index.out, json_scan.out);
    EXPECT_EQ(json::parse(json_index.out).at(0).at("uuid"), db);

    auto unique = vmadm({ "lookup", "-1", "nics.*.mac=02:00:00:00:09:22" });
    EXPECT_EQ(unique.exit_code, 0) << unique.describe();
    EXPECT_EQ(unique.out, db + "\n");
    EXPECT_TRUE(failed_with(vmadm({ "lookup", "-1", "nics.*.ip=10.7.10.1" }),
        "Requested unique lookup but found 2 results."));
    EXPECT_TRUE(failed_with(vmadm({ "lookup", "-1", "nics.*.ip=10.7.10.99" }),
        "Requested unique lookup but found 0 results."));
    auto none = vmadm({ "lookup", "nics.*.mac=02:00:00:00:09:99" });
    EXPECT_EQ(none.exit_code, 0);
    EXPECT_EQ(none.out, "");

    // A lost index answers the same once rebuilt.
    drop_index();
    EXPECT_EQ(vmadm({ "lookup", "nics.*.ip=10.7.10.1" }).out, by_index.out);
}

} // namespace
} // namespace lumos::test
