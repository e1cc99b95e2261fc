// SPDX-License-Identifier: MPL-2.0
// The host config parser: each key's rule, as the three parsers it replaced had them.
#include "base/host_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace lumos;

TEST(HostConfigTest, EmptyTextIsEveryDefault)
{
    HostConfig const config = HostConfig::parse("");
    EXPECT_TRUE(config.nic_tags.empty());
    EXPECT_FALSE(config.provision_timeout_s);
    EXPECT_EQ(config.cgroup_parent, "/lumos");
}

TEST(HostConfigTest, NicTagsFromNicLinesAndEtherstubs)
{
    HostConfig const config = HostConfig::parse("# comment\n"
                                                "admin_nic=00:11:22:33:44:55\n"
                                                "  external_nic = \"00:11:22:33:44:66\"\n"
                                                "_nic=ignored\n"
                                                "#storage_nic=00:11:22:33:44:77\n"
                                                "etherstub=\"stub0, stub1,,\"\n"
                                                "no equals sign\n");
    EXPECT_EQ(
        config.nic_tags, (std::vector<std::string> { "admin", "external", "stub0", "stub1" }));
}

// What nictagadm list shows of each tag: its kind, its MAC normalized as SmartOS's normalize_mac,
// the aggregation it names, its MTU; a repeated key keeps its first place and its last value, and
// the last etherstub line counts, as the script reads /usbkey/config.
TEST(HostConfigTest, TagsCarryKindMacAggregationAndMtu)
{
    HostConfig const config = HostConfig::parse("admin_nic=0:C:29:a:B:1\n"
                                                "external_nic=00:00:00:00:00:01\n"
                                                "storage_nic=aggr0\n"
                                                "aggr0_aggr=eth0,eth1\n"
                                                "external_mtu=9000\n"
                                                "external_nic=00:00:00:00:00:02\n"
                                                "bogus_nic=not-a-mac\n"
                                                "etherstub=old0\n"
                                                "etherstub=\"stub0,stub1\"\n"
                                                "admin_mtu=abc\n");
    ASSERT_EQ(config.nic_tags,
        (std::vector<std::string> { "admin", "external", "storage", "bogus", "stub0", "stub1" }));
    ASSERT_EQ(config.tags.size(), 6U);
    EXPECT_EQ(config.tags[0].kind, NicTagKind::Normal);
    EXPECT_EQ(config.tags[0].mac, "00:0c:29:0a:0b:01");
    EXPECT_FALSE(config.tags[0].mtu);
    EXPECT_EQ(config.tags[1].mac, "00:00:00:00:00:02");
    EXPECT_EQ(config.tags[1].mtu, 9000);
    EXPECT_EQ(config.tags[2].kind, NicTagKind::Aggr);
    EXPECT_EQ(config.tags[2].aggr, "aggr0");
    EXPECT_EQ(config.tags[3].mac, ""); // still a tag (vmadm accepts it), with no MAC
    EXPECT_EQ(config.tags[4].kind, NicTagKind::Etherstub);
    EXPECT_EQ(config.aggregations, (std::vector<std::string> { "aggr0" }));
    ASSERT_NE(config.find_tag("stub1"), nullptr);
    EXPECT_EQ(config.find_tag("old0"), nullptr);
}

TEST(HostConfigTest, NormalizeMacAndStubNames)
{
    EXPECT_EQ(normalize_mac("0:1:2:a:B:cd"), "00:01:02:0a:0b:cd");
    EXPECT_FALSE(normalize_mac("00:01:02:0a:0b"));
    EXPECT_FALSE(normalize_mac("00:01:02:0a:0b:0c:0d"));
    EXPECT_FALSE(normalize_mac("000:01:02:0a:0b:0c"));
    EXPECT_FALSE(normalize_mac("00:01:02:0a:0b:"));
    EXPECT_FALSE(normalize_mac("0g:01:02:0a:0b:0c"));
    EXPECT_TRUE(is_stub_name("stub0"));
    EXPECT_TRUE(is_stub_name(std::string(30, 's') + "1"));
    EXPECT_FALSE(is_stub_name(std::string(31, 's') + "1"));
    EXPECT_FALSE(is_stub_name("stub"));
    EXPECT_FALSE(is_stub_name("st-ub0"));
    EXPECT_FALSE(is_stub_name(""));
}

TEST(HostConfigTest, ProvisionTimeoutFirstPositiveValueCounts)
{
    EXPECT_EQ(HostConfig::parse("provision_timeout=0\nprovision_timeout= 20 \n"
                                "provision_timeout=30\n")
                  .provision_timeout_s,
        20);
    EXPECT_FALSE(HostConfig::parse("provision_timeout=-5\n").provision_timeout_s);
    EXPECT_FALSE(HostConfig::parse("provision_timeout=abc\n").provision_timeout_s);
    // The key is written by lumos without spaces around '='.
    EXPECT_FALSE(HostConfig::parse("provision_timeout =20\n").provision_timeout_s);
}

TEST(HostConfigTest, CgroupParentLastAbsolutePathWithoutDotDot)
{
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/a\ncgroup_parent=/b/c\n").cgroup_parent, "/b/c");
    EXPECT_EQ(HostConfig::parse("cgroup_parent=relative\n").cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/a/../etc\n").cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse("cgroup_parent= /a\n").cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse("  cgroup_parent=/other  \n").cgroup_parent, "/other");
}

// The config is root's, but it is hand-edited and printed by sysinfo: a name nictagadm would
// refuse, binary bytes or a path with blanks never become a tag or a cgroup.
TEST(HostConfigTest, NamesNictagadmWouldRefuseAreLeftOut)
{
    std::string const text = std::string("admin_nic=aa\n"
                                         "bad-name_nic=bb\n"
                                         "\xff\xfe_nic=cc\n"
                                         "a'b_nic=dd\n")
        + std::string("nul\0tag_nic=ee\n", 15) + std::string(32, 'x') + "_nic=ff\n"
        + std::string(31, 'y') + "_nic=gg\n" + "etherstub=\"stub0,st ub1,st\x01b,stub_2\"\n";
    EXPECT_EQ(HostConfig::parse(text).nic_tags,
        (std::vector<std::string> { "admin", std::string(31, 'y'), "stub0", "stub_2" }));
}

TEST(HostConfigTest, CgroupParentOfPathCharactersOnly)
{
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/a-b/c_d.e\n").cgroup_parent, "/a-b/c_d.e");
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/a b\n").cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/a\x01\n").cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse(std::string("cgroup_parent=/a\0/x\n", 20)).cgroup_parent, "/lumos");
    EXPECT_EQ(HostConfig::parse("cgroup_parent=/\xc3\xa9\n").cgroup_parent, "/lumos");
}

TEST(HostConfigTest, LoadReadsEtcLumosConfigAndToleratesItsAbsence)
{
    char pattern[] = "/tmp/lumos-test-hostconfig.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string const root = pattern;
    Paths const paths(root);
    EXPECT_EQ(HostConfig::load(paths).cgroup_parent, "/lumos");
    std::filesystem::create_directories(paths.etc_dir());
    std::ofstream(paths.etc_dir() + "/config") << "admin_nic=aa\nprovision_timeout=7\n";
    HostConfig const config = HostConfig::load(paths);
    EXPECT_EQ(config.nic_tags, std::vector<std::string> { "admin" });
    EXPECT_EQ(config.provision_timeout_s, 7);
    std::filesystem::remove_all(root);
}

TEST(HostConfigTest, AConfigOverOneMebibyteIsNotReadAtAll)
{
    char pattern[] = "/tmp/lumos-test-hostconfig.XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    std::string const root = pattern;
    Paths const paths(root);
    std::filesystem::create_directories(paths.etc_dir());
    {
        std::ofstream config(paths.etc_dir() + "/config");
        config << "admin_nic=aa\nprovision_timeout=7\n";
        config << std::string((size_t { 1 } << 20U), '#');
    }
    EXPECT_EQ(HostConfig::read_text(paths), "");
    HostConfig const config = HostConfig::load(paths);
    EXPECT_TRUE(config.nic_tags.empty());
    EXPECT_FALSE(config.provision_timeout_s);
    std::filesystem::remove_all(root);
}
