// SPDX-License-Identifier: MPL-2.0
// Cost of checking a typical joyent create payload: props::validate alone, and the whole pure
// create pipeline (prepare_create: coercion, defaults, validation, object arrays). The target
// from the issue is validate under 50 µs; vmadm runs it once per command, so anything near a
// millisecond would show up next to process start.
#include "base/json.hpp"
#include "props/host_facts.hpp"
#include "props/normalize.hpp"
#include "props/property_table.hpp"
#include "props/validate.hpp"

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

namespace {

using lumos::Json;
using namespace lumos::props;

constexpr char const* IMAGE_UUID = "8a3b0b4e-0c0f-4bd4-9e35-4d8e6a4b1c01";

Json joyent_payload()
{
    return Json::parse(R"({
        "brand": "joyent",
        "alias": "web01",
        "hostname": "web01",
        "image_uuid": "8a3b0b4e-0c0f-4bd4-9e35-4d8e6a4b1c01",
        "max_physical_memory": 1024,
        "quota": 20,
        "autoboot": false,
        "resolvers": ["10.99.0.1", "8.8.8.8"],
        "nics": [
            {
                "nic_tag": "external",
                "ips": ["10.99.0.10/24"],
                "gateways": ["10.99.0.1"],
                "primary": true
            },
            {
                "nic_tag": "admin",
                "ips": ["192.168.1.10/24"],
                "gateways": ["192.168.1.1"]
            }
        ],
        "customer_metadata": {
            "user-script": "#!/bin/sh\necho hello",
            "root_authorized_keys": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBench bench@lumos",
            "role": "web"
        },
        "tags": { "role": "web", "env": "bench", "owner": "ops" }
    })");
}

HostFacts host_facts()
{
    HostFacts host;
    host.zpools = { "zones" };
    host.nic_tags = { "admin", "external" };
    host.image_manifest = [](std::string_view, std::string_view uuid) -> std::optional<Json> {
        if (uuid != IMAGE_UUID) {
            return std::nullopt;
        }
        return Json { { "v", 2 }, { "uuid", IMAGE_UUID }, { "name", "base" }, { "version", "1.0" },
            { "type", "zone-dataset" }, { "os", "smartos" } };
    };
    return host;
}

void BM_ValidateJoyentCreate(benchmark::State& state)
{
    Json const payload = joyent_payload();
    HostFacts const host = host_facts();
    // A benchmark of the error path would be meaningless, so refuse to time one.
    if (!validate("joyent", ACTION_CREATE, payload, host).ok()) {
        state.SkipWithError("the bench payload does not validate");
        return;
    }
    for (auto _ : state) {
        auto errors = validate("joyent", ACTION_CREATE, payload, host);
        benchmark::DoNotOptimize(errors);
    }
}
BENCHMARK(BM_ValidateJoyentCreate)->Unit(benchmark::kMicrosecond);

void BM_PrepareCreateJoyent(benchmark::State& state)
{
    Json const payload = joyent_payload();
    CreateContext context;
    context.host = host_facts();
    context.now_ms = 1325313522457;
    context.new_uuid = "54f1cc77-68f1-42ab-acac-5c4f64f5d6e0";
    if (auto vm = prepare_create(payload, context); !vm) {
        state.SkipWithError(("prepare_create failed: " + vm.error().message()).c_str());
        return;
    }
    for (auto _ : state) {
        auto vm = prepare_create(payload, context);
        benchmark::DoNotOptimize(vm);
    }
}
BENCHMARK(BM_PrepareCreateJoyent)->Unit(benchmark::kMicrosecond);

// The payload as vmadm receives it: text on stdin. Shows how much of a create is parsing.
void BM_ParsePayload(benchmark::State& state)
{
    std::string const text = joyent_payload().dump();
    for (auto _ : state) {
        auto json = lumos::parse_json(text);
        benchmark::DoNotOptimize(json);
    }
}
BENCHMARK(BM_ParsePayload)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
