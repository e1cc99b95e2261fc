// SPDX-License-Identifier: MPL-2.0
// The OCI runtime comes from the host probe: none that works is an error naming why each did not.
#include "runtime/monitor.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <sys/stat.h>

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

namespace lumos::runtime {
namespace {

// LUMOS_LIBEXEC_DIR names where the helpers are, lumos-dhcp-event among them; without it the
// zone's DHCP NICs cannot be run (the launch says so), the rest still can.
TEST(FindHelpers, FindsTheDhcpEventProgramBesideTheMonitor)
{
    char dir_template[] = "/tmp/lumos-helpers-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    std::string const dir = dir_template;
    for (char const* name : { "lumos-zoned", "zinit", "lumos-dhcp-event" }) {
        std::ofstream(dir + "/" + name) << "#!/bin/sh\n";
        ASSERT_EQ(::chmod((dir + "/" + name).c_str(), 0755), 0);
    }
    ::setenv("LUMOS_LIBEXEC_DIR", dir.c_str(), 1);
    ::setenv("LUMOS_RUNC", "/bin/sh", 1);
    auto helpers = find_helpers(sys::HostFeatures {});
    ASSERT_TRUE(helpers.has_value()) << helpers.error().message();
    EXPECT_EQ(helpers->dhcp_event, dir + "/lumos-dhcp-event");
    EXPECT_EQ(helpers->zoned, dir + "/lumos-zoned");
    ::unsetenv("LUMOS_LIBEXEC_DIR");
    ::unsetenv("LUMOS_RUNC");
    std::filesystem::remove_all(dir);
}

} // namespace
} // namespace lumos::runtime
