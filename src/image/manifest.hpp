// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "image/errors.hpp"

namespace lumos::image {

// Manifest v1 -> v2 upgrade (imgmanifest.js upgradeManifest); v2 manifests come back unchanged.
Json upgrade_manifest(Json manifest);

// imgadm's minimal validation (section 4.4): required v, uuid, name, version, type, os; every
// known field present is validated; unknown top-level fields are errors. Fails with
// ManifestValidation "invalid manifest: <field> (<message or code>), ...".
ImgResult<void> validate_manifest_minimal(Json const& manifest);

} // namespace lumos::image
