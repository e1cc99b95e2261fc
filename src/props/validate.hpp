// SPDX-License-Identifier: MPL-2.0
#pragma once

// VM.validate: the property table applied to a payload (reference 2.3, 1.8).

#include "base/json.hpp"
#include "props/brand.hpp"
#include "props/host_facts.hpp"
#include "props/property_table.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::props {

// SmartOS's validation error object. Either bad_brand is set, or the three lists are.
struct ValidationErrors {
    std::optional<std::string> bad_brand;
    std::vector<std::string> bad_values;
    std::vector<std::string> bad_properties;
    std::vector<std::string> missing_properties;

    bool ok() const
    {
        return !bad_brand && bad_values.empty() && bad_properties.empty()
            && missing_properties.empty();
    }
    // {"bad_brand": ...} or {"bad_values": [...], "bad_properties": [...], "missing_properties":
    // [...]}, as vmadm validate prints it.
    Json to_json() const;
};

// Validates payload for brand and action (ACTION_CREATE, ACTION_UPDATE or ACTION_RECEIVE).
// Sub-properties of object arrays are checked as "<name>.*.<key>" with action add (nics, disks,
// add_*) or update (update_*). Image and zpool checks consult host.
ValidationErrors validate(
    std::string_view brand, uint8_t action, Json const& payload, HostFacts const& host);

// The same, on a payload that validation may complete: image_size and cloud-init facts are copied
// from installed image manifests, as SmartOS's validateImages does during create.
ValidationErrors validate_and_fill(
    std::string_view brand, uint8_t action, Json& payload, HostFacts const& host);

// fixBoolean: true/false, "true"/"false", 1/"1", 0/"0"; nullopt for anything else.
std::optional<bool> to_boolean(Json const& value);

} // namespace lumos::props
