// SPDX-License-Identifier: MPL-2.0
#include "imgadm/imgadm_fixture.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace lumos::test {

namespace fs = std::filesystem;

std::string random_uuid()
{
    static std::mt19937_64 generator { std::random_device {}() };
    std::uniform_int_distribution<int> digit(0, 15);
    char const* hex = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 32; ++i) {
        if (i == 8 || i == 12 || i == 16 || i == 20) {
            out += '-';
        }
        out += hex[digit(generator)];
    }
    return out;
}

void ImgadmFixture::SetUp()
{
    m_root = std::make_unique<TempRoot>();
}

void ImgadmFixture::TearDown()
{
    m_root.reset();
}

RunResult ImgadmFixture::run_binary(
    std::string const& binary, std::vector<std::string> const& args, RunOptions options) const
{
    std::vector<std::string> argv { binary };
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.emplace_back("LUMOS_ROOT", m_root->str());
    return run(argv, options);
}

RunResult ImgadmFixture::imgadm(std::vector<std::string> const& args, RunOptions options) const
{
    return run_binary(LUMOS_IMGADM_BIN, args, std::move(options));
}

RunResult ImgadmFixture::vmadm(std::vector<std::string> const& args, RunOptions options) const
{
    return run_binary(LUMOS_VMADM_BIN, args, std::move(options));
}

RunResult ImgadmFixture::lumosadm(std::vector<std::string> const& args, RunOptions options) const
{
    return run_binary(LUMOS_LUMOSADM_BIN, args, std::move(options));
}

void ImgadmFixture::set_sources(std::vector<std::string> const& urls) const
{
    nlohmann::json sources = nlohmann::json::array();
    for (auto const& url : urls) {
        sources.push_back({ { "url", url }, { "type", "imgapi" }, { "insecure", false } });
    }
    std::filesystem::create_directories(std::filesystem::path(root()) / "var/imgadm");
    std::ofstream(std::filesystem::path(root()) / "var/imgadm/imgadm.conf")
        << nlohmann::json { { "sources", sources } }.dump();
}

namespace {

std::string sha1_of(std::string const& path)
{
    RunResult result = run({ "/usr/bin/sha1sum", path });
    return result.out.substr(0, 40);
}

} // namespace

TestImage ImgadmFixture::make_image(std::string const& name, std::string const& version,
    std::string uuid, nlohmann::json const& extra) const
{
    if (uuid.empty()) {
        uuid = random_uuid();
    }
    fs::path dir = m_root->path() / "images-src";
    fs::path content = dir / (uuid + ".root") / "root" / "etc";
    fs::create_directories(content);
    {
        std::ofstream file(content / "motd");
        file << name << " " << version << "\n";
    }
    TestImage image;
    image.file_path = (dir / (name + "-" + version + "-" + uuid + ".tar.gz")).string();
    RunResult tar = run({ "/usr/bin/tar", "-czf", image.file_path, "-C",
        (dir / (uuid + ".root")).string(), "root" });
    if (tar.exit_code != 0) {
        ADD_FAILURE() << "tar failed: " << tar.describe();
    }
    image.manifest = {
        { "v", 2 },
        { "uuid", uuid },
        { "owner", "00000000-0000-0000-0000-000000000000" },
        { "name", name },
        { "version", version },
        { "state", "active" },
        { "disabled", false },
        { "public", true },
        { "published_at", "2024-01-02T03:04:05.678Z" },
        { "type", "zone-dataset" },
        { "os", "smartos" },
        { "files",
            nlohmann::json::array({ { { "sha1", sha1_of(image.file_path) },
                { "size", fs::file_size(image.file_path) }, { "compression", "gzip" } } }) },
        { "description", "test image " + name },
    };
    image.manifest.merge_patch(extra);
    image.manifest_path = (dir / (name + "-" + version + "-" + uuid + ".imgmanifest")).string();
    std::ofstream manifest(image.manifest_path);
    manifest << image.manifest.dump(2) << "\n";
    return image;
}

bool ImgadmFixture::install(TestImage const& image, std::string const& pool) const
{
    std::vector<std::string> args { "install", "-m", image.manifest_path, "-f", image.file_path };
    if (!pool.empty()) {
        args.emplace_back("-P");
        args.emplace_back(pool);
    }
    RunResult result = imgadm(args);
    if (result.exit_code != 0) {
        ADD_FAILURE() << "imgadm install failed: " << result.describe();
    }
    return result.exit_code == 0;
}

// Manifests that would install with no size or sha1 check (issue 11 point 8): a size no file
// can have, or no file at all. Each is refused before anything is written: no dataset, no
// cached manifest, exit 1.
std::vector<std::pair<std::string, std::string>> unverifiable_files(TestImage const& image)
{
    std::string const sha1 = image.manifest["files"][0]["sha1"];
    auto file = [&sha1](std::string const& size, std::string const& sha1_json = "") {
        return "[{\"sha1\": " + (sha1_json.empty() ? "\"" + sha1 + "\"" : sha1_json)
            + ", \"size\": " + size + ", \"compression\": \"gzip\"}]";
    };
    std::string const size = std::to_string(image.manifest["files"][0]["size"].get<uint64_t>());
    return {
        { "size -1", file("-1") },
        { "size 2^64", file("18446744073709551616") },
        { "size as a string", file("\"" + size + "\"") },
        { "sha1 a number", file(size, "1") },
        { "no file", "[]" },
        { "no files", "" },
    };
}

// The manifest text with "files" replaced by files_json (removed when empty).
std::string with_files(TestImage const& image, std::string const& files_json)
{
    nlohmann::json manifest = image.manifest;
    manifest.erase("files");
    std::string text = manifest.dump();
    if (!files_json.empty()) {
        text.pop_back(); // the closing brace
        text += ",\"files\":" + files_json + "}";
    }
    return text;
}

} // namespace lumos::test
