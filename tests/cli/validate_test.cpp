// SPDX-License-Identifier: MPL-2.0
// `vmadm validate`: reference §1.2, §1.8, §2.2, §2.3 and upstream test-validate-payload.js.
#include "cli/cli_fixture.hpp"

#include <algorithm>

namespace lumos::test {
namespace {

class Validate : public CliTest {
protected:
    RunResult validate_create(const json& payload) const
    {
        return vmadm_stdin({ "validate", "create" }, payload.dump());
    }
    RunResult validate_update(const std::string& brand, const json& payload) const
    {
        return vmadm_stdin({ "validate", "update", brand }, payload.dump());
    }

    // Parses the error object printed on stderr; fails the test if the run is not a clean exit 1.
    static json error_object(const RunResult& r)
    {
        EXPECT_EQ(r.exit_code, 1) << r.describe();
        EXPECT_EQ(r.out, "");
        auto obj = json::parse(r.err, nullptr, false);
        EXPECT_FALSE(obj.is_discarded()) << "stderr is not JSON: " << r.err;
        if (!obj.is_discarded()) {
            EXPECT_EQ(nlohmann::ordered_json::parse(r.err).dump(2) + "\n", r.err)
                << "error object must be 2-space JSON";
        }
        return obj.is_discarded() ? json::object() : obj;
    }

    static bool lists(const json& obj, const char* field, const std::string& name)
    {
        if (!obj.contains(field) || !obj[field].is_array()) {
            return false;
        }
        return std::find(obj[field].begin(), obj[field].end(), json(name)) != obj[field].end();
    }
};

TEST_F(Validate, ValidCreatePayload)
{
    for (const char* brand : { "joyent", "joyent-minimal", "builder", "lx" }) {
        EXPECT_TRUE(succeeded_with_message(validate_create(os_payload(brand)),
            std::string("VALID 'create' payload for ") + brand + " brand VMs."));
    }
    for (const char* brand : { "kvm", "bhyve" }) {
        EXPECT_TRUE(succeeded_with_message(validate_create(hvm_payload(brand)),
            std::string("VALID 'create' payload for ") + brand + " brand VMs."));
    }
    EXPECT_TRUE(config_files().empty()) << "validate must not create anything";
}

TEST_F(Validate, ValidUpdatePayload)
{
    EXPECT_TRUE(succeeded_with_message(validate_update("joyent", { { "alias", "x" } }),
        "VALID 'update' payload for joyent brand VMs."));
}

TEST_F(Validate, FromFile)
{
    auto path = write_payload(os_payload());
    EXPECT_TRUE(succeeded_with_message(vmadm({ "validate", "create", "-f", path }),
        "VALID 'create' payload for joyent brand VMs."));
}

TEST_F(Validate, NoActionIsUsageError)
{
    EXPECT_TRUE(usage_error(
        vmadm_stdin({ "validate" }, "{}"), "Will not validate without a valid action."));
}

TEST_F(Validate, UpdateWithoutBrandIsUsageError)
{
    EXPECT_TRUE(usage_error(vmadm_stdin({ "validate", "update" }, "{}"),
        "Will not validate without a valid action and brand."));
}

TEST_F(Validate, MissingBrandIsBadBrand)
{
    auto p = os_payload();
    p.erase("brand");
    EXPECT_EQ(error_object(validate_create(p)), (json { { "bad_brand", "undefined" } }));
}

TEST_F(Validate, UnknownBrandIsBadBrand)
{
    auto p = os_payload();
    p["brand"] = "solaris10";
    EXPECT_EQ(error_object(validate_create(p)), (json { { "bad_brand", "solaris10" } }));
    EXPECT_EQ(error_object(validate_update("solaris10", { { "alias", "x" } })),
        (json { { "bad_brand", "solaris10" } }));
}

TEST_F(Validate, ErrorObjectHasAllThreeLists)
{
    auto p = os_payload();
    p["alias"] = 42;
    auto obj = error_object(validate_create(p));
    EXPECT_EQ(obj,
        (json { { "bad_values", { "alias" } }, { "bad_properties", json::array() },
            { "missing_properties", json::array() } }));
}

TEST_F(Validate, WrongActionPropertyIsBadProperty)
{
    auto obj
        = error_object(validate_update("joyent", { { "uuid", "doogle" }, { "alias", "foo" } }));
    EXPECT_EQ(obj["bad_properties"], json::array({ "uuid" })) << obj.dump();
}

TEST_F(Validate, OtherBrandPropertyIsBadProperty)
{
    auto p = os_payload();
    p["vcpus"] = 2;
    auto obj = error_object(validate_create(p));
    EXPECT_EQ(obj["bad_properties"], json::array({ "vcpus" })) << obj.dump();
}

TEST_F(Validate, MissingRequired)
{
    auto p = os_payload();
    p.erase("image_uuid");
    auto obj = error_object(validate_create(p));
    EXPECT_EQ(obj["missing_properties"], json::array({ "image_uuid" })) << obj.dump();
    auto q = os_payload("lx");
    q.erase("kernel_version");
    obj = error_object(validate_create(q));
    EXPECT_EQ(obj["missing_properties"], json::array({ "kernel_version" })) << obj.dump();
}

TEST_F(Validate, MaxSwapBelowMinimumIsBadHere)
{
    // Unlike create, validate does not run the memory fix-ups (§2.6).
    auto p = os_payload();
    p["max_swap"] = 128;
    EXPECT_TRUE(lists(error_object(validate_create(p)), "bad_values", "max_swap"));
}

struct ValidateCase {
    const char* name;
    json patch;
    const char* bad_value; // nullptr: the payload is valid
};

class ValidateValue
    : public Validate
    , public ::testing::WithParamInterface<ValidateCase> { };

TEST_P(ValidateValue, Checks)
{
    auto p = os_payload();
    p.merge_patch(GetParam().patch);
    auto r = validate_create(p);
    if (GetParam().bad_value == nullptr) {
        EXPECT_TRUE(succeeded_with_message(r, "VALID 'create' payload for joyent brand VMs."));
    } else {
        auto obj = error_object(r);
        EXPECT_TRUE(lists(obj, "bad_values", GetParam().bad_value)) << obj.dump();
    }
}

json nic_with(const char* key, json value)
{
    json n = { { "nic_tag", "admin" }, { "ip", "dhcp" } };
    n[key] = std::move(value);
    return { { "nics", json::array({ n }) } };
}

INSTANTIATE_TEST_SUITE_P(Upstream, ValidateValue,
    ::testing::Values(ValidateCase { "minimal", json::object(), nullptr },
        ValidateCase { "autoboot_aardvark", { { "autoboot", "aardvark" } }, "autoboot" },
        ValidateCase { "autoboot_string_true", { { "autoboot", "false" } }, nullptr },
        ValidateCase { "alias_42", { { "alias", 42 } }, "alias" },
        ValidateCase { "cpu_cap_doogle", { { "cpu_cap", "doogle" } }, "cpu_cap" },
        ValidateCase { "cpu_cap_numeric_string", { { "cpu_cap", "100" } }, nullptr },
        ValidateCase { "zpool_doogle", { { "zpool", "doogle" } }, "zpool" },
        ValidateCase { "zpool_zones", { { "zpool", "zones" } }, nullptr },
        ValidateCase { "fs_allowed_string", { { "fs_allowed", "ufs,pcfs,tmpfs" } }, nullptr },
        ValidateCase {
            "fs_allowed_array", { { "fs_allowed", { "ufs", "pcfs", "tmpfs" } } }, nullptr },
        ValidateCase {
            "fs_allowed_comma_element", { { "fs_allowed", { "ufs,tmpfs,pcfs" } } }, "fs_allowed" },
        ValidateCase {
            "fs_allowed_object", { { "fs_allowed", { { "hello", "world" } } } }, "fs_allowed" },
        ValidateCase { "customer_metadata_nested",
            { { "customer_metadata", { { "hello", { { "complicated", "world" } } } } } },
            "customer_metadata" },
        ValidateCase { "customer_metadata_good",
            { { "customer_metadata",
                { { "hello", "world" }, { "these keys should be valid", true },
                    { "how about a number?", 42 } } } },
            nullptr },
        ValidateCase { "mtu_500", nic_with("mtu", 500), "nics.*.mtu" },
        ValidateCase { "mtu_10000", nic_with("mtu", 10000), "nics.*.mtu" },
        ValidateCase { "mtu_fraction", nic_with("mtu", 1500.3), "nics.*.mtu" },
        ValidateCase { "mtu_string", nic_with("mtu", "Ah Elbereth, Gilthoniel!"), "nics.*.mtu" },
        ValidateCase { "mtu_object", nic_with("mtu", { { "hello", "world" } }), "nics.*.mtu" },
        ValidateCase { "mtu_576", nic_with("mtu", 576), nullptr },
        ValidateCase { "mtu_9000", nic_with("mtu", 9000), nullptr },
        ValidateCase { "nics_object", { { "nics", json::object() } }, "nics" },
        ValidateCase { "nics_good",
            { { "nics", { { { "nic_tag", "admin" }, { "ip", "dhcp" } } } } }, nullptr },
        ValidateCase { "image_uuid_upper",
            { { "image_uuid", "01B2C898-945F-11E1-A523-AF1AFBE22822" } }, "image_uuid" },
        ValidateCase { "image_not_installed",
            { { "image_uuid", "7b0b4140-6e98-11e5-b1ae-ff68fe257228" } }, "image_uuid" },
        ValidateCase { "internal_metadata_namespaces_bad",
            { { "internal_metadata_namespaces", { "ok", "not ok" } } },
            "internal_metadata_namespaces" },
        ValidateCase { "resolvers_bad", { { "resolvers", { "8.8.8.8", "bogus" } } }, "resolvers" },
        ValidateCase { "allowed_dhcp_cids_bad", nic_with("allowed_dhcp_cids", { "0x123" }),
            "nics.*.allowed_dhcp_cids" },
        ValidateCase { "vrrp_vrid_range", nic_with("vrrp_vrid", 256), "nics.*.vrrp_vrid" },
        ValidateCase { "max_lwps_negative", { { "max_lwps", -5 } }, "max_lwps" }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

// lumos's own NIC property: the bandwidth cap in Mbit/s (dladm's maxbw).
INSTANTIATE_TEST_SUITE_P(Lumos, ValidateValue,
    ::testing::Values(ValidateCase { "maxbw_100", nic_with("maxbw", 100), nullptr },
        ValidateCase { "maxbw_0", nic_with("maxbw", 0), "nics.*.maxbw" },
        ValidateCase { "maxbw_too_high", nic_with("maxbw", 100001), "nics.*.maxbw" },
        ValidateCase { "maxbw_fraction", nic_with("maxbw", 1.5), "nics.*.maxbw" },
        ValidateCase { "maxbw_word", nic_with("maxbw", "fast"), "nics.*.maxbw" }),
    [](const auto& test_param) { return std::string(test_param.param.name); });

TEST_F(Validate, KvmDiskRules)
{
    auto p = hvm_payload("kvm");
    p["disks"] = { { { "model", "virtio" } } }; // no image_uuid and no size
    auto obj = error_object(validate_create(p));
    EXPECT_TRUE(lists(obj, "missing_properties", "disks.0.size")
        || lists(obj, "missing_properties", "disks.*.size"))
        << obj.dump();
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

TEST_F(Validate, ErrorObjectExactText)
{
    // VM.validate builds {bad_values, bad_properties, missing_properties} in that order and
    // vmadm prints JSON.stringify(e, null, 2).
    auto p = os_payload();
    p["alias"] = 42;
    auto r = validate_create(p);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err,
        "{\n  \"bad_values\": [\n    \"alias\"\n  ],\n  \"bad_properties\": [],\n"
        "  \"missing_properties\": []\n}\n");
}

} // namespace
} // namespace lumos::test
