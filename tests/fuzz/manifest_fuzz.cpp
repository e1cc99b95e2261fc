// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for image manifests, which imgadm takes from any image server it is pointed at
// and from `imgadm install -m`: parse_json, the v1 -> v2 upgrade, and the minimal validation.
// Nothing here may throw, crash or leak, whatever the types and shapes.
#include "base/json.hpp"
#include "image/manifest.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto parsed = lumos::parse_json(text);
    if (!parsed) {
        return 0;
    }
    lumos::Json const upgraded = lumos::image::upgrade_manifest(*parsed);
    auto const valid = lumos::image::validate_manifest_minimal(upgraded);
    if (!valid && valid.error().message.empty()) {
        __builtin_trap(); // every refusal must say why
    }
    return 0;
}
