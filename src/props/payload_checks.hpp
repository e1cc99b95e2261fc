// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"
#include "props/host_facts.hpp"

namespace lumos::props {

// SmartOS checkPayloadProperties: every fatal cross-field rule of section 2.4 (IPs, gateways,
// duplicate MAC/IP/VRID, host conflicts, nic tags, MTU, models, allowed_ips, dhcp cids, VRRP,
// routes incl. set_routes/remove_routes, vga, vnc_password, recsize, compression, zfs limits,
// add_disks rules, memory ordering on create, HVM memory floor on update, bhyve disk uuids).
// `vm` is {} on create. The payload is already normalized.
Result<void> check_payload_properties(
    Json const& payload, Json const& vm, Brand brand, HostFacts const& host);

} // namespace lumos::props
