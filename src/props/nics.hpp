// SPDX-License-Identifier: MPL-2.0
#pragma once

// SmartOS's normalizeNics (nic.js, reference section 2.4) and the NIC fields the other array
// steps read.

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace lumos::props {

// SmartOS normalizeNics (nic.js): runs on payload["add_nics"] and payload["update_nics"] (create
// has already renamed "nics" to "add_nics"). Generates missing MACs (first octet x2, or the VRRP
// MAC), assigns interface names (net<N> / eth<N> for lx) renamed internally to "physical",
// normalizes primary, converts legacy ip/netmask/gateway to ips/gateways, merges lone ip/netmask
// on update_nics with the VM's existing address. `vm` is the existing VM object ({} on create).
// Errors carry SmartOS's exact message (ErrorCode::InvalidArgument).
Result<void> normalize_nics(Json& payload, Json const& vm, Brand brand);

// N of an interface name <prefix>N ("net3" -> 3); nullopt when it is not one.
std::optional<long long> interface_index(std::string_view name, std::string_view prefix);
// The NIC's interface: "interface", else the internal "physical", else "".
std::string nic_interface(Json const& nic);
// The NIC's MAC in canonical form ("" when it has none).
std::string nic_mac(Json const& nic);

} // namespace lumos::props
