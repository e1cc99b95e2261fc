// SPDX-License-Identifier: MPL-2.0
#include "base/file.hpp"
#include "runtime/zone_spec.hpp"

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::runtime {

HostLayout probe_host_layout()
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
    return host;
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
        std::string const etc = spec.root + "/etc";
        if (::mkdir(etc.c_str(), 0755) != 0 && errno != EEXIST) {
            return tl::unexpected(Error::from_errno("mkdir " + etc, errno));
        }
        TRY(write_file_atomic(etc + "/resolv.conf", spec.resolv_conf));
    }
    return {};
}

} // namespace lumos::runtime
