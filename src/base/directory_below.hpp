// SPDX-License-Identifier: MPL-2.0
#pragma once

// The walk every host write into a zone's root goes through. The root belongs to the zone: any
// directory in it may be a symbolic link that would point the host's write anywhere on the host,
// so each step is taken relative to the descriptor of the one before and refuses to follow links.

#include "base/result.hpp"
#include "base/unique_fd.hpp"

#include <string>
#include <string_view>

namespace lumos {

enum class Create { No, Yes };

// Opens the directory `relative` (components separated by '/'; none empty, "." or "..") below
// the directory dir_fd, which dir_path names in messages. With Create::Yes a missing component
// is made, mode 0755 exactly (umask aside). A component that is a symbolic link or not a
// directory is PermissionDenied "refusing to <action>: <dir_path>/<prefix> is a symbolic link or
// not a directory"; action is "create <dir_path>/<relative>" when empty.
Result<UniqueFd> open_directory_below(int dir_fd, std::string const& dir_path,
    std::string_view relative, Create create, std::string const& action = {});

} // namespace lumos
