// SPDX-License-Identifier: MPL-2.0
// The VM store on a real temporary directory (no root needed).
#include "store/vm_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

using namespace lumos;

namespace {

class VmStoreTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-store.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    std::string m_root;
};

constexpr char const* UUID = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";

Json sample()
{
    return { { "uuid", UUID }, { "zonename", UUID }, { "zpool", "zones" }, { "brand", "joyent" },
        { "zone_state", "installed" }, { "max_physical_memory", 256 },
        { "customer_metadata", { { "user-script", "echo hi" } } },
        { "internal_metadata", Json::object() }, { "tags", { { "role", "db" } } },
        { "routes", Json::object() } };
}

} // namespace

TEST_F(VmStoreTest, SaveLoadRoundTripsAndWritesConfigFiles)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(sample()));
    std::string const zonepath = m_root + "/zones/" + UUID;
    EXPECT_TRUE(std::filesystem::exists(zonepath + "/config/metadata.json"));
    EXPECT_TRUE(std::filesystem::exists(zonepath + "/config/tags.json"));
    EXPECT_TRUE(std::filesystem::exists(zonepath + "/config/routes.json"));

    // The record is the commit point and carries the maps; the config files are copies.
    auto record = vms.load_record(UUID);
    ASSERT_TRUE(record);
    EXPECT_EQ((*record)["tags"]["role"], "db");
    EXPECT_FALSE(record->contains("state"));

    auto vm = vms.load(UUID);
    ASSERT_TRUE(vm);
    EXPECT_EQ((*vm)["tags"]["role"], "db");
    EXPECT_EQ((*vm)["customer_metadata"]["user-script"], "echo hi");
    EXPECT_EQ((*vm)["state"], "stopped");
    EXPECT_EQ((*vm)["zonepath"], zonepath);
    EXPECT_EQ((*vm)["zfs_filesystem"], std::string("zones/") + UUID);
    EXPECT_EQ((*vm)["hvm"], false);
    EXPECT_EQ((*vm)["firewall_enabled"], false);
    EXPECT_EQ((*vm)["snapshots"], Json::array());
    EXPECT_TRUE((*vm)["last_modified"].is_string());
}

TEST_F(VmStoreTest, PartialLoadSkipsMetadataFiles)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(sample()));
    store::LoadOptions options;
    options.keys = std::set<std::string> { "uuid", "alias" };
    auto vm = vms.load(UUID, options);
    ASSERT_TRUE(vm);
    EXPECT_FALSE(vm->contains("tags"));
    EXPECT_FALSE(vm->contains("max_physical_memory"));
    EXPECT_FALSE(vm->contains("last_modified"));
    EXPECT_EQ((*vm)["state"], "stopped");
}

TEST_F(VmStoreTest, SnapshotsAreNeverPersisted)
{
    // The pool has them (vm::Engine::get adds them); the store shows none and saves none.
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(sample()));
    EXPECT_EQ((*vms.load(UUID))["snapshots"], Json::array());
    auto saved = vms.load(UUID);
    ASSERT_TRUE(saved);
    (*saved)["snapshots"] = Json::array(
        { { { "name", "s1" }, { "size", 0 }, { "created_at", "2026-11-23T10:00:00.000Z" } } });
    ASSERT_TRUE(vms.save(*saved));
    EXPECT_FALSE(vms.load_record(UUID)->contains("snapshots"));
    EXPECT_EQ((*vms.load(UUID))["snapshots"], Json::array());
}

TEST_F(VmStoreTest, MissingVmIsNotFound)
{
    store::VmStore vms { Paths(m_root) };
    auto vm = vms.load(UUID);
    ASSERT_FALSE(vm);
    EXPECT_EQ(vm.error().code(), ErrorCode::NotFound);
    EXPECT_EQ(vm.error().message(), std::string("VM ") + UUID + " not found");
}

TEST_F(VmStoreTest, RemoveLeavesNothing)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(sample()));
    auto vm = vms.load(UUID);
    ASSERT_TRUE(vms.remove(*vm));
    EXPECT_FALSE(vms.exists(UUID));
    EXPECT_FALSE(std::filesystem::exists(m_root + "/zones/" + UUID));
    EXPECT_TRUE(vms.list_uuids()->empty());
}

TEST_F(VmStoreTest, ListIgnoresTempFilesAndCorruptRecords)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(sample()));
    ASSERT_TRUE(write_file_atomic(m_root + "/etc/lumos/vms/" + UUID + ".json.tmp.abcd", "{"));
    ASSERT_TRUE(write_file_atomic(
        m_root + "/etc/lumos/vms/11111111-2222-3333-4444-555555555555.json", "{ broken"));
    auto all = vms.load_all();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1U);
    EXPECT_EQ((*all)[0]["uuid"], UUID);
}
