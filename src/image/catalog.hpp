// SPDX-License-Identifier: MPL-2.0
// The image catalog: what is installed on a host and what its manifests say. No network, no
// archive code: the VM layer links it to check a payload's image_uuid by the same rule imgadm
// lists images by (the import side, image_store.hpp and importer.hpp, is built on top of it).
#pragma once

#include "base/json.hpp"
#include "base/paths.hpp"
#include "image/errors.hpp"
#include "pools/pool.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::image {

// One installed image as imgadm shows it: {manifest, zpool, source} plus clones/cloneNames.
// clang-tidy 14 takes the implicit special members of the Json member for throwing ones; nothing
// here is declared noexcept.
struct ImageInfo { // NOLINT(bugprone-exception-escape)
    Json manifest;
    std::string zpool;
    std::string source; // "" when installed from a file
    std::vector<std::string> clone_names; // datasets whose origin is <pool>/<uuid>@*
    Json to_json(bool with_clones) const; // {manifest, zpool, source[, cloneNames, clones]}
};

// Whether <pool>/<uuid> is a VM's zone root rather than an image: the VM store keeps a record
// for that uuid (imgadm's "is not a zone root", told here by the record's path).
bool is_vm_root(Paths const& paths, std::string_view uuid);

// The installed images of a host. An image is installed when its dataset <pool>/<uuid> has an
// @final snapshot, is not marked imgadm:ignore=true and is not a VM's root (is_vm_root); its
// manifest is cached in $LUMOS_ROOT/var/imgadm/images/<pool>-<uuid>.json ({uuid} when the
// entry is missing or corrupt, as imgadm shows an image it has no manifest for).
class ImageCatalog {
public:
    ImageCatalog(Paths paths, pools::PoolRegistry const& pools);

    Paths const& paths() const { return m_paths; }
    pools::PoolRegistry const& pools() const { return m_pools; }

    // Every installed image on every pool (or on one pool).
    ImgResult<std::vector<ImageInfo>> list(std::optional<std::string> const& pool = {}) const;
    // ImageNotInstalled (exit 3): image "<uuid>" was not found on zpool "<pool>".
    ImgResult<ImageInfo> get(std::string const& pool, std::string const& uuid) const;
    // The installed rule above, for one image, without listing the pool.
    bool is_installed(std::string const& pool, std::string const& uuid) const;
    // The manifest `imgadm get -P <pool> <uuid>` would show, nullopt when it would fail: what
    // vmadm validates a payload's image_uuid and disks.*.image_uuid against (VM.js
    // validateImage runs imgadm get).
    std::optional<Json> installed_manifest(std::string_view pool, std::string_view uuid) const;

    // The image then each origin in turn; OriginNotInstalled (exit 3) when one is missing.
    ImgResult<std::vector<ImageInfo>> ancestry(
        std::string const& pool, std::string const& uuid) const;

    // Replaces the cached manifest of an image on pool (imgadm update): {manifest, zpool, source}.
    ImgResult<void> cache_manifest(
        std::string const& pool, Json const& manifest, std::string const& source) const;

private:
    Paths m_paths;
    pools::PoolRegistry const& m_pools;
};

} // namespace lumos::image
