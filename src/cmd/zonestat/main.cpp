// SPDX-License-Identifier: MPL-2.0
// zonestat [-p] [-z uuid[,uuid...]] [interval [count]]: per-zone figures from each running zone's
// cgroups, in the manner of illumos's zonestat(1) and prstat -Z: CPU use (percent of one CPU,
// as prstat counts), memory used and its cap, processes, bytes read and written, and the OOM
// kills so far (a memory hog killed at max_physical_memory shows here).
//   no interval   one report; CPU over the zone's life since it booted
//   interval      a report every interval seconds (CPU over that interval), count times or until
//                 interrupted
//   -p            parsable: zoneid:uuid:cpu%:memory bytes:cap bytes (0: none):processes:
//                 read bytes:written bytes:oom kills, one line per zone, no header
#include "base/paths.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "vm/host.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

using namespace lumos;

std::string human(uint64_t bytes)
{
    char const* units[] = { "B", "K", "M", "G", "T" };
    auto value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    (void)std::snprintf(text, sizeof text, unit == 0 ? "%.0f%s" : "%.1f%s", value, units[unit]);
    return text;
}

// "2024-05-01T10:20:41.000Z" -> epoch ms.
std::optional<int64_t> parse_iso(std::string const& text)
{
    struct tm tm { };
    int millis = 0;
    // NOLINTNEXTLINE(cert-err34-c): the count of fields read is checked; no date overflows int
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis)
        < 6) {
        return std::nullopt;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<int64_t>(::timegm(&tm)) * 1000 + millis;
}

int usage()
{
    std::cerr << "usage: zonestat [-p] [-z uuid[,uuid...]] [interval [count]]\n";
    return 2;
}

struct Sample {
    vm::GuestStats stats;
    std::chrono::steady_clock::time_point at;
};

} // namespace

int main(int argc, char** argv)
{
    bool parsable = false;
    std::vector<std::string> only;
    std::vector<std::string> numbers;
    for (int i = 1; i < argc; ++i) {
        std::string const arg = argv[i];
        if (arg == "-p") {
            parsable = true;
        } else if (arg == "-z" && i + 1 < argc) {
            for (auto const& uuid : split(argv[++i], ',')) {
                only.push_back(uuid);
            }
        } else if (!arg.empty() && arg[0] != '-') {
            numbers.push_back(arg);
        } else {
            return usage();
        }
    }
    std::optional<long long> interval;
    std::optional<long long> count;
    if (!numbers.empty()) {
        interval = parse_integer(numbers[0]);
        if (!interval || *interval <= 0) {
            std::cerr << "zonestat: invalid interval: " << numbers[0] << "\n";
            return usage();
        }
    }
    if (numbers.size() >= 2) {
        count = parse_integer(numbers[1]);
        if (!count || *count <= 0) {
            std::cerr << "zonestat: invalid count: " << numbers[1] << "\n";
            return usage();
        }
    }
    if (numbers.size() > 2) {
        return usage();
    }
    try {
        auto host = vm::Host::open(Paths::from_environment());
        if (!host) {
            std::cerr << "zonestat: " << host.error().message() << "\n";
            return 1;
        }
        vm::Engine& engine = (*host)->engine();
        if (auto measurable = (*host)->zones().cgroups(); !measurable) {
            std::cerr << "zonestat: " << measurable.error().message() << "\n";
            return 1;
        }
        for (auto const& uuid : only) {
            auto vm = engine.get(uuid);
            if (!vm) {
                std::cerr << "zonestat: " << uuid << ": No such zone configured\n";
                return 1;
            }
            engine.ensure_monitored(*vm);
        }
        std::map<std::string, Sample> previous;
        for (long long round = 0; !count || round < *count; ++round) {
            vm::ListQuery query;
            query.keys = std::set<std::string> { "uuid", "alias", "brand", "state" };
            auto vms = engine.find(query);
            if (!vms) {
                std::cerr << "zonestat: " << vms.error().message() << "\n";
                return 1;
            }
            if (!parsable) {
                std::printf("%-8s %-36s %6s %8s %8s %6s %8s %8s %4s  %s\n", "ZONEID", "UUID",
                    "CPU%", "MEM", "MEMCAP", "NPROC", "READ", "WRITE", "OOM", "ALIAS");
            }
            auto const now = std::chrono::steady_clock::now();
            for (auto const& vm : *vms) {
                std::string const uuid = string_or(vm, "uuid");
                if (!only.empty() && std::find(only.begin(), only.end(), uuid) == only.end()) {
                    continue;
                }
                vm::Runtime const& runtime = engine.runtime_for(vm);
                auto live = runtime.live(uuid);
                if (!live) {
                    continue;
                }
                auto stats = runtime.stats(uuid);
                if (!stats) {
                    continue;
                }
                double cpu = 0;
                if (auto it = previous.find(uuid); it != previous.end()) {
                    auto const elapsed_ns = static_cast<double>(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(now - it->second.at)
                            .count());
                    if (elapsed_ns > 0) {
                        cpu = 100.0
                            * static_cast<double>(
                                stats->cpu_usage_ns - it->second.stats.cpu_usage_ns)
                            / elapsed_ns;
                    }
                } else if (auto booted = parse_iso(live->boot_timestamp)) {
                    auto const up_ms = static_cast<double>(now_ms() - *booted);
                    if (up_ms > 0) {
                        cpu = 100.0 * static_cast<double>(stats->cpu_usage_ns) / (up_ms * 1e6);
                    }
                }
                previous[uuid] = Sample { *stats, now };
                if (parsable) {
                    std::printf("%lld:%s:%.1f:%llu:%llu:%llu:%llu:%llu:%llu\n",
                        static_cast<long long>(live->pid), uuid.c_str(), cpu,
                        static_cast<unsigned long long>(stats->memory_bytes),
                        static_cast<unsigned long long>(stats->memory_limit.value_or(0)),
                        static_cast<unsigned long long>(stats->processes),
                        static_cast<unsigned long long>(stats->io_read_bytes),
                        static_cast<unsigned long long>(stats->io_write_bytes),
                        static_cast<unsigned long long>(stats->oom_kills));
                } else {
                    std::printf("%-8lld %-36s %6.1f %8s %8s %6llu %8s %8s %4llu  %s\n",
                        static_cast<long long>(live->pid), uuid.c_str(), cpu,
                        human(stats->memory_bytes).c_str(),
                        stats->memory_limit ? human(*stats->memory_limit).c_str() : "-",
                        static_cast<unsigned long long>(stats->processes),
                        human(stats->io_read_bytes).c_str(), human(stats->io_write_bytes).c_str(),
                        static_cast<unsigned long long>(stats->oom_kills),
                        string_or(vm, "alias", "-").c_str());
                }
            }
            (void)std::fflush(stdout);
            if (!interval || (count && round + 1 >= *count)) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::seconds(*interval));
        }
        return 0;
    } catch (std::exception const& error) {
        std::cerr << "zonestat: internal error: " << error.what() << "\n";
        return 1;
    }
}
