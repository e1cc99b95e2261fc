// SPDX-License-Identifier: MPL-2.0
// Helpers of the image store tests (image_store_test.cpp, tar_test.cpp): tar archives built
// in memory with libarchive's writer (including malicious ones), and a temp LUMOS_ROOT with the
// implicit dir pool and an ImageStore over it.
#pragma once

#include "base/json.hpp"
#include "base/paths.hpp"
#include "base/uuid.hpp"
#include "image/digest.hpp"
#include "image/image_store.hpp"
#include "pools/pool.hpp"
#include "support/cli_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace lumos::test {

struct TarEntry {
    std::string name;
    unsigned type { AE_IFREG }; // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO, ...
    std::string content; // regular files
    unsigned mode { 0644 };
    std::string symlink; // AE_IFLNK target
    std::string hardlink; // a hard link to this earlier entry name
    int uid { 0 };
    int gid { 0 };
    std::vector<std::pair<std::string, std::string>> xattrs; // SCHILY.xattr pax records
};

inline TarEntry dir_entry(std::string name, unsigned mode = 0755)
{
    TarEntry entry;
    entry.name = std::move(name);
    entry.type = AE_IFDIR;
    entry.mode = mode;
    return entry;
}
inline TarEntry file_entry(std::string name, std::string content, unsigned mode = 0644)
{
    TarEntry entry;
    entry.name = std::move(name);
    entry.content = std::move(content);
    entry.mode = mode;
    return entry;
}
inline TarEntry symlink_entry(std::string name, std::string target)
{
    TarEntry entry;
    entry.name = std::move(name);
    entry.type = AE_IFLNK;
    entry.mode = 0777;
    entry.symlink = std::move(target);
    return entry;
}
inline TarEntry hardlink_entry(std::string name, std::string target)
{
    TarEntry entry;
    entry.name = std::move(name);
    entry.hardlink = std::move(target);
    return entry;
}

// A pax tar of the entries, compressed with "gzip", "bzip2", "xz", "zstd" or "none".
inline std::string make_tar(
    std::vector<TarEntry> const& entries, std::string const& compression = "gzip")
{
    archive* writer = archive_write_new();
    archive_write_set_format_pax_restricted(writer);
    if (compression == "gzip") {
        archive_write_add_filter_gzip(writer);
    } else if (compression == "bzip2") {
        archive_write_add_filter_bzip2(writer);
    } else if (compression == "xz") {
        archive_write_add_filter_xz(writer);
    } else if (compression == "zstd") {
        archive_write_add_filter_zstd(writer);
    }
    std::vector<char> buffer(4 * 1024 * 1024);
    size_t used = 0;
    EXPECT_EQ(archive_write_open_memory(writer, buffer.data(), buffer.size(), &used), ARCHIVE_OK)
        << archive_error_string(writer);
    for (auto const& spec : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, spec.name.c_str());
        archive_entry_set_uid(entry, spec.uid);
        archive_entry_set_gid(entry, spec.gid);
        archive_entry_set_mtime(entry, 1700000000, 0);
        if (!spec.hardlink.empty()) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, spec.mode);
            archive_entry_set_hardlink(entry, spec.hardlink.c_str());
            archive_entry_set_size(entry, 0);
        } else {
            archive_entry_set_filetype(entry, spec.type);
            archive_entry_set_perm(entry, spec.mode);
            if (spec.type == AE_IFLNK) {
                archive_entry_set_symlink(entry, spec.symlink.c_str());
            }
            if (spec.type == AE_IFCHR || spec.type == AE_IFBLK) {
                archive_entry_set_rdevmajor(entry, 1);
                archive_entry_set_rdevminor(entry, 3);
            }
            archive_entry_set_size(
                entry, spec.type == AE_IFREG ? static_cast<la_int64_t>(spec.content.size()) : 0);
        }
        for (auto const& [xattr, value] : spec.xattrs) {
            archive_entry_xattr_add_entry(entry, xattr.c_str(), value.data(), value.size());
        }
        EXPECT_EQ(archive_write_header(writer, entry), ARCHIVE_OK) << archive_error_string(writer);
        if (spec.type == AE_IFREG && spec.hardlink.empty() && !spec.content.empty()) {
            archive_write_data(writer, spec.content.data(), spec.content.size());
        }
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
    return std::string(buffer.data(), used);
}

inline void write_bytes(std::string const& path, std::string const& bytes)
{
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

// A temp LUMOS_ROOT with the implicit "zones" dir pool and a store over it.
class StoreFixture : public ::testing::Test {
protected:
    StoreFixture()
        : m_paths(m_root.str())
        , m_pools(m_paths)
        , m_store(m_paths, m_pools)
    {
    }

    std::string root() const { return m_root.str(); }
    Paths const& paths() const { return m_paths; }
    image::ImageStore& store() { return m_store; }
    std::unique_ptr<pools::Pool> pool()
    {
        auto opened = m_pools.open("zones");
        EXPECT_TRUE(opened.has_value());
        return std::move(*opened);
    }

    // A manifest for a file on disk: files[0] = {sha1, size, compression}.
    Json manifest_for(std::string const& file, std::string const& compression,
        std::string const& type = "zone-dataset", std::string uuid = "")
    {
        auto digest = image::digest_file(file);
        EXPECT_TRUE(digest.has_value());
        if (uuid.empty()) {
            uuid = generate_uuid();
        }
        return Json { { "v", 2 }, { "uuid", uuid }, { "name", "test" }, { "version", "1.0" },
            { "type", type }, { "os", type == "lx-dataset" ? "linux" : "smartos" },
            { "published_at", "2026-01-01T00:00:00.000Z" },
            { "files",
                Json::array({ Json { { "sha1", digest->sha1 }, { "size", digest->size },
                    { "compression", compression } } }) } };
    }

    // Writes the bytes as an image file and installs it; returns the result and the manifest.
    image::ImgResult<void> install_bytes(std::string const& bytes, std::string const& compression,
        std::string const& type, Json* manifest_out = nullptr, Json const& extra = Json::object())
    {
        std::string file = root() + "/files/" + generate_uuid() + ".file";
        write_bytes(file, bytes);
        Json manifest = manifest_for(file, compression, type);
        manifest.update(extra);
        if (manifest_out != nullptr) {
            *manifest_out = manifest;
        }
        image::ImageStore::InstallRequest request;
        request.manifest = manifest;
        request.file_path = file;
        return store().install(request);
    }

    // The pool holds no dataset or snapshot, nothing is left in its directory but its own
    // metadata, and the manifest cache is empty.
    void expect_pool_untouched()
    {
        auto listed = pool()->list();
        ASSERT_TRUE(listed.has_value());
        for (auto const& dataset : *listed) {
            ADD_FAILURE() << "dataset left behind: " << dataset.name;
        }
        namespace fs = std::filesystem;
        fs::path mount = paths().pool_mountpoint("zones");
        if (fs::exists(mount)) {
            for (auto const& item : fs::directory_iterator(mount)) {
                std::string name = item.path().filename().string();
                if (name == ".lumos") {
                    continue;
                }
                if (name == ".snapshots" && fs::is_empty(item.path())) {
                    continue;
                }
                ADD_FAILURE() << "left in the pool: " << item.path();
            }
        }
        fs::path cache = paths().imgadm_dir() + "/images";
        if (fs::exists(cache)) {
            EXPECT_TRUE(fs::is_empty(cache)) << "manifest cache not empty";
        }
    }

private:
    TempRoot m_root;
    Paths m_paths;
    pools::PoolRegistry m_pools;
    image::ImageStore m_store;
};

} // namespace lumos::test
