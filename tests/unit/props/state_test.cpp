// SPDX-License-Identifier: MPL-2.0
// Reference 3.1-3.3: state vs zone_state, transitions, provisioning and failure.
#include "props/state.hpp"

#include <gtest/gtest.h>

using namespace lumos;
using namespace lumos::props;

namespace {
Json derived(Json vm)
{
    derive_state(vm);
    return vm;
}
} // namespace

TEST(State, InstalledReadsAsStopped)
{
    auto const vm = derived({ { "zone_state", "installed" } });
    EXPECT_EQ(vm["state"], "stopped");
    EXPECT_EQ(vm["zone_state"], "installed");
}

TEST(State, TransitionWins)
{
    auto const vm = derived({ { "zone_state", "installed" }, { "provisioning", true },
        { "transition", "provisioning:running:1700000000000" } });
    EXPECT_EQ(vm["state"], "provisioning");
    EXPECT_EQ(vm["transition_to"], "running");
    EXPECT_EQ(vm["transition_expire"], 1700000000000);
    EXPECT_FALSE(vm.contains("transition"));
    EXPECT_FALSE(vm.contains("provisioning"));
}

TEST(State, ProvisioningMarkerOnStoppedZone)
{
    EXPECT_EQ(derived({ { "zone_state", "installed" }, { "provisioning", true } })["state"],
        "provisioning");
}

TEST(State, FailedOverridesEverything)
{
    auto const vm = derived({ { "zone_state", "running" }, { "failed", "provisioning" },
        { "transition", "provisioning:running:1" } });
    EXPECT_EQ(vm["state"], "failed");
    EXPECT_FALSE(vm.contains("failed"));
}

TEST(State, ProvisionTimeoutScalesForLargeHvm)
{
    EXPECT_EQ(provision_timeout_ms({ { "brand", "joyent" } }), 300000);
    EXPECT_EQ(provision_timeout_ms({ { "brand", "kvm" }, { "ram", 4096 } }), 300000);
    EXPECT_EQ(provision_timeout_ms({ { "brand", "kvm" }, { "ram", 8192 } }), 600000);
    EXPECT_EQ(provision_timeout_ms({ { "brand", "bhyve" }, { "ram", 16384 } }), 1200000);
}
