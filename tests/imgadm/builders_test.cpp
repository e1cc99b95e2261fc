// SPDX-License-Identifier: MPL-2.0
// tools/build-image.sh as the README and the benchmarks use it: the busybox and base-minimal
// images it writes must carry a manifest v2 (reference section 4.4) whose files[0] describes the
// file exactly, be named <name>-<version>.imgmanifest/.tar[.ext] (section 4.6), hold a root
// filesystem tar without absolute or ".." names, setuid files or device nodes, and be accepted
// by `imgadm install -m -f`. No network: debian-12 (debootstrap) is not built here.

#include "image/digest.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <stdlib.h>
#include <unistd.h>

namespace {

namespace fs = std::filesystem;
using lumos::test::RunOptions;
using lumos::test::RunResult;
using nlohmann::json;

std::string const SCRIPT = std::string(LUMOS_SOURCE_DIR) + "/tools/build-image.sh";

// A /tmp/lumos-test-XXXXXX directory, removed with everything in it.
class TestDir {
public:
    TestDir()
    {
        std::string templ = "/tmp/lumos-test-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        m_path = templ;
    }
    TestDir(TestDir const&) = delete;
    TestDir& operator=(TestDir const&) = delete;
    ~TestDir()
    {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    fs::path const& path() const { return m_path; }
    std::string str() const { return m_path.string(); }

private:
    fs::path m_path;
};

RunResult build(std::vector<std::string> const& args)
{
    std::vector<std::string> argv { "/bin/bash", SCRIPT };
    argv.insert(argv.end(), args.begin(), args.end());
    RunOptions options;
    options.timeout = std::chrono::milliseconds(60000);
    return lumos::test::run(argv, options);
}

struct TarEntry {
    std::string mode; // "-rw-r--r--"
    std::string owner; // "0/0"
    std::string name;
    std::string link_target; // symlinks
};

// `tar -tv` of the file (tar detects the compression), one entry per line.
std::vector<TarEntry> list_tar(std::string const& file)
{
    auto result = lumos::test::run({ "/usr/bin/tar", "--numeric-owner", "-tvf", file });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    static std::regex const line_re(R"(^(\S+) (\S+) +(\S+) (\S+) (\S+) (.*)$)");
    std::vector<TarEntry> entries;
    for (auto const& line : lumos::test::split_lines(result.out)) {
        std::smatch m;
        if (!std::regex_match(line, m, line_re)) {
            ADD_FAILURE() << "unexpected tar -tv line: " << line;
            continue;
        }
        TarEntry entry { m[1].str(), m[2].str(), m[6].str(), {} };
        if (entry.mode[0] == 'l') {
            auto arrow = entry.name.find(" -> ");
            if (arrow != std::string::npos) {
                entry.link_target = entry.name.substr(arrow + 4);
                entry.name.resize(arrow);
            }
        }
        entries.push_back(std::move(entry));
    }
    return entries;
}

// The rules every image follows; `zone_dataset` adds "no absolute symlinks".
void expect_clean_tar(std::vector<TarEntry> const& entries, bool zone_dataset)
{
    ASSERT_FALSE(entries.empty());
    for (auto const& e : entries) {
        SCOPED_TRACE(e.name);
        EXPECT_FALSE(e.name.empty());
        EXPECT_NE(e.name.front(), '/') << "absolute name";
        EXPECT_NE(e.name.rfind("./", 0), 0U) << "names start at the root's contents";
        std::stringstream parts(e.name);
        for (std::string part; std::getline(parts, part, '/');) {
            EXPECT_NE(part, "..") << "'..' component";
        }
        EXPECT_EQ(e.owner, "0/0");
        EXPECT_EQ(std::string("bcps").find(e.mode[0]), std::string::npos)
            << "device node: " << e.mode;
        EXPECT_TRUE(e.mode[3] != 's' && e.mode[3] != 'S') << "setuid: " << e.mode;
        EXPECT_TRUE(e.mode[6] != 's' && e.mode[6] != 'S') << "setgid: " << e.mode;
        if (zone_dataset && e.mode[0] == 'l') {
            EXPECT_NE(e.link_target.front(), '/') << "absolute symlink -> " << e.link_target;
        }
    }
    std::vector<std::string> names;
    for (auto const& e : entries) {
        names.push_back(e.name);
    }
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(names, sorted) << "names are sorted";
}

std::map<std::string, TarEntry> by_name(std::vector<TarEntry> const& entries)
{
    std::map<std::string, TarEntry> map;
    for (auto const& e : entries) {
        auto name = e.name;
        if (name.size() > 1 && name.back() == '/') {
            name.pop_back();
        }
        map[name] = e;
    }
    return map;
}

json read_manifest(fs::path const& path)
{
    auto text = lumos::test::read_file(path);
    auto manifest = json::parse(text, nullptr, false);
    EXPECT_FALSE(manifest.is_discarded()) << text;
    return manifest;
}

// Fields every builder's manifest has, and that files[0] is the file.
void expect_manifest(json const& m, fs::path const& file, std::string const& uuid,
    std::string const& name, std::string const& version, std::string const& compression)
{
    static std::set<std::string> const allowed { "v", "uuid", "owner", "name", "version",
        "description", "state", "disabled", "public", "published_at", "type", "os", "files",
        "requirements" };
    for (auto const& [key, value] : m.items()) {
        EXPECT_TRUE(allowed.count(key)) << "unexpected field " << key;
    }
    EXPECT_EQ(m.value("v", -1), 2);
    EXPECT_EQ(m.value("uuid", ""), uuid);
    EXPECT_EQ(m.value("owner", ""), "00000000-0000-0000-0000-000000000000");
    EXPECT_EQ(m.value("name", ""), name);
    EXPECT_EQ(m.value("version", ""), version);
    EXPECT_FALSE(m.value("description", "").empty());
    EXPECT_EQ(m.value("state", ""), "active");
    EXPECT_EQ(m.at("disabled"), false);
    EXPECT_EQ(m.at("public"), true);
    EXPECT_TRUE(std::regex_match(
        m.value("published_at", ""), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << m.value("published_at", "");
    ASSERT_TRUE(m.contains("files") && m["files"].is_array() && m["files"].size() == 1) << m.dump();
    auto const& f = m["files"][0];
    auto digest = lumos::image::digest_file(file.string());
    ASSERT_TRUE(digest.has_value()) << file;
    EXPECT_EQ(f.value("sha1", ""), digest->sha1);
    ASSERT_TRUE(f.contains("size") && f["size"].is_number_unsigned()) << f.dump();
    EXPECT_EQ(f["size"].get<uint64_t>(), digest->size);
    EXPECT_GT(digest->size, 0U);
    EXPECT_EQ(f.value("compression", ""), compression);
}

std::string trimmed(std::string s)
{
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

TEST(BuildersTest, BaseMinimalIsAZoneDatasetWithTheEtcSkeleton)
{
    TestDir dir;
    std::string const uuid = "3f0a4e8c-1b2d-4c5e-8f90-a1b2c3d4e5f6";
    auto result = build({ "base-minimal", dir.str(), "--uuid", uuid, "--version", "1.2.3" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(trimmed(result.out), uuid);

    auto file = dir.path() / "base-minimal-1.2.3.tar.gz";
    auto manifest = read_manifest(dir.path() / "base-minimal-1.2.3.imgmanifest");
    expect_manifest(manifest, file, uuid, "base-minimal", "1.2.3", "gzip");
    EXPECT_EQ(manifest.value("type", ""), "zone-dataset");
    EXPECT_EQ(manifest.value("os", ""), "smartos");
    EXPECT_FALSE(manifest.contains("requirements"));

    auto entries = list_tar(file.string());
    expect_clean_tar(entries, true);
    auto names = by_name(entries);
    for (char const* path : { "etc/passwd", "etc/group", "etc/shadow", "etc/hosts", "etc/hostname",
             "etc/nsswitch.conf", "etc/resolv.conf", "etc/profile", "etc/motd" }) {
        ASSERT_TRUE(names.count(path)) << path;
        EXPECT_EQ(names[path].mode[0], '-') << path;
    }
    for (char const* path :
        { "var/log", "var/tmp", "var/svc", "var/run", "root", "opt", "home", "tmp" }) {
        ASSERT_TRUE(names.count(path)) << path;
        EXPECT_EQ(names[path].mode[0], 'd') << path;
    }
    EXPECT_EQ(names["tmp"].mode, "drwxrwxrwt");
    EXPECT_EQ(names["root"].mode, "drwx------");
    EXPECT_FALSE(names.count("usr/bin")) << "the host provides /usr";
    EXPECT_EQ(names["bin"].link_target, "usr/bin");
}

TEST(BuildersTest, BusyboxIsAnLxDatasetWithRelativeAppletLinks)
{
    TestDir dir;
    auto result = build({ "busybox", dir.str(), "--version", "7", "--compression", "none" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    auto uuid = trimmed(result.out);
    EXPECT_TRUE(std::regex_match(
        uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")))
        << uuid;

    auto file = dir.path() / "busybox-7.tar";
    auto manifest = read_manifest(dir.path() / "busybox-7.imgmanifest");
    expect_manifest(manifest, file, uuid, "busybox", "7", "none");
    EXPECT_EQ(manifest.value("type", ""), "lx-dataset");
    EXPECT_EQ(manifest.value("os", ""), "linux");
    EXPECT_EQ(manifest.value("requirements", json::object()), json({ { "brand", "lx" } }));

    auto entries = list_tar(file.string());
    // Not a zone-dataset, but busybox's links are relative all the same: the image works
    // wherever its root is mounted.
    expect_clean_tar(entries, true);
    auto names = by_name(entries);
    ASSERT_TRUE(names.count("bin/busybox"));
    EXPECT_EQ(names["bin/busybox"].mode, "-rwxr-xr-x");
    EXPECT_EQ(names["bin/sh"].link_target, "busybox");
    EXPECT_EQ(names["usr/bin/awk"].link_target, "../../bin/busybox");
    EXPECT_EQ(names["sbin/ifconfig"].link_target, "../bin/busybox");
    for (char const* path : { "etc/passwd", "etc/group", "etc/hosts", "etc/resolv.conf" }) {
        EXPECT_TRUE(names.count(path)) << path;
    }
    for (char const* path : { "dev", "proc", "sys", "tmp", "root" }) {
        EXPECT_EQ(names[path].mode[0], 'd') << path;
    }
}

TEST(BuildersTest, CompressionPicksTheExtensionAndTheManifestSaysIt)
{
    TestDir dir;
    std::map<std::string, std::string> const extensions { { "gzip", "tar.gz" }, { "none", "tar" },
        { "xz", "tar.xz" }, { "zstd", "tar.zst" }, { "bzip2", "tar.bz2" } };
    for (auto const& [compression, ext] : extensions) {
        SCOPED_TRACE(compression);
        auto version = "c-" + compression;
        auto result = build({ "base-minimal", dir.str(), "--version", version, "--compression",
            compression, "--pad-mib", "1" });
        ASSERT_EQ(result.exit_code, 0) << result.describe();
        auto file = dir.path() / ("base-minimal-" + version + "." + ext);
        ASSERT_TRUE(fs::exists(file)) << file;
        auto manifest = read_manifest(dir.path() / ("base-minimal-" + version + ".imgmanifest"));
        expect_manifest(manifest, file, trimmed(result.out), "base-minimal", version, compression);
        auto names = by_name(list_tar(file.string()));
        ASSERT_TRUE(names.count("opt/lumos-pad.bin"));
    }
    // Nothing else is left in OUTDIR (no .partial files, no staging).
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 10);
}

TEST(BuildersTest, PadMibAddsThatManyMebibytes)
{
    TestDir dir;
    auto result = build(
        { "busybox", dir.str(), "--version", "p", "--compression", "none", "--pad-mib", "3" });
    ASSERT_EQ(result.exit_code, 0) << result.describe();
    auto file = dir.path() / "busybox-p.tar";
    auto listing = lumos::test::run({ "/usr/bin/tar", "-xOf", file.string(), "opt/lumos-pad.bin" });
    ASSERT_EQ(listing.exit_code, 0) << listing.describe();
    EXPECT_EQ(listing.out.size(), 3U * 1024 * 1024);
    EXPECT_GT(fs::file_size(file), 3U * 1024 * 1024);
}

TEST(BuildersTest, RefusesBadArguments)
{
    TestDir dir;
    EXPECT_EQ(build({ "centos", dir.str() }).exit_code, 2);
    EXPECT_EQ(build({ "busybox" }).exit_code, 2);
    EXPECT_EQ(build({ "busybox", dir.str(), "--bogus", "1" }).exit_code, 2);
    auto bad_uuid = build({ "busybox", dir.str(), "--uuid", "NOT-A-UUID" });
    EXPECT_EQ(bad_uuid.exit_code, 1);
    EXPECT_NE(bad_uuid.err.find("invalid uuid"), std::string::npos) << bad_uuid.err;
    EXPECT_EQ(build({ "busybox", dir.str(), "--compression", "lz4" }).exit_code, 1);
    EXPECT_EQ(build({ "busybox", dir.str(), "--version", "a b" }).exit_code, 1);
    EXPECT_EQ(build({ "busybox", dir.str(), "--pad-mib", "-1" }).exit_code, 1);
    EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(BuildersTest, ImgadmInstallAcceptsTheImages)
{
    if (geteuid() != 0) {
        GTEST_SKIP() << "imgadm needs root";
    }
    TestDir dir;
    auto const out = dir.path() / "out";
    auto const root = dir.path() / "root";
    fs::create_directories(root);
    RunOptions options;
    options.env = { { "LUMOS_ROOT", root.string() } };
    options.timeout = std::chrono::milliseconds(60000);

    struct Case {
        std::string kind, compression, stem;
    };
    for (auto const& c : { Case { "base-minimal", "gzip", "base-minimal-1.0.tar.gz" },
             Case { "busybox", "none", "busybox-1.0.tar" } }) {
        SCOPED_TRACE(c.kind);
        auto built
            = build({ c.kind, out.string(), "--version", "1.0", "--compression", c.compression });
        ASSERT_EQ(built.exit_code, 0) << built.describe();
        auto uuid = trimmed(built.out);
        auto manifest = (out / (c.kind + "-1.0.imgmanifest")).string();
        auto install = lumos::test::run(
            { LUMOS_IMGADM_BIN, "install", "-m", manifest, "-f", (out / c.stem).string() },
            options);
        ASSERT_EQ(install.exit_code, 0) << install.describe();
        EXPECT_NE(install.out.find("Installed image " + uuid + " (" + c.kind + "@1.0)"),
            std::string::npos)
            << install.out;

        auto get = lumos::test::run({ LUMOS_IMGADM_BIN, "get", uuid }, options);
        ASSERT_EQ(get.exit_code, 0) << get.describe();
        auto info = json::parse(get.out, nullptr, false);
        ASSERT_FALSE(info.is_discarded()) << get.out;
        EXPECT_EQ(info["manifest"].value("name", ""), c.kind);
        EXPECT_EQ(info["manifest"]["files"], read_manifest(manifest)["files"]);
        // The default pool of a fresh LUMOS_ROOT is "zones" at $LUMOS_ROOT/zones; the tar is
        // extracted into <dataset>/root.
        EXPECT_TRUE(fs::is_regular_file(root / "zones" / uuid / "root/etc/passwd"));
    }
}

} // namespace
