// SPDX-License-Identifier: MPL-2.0
// Private to image_store.cpp: safe extraction of an image's root filesystem tar (libarchive).
#pragma once

#include "image/detail/tree_policy.hpp"
#include "image/errors.hpp"

#include <string>
#include <string_view>

namespace lumos::image::detail {

// The rules of what a root may hold (TreePolicy, shared with btrfs send streams), and how to
// extract.
struct TarPolicy : TreePolicy {
    // Entries may replace existing files (an incremental tar over a clone of its origin).
    bool overwrite { false };
    // Keep the archive's numeric owners (only possible as root).
    bool keep_owners { true };
};

// Reads a plain tar from fd and writes it into "<dataset_dir>/root". An archive whose every
// entry is "root" or below "root/" (a tar of the dataset rather than of the root) is placed so
// that its "root/" is "<dataset_dir>/root" too.
//
// Refused with InvalidImageFile (and a message naming the entry): absolute names or names with
// ".." components, hard links whose target is such a name, entries below a symlink, symlinks
// whose relative target climbs above the root, absolute symlinks unless allowed, device nodes,
// fifos and sockets, setuid/setgid files and file capabilities unless allowed, security.* and
// trusted.* extended attributes (tree_policy.hpp), a corrupt archive. Write errors
// (ENOSPC, EDQUOT, ...) are FileSystem errors. On error, what was written is left for the caller
// to remove with the dataset.
ImgResult<void> extract_root_tar(int fd, std::string const& dataset_dir, TarPolicy const& policy);
// The same for an archive whose first bytes were already read from fd (format detection).
ImgResult<void> extract_root_tar(
    std::string_view head, int fd, std::string const& dataset_dir, TarPolicy const& policy);

} // namespace lumos::image::detail
