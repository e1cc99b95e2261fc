// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for image manifests, which imgadm takes from any image server it is pointed at
// and from `imgadm install -m`: parse_json, the v1 -> v2 upgrade, the minimal validation, and
// image_file (the size and sha1 install and import verify the file by).
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
    auto const file = lumos::image::image_file(upgraded);
    if (!file && file.error().message.empty()) {
        __builtin_trap();
    }
    if (file
        && (file->size == 0 || file->size >= (uint64_t { 1 } << 53) || file->sha1.size() != 40)) {
        __builtin_trap(); // an accepted file always has something to check
    }
    return 0;
}
