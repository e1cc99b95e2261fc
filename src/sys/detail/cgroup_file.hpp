// SPDX-License-Identifier: MPL-2.0
// Private to sys/cgroup.cpp: the write of one value to a cgroup control file.
#pragma once

#include "base/result.hpp"

#include <string>

namespace lumos::sys::detail {

// One write(2) of value to file, as the kernel takes a control file's value: all at once. A
// short write is an error (EIO, "short write"), never a success nor an error with errno 0.
Result<void> write_cgroup_value(std::string const& file, std::string const& value);

} // namespace lumos::sys::detail
