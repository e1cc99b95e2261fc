// SPDX-License-Identifier: MPL-2.0
// One dataset's create, snapshot and destroy through the Pool API with few and with many
// datasets in the pool: the pool's metadata is one row per dataset (pools/detail/dataset_db),
// so the cost must not grow with the pool. Usage (bench/dataset_ops.sh runs it):
//   dataset_ops_bench <dir|btrfs> <mountpoint> [SMALL=10] [LARGE=10000] [ROUNDS=25]
// Makes two pools under the mountpoint (small/ and large/, same filesystem), fills them with
// plain filesystems through the same API to SMALL and LARGE datasets, then times ROUNDS rounds
// of create + snapshot + recursive destroy of a fresh dataset, alternating between the two
// pools so that a change in the host's load hits both alike; prints the medians and their
// ratio. Exits 1 when LARGE costs 20% more than SMALL.
#include "pools/backends.hpp"
#include "pools/pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace {

using lumos::pools::Pool;
using Clock = std::chrono::steady_clock;

struct Timings {
    double create_ms { 0 };
    double snapshot_ms { 0 };
    double destroy_ms { 0 };
    double total() const { return create_ms + snapshot_ms + destroy_ms; }
};

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

double ms_since(Clock::time_point start)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool fill(Pool& pool, size_t& count, size_t target)
{
    for (; count < target; ++count) {
        if (auto made = pool.create_filesystem("zones/fill-" + std::to_string(count), {}); !made) {
            std::fprintf(stderr, "fill: %s\n", made.error().message().c_str());
            return false;
        }
    }
    return true;
}

struct Samples {
    std::vector<double> create;
    std::vector<double> snapshot;
    std::vector<double> destroy;
    Timings medians() const { return { median(create), median(snapshot), median(destroy) }; }
};

bool measure_once(Pool& pool, int round, Samples& samples)
{
    auto const name = "zones/bench-" + std::to_string(round);
    auto start = Clock::now();
    auto made = pool.create_filesystem(name, {});
    samples.create.push_back(ms_since(start));
    start = Clock::now();
    auto snapped = made ? pool.snapshot(name + "@s") : made;
    samples.snapshot.push_back(ms_since(start));
    start = Clock::now();
    auto gone = snapped ? pool.destroy(name, lumos::pools::Recursive::Yes) : snapped;
    samples.destroy.push_back(ms_since(start));
    if (!gone) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), gone.error().message().c_str());
        return false;
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(
            stderr, "usage: dataset_ops_bench <dir|btrfs> <mountpoint> [SMALL] [LARGE] [ROUNDS]\n");
        return 2;
    }
    std::string const backend = argv[1];
    size_t const small = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 10;
    size_t const large = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 10000;
    int const rounds = argc > 5 ? std::atoi(argv[5]) : 25;
    auto open = [&](std::string const& where) {
        lumos::pools::PoolConfig config;
        config.name = "zones";
        config.mountpoint = std::string(argv[2]) + "/" + where;
        config.quotas = false;
        config.backend
            = backend == "btrfs" ? lumos::pools::Backend::Btrfs : lumos::pools::Backend::Dir;
        std::filesystem::create_directories(config.mountpoint);
        return backend == "btrfs" ? lumos::pools::make_btrfs_pool(config)
                                  : lumos::pools::make_dir_pool(config);
    };
    auto small_pool = open("small");
    auto large_pool = open("large");
    size_t small_count = 0;
    size_t large_count = 0;
    auto const fill_start = Clock::now();
    if (!fill(*small_pool, small_count, small) || !fill(*large_pool, large_count, large)) {
        return 2;
    }
    auto const fill_s = ms_since(fill_start) / 1000;
    Samples small_samples;
    Samples large_samples;
    for (int round = 0; round < rounds; ++round) {
        if (!measure_once(*small_pool, round, small_samples)
            || !measure_once(*large_pool, round, large_samples)) {
            return 2;
        }
    }
    auto const at_small = small_samples.medians();
    auto const at_large = large_samples.medians();
    auto row = [&](char const* what, double a, double b) {
        std::printf("  %-28s %8.2f ms %8.2f ms   x%.2f\n", what, a, b, a > 0 ? b / a : 0.0);
    };
    std::printf("%s pool, median of %d rounds (filled to %zu datasets in %.0f s)\n",
        backend.c_str(), rounds, large, fill_s);
    std::printf("  %-28s %11zu %11zu\n", "existing datasets", small, large);
    row("create", at_small.create_ms, at_large.create_ms);
    row("snapshot", at_small.snapshot_ms, at_large.snapshot_ms);
    row("destroy -r", at_small.destroy_ms, at_large.destroy_ms);
    row("create+snapshot+destroy", at_small.total(), at_large.total());
    double const ratio = at_large.total() / at_small.total();
    bool const ok = ratio <= 1.2;
    std::printf("  ratio %.2f: %s (target: within 20%%)\n", ratio, ok ? "ok" : "MISSED");
    return ok ? 0 : 1;
}
