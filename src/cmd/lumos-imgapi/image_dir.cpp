// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/image_dir.hpp"

#include "base/file.hpp"

#include <algorithm>
#include <set>

#include <dirent.h>
#include <sys/stat.h>

namespace lumos::imgapi {

namespace {

constexpr std::string_view MANIFEST_SUFFIX = ".imgmanifest";

bool ends_with(std::string const& text, std::string_view suffix)
{
    return text.size() >= suffix.size()
        && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The image file of "<stem>.imgmanifest": a regular file "<stem>.<ext>"; when several exist, the
// one whose size is files[0].size.
std::string find_image_file(std::string const& dir, std::string const& stem,
    std::vector<std::string> const& names, Json const& manifest)
{
    std::optional<uint64_t> expected_size;
    if (auto files = manifest.find("files");
        files != manifest.end() && files->is_array() && !files->empty()) {
        if (auto size = (*files)[0].find("size");
            size != (*files)[0].end() && size->is_number_unsigned()) {
            expected_size = size->get<uint64_t>();
        }
    }
    std::string first;
    std::string prefix = stem + ".";
    // names is sorted: the candidates "<stem>.*" are one run starting at lower_bound.
    for (auto it = std::lower_bound(names.begin(), names.end(), prefix); it != names.end(); ++it) {
        std::string const& name = *it;
        if (name.compare(0, prefix.size(), prefix) != 0) {
            break;
        }
        if (name.size() == prefix.size() || ends_with(name, MANIFEST_SUFFIX)
            || ends_with(name, ".partial")) {
            continue;
        }
        std::string path = dir + "/" + name;
        struct stat st { };
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        if (expected_size && static_cast<uint64_t>(st.st_size) == *expected_size) {
            return path;
        }
        if (first.empty()) {
            first = path;
        }
    }
    return first;
}

} // namespace

ImageDir::ImageDir(std::string dir)
    : m_dir(std::move(dir))
{
}

std::vector<ServedImage> ImageDir::scan()
{
    std::vector<std::string> names;
    if (DIR* dir = ::opendir(m_dir.c_str())) {
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            if (name != "." && name != "..") {
                names.push_back(std::move(name));
            }
        }
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());

    std::lock_guard lock(m_mutex);
    std::set<std::string> seen;
    std::vector<ServedImage> images;
    for (auto const& name : names) {
        if (!ends_with(name, MANIFEST_SUFFIX)) {
            continue;
        }
        std::string path = m_dir + "/" + name;
        struct stat st { };
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        seen.insert(name);
        Entry& entry = m_entries[name];
        if (entry.mtime.tv_sec != st.st_mtim.tv_sec || entry.mtime.tv_nsec != st.st_mtim.tv_nsec
            || entry.size != st.st_size || (!entry.manifest && entry.size == 0)) {
            entry.mtime = st.st_mtim;
            entry.size = st.st_size;
            entry.manifest.reset();
            if (auto text = read_file(path)) {
                if (auto json = parse_json(*text);
                    json && json->is_object() && json->contains("uuid")) {
                    entry.manifest = std::move(*json);
                }
            }
        }
        if (!entry.manifest) {
            continue;
        }
        std::string stem = name.substr(0, name.size() - MANIFEST_SUFFIX.size());
        images.push_back(
            ServedImage { *entry.manifest, find_image_file(m_dir, stem, names, *entry.manifest) });
    }
    std::erase_if(m_entries, [&](auto const& item) { return !seen.contains(item.first); });

    std::vector<std::pair<std::pair<std::string, std::string>, size_t>> keys;
    keys.reserve(images.size());
    for (size_t i = 0; i < images.size(); ++i) {
        keys.push_back({ { string_or(images[i].manifest, "published_at"),
                             string_or(images[i].manifest, "uuid") },
            i });
    }
    std::sort(keys.begin(), keys.end());
    std::vector<ServedImage> sorted;
    sorted.reserve(images.size());
    for (auto const& key : keys) {
        sorted.push_back(std::move(images[key.second]));
    }
    return sorted;
}

} // namespace lumos::imgapi
