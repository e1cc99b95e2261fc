// SPDX-License-Identifier: MPL-2.0
// The conflict index (store/vm_index.hpp) through VmStore, on a real temporary directory: rows
// written with the record, stale rows, crashes between the rows and the record, rebuilds.
#include "base/file.hpp"
#include "props/claims.hpp"
#include "store/vm_store.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <sqlite3.h>

using namespace lumos;
using props::Claim;
using props::ClaimKind;

namespace {

constexpr char const* A = "aaaaaaaa-1111-4111-8111-111111111111";
constexpr char const* B = "bbbbbbbb-2222-4222-8222-222222222222";

class VmIndexTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/lumos-test-index.XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        m_root = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_root); }

    std::string index_path() const { return m_root + "/etc/lumos/vm-index.db"; }
    std::string record_path(std::string const& uuid) const
    {
        return m_root + "/etc/lumos/vms/" + uuid + ".json";
    }

    // The uuids the index names for one claim.
    static std::set<std::string> owners(store::VmStore const& vms, ClaimKind kind, std::string key)
    {
        auto found = vms.uuids_claiming({ Claim { kind, std::move(key) } });
        EXPECT_TRUE(found) << found.error().message();
        return found ? *found : std::set<std::string> {};
    }

    // Runs SQL on the index behind the store's back (a crash, an older lumos, a hand edit).
    void sql(std::string const& statement) const
    {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(index_path().c_str(), &db), SQLITE_OK);
        char* message = nullptr;
        int const code = sqlite3_exec(db, statement.c_str(), nullptr, nullptr, &message);
        std::string const text = message != nullptr ? message : "";
        sqlite3_free(message);
        sqlite3_close(db);
        ASSERT_EQ(code, SQLITE_OK) << text;
    }

    std::string m_root;
};

Json vm_with(std::string const& uuid, std::string const& mac, std::string const& ip)
{
    return { { "uuid", uuid }, { "zonename", uuid }, { "zpool", "zones" }, { "brand", "joyent" },
        { "zone_state", "installed" },
        { "nics",
            Json::array({ Json { { "mac", mac }, { "nic_tag", "admin" }, { "ips", { ip + "/24" } },
                { "ip", ip }, { "vrrp_vrid", 7 } } }) },
        { "vnc_port", 5901 }, { "datasets", { "zones/" + uuid + "/data" } } };
}

} // namespace

TEST_F(VmIndexTest, SaveFilesEveryClaimAndNothingElse)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    std::set<std::string> const a { A };
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a"), a);
    EXPECT_EQ(owners(vms, ClaimKind::Ip, "10.0.0.10/24"), a);
    EXPECT_EQ(owners(vms, ClaimKind::Ip, "10.0.0.10"), a); // nics.*.ip, for lookup
    EXPECT_EQ(owners(vms, ClaimKind::Vrid, props::vrid_key(7)), a);
    EXPECT_EQ(owners(vms, ClaimKind::VncPort, props::vnc_port_key(5901)), a);
    EXPECT_TRUE(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0b").empty());
    EXPECT_TRUE(owners(vms, ClaimKind::Ip, "10.0.0.11/24").empty());
    EXPECT_TRUE(owners(vms, ClaimKind::Vrid, props::vrid_key(8)).empty());
}

TEST_F(VmIndexTest, DatasetClaimsFindNestedNamesOnly)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    std::set<std::string> const a { A };
    // Equal, inside (its delegated dataset's child) and around (the pool) all find it.
    EXPECT_EQ(owners(vms, ClaimKind::Dataset, std::string("zones/") + A), a);
    EXPECT_EQ(owners(vms, ClaimKind::Dataset, std::string("zones/") + A + "/data/x"), a);
    EXPECT_EQ(owners(vms, ClaimKind::Dataset, "zones"), a);
    EXPECT_EQ(owners(vms, ClaimKind::Dataset, std::string("zones/cores/") + A), a);
    // A sibling whose name starts with the same text does not.
    EXPECT_TRUE(owners(vms, ClaimKind::Dataset, std::string("zones/") + A + "x").empty());
    EXPECT_TRUE(owners(vms, ClaimKind::Dataset, "zonesx/y").empty());
}

TEST_F(VmIndexTest, ChangedClaimsLeaveNoStaleRows)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0c", "10.0.0.12")));
    EXPECT_TRUE(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a").empty());
    EXPECT_TRUE(owners(vms, ClaimKind::Ip, "10.0.0.10/24").empty());
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0c"), std::set<std::string> { A });

    auto vm = vms.load(A);
    ASSERT_TRUE(vm);
    ASSERT_TRUE(vms.remove(*vm));
    EXPECT_TRUE(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0c").empty());
    EXPECT_TRUE(owners(vms, ClaimKind::Dataset, "zones").empty());
}

// A save that fails after its rows were written and before its record (here: the record's path
// is a directory, so the rename fails) leaves rows that name no VM: a candidate, never a claim.
TEST_F(VmIndexTest, RowsWithoutARecordAreOnlyCandidates)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(vm_with(B, "02:00:00:00:00:0b", "10.0.0.11")));
    std::filesystem::create_directories(record_path(A) + "/blocker");
    ASSERT_FALSE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    std::vector<Claim> const claim { Claim { ClaimKind::Mac, "02:00:00:00:00:0a" } };
    EXPECT_EQ(*vms.uuids_claiming(claim), std::set<std::string> { A });
    auto loaded = vms.load_claiming(claim);
    ASSERT_TRUE(loaded);
    EXPECT_TRUE(loaded->empty());

    // Once the record path is free the next save of A settles its rows; reindex removes the
    // rows of a VM that never got a record.
    std::filesystem::remove_all(record_path(A));
    EXPECT_EQ(*vms.uuids_claiming(claim), std::set<std::string> { A });
    auto settled = vms.reindex();
    ASSERT_TRUE(settled) << settled.error().message();
    EXPECT_EQ(*settled, 1U);
    EXPECT_TRUE(vms.uuids_claiming(claim)->empty());
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0b"), std::set<std::string> { B });
}

// A lost index (or one never built: records copied in) is rebuilt from the records on first use.
TEST_F(VmIndexTest, MissingIndexIsRebuiltFromTheRecords)
{
    {
        store::VmStore vms { Paths(m_root) };
        ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
        ASSERT_TRUE(vms.save(vm_with(B, "02:00:00:00:00:0b", "10.0.0.11")));
    }
    std::filesystem::remove(index_path());
    std::filesystem::remove(index_path() + "-journal");
    store::VmStore vms { Paths(m_root) };
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a"), std::set<std::string> { A });
    EXPECT_EQ(owners(vms, ClaimKind::Ip, "10.0.0.11/24"), std::set<std::string> { B });
}

// An index of another format version is rebuilt whole: its old rows go.
TEST_F(VmIndexTest, OtherFormatVersionIsRebuilt)
{
    {
        store::VmStore vms { Paths(m_root) };
        ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    }
    sql(std::string("INSERT INTO claims VALUES (1, '02:00:00:00:00:ff', '") + B
        + "'); DELETE FROM claims WHERE key = '02:00:00:00:00:0a'; PRAGMA user_version = 99;");
    store::VmStore vms { Paths(m_root) };
    EXPECT_TRUE(owners(vms, ClaimKind::Mac, "02:00:00:00:00:ff").empty());
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a"), std::set<std::string> { A });
}

// A record whose rows are missing from a current index (restored by hand) is found again after
// reindex, and a row its record no longer claims is removed.
TEST_F(VmIndexTest, ReindexAddsMissingRowsAndDropsStaleOnes)
{
    store::VmStore vms { Paths(m_root) };
    ASSERT_TRUE(vms.save(vm_with(A, "02:00:00:00:00:0a", "10.0.0.10")));
    sql(std::string(
            "DELETE FROM claims WHERE kind = 1; INSERT INTO claims VALUES (2, '10.9.9.9', '")
        + A + "');");
    EXPECT_TRUE(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a").empty());
    auto settled = vms.reindex();
    ASSERT_TRUE(settled) << settled.error().message();
    EXPECT_EQ(owners(vms, ClaimKind::Mac, "02:00:00:00:00:0a"), std::set<std::string> { A });
    EXPECT_TRUE(owners(vms, ClaimKind::Ip, "10.9.9.9").empty());
}

TEST(Claims, OfAVmAreWhatTheChecksCompare)
{
    Json const vm { { "uuid", A }, { "zonename", "web" }, { "zpool", "data" },
        { "nics",
            Json::array({ Json { { "mac", "2:0:0:0:0:A" }, { "ips", { "dhcp", "fd00::1/64" } } },
                Json { { "nic_tag", "admin" }, { "vrrp_vrid", 3 } } }) } };
    auto const claims = props::claims_of(vm);
    auto const has = [&](ClaimKind kind, std::string const& key) {
        return std::find(claims.begin(), claims.end(), Claim { kind, key }) != claims.end();
    };
    EXPECT_TRUE(has(ClaimKind::Mac, "02:00:00:00:00:0a")); // canonical, as host_conflicts compares
    EXPECT_TRUE(has(ClaimKind::Mac, "2:0:0:0:0:A")); // as stored, as lookup's filter compares
    EXPECT_TRUE(has(ClaimKind::Ip, "fd00::1/64"));
    EXPECT_TRUE(has(ClaimKind::Vrid, "3"));
    EXPECT_TRUE(has(ClaimKind::Dataset, "data/web"));
    EXPECT_TRUE(has(ClaimKind::Dataset, std::string("data/") + A));
    EXPECT_TRUE(has(ClaimKind::Dataset, std::string("data/cores/") + A));
    EXPECT_FALSE(std::any_of(claims.begin(), claims.end(),
        [](Claim const& claim) { return claim.kind == ClaimKind::VncPort; }));
}
