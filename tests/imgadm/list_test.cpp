// SPDX-License-Identifier: MPL-2.0
// imgadm list, get and ancestry over images installed with `imgadm install -m -f`
// (reference sections 4.2, 4.3, 4.6.1).
#include "imgadm/imgadm_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

#include <unistd.h>

namespace {

using lumos::test::RunResult;
using lumos::test::TestImage;
using nlohmann::json;

class ImgadmList : public lumos::test::ImgadmFixture {
protected:
    void SetUp() override
    {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "imgadm refuses to run unless root";
        }
        ImgadmFixture::SetUp();
    }
};

TEST_F(ImgadmList, EmptyListPrintsHeaderOnly)
{
    RunResult result = imgadm({ "list" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "UUID  NAME  VERSION  OS  TYPE  PUB\n");
    result = imgadm({ "list", "-j" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(json::parse(result.out), json::array());
}

TEST_F(ImgadmList, ListShowsInstalledImages)
{
    TestImage base = make_image("base", "1.0.0", "11111111-1111-4111-8111-111111111111",
        { { "published_at", "2020-01-02T03:04:05.678Z" } });
    TestImage app = make_image("app", "2.5", "22222222-2222-4222-8222-222222222222",
        { { "published_at", "2021-06-07T08:09:10Z" }, { "os", "linux" },
            { "type", "lx-dataset" } });
    ASSERT_TRUE(install(app));
    ASSERT_TRUE(install(base));

    RunResult result = imgadm({ "list" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "UUID                                  NAME  VERSION  OS       TYPE          PUB\n"
        "11111111-1111-4111-8111-111111111111  base  1.0.0    smartos  zone-dataset  2020-01-02\n"
        "22222222-2222-4222-8222-222222222222  app   2.5      linux    lx-dataset    2021-06-07\n");

    // Widths count the header even with -H (CLONES is 6 wide).
    result = imgadm({ "list", "-H", "-o", "name,published,zpool,clones,size", "-s", "-name" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "base  2020-01-02T03:04:05Z  zones  0       "
            + std::to_string(base.manifest["files"][0]["size"].get<long>()) + "\n"
            + "app   2021-06-07T08:09:10Z  zones  0       "
            + std::to_string(app.manifest["files"][0]["size"].get<long>()) + "\n");

    result = imgadm({ "list", "-H", "-o", "uuid", "os=linux" });
    EXPECT_EQ(result.out, "22222222-2222-4222-8222-222222222222\n");
    result = imgadm({ "list", "-H", "-o", "name", "name=~as" });
    EXPECT_EQ(result.out, "base\n");
    result = imgadm({ "list", "-H", "-o", "name", "public=true", "-s", "name" });
    EXPECT_EQ(result.out, "app\nbase\n");

    result = imgadm({ "list", "name" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err,
        "imgadm list: error (UsageError): invalid filter: \"name\" (must be of the form "
        "\"field=value\")\n");
    result = imgadm({ "list", "-s", "bogus_field" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "imgadm list: error (UsageError): invalid sort field: \"bogus_field\"\n");
}

TEST_F(ImgadmList, ListJsonHasImageInfoObjects)
{
    TestImage image = make_image("base", "1.0.0");
    ASSERT_TRUE(install(image));
    RunResult result = imgadm({ "list", "-j" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    json list = json::parse(result.out);
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["manifest"]["uuid"], image.uuid());
    EXPECT_EQ(list[0]["manifest"]["name"], "base");
    EXPECT_EQ(list[0]["zpool"], "zones");
    EXPECT_EQ(list[0]["clones"], 0);
    EXPECT_EQ(list[0]["cloneNames"], json::array());
    EXPECT_FALSE(list[0]["manifest"].contains("pub"));
    // With filters the computed fields are in the manifest, as imgadm does.
    result = imgadm({ "list", "-j", "name=base" });
    list = json::parse(result.out);
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["manifest"]["pub"], "2024-01-02");
    EXPECT_EQ(json::parse(imgadm({ "list", "-j", "name=other" }).out), json::array());
}

TEST_F(ImgadmList, DockerListsTaggedLeafImages)
{
    TestImage plain = make_image("base", "1.0.0");
    TestImage layer
        = make_image("docker-layer", "0123456789ab", "44444444-4444-4444-8444-444444444444",
            { { "type", "docker" }, { "os", "linux" },
                { "tags",
                    { { "docker:repo", "library/busybox" },
                        { "docker:id", "0123456789abcdef0123456789abcdef" },
                        { "docker:tag:latest", true } } } });
    ASSERT_TRUE(install(plain));
    ASSERT_TRUE(install(layer));
    RunResult result = imgadm({ "list", "--docker" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "UUID                                  REPOSITORY       TAG     IMAGE_ID      CREATED\n"
        "44444444-4444-4444-8444-444444444444  library/busybox  latest  0123456789ab  "
        "2024-01-02T03:04:05Z\n");
}

TEST_F(ImgadmList, GetPrintsImageInfo)
{
    TestImage image = make_image("base", "1.0.0");
    ASSERT_TRUE(install(image));
    RunResult result = imgadm({ "get", image.uuid() });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.err, "");
    json info = json::parse(result.out);
    EXPECT_EQ(info["manifest"], image.manifest);
    EXPECT_EQ(info["zpool"], "zones");
    EXPECT_FALSE(info.contains("children"));
    EXPECT_EQ(json::parse(imgadm({ "info", image.uuid() }).out), info);

    result = imgadm({ "get", "-r", image.uuid() });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    info = json::parse(result.out);
    EXPECT_EQ(info["children"]["snapshots"], json::array({ "zones/" + image.uuid() + "@final" }));
    EXPECT_EQ(info["children"]["clones"], json::array());

    result = imgadm({ "get", "-P", "nosuchpool", image.uuid() });
    EXPECT_EQ(result.exit_code, 3) << result.describe();
    EXPECT_EQ(result.out, "");
}

TEST_F(ImgadmList, Ancestry)
{
    TestImage base = make_image("base", "1.0.0", "11111111-1111-4111-8111-111111111111",
        { { "published_at", "2020-01-02T03:04:05.678Z" } });
    TestImage child = make_image("child", "2.0", "22222222-2222-4222-8222-222222222222",
        { { "origin", base.uuid() }, { "published_at", "2021-01-01T00:00:00Z" } });
    ASSERT_TRUE(install(base));
    RunResult result = imgadm({ "ancestry", base.uuid() });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "UUID                                  NAME  VERSION  PUBLISHED\n"
        "11111111-1111-4111-8111-111111111111  base  1.0.0    2020-01-02T03:04:05Z\n");
    result = imgadm({ "ancestry", "33333333-3333-4333-8333-333333333333" });
    EXPECT_EQ(result.exit_code, 3) << result.describe();
    EXPECT_EQ(result.out, "");

    RunResult child_install
        = imgadm({ "install", "-m", child.manifest_path, "-f", child.file_path });
    ASSERT_EQ(child_install.exit_code, 0) << child_install.describe();
    {
        result = imgadm({ "ancestry", "-H", "-o", "uuid,name", child.uuid() });
        EXPECT_EQ(result.exit_code, 0) << result.describe();
        EXPECT_EQ(result.out,
            "22222222-2222-4222-8222-222222222222  child\n"
            "11111111-1111-4111-8111-111111111111  base\n");
        result = imgadm({ "ancestry", "-j", child.uuid() });
        json chain = json::parse(result.out);
        ASSERT_EQ(chain.size(), 2U);
        EXPECT_EQ(chain[1]["manifest"]["uuid"], base.uuid());
    }
}

} // namespace
