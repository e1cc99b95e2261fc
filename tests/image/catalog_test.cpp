// SPDX-License-Identifier: MPL-2.0
// The image catalog's installed rule, which both imgadm (list, get) and vmadm (a payload's
// image_uuid) follow: a dataset <pool>/<uuid> with @final, not imgadm:ignore=true, not a VM's
// root. The engine kept its own rule before (@final exists and the cache entry parses); the
// cases where the two disagreed are pinned here to what `imgadm get` shows, as VM.js's
// validateImage asks imgadm get.
#include "image/catalog.hpp"
#include "image_test_util.hpp"

namespace lumos::test {
namespace {

class CatalogTest : public StoreFixture {
protected:
    // The store's reads are the catalog's.
    image::ImageCatalog const& catalog() { return store(); }

    // A dataset with @final and a cached manifest of the given type: what an install leaves.
    std::string make_image(std::string const& type = "zone-dataset")
    {
        std::string const uuid = generate_uuid();
        auto p = pool();
        EXPECT_TRUE(p->create_filesystem("zones/" + uuid, {}));
        EXPECT_TRUE(p->snapshot("zones/" + uuid + "@final"));
        EXPECT_TRUE(catalog().cache_manifest("zones", bare_manifest(uuid, type), ""));
        return uuid;
    }

    static Json bare_manifest(std::string const& uuid, std::string const& type)
    {
        return Json { { "v", 2 }, { "uuid", uuid }, { "name", "test" }, { "version", "1.0" },
            { "type", type }, { "os", "smartos" } };
    }
};

TEST_F(CatalogTest, AnInstalledImageShowsItsCachedManifest)
{
    std::string const uuid = make_image();
    EXPECT_TRUE(catalog().is_installed("zones", uuid));
    auto manifest = catalog().installed_manifest("zones", uuid);
    ASSERT_TRUE(manifest.has_value());
    EXPECT_EQ(*manifest, bare_manifest(uuid, "zone-dataset"));
    auto got = catalog().get("zones", uuid);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->manifest, *manifest);
}

// Both old rules agreed: no @final, no image; a cache entry alone is a leftover.
TEST_F(CatalogTest, ADatasetWithoutFinalOrACacheEntryAloneIsNotInstalled)
{
    std::string const no_final = generate_uuid();
    ASSERT_TRUE(pool()->create_filesystem("zones/" + no_final, {}));
    ASSERT_TRUE(catalog().cache_manifest("zones", bare_manifest(no_final, "zone-dataset"), ""));
    std::string const cache_only = generate_uuid();
    ASSERT_TRUE(catalog().cache_manifest("zones", bare_manifest(cache_only, "zone-dataset"), ""));
    for (auto const& uuid : { no_final, cache_only }) {
        EXPECT_FALSE(catalog().is_installed("zones", uuid)) << uuid;
        EXPECT_FALSE(catalog().installed_manifest("zones", uuid).has_value()) << uuid;
    }
    EXPECT_FALSE(catalog().installed_manifest("nosuchpool", make_image()).has_value());
}

// The engine's old rule took these as installed; imgadm get does not show them.
TEST_F(CatalogTest, AnIgnoredDatasetIsNotInstalled)
{
    std::string const uuid = make_image();
    ASSERT_TRUE(pool()->set_user_property("zones/" + uuid, "imgadm:ignore", "true"));
    EXPECT_FALSE(catalog().is_installed("zones", uuid));
    EXPECT_FALSE(catalog().installed_manifest("zones", uuid).has_value());
    EXPECT_FALSE(catalog().get("zones", uuid).has_value());
}

TEST_F(CatalogTest, AVmRootIsNotAnImage)
{
    std::string const uuid = make_image();
    EXPECT_FALSE(image::is_vm_root(paths(), uuid));
    write_bytes(paths().vm_config(uuid), "{}");
    EXPECT_TRUE(image::is_vm_root(paths(), uuid));
    EXPECT_FALSE(catalog().is_installed("zones", uuid));
    EXPECT_FALSE(catalog().installed_manifest("zones", uuid).has_value());
    EXPECT_FALSE(catalog().get("zones", uuid).has_value());
}

// The engine's old rule refused these; imgadm get shows them with the manifest {uuid}, which
// has no type, so a payload naming one is refused all the same (bad_values image_uuid).
TEST_F(CatalogTest, AnImageWithoutAReadableCacheEntryHasTheManifestUuidOnly)
{
    std::string const missing = generate_uuid();
    ASSERT_TRUE(pool()->create_filesystem("zones/" + missing, {}));
    ASSERT_TRUE(pool()->snapshot("zones/" + missing + "@final"));
    std::string const corrupt = make_image();
    write_bytes(paths().image_manifest("zones", corrupt), "{not json");
    for (auto const& uuid : { missing, corrupt }) {
        auto manifest = catalog().installed_manifest("zones", uuid);
        ASSERT_TRUE(manifest.has_value()) << uuid;
        EXPECT_EQ(*manifest, (Json { { "uuid", uuid } }));
        EXPECT_FALSE(manifest->contains("type"));
    }
}

} // namespace
} // namespace lumos::test
