// SPDX-License-Identifier: MPL-2.0
// Private to the image store: a btrfs send stream (an image file) checked command by command
// before `btrfs receive` sees it. The stream is decoded as btrfs-progs' receive decodes it
// (common/send-stream.c; format in kernel-shared/send.h) and held to the image rules of
// tree_policy.hpp plus what a receive could otherwise reach outside its new subvolume:
//
// - a header "btrfs-stream\0" with version 1 or 2, then commands {u32 len, u16 cmd, u32 crc32c
//   over the command with crc 0} of TLV attributes {u16 type, u16 len} (in v2 the DATA attribute
//   has no length and runs to the end of its command), each command at most 64 KiB in v1, 1 MiB
//   in v2, its CRC checked, no attribute twice, no NUL in a string, sizes exact;
// - exactly one SUBVOL first (a full stream; SNAPSHOT — an incremental stream whose parent
//   receive finds by uuid anywhere on the filesystem — is refused), END last, nothing after;
// - every path relative, of non-empty components other than "." and "..", at most 4095 bytes
//   (255 a component), never below a symlink the stream made, never a symlink itself for a
//   command that would follow it (write, truncate, chmod, clone, ...); "" (the subvolume's root)
//   only where receive acts on an existing inode (chown, chmod, utimes, xattrs);
// - CLONE only from the stream's own subvolume (clone uuid = the SUBVOL's uuid);
// - no device nodes, fifos or sockets; chmod setuid/setgid only on directories unless allowed;
//   symlink targets and xattrs per TreePolicy; FILEATTR never immutable or append-only;
//   ENCODED_WRITE never encrypted; unknown commands and attributes refused.
//
// Where a relative symlink points depends on the name it ends up with (send makes entries under
// temporary names and renames them), so that rule is left to check_dataset_tree() after receive.
#pragma once

#include "base/file.hpp"
#include "image/detail/tree_policy.hpp"
#include "image/errors.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace lumos::image::detail {

// CRC-32C (Castagnoli) as btrfs computes it: seed 0, no final inversion.
uint32_t btrfs_crc32c(uint32_t seed, void const* data, size_t size);

class BtrfsStreamChecker {
public:
    explicit BtrfsStreamChecker(TreePolicy policy);

    // Takes the next bytes of the stream. Complete, checked commands (and the header) are
    // appended to ready(); an incomplete one is kept until its last byte arrives. The first
    // violation is returned (InvalidImageFile) and every later call repeats it.
    ImgResult<void> feed(std::string_view bytes);
    // At the end of the stream: refused when it stops before its END command.
    ImgResult<void> finish();

    // Checked bytes not yet taken.
    std::string& ready() { return m_ready; }
    bool ended() const { return m_ended; }

private:
    enum class Kind : uint8_t { Directory, Symlink };
    struct Attributes;
    ImgResult<void> command(std::string_view whole);
    // Why the command is refused; nullopt when it is fine (and then recorded).
    std::optional<std::string> apply(uint16_t type, Attributes const& attributes);
    // Why a path is refused; nullopt when it is fine. `root_ok`: "" (the subvolume) allowed;
    // `follows`: the command would follow a symlink at path.
    std::optional<std::string> path_violation(
        std::string_view path, bool root_ok, bool follows) const;
    void forget(std::string_view path); // path and everything below it
    ImgResult<void> refuse(std::string const& message);

    TreePolicy m_policy;
    uint32_t m_version { 0 };
    bool m_header_done { false };
    bool m_have_subvol { false };
    bool m_ended { false };
    uint64_t m_commands { 0 };
    std::array<unsigned char, 16> m_uuid {};
    std::string m_pending; // an incomplete header or command
    std::string m_ready;
    std::optional<ImgError> m_error;
    // Directories and symlinks the stream made, by path (a regular file is anything else).
    std::map<std::string, Kind, std::less<>> m_kinds;
};

// Copies a stream (head, then the rest of `input`) through a BtrfsStreamChecker into a pipe
// whose read end is fd(), for `btrfs receive`. Stops at the first violation (the reader then
// sees the stream end) or when the reader goes away.
class CheckedRelay {
public:
    static ImgResult<CheckedRelay> start(std::string_view head, int input, TreePolicy policy);
    CheckedRelay(CheckedRelay&&) noexcept = default;
    CheckedRelay& operator=(CheckedRelay&&) = delete;
    CheckedRelay(CheckedRelay const&) = delete;
    CheckedRelay& operator=(CheckedRelay const&) = delete;
    ~CheckedRelay();

    int fd() const { return m_state->read_end.get(); }
    // After the reader is done: the checker's verdict (a violation, a stream that stopped short)
    // or a read error of the input.
    ImgResult<void> finish();

private:
    CheckedRelay() = default;
    struct State {
        std::string head;
        int input { -1 };
        UniqueFd read_end;
        std::thread relay;
        ImgResult<void> verdict;
    };
    std::unique_ptr<State> m_state;
};

} // namespace lumos::image::detail
