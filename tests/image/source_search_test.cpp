// SPDX-License-Identifier: MPL-2.0
// find_image_in_sources, the one loop of imgadm import, show and update, against real
// lumos-imgapi servers on 127.0.0.1: sources are asked in order, the first answer the caller
// accepts wins, a 404 is "not here", a failing source is an error that does not stop the search,
// and each command asks only the kinds of source it uses.
#include "image/source_search.hpp"
#include "imgadm/imgapi_server.hpp"

#include <gtest/gtest.h>

#include <memory>

namespace lumos::image {
namespace {

std::string const UUID_A = "6d1f7b62-0a8c-11ef-8f2f-5b0c6d5a4e01";
std::string const UUID_B = "6d1f7b62-0a8c-11ef-8f2f-5b0c6d5a4e02";
// Nothing listens on port 1 of the loopback: the connection is refused at once.
std::string const DEAD_URL = "http://127.0.0.1:1";

// Two servers for the whole suite (the tests only read): first has A ("alpha"); second has A
// again ("beta") and B ("bravo").
class SourceSearchTest : public ::testing::Test {
protected:
    struct Servers {
        test::TempRoot first_dir;
        test::TempRoot second_dir;
        std::unique_ptr<test::ImgapiServer> first;
        std::unique_ptr<test::ImgapiServer> second;
    };

    static void SetUpTestSuite()
    {
        s_servers = std::make_unique<Servers>();
        std::string const data = test::random_bytes(1000, 3);
        test::write_image(
            s_servers->first_dir.path(), "a", test::make_manifest(UUID_A, "alpha", data), data);
        test::write_image(
            s_servers->second_dir.path(), "a", test::make_manifest(UUID_A, "beta", data), data);
        test::write_image(
            s_servers->second_dir.path(), "b", test::make_manifest(UUID_B, "bravo", data), data);
        s_servers->first = std::make_unique<test::ImgapiServer>(s_servers->first_dir.path());
        s_servers->second = std::make_unique<test::ImgapiServer>(s_servers->second_dir.path());
    }
    static void TearDownTestSuite() { s_servers.reset(); }

    static inline std::unique_ptr<Servers> s_servers;
    test::ImgapiServer& m_first = *s_servers->first;
    test::ImgapiServer& m_second = *s_servers->second;
};

TEST_F(SourceSearchTest, TheFirstSourceThatHasTheImageWins)
{
    auto const first = make_source(m_first.url());
    auto const second = make_source(m_second.url());
    auto search = find_image_in_sources({ first, second }, UUID_A, SourceKinds::ImgapiOnly);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "alpha");
    EXPECT_EQ(search.hit->source.url, first.url);
    EXPECT_TRUE(search.errors.empty());

    search = find_image_in_sources({ second, first }, UUID_A, SourceKinds::ImgapiOnly);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "beta");
}

TEST_F(SourceSearchTest, NotFoundIsNotHereAndTheSearchGoesOn)
{
    auto const second = make_source(m_second.url());
    auto search = find_image_in_sources(
        { make_source(m_first.url()), second }, UUID_B, SourceKinds::ImgapiOnly);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "bravo");
    EXPECT_EQ(search.hit->source.url, second.url);
    EXPECT_TRUE(search.errors.empty());

    search = find_image_in_sources({ make_source(m_first.url()) }, UUID_B, SourceKinds::ImgapiOnly);
    EXPECT_FALSE(search.hit);
    EXPECT_TRUE(search.errors.empty());
}

TEST_F(SourceSearchTest, AnAnswerTheCallerRefusesIsPassedOver)
{
    auto search = find_image_in_sources({ make_source(m_first.url()), make_source(m_second.url()) },
        UUID_A, SourceKinds::ImgapiOnly,
        [](Json const& manifest) { return manifest["name"] != "alpha"; });
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "beta");
}

TEST_F(SourceSearchTest, AFailingSourceIsAnErrorAndTheNextIsAsked)
{
    auto search = find_image_in_sources(
        { make_source(DEAD_URL), make_source(m_second.url()) }, UUID_B, SourceKinds::ImgapiOnly);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "bravo");
    ASSERT_EQ(search.errors.size(), 1U);
    EXPECT_FALSE(search.errors.front().message.empty());

    search = find_image_in_sources({ make_source(DEAD_URL) }, UUID_B, SourceKinds::ImgapiOnly);
    EXPECT_FALSE(search.hit);
    EXPECT_EQ(search.errors.size(), 1U);
}

TEST_F(SourceSearchTest, EachCommandAsksOnlyItsKindsOfSource)
{
    // The first server typed as docker or dsapi: import asks neither, show/update ask dsapi.
    auto const as_docker = make_source(m_first.url(), "docker");
    auto const as_dsapi = make_source(m_first.url(), "dsapi");
    auto const second = make_source(m_second.url());

    auto search
        = find_image_in_sources({ as_docker, as_dsapi, second }, UUID_A, SourceKinds::ImgapiOnly);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "beta");

    search
        = find_image_in_sources({ as_docker, as_dsapi, second }, UUID_A, SourceKinds::AllButDocker);
    ASSERT_TRUE(search.hit);
    EXPECT_EQ(search.hit->manifest["name"], "alpha");
    EXPECT_EQ(search.hit->source.type, "dsapi");

    search = find_image_in_sources({ as_docker }, UUID_A, SourceKinds::AllButDocker);
    EXPECT_FALSE(search.hit);
    EXPECT_TRUE(search.errors.empty()); // not asked, so not failed either
}

} // namespace
} // namespace lumos::image
