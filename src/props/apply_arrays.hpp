// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"

namespace lumos::props {

// Applies add_* / update_* / remove_* of nics, disks, filesystems and pci_devices from a
// normalized payload to the VM object (SmartOS buildAddRemoveList + the loader's shape): nics
// keyed by mac, disks by path, filesystems by target; only updatable sub-keys are merged;
// primary re-election when the primary NIC goes; representative ip/netmask/gateway derived from
// ips/gateways; "physical" presented as "interface"; arrays sorted as section 2.7 says. The
// payload is const: its add_*/update_*/remove_* keys stay where they are.
Result<void> apply_object_arrays(Json& vm, Json const& payload, Brand brand);

} // namespace lumos::props
