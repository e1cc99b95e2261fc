// SPDX-License-Identifier: MPL-2.0
// vmadm delete under injected faults: every mutating pool call of a delete fails in turn,
// before or after doing its work, and a running VM's stop fails. A failed delete leaves the VM
// visible (its record), and a second delete finishes it: the pool is then as the create found
// it.
#include "unit/vm/engine_faults.hpp"

#include <gmock/gmock.h>

using namespace lumos;
using namespace lumos::test;
using ::testing::HasSubstr;

namespace {

constexpr char const* UUID = "c5d2e8f1-3a6b-4c9d-8e7f-0a1b2c3d4e5f";

Json joyent_payload()
{
    return { { "uuid", UUID }, { "brand", "joyent" }, { "autoboot", false },
        { "image_uuid", test_images::IMAGE_UUID }, { "quota", 5 }, { "delegate_dataset", true } };
}

Json kvm_payload()
{
    return {
        { "uuid", UUID }, { "brand", "kvm" }, { "autoboot", false },
        { "disks",
            { { { "model", "virtio" }, { "size", 2 } }, { { "model", "virtio" }, { "size", 2 } } } }
    };
}

Json bhyve_payload()
{
    return { { "uuid", UUID }, { "brand", "bhyve" }, { "autoboot", false },
        { "disks",
            { { { "model", "virtio" }, { "image_uuid", test_images::ZVOL_IMAGE_UUID },
                { "boot", true } } } } };
}

// The pool calls a delete of the VM makes, in order (after checking that it succeeds).
std::vector<std::string> census_of(Json const& create)
{
    FaultHost host;
    EXPECT_TRUE(host.engine().create(create));
    size_t const first = host.plan().log.size();
    auto removed = host.engine().remove(UUID);
    EXPECT_TRUE(removed) << removed.error().message();
    return { host.plan().log.begin() + static_cast<std::ptrdiff_t>(first), host.plan().log.end() };
}

// For every N in 1..K and both fault modes, a fresh host with the VM whose delete fails at its
// Nth pool call: the delete fails with the pool's error and the VM is still there; a second
// delete (no faults) removes the rest, leaving the pool and its files as before the create.
// The last call, dropping the empty "<pool>/cores", is best effort (the next VM's create uses
// it again): its failure does not fail the delete.
void expect_every_failure_leaves_a_vm_to_delete_again(
    Json const& create, std::vector<std::string> const& expected_calls)
{
    auto const calls = census_of(create);
    EXPECT_EQ(calls, expected_calls);
    for (auto const mode : { FaultPlan::Mode::Before, FaultPlan::Mode::After }) {
        for (int n = 1; n <= static_cast<int>(calls.size()); ++n) {
            SCOPED_TRACE(std::string(mode_name(mode)) + " at pool call " + std::to_string(n) + " ("
                + calls[static_cast<size_t>(n - 1)] + ")");
            FaultHost host;
            auto const datasets = host.datasets();
            auto const files = host.files();
            ASSERT_TRUE(host.engine().create(create));
            host.fail_pool_call(n, mode);
            auto removed = host.engine().remove(UUID);
            if (calls[static_cast<size_t>(n - 1)] == "destroy zones/cores") {
                ASSERT_TRUE(removed) << removed.error().message();
                EXPECT_FALSE(host.store().exists(UUID));
                auto expected = datasets;
                if (mode == FaultPlan::Mode::Before) {
                    expected.push_back("zones/cores");
                    std::sort(expected.begin(), expected.end());
                }
                EXPECT_EQ(host.datasets(), expected) << host.log();
                continue;
            }
            ASSERT_FALSE(removed) << host.log();
            EXPECT_THAT(removed.error().message(), HasSubstr(FaultPlan::MESSAGE));
            ASSERT_TRUE(host.store().exists(UUID));
            auto vm = host.engine().get(UUID);
            ASSERT_TRUE(vm) << vm.error().message();
            EXPECT_EQ(string_or(*vm, "uuid"), UUID);

            host.no_faults();
            auto again = host.engine().remove(UUID);
            ASSERT_TRUE(again) << again.error().message() << host.log();
            EXPECT_FALSE(host.store().exists(UUID));
            EXPECT_EQ(host.datasets(), datasets) << host.log();
            EXPECT_EQ(host.files(), files) << host.log();
        }
    }
}

std::string zones(std::string const& rest)
{
    return "zones/" + rest;
}

} // namespace

TEST(EngineFaults, DeleteJoyentFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_a_vm_to_delete_again(joyent_payload(),
        { "destroy " + zones(UUID), "destroy " + zones("cores/") + UUID, "destroy zones/cores" });
}

TEST(EngineFaults, DeleteKvmFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_a_vm_to_delete_again(kvm_payload(),
        { "destroy " + zones(UUID), "destroy " + zones(UUID) + "-disk0",
            "destroy " + zones(UUID) + "-disk1", "destroy " + zones("cores/") + UUID,
            "destroy zones/cores" });
}

TEST(EngineFaults, DeleteBhyveFailsAtEveryPoolCall)
{
    expect_every_failure_leaves_a_vm_to_delete_again(bhyve_payload(),
        { "destroy " + zones(UUID), "destroy " + zones("cores/") + UUID, "destroy zones/cores" });
}

TEST(EngineFaults, DeleteOfARunningVmWhoseStopFailsLeavesItRunning)
{
    FaultHost host;
    auto const datasets = host.datasets();
    ASSERT_TRUE(host.engine().create(joyent_payload()));
    host.runtime().run(UUID);
    auto const with_vm = host.datasets();
    host.runtime().failing.insert("stop");
    int const pool_calls = host.plan().calls;
    auto removed = host.engine().remove(UUID);
    ASSERT_FALSE(removed);
    EXPECT_THAT(removed.error().message(), HasSubstr(FakeRuntime::MESSAGE));
    EXPECT_EQ(host.plan().calls, pool_calls); // nothing destroyed under a running guest
    EXPECT_EQ(host.datasets(), with_vm);
    EXPECT_TRUE(host.runtime().live(UUID));
    auto vm = host.engine().get(UUID);
    ASSERT_TRUE(vm);
    EXPECT_EQ(string_or(*vm, "state"), "running");

    host.runtime().failing.clear();
    ASSERT_TRUE(host.engine().remove(UUID));
    EXPECT_EQ(host.runtime().calls,
        (std::vector<std::string> { std::string("stop ") + UUID, std::string("stop ") + UUID,
            std::string("forget ") + UUID }));
    EXPECT_FALSE(host.store().exists(UUID));
    EXPECT_EQ(host.datasets(), datasets);
}
