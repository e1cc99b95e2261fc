// SPDX-License-Identifier: MPL-2.0
#include "storage/detail/journal_file.hpp"

#include "base/file.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::storage::detail {

namespace {

// Slot header: magic, generation, payload length, FNV-1a of the payload (little-endian u64s).
constexpr std::array<char, 8> MAGIC { 'l', 'u', 'm', 'o', 's', 'j', 'n', '1' };
constexpr size_t HEADER_SIZE = 32;
constexpr size_t MIN_SLOT = size_t { 256 } << 10;
constexpr size_t MAX_SLOT = size_t { 64 } << 20;

bool out_of_space(Error const& error)
{
    return error.errno_value() == ENOSPC || error.errno_value() == EDQUOT;
}

uint64_t fnv1a(std::string_view text)
{
    uint64_t hash = 14695981039346656037ULL;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
}

void put_u64(char* out, uint64_t value)
{
    for (size_t i = 0; i < 8; ++i) {
        out[i] = static_cast<char>((value >> (8 * i)) & 0xff);
    }
}

uint64_t get_u64(char const* in)
{
    uint64_t value = 0;
    for (size_t i = 0; i < 8; ++i) {
        value |= uint64_t { static_cast<unsigned char>(in[i]) } << (8 * i);
    }
    return value;
}

bool read_at(int fd, char* data, size_t size, off_t offset)
{
    while (size > 0) {
        auto got = ::pread(fd, data, size, offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return false;
        }
        data += got;
        size -= static_cast<size_t>(got);
        offset += got;
    }
    return true;
}

bool write_at(int fd, char const* data, size_t size, off_t offset)
{
    while (size > 0) {
        auto put = ::pwrite(fd, data, size, offset);
        if (put < 0 && errno == EINTR) {
            continue;
        }
        if (put <= 0) {
            return false;
        }
        data += put;
        size -= static_cast<size_t>(put);
        offset += put;
    }
    return true;
}

struct Slot {
    uint64_t generation { 0 };
    std::string text;
};

// The newest valid slot of the spare, if any.
std::optional<Slot> newest_slot(std::string const& path, uint64_t newer_than)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st { };
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return std::nullopt;
    }
    auto const slot_size = static_cast<size_t>(st.st_size) / 2;
    std::optional<Slot> best;
    for (size_t index = 0; index < 2 && slot_size > HEADER_SIZE; ++index) {
        std::array<char, HEADER_SIZE> header {};
        auto const offset = static_cast<off_t>(index * slot_size);
        if (!read_at(fd.get(), header.data(), header.size(), offset)
            || std::memcmp(header.data(), MAGIC.data(), MAGIC.size()) != 0) {
            continue;
        }
        auto const generation = get_u64(header.data() + 8);
        auto const length = get_u64(header.data() + 16);
        if (generation <= newer_than || (best && generation <= best->generation)
            || length > slot_size - HEADER_SIZE) {
            continue;
        }
        std::string text(static_cast<size_t>(length), '\0');
        if (!read_at(fd.get(), text.data(), text.size(), offset + static_cast<off_t>(HEADER_SIZE))
            || fnv1a(text) != get_u64(header.data() + 24)) {
            continue;
        }
        best = Slot { generation, std::move(text) };
    }
    return best;
}

uint64_t generation_of(Json const& json)
{
    auto it = json.find("generation");
    return it != json.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

} // namespace

JournalFile::JournalFile(std::string directory)
    : m_directory(std::move(directory))
{
}

Result<JournalFile::Loaded> JournalFile::read() const
{
    Loaded loaded;
    auto text = read_file(journal_path());
    if (text) {
        TRY_ASSIGN(json, parse_json(*text));
        loaded.generation = generation_of(json);
        loaded.json = std::move(json);
    } else if (text.error().errno_value() != ENOENT) {
        return tl::unexpected(std::move(text).error());
    }
    if (auto slot = newest_slot(spare_path(), loaded.generation)) {
        TRY_ASSIGN(json, parse_json(slot->text));
        loaded.generation = slot->generation;
        loaded.json = std::move(json);
    }
    return loaded;
}

Result<void> JournalFile::write(Json json, uint64_t generation) const
{
    json["generation"] = generation;
    auto const text = dump_compact(json) + "\n";
    auto written = write_file_atomic(journal_path(), text, 0600);
    if (written) {
        ensure_spare(text.size());
        return {};
    }
    if (!out_of_space(written.error())) {
        return written;
    }
    // The temp file of the failed replacement is gone already (replace_file removes it).
    if (auto spared = write_spare(text, generation); !spared) {
        return written;
    }
    return {};
}

Result<void> JournalFile::write_spare(std::string const& text, uint64_t generation) const
{
    auto const path = spare_path();
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    struct stat st { };
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
        return tl::unexpected(Error::from_errno("open " + path, errno));
    }
    auto const slot_size = static_cast<size_t>(st.st_size) / 2;
    if (!S_ISREG(st.st_mode) || slot_size < HEADER_SIZE + text.size()) {
        return tl::unexpected(Error(ErrorCode::System, path + " cannot take the journal", ENOSPC));
    }
    std::string block(HEADER_SIZE, '\0');
    std::memcpy(block.data(), MAGIC.data(), MAGIC.size());
    put_u64(block.data() + 8, generation);
    put_u64(block.data() + 16, text.size());
    put_u64(block.data() + 24, fnv1a(text));
    block += text;
    auto const offset = static_cast<off_t>((generation % 2) * slot_size);
    if (!write_at(fd.get(), block.data(), block.size(), offset) || ::fdatasync(fd.get()) != 0) {
        return tl::unexpected(Error::from_errno("write " + path, errno));
    }
    return {};
}

void JournalFile::ensure_spare(size_t journal_size) const
{
    auto const path = spare_path();
    struct stat st { };
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)
        && static_cast<size_t>(st.st_size) / 2 >= HEADER_SIZE + 2 * journal_size) {
        return;
    }
    size_t slot = MIN_SLOT;
    while (slot < HEADER_SIZE + 4 * journal_size && slot < MAX_SLOT) {
        slot *= 2;
    }
    // Made beside it and renamed over it: the old spare only ever holds generations older than
    // the datasets.json just written, and a pool too full to make the new one keeps the old.
    auto const temp = path + ".new";
    ::unlink(temp.c_str());
    UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) {
        return;
    }
    // NOCOW before any data (btrfs takes the flag only on an empty file): overwrites then stay
    // in the blocks written here and need no new space. Filesystems without it overwrite in
    // place anyway.
    int flags = 0;
    if (::ioctl(fd.get(), FS_IOC_GETFLAGS, &flags) == 0) {
        flags |= FS_NOCOW_FL;
        (void)::ioctl(fd.get(), FS_IOC_SETFLAGS, &flags);
    }
    std::string const zeros(slot * 2, '\0');
    bool made = write_fully(fd.get(), zeros.data(), zeros.size()) && ::fsync(fd.get()) == 0;
    fd = UniqueFd();
    if (!made || ::rename(temp.c_str(), path.c_str()) != 0) {
        ::unlink(temp.c_str());
    }
}

} // namespace lumos::storage::detail
