// SPDX-License-Identifier: MPL-2.0
#pragma once

// checkPayloadProperties' rules that read the host (HostFacts): conflicts with other VMs (MACs,
// static IPs, VRIDs, the VNC port) and nic tags that must exist with a large enough MTU.

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/checks/nic_checks.hpp"
#include "props/host_facts.hpp"

#include <optional>
#include <vector>

namespace lumos::props::checks {

Result<void> check_conflicts(
    NicState const& state, std::optional<double> vnc_port, Json const& vm, HostFacts const& host);
Result<void> check_nic_tags(std::vector<Json const*> const& nics, HostFacts const& host);

} // namespace lumos::props::checks
