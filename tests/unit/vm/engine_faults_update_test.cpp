// SPDX-License-Identifier: MPL-2.0
// vmadm update under injected faults: every mutating pool call of an update that touches the
// pools (quota, indestructible_*, update_disks) fails in turn, before or after doing its work,
// and a running zone's apply_limits fails. A failed update leaves the record and the datasets
// (quota, volume sizes, holds) as they were.
#include "base/sizes.hpp"
#include "unit/vm/engine_faults.hpp"

#include <gmock/gmock.h>

#include <functional>

using namespace lumos;
using namespace lumos::test;
using ::testing::HasSubstr;

namespace {

constexpr char const* UUID = "7a4e2c1d-5b3f-4e8a-9c6d-1f2e3a4b5c6d";
std::string const ROOT = std::string("zones/") + UUID;

Json joyent_payload()
{
    return { { "uuid", UUID }, { "brand", "joyent" }, { "autoboot", false },
        { "image_uuid", test_images::IMAGE_UUID }, { "quota", 5 }, { "delegate_dataset", true } };
}

Json bhyve_payload()
{
    return {
        { "uuid", UUID }, { "brand", "bhyve" }, { "autoboot", false },
        { "disks",
            { { { "model", "virtio" }, { "size", 2 } }, { { "model", "virtio" }, { "size", 2 } } } }
    };
}

std::string disk_path(int n)
{
    return "/dev/zvol/rdsk/zones/" + std::string(UUID) + "/disk" + std::to_string(n);
}

// What a failed update must leave as it found it.
struct Snapshot {
    Json record;
    std::vector<std::string> datasets;
    std::optional<uint64_t> quota;
    std::vector<std::optional<uint64_t>> volumes;
    std::vector<std::string> holds;

    bool operator==(Snapshot const&) const = default;
};

Snapshot snapshot_of(FaultHost& host)
{
    Snapshot state;
    auto record = host.store().load_record(UUID);
    state.record = record ? *record : Json();
    state.datasets = host.datasets();
    auto listed = host.pool()->list(ROOT);
    for (auto const& info : listed ? *listed : std::vector<pools::DatasetInfo> {}) {
        if (info.name == ROOT) {
            state.quota = info.quota_bytes;
        }
        if (info.type == pools::DatasetType::Volume) {
            state.volumes.push_back(info.volume_size_bytes);
        }
        for (auto const& hold : info.holds) {
            state.holds.push_back(info.name + " " + hold);
        }
    }
    return state;
}

std::ostream& operator<<(std::ostream& out, Snapshot const& state)
{
    out << "record " << state.record.dump() << "\n quota "
        << (state.quota ? std::to_string(*state.quota) : "none") << "\n volumes";
    for (auto const& size : state.volumes) {
        out << " " << (size ? std::to_string(*size) : "?");
    }
    out << "\n holds";
    for (auto const& hold : state.holds) {
        out << " " << hold;
    }
    out << "\n datasets";
    for (auto const& name : state.datasets) {
        out << " " << name;
    }
    return out;
}

using Setup = std::function<void(FaultHost&)>;

// Creates the VM (no faults) and runs `prepare`; the number of mutating pool calls `update`
// makes on such a host, after checking that it succeeds and changes what it should.
int census_of(Json const& create, Setup const& prepare, Json const& update)
{
    FaultHost host;
    EXPECT_TRUE(host.engine().create(create));
    prepare(host);
    auto const before = snapshot_of(host);
    int const calls = host.plan().calls;
    auto updated = host.engine().update(UUID, update);
    EXPECT_TRUE(updated) << updated.error().message();
    EXPECT_NE(snapshot_of(host), before);
    return host.plan().calls - calls;
}

// For every N in 1..K and both fault modes, a fresh host with the VM whose update fails at its
// Nth pool call: the update fails with the pool's error and leaves everything as it was.
void expect_every_failure_leaves_it_as_it_was(
    Json const& create, Setup const& prepare, Json const& update, int expected_calls)
{
    int const calls = census_of(create, prepare, update);
    EXPECT_EQ(calls, expected_calls);
    for (auto const mode : { FaultPlan::Mode::Before, FaultPlan::Mode::After }) {
        for (int n = 1; n <= calls; ++n) {
            SCOPED_TRACE(std::string(mode_name(mode)) + " at pool call " + std::to_string(n)
                + " of " + std::to_string(calls));
            FaultHost host;
            ASSERT_TRUE(host.engine().create(create));
            prepare(host);
            auto const before = snapshot_of(host);
            host.fail_pool_call(n, mode);
            auto updated = host.engine().update(UUID, update);
            ASSERT_FALSE(updated) << host.log();
            EXPECT_THAT(updated.error().message(), HasSubstr(FaultPlan::MESSAGE));
            EXPECT_EQ(snapshot_of(host), before) << host.log();
        }
    }
}

void nothing(FaultHost&)
{
}

} // namespace

TEST(EngineFaults, UpdateQuotaAndIndestructibleFailsAtEveryPoolCall)
{
    // set_quota, then snapshot + hold for each of the zone root and the delegated dataset.
    expect_every_failure_leaves_it_as_it_was(joyent_payload(), nothing,
        { { "quota", 10 }, { "indestructible_zoneroot", true },
            { "indestructible_delegated", true } },
        5);
}

TEST(EngineFaults, UpdateClearingIndestructibleFailsAtEveryPoolCall)
{
    // set_quota, then release + destroy of each @indestructible snapshot.
    Json create = joyent_payload();
    create["indestructible_zoneroot"] = true;
    create["indestructible_delegated"] = true;
    expect_every_failure_leaves_it_as_it_was(create, nothing,
        { { "quota", 0 }, { "indestructible_zoneroot", false },
            { "indestructible_delegated", false } },
        5);
}

TEST(EngineFaults, UpdateDisksFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_it_as_it_was(bhyve_payload(), nothing,
        { { "update_disks",
            { { { "path", disk_path(0) }, { "size", 4 } },
                { { "path", disk_path(1) }, { "size", 6 } } } } },
        2);
}

TEST(EngineFaults, UpdateOfARunningZoneWhoseLimitsFailLeavesItAsItWas)
{
    // The quota reaches the pool before the resource controls reach the running zone; when
    // they cannot, the quota goes back and the record is not written.
    FaultHost host;
    ASSERT_TRUE(host.engine().create(joyent_payload()));
    host.runtime().run(UUID);
    auto const before = snapshot_of(host);
    ASSERT_EQ(before.quota, 5 * GIB);
    host.runtime().failing.insert("apply_limits");
    auto updated = host.engine().update(UUID, { { "quota", 10 }, { "cpu_cap", 100 } });
    ASSERT_FALSE(updated);
    EXPECT_THAT(updated.error().message(), HasSubstr(FakeRuntime::MESSAGE));
    EXPECT_EQ(
        host.runtime().calls, std::vector<std::string> { std::string("apply_limits ") + UUID });
    EXPECT_EQ(snapshot_of(host), before) << host.log();

    host.runtime().failing.clear();
    ASSERT_TRUE(host.engine().update(UUID, { { "quota", 10 }, { "cpu_cap", 100 } }));
    EXPECT_EQ(snapshot_of(host).quota, 10 * GIB);
}
