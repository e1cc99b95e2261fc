// SPDX-License-Identifier: MPL-2.0
#include "sys/detail/cgroup_file.hpp"

#include "base/unique_fd.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::sys::detail {

Result<void> write_cgroup_value(std::string const& file, std::string const& value)
{
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + file, errno));
    }
    ssize_t const n = ::write(fd.get(), value.data(), value.size());
    if (n < 0) {
        return tl::unexpected(Error::from_errno("write " + value + " to " + file, errno));
    }
    if (static_cast<size_t>(n) != value.size()) {
        return tl::unexpected(Error(ErrorCode::System,
            "write " + value + " to " + file + ": short write (" + std::to_string(n) + " of "
                + std::to_string(value.size()) + " bytes)",
            EIO));
    }
    return {};
}

} // namespace lumos::sys::detail
