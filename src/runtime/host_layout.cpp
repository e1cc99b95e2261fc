// SPDX-License-Identifier: MPL-2.0
#include "base/file.hpp"
#include "sys/cgroup.hpp"
#include "runtime/zone_spec.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::runtime {

HostLayout probe_host_layout(std::string const& cgroup_parent)
{
    HostLayout host;
    host.bind_dirs = { "/usr" };
    for (char const* path : { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" }) {
        struct stat st { };
        if (::lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            std::array<char, PATH_MAX> target {};
            ssize_t n = ::readlink(path, target.data(), target.size() - 1);
            if (n > 0) {
                host.symlinks.emplace_back(
                    path, std::string(target.data(), static_cast<size_t>(n)));
            }
        } else if (S_ISDIR(st.st_mode)) {
            host.bind_dirs.emplace_back(path);
        }
    }
    // CAP_SYS_RESOURCE (bit 24 of CapEff) is what lets runc raise a hard limit.
    bool can_raise = false;
    if (auto status = read_file("/proc/self/status")) {
        auto at = status->find("CapEff:");
        if (at != std::string::npos) {
            uint64_t effective = std::strtoull(status->c_str() + at + 7, nullptr, 16);
            can_raise = (effective >> 24 & 1) != 0;
        }
    }
    rlimit memlock {};
    if (!can_raise && ::getrlimit(RLIMIT_MEMLOCK, &memlock) == 0
        && memlock.rlim_max != RLIM_INFINITY) {
        host.memlock_ceiling = memlock.rlim_max;
    }
    auto cgroups = sys::Cgroups::detect();
    host.io_weight = cgroups && cgroups->io_weight_file(cgroup_parent).has_value();
    return host;
}

// The zone's root belongs to the zone: its /etc or /etc/resolv.conf may be a symbolic link that
// would point the host's write anywhere on the host. Every step here is relative to a
// descriptor and refuses to follow links; the replacement replaces a link rather than its target.
static Result<void> write_resolv_conf(std::string const& root, std::string const& content)
{
    UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root_fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + root, errno));
    }
    if (::mkdirat(root_fd.get(), "etc", 0755) != 0 && errno != EEXIST) {
        return tl::unexpected(Error::from_errno("mkdir " + root + "/etc", errno));
    }
    UniqueFd etc(::openat(root_fd.get(), "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!etc.valid()) {
        int const error = errno;
        if (error == ELOOP || error == ENOTDIR) {
            return make_error(ErrorCode::PermissionDenied,
                "refusing to write " + root + "/etc/resolv.conf: " + root
                    + "/etc is a symbolic link or not a directory");
        }
        return tl::unexpected(Error::from_errno("open " + root + "/etc", error));
    }
    // Regenerated at every boot: no need to wait for the disk.
    return replace_file_at(
        etc.get(), root + "/etc", "resolv.conf", content, 0644, Durability::Unsynced);
}

Result<void> prepare_root(ZoneSpec const& spec)
{
    for (auto const& [path, target] : spec.symlinks) {
        std::string const at = spec.root + path;
        struct stat st { };
        if (::lstat(at.c_str(), &st) == 0) {
            if (S_ISLNK(st.st_mode)) {
                continue; // the image's own link
            }
            if (!S_ISDIR(st.st_mode) || ::rmdir(at.c_str()) != 0) {
                return make_error(ErrorCode::InvalidArgument,
                    at + " is in the way of the host's symlink " + path + " -> " + target);
            }
        }
        if (::symlink(target.c_str(), at.c_str()) != 0) {
            return tl::unexpected(Error::from_errno("symlink " + at, errno));
        }
    }
    if (!spec.resolv_conf.empty()) {
        TRY(write_resolv_conf(spec.root, spec.resolv_conf));
    }
    return {};
}

} // namespace lumos::runtime
