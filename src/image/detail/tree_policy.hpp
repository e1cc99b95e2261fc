// SPDX-License-Identifier: MPL-2.0
// Private to the image store: what an image's root filesystem may hold, one set of rules for
// every way an image arrives (tar extraction, btrfs send streams and the tree they leave).
#pragma once

#include "image/errors.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace lumos::image::detail {

struct TreePolicy {
    // lx-dataset roots (Debian) have absolute symlinks; zone-dataset roots are joined with host
    // directories, so theirs are refused.
    bool allow_absolute_symlinks { false };
    // setuid/setgid files and file capabilities (lx-dataset: yes; zone-dataset: no).
    bool allow_setid { false };
};

// The policy of an image of manifest type `type` ("zone-dataset" is the strict one).
TreePolicy tree_policy_for(std::string const& type);

// InvalidImageFile "invalid image file: <message>".
tl::unexpected<ImgError> invalid_image(std::string const& message);

// Splits a relative name into components, dropping "" and "."; nullopt when the name is
// absolute or has a ".." component.
std::optional<std::vector<std::string>> safe_components(std::string_view name);

// Where a relative symlink at `link` (components from the image root) points; nullopt when it
// climbs above the image root.
std::optional<std::vector<std::string>> resolve_relative(
    std::vector<std::string> const& link, std::string_view target);

// The rules, each returning the reason an entry is refused (nullopt: allowed). `name` is how the
// entry is named in the message.
// A symlink at `link` (components from the image root) with this target.
std::optional<std::string> symlink_violation(std::string const& name,
    std::vector<std::string> const& link, std::string_view target, TreePolicy const& policy);
// A symlink target on its own (absolute, empty, NUL): what can be judged before its place is.
std::optional<std::string> symlink_target_violation(
    std::string const& name, std::string_view target, TreePolicy const& policy);
// An entry of this mode (file type and permission bits): device nodes, fifos, sockets, setid.
std::optional<std::string> mode_violation(
    std::string const& name, mode_t mode, TreePolicy const& policy);
// An extended attribute: file capabilities (security.capability) unless setid is allowed, the
// rest of "security." and every "trusted." (host-side meanings: LSM labels, IMA/EVM, overlayfs).
std::optional<std::string> xattr_violation(
    std::string const& name, std::string_view xattr, TreePolicy const& policy);

// Walks a received dataset (never following a link) and refuses what the rules refuse, plus a
// dataset that is not "root/" and only that: a directory "root" and nothing else at its top.
ImgResult<void> check_dataset_tree(std::string const& dataset_dir, TreePolicy const& policy);

} // namespace lumos::image::detail
