// SPDX-License-Identifier: MPL-2.0
#include "image/detail/btrfs_stream.hpp"

#include "image/detail/decompress.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::image::detail {

namespace {

constexpr std::string_view MAGIC { "btrfs-stream\0", 13 };
constexpr size_t STREAM_HEADER = 17; // magic + u32 version
constexpr size_t COMMAND_HEADER = 10; // u32 len, u16 cmd, u32 crc
constexpr size_t MAX_COMMAND_V1 = size_t { 64 } * 1024; // kernel-shared/send.h, header included
constexpr size_t MAX_COMMAND_V2
    = size_t { 1024 } * 1024; // send buffers are 16 KiB + 128 KiB (+ pages)
constexpr size_t MAX_PATH = 4095;
constexpr size_t MAX_NAME = 255;
constexpr size_t MAX_TRACKED = size_t { 4 } * 1024 * 1024; // directories and symlinks of one stream

// Commands (kernel-shared/send.h).
enum Command : uint16_t {
    C_SUBVOL = 1,
    C_SNAPSHOT = 2,
    C_MKFILE = 3,
    C_MKDIR = 4,
    C_MKNOD = 5,
    C_MKFIFO = 6,
    C_MKSOCK = 7,
    C_SYMLINK = 8,
    C_RENAME = 9,
    C_LINK = 10,
    C_UNLINK = 11,
    C_RMDIR = 12,
    C_SET_XATTR = 13,
    C_REMOVE_XATTR = 14,
    C_WRITE = 15,
    C_CLONE = 16,
    C_TRUNCATE = 17,
    C_CHMOD = 18,
    C_CHOWN = 19,
    C_UTIMES = 20,
    C_END = 21,
    C_UPDATE_EXTENT = 22,
    C_MAX_V1 = 22,
    C_FALLOCATE = 23,
    C_FILEATTR = 24,
    C_ENCODED_WRITE = 25,
    C_MAX_V2 = 25,
};

// Attributes.
enum Attribute : uint16_t {
    A_UUID = 1,
    A_CTRANSID = 2,
    A_INO = 3,
    A_SIZE = 4,
    A_MODE = 5,
    A_UID = 6,
    A_GID = 7,
    A_RDEV = 8,
    A_CTIME = 9,
    A_MTIME = 10,
    A_ATIME = 11,
    A_OTIME = 12,
    A_XATTR_NAME = 13,
    A_XATTR_DATA = 14,
    A_PATH = 15,
    A_PATH_TO = 16,
    A_PATH_LINK = 17,
    A_FILE_OFFSET = 18,
    A_DATA = 19,
    A_CLONE_UUID = 20,
    A_CLONE_CTRANSID = 21,
    A_CLONE_PATH = 22,
    A_CLONE_OFFSET = 23,
    A_CLONE_LEN = 24,
    A_MAX_V1 = 24,
    A_FALLOCATE_MODE = 25,
    A_FILEATTR = 26,
    A_UNENCODED_FILE_LEN = 27,
    A_UNENCODED_LEN = 28,
    A_UNENCODED_OFFSET = 29,
    A_COMPRESSION = 30,
    A_ENCRYPTION = 31,
    A_MAX_V2 = 31,
};

// FS_IMMUTABLE_FL, FS_APPEND_FL: a file nobody in the zone (nor imgadm) could change or remove.
constexpr uint64_t FORBIDDEN_FILE_FLAGS = 0x10 | 0x20;
constexpr uint32_t MAX_COMPRESSION = 7; // none, zlib, zstd, lzo 4k..64k

char const* command_name(uint16_t type)
{
    static constexpr char const* NAMES[] = { "unspec", "subvol", "snapshot", "mkfile", "mkdir",
        "mknod", "mkfifo", "mksock", "symlink", "rename", "link", "unlink", "rmdir", "set_xattr",
        "remove_xattr", "write", "clone", "truncate", "chmod", "chown", "utimes", "end",
        "update_extent", "fallocate", "fileattr", "encoded_write" };
    return type < std::size(NAMES) ? NAMES[type] : "unknown";
}

uint16_t le16(char const* p)
{
    auto const* b = reinterpret_cast<unsigned char const*>(p);
    return static_cast<uint16_t>(b[0] | (b[1] << 8));
}

uint32_t le32(char const* p)
{
    auto const* b = reinterpret_cast<unsigned char const*>(p);
    return static_cast<uint32_t>(b[0]) | (static_cast<uint32_t>(b[1]) << 8)
        | (static_cast<uint32_t>(b[2]) << 16) | (static_cast<uint32_t>(b[3]) << 24);
}

uint64_t le64(char const* p)
{
    return static_cast<uint64_t>(le32(p)) | (static_cast<uint64_t>(le32(p + 4)) << 32);
}

constexpr std::array<uint32_t, 256> make_crc_table()
{
    std::array<uint32_t, 256> table {};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t crc = i;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x82F63B78U : crc >> 1;
        }
        table[i] = crc;
    }
    return table;
}

constexpr std::array<uint32_t, 256> CRC_TABLE = make_crc_table();

} // namespace

uint32_t btrfs_crc32c(uint32_t seed, void const* data, size_t size)
{
    auto const* bytes = static_cast<unsigned char const*>(data);
    uint32_t crc = seed;
    for (size_t i = 0; i < size; ++i) {
        crc = CRC_TABLE[(crc ^ bytes[i]) & 0xffU] ^ (crc >> 8);
    }
    return crc;
}

// One command's attributes, each at most once.
struct BtrfsStreamChecker::Attributes {
    std::array<std::optional<std::string_view>, A_MAX_V2 + 1> values {};
};

BtrfsStreamChecker::BtrfsStreamChecker(TreePolicy policy)
    : m_policy(policy)
{
}

ImgResult<void> BtrfsStreamChecker::refuse(std::string const& message)
{
    m_error = ImgError { ImgCode::InvalidImageFile,
        "invalid image file: btrfs send stream: " + message };
    m_pending.clear();
    return tl::unexpected(*m_error);
}

ImgResult<void> BtrfsStreamChecker::feed(std::string_view bytes)
{
    if (m_error) {
        return tl::unexpected(*m_error);
    }
    m_pending.append(bytes);
    size_t pos = 0;
    auto const available = [&]() { return m_pending.size() - pos; };
    ImgResult<void> result;
    for (;;) {
        if (!m_header_done) {
            size_t const have = std::min(available(), MAGIC.size());
            if (std::string_view(m_pending).substr(pos, have) != MAGIC.substr(0, have)) {
                return refuse("no \"btrfs-stream\" header");
            }
            if (available() < STREAM_HEADER) {
                break;
            }
            m_version = le32(m_pending.data() + pos + MAGIC.size());
            if (m_version != 1 && m_version != 2) {
                return refuse("version " + std::to_string(m_version) + " (1 and 2 are known)");
            }
            m_ready.append(m_pending, pos, STREAM_HEADER);
            pos += STREAM_HEADER;
            m_header_done = true;
            continue;
        }
        if (m_ended) {
            if (available() > 0) {
                return refuse("data after the end command");
            }
            break;
        }
        if (available() < COMMAND_HEADER) {
            break;
        }
        uint64_t const total = COMMAND_HEADER + uint64_t { le32(m_pending.data() + pos) };
        size_t const limit = m_version == 1 ? MAX_COMMAND_V1 : MAX_COMMAND_V2;
        if (total > limit) {
            return refuse("command " + std::to_string(m_commands + 1) + " is "
                + std::to_string(total) + " bytes long (at most " + std::to_string(limit)
                + " in a version " + std::to_string(m_version) + " stream)");
        }
        if (available() < total) {
            break;
        }
        std::string_view const whole(m_pending.data() + pos, static_cast<size_t>(total));
        ++m_commands;
        auto checked = command(whole);
        if (!checked) {
            return checked;
        }
        m_ready.append(whole);
        pos += static_cast<size_t>(total);
    }
    m_pending.erase(0, pos);
    return result;
}

ImgResult<void> BtrfsStreamChecker::finish()
{
    if (m_error) {
        return tl::unexpected(*m_error);
    }
    if (!m_header_done) {
        return refuse("the stream ends inside its header");
    }
    if (!m_pending.empty()) {
        return refuse(
            "the stream ends inside command " + std::to_string(m_commands + 1) + " (truncated)");
    }
    if (!m_ended) {
        return refuse("the stream ends before its end command (truncated)");
    }
    return {};
}

ImgResult<void> BtrfsStreamChecker::command(std::string_view whole)
{
    uint16_t const type = le16(whole.data() + 4);
    std::string const where
        = "command " + std::to_string(m_commands) + " (" + command_name(type) + "): ";
    // CRC over the command with its crc field zero.
    std::array<char, COMMAND_HEADER> header {};
    std::memcpy(header.data(), whole.data(), COMMAND_HEADER);
    uint32_t const stored = le32(header.data() + 6);
    std::memset(header.data() + 6, 0, 4);
    uint32_t crc = btrfs_crc32c(0, header.data(), header.size());
    crc = btrfs_crc32c(crc, whole.data() + COMMAND_HEADER, whole.size() - COMMAND_HEADER);
    if (crc != stored) {
        return refuse(where + "bad checksum");
    }
    uint16_t const max_command = m_version == 1 ? C_MAX_V1 : C_MAX_V2;
    if (type == 0 || type > max_command) {
        return refuse("command " + std::to_string(m_commands) + " has the unknown type "
            + std::to_string(type) + " (in a version " + std::to_string(m_version) + " stream)");
    }

    Attributes attributes;
    std::string_view payload = whole.substr(COMMAND_HEADER);
    uint16_t const max_attribute = m_version == 1 ? A_MAX_V1 : A_MAX_V2;
    while (!payload.empty()) {
        if (payload.size() < 2) {
            return refuse(where + "truncated attribute");
        }
        uint16_t const attribute = le16(payload.data());
        payload.remove_prefix(2);
        if (attribute == 0 || attribute > max_attribute) {
            return refuse(where + "unknown attribute " + std::to_string(attribute));
        }
        if (attributes.values[attribute]) {
            return refuse(where + "attribute " + std::to_string(attribute) + " given twice");
        }
        size_t length = 0;
        if (m_version >= 2 && attribute == A_DATA) {
            length = payload.size(); // the rest of the command
        } else {
            if (payload.size() < 2) {
                return refuse(where + "truncated attribute");
            }
            length = le16(payload.data());
            payload.remove_prefix(2);
            if (length > payload.size()) {
                return refuse(where + "attribute " + std::to_string(attribute)
                    + " runs past the end of its command");
            }
        }
        attributes.values[attribute] = payload.substr(0, length);
        payload.remove_prefix(length);
    }
    if (type != C_SUBVOL && type != C_SNAPSHOT && !m_have_subvol) {
        return refuse(where + "before the subvolume");
    }
    if (auto why = apply(type, attributes)) {
        return refuse(where + *why);
    }
    return {};
}

std::optional<std::string> BtrfsStreamChecker::path_violation(
    std::string_view path, bool root_ok, bool follows) const
{
    std::string const quoted = "\"" + std::string(path) + "\"";
    if (path.empty()) {
        return root_ok ? std::nullopt : std::optional<std::string>("empty path");
    }
    if (path.size() > MAX_PATH) {
        return "path of " + std::to_string(path.size()) + " bytes (at most "
            + std::to_string(MAX_PATH) + ")";
    }
    if (path.front() == '/') {
        return "path " + quoted + " is absolute";
    }
    size_t start = 0;
    for (;;) {
        size_t end = path.find('/', start);
        std::string_view const part = path.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (part.empty() || part == "." || part == "..") {
            return "path " + quoted + " has an empty, \".\" or \"..\" component";
        }
        if (part.size() > MAX_NAME) {
            return "path " + quoted + " has a component longer than " + std::to_string(MAX_NAME)
                + " bytes";
        }
        if (end == std::string_view::npos) {
            break;
        }
        auto kind = m_kinds.find(path.substr(0, end));
        if (kind != m_kinds.end() && kind->second == Kind::Symlink) {
            return "path " + quoted + " goes through the symlink \""
                + std::string(path.substr(0, end)) + "\"";
        }
        start = end + 1;
    }
    if (follows) {
        auto kind = m_kinds.find(path);
        if (kind != m_kinds.end() && kind->second == Kind::Symlink) {
            return "path " + quoted + " is a symlink, which this command would follow";
        }
    }
    return std::nullopt;
}

void BtrfsStreamChecker::forget(std::string_view path)
{
    auto it = m_kinds.lower_bound(path);
    while (it != m_kinds.end() && std::string_view(it->first).starts_with(path)) {
        if (it->first.size() == path.size() || it->first[path.size()] == '/') {
            it = m_kinds.erase(it);
        } else {
            ++it;
        }
    }
}

// NOLINTNEXTLINE(readability-function-size): one case per command type; to be split per family
std::optional<std::string> BtrfsStreamChecker::apply(uint16_t type, Attributes const& attributes)
{
    std::optional<std::string> missing;
    auto raw = [&](Attribute attribute) -> std::string_view {
        if (!attributes.values[attribute]) {
            if (!missing) {
                missing = "attribute " + std::to_string(attribute) + " is missing";
            }
            return std::string_view();
        }
        return *attributes.values[attribute];
    };
    auto sized = [&](Attribute attribute, size_t size) -> char const* {
        std::string_view value = raw(attribute);
        if (missing) {
            return nullptr;
        }
        if (value.size() != size) {
            missing = "attribute " + std::to_string(attribute) + " has "
                + std::to_string(value.size()) + " bytes, not " + std::to_string(size);
            return nullptr;
        }
        return value.data();
    };
    auto u64 = [&](Attribute attribute) -> uint64_t {
        char const* p = sized(attribute, 8);
        return p != nullptr ? le64(p) : 0;
    };
    auto u32 = [&](Attribute attribute) -> uint32_t {
        char const* p = sized(attribute, 4);
        return p != nullptr ? le32(p) : 0;
    };
    auto string = [&](Attribute attribute) -> std::string_view {
        std::string_view value = raw(attribute);
        if (!missing && value.find('\0') != std::string_view::npos) {
            missing = "attribute " + std::to_string(attribute) + " has a NUL byte";
        }
        return value;
    };
    auto failed = [&]() -> std::optional<std::string> { return missing; };
    auto bad_path = [&](std::string_view path, bool root_ok, bool follows) {
        return path_violation(path, root_ok, follows);
    };
    auto refused = [](std::optional<std::string> why) { return why; };
    auto track = [&](std::string_view path, Kind kind) -> std::optional<std::string> {
        if (m_kinds.size() >= MAX_TRACKED) {
            return std::optional<std::string>(
                "more than " + std::to_string(MAX_TRACKED) + " directories and symlinks");
        }
        m_kinds.insert_or_assign(std::string(path), kind);
        return std::nullopt;
    };
    // The commands that make an entry: path new, not under a symlink, not over a known entry.
    auto new_entry = [&](std::string_view path) -> std::optional<std::string> {
        if (auto why = bad_path(path, false, false)) {
            return why;
        }
        if (m_kinds.find(path) != m_kinds.end()) {
            return "path \"" + std::string(path) + "\" already exists";
        }
        return std::nullopt;
    };

    switch (type) {
    case C_SUBVOL: {
        std::string_view const path = string(A_PATH);
        char const* uuid = sized(A_UUID, 16);
        (void)u64(A_CTRANSID);
        if (missing) {
            return failed();
        }
        if (m_have_subvol) {
            return std::optional<std::string>("a second subvolume (one image is one subvolume)");
        }
        if (path.empty() || path.size() > MAX_NAME || path.find('/') != std::string_view::npos
            || path == "." || path == "..") {
            return std::optional<std::string>(
                "subvolume name \"" + std::string(path) + "\" is not a single file name");
        }
        std::memcpy(m_uuid.data(), uuid, m_uuid.size());
        m_have_subvol = true;
        return track("", Kind::Directory);
    }
    case C_SNAPSHOT:
        return std::optional<std::string>(
            "an incremental stream (a snapshot of a parent subvolume that receive "
            "would look up by uuid on the whole filesystem); images are full "
            "streams");
    case C_MKFILE:
    case C_MKDIR:
    case C_MKNOD:
    case C_MKFIFO:
    case C_MKSOCK:
    case C_SYMLINK: {
        std::string_view const path = string(A_PATH);
        (void)u64(A_INO);
        uint64_t mode = 0;
        std::string_view target;
        if (type == C_MKNOD) {
            mode = u64(A_MODE);
            (void)u64(A_RDEV);
        } else if (type == C_SYMLINK) {
            target = string(A_PATH_LINK);
        }
        if (missing) {
            return failed();
        }
        if (auto why = new_entry(path)) {
            return refused(why);
        }
        std::string const name(path);
        if (type == C_MKNOD) {
            auto const file_type = static_cast<mode_t>(mode) & S_IFMT;
            mode_t const as_node = file_type == S_IFCHR || file_type == S_IFBLK
                    || file_type == S_IFIFO || file_type == S_IFSOCK
                ? file_type
                : S_IFCHR; // mknod of anything else: still a node
            return refused(mode_violation(name, as_node, m_policy));
        }
        if (type == C_MKFIFO) {
            return refused(mode_violation(name, S_IFIFO, m_policy));
        }
        if (type == C_MKSOCK) {
            return refused(mode_violation(name, S_IFSOCK, m_policy));
        }
        if (type == C_SYMLINK) {
            if (auto why = symlink_target_violation(name, target, m_policy)) {
                return refused(why);
            }
            if (target.size() > MAX_PATH) {
                return std::optional<std::string>("symlink \"" + name + "\" has too long a target");
            }
            return track(path, Kind::Symlink);
        }
        if (type == C_MKDIR) {
            return track(path, Kind::Directory);
        }
        return std::nullopt;
    }
    case C_RENAME: {
        std::string_view const from = string(A_PATH);
        std::string_view const to = string(A_PATH_TO);
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(from, false, false)) {
            return refused(why);
        }
        if (auto why = bad_path(to, false, false)) {
            return refused(why);
        }
        if (to.size() > from.size() && to.starts_with(from) && to[from.size()] == '/') {
            return std::optional<std::string>(
                "rename of \"" + std::string(from) + "\" into itself");
        }
        if (from.size() > to.size() && from.starts_with(to) && from[to.size()] == '/') {
            return "rename of \"" + std::string(from) + "\" over a directory above it";
        }
        if (from == to) {
            return std::nullopt;
        }
        forget(to);
        std::vector<std::pair<std::string, Kind>> moved;
        for (auto it = m_kinds.lower_bound(from);
             it != m_kinds.end() && std::string_view(it->first).starts_with(from);) {
            if (it->first.size() == from.size() || it->first[from.size()] == '/') {
                moved.emplace_back(std::string(to) + it->first.substr(from.size()), it->second);
                it = m_kinds.erase(it);
            } else {
                ++it;
            }
        }
        for (auto& [path, kind] : moved) {
            m_kinds.insert_or_assign(std::move(path), kind);
        }
        return std::nullopt;
    }
    case C_LINK: {
        std::string_view const path = string(A_PATH);
        std::string_view const existing = string(A_PATH_LINK);
        if (missing) {
            return failed();
        }
        if (auto why = new_entry(path)) {
            return refused(why);
        }
        if (auto why = bad_path(existing, false, false)) {
            return refused(why);
        }
        auto kind = m_kinds.find(existing);
        if (kind != m_kinds.end()) {
            if (kind->second == Kind::Directory) {
                return std::optional<std::string>("hard link \"" + std::string(path)
                    + "\" to the directory \"" + std::string(existing) + "\"");
            }
            return track(path, kind->second);
        }
        return std::nullopt;
    }
    case C_UNLINK:
    case C_RMDIR: {
        std::string_view const path = string(A_PATH);
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, false, false)) {
            return refused(why);
        }
        forget(path);
        return std::nullopt;
    }
    case C_SET_XATTR:
    case C_REMOVE_XATTR: {
        std::string_view const path = string(A_PATH);
        std::string_view const xattr = string(A_XATTR_NAME);
        if (type == C_SET_XATTR) {
            (void)raw(A_XATTR_DATA);
        }
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, true, false)) { // lsetxattr, lremovexattr
            return refused(why);
        }
        if (xattr.empty()) {
            return std::optional<std::string>("an extended attribute without a name");
        }
        if (type == C_SET_XATTR) {
            std::string const name = path.empty() ? "." : std::string(path);
            if (auto why = xattr_violation(name, xattr, m_policy)) {
                return refused(why);
            }
        }
        return std::nullopt;
    }
    case C_WRITE:
    case C_TRUNCATE:
    case C_UPDATE_EXTENT:
    case C_FALLOCATE: {
        std::string_view const path = string(A_PATH);
        if (type == C_WRITE) {
            (void)u64(A_FILE_OFFSET);
            (void)raw(A_DATA);
        } else if (type == C_TRUNCATE) {
            (void)u64(A_SIZE);
        } else if (type == C_UPDATE_EXTENT) {
            (void)u64(A_FILE_OFFSET);
            (void)u64(A_SIZE);
        } else {
            (void)u32(A_FALLOCATE_MODE);
            (void)u64(A_FILE_OFFSET);
            (void)u64(A_SIZE);
        }
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, false, true)) {
            return refused(why);
        }
        return std::nullopt;
    }
    case C_CLONE: {
        std::string_view const path = string(A_PATH);
        (void)u64(A_FILE_OFFSET);
        (void)u64(A_CLONE_LEN);
        char const* uuid = sized(A_CLONE_UUID, 16);
        (void)u64(A_CLONE_CTRANSID);
        std::string_view const source = string(A_CLONE_PATH);
        (void)u64(A_CLONE_OFFSET);
        if (missing) {
            return failed();
        }
        if (std::memcmp(uuid, m_uuid.data(), m_uuid.size()) != 0) {
            return std::optional<std::string>("clone of \"" + std::string(path)
                + "\" from another subvolume (only the stream's own is allowed)");
        }
        if (auto why = bad_path(path, false, true)) {
            return refused(why);
        }
        if (auto why = bad_path(source, false, true)) {
            return refused(why);
        }
        return std::nullopt;
    }
    case C_CHMOD: {
        std::string_view const path = string(A_PATH);
        uint64_t const mode = u64(A_MODE);
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, true, true)) {
            return refused(why);
        }
        auto kind = m_kinds.find(path);
        bool const directory = kind != m_kinds.end() && kind->second == Kind::Directory;
        auto const as_entry = static_cast<mode_t>((directory ? S_IFDIR : S_IFREG) | (mode & 07777));
        if (auto why = mode_violation(path.empty() ? "." : std::string(path), as_entry, m_policy)) {
            return refused(why);
        }
        return std::nullopt;
    }
    case C_CHOWN:
    case C_UTIMES: {
        std::string_view const path = string(A_PATH);
        if (type == C_CHOWN) {
            (void)u64(A_UID);
            (void)u64(A_GID);
        } else {
            (void)sized(A_ATIME, 12);
            (void)sized(A_MTIME, 12);
            (void)sized(A_CTIME, 12);
        }
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, true, false)) { // lchown, utimensat(AT_SYMLINK_NOFOLLOW)
            return refused(why);
        }
        return std::nullopt;
    }
    case C_END:
        m_ended = true;
        return std::nullopt;
    case C_FILEATTR: {
        std::string_view const path = string(A_PATH);
        uint64_t const flags = u64(A_FILEATTR);
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, true, true)) {
            return refused(why);
        }
        if ((flags & FORBIDDEN_FILE_FLAGS) != 0) {
            return std::optional<std::string>(
                "\"" + std::string(path) + "\" would be immutable or append-only");
        }
        return std::nullopt;
    }
    case C_ENCODED_WRITE: {
        std::string_view const path = string(A_PATH);
        (void)u64(A_FILE_OFFSET);
        (void)u64(A_UNENCODED_FILE_LEN);
        (void)u64(A_UNENCODED_LEN);
        (void)u64(A_UNENCODED_OFFSET);
        uint32_t const compression = attributes.values[A_COMPRESSION] ? u32(A_COMPRESSION) : 0;
        uint32_t const encryption = attributes.values[A_ENCRYPTION] ? u32(A_ENCRYPTION) : 0;
        (void)raw(A_DATA);
        if (missing) {
            return failed();
        }
        if (auto why = bad_path(path, false, true)) {
            return refused(why);
        }
        if (encryption != 0 || compression > MAX_COMPRESSION) {
            return std::optional<std::string>(
                "an encoded write with unknown compression or encryption");
        }
        return std::nullopt;
    }
    default:
        return std::optional<std::string>("unknown command");
    }
}

ImgResult<CheckedRelay> CheckedRelay::start(std::string_view head, int input, TreePolicy policy)
{
    CheckedRelay relay;
    relay.m_state = std::make_unique<State>();
    State& state = *relay.m_state;
    state.head = std::string(head);
    state.input = input;
    TRY_ASSIGN(pipe, make_relay_pipe());
    state.read_end = std::move(pipe.read_end);
    state.relay = std::thread([&state, policy, out = std::move(pipe.write_end)]() {
        block_sigpipe_in_this_thread();
        BtrfsStreamChecker checker(policy);
        auto pass = [&](std::string_view bytes) -> bool {
            auto fed = checker.feed(bytes);
            if (!fed) {
                state.verdict = tl::unexpected(fed.error());
                return false;
            }
            std::string& ready = checker.ready();
            bool written = write_fully(out.get(), ready.data(), ready.size());
            ready.clear();
            return written; // false: the reader went away; its error says why
        };
        if (!pass(state.head)) {
            return;
        }
        std::vector<char> buffer(size_t { 1024 } * 1024);
        for (;;) {
            ssize_t n = ::read(state.input, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                state.verdict = img_error(
                    ImgCode::FileSystem, std::string("read image file: ") + std::strerror(errno));
                return;
            }
            if (n == 0) {
                state.verdict = checker.finish();
                return;
            }
            if (!pass(std::string_view(buffer.data(), static_cast<size_t>(n)))) {
                return;
            }
        }
    });
    return relay;
}

CheckedRelay::~CheckedRelay()
{
    if (m_state) {
        (void)finish();
    }
}

ImgResult<void> CheckedRelay::finish()
{
    m_state->read_end = UniqueFd(); // the relay's writes fail with EPIPE
    if (m_state->relay.joinable()) {
        m_state->relay.join();
    }
    return m_state->verdict;
}

} // namespace lumos::image::detail
