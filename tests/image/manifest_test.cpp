// SPDX-License-Identifier: MPL-2.0
// Manifest upgrade and imgadm's minimal validation (reference section 4.4).
#include "image/manifest.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using lumos::Json;
using lumos::image::upgrade_manifest;
using lumos::image::validate_manifest_minimal;

Json minimal()
{
    return Json { { "v", 2 }, { "uuid", "01b2c898-945f-11e1-a523-af1afbe22822" },
        { "name", "smartos" }, { "version", "1.6.3" }, { "type", "zone-dataset" },
        { "os", "smartos" } };
}

// The error message, or "" when valid.
std::string problems(Json const& manifest)
{
    auto result = validate_manifest_minimal(manifest);
    if (result) {
        return "";
    }
    EXPECT_EQ(result.error().code_name(), "ManifestValidation");
    EXPECT_EQ(result.error().exit_status, 1);
    return result.error().message;
}

std::string with(char const* field, Json value)
{
    Json manifest = minimal();
    manifest[field] = std::move(value);
    return problems(manifest);
}

TEST(ManifestValidation, MinimalManifestIsValid)
{
    EXPECT_EQ(problems(minimal()), "");
}

TEST(ManifestValidation, FullManifestIsValid)
{
    Json manifest = minimal();
    manifest.update(Json {
        { "owner", "352971aa-31ba-496c-9ade-a379feaecd52" },
        { "state", "active" },
        { "disabled", false },
        { "activated", "true" },
        { "public", true },
        { "published_at", "2012-05-02T15:14:45.805Z" },
        { "files",
            Json::array({ { { "sha1", "97f20b32c2016782257176fb58a35e5044f05840" },
                { "size", 46271847 }, { "compression", "bzip2" } } }) },
        { "description", "Base template" },
        { "homepage", "https://docs.example.com/smartos" },
        { "eula", "http://example.com/eula" },
        { "urn", "sdc:sdc:smartos:1.6.3" },
        { "origin", "11111111-2222-3333-4444-555555555555" },
        { "icon", false },
        { "acl", Json::array({ "352971aa-31ba-496c-9ade-a379feaecd52" }) },
        { "requirements",
            { { "networks", Json::array({ { { "name", "net0" }, { "description", "public" } } }) },
                { "brand", "joyent" }, { "ssh_key", true }, { "min_ram", 256 }, { "max_ram", 1024 },
                { "min_platform", { { "7.0", "20130308T102805Z" } } } } },
        { "users", Json::array({ { { "name", "root" } }, { { "name", "admin" } } }) },
        { "billing_tags", Json::array({ "small" }) },
        { "traits", { { "ssd", true }, { "zone", "a" }, { "list", Json::array({ 1 }) } } },
        { "tags", { { "role", "db" }, { "nested", { { "a", 1 } } } } },
        { "generate_passwords", "false" },
        { "inherited_directories", Json::array({ "/opt" }) },
        { "channels", Json::array({ "dev" }) },
    });
    EXPECT_EQ(problems(manifest), "");
}

TEST(ManifestValidation, RequiredFieldsAreReportedInOrder)
{
    EXPECT_EQ(problems(Json::object()),
        "invalid manifest: v (MissingParameter), uuid (MissingParameter), name "
        "(MissingParameter), version (MissingParameter), type (MissingParameter), os "
        "(MissingParameter)");
    Json manifest = minimal();
    manifest.erase("version");
    EXPECT_EQ(problems(manifest), "invalid manifest: version (MissingParameter)");
}

TEST(ManifestValidation, NotAnObject)
{
    EXPECT_NE(problems(Json::array()), "");
    EXPECT_NE(problems(Json("x")), "");
}

TEST(ManifestValidation, UnknownTopLevelFieldsAreErrors)
{
    EXPECT_EQ(with("bogus", 1), "invalid manifest: bogus (Invalid)");
    Json manifest = minimal();
    manifest["zzz"] = true;
    manifest["aaa"] = true;
    manifest["name"] = "bad*name";
    std::string message = problems(manifest);
    // Field errors first, then the unknown fields.
    EXPECT_EQ(message.find("invalid manifest: name (image name has invalid characters"), 0U);
    EXPECT_NE(message.find("), aaa (Invalid), zzz (Invalid)"), std::string::npos) << message;
}

TEST(ManifestValidation, V)
{
    EXPECT_EQ(with("v", -1), "invalid manifest: v (\"v\" must be a positive integer)");
    EXPECT_EQ(with("v", "two"), "invalid manifest: v (\"v\" must be a positive integer)");
    EXPECT_EQ(with("v", 0), "");
}

TEST(ManifestValidation, Uuids)
{
    EXPECT_EQ(
        with("uuid", "01B2C898-945F-11E1-A523-AF1AFBE22822"), "invalid manifest: uuid (Invalid)");
    EXPECT_EQ(with("uuid", 5), "invalid manifest: uuid (Invalid)");
    EXPECT_EQ(with("owner", "nope"), "invalid manifest: owner (Invalid)");
    EXPECT_EQ(with("origin", "nope"), "invalid manifest: origin (Invalid)");
    EXPECT_EQ(with("acl", Json::array({ "352971aa-31ba-496c-9ade-a379feaecd52", "x" })),
        "invalid manifest: acl (invalid image \"acl\" (item 1 is not a UUID): x)");
    EXPECT_EQ(
        with("acl", "x"), "invalid manifest: acl (invalid image \"acl\" (not an array): \"x\")");
}

TEST(ManifestValidation, NameAndVersion)
{
    EXPECT_EQ(with("name", "base 64/x_y.z-1"), "");
    EXPECT_NE(
        with("name", "bad:name").find("image name has invalid characters"), std::string::npos);
    EXPECT_NE(with("name", "").find("image name has invalid characters"), std::string::npos);
    EXPECT_EQ(with("name", std::string(1024, 'a')), "");
    EXPECT_EQ(with("name", std::string(1025, 'a')),
        "invalid manifest: name (image name is too long, max 1024 characters)");
    EXPECT_EQ(with("version", "1.0.0+build-2/x_y"), "");
    EXPECT_NE(
        with("version", "1 0").find("image version has invalid characters"), std::string::npos);
    EXPECT_EQ(with("version", std::string(513, '1')),
        "invalid manifest: version (image version is too long, max 512 characters)");
    EXPECT_NE(with("version", 1).find("version ("), std::string::npos);
}

TEST(ManifestValidation, TypeAndOs)
{
    for (char const* type : { "zone-dataset", "lx-dataset", "docker", "other" }) {
        EXPECT_EQ(with("type", type), "") << type;
    }
    EXPECT_EQ(with("type", "vm"),
        "invalid manifest: type (invalid image type, \"vm\", must be one of: zone-dataset, "
        "lx-dataset, zvol, docker, other)");
    EXPECT_EQ(with("type", "null"), "invalid manifest: type (invalid image type, \"null\")");
    Json creating = minimal();
    creating["type"] = "null";
    creating["os"] = "null";
    creating["state"] = "creating";
    EXPECT_EQ(problems(creating), "");
    for (char const* os : { "smartos", "linux", "windows", "bsd", "illumos", "other" }) {
        EXPECT_EQ(with("os", os), "") << os;
    }
    EXPECT_EQ(with("os", "macos"),
        "invalid manifest: os (invalid image os, \"macos\", must be one of: smartos, linux, "
        "windows, bsd, illumos, other)");
}

TEST(ManifestValidation, Booleans)
{
    for (char const* field : { "disabled", "activated", "public" }) {
        EXPECT_EQ(with(field, "true"), "") << field;
        EXPECT_EQ(with(field, false), "") << field;
        EXPECT_EQ(with(field, "yes"), std::string("invalid manifest: ") + field + " (Invalid)");
    }
    EXPECT_EQ(with("icon", 1),
        "invalid manifest: icon (invalid image \"icon\" (not an accepted boolean value): 1)");
    EXPECT_NE(with("generate_passwords", "no").find("generate_passwords (invalid image"),
        std::string::npos);
}

TEST(ManifestValidation, StateAndPublishedAt)
{
    for (char const* state : { "active", "unactivated", "disabled", "failed", "creating" }) {
        EXPECT_EQ(with("state", state), "") << state;
    }
    EXPECT_EQ(with("state", "deleted"), "invalid manifest: state (Invalid)");
    EXPECT_EQ(with("published_at", "2012-05-02T15:14:45Z"), "");
    EXPECT_EQ(with("published_at", "2012-05-02T15:14:45.805Z"), "");
    EXPECT_EQ(with("published_at", "2012-05-02"),
        "invalid manifest: published_at (published_at date not in \"YYYY-MM-DDTHH:MM:SS(.SSS)Z\" "
        "format)");
}

TEST(ManifestValidation, Urls)
{
    EXPECT_EQ(with("homepage", "ftp://x"),
        "invalid manifest: homepage (invalid image homepage URL protocol)");
    EXPECT_EQ(with("eula", "x"), "invalid manifest: eula (invalid image EULA URL protocol)");
    EXPECT_EQ(with("homepage", "https://x/" + std::string(1100, 'a')),
        "invalid manifest: homepage (image homepage URL is too long (max 1024 characters))");
}

// Manifests come from any image server: huge fields are refused, not a stack overflow (the first
// validator used std::regex, which recursed once per character; manifest_fuzz found it).
TEST(ManifestValidation, HugeFieldsAreRefusedWithoutRecursion)
{
    std::string const huge(4 << 20, 'a');
    EXPECT_EQ(with("homepage", "http://" + huge),
        "invalid manifest: homepage (image homepage URL is too long (max 1024 characters))");
    EXPECT_NE(with("name", huge), "");
    EXPECT_NE(with("version", huge), "");
    EXPECT_NE(with("uuid", huge), "");
    EXPECT_NE(with("published_at", "2012-05-02T15:14:45." + std::string(4 << 20, '1') + "Z"), "x");
    EXPECT_EQ(with("published_at", "2012-05-02T15:14:45.Z"),
        "invalid manifest: published_at (published_at date not in \"YYYY-MM-DDTHH:MM:SS(.SSS)Z\" "
        "format)");
}

TEST(ManifestValidation, Description)
{
    EXPECT_EQ(with("description", std::string(10240, 'd')), "");
    EXPECT_EQ(with("description", std::string(10241, 'd')),
        "invalid manifest: description (image description is too long, max 10240 characters)");
}

TEST(ManifestValidation, Files)
{
    Json file = { { "sha1", "97f20b32c2016782257176fb58a35e5044f05840" }, { "size", 10 },
        { "compression", "gzip" } };
    EXPECT_EQ(with("files", Json::array()), "");
    EXPECT_EQ(with("files", Json::array({ file })), "");
    for (char const* compression : { "bzip2", "xz", "none" }) {
        Json other = file;
        other["compression"] = compression;
        EXPECT_EQ(with("files", Json::array({ other })), "") << compression;
    }
    EXPECT_EQ(with("files", Json::array({ file, file })),
        "invalid manifest: files (invalid image \"files\": too many files)");
    EXPECT_EQ(with("files", "x"),
        "invalid manifest: files (invalid image \"files\" (not an array): \"x\")");
    Json bad = file;
    bad.erase("sha1");
    bad["size"] = 0;
    bad["compression"] = "zip";
    EXPECT_EQ(with("files", Json::array({ bad })),
        "invalid manifest: files (invalid image \"files\": file missing \"sha1\" field), files "
        "(invalid image \"files\": file missing \"size\" field), files (invalid image \"files\": "
        "invalid compression \"zip\" (must be one of gzip, bzip2, xz, none))");
    bad = file;
    bad.erase("compression");
    EXPECT_EQ(with("files", Json::array({ bad })),
        "invalid manifest: files (invalid image \"files\": file missing \"compression\" field)");
}

// What install and import verify a file by (issue 11 point 8): minimal validation lets these
// through, image_file refuses them.
std::string file_problem(Json const& manifest)
{
    auto result = lumos::image::image_file(manifest);
    if (result) {
        return "";
    }
    EXPECT_EQ(result.error().code_name(), "ManifestValidation");
    EXPECT_EQ(result.error().exit_status, 1);
    return result.error().message;
}

TEST(ImageFile, SizeAndSha1AreRequiredAndComparable)
{
    Json file = { { "sha1", "97f20b32c2016782257176fb58a35e5044f05840" }, { "size", 10 },
        { "compression", "gzip" } };
    Json manifest = minimal();
    manifest["files"] = Json::array({ file });
    auto found = lumos::image::image_file(manifest);
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->size, 10U);
    EXPECT_EQ(found->sha1, "97f20b32c2016782257176fb58a35e5044f05840");
    manifest["files"][0]["size"] = (uint64_t { 1 } << 53) - 1;
    EXPECT_EQ(file_problem(manifest), "");

    EXPECT_EQ(file_problem(minimal()), "invalid manifest: files (MissingParameter)");
    manifest["files"] = Json::array();
    EXPECT_EQ(problems(manifest), "");
    EXPECT_EQ(file_problem(manifest),
        "invalid manifest: files (invalid image \"files\": image has no file)");
    manifest["files"] = "x";
    EXPECT_EQ(file_problem(manifest),
        "invalid manifest: files (invalid image \"files\" (not an array): \"x\")");

    std::string const size_error = "\" (must be a positive integer of at most "
                                   "9007199254740991 bytes))";
    for (auto const& [text, shown] : std::vector<std::pair<char const*, char const*>> {
             { "-1", "-1" }, { "18446744073709551616", "18446744073709551616" },
             { "9007199254740992", "9007199254740992" }, { "1.5", "1.5" }, { "\"10\"", "10" },
             { "true", "true" } }) {
        Json bad = minimal();
        bad["files"] = Json::array({ file });
        bad["files"][0]["size"] = Json::parse(text);
        if (std::string(text) != "true") {
            EXPECT_EQ(problems(bad), "") << text; // imgmanifest lets it through
        }
        EXPECT_EQ(file_problem(bad),
            std::string("invalid manifest: files (invalid image \"files\": invalid size \"") + shown
                + size_error)
            << text;
    }
    Json bad = minimal();
    bad["files"] = Json::array({ file });
    bad["files"][0].erase("size");
    EXPECT_EQ(file_problem(bad),
        "invalid manifest: files (invalid image \"files\": file missing \"size\" field)");
    bad["files"][0]["size"] = 10;
    bad["files"][0]["sha1"] = 1;
    EXPECT_EQ(file_problem(bad),
        "invalid manifest: files (invalid image \"files\": invalid sha1 \"1\" (must be 40 "
        "lower-case hexadecimal digits))");
    bad["files"][0]["sha1"] = std::string(40, 'A');
    EXPECT_NE(file_problem(bad), "");
    bad["files"][0]["sha1"] = std::string(39, 'a');
    EXPECT_NE(file_problem(bad), "");
    bad["files"][0].erase("sha1");
    EXPECT_EQ(file_problem(bad),
        "invalid manifest: files (invalid image \"files\": file missing \"sha1\" field)");
}

TEST(ManifestValidation, Requirements)
{
    EXPECT_EQ(with("requirements", Json::object()), "");
    EXPECT_EQ(with("requirements", "x"),
        "invalid manifest: requirements (invalid image \"requirements\" (not an object): \"x\")");
    EXPECT_EQ(with("requirements", { { "foo", 1 } }),
        "invalid manifest: foo (unsupported requirement \"foo\")");
    EXPECT_NE(with("requirements", { { "networks", Json::array({ { { "name", "n" } } }) } })
                  .find("requirements.networks (invalid image \"requirements.networks\" entry"),
        std::string::npos);
    EXPECT_NE(with("requirements", { { "brand", 5 } }).find("requirements.brand (invalid image"),
        std::string::npos);
    EXPECT_NE(with("requirements", { { "ssh_key", "yes" } }).find("requirements.ssh_key"),
        std::string::npos);
    EXPECT_EQ(with("requirements", { { "min_ram", 1.5 } }),
        "invalid manifest: requirements.min_ram (invalid image \"requirements.min_ram\" (not a "
        "positive integer): 1.5)");
    EXPECT_EQ(with("requirements", { { "min_ram", 512 }, { "max_ram", 256 } }),
        "invalid manifest: requirements.max_ram (min_ram must be <= max_ram, but: min_ram=512, "
        "max_ram=256)");
    EXPECT_EQ(with("requirements", { { "min_ram", 512 }, { "max_ram", 512 } }), "");
    EXPECT_EQ(with("requirements", { { "max_platform", Json::object() } }),
        "invalid manifest: requirements.max_platform (invalid image "
        "\"requirements.max_platform\" (not an object): {})");
    EXPECT_EQ(with("requirements", { { "min_platform", { { "7.0", "2013-03-08" } } } }),
        "invalid manifest: requirements.min_platform (invalid image "
        "\"requirements.min_platform\" entry: \"7.0: 2013-03-08\" not a valid platform version)");
    EXPECT_NE(with("requirements", { { "min_platform", { { "7.0", "20111308T102805Z" } } } }), "");
    EXPECT_EQ(with("requirements", { { "bootrom", "uefi" }, { "brand", "bhyve" } }), "");
    EXPECT_NE(with("requirements", { { "bootrom", "uefi" }, { "brand", "kvm" } }), "");
    EXPECT_NE(with("requirements", { { "bootrom", "coreboot" }, { "brand", "bhyve" } }), "");
}

TEST(ManifestValidation, ListsAndObjects)
{
    EXPECT_NE(with("users", Json::array({ { { "name", "a" }, { "uid", 1 } } }))
                  .find("users (invalid image \"users\" entry"),
        std::string::npos);
    EXPECT_NE(with("billing_tags", Json::array({ std::string(129, 'b') })).find("billing_tags"),
        std::string::npos);
    EXPECT_NE(
        with("traits", { { "n", 5 } }).find("traits (invalid image \"traits\" entry: (n, 5))"),
        std::string::npos);
    EXPECT_NE(with("tags", Json::array()).find("tags (invalid image \"tags\" (not an object)"),
        std::string::npos);
    EXPECT_NE(with("tags", { { "big", std::string(100 * 1024, 'x') } }).find("too long"),
        std::string::npos);
    EXPECT_NE(
        with("channels", Json::array({ 1 })).find("channels (invalid image \"channels\" entry: 1)"),
        std::string::npos);
    EXPECT_NE(with("error", "x").find("error (invalid image \"error\" (not an object)"),
        std::string::npos);
}

TEST(ManifestValidation, InheritedDirectoriesOnlyForZoneDatasets)
{
    EXPECT_EQ(with("inherited_directories", Json::array({ "/opt" })), "");
    EXPECT_NE(
        with("inherited_directories", Json::array({ 1 })).find("entry: 1"), std::string::npos);
    Json manifest = minimal();
    manifest["type"] = "lx-dataset";
    manifest["inherited_directories"] = Json::array({ "/opt" });
    EXPECT_NE(
        problems(manifest).find("only valid for a type:zone-dataset image"), std::string::npos);
}

TEST(ManifestValidation, ZvolFields)
{
    Json zvol = minimal();
    zvol["type"] = "zvol";
    zvol["nic_driver"] = "virtio";
    zvol["disk_driver"] = "virtio";
    zvol["cpu_type"] = "host";
    zvol["image_size"] = 10240;
    EXPECT_EQ(problems(zvol), "");
    Json bad = zvol;
    bad["image_size"] = -5;
    EXPECT_EQ(problems(bad),
        "invalid manifest: image_size (invalid image image_size: \"-5\" (must be a positive "
        "integer))");
    bad = zvol;
    bad["nic_driver"] = 5;
    EXPECT_NE(problems(bad).find("nic_driver (invalid image nic_driver: \"5\" (must be a string))"),
        std::string::npos);
    EXPECT_NE(with("cpu_type", "host")
                  .find("cpu_type (invalid image cpu_type: \"host\" (cannot have a value"),
        std::string::npos);
    EXPECT_NE(
        with("image_size", 10).find("image_size (invalid image image_size"), std::string::npos);
}

TEST(ManifestUpgrade, V2IsUnchanged)
{
    Json manifest = minimal();
    manifest["creator_uuid"] = "x"; // v present: not touched
    EXPECT_EQ(upgrade_manifest(manifest), manifest);
    Json no_v = { { "uuid", "01b2c898-945f-11e1-a523-af1afbe22822" } };
    EXPECT_EQ(upgrade_manifest(no_v), no_v);
}

TEST(ManifestUpgrade, V1ToV2)
{
    Json v1 = {
        { "uuid", "01b2c898-945f-11e1-a523-af1afbe22822" },
        { "name", "smartos" },
        { "version", "1.6.3" },
        { "type", "zone-dataset" },
        { "os", "smartos" },
        { "urn", "sdc:sdc:smartos:1.6.3" },
        { "creator_uuid", "352971aa-31ba-496c-9ade-a379feaecd52" },
        { "vendor_uuid", "352971aa-31ba-496c-9ade-a379feaecd52" },
        { "creator_name", "sdc" },
        { "cloud_name", "sdc" },
        { "platform_type", "smartos" },
        { "created_at", "2012-05-02T15:14Z" },
        { "updated_at", "2012-05-02T15:14Z" },
        { "image_size", "10240" },
        { "files",
            Json::array({ { { "path", "smartos-1.6.3.zfs.bz2" }, { "sha1", "97f2" },
                { "size", 46271847 }, { "url", "https://x/smartos-1.6.3.zfs.bz2" } } }) },
    };
    Json v2 = upgrade_manifest(v1);
    EXPECT_EQ(v2["v"], 2);
    EXPECT_EQ(v2["owner"], "352971aa-31ba-496c-9ade-a379feaecd52");
    EXPECT_EQ(v2["public"], true);
    EXPECT_EQ(v2["disabled"], false);
    EXPECT_EQ(v2["state"], "active");
    EXPECT_EQ(v2["published_at"], "2012-05-02T15:14:00Z");
    EXPECT_EQ(v2["image_size"], 10240);
    EXPECT_EQ(v2["files"][0],
        (Json { { "sha1", "97f2" }, { "size", 46271847 }, { "compression", "bzip2" } }));
    for (char const* gone : { "creator_uuid", "vendor_uuid", "creator_name", "cloud_name",
             "platform_type", "created_at", "updated_at" }) {
        EXPECT_FALSE(v2.contains(gone)) << gone;
    }
    EXPECT_EQ(v2["urn"], "sdc:sdc:smartos:1.6.3");
}

TEST(ManifestUpgrade, RestrictedAndDisabled)
{
    Json v1 = { { "uuid", "01b2c898-945f-11e1-a523-af1afbe22822" },
        { "creator_uuid", "352971aa-31ba-496c-9ade-a379feaecd52" },
        { "restricted_to_uuid", "11111111-2222-3333-4444-555555555555" }, { "disabled", true },
        { "files", Json::array({ { { "path", "a.zfs.gz" } }, { { "url", "b.zfs" } } }) } };
    Json v2 = upgrade_manifest(v1);
    EXPECT_EQ(v2["public"], false);
    EXPECT_EQ(v2["acl"], Json::array({ "11111111-2222-3333-4444-555555555555" }));
    EXPECT_FALSE(v2.contains("restricted_to_uuid"));
    EXPECT_EQ(v2["disabled"], true);
    EXPECT_EQ(v2["state"], "disabled");
    EXPECT_EQ(v2["files"][0]["compression"], "gzip");
    EXPECT_EQ(v2["files"][1]["compression"], "none");
}

} // namespace
