// SPDX-License-Identifier: MPL-2.0
// zvol images as a user installs and imports them (issue 16): a raw disk or a `zfs send` stream
// of a volume, compressed as the public image server serves them, becomes the volume
// zones/<uuid> with @final; imgadm import streams it from the source into the volume (no file
// is left in .imgadm-downloads); the wrong file, or a stream cut short, fails clearly and leaves
// nothing.
#include "base/paths.hpp"
#include "imgadm/imgapi_server.hpp"
#include "imgadm_fixture.hpp"
#include "pools/pool.hpp"
#include "support/zfs_stream_builder.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace lumos::test {
namespace {

namespace fs = std::filesystem;

constexpr size_t MIB = size_t { 1024 } * 1024;

// 4 MiB: a boot sector, some data at 3 MiB, the rest empty.
std::string sample_disk()
{
    std::string disk(4 * MIB, '\0');
    disk.replace(0, 512, random_bytes(512, 1));
    disk.replace(3 * MIB, 16 * 1024, random_bytes(16 * 1024, 2));
    return disk;
}

class ZvolTest : public ImgadmFixture {
protected:
    void SetUp() override
    {
        ImgadmFixture::SetUp();
        if (::geteuid() != 0) {
            GTEST_SKIP() << "imgadm refuses to run unless root";
        }
        fs::create_directories(images_dir());
    }
    void TearDown() override
    {
        m_server.reset();
        ImgadmFixture::TearDown();
    }

    fs::path images_dir() const { return fs::path(root()) / "images-src"; }

    // A zvol image in images_dir(): "<name>.imgmanifest" and "<name>.<extension>", the bytes
    // compressed as compression says (gzip, xz, none).
    TestImage make_zvol(std::string const& name, std::string const& bytes,
        std::string const& compression, std::string const& extension)
    {
        TestImage image;
        image.file_path = (images_dir() / (name + "." + extension)).string();
        std::string const plain = (images_dir() / (name + ".plain")).string();
        std::ofstream(plain, std::ios::binary) << bytes;
        if (compression == "none") {
            fs::rename(plain, image.file_path);
        } else {
            std::string const command = compression + " -c -q " + plain + " > " + image.file_path;
            EXPECT_EQ(std::system(command.c_str()), 0) << command;
            fs::remove(plain);
        }
        std::string const data = read_file(image.file_path);
        image.manifest = make_manifest(random_uuid(), name, data);
        image.manifest["type"] = "zvol";
        image.manifest["files"][0]["compression"] = compression;
        image.manifest["nic_driver"] = "virtio";
        image.manifest["disk_driver"] = "virtio";
        image.manifest["cpu_type"] = "host";
        image.manifest["image_size"] = 4;
        image.manifest_path = (images_dir() / (name + ".imgmanifest")).string();
        std::ofstream(image.manifest_path) << image.manifest.dump(2) << "\n";
        return image;
    }

    std::unique_ptr<pools::Pool> pool() const
    {
        pools::PoolRegistry registry { Paths(root()) };
        auto opened = registry.open("zones");
        EXPECT_TRUE(opened.has_value());
        return std::move(*opened);
    }

    void expect_volume(TestImage const& image, std::string const& disk) const
    {
        auto info = pool()->info("zones/" + image.uuid());
        ASSERT_TRUE(info.has_value()) << image.uuid();
        EXPECT_EQ(info->type, pools::DatasetType::Volume);
        EXPECT_EQ(info->volume_size_bytes, std::optional<uint64_t>(disk.size()));
        EXPECT_TRUE(read_file(info->path) == disk) << "the volume is not the disk";
        EXPECT_TRUE(pool()->exists("zones/" + image.uuid() + "@final").value_or(false));
        RunResult got = imgadm({ "get", image.uuid() });
        EXPECT_EQ(got.exit_code, 0) << got.describe();
    }

    void expect_nothing_installed() const
    {
        auto listed = pool()->list();
        ASSERT_TRUE(listed.has_value());
        for (auto const& dataset : *listed) {
            ADD_FAILURE() << "dataset left: " << dataset.name;
        }
        RunResult list = imgadm({ "list", "-H" });
        EXPECT_EQ(list.out, "");
        fs::path const downloads = fs::path(root()) / "var/tmp/.imgadm-downloads";
        EXPECT_TRUE(!fs::exists(downloads) || fs::is_empty(downloads));
    }

    ImgapiServer& server()
    {
        if (!m_server) {
            m_server = std::make_unique<ImgapiServer>(images_dir());
        }
        return *m_server;
    }

    std::unique_ptr<ImgapiServer> m_server;
};

TEST_F(ZvolTest, InstallsARawDiskAndAZfsSendStream)
{
    std::string const disk = sample_disk();
    TestImage raw = make_zvol("raw", disk, "gzip", "zvol.gz");
    TestImage stream = make_zvol("stream", volume_stream(disk), "xz", "zfs.xz");
    for (TestImage const* image : { &raw, &stream }) {
        RunResult result
            = imgadm({ "install", "-m", image->manifest_path, "-f", image->file_path });
        ASSERT_EQ(result.exit_code, 0) << result.describe();
        std::string const described
            = image->uuid() + " (" + image->manifest["name"].get<std::string>() + "@1.0.0)";
        EXPECT_EQ(
            result.out, "Installing image " + described + "\nInstalled image " + described + "\n");
        expect_volume(*image, disk);
    }
}

TEST_F(ZvolTest, ImportStreamsTheImageIntoItsVolume)
{
    std::string const disk = sample_disk();
    TestImage raw = make_zvol("raw", disk, "xz", "zvol.xz");
    TestImage stream = make_zvol("stream", volume_stream(disk), "gzip", "zfs.gz");
    set_sources({ server().url() });
    for (TestImage const* image : { &raw, &stream }) {
        RunResult result = imgadm({ "import", image->uuid() });
        ASSERT_EQ(result.exit_code, 0) << result.describe();
        EXPECT_NE(result.out.find("Imported image " + image->uuid()), std::string::npos)
            << result.out;
        expect_volume(*image, disk);
    }
    fs::path const downloads = fs::path(root()) / "var/tmp/.imgadm-downloads";
    EXPECT_TRUE(!fs::exists(downloads) || fs::is_empty(downloads));
}

TEST_F(ZvolTest, TheWrongFileFailsClearly)
{
    TestImage zone = make_image("zone", "1.0.0"); // a tar.gz
    TestImage tar = make_zvol("tar", read_file(zone.file_path), "none", "tar.gz");
    tar.manifest["files"][0]["compression"] = "gzip";
    std::ofstream(tar.manifest_path) << tar.manifest.dump(2) << "\n";
    RunResult result = imgadm({ "install", "-m", tar.manifest_path, "-f", tar.file_path });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_EQ(result.err,
        "imgadm install: error (InvalidImageFile): invalid image file: " + tar.file_path
            + " is a tar archive, not a disk or a zfs send stream of a volume (image type zvol)\n");
    expect_nothing_installed();
}

TEST_F(ZvolTest, AnImportedStreamCutShortLeavesNothing)
{
    std::string const full = volume_stream(sample_disk());
    TestImage cut = make_zvol("cut", full.substr(0, full.size() - 100), "gzip", "zfs.gz");
    set_sources({ server().url() });
    RunResult result = imgadm({ "import", cut.uuid() });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_NE(result.err.find("imgadm import: error (InvalidImageFile): invalid image file: zfs "
                              "send stream: the stream ends inside record"),
        std::string::npos)
        << result.err;
    expect_nothing_installed();
}

} // namespace
} // namespace lumos::test
