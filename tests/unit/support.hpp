// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "props/host_facts.hpp"

#include <string>

namespace lumos::testing {

inline constexpr char const* IMAGE_UUID = "01b2c898-945f-11e1-a523-af1afbe22822";
inline constexpr char const* LX_IMAGE_UUID = "04179d8e-1d51-11e5-8a8c-9f4ed3e5c5b1";
inline constexpr char const* ZVOL_IMAGE_UUID = "71101322-43a5-11e1-8f01-cf2a3031a7f4";

// Host facts as a small SmartOS host has them: pool "zones", nic tags admin and external, a
// zone-dataset, an lx-dataset and a zvol image installed.
inline props::HostFacts host()
{
    props::HostFacts facts;
    facts.nic_tags = { "admin", "external" };
    facts.image_manifest = [](std::string_view pool, std::string_view uuid) -> std::optional<Json> {
        if (pool != "zones") {
            return std::nullopt;
        }
        if (uuid == IMAGE_UUID) {
            return Json { { "uuid", uuid }, { "type", "zone-dataset" }, { "os", "smartos" } };
        }
        if (uuid == LX_IMAGE_UUID) {
            return Json { { "uuid", uuid }, { "type", "lx-dataset" }, { "os", "linux" } };
        }
        if (uuid == ZVOL_IMAGE_UUID) {
            return Json { { "uuid", uuid }, { "type", "zvol" }, { "os", "linux" },
                { "image_size", 5120 } };
        }
        return std::nullopt;
    };
    return facts;
}

} // namespace lumos::testing
