// SPDX-License-Identifier: MPL-2.0
// The net tests' world: persistent network namespaces under a TempRoot (one plays the host,
// others zones or the outside network), removed in TearDown whatever the test did. Nothing is
// ever made in the namespace the tests run in. Root and LUMOS_HOST_TESTS=1, else skipped.
#pragma once

#include "net/netns.hpp"
#include "net/rtnl.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace lumos::net::test {

// What an Unsupported bridge VLAN error ends with on a kernel without VLAN filtering.
inline std::string const no_vlan_filtering
    = "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)";

class NetTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // A new persistent namespace at <root>/<name>, removed in TearDown.
    std::string make_netns(std::string const& name);
    // A session in the namespace at path.
    static Result<Rtnl> session(std::string const& path);

    // Runs argv inside the namespace at path (nsenter --net).
    lumos::test::RunResult in(std::string const& path, std::vector<std::string> argv);
    // `ip -j <args>` in the namespace, parsed.
    nlohmann::json ip_json(std::string const& path, std::vector<std::string> args);
    // One echo request from the namespace at path to ip answered (busybox ping).
    bool pings(std::string const& path, std::string const& ip);

    // A zone on the host's bridge: veth <host_link> (enslaved to bridge, up) whose peer net0
    // (mac, up, address) sits in the zone namespace; the zone's lo is up too.
    void plug_zone(std::string const& host, std::string const& zone, std::string const& host_link,
        std::string const& bridge, std::string const& mac, std::string const& address);

    std::string root() const { return m_root->str(); }

private:
    std::optional<lumos::test::TempRoot> m_root;
    std::vector<std::string> m_netns;
};

// Asserts a Result holds a value, printing its error otherwise.
#define ASSERT_OK(expr)                                                                            \
    do {                                                                                           \
        auto const& lumos_ok_ = (expr);                                                            \
        ASSERT_TRUE(lumos_ok_.has_value()) << lumos_ok_.error().message();                         \
    } while (0)

} // namespace lumos::net::test
