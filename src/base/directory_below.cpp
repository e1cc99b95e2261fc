// SPDX-License-Identifier: MPL-2.0
#include "base/directory_below.hpp"

#include "base/strings.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos {

Result<UniqueFd> open_directory_below(int dir_fd, std::string const& dir_path,
    std::string_view relative, Create create, std::string const& action)
{
    auto const components = split(relative, '/');
    if (components.empty()) {
        return make_error(
            ErrorCode::InvalidArgument, "bad directory name: " + std::string(relative));
    }
    for (auto const& component : components) {
        if (component.empty() || component == "." || component == "..") {
            return make_error(
                ErrorCode::InvalidArgument, "bad directory name: " + std::string(relative));
        }
    }
    int current = dir_fd;
    UniqueFd owned;
    std::string path = dir_path;
    for (auto const& component : components) {
        path += "/" + component;
        bool made = false;
        if (create == Create::Yes) {
            // 0700 until the chmod below: never more open than asked for, whatever the umask.
            if (::mkdirat(current, component.c_str(), 0700) == 0) {
                made = true;
            } else if (errno != EEXIST) {
                return tl::unexpected(Error::from_errno("mkdir " + path, errno));
            }
        }
        UniqueFd next(
            ::openat(current, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next.valid()) {
            int const error = errno;
            if (error == ELOOP || error == ENOTDIR) {
                return make_error(ErrorCode::PermissionDenied,
                    "refusing to "
                        + (action.empty() ? "create " + dir_path + "/" + std::string(relative)
                                          : action)
                        + ": " + path + " is a symbolic link or not a directory");
            }
            return tl::unexpected(Error::from_errno("open " + path, error));
        }
        if (made && ::fchmod(next.get(), 0755) != 0) {
            return tl::unexpected(Error::from_errno("chmod " + path, errno));
        }
        owned = std::move(next);
        current = owned.get();
    }
    return owned;
}

} // namespace lumos
