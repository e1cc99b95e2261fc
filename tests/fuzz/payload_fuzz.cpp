// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for VM payloads, the input vmadm create/update/validate read from anyone who
// can hand it a file. The bytes go through the same pure pipeline as the CLI: parse_json, then
// validate for every brand and action, prepare_create, and prepare_update of the created VM with
// the same payload. Nothing here may throw, crash or leak, whatever the types and shapes.
#include "base/json.hpp"
#include "props/brand.hpp"
#include "props/host_facts.hpp"
#include "props/normalize.hpp"
#include "props/property_table.hpp"
#include "props/state.hpp"
#include "props/validate.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using lumos::Json;
using namespace lumos::props;

// The images the seed corpus refers to, one per kind of zoneroot.
constexpr char const* ZONE_IMAGE = "01b2c898-945f-11e1-a523-af1afbe22822";
constexpr char const* LX_IMAGE = "04179d8e-1d51-11e5-8a8c-9f4ed3e5c5b1";
constexpr char const* ZVOL_IMAGE = "71101322-43a5-11e1-8f01-cf2a3031a7f4";

HostFacts make_host()
{
    HostFacts host;
    host.zpools = { "zones" };
    host.nic_tags = { "admin", "external" };
    host.image_manifest = [](std::string_view pool, std::string_view uuid) -> std::optional<Json> {
        if (pool != "zones") {
            return std::nullopt;
        }
        if (uuid == ZONE_IMAGE) {
            return Json { { "v", 2 }, { "uuid", uuid }, { "name", "base" }, { "version", "1.0" },
                { "type", "zone-dataset" }, { "os", "smartos" } };
        }
        if (uuid == LX_IMAGE) {
            return Json { { "v", 2 }, { "uuid", uuid }, { "name", "debian" }, { "version", "1.0" },
                { "type", "lx-dataset" }, { "os", "linux" } };
        }
        if (uuid == ZVOL_IMAGE) {
            return Json { { "v", 2 }, { "uuid", uuid }, { "name", "ubuntu" }, { "version", "1.0" },
                { "type", "zvol" }, { "os", "linux" }, { "image_size", 10240 } };
        }
        return std::nullopt;
    };
    // One neighbour, so the MAC/IP/vnc_port conflict checks have something to compare with.
    host.other_vms.push_back(Json::parse(R"({
        "uuid": "2c8f3b7e-1111-4c2b-9d1e-3b6a2f8c9d02", "brand": "kvm", "state": "running",
        "vnc_port": 5901,
        "nics": [{ "mac": "02:08:20:aa:bb:cc", "ip": "10.99.0.50", "nic_tag": "external",
                   "ips": ["10.99.0.50/24"] }]
    })"));
    return host;
}

HostFacts const& host()
{
    static HostFacts const facts = make_host();
    return facts;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    auto payload = lumos::parse_json(text);
    if (!payload || !payload->is_object()) {
        return 0;
    }

    for (Brand const brand : ALL_BRANDS) {
        for (uint8_t const action : { ACTION_CREATE, ACTION_UPDATE, ACTION_RECEIVE }) {
            auto errors = validate(brand_name(brand), action, *payload, host());
            (void)errors.to_json();
        }
        Json filled = *payload;
        (void)validate_and_fill(brand_name(brand), ACTION_CREATE, filled, host());
    }
    // The payload's own brand, whatever it is: unknown names take the bad_brand path.
    if (auto const brand = payload->find("brand"); brand != payload->end() && brand->is_string()) {
        (void)validate(brand->get<std::string>(), ACTION_CREATE, *payload, host());
    }

    CreateContext context;
    context.host = host();
    context.now_ms = 1325313522457;
    context.new_uuid = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";
    auto vm = prepare_create(*payload, context);
    if (!vm) {
        return 0;
    }
    // The object update sees is the stored one with its state derived, as the engine loads it.
    derive_state(*vm);
    auto updated = prepare_update(*vm, *payload, host());
    if (updated) {
        (void)lumos::dump_pretty(*updated);
    }
    return 0;
}
