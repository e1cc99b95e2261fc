// SPDX-License-Identifier: MPL-2.0
// ImgapiClient against a real lumos-imgapi (and a misbehaving python server) on 127.0.0.1.
#include "image/human_size.hpp"
#include "image/imgapi_client.hpp"
#include "image/importer.hpp"
#include "imgadm/imgapi_server.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

namespace lumos::image {
namespace {

namespace fs = std::filesystem;

std::string const UUID_A = "4b2dd3c0-0a8c-11ef-8f2f-5b0c6d5a4e01";
std::string const UUID_B = "4b2dd3c0-0a8c-11ef-8f2f-5b0c6d5a4e02";
std::string const UUID_C = "4b2dd3c0-0a8c-11ef-8f2f-5b0c6d5a4e03";

std::string slurp(fs::path const& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class ClientTest : public ::testing::Test {
protected:
    test::TempRoot m_images;
    test::TempRoot m_work;
    std::string m_data = test::random_bytes(300000, 7);
};

TEST_F(ClientTest, PingAndGet)
{
    test::write_image(m_images.path(), "a", test::make_manifest(UUID_A, "alpha", m_data), m_data);
    test::ImgapiServer server(m_images.path());
    ImgapiClient client(make_source(server.url()));

    auto pong = client.ping();
    ASSERT_TRUE(pong) << pong.error().message;
    EXPECT_EQ((*pong)["ping"], "pong");
    EXPECT_EQ((*pong)["imgapi"], true);
    EXPECT_EQ((*pong)["pid"], server.pid());

    auto found = client.get_image(UUID_A);
    ASSERT_TRUE(found) << found.error().message;
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((**found)["name"], "alpha");

    auto missing = client.get_image(UUID_B);
    ASSERT_TRUE(missing) << missing.error().message;
    EXPECT_FALSE(missing->has_value());
}

TEST_F(ClientTest, ImagesAddedWhileRunningAreSeen)
{
    test::ImgapiServer server(m_images.path());
    ImgapiClient client(make_source(server.url()));
    auto before = client.list_images();
    ASSERT_TRUE(before);
    EXPECT_TRUE(before->empty());
    test::write_image(m_images.path(), "a", test::make_manifest(UUID_A, "alpha", m_data), m_data);
    auto after = client.list_images();
    ASSERT_TRUE(after);
    ASSERT_EQ(after->size(), 1U);
    EXPECT_EQ((*after)[0]["uuid"], UUID_A);
}

TEST_F(ClientTest, ListPagesPastTheServerLimit)
{
    // 2500 images: three pages of at most 1000, with the marker row repeated by the server.
    std::set<std::string> expected;
    for (int i = 0; i < 2500; ++i) {
        char uuid[37];
        std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", i);
        char published[32];
        std::snprintf(published, sizeof published, "2026-01-01T%02d:%02d:%02dZ", i / 3600,
            (i / 60) % 60, i % 60);
        test::write_image(m_images.path(), "img" + std::to_string(i),
            test::make_manifest(uuid, "many", "x", published), std::nullopt);
        expected.insert(uuid);
    }
    test::ImgapiServer server(m_images.path());
    auto images = ImgapiClient(make_source(server.url())).list_images();
    ASSERT_TRUE(images) << images.error().message;
    ASSERT_EQ(images->size(), 2500U);
    std::set<std::string> seen;
    for (auto const& image : *images) {
        seen.insert(image["uuid"].get<std::string>());
    }
    EXPECT_EQ(seen, expected);
    EXPECT_EQ((*images)[0]["uuid"], "00000000-0000-4000-8000-000000000000");
    EXPECT_EQ((*images)[2499]["uuid"], "00000000-0000-4000-8000-000000002499");
}

TEST_F(ClientTest, ServerFiltersAndLimit)
{
    auto a = test::make_manifest(UUID_A, "base-minimal", m_data, "2026-01-01T00:00:00Z");
    auto b = test::make_manifest(UUID_B, "debian-12", m_data, "2026-01-02T00:00:00Z");
    b["type"] = "lx-dataset";
    auto c = test::make_manifest(UUID_C, "old", m_data, "2026-01-03T00:00:00Z");
    c["state"] = "disabled";
    test::write_image(m_images.path(), "a", a, std::nullopt);
    test::write_image(m_images.path(), "b", b, std::nullopt);
    test::write_image(m_images.path(), "c", c, std::nullopt);
    test::ImgapiServer server(m_images.path());

    auto query = [&](std::string const& path) {
        test::RunResult result = test::run({ "/usr/bin/curl", "-s", server.url() + path });
        auto json = nlohmann::json::parse(result.out);
        std::vector<std::string> names;
        if (json.is_array()) {
            for (auto const& image : json) {
                names.push_back(image["name"]);
            }
        } else {
            names.push_back("error:" + json["code"].get<std::string>());
        }
        return names;
    };
    using Names = std::vector<std::string>;
    EXPECT_EQ(query("/images"), (Names { "base-minimal", "debian-12" }));
    EXPECT_EQ(query("/images?state=all"), (Names { "base-minimal", "debian-12", "old" }));
    EXPECT_EQ(query("/images?name=~minimal"), (Names { "base-minimal" }));
    EXPECT_EQ(query("/images?name=minimal"), (Names {}));
    EXPECT_EQ(query("/images?type=!lx-dataset"), (Names { "base-minimal" }));
    EXPECT_EQ(query("/images?type=lx-dataset"), (Names { "debian-12" }));
    EXPECT_EQ(query("/images?limit=1"), (Names { "base-minimal" }));
    EXPECT_EQ(query("/images?limit=1&marker=" + UUID_B), (Names { "debian-12" }));
    EXPECT_EQ(query("/images?limit=0"), (Names { "error:InvalidParameter" }));
    EXPECT_EQ(query("/images?limit=1001"), (Names { "error:InvalidParameter" }));
    EXPECT_EQ(query("/images/" + UUID_C + "x"), (Names { "error:ResourceNotFound" }));
}

TEST_F(ClientTest, Channels)
{
    auto a = test::make_manifest(UUID_A, "in-dev", m_data);
    a["channels"] = { "dev" };
    auto b = test::make_manifest(UUID_B, "in-staging", m_data);
    b["channels"] = { "staging", "release" };
    auto c = test::make_manifest(UUID_C, "no-channels", m_data);
    test::write_image(m_images.path(), "a", a, std::nullopt);
    test::write_image(m_images.path(), "b", b, std::nullopt);
    test::write_image(m_images.path(), "c", c, std::nullopt);
    test::ImgapiServer server(m_images.path(), { "--channels", "dev,staging,release" });

    auto names = [&](std::string const& url) {
        auto images = ImgapiClient(make_source(url)).list_images();
        std::set<std::string> result;
        if (!images) {
            result.insert("error:" + images.error().code_name());
            return result;
        }
        for (auto const& image : *images) {
            result.insert(image["name"].get<std::string>());
        }
        return result;
    };
    using Names = std::set<std::string>;
    EXPECT_EQ(names(server.url()), (Names { "in-dev", "no-channels" }));
    EXPECT_EQ(names(server.url() + "/?channel=staging"), (Names { "in-staging" }));
    EXPECT_EQ(
        names(server.url() + "?channel=*"), (Names { "in-dev", "in-staging", "no-channels" }));
    EXPECT_EQ(names(server.url() + "?channel=nope"), (Names { "error:ValidationFailed" }));

    auto staging = ImgapiClient(make_source(server.url() + "?channel=staging"));
    auto hidden = staging.get_image(UUID_A);
    ASSERT_TRUE(hidden);
    EXPECT_FALSE(hidden->has_value());
    auto shown = staging.get_image(UUID_B);
    ASSERT_TRUE(shown);
    EXPECT_TRUE(shown->has_value());
}

TEST_F(ClientTest, DownloadVerifiesAndRenames)
{
    auto manifest = test::make_manifest(UUID_A, "alpha", m_data);
    test::write_image(m_images.path(), "a", manifest, m_data);
    test::ImgapiServer server(m_images.path());
    std::string path = (m_work.path() / "a.file").string();
    auto downloaded = ImgapiClient(make_source(server.url()))
                          .download_file(UUID_A, m_data.size(), manifest["files"][0]["sha1"], path);
    ASSERT_TRUE(downloaded) << downloaded.error().message;
    EXPECT_EQ(slurp(path), m_data);
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(ClientTest, DownloadWithWrongSha1)
{
    auto manifest = test::make_manifest(UUID_A, "alpha", m_data);
    std::string wrong = "0000000000000000000000000000000000000000";
    manifest["files"][0]["sha1"] = wrong;
    test::write_image(m_images.path(), "a", manifest, m_data);
    test::ImgapiServer server(m_images.path());
    std::string path = (m_work.path() / "a.file").string();
    auto downloaded
        = ImgapiClient(make_source(server.url())).download_file(UUID_A, m_data.size(), wrong, path);
    ASSERT_FALSE(downloaded);
    EXPECT_EQ(downloaded.error().code_name(), "DownloadError");
    EXPECT_EQ(downloaded.error().message,
        "image " + UUID_A + " file checksum (sha1) error: expected \"" + wrong
            + "\", downloaded checksum was \"" + test::sha1_hex(m_data) + "\"");
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(ClientTest, DownloadWithWrongSizeInManifest)
{
    auto manifest = test::make_manifest(UUID_A, "alpha", m_data);
    test::write_image(m_images.path(), "a", manifest, m_data);
    test::ImgapiServer server(m_images.path());
    std::string path = (m_work.path() / "a.file").string();
    auto downloaded
        = ImgapiClient(make_source(server.url()))
              .download_file(UUID_A, m_data.size() + 5, manifest["files"][0]["sha1"], path);
    ASSERT_FALSE(downloaded);
    EXPECT_EQ(downloaded.error().code_name(), "DownloadError");
    EXPECT_EQ(downloaded.error().message,
        "unexpected mismatch between expected size, " + std::to_string(m_data.size() + 5)
            + ", and Content-Length header, " + std::to_string(m_data.size()));
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(ClientTest, DownloadOfAMissingFileIs404)
{
    auto manifest = test::make_manifest(UUID_A, "alpha", m_data);
    test::write_image(m_images.path(), "a", manifest, std::nullopt);
    test::ImgapiServer server(m_images.path());
    std::string path = (m_work.path() / "a.file").string();
    auto downloaded = ImgapiClient(make_source(server.url()))
                          .download_file(UUID_A, m_data.size(), manifest["files"][0]["sha1"], path);
    ASSERT_FALSE(downloaded);
    EXPECT_EQ(downloaded.error().code_name(), "ResourceNotFound");
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

// A server that answers every request with a broken file response, then closes.
class BrokenServer : public test::ScriptServer {
public:
    explicit BrokenServer(std::string const& mode)
        : test::ScriptServer(R"PY(
mode = sys.argv[2]
while True:
    c, _ = s.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    if mode == "short":
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\n" + b"x" * 100)
    elif mode == "nolength":
        c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n" + b"x" * 1000)
    elif mode == "badlength":
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n")
    c.close()
)PY",
            { mode })
    {
    }
};

TEST_F(ClientTest, TruncatedDownload)
{
    BrokenServer server("short");
    std::string path = (m_work.path() / "a.file").string();
    auto downloaded = ImgapiClient(make_source(server.url())).download_file(UUID_A, 1000, "", path);
    ASSERT_FALSE(downloaded);
    EXPECT_EQ(downloaded.error().code_name(), "DownloadError");
    EXPECT_EQ(downloaded.error().message,
        "image " + UUID_A + " file size error: expected 1000 bytes, downloaded 100 bytes");
    EXPECT_FALSE(fs::exists(path));
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST_F(ClientTest, MissingOrInvalidContentLength)
{
    for (std::string mode : { "nolength", "badlength" }) {
        BrokenServer server(mode);
        std::string path = (m_work.path() / "a.file").string();
        auto downloaded
            = ImgapiClient(make_source(server.url())).download_file(UUID_A, 1000, "", path);
        ASSERT_FALSE(downloaded) << mode;
        EXPECT_EQ(downloaded.error().code_name(), "DownloadError") << mode;
        EXPECT_EQ(downloaded.error().message, "unexpected missing or invalid Content-Length header")
            << mode;
        EXPECT_FALSE(fs::exists(path + ".partial"));
    }
}

TEST_F(ClientTest, UnreachableServerIsAClientError)
{
    // A port nobody listens on: bind then close to find one.
    std::string path = (m_work.path() / "a.file").string();
    ImgapiClient client(make_source("http://127.0.0.1:1"));
    auto pong = client.ping();
    ASSERT_FALSE(pong);
    EXPECT_EQ(pong.error().code_name(), "ClientError");
    auto downloaded = client.download_file(UUID_A, 10, "", path);
    ASSERT_FALSE(downloaded);
    EXPECT_EQ(downloaded.error().code_name(), "DownloadError");
    EXPECT_FALSE(fs::exists(path + ".partial"));
}

TEST(HumanSize, AsImgadmPrintsIt)
{
    EXPECT_EQ(human_size(0), "0 B");
    EXPECT_EQ(human_size(512), "512.0 B");
    EXPECT_EQ(human_size(1024), "1.0 KiB");
    EXPECT_EQ(human_size(3000000), "2.8 MiB");
    EXPECT_EQ(human_size(1536ULL * 1024 * 1024), "1.5 GiB");
}

TEST(ServerProcess, StopsCleanlyOnSigterm)
{
    test::TempRoot images;
    test::ImgapiServer server(images.path());
    auto result = server.stop();
    EXPECT_TRUE(result.exited()) << result.describe();
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_NE(result.out.find("lumos-imgapi listening on http://127.0.0.1:"), std::string::npos)
        << result.out;
}

} // namespace
} // namespace lumos::image

namespace lumos::image {
namespace {

// lumos-imgapi over TLS with a self-signed certificate: refused unless the source is insecure
// or IMGADM_INSECURE=1.
TEST(Tls, VerificationUnlessInsecure)
{
    test::TempRoot dir;
    std::string cert = (dir.path() / "cert.pem").string();
    std::string key = (dir.path() / "key.pem").string();
    test::RunResult made = test::run({ "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048",
        "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1" });
    if (made.exit_code != 0) {
        GTEST_SKIP() << "openssl cannot make a test certificate: " << made.describe();
    }
    test::TempRoot images;
    test::ImgapiServer server(images.path(), { "--tls-cert", cert, "--tls-key", key });
    std::string url = "https://127.0.0.1:" + std::to_string(server.port());

    ::unsetenv("IMGADM_INSECURE");
    auto refused = ImgapiClient(make_source(url)).ping();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code_name(), "ClientError");

    auto insecure = ImgapiClient(make_source(url, "imgapi", true)).ping();
    EXPECT_TRUE(insecure) << insecure.error().message;

    ::setenv("IMGADM_INSECURE", "1", 1);
    auto from_environment = ImgapiClient(make_source(url)).ping();
    ::unsetenv("IMGADM_INSECURE");
    EXPECT_TRUE(from_environment) << from_environment.error().message;
}

} // namespace
} // namespace lumos::image

namespace lumos::image {
namespace {

TEST(ServerProcess, RefusesBadArguments)
{
    test::RunResult no_dir = test::run({ LUMOS_LUMOS_IMGAPI_BIN });
    EXPECT_EQ(no_dir.exit_code, 2) << no_dir.describe();
    EXPECT_NE(no_dir.err.find("--dir is required"), std::string::npos) << no_dir.err;
    test::RunResult missing
        = test::run({ LUMOS_LUMOS_IMGAPI_BIN, "--dir", "/nonexistent/lumos", "--port", "0" });
    EXPECT_EQ(missing.exit_code, 1) << missing.describe();
    test::RunResult bad_port
        = test::run({ LUMOS_LUMOS_IMGAPI_BIN, "--dir", "/tmp", "--port", "http" });
    EXPECT_EQ(bad_port.exit_code, 2) << bad_port.describe();
}

TEST(ServerProcess, PortInUse)
{
    test::TempRoot images;
    test::ImgapiServer first(images.path());
    test::RunOptions options;
    options.timeout = std::chrono::milliseconds(3000); // a server that did bind would linger
    test::RunResult second = test::run(
        { LUMOS_LUMOS_IMGAPI_BIN, "--dir", images.str(), "--port", std::to_string(first.port()) },
        options);
    EXPECT_EQ(second.exit_code, 1) << second.describe();
    EXPECT_NE(second.err.find("cannot listen on 127.0.0.1:" + std::to_string(first.port())),
        std::string::npos)
        << second.err;
}

} // namespace
} // namespace lumos::image
