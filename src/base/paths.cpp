// SPDX-License-Identifier: MPL-2.0
#include "base/paths.hpp"

#include <cstdlib>

namespace lumos {

Paths::Paths(std::string root)
    : m_root(std::move(root))
{
    while (m_root.size() > 1 && m_root.back() == '/') {
        m_root.pop_back();
    }
    if (m_root.empty()) {
        m_root = "/";
    }
}

Paths Paths::from_environment()
{
    char const* root = std::getenv("LUMOS_ROOT");
    return Paths(root != nullptr && *root != '\0' ? root : "/");
}

std::string Paths::under_root(std::string_view absolute) const
{
    if (m_root == "/") {
        return std::string(absolute);
    }
    return m_root + std::string(absolute);
}

std::string Paths::vm_config(std::string_view uuid) const
{
    return vms_dir() + "/" + std::string(uuid) + ".json";
}

std::string Paths::vm_snapshots(std::string_view uuid) const
{
    return vms_dir() + "/" + std::string(uuid) + ".snapshots.json";
}

std::string Paths::vm_lock(std::string_view uuid) const
{
    return run_dir() + "/vm." + std::string(uuid) + ".config.lockfile";
}

std::string Paths::zone_netns(std::string_view uuid) const
{
    return run_dir() + "/zones/" + std::string(uuid) + "/netns";
}

std::string Paths::create_lock() const
{
    return run_dir() + "/vm.create.lockfile";
}

std::string Paths::image_manifest(std::string_view pool, std::string_view image_uuid) const
{
    return imgadm_dir() + "/images/" + std::string(pool) + "-" + std::string(image_uuid) + ".json";
}

std::string Paths::pool_mountpoint(std::string_view pool) const
{
    return under_root("/" + std::string(pool));
}

std::string Paths::zonepath(std::string_view pool, std::string_view zonename) const
{
    return pool_mountpoint(pool) + "/" + std::string(zonename);
}

} // namespace lumos
