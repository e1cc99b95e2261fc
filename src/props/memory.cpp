// SPDX-License-Identifier: MPL-2.0
#include "props/memory.hpp"

#include "props/detail/javascript.hpp"

#include <cmath>

namespace lumos::props {

namespace {

constexpr double MINIMUM_MAX_SWAP = 256;
constexpr int DEFAULT_MAX_IDS = 4096;

bool has(Json const& object, char const* key)
{
    return object.is_object() && object.contains(key) && !object[key].is_null();
}

double number(Json const& object, char const* key)
{
    return detail::js_to_number(object[key]);
}

// Memory values are whole MiB; store them as integers so the JSON reads like SmartOS's.
Json as_integer(double value)
{
    return static_cast<long long>(std::llround(value));
}

} // namespace

void fix_payload_memory(Json& payload, Json const& vm, Brand brand)
{
    auto const& brand_features = features(brand);
    if (has(payload, "ram") && !has(payload, "max_physical_memory")) {
        payload["max_physical_memory"]
            = as_integer(number(payload, "ram") + brand_features.memory_overhead);
    }

    if (has(payload, "max_physical_memory")) {
        double const max_physical = number(payload, "max_physical_memory");
        if (!has(payload, "max_locked_memory")) {
            if (has(vm, "max_locked_memory") && has(vm, "max_physical_memory")) {
                payload["max_locked_memory"] = as_integer(max_physical
                    - (number(vm, "max_physical_memory") - number(vm, "max_locked_memory")));
            } else {
                payload["max_locked_memory"] = as_integer(max_physical);
            }
        }
        if (!has(payload, "max_swap")) {
            double swap = max_physical;
            if (has(vm, "max_swap") && has(vm, "max_physical_memory")) {
                double const old_swap = number(vm, "max_swap");
                if (old_swap == MINIMUM_MAX_SWAP && max_physical >= MINIMUM_MAX_SWAP) {
                    swap = max_physical;
                } else {
                    swap = max_physical + (old_swap - number(vm, "max_physical_memory"));
                }
            }
            payload["max_swap"] = as_integer(std::max(swap, MINIMUM_MAX_SWAP));
        }
    }

    if (has(payload, "tmpfs")) {
        double const tmpfs = number(payload, "tmpfs");
        if (has(payload, "max_physical_memory")) {
            if (tmpfs > number(payload, "max_physical_memory")) {
                payload["tmpfs"] = payload["max_physical_memory"];
            }
        } else if (has(vm, "max_physical_memory") && tmpfs > number(vm, "max_physical_memory")) {
            payload["tmpfs"] = vm["max_physical_memory"];
        }
    }

    if (has(payload, "max_physical_memory") && brand_features.use_tmpfs && !has(payload, "tmpfs")) {
        if (has(vm, "max_physical_memory") && has(vm, "tmpfs")
            && number(vm, "max_physical_memory") != 0) {
            payload["tmpfs"] = as_integer(number(vm, "tmpfs") / number(vm, "max_physical_memory")
                * number(payload, "max_physical_memory"));
        } else {
            payload["tmpfs"] = payload["max_physical_memory"];
        }
    }

    if (has(payload, "max_physical_memory")) {
        if (!has(vm, "max_shm_memory") && !has(payload, "max_shm_memory")) {
            payload["max_shm_memory"] = payload["max_physical_memory"];
        }
        for (char const* key : { "max_msg_ids", "max_sem_ids", "max_shm_ids" }) {
            if (!has(vm, key) && !has(payload, key)) {
                payload[key] = DEFAULT_MAX_IDS;
            }
        }
    }

    if (brand_features.min_memory_overhead != 0) {
        auto const pick = [&](char const* key) {
            return has(payload, key) ? number(payload, key) : has(vm, key) ? number(vm, key) : NAN;
        };
        double const floor = pick("ram") + brand_features.min_memory_overhead;
        // JavaScript compares with NaN as false; so do we.
        if (floor > pick("max_physical_memory")) {
            payload["max_physical_memory"] = as_integer(floor);
        }
        if (floor > pick("max_locked_memory")) {
            payload["max_locked_memory"] = as_integer(floor);
        }
    }

    if (has(payload, "max_locked_memory")) {
        double const locked = number(payload, "max_locked_memory");
        if (has(payload, "max_physical_memory")) {
            if (locked > number(payload, "max_physical_memory")) {
                payload["max_locked_memory"] = payload["max_physical_memory"];
            }
        } else if (has(vm, "max_physical_memory") && locked > number(vm, "max_physical_memory")) {
            payload["max_locked_memory"] = vm["max_physical_memory"];
        }
    }

    if (has(payload, "max_swap")) {
        double const swap = number(payload, "max_swap");
        if (has(payload, "max_physical_memory")) {
            if (swap < number(payload, "max_physical_memory")) {
                payload["max_swap"] = payload["max_physical_memory"];
            }
        } else if (has(vm, "max_physical_memory") && swap < number(vm, "max_physical_memory")) {
            payload["max_swap"] = vm["max_physical_memory"];
        }
    }
}

} // namespace lumos::props
