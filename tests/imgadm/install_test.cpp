// SPDX-License-Identifier: MPL-2.0
// imgadm install, delete/destroy, vacuum and update as a user runs them (reference 4.2).
#include "base/paths.hpp"
#include "imgadm/imgapi_server.hpp"
#include "imgadm_fixture.hpp"
#include "pools/pool.hpp"

#include <filesystem>
#include <fstream>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

class InstallTest : public ImgadmFixture {
protected:
    std::string described(TestImage const& image) const
    {
        return image.uuid() + " (" + image.manifest["name"].get<std::string>() + "@"
            + image.manifest["version"].get<std::string>() + ")";
    }
    std::unique_ptr<pools::Pool> pool() const
    {
        pools::PoolRegistry registry { Paths(root()) };
        auto opened = registry.open("zones");
        EXPECT_TRUE(opened.has_value());
        return std::move(*opened);
    }
    void expect_no_datasets() const
    {
        auto listed = pool()->list();
        ASSERT_TRUE(listed.has_value());
        for (auto const& dataset : *listed) {
            ADD_FAILURE() << "dataset left: " << dataset.name;
        }
    }
};

TEST_F(InstallTest, InstallsListsAndSkipsWhenInstalled)
{
    TestImage image = make_image("base", "1.0.0");
    RunResult result = imgadm({ "install", "-m", image.manifest_path, "-f", image.file_path });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "Installing image " + described(image) + "\nInstalled image " + described(image) + "\n");
    EXPECT_EQ(result.err, "");
    EXPECT_EQ(
        read_file(fs::path(root()) / "zones" / image.uuid() / "root/etc/motd"), "base 1.0.0\n");

    result = imgadm({ "get", image.uuid() });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    auto info = nlohmann::json::parse(result.out);
    EXPECT_EQ(info["manifest"], image.manifest);
    EXPECT_EQ(info["zpool"], "zones");

    result = imgadm({ "list", "-H", "-o", "uuid" });
    EXPECT_EQ(result.out, image.uuid() + "\n");

    result = imgadm(
        { "install", "-q", "-P", "zones", "-m", image.manifest_path, "-f", image.file_path });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "Image " + described(image) + " is already installed, skipping\n");
}

TEST_F(InstallTest, AddsPublishedAtWhenMissing)
{
    TestImage image = make_image("nopub", "1");
    image.manifest.erase("published_at");
    std::ofstream(image.manifest_path) << image.manifest.dump();
    ASSERT_TRUE(install(image));
    RunResult result = imgadm({ "get", image.uuid() });
    auto info = nlohmann::json::parse(result.out);
    ASSERT_TRUE(info["manifest"].contains("published_at"));
    EXPECT_EQ(info["manifest"]["published_at"].get<std::string>().size(), 24U);
}

TEST_F(InstallTest, MissingPathsAndBadManifests)
{
    TestImage image = make_image("bad", "1");
    RunResult result = imgadm({ "install", "-m", root() + "/nope.json", "-f", image.file_path });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("manifest path does not exist: \"" + root() + "/nope.json\""),
        std::string::npos)
        << result.err;
    result = imgadm({ "install", "-m", image.manifest_path, "-f", root() + "/nope.tgz" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(
        result.err.find("file path does not exist: \"" + root() + "/nope.tgz\""), std::string::npos)
        << result.err;

    image.manifest["bogus_field"] = 1;
    std::ofstream(image.manifest_path) << image.manifest.dump();
    result = imgadm({ "install", "-m", image.manifest_path, "-f", image.file_path });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("imgadm install: error (ManifestValidation): invalid manifest: "),
        std::string::npos)
        << result.err;
    expect_no_datasets();
}

TEST_F(InstallTest, ChecksumErrorLeavesNothing)
{
    TestImage image = make_image("sum", "1");
    image.manifest["files"][0]["sha1"] = std::string(40, 'a');
    std::ofstream(image.manifest_path) << image.manifest.dump();
    RunResult result = imgadm({ "install", "-m", image.manifest_path, "-f", image.file_path });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find(
                  "image file checksum (sha1) error: manifest says \"" + std::string(40, 'a')),
        std::string::npos)
        << result.err;
    expect_no_datasets();
    EXPECT_FALSE(fs::exists(Paths(root()).image_manifest("zones", image.uuid())));
    EXPECT_EQ(imgadm({ "get", image.uuid() }).exit_code, 3);
}

TEST_F(InstallTest, ManifestsThatSkipVerificationAreRefused)
{
    for (auto const& [what, files] : unverifiable_files(make_image("unverified", "1"))) {
        SCOPED_TRACE(what);
        TestImage image = make_image("unverified", "1");
        std::ofstream(image.manifest_path, std::ios::trunc) << with_files(image, files);
        RunResult result = imgadm({ "install", "-m", image.manifest_path, "-f", image.file_path });
        EXPECT_EQ(result.exit_code, 1) << result.describe();
        EXPECT_NE(result.err.find(
                      "imgadm install: error (ManifestValidation): invalid manifest: files ("),
            std::string::npos)
            << result.err;
        expect_no_datasets();
        EXPECT_FALSE(fs::exists(Paths(root()).image_manifest("zones", image.uuid())));
        EXPECT_EQ(imgadm({ "get", image.uuid() }).exit_code, 3);
    }
    // The same images with their real files entry install.
    ASSERT_TRUE(install(make_image("verified", "1")));
}

TEST_F(InstallTest, SizeErrorIsADownloadError)
{
    TestImage image = make_image("size", "1");
    uint64_t const real = image.manifest["files"][0]["size"];
    image.manifest["files"][0]["size"] = real + 1;
    std::ofstream(image.manifest_path, std::ios::trunc) << image.manifest.dump();
    RunResult result = imgadm({ "install", "-m", image.manifest_path, "-f", image.file_path });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("error (DownloadError): image file size error: manifest says "
                  + std::to_string(real + 1) + " bytes, " + image.file_path + " is "
                  + std::to_string(real) + " bytes"),
        std::string::npos)
        << result.err;
    expect_no_datasets();
}

TEST_F(InstallTest, DeleteAndDestroy)
{
    TestImage image = make_image("del", "1");
    ASSERT_TRUE(install(image));
    std::string clone = "zones/" + random_uuid();
    ASSERT_TRUE(pool()->clone("zones/" + image.uuid() + "@final", clone, {}));
    RunResult result = imgadm({ "delete", image.uuid() });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("imgadm delete: error (ImageHasDependentClones): image \""
                  + image.uuid() + "\" has dependent clones: " + clone),
        std::string::npos)
        << result.err;
    ASSERT_TRUE(pool()->destroy(clone, pools::Recursive::Yes));

    result = imgadm({ "destroy", "-P", "zones", image.uuid() });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "Deleted image " + image.uuid() + "\n");
    expect_no_datasets();
    EXPECT_FALSE(fs::exists(Paths(root()).image_manifest("zones", image.uuid())));

    result = imgadm({ "delete", image.uuid() });
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_NE(result.err.find("error (ImageNotInstalled): image \"" + image.uuid()
                  + "\" was not found on zpool \"zones\""),
        std::string::npos)
        << result.err;
    result = imgadm({ "delete", "not-a-uuid" });
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.err.find("InvalidUUID"), std::string::npos) << result.err;
}

TEST_F(InstallTest, Vacuum)
{
    TestImage used = make_image("used", "1");
    TestImage unused = make_image("unused", "2");
    ASSERT_TRUE(install(used));
    ASSERT_TRUE(install(unused));
    std::string clone = "zones/" + random_uuid();
    ASSERT_TRUE(pool()->clone("zones/" + used.uuid() + "@final", clone, {}));

    RunResult result = imgadm({ "vacuum", "-n" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "[dry-run] Deleted image " + described(unused) + "\n");

    RunOptions no;
    no.stdin_mode = StdinMode::Bytes;
    no.stdin_bytes = "n\n";
    result = imgadm({ "vacuum" }, no);
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_NE(
        result.out.find("This will delete the following images:\n    " + described(unused) + "\n"),
        std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("Aborting\n"), std::string::npos) << result.out;
    EXPECT_EQ(imgadm({ "get", unused.uuid() }).exit_code, 0);

    RunOptions yes;
    yes.stdin_mode = StdinMode::Bytes;
    yes.stdin_bytes = "y\n";
    result = imgadm({ "vacuum" }, yes);
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_NE(result.out.find("Deleted image " + described(unused) + "\n"), std::string::npos)
        << result.out;
    EXPECT_EQ(imgadm({ "get", unused.uuid() }).exit_code, 3);
    EXPECT_EQ(imgadm({ "get", used.uuid() }).exit_code, 0);

    ASSERT_TRUE(pool()->destroy(clone, pools::Recursive::Yes));
    result = imgadm({ "vacuum", "-f" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "Deleted image " + described(used) + "\n");
    expect_no_datasets();
}

// vmadm takes an image_uuid as installed when `imgadm get` shows it (VM.js validateImage runs
// imgadm get): an image dataset marked imgadm:ignore=true is no image for either.
TEST_F(InstallTest, VmadmRefusesAnImageImgadmDoesNotShow)
{
    TestImage image = make_image("base", "1");
    ASSERT_TRUE(install(image));
    std::string const payload = root() + "/payload.json";
    std::ofstream(payload) << nlohmann::json {
        { "brand", "joyent" }, { "image_uuid", image.uuid() }
    }.dump();
    RunResult result = vmadm({ "validate", "create", "-f", payload });
    ASSERT_EQ(result.exit_code, 0) << result.describe();

    ASSERT_TRUE(pool()->set_user_property("zones/" + image.uuid(), "imgadm:ignore", "true"));
    EXPECT_EQ(imgadm({ "get", image.uuid() }).exit_code, 3);
    result = vmadm({ "validate", "create", "-f", payload });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("\"image_uuid\""), std::string::npos) << result.describe();
}

// imgadm update (imgadm.js updateImages) against a real lumos-imgapi serving root()/images-src.
class UpdateTest : public InstallTest {
protected:
    void TearDown() override
    {
        m_server.reset();
        InstallTest::TearDown();
    }
    std::string serve()
    {
        fs::create_directories(fs::path(root()) / "images-src");
        m_server = std::make_unique<ImgapiServer>(fs::path(root()) / "images-src");
        set_sources({ m_server->url() });
        return m_server->url();
    }
    fs::path cache_of(std::string const& uuid) const
    {
        return fs::path(root()) / ("var/imgadm/images/zones-" + uuid + ".json");
    }
    std::unique_ptr<ImgapiServer> m_server;
};

TEST_F(UpdateTest, ImagesNoSourceHasAreSkipped)
{
    set_sources({});
    std::string uuid = random_uuid();
    ASSERT_TRUE(pool()->create_filesystem("zones/" + uuid, {}));
    RunResult result = imgadm({ "update" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(
        result.out, "warning: Could not find image " + uuid + " in image sources (skipping)\n");
    EXPECT_EQ(imgadm({ "get", uuid }).exit_code, 3); // still no @final

    std::string other = random_uuid();
    result = imgadm({ "update", uuid, other });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(
        result.err.find("no install image with the given UUID(s): " + other), std::string::npos)
        << result.err;
}

TEST_F(UpdateTest, FetchesMissingAndChangedManifests)
{
    TestImage image = make_image("alpha", "1.0");
    std::string url = serve();
    ASSERT_TRUE(install(image));
    ASSERT_TRUE(fs::remove(cache_of(image.uuid())));

    RunResult result = imgadm({ "update", "-n" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(
        result.out, "Added manifest info for image " + image.uuid() + " from \"" + url + "\"\n");
    EXPECT_FALSE(fs::exists(cache_of(image.uuid())));

    result = imgadm({ "update", image.uuid() });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(
        result.out, "Added manifest info for image " + image.uuid() + " from \"" + url + "\"\n");
    RunResult got = imgadm({ "get", image.uuid() });
    ASSERT_EQ(got.exit_code, 0) << got.describe();
    auto info = nlohmann::json::parse(got.out);
    EXPECT_EQ(info["manifest"]["name"], "alpha");
    EXPECT_EQ(info["source"], url);

    // The catalogue changes a field: update says which; then there is nothing left to do.
    image.manifest["description"] = "a new description";
    std::ofstream(image.manifest_path) << image.manifest.dump(2) << "\n";
    result = imgadm({ "update" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "Updated 1 manifest field for image " + image.uuid() + " from \"" + url
            + "\": description\n");
    result = imgadm({ "update" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "");
}

TEST_F(UpdateTest, MakesTheMissingFinalOfAnImageASourceHas)
{
    TestImage image = make_image("beta", "1.0");
    std::string url = serve();
    ASSERT_TRUE(pool()->create_filesystem("zones/" + image.uuid(), {}));
    RunResult result = imgadm({ "update", "-n" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "Added manifest info for image " + image.uuid() + " from \"" + url
            + "\"\n[dry-run] Create @final snapshot for image " + image.uuid() + "\n");
    EXPECT_EQ(imgadm({ "get", image.uuid() }).exit_code, 3);
    result = imgadm({ "update" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out,
        "Added manifest info for image " + image.uuid() + " from \"" + url
            + "\"\nCreated @final snapshot for image " + image.uuid() + "\n");
    EXPECT_EQ(imgadm({ "get", image.uuid() }).exit_code, 0);
}

TEST_F(InstallTest, ConcurrentInstallsOfOneImage)
{
    TestImage image = make_image("race", "1");
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root());
    std::vector<Process> processes;
    for (int i = 0; i < 3; ++i) {
        processes.push_back(Process::spawn(
            { LUMOS_IMGADM_BIN, "install", "-m", image.manifest_path, "-f", image.file_path },
            options));
    }
    for (auto& process : processes) {
        RunResult result = process.wait();
        EXPECT_EQ(result.exit_code, 0) << result.describe();
    }
    auto listed = pool()->list();
    ASSERT_TRUE(listed.has_value());
    std::vector<std::string> names;
    for (auto const& dataset : *listed) {
        names.push_back(dataset.name);
    }
    EXPECT_EQ(names,
        (std::vector<std::string> { "zones/" + image.uuid(), "zones/" + image.uuid() + "@final" }));
    EXPECT_EQ(read_file(fs::path(root()) / "zones" / image.uuid() / "root/etc/motd"), "race 1\n");
}

} // namespace
} // namespace lumos::test
