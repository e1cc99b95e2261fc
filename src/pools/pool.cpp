// SPDX-License-Identifier: MPL-2.0
#include "pools/pool.hpp"

namespace lumos::pools {

char const* backend_name(Backend backend)
{
    switch (backend) {
    case Backend::Btrfs:
        return "btrfs";
    case Backend::Dir:
        return "dir";
    case Backend::Zfs:
        return "zfs";
    }
    return "unknown";
}

Result<Backend> backend_from_name(std::string const& name)
{
    if (name == "btrfs") {
        return Backend::Btrfs;
    }
    if (name == "dir") {
        return Backend::Dir;
    }
    if (name == "zfs") {
        return Backend::Zfs;
    }
    return make_error(ErrorCode::InvalidArgument,
        "unknown pool backend \"" + name + "\": must be one of \"btrfs\", \"dir\", \"zfs\"");
}

char const* dataset_type_name(DatasetType type)
{
    switch (type) {
    case DatasetType::Filesystem:
        return "filesystem";
    case DatasetType::Volume:
        return "volume";
    case DatasetType::Snapshot:
        return "snapshot";
    }
    return "unknown";
}

} // namespace lumos::pools
