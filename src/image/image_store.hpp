// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/file.hpp"
#include "base/json.hpp"
#include "base/paths.hpp"
#include "image/errors.hpp"
#include "pools/pool.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lumos::image {

// Formats an image file can come in, after decompression (section 4.5 of the reference, Linux
// flavours): a tar archive of a root filesystem (the portable default, extracted into
// "<dataset>/root"), a btrfs send stream (btrfs pools), a zfs send stream (zfs pools), or a raw
// disk (type zvol).
enum class FileFormat { Tar, BtrfsStream, ZfsStream, RawDisk };

// One installed image as imgadm shows it: {manifest, zpool, source} plus clones/cloneNames.
struct ImageInfo {
    Json manifest;
    std::string zpool;
    std::string source; // "" when installed from a file
    std::vector<std::string> clone_names; // datasets whose origin is <pool>/<uuid>@*
    Json to_json(bool with_clones) const; // {manifest, zpool, source[, cloneNames, clones]}
};

// The installed images of a host: datasets <pool>/<uuid> with an @final snapshot (not zone
// roots, not volumes of VMs, not imgadm:ignore), with their manifests cached in
// $LUMOS_ROOT/var/imgadm/images/<pool>-<uuid>.json.
class ImageStore {
public:
    ImageStore(Paths paths, pools::PoolRegistry const& pools);

    Paths const& paths() const { return m_paths; }
    pools::PoolRegistry const& pools() const { return m_pools; }

    // Every installed image on every pool (or on one pool).
    ImgResult<std::vector<ImageInfo>> list(std::optional<std::string> const& pool = {}) const;
    // ImageNotInstalled (exit 3): image "<uuid>" was not found on zpool "<pool>".
    ImgResult<ImageInfo> get(std::string const& pool, std::string const& uuid) const;
    bool is_installed(std::string const& pool, std::string const& uuid) const;

    // Installs an image from a (possibly compressed) file: the checks of `imgadm install`
    // (size and sha1 against the manifest, when the manifest has them) then, under the image's
    // import lock, the manifest into the cache, the file through the decompressor into
    // <pool>/<uuid>-partial, "@final", rename to <pool>/<uuid>. On any failure the partial
    // dataset and the cache entry are removed: the pool and database are as before.
    struct InstallRequest {
        Json manifest; // already validated
        std::string file_path;
        std::string pool { "zones" };
        std::string source; // the source URL it came from, "" for imgadm install
        bool verify_file { true }; // imgadm install: check size and sha1 of the file
        // imgadm import streams the download straight into the pool: when stream_fd >= 0 the
        // image file is read once from it (file_path is then only named in messages), and
        // verify_stream, called after the whole stream was consumed and before anything is
        // committed, says whether what came through was the right file (size, sha1).
        int stream_fd { -1 };
        std::function<ImgResult<void>()> verify_stream;
    };
    ImgResult<void> install(InstallRequest const& request);

    // Replaces the cached manifest of an image on pool (imgadm update): {manifest, zpool, source}.
    ImgResult<void> cache_manifest(
        std::string const& pool, Json const& manifest, std::string const& source) const;

    // ImageHasDependentClones when clones exist; ImageNotInstalled (exit 3) when absent.
    ImgResult<void> remove(std::string const& pool, std::string const& uuid);

    // The image then each origin in turn; OriginNotInstalled (exit 3) when one is missing.
    ImgResult<std::vector<ImageInfo>> ancestry(
        std::string const& pool, std::string const& uuid) const;

    // imgadm's per-image import lock ($LUMOS_ROOT/run/lumos/img.<uuid>.import.lock).
    Result<FileLock> lock_import(std::string const& uuid, bool* waited = nullptr) const;

private:
    Paths m_paths;
    pools::PoolRegistry const& m_pools;
};

} // namespace lumos::image
