// SPDX-License-Identifier: MPL-2.0
#include "image/orphans.hpp"

#include "base/file.hpp"
#include "base/uuid.hpp"

#include <cerrno>
#include <filesystem>
#include <set>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace lumos::image {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view PARTIAL_SUFFIX = "-partial";
constexpr size_t UUID_LENGTH = 36;

std::string import_lock_path(Paths const& paths, std::string const& uuid)
{
    return paths.run_dir() + "/img." + uuid + ".import.lock";
}

// The import lock of uuid when nobody holds it (nullopt: an install is running).
std::optional<FileLock> try_import_lock(Paths const& paths, std::string const& uuid)
{
    if (!make_directories(paths.run_dir())) {
        return std::nullopt;
    }
    auto const path = import_lock_path(paths, uuid);
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        return std::nullopt;
    }
    return FileLock::adopt(std::move(fd));
}

bool lock_is_free(Paths const& paths, std::string const& uuid)
{
    UniqueFd fd(::open(import_lock_path(paths, uuid).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return true;
    }
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) != 0) {
        return false;
    }
    ::flock(fd.get(), LOCK_UN);
    return true;
}

bool has_final(pools::Pool const& pool, std::string const& uuid)
{
    auto exists = pool.exists(pool.name() + "/" + uuid + "@final");
    return exists && *exists;
}

} // namespace

std::string ImageOrphan::describe() const
{
    return kind == Kind::PartialDataset ? "partial dataset " + name : "cached manifest " + name;
}

std::vector<ImageOrphan> find_image_orphans(
    Paths const& paths, pools::PoolRegistry const& pools, std::optional<std::string> const& pool)
{
    std::vector<ImageOrphan> found;
    for (auto const& name : pools.names()) {
        if (pool && *pool != name) {
            continue;
        }
        auto opened = pools.open(name);
        if (!opened) {
            continue;
        }
        auto datasets = (*opened)->list();
        if (!datasets) {
            continue;
        }
        for (auto const& info : *datasets) {
            auto const rest = info.name.substr(name.size() + 1);
            if (info.type == pools::DatasetType::Snapshot || !rest.ends_with(PARTIAL_SUFFIX)
                || rest.size() != UUID_LENGTH + PARTIAL_SUFFIX.size()) {
                continue;
            }
            auto const uuid = rest.substr(0, UUID_LENGTH);
            if (is_uuid(uuid) && lock_is_free(paths, uuid)) {
                found.push_back({ ImageOrphan::Kind::PartialDataset, name, uuid, info.name });
            }
        }
        // Cached manifests of this pool: <pool>-<uuid>.json without <pool>/<uuid>@final.
        std::error_code ec;
        for (auto const& entry : fs::directory_iterator(paths.imgadm_dir() + "/images", ec)) {
            auto const file = entry.path().filename().string();
            if (file.size() != name.size() + 1 + UUID_LENGTH + 5 || !file.starts_with(name + "-")
                || !file.ends_with(".json")) {
                continue;
            }
            auto const uuid = file.substr(name.size() + 1, UUID_LENGTH);
            if (is_uuid(uuid) && !has_final(**opened, uuid) && lock_is_free(paths, uuid)) {
                found.push_back(
                    { ImageOrphan::Kind::CachedManifest, name, uuid, entry.path().string() });
            }
        }
    }
    return found;
}

Result<bool> remove_image_orphan(
    Paths const& paths, pools::PoolRegistry const& pools, ImageOrphan const& orphan)
{
    auto lock = try_import_lock(paths, orphan.uuid);
    if (!lock) {
        return false;
    }
    TRY_ASSIGN(pool, pools.open(orphan.pool));
    if (orphan.kind == ImageOrphan::Kind::PartialDataset) {
        auto destroyed = pool->destroy(orphan.name, pools::Recursive::Yes);
        if (!destroyed && destroyed.error().code() != ErrorCode::NotFound) {
            return tl::unexpected(std::move(destroyed).error());
        }
        return true;
    }
    // Installed since it was found: the manifest is the image's now.
    if (has_final(*pool, orphan.uuid)) {
        return false;
    }
    TRY(remove_file(orphan.name));
    return true;
}

} // namespace lumos::image
