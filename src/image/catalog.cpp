// SPDX-License-Identifier: MPL-2.0
#include "image/catalog.hpp"

#include "base/file.hpp"
#include "base/uuid.hpp"

#include <algorithm>
#include <iterator>
#include <map>
#include <set>

#include <sys/stat.h>

namespace lumos::image {

namespace {

constexpr char const* FINAL = "final";

// The manifest cache entry, {manifest:{uuid}} when missing or corrupt.
void load_cache(
    Paths const& paths, std::string const& pool, std::string const& uuid, ImageInfo& info)
{
    info.manifest = Json { { "uuid", uuid } };
    auto text = read_file(paths.image_manifest(pool, uuid));
    if (!text) {
        return;
    }
    auto parsed = parse_json(*text);
    if (!parsed || !parsed->is_object()) {
        return;
    }
    auto manifest = parsed->find("manifest");
    if (manifest != parsed->end() && manifest->is_object()) {
        info.manifest = *manifest;
    }
    info.source = string_or(*parsed, "source");
}

// The images of one pool, from one listing of it.
std::vector<ImageInfo> images_of(Paths const& paths, std::string const& pool_name,
    std::vector<pools::DatasetInfo> const& datasets, std::string const& only_uuid = {})
{
    std::set<std::string> snapshots;
    std::map<std::string, std::vector<std::string>> clones; // image dataset -> clone names
    for (auto const& dataset : datasets) {
        if (dataset.type == pools::DatasetType::Snapshot) {
            snapshots.insert(dataset.name);
        }
        if (dataset.origin) {
            auto at = dataset.origin->find('@');
            if (at != std::string::npos) {
                clones[dataset.origin->substr(0, at)].push_back(dataset.name);
            }
        }
    }
    std::vector<ImageInfo> images;
    std::string const prefix = pool_name + "/";
    for (auto const& dataset : datasets) {
        if (dataset.type == pools::DatasetType::Snapshot || dataset.name.rfind(prefix, 0) != 0) {
            continue;
        }
        std::string const uuid = dataset.name.substr(prefix.size());
        if (!is_uuid(uuid) || (!only_uuid.empty() && uuid != only_uuid)) {
            continue; // children, "<uuid>-diskN", "<uuid>-partial", cores, ...
        }
        if (!snapshots.contains(dataset.name + "@" + FINAL)) {
            continue;
        }
        auto ignore = dataset.user_properties.find("imgadm:ignore");
        if (ignore != dataset.user_properties.end() && ignore->second == "true") {
            continue;
        }
        if (is_vm_root(paths, uuid)) {
            continue;
        }
        ImageInfo info;
        info.zpool = pool_name;
        load_cache(paths, pool_name, uuid, info);
        auto it = clones.find(dataset.name);
        if (it != clones.end()) {
            info.clone_names = it->second;
            std::sort(info.clone_names.begin(), info.clone_names.end());
        }
        images.push_back(std::move(info));
    }
    return images;
}

tl::unexpected<ImgError> not_installed(std::string const& pool, std::string const& uuid)
{
    return img_error(ImgCode::ImageNotInstalled,
        "image \"" + uuid + "\" was not found on zpool \"" + pool + "\"", 3);
}

} // namespace

bool is_vm_root(Paths const& paths, std::string_view uuid)
{
    struct stat st { };
    return ::lstat(paths.vm_config(uuid).c_str(), &st) == 0;
}

Json ImageInfo::to_json(bool with_clones) const
{
    Json out = Json::object();
    out["manifest"] = manifest;
    out["zpool"] = zpool;
    if (!source.empty()) {
        out["source"] = source;
    }
    if (with_clones) {
        out["cloneNames"] = clone_names;
        out["clones"] = clone_names.size();
    }
    return out;
}

ImageCatalog::ImageCatalog(Paths paths, pools::PoolRegistry const& pools)
    : m_paths(std::move(paths))
    , m_pools(pools)
{
}

ImgResult<std::vector<ImageInfo>> ImageCatalog::list(std::optional<std::string> const& pool) const
{
    std::vector<std::string> names;
    if (pool) {
        names.push_back(*pool);
    } else {
        names = m_pools.names();
    }
    std::vector<ImageInfo> all;
    for (auto const& name : names) {
        auto opened = m_pools.open(name);
        if (!opened) {
            if (pool) {
                return tl::unexpected(ImgError(opened.error()));
            }
            continue; // a pool that is not there (unmounted) has no images to show
        }
        TRY_ASSIGN(datasets, (*opened)->list());
        auto images = images_of(m_paths, name, datasets);
        std::move(images.begin(), images.end(), std::back_inserter(all));
    }
    return all;
}

ImgResult<ImageInfo> ImageCatalog::get(std::string const& pool, std::string const& uuid) const
{
    auto opened = m_pools.open(pool);
    if (!opened) {
        return not_installed(pool, uuid);
    }
    TRY_ASSIGN(datasets, (*opened)->list());
    auto images = images_of(m_paths, pool, datasets, uuid);
    if (images.empty()) {
        return not_installed(pool, uuid);
    }
    return std::move(images.front());
}

bool ImageCatalog::is_installed(std::string const& pool, std::string const& uuid) const
{
    auto opened = m_pools.open(pool);
    if (!opened) {
        return false;
    }
    auto final_exists = (*opened)->exists(pool + "/" + uuid + "@" + FINAL);
    if (!final_exists || !*final_exists) {
        return false;
    }
    auto info = (*opened)->info(pool + "/" + uuid);
    if (!info || info->type == pools::DatasetType::Snapshot) {
        return false;
    }
    auto ignore = info->user_properties.find("imgadm:ignore");
    if (ignore != info->user_properties.end() && ignore->second == "true") {
        return false;
    }
    return !is_vm_root(m_paths, uuid);
}

ImgResult<std::vector<ImageInfo>> ImageCatalog::ancestry(
    std::string const& pool, std::string const& uuid) const
{
    std::vector<ImageInfo> chain;
    TRY_ASSIGN(first, get(pool, uuid));
    chain.push_back(std::move(first));
    for (;;) {
        std::string origin = string_or(chain.back().manifest, "origin");
        if (origin.empty()) {
            break;
        }
        if (chain.size() > 100) {
            return img_error(
                ImgCode::InternalError, "image " + uuid + " has too deep an origin chain");
        }
        auto next = get(pool, origin);
        if (!next) {
            return img_error(ImgCode::OriginNotInstalled,
                "origin image \"" + origin + "\" was not found on zpool \"" + pool + "\"", 3);
        }
        chain.push_back(std::move(*next));
    }
    return chain;
}

std::optional<Json> ImageCatalog::installed_manifest(
    std::string_view pool, std::string_view uuid) const
{
    std::string const pool_name(pool);
    std::string const image_uuid(uuid);
    if (!is_installed(pool_name, image_uuid)) {
        return std::nullopt;
    }
    ImageInfo info;
    load_cache(m_paths, pool_name, image_uuid, info);
    return std::move(info.manifest);
}

ImgResult<void> ImageCatalog::cache_manifest(
    std::string const& pool, Json const& manifest, std::string const& source) const
{
    TRY(make_directories(m_paths.imgadm_dir() + "/images"));
    Json entry { { "manifest", manifest }, { "zpool", pool } };
    if (!source.empty()) {
        entry["source"] = source;
    }
    TRY(write_file_atomic(
        m_paths.image_manifest(pool, manifest.value("uuid", "")), dump_pretty(entry) + "\n"));
    return {};
}

} // namespace lumos::image
