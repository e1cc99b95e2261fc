// SPDX-License-Identifier: MPL-2.0
// What killed installs leave: <pool>/<uuid>-partial datasets and cached manifests
// (var/imgadm/images/<pool>-<uuid>.json) of images that are not installed. An install removes
// its own uuid's leftovers when it runs again; these find and remove everyone's, for imgadm
// vacuum, the next install or import, and lumosadm pool check. An orphan is only one while no
// install of its uuid holds the import lock, and it is removed under that lock (taken without
// waiting: a busy uuid is an install in progress and is left alone).
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"
#include "pools/pool.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::image {

struct ImageOrphan {
    enum class Kind { PartialDataset, CachedManifest };
    Kind kind { Kind::PartialDataset };
    std::string pool;
    std::string uuid;
    std::string name; // the dataset name, or the cache file's path

    std::string
    describe() const; // "partial dataset zones/<uuid>-partial", "cached manifest <path>"
};

// Every orphan (on one pool when given); pools that cannot be opened are skipped.
std::vector<ImageOrphan> find_image_orphans(Paths const& paths, pools::PoolRegistry const& pools,
    std::optional<std::string> const& pool = {});

// Removes one; false (and nothing removed) when an install of its uuid holds the lock now.
Result<bool> remove_image_orphan(
    Paths const& paths, pools::PoolRegistry const& pools, ImageOrphan const& orphan);

} // namespace lumos::image
