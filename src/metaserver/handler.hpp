// SPDX-License-Identifier: MPL-2.0
// What the metadata server answers, given the VM object a request is about (reference 5.5-5.7;
// smartos-live's agent.js makeMetadataHandler): key routing between customer_metadata and
// internal_metadata (`*_pw` keys and the VM's internal_metadata_namespaces), the read-only
// `sdc:` keys, KEYS, and the `vmadm update` payload a guest's PUT or DELETE asks for. Pure: the
// server (server.hpp) reads the object and applies the payload.
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"

#include <string>
#include <string_view>

namespace lumos::metaserver {

// A response's code ("SUCCESS", "NOTFOUND", "FAILURE") and its payload ("" for none).
struct Reply {
    std::string code;
    std::string payload;
    bool operator==(Reply const&) const = default;
};

Reply success(std::string payload);
Reply not_found();
Reply failure(std::string message = {});

// GET <key>: a string, number or boolean is SUCCESS (stringified), a missing key NOTFOUND, an
// object or array FAILURE without a message; an empty key is "Invalid GET Request".
Reply get_key(Json const& vm, std::string_view key);

// KEYS: the customer keys that are neither `*_pw` nor namespaced, then the internal keys that
// are, one per line.
Reply list_keys(Json const& vm);

// PUT <key> <value> and DELETE <key>: the `vmadm update` payload (set_/remove_ customer or
// internal metadata), or the FAILURE message as the error ("Cannot update the "sdc"
// Namespace.", "Invalid DELETE Request", ...).
Result<Json> put_update(Json const& vm, std::string_view key, std::string const& value);
Result<Json> delete_update(Json const& vm, std::string_view key);

} // namespace lumos::metaserver
