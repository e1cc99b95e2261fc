// SPDX-License-Identifier: MPL-2.0
#include "net/names.hpp"

#include <gtest/gtest.h>

namespace lumos::net {
namespace {

constexpr char const* UUID = "1a30fbd7-d26f-4b90-a717-864df08bb974";

TEST(NetNames, HostObjectsOfANicFitALinkName)
{
    EXPECT_EQ(host_link_name(UUID, "net0"), "z1a30fbd7_net0");
    EXPECT_EQ(ifb_link_name(UUID, "eth12"), "i1a30fbd7_eth12");
    EXPECT_EQ(filter_table_name("z1a30fbd7_net0"), "lumos_z1a30fbd7_net0");
    EXPECT_EQ(vm_link_prefix(UUID), "z1a30fbd7_");
    EXPECT_EQ(vm_link_prefix(UUID, 'i'), "i1a30fbd7_");
}

TEST(NetNames, ALongInterfaceNameIsHashedToStayWithinIfnamsiz)
{
    std::string const a = host_link_name(UUID, "external0");
    std::string const b = host_link_name(UUID, "external1");
    EXPECT_EQ(a.size(), 14U);
    EXPECT_LE(a.size(), 15U);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.rfind("z1a30fbd7_", 0), 0U);
}

TEST(NetNames, ATagBridgeIsNamedAfterItsTagAndVlan)
{
    EXPECT_EQ(tag_bridge_name("admin", 0), "t_admin");
    EXPECT_EQ(tag_bridge_name("stub0", 10), "t_stub0.10");
    std::string const long_one = tag_bridge_name("a_very_long_tag_name", 0);
    EXPECT_EQ(long_one.size(), 10U);
    EXPECT_NE(long_one, tag_bridge_name("a_very_long_tag_name", 1));
}

} // namespace
} // namespace lumos::net
