// SPDX-License-Identifier: MPL-2.0
#include "pools/detail/legacy_journal.hpp"

#include "base/file.hpp"
#include "pools/detail/dataset_db.hpp"

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

namespace lumos::pools::detail {

namespace {

// Slot header: magic, generation, payload length, FNV-1a of the payload (little-endian u64s).
constexpr std::array<char, 8> MAGIC { 'l', 'u', 'm', 'o', 's', 'j', 'n', '1' };
constexpr size_t HEADER_SIZE = 32;

uint64_t fnv1a(std::string_view text)
{
    uint64_t hash = 14695981039346656037ULL;
    for (char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ULL;
    }
    return hash;
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

std::string legacy_journal_path(std::string const& directory)
{
    return directory + "/datasets.json";
}

std::string legacy_spare_path(std::string const& directory)
{
    return directory + "/datasets.spare";
}

bool has_legacy_journal(std::string const& directory)
{
    struct stat st { };
    return ::lstat(legacy_journal_path(directory).c_str(), &st) == 0
        || ::lstat(legacy_spare_path(directory).c_str(), &st) == 0;
}

Result<Rows> read_legacy_journal(std::string const& directory)
{
    Json json;
    uint64_t generation = 0;
    auto const path = legacy_journal_path(directory);
    auto text = read_file(path);
    if (text) {
        auto parsed = parse_json(*text);
        if (!parsed) {
            return make_error(ErrorCode::System,
                "pool metadata " + path + " is corrupt: " + parsed.error().message());
        }
        json = std::move(*parsed);
        generation = generation_of(json);
    } else if (text.error().errno_value() != ENOENT) {
        return tl::unexpected(std::move(text).error());
    }
    if (auto slot = newest_slot(legacy_spare_path(directory), generation)) {
        auto parsed = parse_json(slot->text);
        if (!parsed) {
            return make_error(ErrorCode::System,
                "pool metadata " + legacy_spare_path(directory)
                    + " is corrupt: " + parsed.error().message());
        }
        json = std::move(*parsed);
    }
    Rows rows;
    if (json.is_object() && json.contains("datasets") && json["datasets"].is_object()) {
        for (auto const& [key, value] : json["datasets"].items()) {
            if (value.is_object()) {
                rows.emplace_back(key, entry_from_json(value));
            }
        }
    }
    return rows;
}

namespace {

Result<void> sync_directory(std::string const& directory)
{
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid() || ::fsync(fd.get()) != 0) {
        return tl::unexpected(Error::from_errno("fsync " + directory, errno));
    }
    return {};
}

} // namespace

Result<void> migrate_legacy_journal(std::string const& directory)
{
    auto const db_path = DatasetDb::path_in(directory);
    struct stat st { };
    if (::lstat(db_path.c_str(), &st) != 0) {
        TRY_ASSIGN(rows, read_legacy_journal(directory));
        auto const temp = db_path + ".new";
        {
            TRY_ASSIGN(db, DatasetDb::create_at(temp));
            TRY(db.begin());
            for (auto const& [name, entry] : rows) {
                TRY(db.put(name, entry));
            }
            TRY(db.commit()); // synchronous=FULL: on disk when this returns
        }
        ::unlink((temp + "-journal").c_str());
        if (::rename(temp.c_str(), db_path.c_str()) != 0) {
            auto saved = errno;
            ::unlink(temp.c_str());
            return tl::unexpected(Error::from_errno("rename " + temp, saved));
        }
        TRY(sync_directory(directory));
    }
    for (auto const& old : { legacy_journal_path(directory), legacy_spare_path(directory),
             legacy_spare_path(directory) + ".new" }) {
        if (::unlink(old.c_str()) != 0 && errno != ENOENT) {
            return tl::unexpected(Error::from_errno("unlink " + old, errno));
        }
    }
    return sync_directory(directory);
}

} // namespace lumos::pools::detail
