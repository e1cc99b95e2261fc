// SPDX-License-Identifier: MPL-2.0
#pragma once

// checkPayloadProperties' NIC rules: addresses, gateways, duplicates within the VM, models, nic
// tags' syntax, VRRP, allowed_ips and dhcp cids, the primary flag.

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/brand.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::props::checks {

// The NIC's MAC in canonical form (any JSON value printed as JavaScript would).
std::string nic_mac(Json const& nic);
// The key VM.js files a NIC under: its MAC, or the VRRP MAC of its VRID.
std::optional<std::string> nic_key(Json const& nic);
long long vlan_of(Json const& nic);

// A static address taken by a NIC of this payload, with the network it lives on.
struct ClaimedIp {
    std::string ip;
    Json nic_tag;
    long long vlan_id;
};

// The NIC set after the update (VM.js nics_result / nics_result_ordered) and what it claims.
struct NicState {
    std::vector<Json> nics; // in VM order, then added NICs in payload order
    std::vector<std::string> current_ips;
    std::vector<std::string> current_macs;
    std::vector<long long> current_vrids;
    std::vector<ClaimedIp> ips; // claimed by the payload
    std::vector<std::string> macs;
    std::vector<long long> vrids;
    std::vector<Json const*> changed;
    int primary_count = 0;

    Json* find(std::string const& key)
    {
        for (auto& nic : nics) {
            if (nic_key(nic) == key) {
                return &nic;
            }
        }
        return nullptr;
    }
};

NicState current_nics(Json const& payload, Json const& vm);

enum class NicChange { Added, Updated };
Result<void> check_payload_nic(Json const& nic, NicChange change, Brand brand, NicState& state);
void remove_nics(Json const& payload, NicState& state);
Result<void> check_final_nics(NicState const& state);

} // namespace lumos::props::checks
