// SPDX-License-Identifier: MPL-2.0
// vmadm create under injected faults: every mutating pool call the create makes fails in turn
// (before or after doing its work), and the runtime's start fails. A failed create leaves no VM
// record and the pool's datasets and files exactly as it found them.
#include "unit/vm/engine_faults.hpp"

#include <gmock/gmock.h>

using namespace lumos;
using namespace lumos::test;
using ::testing::HasSubstr;

namespace {

constexpr char const* UUID = "3c1c5b2e-8a4f-4c7e-9d3a-2b6f1e0a9c41";

Json joyent_payload()
{
    // A delegated dataset, a quota and both indestructible_* flags: every kind of pool call a
    // zone's create makes (clone, create_filesystem, snapshot, hold).
    return { { "uuid", UUID }, { "brand", "joyent" }, { "autoboot", false },
        { "image_uuid", test_images::IMAGE_UUID }, { "quota", 5 }, { "delegate_dataset", true },
        { "indestructible_zoneroot", true }, { "indestructible_delegated", true } };
}

Json lx_payload()
{
    return { { "uuid", UUID }, { "brand", "lx" }, { "autoboot", false },
        { "image_uuid", test_images::LX_IMAGE_UUID }, { "kernel_version", "4.3.0" } };
}

Json bhyve_payload()
{
    // A boot disk cloned from the zvol image and grown past it, and a blank data disk.
    return { { "uuid", UUID }, { "brand", "bhyve" }, { "autoboot", false },
        { "disks",
            { { { "model", "virtio" }, { "image_uuid", test_images::ZVOL_IMAGE_UUID },
                  { "boot", true }, { "size", 3 } },
                { { "model", "virtio" }, { "size", 2 } } } } };
}

Json kvm_payload()
{
    return {
        { "uuid", UUID }, { "brand", "kvm" }, { "autoboot", false },
        { "disks",
            { { { "model", "virtio" }, { "size", 2 } }, { { "model", "virtio" }, { "size", 2 } } } }
    };
}

// The number of mutating pool calls a create of payload makes, and the datasets it makes.
struct Census {
    int calls { 0 };
    std::vector<std::string> made;
};

Census census_of(Json const& payload)
{
    FaultHost host;
    auto const before = host.datasets();
    int const calls = host.plan().calls;
    auto created = host.engine().create(payload);
    EXPECT_TRUE(created) << created.error().message();
    Census census;
    census.calls = host.plan().calls - calls;
    for (auto const& name : host.datasets()) {
        if (std::find(before.begin(), before.end(), name) == before.end()) {
            census.made.push_back(name);
        }
    }
    return census;
}

// For every N in 1..K and both fault modes: a fresh host whose Nth pool call of the create
// fails. The create fails with the pool's error, no record is written, the pool is as it was,
// and a second create of the same payload (no faults) succeeds.
void expect_every_failure_leaves_nothing(Json const& payload, std::vector<std::string> const& made)
{
    Census const census = census_of(payload);
    EXPECT_EQ(census.made, made);
    ASSERT_GT(census.calls, 0);
    for (auto const mode : { FaultPlan::Mode::Before, FaultPlan::Mode::After }) {
        for (int n = 1; n <= census.calls; ++n) {
            SCOPED_TRACE(std::string(mode_name(mode)) + " at pool call " + std::to_string(n)
                + " of " + std::to_string(census.calls));
            FaultHost host;
            auto const datasets = host.datasets();
            auto const files = host.files();
            host.fail_pool_call(n, mode);
            auto created = host.engine().create(payload);
            ASSERT_FALSE(created) << host.log();
            EXPECT_THAT(created.error().message(), HasSubstr(FaultPlan::MESSAGE));
            EXPECT_FALSE(host.store().exists(UUID));
            EXPECT_EQ(host.datasets(), datasets) << host.log();
            EXPECT_EQ(host.files(), files) << host.log();
            EXPECT_TRUE(host.runtime().calls.empty());

            host.no_faults();
            auto again = host.engine().create(payload);
            ASSERT_TRUE(again) << again.error().message() << host.log();
            EXPECT_EQ(again->uuid, UUID);
        }
    }
}

std::string zones(std::string const& rest)
{
    return std::string("zones/") + rest;
}

} // namespace

TEST(EngineFaults, CreateJoyentFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_nothing(joyent_payload(),
        { zones(UUID), zones(UUID) + "/data", zones(UUID) + "/data@indestructible",
            zones(UUID) + "@indestructible", "zones/cores", zones("cores/") + UUID });
}

TEST(EngineFaults, CreateLxFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_nothing(
        lx_payload(), { zones(UUID), "zones/cores", zones("cores/") + UUID });
}

TEST(EngineFaults, CreateBhyveFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_nothing(bhyve_payload(),
        { zones(UUID), zones(UUID) + "/disk0", zones(UUID) + "/disk1", "zones/cores",
            zones("cores/") + UUID });
}

TEST(EngineFaults, CreateKvmFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_nothing(kvm_payload(),
        { zones(UUID), zones(UUID) + "-disk0", zones(UUID) + "-disk1", "zones/cores",
            zones("cores/") + UUID });
}

TEST(EngineFaults, CreateWhoseStartFailsLeavesAFailedVmThatDeleteRemoves)
{
    // The datasets and the record are whole when the guest does not boot: SmartOS leaves the
    // VM (state failed) for the operator to look at and delete.
    FaultHost host;
    auto const datasets = host.datasets();
    auto const files = host.files();
    host.runtime().failing.insert("start");
    Json payload = lx_payload();
    payload["autoboot"] = true;
    auto created = host.engine().create(payload);
    ASSERT_FALSE(created);
    EXPECT_THAT(created.error().message(), HasSubstr(FakeRuntime::MESSAGE));
    EXPECT_EQ(host.runtime().calls, std::vector<std::string> { std::string("start ") + UUID });
    auto record = host.store().load_record(UUID);
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_EQ(string_or(*record, "failed"), "provisioning");
    EXPECT_FALSE(record->contains("transition"));
    auto vm = host.engine().get(UUID);
    ASSERT_TRUE(vm);
    EXPECT_EQ(string_or(*vm, "state"), "failed");
    EXPECT_TRUE(host.pool()->exists(zones(UUID)).value_or(false));

    ASSERT_TRUE(host.engine().remove(UUID));
    EXPECT_FALSE(host.store().exists(UUID));
    EXPECT_EQ(host.datasets(), datasets);
    EXPECT_EQ(host.files(), files);
}

TEST(EngineFaults, CreateThatLosesItsMonitorLeavesTheOutcomeToIt)
{
    // wait_provisioning failing is a create that lost its monitor's answer (as a killed
    // create): the guest runs, the record keeps its transition, and the monitor's outcome
    // decides the state (the store's live view), not this create.
    FaultHost host;
    host.runtime().failing.insert("wait_provisioning");
    Json payload = lx_payload();
    payload["autoboot"] = true;
    auto created = host.engine().create(payload);
    ASSERT_FALSE(created);
    EXPECT_THAT(created.error().message(), HasSubstr(FakeRuntime::MESSAGE));
    auto record = host.store().load_record(UUID);
    ASSERT_TRUE(record) << record.error().message();
    EXPECT_TRUE(record->contains("transition"));
    EXPECT_FALSE(record->contains("failed"));
    EXPECT_TRUE(host.runtime().live(UUID));
    auto vm = host.engine().get(UUID);
    ASSERT_TRUE(vm);
    EXPECT_EQ(string_or(*vm, "state"), "provisioning");
}

TEST(EngineFaults, CreateOverLeftoversFailsAtEveryPoolCall)
{
    // A create of this uuid killed before its record was written left its datasets; the next
    // create destroys them first. Wherever that create fails, it adds nothing to the pool and
    // writes no record, and a create after it succeeds.
    auto leave_leftovers = [](FaultHost& host) {
        auto pool = host.pool();
        ASSERT_TRUE(pool->create_filesystem(zones(UUID), {}));
        ASSERT_TRUE(pool->create_filesystem(zones("cores/") + UUID, {}));
        ASSERT_TRUE(pool->create_volume(zones(UUID) + "-disk0", 1 << 20, {}));
    };
    int calls = 0;
    {
        FaultHost host;
        leave_leftovers(host);
        auto created = host.engine().create(kvm_payload());
        ASSERT_TRUE(created) << created.error().message();
        calls = host.plan().calls;
        // The three leftovers (and the empty cores parent) go before the VM's datasets are made.
        EXPECT_EQ(std::vector<std::string>(host.plan().log.begin(), host.plan().log.begin() + 4),
            (std::vector<std::string> { "destroy " + zones(UUID),
                "destroy " + zones(UUID) + "-disk0", "destroy " + zones("cores/") + UUID,
                "destroy zones/cores" }))
            << host.log();
    }
    for (auto const mode : { FaultPlan::Mode::Before, FaultPlan::Mode::After }) {
        for (int n = 1; n <= calls; ++n) {
            SCOPED_TRACE(std::string(mode_name(mode)) + " at pool call " + std::to_string(n));
            FaultHost host;
            leave_leftovers(host);
            auto const before = host.datasets();
            host.fail_pool_call(n, mode);
            auto created = host.engine().create(kvm_payload());
            if (created) {
                // Only dropping the empty cores parent is best effort.
                EXPECT_EQ(host.plan().log[static_cast<size_t>(n - 1)], "destroy zones/cores");
                continue;
            }
            EXPECT_THAT(created.error().message(), HasSubstr(FaultPlan::MESSAGE));
            EXPECT_FALSE(host.store().exists(UUID));
            for (auto const& name : host.datasets()) {
                EXPECT_NE(std::find(before.begin(), before.end(), name), before.end())
                    << name << host.log();
            }
            host.no_faults();
            auto again = host.engine().create(kvm_payload());
            ASSERT_TRUE(again) << again.error().message() << host.log();
        }
    }
}
