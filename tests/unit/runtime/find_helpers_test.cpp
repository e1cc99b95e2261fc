// SPDX-License-Identifier: MPL-2.0
// The OCI runtime comes from the host probe: none that works is an error naming why each did not.
#include "runtime/monitor.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace lumos::runtime {
namespace {

TEST(FindHelpers, NoOciRuntimeThatWorksSaysWhyEachDidNot)
{
    ::unsetenv("LUMOS_RUNC");
    sys::HostFeatures features;
    features.oci_runtimes = {
        { "crun", "", "", false, "crun is not installed (not in PATH)" },
        { "runc", "/usr/sbin/runc", "", false, "/usr/sbin/runc --version failed" },
    };
    auto helpers = find_helpers(features);
    ASSERT_FALSE(helpers.has_value());
    EXPECT_EQ(helpers.error().code(), ErrorCode::Unsupported);
    EXPECT_EQ(helpers.error().message(),
        "no OCI runtime works on this host (crun: crun is not installed (not in PATH); runc: "
        "/usr/sbin/runc --version failed)");
}

} // namespace
} // namespace lumos::runtime
