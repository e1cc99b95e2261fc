// SPDX-License-Identifier: MPL-2.0
// A btrfs send stream encoder for tests (kernel-shared/send.h): well-formed streams carrying
// whatever commands a test wants — the hostile ones included — with their CRC32C, and raw
// commands for malformed ones. Its CRC is computed bit by bit, independently of the product's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lumos::test {

class SendStreamBuilder {
public:
    // Command and attribute numbers (kernel-shared/send.h).
    enum Cmd : uint16_t {
        SUBVOL = 1,
        SNAPSHOT = 2,
        MKFILE = 3,
        MKDIR = 4,
        MKNOD = 5,
        MKFIFO = 6,
        MKSOCK = 7,
        SYMLINK = 8,
        RENAME = 9,
        LINK = 10,
        UNLINK = 11,
        RMDIR = 12,
        SET_XATTR = 13,
        REMOVE_XATTR = 14,
        WRITE = 15,
        CLONE = 16,
        TRUNCATE = 17,
        CHMOD = 18,
        CHOWN = 19,
        UTIMES = 20,
        END = 21,
        UPDATE_EXTENT = 22,
        FALLOCATE = 23,
        FILEATTR = 24,
        ENCODED_WRITE = 25,
    };
    enum Attr : uint16_t {
        UUID = 1,
        CTRANSID = 2,
        INO = 3,
        SIZE = 4,
        MODE = 5,
        UID = 6,
        GID = 7,
        RDEV = 8,
        CTIME = 9,
        MTIME = 10,
        ATIME = 11,
        XATTR_NAME = 13,
        XATTR_DATA = 14,
        PATH = 15,
        PATH_TO = 16,
        PATH_LINK = 17,
        FILE_OFFSET = 18,
        DATA = 19,
        CLONE_UUID = 20,
        CLONE_CTRANSID = 21,
        CLONE_PATH = 22,
        CLONE_OFFSET = 23,
        CLONE_LEN = 24,
        FILEATTR_FLAGS = 26,
    };

    explicit SendStreamBuilder(uint32_t version = 1)
        : m_version(version)
    {
        m_bytes.assign("btrfs-stream\0", 13);
        m_bytes += le(version, 4);
    }

    static std::string le(uint64_t value, int bytes)
    {
        std::string out;
        for (int i = 0; i < bytes; ++i) {
            out += static_cast<char>((value >> (8 * i)) & 0xff);
        }
        return out;
    }
    static std::string tlv(uint16_t type, std::string_view value)
    {
        return le(type, 2) + le(value.size(), 2) + std::string(value);
    }
    static std::string u64(uint16_t type, uint64_t value) { return tlv(type, le(value, 8)); }
    static std::string uuid_of(char fill) { return std::string(16, fill); }

    static uint32_t crc32c(std::string_view data)
    {
        uint32_t crc = 0; // btrfs: seed 0, no inversion
        for (unsigned char c : data) {
            crc ^= c;
            for (int bit = 0; bit < 8; ++bit) {
                crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x82F63B78U : crc >> 1;
            }
        }
        return crc;
    }

    // One command of these attribute bytes; `crc` overrides the right one.
    SendStreamBuilder& command(
        uint16_t cmd, std::string const& payload, std::optional<uint32_t> crc = std::nullopt)
    {
        std::string header = le(payload.size(), 4) + le(cmd, 2) + le(0, 4);
        uint32_t value = crc ? *crc : crc32c(header + payload);
        m_bytes += header.substr(0, 6) + le(value, 4) + payload;
        return *this;
    }

    SendStreamBuilder& subvol(std::string const& name, std::string const& uuid = uuid_of('\x11'))
    {
        return command(SUBVOL, tlv(PATH, name) + tlv(UUID, uuid) + u64(CTRANSID, 7));
    }
    SendStreamBuilder& snapshot(std::string const& name, std::string const& uuid,
        std::string const& parent_uuid, uint64_t parent_ctransid)
    {
        return command(SNAPSHOT,
            tlv(PATH, name) + tlv(UUID, uuid) + u64(CTRANSID, 9) + tlv(CLONE_UUID, parent_uuid)
                + u64(CLONE_CTRANSID, parent_ctransid));
    }
    SendStreamBuilder& make(uint16_t cmd, std::string const& path)
    {
        return command(cmd, tlv(PATH, path) + u64(INO, ++m_ino));
    }
    SendStreamBuilder& mkdir(std::string const& path) { return make(MKDIR, path); }
    SendStreamBuilder& mkfile(std::string const& path) { return make(MKFILE, path); }
    SendStreamBuilder& mknod(std::string const& path, uint64_t mode, uint64_t rdev)
    {
        return command(
            MKNOD, tlv(PATH, path) + u64(INO, ++m_ino) + u64(MODE, mode) + u64(RDEV, rdev));
    }
    SendStreamBuilder& symlink(std::string const& path, std::string const& target)
    {
        return command(SYMLINK, tlv(PATH, path) + u64(INO, ++m_ino) + tlv(PATH_LINK, target));
    }
    SendStreamBuilder& rename(std::string const& from, std::string const& to)
    {
        return command(RENAME, tlv(PATH, from) + tlv(PATH_TO, to));
    }
    SendStreamBuilder& link(std::string const& path, std::string const& existing)
    {
        return command(LINK, tlv(PATH, path) + tlv(PATH_LINK, existing));
    }
    SendStreamBuilder& unlink(std::string const& path) { return command(UNLINK, tlv(PATH, path)); }
    SendStreamBuilder& write(std::string const& path, uint64_t offset, std::string const& data)
    {
        if (m_version >= 2) { // DATA last, without a length
            return command(WRITE, tlv(PATH, path) + u64(FILE_OFFSET, offset) + le(DATA, 2) + data);
        }
        return command(WRITE, tlv(PATH, path) + u64(FILE_OFFSET, offset) + tlv(DATA, data));
    }
    SendStreamBuilder& truncate(std::string const& path, uint64_t size)
    {
        return command(TRUNCATE, tlv(PATH, path) + u64(SIZE, size));
    }
    SendStreamBuilder& chmod(std::string const& path, uint64_t mode)
    {
        return command(CHMOD, tlv(PATH, path) + u64(MODE, mode));
    }
    SendStreamBuilder& chown(std::string const& path, uint64_t uid, uint64_t gid)
    {
        return command(CHOWN, tlv(PATH, path) + u64(UID, uid) + u64(GID, gid));
    }
    SendStreamBuilder& set_xattr(
        std::string const& path, std::string const& name, std::string const& value)
    {
        return command(SET_XATTR, tlv(PATH, path) + tlv(XATTR_NAME, name) + tlv(XATTR_DATA, value));
    }
    SendStreamBuilder& clone(std::string const& path, uint64_t offset, uint64_t length,
        std::string const& from_uuid, uint64_t from_ctransid, std::string const& from_path)
    {
        return command(CLONE,
            tlv(PATH, path) + u64(FILE_OFFSET, offset) + u64(CLONE_LEN, length)
                + tlv(CLONE_UUID, from_uuid) + u64(CLONE_CTRANSID, from_ctransid)
                + tlv(CLONE_PATH, from_path) + u64(CLONE_OFFSET, 0));
    }
    SendStreamBuilder& fileattr(std::string const& path, uint64_t flags)
    {
        return command(FILEATTR, tlv(PATH, path) + u64(FILEATTR_FLAGS, flags));
    }
    SendStreamBuilder& end() { return command(END, ""); }

    // A small zone root: root/, root/etc/, root/etc/motd ("hello"), as send names them (made
    // under temporary names, then renamed).
    SendStreamBuilder& small_root()
    {
        chown("", 0, 0).chmod("", 0755);
        mkdir("o257-7-0").rename("o257-7-0", "root").chmod("root", 0755);
        mkdir("o258-7-0").rename("o258-7-0", "root/etc").chmod("root/etc", 02775);
        mkfile("o259-7-0").rename("o259-7-0", "root/etc/motd");
        return write("root/etc/motd", 0, "hello").chmod("root/etc/motd", 0644);
    }

    std::string const& bytes() const { return m_bytes; }
    uint32_t version() const { return m_version; }

private:
    uint32_t m_version;
    uint64_t m_ino { 256 };
    std::string m_bytes;
};

} // namespace lumos::test
