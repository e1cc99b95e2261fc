// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "image/errors.hpp"

#include <cstdint>
#include <string>

namespace lumos::image {

// Manifest v1 -> v2 upgrade (imgmanifest.js upgradeManifest); v2 manifests come back unchanged.
Json upgrade_manifest(Json manifest);

// imgadm's minimal validation (section 4.4): required v, uuid, name, version, type, os; every
// known field present is validated; unknown top-level fields are errors. Fails with
// ManifestValidation "invalid manifest: <field> (<message or code>), ...".
ImgResult<void> validate_manifest_minimal(Json const& manifest);

// The one image file a manifest describes, as install and import verify it.
struct ImageFile {
    uint64_t size { 0 }; // bytes, > 0
    std::string sha1; // 40 lower-case hex digits
};

// files[0] of a manifest about to be installed. imgmanifest lets an image without files (or
// with a size its checks cannot compare) through and imgadm then skips the check that field
// would have made; here an image is installed only with a size and a sha1 to check it by:
// files present with one element whose size is a positive integer no larger than IMGAPI's
// (JavaScript's) 2^53 - 1 and whose sha1 is a SHA-1 hex digest. Fails with ManifestValidation
// in imgmanifest's wording ("invalid manifest: files (invalid image \"files\": ...)").
ImgResult<ImageFile> image_file(Json const& manifest);

} // namespace lumos::image
