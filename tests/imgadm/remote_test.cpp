// SPDX-License-Identifier: MPL-2.0
// imgadm sources/avail/show/import as a user runs them, against a lumos-imgapi on 127.0.0.1
// serving the fixture's images-src directory.
#include "imgadm/imgadm_fixture.hpp"
#include "imgadm/imgapi_server.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

class RemoteTest : public ImgadmFixture {
protected:
    void SetUp() override
    {
        ImgadmFixture::SetUp();
        fs::create_directories(images_dir());
    }
    void TearDown() override
    {
        m_server.reset();
        ImgadmFixture::TearDown();
    }

    fs::path images_dir() const { return fs::path(root()) / "images-src"; }
    fs::path downloads_dir() const { return fs::path(root()) / "var/tmp/.imgadm-downloads"; }

    ImgapiServer& server()
    {
        if (!m_server) {
            m_server = std::make_unique<ImgapiServer>(images_dir());
        }
        return *m_server;
    }

    void rewrite_manifest(TestImage const& image) const
    {
        std::ofstream(image.manifest_path) << image.manifest.dump(2) << "\n";
    }

    std::string name_at_version(TestImage const& image) const
    {
        return image.manifest["name"].get<std::string>() + "@"
            + image.manifest["version"].get<std::string>();
    }

    size_t installed_count() const
    {
        RunResult list = imgadm({ "list", "-j" });
        EXPECT_EQ(list.exit_code, 0) << list.describe();
        auto json = nlohmann::json::parse(list.out, nullptr, false);
        return json.is_array() ? json.size() : 0;
    }

    std::unique_ptr<ImgapiServer> m_server;
};

std::string const DEAD_URL = "http://127.0.0.1:1";

TEST_F(RemoteTest, SourcesAddListDelete)
{
    std::string url = server().url();
    RunResult listed = imgadm({ "sources" });
    ASSERT_EQ(listed.exit_code, 0) << listed.describe();
    EXPECT_EQ(listed.out, "https://images.smartos.org\n");

    RunResult deleted = imgadm({ "sources", "-d", "https://images.smartos.org" });
    ASSERT_EQ(deleted.exit_code, 0) << deleted.describe();
    EXPECT_EQ(deleted.out, "Deleted \"imgapi\" image source \"https://images.smartos.org\"\n");

    RunResult added = imgadm({ "sources", "-a", url });
    ASSERT_EQ(added.exit_code, 0) << added.describe();
    EXPECT_EQ(added.out, "Added \"imgapi\" image source \"" + url + "\"\n");
    RunResult again = imgadm({ "sources", "-a", url });
    ASSERT_EQ(again.exit_code, 0) << again.describe();
    EXPECT_EQ(again.out, "Already have \"imgapi\" image source \"" + url + "\", no change\n");

    RunResult channel = imgadm({ "sources", "-kf", "-a", DEAD_URL + "/?channel=dev" });
    ASSERT_EQ(channel.exit_code, 0) << channel.describe();
    EXPECT_EQ(channel.out,
        "Added \"imgapi\" image source \"" + DEAD_URL
            + "/?channel=dev\" (insecure) (channel=dev)\n");

    EXPECT_EQ(imgadm({ "sources" }).out, url + "\n" + DEAD_URL + "/?channel=dev\n");
    auto json = nlohmann::json::parse(imgadm({ "sources", "-j" }).out);
    EXPECT_EQ(json,
        nlohmann::json::parse(R"([{"url":")" + url + R"(","type":"imgapi","insecure":false},)"
            + R"({"url":")" + DEAD_URL + R"(/?channel=dev","type":"imgapi","insecure":true}])"));
    RunResult verbose = imgadm({ "sources", "-v" });
    EXPECT_EQ(split_lines(verbose.out).size(), 3U) << verbose.out;
    EXPECT_EQ(verbose.out.rfind("URL ", 0), 0U) << verbose.out;

    RunResult removed = imgadm({ "sources", "-d", url });
    EXPECT_EQ(removed.out, "Deleted \"imgapi\" image source \"" + url + "\"\n");
    RunResult absent = imgadm({ "sources", "-d", url });
    ASSERT_EQ(absent.exit_code, 0) << absent.describe();
    EXPECT_EQ(absent.out, "Do not have image source \"" + url + "\", no change\n");

    // Other keys of imgadm.conf survive.
    auto conf = nlohmann::json::parse(read_file(fs::path(root()) / "var/imgadm/imgadm.conf"));
    EXPECT_EQ(conf["sources"].size(), 1U);
}

TEST_F(RemoteTest, SourcesAddPingsUnlessForced)
{
    set_sources({});
    RunResult failed = imgadm({ "sources", "-a", DEAD_URL });
    EXPECT_EQ(failed.exit_code, 1) << failed.describe();
    EXPECT_NE(failed.err.find(
                  "imgadm sources: error (SourcePing): unexpected ping error with image source \""
                  + DEAD_URL + "\" (imgapi)"),
        std::string::npos)
        << failed.err;
    EXPECT_EQ(imgadm({ "sources" }).out, "");
    RunResult forced = imgadm({ "sources", "-f", "-a", DEAD_URL });
    EXPECT_EQ(forced.exit_code, 0) << forced.describe();
    EXPECT_EQ(imgadm({ "sources" }).out, DEAD_URL + "\n");
}

TEST_F(RemoteTest, SourcesRefusesTwoActions)
{
    RunResult result = imgadm({ "sources", "-a", DEAD_URL, "-d", DEAD_URL });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("imgadm sources: error (Usage)"), std::string::npos) << result.err;
    RunResult bad_type = imgadm({ "sources", "-f", "-a", DEAD_URL, "-t", "ftp" });
    EXPECT_EQ(bad_type.exit_code, 1) << bad_type.describe();
}

TEST_F(RemoteTest, AvailListsServerImages)
{
    TestImage a = make_image("alpha", "1.0.0");
    TestImage b = make_image("beta", "2.0.0");
    set_sources({ server().url() });
    RunResult avail = imgadm({ "avail" });
    ASSERT_EQ(avail.exit_code, 0) << avail.describe();
    auto lines = split_lines(avail.out);
    ASSERT_EQ(lines.size(), 3U) << avail.out;
    EXPECT_EQ(lines[0].rfind("UUID", 0), 0U) << avail.out;
    EXPECT_NE(avail.out.find(a.uuid() + "  alpha"), std::string::npos) << avail.out;
    EXPECT_NE(avail.out.find(b.uuid() + "  beta"), std::string::npos) << avail.out;

    RunResult json = imgadm({ "avail", "-j" });
    ASSERT_EQ(json.exit_code, 0) << json.describe();
    auto parsed = nlohmann::json::parse(json.out);
    ASSERT_EQ(parsed.size(), 2U);

    RunResult filtered = imgadm({ "avail", "-H", "-o", "uuid", "name=beta" });
    ASSERT_EQ(filtered.exit_code, 0) << filtered.describe();
    EXPECT_EQ(filtered.out, b.uuid() + "\n");
}

TEST_F(RemoteTest, AvailDeduplicatesAndReportsAFailingSource)
{
    TestImage a = make_image("alpha", "1.0.0");
    set_sources({ server().url(), DEAD_URL, server().url() + "/" });
    RunResult avail = imgadm({ "avail", "-H", "-o", "uuid,name" });
    EXPECT_EQ(avail.exit_code, 1) << avail.describe();
    EXPECT_EQ(avail.out, a.uuid() + "  alpha\n");
    EXPECT_NE(avail.err.find("imgadm avail: error"), std::string::npos) << avail.err;
}

TEST_F(RemoteTest, Show)
{
    TestImage a = make_image("alpha", "1.0.0");
    set_sources({ server().url() });
    RunResult shown = imgadm({ "show", a.uuid() });
    ASSERT_EQ(shown.exit_code, 0) << shown.describe();
    EXPECT_EQ(nlohmann::json::parse(shown.out), a.manifest);
    EXPECT_EQ(shown.out, a.manifest.dump(2) + "\n");

    std::string absent = random_uuid();
    RunResult missing = imgadm({ "show", absent });
    EXPECT_EQ(missing.exit_code, 1) << missing.describe();
    EXPECT_EQ(missing.out, "");
    EXPECT_NE(missing.err.find("error (ImageNotFound): image \"" + absent + "\" was not found"),
        std::string::npos)
        << missing.err;
    RunResult invalid = imgadm({ "show", "nope" });
    EXPECT_NE(invalid.err.find("error (InvalidUUID): invalid uuid: \"nope\""), std::string::npos)
        << invalid.err;
}

TEST_F(RemoteTest, ImportOfAnAbsentImage)
{
    set_sources({ server().url() });
    std::string absent = random_uuid();
    RunResult result = imgadm({ "import", absent });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("imgadm import: error (ActiveImageNotFound): an active image \""
                  + absent + "\" was not found in image sources"),
        std::string::npos)
        << result.err;
}

TEST_F(RemoteTest, ImportOfAnInactiveImage)
{
    TestImage a = make_image("alpha", "1.0.0", "", { { "state", "disabled" } });
    set_sources({ server().url() });
    RunResult result = imgadm({ "import", a.uuid() });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("error (ActiveImageNotFound)"), std::string::npos) << result.err;
}

TEST_F(RemoteTest, ImportInstalls)
{
    TestImage a = make_image("alpha", "1.0.0");
    std::string url = server().url();
    set_sources({ DEAD_URL, url }); // a failing first source does not hide the second
    RunResult imported = imgadm({ "import", a.uuid() });
    ASSERT_EQ(imported.exit_code, 0) << imported.describe();
    auto lines = split_lines(imported.out);
    ASSERT_EQ(lines.size(), 4U) << imported.out;
    EXPECT_EQ(
        lines[0], "Importing " + a.uuid() + " (" + name_at_version(a) + ") from \"" + url + "\"");
    EXPECT_EQ(lines[1], "Gather image " + a.uuid() + " ancestry");
    EXPECT_EQ(lines[2].rfind("Must download and install 1 image(s) (", 0), 0U) << lines[2];
    EXPECT_EQ(lines[3], "Imported image " + a.uuid() + " (" + name_at_version(a) + ")");

    RunResult got = imgadm({ "get", a.uuid() });
    ASSERT_EQ(got.exit_code, 0) << got.describe();
    auto info = nlohmann::json::parse(got.out);
    EXPECT_EQ(info["source"], url);
    EXPECT_EQ(info["manifest"]["uuid"], a.uuid());
    EXPECT_TRUE(fs::is_empty(downloads_dir()));

    RunResult again = imgadm({ "import", a.uuid() });
    ASSERT_EQ(again.exit_code, 0) << again.describe();
    EXPECT_EQ(again.out, "Image " + a.uuid() + " (alpha 1.0.0) is already installed, skipping\n");

    RunResult quiet_other = imgadm({ "import", "-q", a.uuid() });
    EXPECT_EQ(quiet_other.exit_code, 0) << quiet_other.describe();
}

TEST_F(RemoteTest, ImportFromAnExplicitSource)
{
    TestImage a = make_image("alpha", "1.0.0");
    set_sources({ DEAD_URL });
    RunResult imported = imgadm({ "import", "-q", "-S", server().url(), a.uuid() });
    ASSERT_EQ(imported.exit_code, 0) << imported.describe();
    EXPECT_EQ(imported.out, "");
    EXPECT_EQ(installed_count(), 1U);
}

TEST_F(RemoteTest, BadSha1LeavesEverythingAsBefore)
{
    TestImage a = make_image("alpha", "1.0.0");
    std::string real = a.manifest["files"][0]["sha1"];
    a.manifest["files"][0]["sha1"] = "0000000000000000000000000000000000000000";
    rewrite_manifest(a);
    set_sources({ server().url() });
    size_t before = installed_count();

    RunResult result = imgadm({ "import", a.uuid() });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(
        result.err.find("imgadm import: error (DownloadError): image " + a.uuid()
            + " file checksum (sha1) error: expected \"0000000000000000000000000000000000000000\", "
              "downloaded checksum was \""
            + real + "\""),
        std::string::npos)
        << result.err;
    EXPECT_EQ(installed_count(), before);
    EXPECT_FALSE(fs::exists(fs::path(root()) / "zones" / a.uuid()));
    EXPECT_FALSE(fs::exists(fs::path(root()) / ("var/imgadm/images/zones-" + a.uuid() + ".json")));
    EXPECT_TRUE(!fs::exists(downloads_dir()) || fs::is_empty(downloads_dir()));
}

TEST_F(RemoteTest, ManifestsThatSkipVerificationAreRefused)
{
    std::vector<std::pair<std::string, TestImage>> images;
    for (auto const& [what, files] : unverifiable_files(make_image("unverified", "1"))) {
        TestImage image = make_image("unverified", "1");
        std::ofstream(image.manifest_path, std::ios::trunc) << with_files(image, files);
        images.emplace_back(what, image);
    }
    // An origin that cannot be verified stops the import before anything is downloaded.
    TestImage child = make_image("child", "1", "", { { "origin", images.back().second.uuid() } });
    images.emplace_back("origin without files", child);
    set_sources({ server().url() });
    for (auto const& [what, image] : images) {
        SCOPED_TRACE(what);
        RunResult result = imgadm({ "import", image.uuid() });
        EXPECT_EQ(result.exit_code, 1) << result.describe();
        EXPECT_NE(
            result.err.find("imgadm import: error (ManifestValidation): invalid manifest: files ("),
            std::string::npos)
            << result.err;
        EXPECT_EQ(installed_count(), 0U);
        EXPECT_FALSE(fs::exists(fs::path(root()) / "zones" / image.uuid()));
        EXPECT_FALSE(
            fs::exists(fs::path(root()) / ("var/imgadm/images/zones-" + image.uuid() + ".json")));
        EXPECT_TRUE(!fs::exists(downloads_dir()) || fs::is_empty(downloads_dir()));
    }
}

TEST_F(RemoteTest, PreDownloadedFileIsReusedWhenItMatches)
{
    TestImage a = make_image("alpha", "1.0.0");
    fs::create_directories(downloads_dir());
    fs::copy_file(a.file_path, downloads_dir() / (a.uuid() + ".file"));
    fs::remove(a.file_path); // the server can no longer serve it: only the reused file works
    set_sources({ server().url() });
    RunResult imported = imgadm({ "import", a.uuid() });
    ASSERT_EQ(imported.exit_code, 0) << imported.describe();
    EXPECT_EQ(installed_count(), 1U);
    EXPECT_FALSE(fs::exists(downloads_dir() / (a.uuid() + ".file")));
}

TEST_F(RemoteTest, PreDownloadedFileIsReplacedWhenItDiffers)
{
    TestImage a = make_image("alpha", "1.0.0");
    fs::create_directories(downloads_dir());
    std::string size_matching_garbage(fs::file_size(a.file_path), 'x');
    std::ofstream(downloads_dir() / (a.uuid() + ".file"), std::ios::binary)
        << size_matching_garbage;
    set_sources({ server().url() });
    RunResult imported = imgadm({ "import", a.uuid() });
    ASSERT_EQ(imported.exit_code, 0) << imported.describe();
    EXPECT_EQ(installed_count(), 1U);
    EXPECT_FALSE(fs::exists(downloads_dir() / (a.uuid() + ".file")));
}

// An IMGAPI that serves the manifest, then only the first half of the file: it closes the
// connection ("short") or kills itself ("die") mid-transfer.
class HalfServer : public ScriptServer {
public:
    HalfServer(std::string const& mode, TestImage const& image)
        : ScriptServer(R"PY(
import json
mode, manifest_path, file_path = sys.argv[2:5]
manifest = open(manifest_path, "rb").read()
data = open(file_path, "rb").read()
uuid = json.loads(manifest)["uuid"]
def reply(c, body, length=None):
    head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n"
    head += "Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)
    c.sendall(head.encode() + body)
while True:
    c, _ = s.accept()
    data_in = b""
    while b"\r\n\r\n" not in data_in:
        chunk = c.recv(4096)
        if not chunk:
            break
        data_in += chunk
    path = data_in.split(b" ")[1].decode().split("?")[0] if data_in else ""
    if path == "/ping":
        reply(c, b'{"ping":"pong","imgapi":true}')
    elif path == "/images/" + uuid:
        reply(c, manifest)
    elif path == "/images/" + uuid + "/file":
        reply(c, data[: len(data) // 2], len(data))
        if mode == "die":
            os.kill(os.getpid(), signal.SIGKILL)
    else:
        c.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    c.close()
)PY",
            { mode, image.manifest_path, image.file_path })
    {
    }
};

class HalfDownloadTest
    : public RemoteTest
    , public ::testing::WithParamInterface<std::string> { };

TEST_P(HalfDownloadTest, LeavesEverythingAsBefore)
{
    TestImage a = make_image("alpha", "1.0.0");
    HalfServer half(GetParam(), a);
    set_sources({ half.url() });
    size_t before = installed_count();
    uint64_t size = a.manifest["files"][0]["size"];

    RunResult result = imgadm({ "import", a.uuid() });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    // Both checks fail, as in imgadm: a MultiError naming the size first.
    EXPECT_NE(result.err.find("imgadm import: error (MultiError): multiple (2) errors\n"
                              "    error (DownloadError): image "
                  + a.uuid() + " file size error: expected " + std::to_string(size)
                  + " bytes, downloaded " + std::to_string(size / 2) + " bytes\n"),
        std::string::npos)
        << result.err;
    EXPECT_EQ(installed_count(), before);
    EXPECT_FALSE(fs::exists(fs::path(root()) / "zones" / a.uuid()));
    EXPECT_FALSE(fs::exists(fs::path(root()) / "zones" / (a.uuid() + "-partial")));
    EXPECT_FALSE(fs::exists(fs::path(root()) / ("var/imgadm/images/zones-" + a.uuid() + ".json")));
    EXPECT_TRUE(!fs::exists(downloads_dir()) || fs::is_empty(downloads_dir()));
}

INSTANTIATE_TEST_SUITE_P(Server, HalfDownloadTest, ::testing::Values("short", "die"));

TEST_F(RemoteTest, ServerStopsCleanly)
{
    RunResult stopped = server().stop();
    m_server.reset();
    EXPECT_EQ(stopped.exit_code, 0) << stopped.describe();
}

} // namespace
} // namespace lumos::test

namespace lumos::test {
namespace {

class RemoteAncestryTest : public RemoteTest { };

TEST_F(RemoteAncestryTest, ImportBringsTheMissingOriginChainOldestFirst)
{
    TestImage base = make_image("base", "1.0.0");
    TestImage middle = make_image("middle", "1.0.0", "", { { "origin", base.uuid() } });
    TestImage top = make_image("top", "1.0.0", "", { { "origin", middle.uuid() } });
    set_sources({ server().url() });

    // The middle image is imported first: importing top then only needs top.
    RunResult first = imgadm({ "import", middle.uuid() });
    auto lines = split_lines(first.out);
    ASSERT_GE(lines.size(), 4U) << first.describe();
    EXPECT_EQ(lines[1], "Gather image " + middle.uuid() + " ancestry");
    EXPECT_EQ(lines[2].rfind("Must download and install 2 image(s) (", 0), 0U) << lines[2];
    EXPECT_EQ(lines[3], "Imported image " + base.uuid() + " (base@1.0.0)");
    ASSERT_EQ(first.exit_code, 0) << first.describe();
    ASSERT_EQ(lines.size(), 5U) << first.out;
    EXPECT_EQ(lines[4], "Imported image " + middle.uuid() + " (middle@1.0.0)");

    RunResult second = imgadm({ "import", top.uuid() });
    ASSERT_EQ(second.exit_code, 0) << second.describe();
    lines = split_lines(second.out);
    ASSERT_EQ(lines.size(), 4U) << second.out;
    EXPECT_EQ(lines[2].rfind("Must download and install 1 image(s) (", 0), 0U) << lines[2];
    EXPECT_EQ(installed_count(), 3U);
}

TEST_F(RemoteAncestryTest, ConcurrentImportsOfOneImage)
{
    TestImage a = make_image("alpha", "1.0.0");
    set_sources({ server().url() });
    std::vector<std::string> argv { LUMOS_IMGADM_BIN, "import", a.uuid() };
    RunOptions options;
    options.env.emplace_back("LUMOS_ROOT", root());
    Process one = Process::spawn(argv, options);
    Process two = Process::spawn(argv, options);
    RunResult first = one.wait();
    RunResult second = two.wait();
    EXPECT_EQ(first.exit_code, 0) << first.describe();
    EXPECT_EQ(second.exit_code, 0) << second.describe();
    // Exactly one of them installed it.
    int imported = int(first.out.find("Imported image") != std::string::npos)
        + int(second.out.find("Imported image") != std::string::npos);
    EXPECT_EQ(imported, 1) << first.out << "\n---\n" << second.out;
    EXPECT_EQ(installed_count(), 1U);
}

} // namespace
} // namespace lumos::test
