// SPDX-License-Identifier: MPL-2.0
// net/dhcp_client.hpp: the NIC flags lumos-zoned takes, the udhcpc command line and the
// environment its event program gets.
#include "net/dhcp_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace lumos::net::dhcp;

TEST(DhcpClient, NicFlags)
{
    auto const primary = parse_nic("net0:primary");
    ASSERT_TRUE(primary.has_value());
    EXPECT_EQ(primary->interface, "net0");
    EXPECT_TRUE(primary->primary);
    EXPECT_EQ(format_nic(*primary), "net0:primary");
    auto const other = parse_nic("eth1");
    ASSERT_TRUE(other.has_value());
    EXPECT_FALSE(other->primary);
    EXPECT_EQ(format_nic(*other), "eth1");
    for (std::string const bad : { "", ":primary", "net0:secondary", "net0:primary:primary",
             "../net0", "net 0", "net0\n", "sixteen-bytes-xx", ".", ".." }) {
        EXPECT_FALSE(parse_nic(bad).has_value()) << bad;
    }
}

TEST(DhcpClient, CommandLineRunsUdhcpcInTheZoneNetns)
{
    ClientSpec spec;
    spec.netns = "/run/lumos/zones/u/netns";
    spec.nic = { "net0", true };
    spec.event_program = "/usr/lib/lumos/lumos-dhcp-event";
    spec.lease_dir = "/run/lumos/zones/u";
    spec.resolv_file = "/run/lumos/zones/u/resolv.conf";
    spec.log_file = "/run/lumos/zones/u/monitor.log";
    spec.hostname = "web-0";
    EXPECT_EQ(client_argv(spec),
        (std::vector<std::string> { "/usr/bin/nsenter", "--net=/run/lumos/zones/u/netns", "--",
            "/bin/busybox", "udhcpc", "-f", "-i", "net0", "-s", "/usr/lib/lumos/lumos-dhcp-event",
            "-t", "3", "-T", "3", "-A", "20", "-x", "hostname:web-0" }));
    EXPECT_EQ(client_environment(spec),
        (std::vector<std::string> { "LUMOS_DHCP_DIR=/run/lumos/zones/u", "LUMOS_DHCP_PRIMARY=1",
            "LUMOS_DHCP_RESOLV=/run/lumos/zones/u/resolv.conf",
            "LUMOS_DHCP_LOG=/run/lumos/zones/u/monitor.log" }));

    // A hostname udhcpc would send as anything but a name is not sent at all.
    for (std::string const& bad :
        std::vector<std::string> { "", "a b", "x;reboot", "a.b", std::string(64, 'a') }) {
        spec.hostname = bad;
        auto const argv = client_argv(spec);
        EXPECT_EQ(argv.back(), "20") << bad;
    }
    spec.nic.primary = false;
    spec.resolv_file.clear();
    spec.log_file.clear();
    EXPECT_EQ(
        client_environment(spec), std::vector<std::string> { "LUMOS_DHCP_DIR=/run/lumos/zones/u" });
}

TEST(DhcpClient, NothingRunsUntilStarted)
{
    Client client(ClientSpec {});
    EXPECT_EQ(client.pid(), -1);
    EXPECT_EQ(client.restart_due(), 0);
    EXPECT_FALSE(client.exited(12345));
    client.tick();
    EXPECT_EQ(client.pid(), -1);
    client.stop();
}
