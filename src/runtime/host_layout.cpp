// SPDX-License-Identifier: MPL-2.0
#include "runtime/host_layout.hpp"

#include "base/directory_below.hpp"
#include "base/file.hpp"
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

HostLayout host_layout(sys::HostFeatures const& features)
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
    // CAP_SYS_RESOURCE is what lets the runtime raise a hard limit.
    rlimit memlock {};
    if (!features.cap_sys_resource && ::getrlimit(RLIMIT_MEMLOCK, &memlock) == 0
        && memlock.rlim_max != RLIM_INFINITY) {
        host.memlock_ceiling = memlock.rlim_max;
    }
    host.io_weight = !features.cgroup.io_weight_file.empty();
    host.io_weight_reason = features.cgroup.io_weight_reason;
    host.swap = features.cgroup.swap_accounting;
    host.swap_reason = features.cgroup.swap_reason;
    return host;
}

// The zone's /etc/resolv.conf is the host's copy bound over it, so the zone's root only needs a
// file there to mount on. The root belongs to the zone: its /etc may be a symbolic link that
// would point the host's write anywhere on the host, so every step is relative to a descriptor
// and refuses to follow links. A link at /etc/resolv.conf (to /run/..., which the zone's init
// may mount over) is replaced by an empty file, as the file itself replaced it before; an
// existing file is left alone, so a zone whose quota is full still boots.
static Result<void> make_resolv_conf_target(std::string const& root)
{
    UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root_fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + root, errno));
    }
    TRY_ASSIGN(etc,
        open_directory_below(
            root_fd.get(), root, "etc", Create::Yes, "write " + root + "/etc/resolv.conf"));
    struct stat st { };
    if (::fstatat(etc.get(), "resolv.conf", &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISLNK(st.st_mode)) {
            return {};
        }
        if (::unlinkat(etc.get(), "resolv.conf", 0) != 0 && errno != ENOENT) {
            return tl::unexpected(Error::from_errno("unlink " + root + "/etc/resolv.conf", errno));
        }
    }
    UniqueFd file(::openat(
        etc.get(), "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file.valid() && errno != EEXIST) {
        return tl::unexpected(Error::from_errno("create " + root + "/etc/resolv.conf", errno));
    }
    return {};
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
    if (!spec.resolv_conf.empty() && !spec.resolv_conf_source.empty()) {
        // Regenerated at every boot: no need to wait for the disk.
        TRY(write_file_replace(spec.resolv_conf_source, spec.resolv_conf, 0644));
        TRY(make_resolv_conf_target(spec.root));
    } else if (spec.resolv_conf_from_dhcp && !spec.resolv_conf_source.empty()) {
        // The DHCP client's: never replaced (the zone's bind mount would keep the old file).
        UniqueFd file(::open(
            spec.resolv_conf_source.c_str(), O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!file.valid()) {
            return tl::unexpected(Error::from_errno("create " + spec.resolv_conf_source, errno));
        }
        TRY(make_resolv_conf_target(spec.root));
    }
    return {};
}

} // namespace lumos::runtime
