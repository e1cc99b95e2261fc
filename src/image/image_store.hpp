// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/file.hpp"
#include "image/catalog.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lumos::image {

// Formats an image file can come in, after decompression (section 4.5 of the reference, Linux
// flavours): a tar archive of a root filesystem (the portable default, extracted into
// "<dataset>/root"), a btrfs send stream (btrfs pools), a zfs send stream (zfs pools; of a
// volume, for type zvol, on every pool: decoded into the volume where there is no zfs receive,
// detail/zfs_stream.hpp), or a raw disk (type zvol: any file that is none of the others).
enum class FileFormat { Tar, BtrfsStream, ZfsStream, RawDisk };

// The import side of the catalog: installs images into it (imgadm install, import) and
// removes them (imgadm delete, vacuum). The reads are ImageCatalog's.
class ImageStore : public ImageCatalog {
public:
    using ImageCatalog::ImageCatalog;

    // Installs an image from a (possibly compressed) file: the checks of `imgadm install`
    // (size and sha1 against the manifest, when the manifest has them) then, under the image's
    // import lock, the manifest into the cache, the file through the decompressor into
    // <pool>/<uuid>-partial, "@final", rename to <pool>/<uuid>. A zvol image's volume is as
    // large as its disk (a zfs stream's volsize), whatever the manifest's image_size says, as
    // with imgadm's zfs receive; all-zero blocks are left as holes. On any failure the partial
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

    // ImageHasDependentClones when clones exist; ImageNotInstalled (exit 3) when absent.
    ImgResult<void> remove(std::string const& pool, std::string const& uuid);

    // imgadm's per-image import lock ($LUMOS_ROOT/run/lumos/img.<uuid>.import.lock).
    Result<FileLock> lock_import(std::string const& uuid, bool* waited = nullptr) const;
};

} // namespace lumos::image
