// SPDX-License-Identifier: MPL-2.0
// Issue 11 points 3, 4, 5 and 9 through the real vmadm: zonenames that nest datasets, sizes that
// overflowed, regex filters that crashed, and payload parsing gaps. Each case failed (or
// crashed) before its fix.
#include "cli/cli_fixture.hpp"

#include <fstream>

namespace lumos::test {
namespace {

class HostileSpec : public CliTest {
protected:
    // Sets a key of a VM's record directly, as a record written before the bounds existed would
    // hold it.
    void set_record_value(const std::string& uuid, const std::string& key, const json& value) const
    {
        json record;
        {
            std::ifstream in(config_path(uuid));
            record = json::parse(in);
        }
        record[key] = value;
        std::ofstream out(config_path(uuid), std::ios::trunc);
        out << record.dump();
    }

    RunResult validate_create(const json& payload) const
    {
        return vmadm_stdin({ "validate", "create" }, payload.dump());
    }
};

// --- point 3: zonename ------------------------------------------------------------------------

TEST_F(HostileSpec, ZonenameInsideAnotherVmsDelegatedDatasetIsRefused)
{
    auto parent = os_payload();
    parent["delegate_dataset"] = true;
    std::string const p = create_ok(parent);
    auto const before = pool_datasets();
    for (std::string const& zonename : { p + "/data/inner", p + "/data" }) {
        auto child = os_payload();
        child["zonename"] = zonename;
        EXPECT_TRUE(failed_with(create(child), "Invalid value(s) for: zonename")) << zonename;
        EXPECT_FALSE(validate_create(child).exit_code == 0) << zonename;
    }
    // The other VM's own zonename: its root, and the parent of its delegated dataset.
    auto same = os_payload();
    same["zonename"] = p;
    EXPECT_TRUE(failed_with(create(same),
        "Invalid value for zonename: \"" + p + "\" (dataset zones/" + p + " conflicts with zones/"
            + p + " of VM " + p + ")"));
    EXPECT_EQ(pool_datasets(), before);
    EXPECT_EQ(list_uuids(), std::vector<std::string> { p });
    // P's delete still leaves nothing of anyone else's behind, and a plain zonename works.
    auto named = os_payload();
    named["zonename"] = "web-1.example";
    std::string const c = create_ok(named);
    EXPECT_EQ(get(c)["zonename"], "web-1.example");
}

// --- point 4: sizes ---------------------------------------------------------------------------

TEST_F(HostileSpec, QuotaBeyondInt64BytesIsRefusedByCreateAndValidate)
{
    // 17179869185 GiB wrapped to 1 GiB of bytes, 17179869184 to 0 (no limit).
    for (long long const quota : { 17179869184LL, 17179869185LL, 8589934592LL }) {
        auto p = os_payload();
        p["quota"] = quota;
        EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: quota")) << quota;
        auto const validated = validate_create(p);
        EXPECT_EQ(validated.exit_code, 1) << validated.describe();
        EXPECT_NE(validated.err.find("\"quota\""), std::string::npos) << validated.err;
    }
    EXPECT_TRUE(config_files().empty());
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(HostileSpec, KvmDiskSizeBeyondInt64BytesIsRefused)
{
    auto p = hvm_payload("kvm");
    p["disks"] = json::array({ { { "size", 17592186044417LL }, { "model", "virtio" } } });
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: disks.*.size"));
    EXPECT_EQ(validate_create(p).exit_code, 1);
    EXPECT_TRUE(config_files().empty());
    EXPECT_TRUE(zones_as_set_up());
}

TEST_F(HostileSpec, MemorySizesBeyondInt64BytesAreRefused)
{
    for (char const* name : { "max_physical_memory", "max_swap", "max_locked_memory", "tmpfs" }) {
        auto p = os_payload();
        p[name] = 17592186044417LL;
        auto const created = create(p);
        EXPECT_EQ(created.exit_code, 1) << name << ": " << created.describe();
        EXPECT_EQ(validate_create(p).exit_code, 1) << name;
    }
    EXPECT_TRUE(config_files().empty());
}

// --- point 5: regex filters -------------------------------------------------------------------

TEST_F(HostileSpec, RegexLookupSurvivesA50000CharacterAlias)
{
    std::string const uuid = create_ok(os_payload());
    set_record_value(uuid, "alias", std::string(50'000, 'a'));
    auto const r = vmadm({ "lookup", "alias=~.*" });
    ASSERT_EQ(r.exit_code, 0) << r.describe();
    EXPECT_EQ(r.out, uuid + "\n");
    auto const listed = vmadm({ "list", "-H", "-p", "-o", "uuid", "alias=~^a+$" });
    ASSERT_EQ(listed.exit_code, 0) << listed.describe();
    EXPECT_EQ(listed.out, uuid + "\n");
}

TEST_F(HostileSpec, CatastrophicRegexIsAClearError)
{
    std::string const uuid = create_ok(os_payload());
    set_record_value(uuid, "alias", std::string(40, 'a') + "!");
    auto const r = vmadm({ "lookup", "alias=~^(a+)+$" });
    EXPECT_TRUE(clean_failure(r)) << r.describe();
    EXPECT_NE(r.err.find("Regular expression /^(a+)+$/ is too complex"), std::string::npos)
        << r.err;
}

TEST_F(HostileSpec, BadRegexIsRefused)
{
    create_ok(os_payload());
    for (char const* filter : { "alias=~(", "alias=~[", "alias=~a{2,1}" }) {
        auto const r = vmadm({ "lookup", filter });
        EXPECT_TRUE(failed_with_prefix(
            r, "Invalid regular expression: /" + std::string(filter).substr(7) + "/: "))
            << r.describe();
    }
}

TEST_F(HostileSpec, AliasIsBounded)
{
    auto p = os_payload();
    p["alias"] = std::string(50'000, 'a');
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: alias"));
    EXPECT_EQ(validate_create(p).exit_code, 1);
}

// --- point 9: payload parsing -----------------------------------------------------------------

TEST_F(HostileSpec, BytesAfterANulAreNotIgnored)
{
    std::string const text = os_payload().dump();
    std::string payload = text;
    payload.push_back('\0');
    payload += "{junk";
    EXPECT_TRUE(failed_with(vmadm_stdin({ "create" }, payload),
        "Invalid JSON payload: Unexpected token in JSON at position "
            + std::to_string(text.size())));
    EXPECT_TRUE(failed_with(vmadm({ "create", "-f", write_payload(payload) }),
        "Invalid JSON payload: Unexpected token in JSON at position "
            + std::to_string(text.size())));
    EXPECT_TRUE(config_files().empty());
}

TEST_F(HostileSpec, ByteOrderMarkIsRefused)
{
    std::string const payload = "\xEF\xBB\xBF" + os_payload().dump();
    EXPECT_TRUE(failed_with(vmadm_stdin({ "create" }, payload),
        "Invalid JSON payload: Unexpected token in JSON at position 0"));
    EXPECT_TRUE(config_files().empty());
}

TEST_F(HostileSpec, EndlessPayloadIsRefusedAtItsBound)
{
    EXPECT_TRUE(failed_with(vmadm({ "create", "-f", "/dev/zero" }),
        "Invalid JSON payload: payload is larger than 8388608 bytes"));
    // vmadm stops reading stdin at the bound (the rest of this write meets a closed pipe).
    auto const piped = vmadm_stdin({ "validate", "create" }, std::string(9 << 20, ' '));
    EXPECT_TRUE(failed_with(piped, "Invalid JSON payload: payload is larger than 8388608 bytes"));
    EXPECT_TRUE(config_files().empty());
}

TEST_F(HostileSpec, TenThousandListColumnsAreRefused)
{
    create_ok(os_payload());
    std::string columns = "uuid";
    for (int i = 1; i < 10'000; ++i) {
        columns += ",alias";
    }
    EXPECT_TRUE(failed_with(
        vmadm({ "list", "-o", columns }), "too many order fields: 10000 (at most 256)"));
}

TEST_F(HostileSpec, BooleanMemoryIsRefusedByCreateAsByValidate)
{
    auto p = os_payload();
    p["max_physical_memory"] = true;
    EXPECT_TRUE(failed_with(create(p), "Invalid value(s) for: max_physical_memory"));
    auto const validated = validate_create(p);
    EXPECT_EQ(validated.exit_code, 1) << validated.describe();
    EXPECT_TRUE(config_files().empty());
}

} // namespace
} // namespace lumos::test
