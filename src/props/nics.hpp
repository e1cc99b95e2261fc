// SPDX-License-Identifier: MPL-2.0
#pragma once

// NICs, disks, filesystems and pci_devices: the object arrays of a VM, and the cross-field
// checks of SmartOS's checkPayloadProperties (reference section 2.4).

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"
#include "props/host_facts.hpp"

namespace lumos::props {

// SmartOS normalizeNics (nic.js): runs on payload["add_nics"] and payload["update_nics"] (create
// has already renamed "nics" to "add_nics"). Generates missing MACs (first octet x2, or the VRRP
// MAC), assigns interface names (net<N> / eth<N> for lx) renamed internally to "physical",
// normalizes primary, converts legacy ip/netmask/gateway to ips/gateways, merges lone ip/netmask
// on update_nics with the VM's existing address. `vm` is the existing VM object ({} on create).
// Errors carry SmartOS's exact message (ErrorCode::InvalidArgument).
Result<void> normalize_nics(Json& payload, Json const& vm, Brand brand);

// SmartOS normalizeDisks for payload["add_disks"] / ["update_disks"]: media default "disk", model
// defaults (disk_driver, then the first disk's model), bhyve uuid and pci_slot assignment.
Result<void> normalize_disks(Json& payload, Json const& vm, Brand brand);

// SmartOS checkPayloadProperties: every fatal cross-field rule of section 2.4 (IPs, gateways,
// duplicate MAC/IP/VRID, host conflicts, nic tags, MTU, models, allowed_ips, dhcp cids, VRRP,
// routes incl. set_routes/remove_routes, vga, vnc_password, recsize, compression, zfs limits,
// add_disks rules, memory ordering on create, HVM memory floor on update, bhyve disk uuids).
// `vm` is {} on create. The payload is already normalized.
Result<void> check_payload_properties(Json const& payload, Json const& vm, Brand brand,
    HostFacts const& host);

// Applies add_* / update_* / remove_* of nics, disks, filesystems and pci_devices from a
// normalized payload to the VM object (SmartOS buildAddRemoveList + the loader's shape): nics
// keyed by mac, disks by path, filesystems by target; only updatable sub-keys are merged;
// primary re-election when the primary NIC goes; representative ip/netmask/gateway derived from
// ips/gateways; "physical" presented as "interface"; arrays sorted as section 2.7 says. Removes
// the add_*/update_*/remove_* keys from nothing: the payload is const.
Result<void> apply_json_access(Json& vm, Json const& payload, Brand brand);

} // namespace lumos::props
