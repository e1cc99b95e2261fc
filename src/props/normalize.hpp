// SPDX-License-Identifier: MPL-2.0
#pragma once

// The create and update pipelines of SmartOS's normalizePayload (reference 1.7, 2.4, 2.5, 2.6):
// coercion, defaults, memory derivation, validation, object arrays, unset rules. Pure: the caller
// supplies host facts and gets back the VM object to store.

#include "base/json.hpp"
#include "base/result.hpp"
#include "props/host_facts.hpp"

#include <cstdint>
#include <string>

namespace lumos::props {

struct CreateContext {
    HostFacts host;
    int64_t now_ms = 0; // create_timestamp
    std::string new_uuid; // used when the payload has no uuid
};

// Turns a create payload into the stored VM object: the persisted properties, plus the internal
// attributes "zone_state" ("installed"), "provisioning" and, with autoboot, "transition". Errors
// have SmartOS's messages: "Invalid value(s) for: a,b", "Missing required properties: a,b",
// "Invalid value for <prop>: <v>", and the cross-field messages of 2.4.
Result<Json> prepare_create(Json const& input, CreateContext const& context);

// Applies an update payload to a stored VM object and returns the new one. Keys not allowed for
// (brand, update) are dropped silently.
Result<Json> prepare_update(Json const& vm, Json const& input, HostFacts const& host);

// Turns "vmadm update <uuid> k=v ..." arguments into a payload (values stay strings; they are
// coerced by prepare_update).
Json payload_from_key_values(std::vector<std::string> const& args);

} // namespace lumos::props
