// SPDX-License-Identifier: MPL-2.0
#include "base/file.hpp"
#include "image/sources.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

namespace lumos::image {
namespace {

TEST(Sources, DefaultWhenNoConfig)
{
    test::TempRoot root;
    SourceConfig config { Paths(root.str()) };
    auto sources = config.load();
    ASSERT_TRUE(sources) << sources.error().message;
    ASSERT_EQ(sources->size(), 1U);
    EXPECT_EQ((*sources)[0].url, "https://images.smartos.org");
    EXPECT_EQ((*sources)[0].type, "imgapi");
    EXPECT_FALSE((*sources)[0].insecure);
}

TEST(Sources, DefaultWhenConfigHasNoSourcesKey)
{
    test::TempRoot root;
    root.write_file("var/imgadm/imgadm.conf", R"({"dockerImportSkipsPlatformCheck": true})");
    auto sources = SourceConfig(Paths(root.str())).load();
    ASSERT_TRUE(sources);
    ASSERT_EQ(sources->size(), 1U);
    EXPECT_EQ((*sources)[0].url, "https://images.smartos.org");
}

TEST(Sources, EmptyListIsKept)
{
    test::TempRoot root;
    root.write_file("var/imgadm/imgadm.conf", R"({"sources": []})");
    auto sources = SourceConfig(Paths(root.str())).load();
    ASSERT_TRUE(sources);
    EXPECT_TRUE(sources->empty());
}

TEST(Sources, SaveKeepsOtherKeysAndRoundTrips)
{
    test::TempRoot root;
    root.write_file("var/imgadm/imgadm.conf", R"({"upgradedToVer": "2.0.0", "sources": []})");
    SourceConfig config { Paths(root.str()) };
    std::vector<Source> sources { make_source("http://127.0.0.1:1/?channel=dev"),
        make_source("https://example.com", "docker", true) };
    ASSERT_TRUE(config.save(sources));

    auto text = read_file(root.str() + "/var/imgadm/imgadm.conf");
    ASSERT_TRUE(text);
    auto json = parse_json(*text);
    ASSERT_TRUE(json);
    EXPECT_EQ((*json)["upgradedToVer"], "2.0.0");
    EXPECT_EQ((*json)["sources"][1],
        (Json { { "url", "https://example.com" }, { "type", "docker" }, { "insecure", true } }));

    auto loaded = config.load();
    ASSERT_TRUE(loaded);
    ASSERT_EQ(loaded->size(), 2U);
    EXPECT_EQ((*loaded)[0].channel, "dev");
    EXPECT_EQ((*loaded)[1].type, "docker");
    EXPECT_TRUE((*loaded)[1].insecure);
}

TEST(Sources, BrokenConfigIsAConfigError)
{
    test::TempRoot root;
    root.write_file("var/imgadm/imgadm.conf", "{nope");
    auto sources = SourceConfig(Paths(root.str())).load();
    ASSERT_FALSE(sources);
    EXPECT_EQ(sources.error().code_name(), "ConfigError");
}

TEST(Sources, ChannelAndBaseUrl)
{
    EXPECT_EQ(make_source("http://h:1/?channel=staging").channel, "staging");
    EXPECT_EQ(make_source("http://h:1/?a=b&channel=x&c=d").channel, "x");
    EXPECT_EQ(make_source("http://h:1").channel, "");
    EXPECT_EQ(source_base_url("http://h:1/?channel=x"), "http://h:1");
    EXPECT_EQ(source_base_url("https://images.smartos.org"), "https://images.smartos.org");
    EXPECT_EQ(source_base_url("http://h/imgapi//"), "http://h/imgapi");
}

} // namespace
} // namespace lumos::image
