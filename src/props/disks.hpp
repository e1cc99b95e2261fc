// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"

namespace lumos::props {

// SmartOS normalizeDisks for payload["add_disks"] / ["update_disks"]: media default "disk", model
// defaults (disk_driver, then the first disk's model), bhyve uuid and pci_slot assignment.
Result<void> normalize_disks(Json& payload, Json const& vm, Brand brand);

} // namespace lumos::props
