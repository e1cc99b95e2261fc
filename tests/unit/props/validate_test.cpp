// SPDX-License-Identifier: MPL-2.0
// Reference 2.3 (per-type rules) and 1.8 (the error object), with cases from SmartOS's
// test-validate-payload.js.
#include "props/validate.hpp"
#include "unit/support.hpp"

#include <gtest/gtest.h>

using namespace lumos;
using namespace lumos::props;
using lumos::testing::host;
using lumos::testing::IMAGE_UUID;

namespace {

ValidationErrors create(Json payload)
{
    std::string const brand = payload.value("brand", "joyent");
    return validate(brand, ACTION_CREATE, payload, host());
}

Json base()
{
    return Json { { "brand", "joyent" }, { "image_uuid", IMAGE_UUID } };
}

} // namespace

TEST(Validate, MinimalJoyentPayloadIsValid)
{
    EXPECT_TRUE(create(base()).ok());
}

TEST(Validate, UnknownBrandIsBadBrand)
{
    auto const errors = validate("doogle", ACTION_CREATE, Json::object(), host());
    ASSERT_TRUE(errors.bad_brand);
    EXPECT_EQ(errors.to_json(), Json::parse(R"({"bad_brand":"doogle"})"));
    EXPECT_EQ(validate("", ACTION_CREATE, Json::object(), host()).to_json(),
        Json::parse(R"({"bad_brand":"undefined"})"));
}

TEST(Validate, ErrorObjectHasAllThreeLists)
{
    Json payload = base();
    payload["autoboot"] = "aardvark";
    EXPECT_EQ(create(payload).to_json(),
        Json::parse(R"({"bad_values":["autoboot"],"bad_properties":[],"missing_properties":[]})"));
}

TEST(Validate, RequiredPropertiesPerBrand)
{
    EXPECT_EQ(create(Json { { "brand", "joyent" } }).missing_properties,
        std::vector<std::string> { "image_uuid" });
    auto const lx
        = create(Json { { "brand", "lx" }, { "image_uuid", lumos::testing::LX_IMAGE_UUID } });
    EXPECT_EQ(lx.missing_properties, std::vector<std::string> { "kernel_version" });
    EXPECT_TRUE(create(Json { { "brand", "kvm" } }).ok());
}

TEST(Validate, PropertyNotAllowedForBrandOrActionIsBadProperty)
{
    Json payload = base();
    payload["vcpus"] = 2; // HVM only
    payload["zonepath"] = "/x"; // read-only
    payload["nosuchthing"] = true; // unknown
    auto const errors = create(payload);
    EXPECT_EQ(
        errors.bad_properties, (std::vector<std::string> { "nosuchthing", "vcpus", "zonepath" }));
    EXPECT_TRUE(errors.bad_values.empty());

    auto const update = validate("joyent", ACTION_UPDATE, Json { { "brand", "joyent" } }, host());
    EXPECT_EQ(update.bad_properties, std::vector<std::string> { "brand" });
}

TEST(Validate, UuidMustBeLowerCase)
{
    Json payload = base();
    payload["image_uuid"] = "01B2C898-945F-11E1-A523-AF1AFBE22822";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "image_uuid" });
}

TEST(Validate, Booleans)
{
    for (Json const& good :
        { Json(true), Json(false), Json("true"), Json("false"), Json(1), Json("1") }) {
        Json payload = base();
        payload["autoboot"] = good;
        EXPECT_TRUE(create(payload).ok()) << good;
    }
    Json payload = base();
    payload["autoboot"] = "aardvark";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "autoboot" });
}

TEST(Validate, Strings)
{
    Json payload = base();
    payload["alias"] = 42;
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "alias" });
    for (Json const& unset : { Json(nullptr), Json(""), Json("   ") }) {
        payload["alias"] = unset;
        EXPECT_TRUE(create(payload).ok());
    }
}

TEST(Validate, Integers)
{
    struct Case {
        char const* name;
        Json value;
        bool ok;
    };
    for (auto const& c : std::vector<Case> { { "cpu_cap", 100, true }, { "cpu_cap", "100", true },
             { "cpu_cap", nullptr, true }, { "cpu_cap", "", true }, { "cpu_cap", true, false },
             { "cpu_cap", 1.5, false }, { "cpu_cap", "abc", false }, { "cpu_cap", -1, false },
             { "max_swap", 128, false }, { "max_swap", 256, true },
             { "cpu_cap", Json::object(), false } }) {
        Json payload = base();
        payload[c.name] = c.value;
        EXPECT_EQ(create(payload).ok(), c.ok) << c.name << "=" << c.value;
    }
}

TEST(Validate, NicMtuRangeUsesStarNotation)
{
    for (auto const& [mtu, ok] : std::vector<std::pair<Json, bool>> {
             { 500, false }, { 576, true }, { 9000, true }, { 10000, false }, { 1500.3, false } }) {
        Json payload = base();
        payload["nics"] = Json::array({ { { "nic_tag", "admin" }, { "mtu", mtu } } });
        auto const errors = create(payload);
        EXPECT_EQ(errors.ok(), ok) << mtu;
        if (!ok) {
            EXPECT_EQ(errors.bad_values, std::vector<std::string> { "nics.*.mtu" });
        }
    }
}

TEST(Validate, SubPropertyActions)
{
    Json payload = base();
    payload["nics"] = Json::array({ { { "nic_tag", "admin" }, { "model", "virtio" } } });
    EXPECT_EQ(create(payload).bad_properties, std::vector<std::string> { "nics.*.model" });

    Json update = { { "update_nics",
        Json::array({ { { "mac", "00:00:00:00:00:01" }, { "interface", "net1" } } }) } };
    EXPECT_TRUE(validate("joyent", ACTION_UPDATE, update, host()).ok());
    update["update_nics"][0]["allow_unfiltered_promisc"] = true;
    EXPECT_EQ(validate("joyent", ACTION_UPDATE, update, host()).bad_properties,
        std::vector<std::string> { "nics.*.allow_unfiltered_promisc" });
}

TEST(Validate, FlatObjects)
{
    Json payload = base();
    payload["customer_metadata"] = { { "hello", { { "complicated", "world" } } } };
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "customer_metadata" });
    payload["customer_metadata"] = { { "a", "b" }, { "n", 1 }, { "t", true } };
    EXPECT_TRUE(create(payload).ok());
}

TEST(Validate, Lists)
{
    Json payload = base();
    payload["fs_allowed"] = { { "hello", "world" } };
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "fs_allowed" });
    payload["fs_allowed"] = Json::array({ "ufs,tmpfs,pcfs" });
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "fs_allowed" });
    payload["fs_allowed"] = "ufs,tmpfs,pcfs";
    EXPECT_TRUE(create(payload).ok());
    payload["fs_allowed"] = Json::array({ "ufs", "tmpfs" });
    EXPECT_TRUE(create(payload).ok());
}

TEST(Validate, ListValidators)
{
    Json payload = base();
    payload["resolvers"] = Json::array({ "8.8.8.8", "2001:4860:4860::8888" });
    EXPECT_TRUE(create(payload).ok());
    payload["resolvers"] = Json::array({ "8.8.8.8", "dns.example" });
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "resolvers" });
    payload.erase("resolvers");
    payload["internal_metadata_namespaces"] = "docker,sdc";
    EXPECT_TRUE(create(payload).ok());
    payload["internal_metadata_namespaces"] = Json::array({ "bad space" });
    EXPECT_EQ(
        create(payload).bad_values, std::vector<std::string> { "internal_metadata_namespaces" });
}

TEST(Validate, ObjectArrays)
{
    Json payload = base();
    payload["nics"] = Json::object();
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "nics" });
    payload["nics"] = "[{\"nic_tag\": \"admin\"}]";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "nics" });
    payload["nics"] = Json::array({ 1 });
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "nics" });
}

TEST(Validate, MacValidator)
{
    Json payload = base();
    payload["nics"] = Json::array({ { { "nic_tag", "admin" }, { "mac", "00:0:5e:00:01:aa" } } });
    EXPECT_TRUE(create(payload).ok());
    payload["nics"][0]["mac"] = "00:00:5e:00:01:aa:bb";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "nics.*.mac" });
    payload["nics"][0]["mac"] = "zz:00:5e:00:01:aa";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "nics.*.mac" });
}

TEST(Validate, ZpoolMustExist)
{
    Json payload = base();
    payload["zpool"] = "doogle";
    // The image is looked up on that pool too, so it is not installed there either.
    EXPECT_EQ(create(payload).bad_values, (std::vector<std::string> { "zpool", "image_uuid" }));
}

TEST(Validate, ImagesMustBeInstalledAndOfTheRightType)
{
    Json payload = base();
    payload["image_uuid"] = "11111111-2222-3333-4444-555555555555";
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "image_uuid" });
    Json lx = { { "brand", "lx" }, { "image_uuid", IMAGE_UUID }, { "kernel_version", "4.3.0" } };
    EXPECT_EQ(create(lx).bad_values, std::vector<std::string> { "image_uuid" });
}

TEST(Validate, DiskSources)
{
    Json payload = { { "brand", "kvm" },
        { "disks",
            Json::array({ { { "image_uuid", lumos::testing::ZVOL_IMAGE_UUID }, { "size", 10 },
                              { "block_size", 8192 } },
                { { "image_size", 10 } } }) } };
    auto const errors = create(payload);
    EXPECT_EQ(errors.bad_properties,
        (std::vector<std::string> { "disks.0.size", "disks.0.block_size", "disks.1.image_size" }));
    EXPECT_EQ(errors.missing_properties,
        (std::vector<std::string> { "disks.1.size" })); // disks.0.image_size comes from the image
}

TEST(Validate, DiskImageMustBeZvol)
{
    Json payload = { { "brand", "kvm" },
        { "disks", Json::array({ { { "image_uuid", IMAGE_UUID }, { "image_size", 10 } } }) } };
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "disks.0.image_uuid" });
}

TEST(Validate, BhyvePciDevices)
{
    Json payload = { { "brand", "bhyve" },
        { "pci_devices",
            Json::array(
                { { { "path", "/dev/foo" }, { "pci_slot", "0:5:0" } }, Json::object() }) } };
    auto const errors = create(payload);
    EXPECT_EQ(errors.bad_values, std::vector<std::string> { "pci_devices.0.path" });
    EXPECT_EQ(errors.missing_properties,
        (std::vector<std::string> { "pci_devices.1.path", "pci_devices.1.pci_slot" }));
}

TEST(Validate, ToBoolean)
{
    EXPECT_EQ(to_boolean(Json("1")), true);
    EXPECT_EQ(to_boolean(Json(0)), false);
    EXPECT_FALSE(to_boolean(Json("yes")));
    EXPECT_FALSE(to_boolean(Json(2)));
}

TEST(Validate, ZonenameFollowsIllumosRules)
{
    // zonecfg_validate_zonename: [A-Za-z0-9][-_.A-Za-z0-9]*, under 64 bytes, not "global".
    for (std::string const& good : std::vector<std::string> { "a", "Zone-1", "db_2.example",
             std::string(63, 'z'), std::string("9") + std::string(62, '.') }) {
        Json payload = base();
        payload["zonename"] = good;
        EXPECT_TRUE(create(payload).ok()) << good;
    }
    // A "/" nested one VM's datasets inside another VM's delegated dataset.
    for (std::string const& bad :
        std::vector<std::string> { "p/data/inner", "p/data", "/abs", "../up", ".hidden", "-x", "_x",
            "a b", "global", std::string(64, 'z'), "caf\xC3\xA9", "a\nb" }) {
        Json payload = base();
        payload["zonename"] = bad;
        EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "zonename" }) << bad;
    }
    EXPECT_TRUE(valid_zonename("c3d0d2f8-3cf2-4c2c-9d3e-2f4ad5a3c5e1"));
    EXPECT_FALSE(valid_zonename(""));
}

TEST(Validate, SizesAreBoundedSoBytesFitInt64)
{
    struct Case {
        char const* name;
        Json value;
        bool ok;
    };
    // quota is GiB, the rest MiB: value * unit must not pass 2^63 - 1 bytes.
    for (auto const& c :
        std::vector<Case> { { "quota", 8589934591LL, true }, { "quota", 8589934592LL, false },
            { "quota", 17179869184LL, false }, { "quota", 17179869185LL, false },
            { "quota", 1e300, false }, { "max_physical_memory", 8796093022207LL, true },
            { "max_physical_memory", 8796093022208LL, false },
            { "max_locked_memory", 8796093022208LL, false }, { "max_swap", 8796093022208LL, false },
            { "max_shm_memory", 8796093022208LL, false }, { "tmpfs", 8796093022208LL, false },
            { "ram", 8796093022208LL, false }, { "tmpfs", "17592186044417", false } }) {
        Json payload = base();
        payload[c.name] = c.value;
        EXPECT_EQ(create(payload).ok(), c.ok) << c.name << "=" << c.value;
    }
    Json kvm = { { "brand", "kvm" },
        { "disks", Json::array({ { { "size", 17592186044417LL }, { "model", "virtio" } } }) } };
    EXPECT_EQ(create(kvm).bad_values, std::vector<std::string> { "disks.*.size" });
    kvm["disks"][0]["size"] = 8796093022207LL;
    EXPECT_TRUE(create(kvm).ok());
}

TEST(Validate, FreeTextAttributesAreBounded)
{
    // Stored as zone attributes (zonecfg: 2 * BUFSIZ with the NUL); alias base64-encoded.
    Json payload = base();
    payload["alias"] = std::string(1535, 'a');
    EXPECT_TRUE(create(payload).ok());
    payload["alias"] = std::string(50'000, 'a');
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "alias" });
    payload = base();
    payload["hostname"] = std::string(2048, 'h');
    EXPECT_EQ(create(payload).bad_values, std::vector<std::string> { "hostname" });
}
