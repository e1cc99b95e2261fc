// SPDX-License-Identifier: MPL-2.0
// The images lumos-imgapi serves: "<stem>.imgmanifest" files in one directory, each with its
// image file "<stem>.<ext>" beside it. Manifests are re-read when their mtime or size changes,
// so images can be added, changed or removed while the server runs.
#pragma once

#include "base/json.hpp"

#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lumos::imgapi {

struct ServedImage {
    Json manifest;
    std::string file_path; // "" when the manifest's file is missing
};

class ImageDir {
public:
    explicit ImageDir(std::string dir);

    // Every image with a readable manifest, sorted by (published_at, uuid).
    std::vector<ServedImage> scan();

private:
    struct Entry {
        timespec mtime {};
        off_t size { 0 };
        std::optional<Json> manifest; // nullopt when unparseable
    };

    std::string m_dir;
    std::mutex m_mutex;
    std::map<std::string, Entry> m_entries; // manifest file name -> parsed
};

} // namespace lumos::imgapi
