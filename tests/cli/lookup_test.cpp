// SPDX-License-Identifier: MPL-2.0
// `vmadm lookup`: reference §1.2, §1.5, §1.6 and upstream test-lookup.js.
#include "cli/cli_fixture.hpp"

#include <algorithm>

namespace lumos::test {
namespace {

class Lookup : public CliTest {
protected:
    void SetUp() override
    {
        CliTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        auto p = os_payload();
        p["alias"] = "web";
        p["tags"] = { { "hello", "world" } };
        m_web = create_ok(p);
        p = os_payload();
        p["alias"] = "db";
        p["max_physical_memory"] = 512;
        m_db = create_ok(p);
        m_bare = create_ok(os_payload());
    }

    static std::vector<std::string> sorted(std::vector<std::string> v)
    {
        std::sort(v.begin(), v.end());
        return v;
    }

    std::string m_web;
    std::string m_db;
    std::string m_bare;
};

TEST_F(Lookup, NoFiltersListsAllUuids)
{
    auto r = vmadm({ "lookup" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(sorted(split_lines(r.out)), sorted({ m_web, m_db, m_bare }));
}

TEST_F(Lookup, TagLookupReturnsExactlyTheTaggedVm)
{
    auto r = vmadm({ "lookup", "tags.hello=world" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, m_web + "\n");
}

TEST_F(Lookup, NoMatchIsEmptySuccess)
{
    auto r = vmadm({ "lookup", "alias=nobody" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, "");
    EXPECT_EQ(r.err, "");
}

TEST_F(Lookup, UniqueWithOneMatch)
{
    auto r = vmadm({ "lookup", "-1", "alias=db" });
    EXPECT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, m_db + "\n");
}

TEST_F(Lookup, UniqueWithZeroOrManyMatches)
{
    EXPECT_TRUE(failed_with(
        vmadm({ "lookup", "-1", "alias=nobody" }), "Requested unique lookup but found 0 results."));
    EXPECT_TRUE(failed_with(
        vmadm({ "lookup", "-1", "brand=joyent" }), "Requested unique lookup but found 3 results."));
    EXPECT_TRUE(failed_with(vmadm({ "lookup", "--unique", "ram=256" }),
        "Requested unique lookup but found 2 results."));
}

TEST_F(Lookup, OutputFieldsNeedJson)
{
    EXPECT_TRUE(failed_with(vmadm({ "lookup", "-o", "uuid" }), "Cannot specify -o without -j"));
}

TEST_F(Lookup, InvalidKey)
{
    EXPECT_TRUE(failed_with(vmadm({ "lookup", "foo=bar" }), "Invalid lookup key: \"foo\""));
    EXPECT_TRUE(
        failed_with(vmadm({ "lookup", "nics.*.bogus=1" }), "Invalid lookup key: \"nics.*.bogus\""));
}

TEST_F(Lookup, JsonGivesFullObjectsWithFakeFields)
{
    auto r = vmadm({ "lookup", "-j", "alias=db" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(nlohmann::ordered_json::parse(r.out).dump(2) + "\n", r.out) << "not 2-space JSON";
    auto arr = json::parse(r.out);
    ASSERT_TRUE(arr.is_array());
    ASSERT_EQ(arr.size(), 1U);
    auto obj = arr[0];
    EXPECT_EQ(obj["type"], "OS");
    EXPECT_EQ(obj["ram"], 512);
    obj.erase("type");
    obj.erase("ram");
    EXPECT_EQ(obj, get(m_db));
}

TEST_F(Lookup, JsonNoMatchIsEmptyArray)
{
    auto r = vmadm({ "lookup", "-j", "alias=nobody" });
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(json::parse(r.out), json::array());
}

TEST_F(Lookup, JsonWithFieldsReducesObjects)
{
    auto r = vmadm({ "lookup", "-j", "-o", "uuid,alias", "alias=web" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(json::parse(r.out), json::array({ { { "uuid", m_web }, { "alias", "web" } } }));
}

TEST_F(Lookup, JsonFieldsStripSearchKeys)
{
    auto r = vmadm({ "lookup", "-j", "-o", "alias", "tags.hello=world" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(json::parse(r.out), json::array({ { { "alias", "web" } } }));
}

TEST_F(Lookup, JsonFieldsDropEmptyObjects)
{
    auto r = vmadm({ "lookup", "-j", "-o", "alias" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    auto arr = json::parse(r.out);
    ASSERT_TRUE(arr.is_array());
    EXPECT_EQ(arr.size(), 2U) << arr.dump();
    for (const auto& obj : arr) {
        EXPECT_EQ(obj.size(), 1U);
        EXPECT_TRUE(obj.contains("alias"));
    }
}

TEST_F(Lookup, RegexAndSubProperties)
{
    EXPECT_EQ(
        sorted(split_lines(vmadm({ "lookup", "alias=~^(WEB|DB)$" }).out)), sorted({ m_web, m_db }));
    EXPECT_EQ(vmadm({ "lookup", "uuid=" + m_bare }).out, m_bare + "\n");
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Lookup, JsonFieldsCanNameFakeFields)
{
    auto r = vmadm({ "lookup", "-j", "-o", "uuid,type,ram", "alias=db" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(json::parse(r.out),
        json::array({ { { "uuid", m_db }, { "type", "OS" }, { "ram", 512 } } }));
}

TEST_F(Lookup, UniqueWithJson)
{
    auto r = vmadm({ "lookup", "-j", "-1", "alias=web" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    auto arr = json::parse(r.out);
    ASSERT_TRUE(arr.is_array());
    ASSERT_EQ(arr.size(), 1U);
    EXPECT_EQ(arr[0]["uuid"], m_web);
}

} // namespace
} // namespace lumos::test
