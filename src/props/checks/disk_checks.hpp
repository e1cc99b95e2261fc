// SPDX-License-Identifier: MPL-2.0
#pragma once

// checkPayloadProperties' disk rules: add_disks/update_disks fields and models, bhyve disk
// uuids, and resizes (a disk only shrinks with dangerous_allow_shrink).

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"

namespace lumos::props::checks {

Result<void> check_disks(Json const& payload, Brand brand);
Result<void> check_disk_uuids(Json const& payload, Json const& vm, Brand brand);
Result<void> check_disk_resizes(Json const& payload, Json const& vm);

} // namespace lumos::props::checks
