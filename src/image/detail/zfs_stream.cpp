// SPDX-License-Identifier: MPL-2.0
#include "image/detail/zfs_stream.hpp"

#include "base/checked.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <unistd.h>

namespace lumos::image::detail {

namespace {

constexpr uint64_t BACKUP_MAGIC = 0x2F5bacbacULL; // DMU_BACKUP_MAGIC
constexpr size_t RECORD = 312; // sizeof (dmu_replay_record_t)
constexpr size_t CHECKSUM_AT = RECORD - 32; // drr_u.drr_checksum.drr_checksum

// drr_type.
enum RecordType : uint32_t {
    DRR_BEGIN = 0,
    DRR_OBJECT = 1,
    DRR_FREEOBJECTS = 2,
    DRR_WRITE = 3,
    DRR_FREE = 4,
    DRR_END = 5,
    DRR_WRITE_BYREF = 6,
    DRR_SPILL = 7,
    DRR_WRITE_EMBEDDED = 8,
    DRR_OBJECT_RANGE = 9,
    DRR_REDACT = 10,
};

// drr_versioninfo's header type, dmu_objset_type_t, dmu_object_type_t.
constexpr uint64_t SUBSTREAM = 1;
constexpr uint64_t COMPOUNDSTREAM = 2;
constexpr uint32_t OST_ZFS = 2;
constexpr uint32_t OST_ZVOL = 3;
constexpr uint32_t OT_ZVOL = 23;
constexpr uint32_t OT_ZVOL_PROP = 24;
constexpr uint64_t DATA_OBJECT = 1; // ZVOL_OBJ
constexpr uint64_t PROPERTIES_OBJECT = 2; // ZVOL_ZAP_OBJ

// drr_begin.drr_flags and the records' drr_flags.
constexpr uint32_t DRR_FLAG_CLONE = 1U << 0;
constexpr uint8_t DRR_RAW_BYTESWAP = 1U << 1;
constexpr uint8_t DRR_OBJECT_SPILL = 1U << 2;

// Feature flags (drr_versioninfo bits 2..57).
constexpr uint64_t FEATURE_DEDUP = 1ULL << 0;
constexpr uint64_t FEATURE_DEDUPPROPS = 1ULL << 1;
constexpr uint64_t FEATURE_SA_SPILL = 1ULL << 2;
constexpr uint64_t FEATURE_EMBED_DATA = 1ULL << 16;
constexpr uint64_t FEATURE_LZ4 = 1ULL << 17;
constexpr uint64_t FEATURE_LARGE_BLOCKS = 1ULL << 19;
constexpr uint64_t FEATURE_RESUMING = 1ULL << 20;
constexpr uint64_t FEATURE_REDACTED = 1ULL << 21;
constexpr uint64_t FEATURE_COMPRESSED = 1ULL << 22;
constexpr uint64_t FEATURE_LARGE_DNODE = 1ULL << 23;
constexpr uint64_t FEATURE_RAW = 1ULL << 24;
constexpr uint64_t FEATURE_ZSTD = 1ULL << 25;
constexpr uint64_t FEATURE_HOLDS = 1ULL << 26;
constexpr uint64_t FEATURE_SWITCH_TO_LARGE_BLOCKS = 1ULL << 27;
constexpr uint64_t FEATURE_LONGNAME = 1ULL << 28;
constexpr uint64_t FEATURE_LARGE_MICROZAP = 1ULL << 29;
// What changes nothing in the records this decoder takes: the ones that would (SPILL records,
// large dnodes' bonus buffers) are refused or bounded record by record; LZ4 alone is set by
// senders that could have embedded or compressed blocks and did not.
constexpr uint64_t HARMLESS_FEATURES = FEATURE_SA_SPILL | FEATURE_LZ4 | FEATURE_LARGE_DNODE
    | FEATURE_HOLDS | FEATURE_SWITCH_TO_LARGE_BLOCKS | FEATURE_LONGNAME | FEATURE_LARGE_MICROZAP;

constexpr uint32_t MIN_BLOCK = 512; // SPA_MINBLOCKSIZE
constexpr uint32_t MAX_BLOCK = 128 * 1024; // SPA_OLD_MAXBLOCKSIZE: no large blocks
constexpr uint32_t MAX_BONUS = 16 * 1024; // a dnode of 16 KiB holds less
constexpr uint32_t MAX_BEGIN_PAYLOAD = 1024 * 1024; // an nvlist of resume or redaction state
constexpr size_t MAX_PROPERTIES = MAX_BLOCK; // object 2: one micro ZAP block
constexpr uint64_t MICRO_ZAP = (1ULL << 63) + 3; // ZBT_MICRO
constexpr size_t MICRO_ZAP_ENTRY = 64; // MZAP_ENT_LEN: u64 value, u32 cd, u16 pad, name[50]
constexpr size_t MICRO_ZAP_NAME = 50;

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

uint8_t byte_at(std::string_view bytes, size_t at)
{
    return static_cast<uint8_t>(bytes[at]);
}

std::string hex(uint64_t value)
{
    static constexpr std::string_view DIGITS = "0123456789abcdef";
    std::string text;
    do {
        text.insert(text.begin(), DIGITS[value & 0xfU]);
        value >>= 4;
    } while (value != 0);
    return "0x" + text;
}

char const* type_name(uint32_t type)
{
    static constexpr char const* NAMES[] = { "BEGIN", "OBJECT", "FREEOBJECTS", "WRITE", "FREE",
        "END", "WRITE_BYREF", "SPILL", "WRITE_EMBEDDED", "OBJECT_RANGE", "REDACT" };
    return type < std::size(NAMES) ? NAMES[type] : "unknown";
}

// The first feature of the flags that this decoder does not have, as "uses <feature>" says it.
std::optional<std::string> undecodable_feature(uint64_t features)
{
    struct Named {
        uint64_t flags;
        char const* name;
    };
    static constexpr Named NAMED[] = {
        { FEATURE_DEDUP | FEATURE_DEDUPPROPS, "deduplication (zfs send -D)" },
        { FEATURE_EMBED_DATA, "embedded blocks (zfs send -e)" },
        { FEATURE_COMPRESSED | FEATURE_ZSTD, "compressed records (zfs send -c)" },
        { FEATURE_RAW, "raw encrypted records (zfs send -w)" },
        { FEATURE_LARGE_BLOCKS, "large blocks (zfs send -L)" },
        { FEATURE_RESUMING, "a resumed send (zfs send -t)" },
        { FEATURE_REDACTED, "redaction (zfs send --redact)" },
    };
    for (auto const& named : NAMED) {
        if ((features & named.flags) != 0) {
            return named.name;
        }
    }
    if ((features & ~HARMLESS_FEATURES) != 0) {
        return "unknown feature flags " + hex(features & ~HARMLESS_FEATURES);
    }
    return std::nullopt;
}

} // namespace

void Fletcher4::add(std::string_view bytes)
{
    auto& [a, b, c, d] = sums;
    for (size_t at = 0; at + 4 <= bytes.size(); at += 4) {
        a += le32(bytes.data() + at);
        b += a;
        c += b;
        d += c;
    }
}

ImgResult<ZfsStreamBegin> parse_zfs_begin(std::string_view head)
{
    if (head.size() < RECORD || le32(head.data()) != DRR_BEGIN) {
        return img_error(
            ImgCode::InvalidImageFile, "invalid image file: zfs send stream: no BEGIN record");
    }
    ZfsStreamBegin begin;
    uint64_t const magic = le64(head.data() + 8);
    if (magic != BACKUP_MAGIC) {
        if (__builtin_bswap64(magic) != BACKUP_MAGIC) {
            return img_error(ImgCode::InvalidImageFile,
                "invalid image file: zfs send stream: BEGIN without the stream's magic number");
        }
        begin.big_endian = true; // its other fields are not read
        return begin;
    }
    uint64_t const version = le64(head.data() + 16);
    uint64_t const header_type = version & 3U;
    if (header_type != SUBSTREAM && header_type != COMPOUNDSTREAM) {
        return img_error(ImgCode::InvalidImageFile,
            "invalid image file: zfs send stream: unknown header type "
                + std::to_string(header_type));
    }
    begin.replication = header_type == COMPOUNDSTREAM;
    begin.features = (version >> 2) & ((1ULL << 56) - 1);
    uint32_t const objset = le32(head.data() + 32);
    begin.objset = objset == OST_ZVOL ? ZfsStreamBegin::Objset::Volume
        : objset == OST_ZFS           ? ZfsStreamBegin::Objset::Filesystem
                                      : ZfsStreamBegin::Objset::Other;
    begin.flags = le32(head.data() + 36);
    begin.toguid = le64(head.data() + 40);
    begin.fromguid = le64(head.data() + 48);
    begin.payload_length = le32(head.data() + 4);
    return begin;
}

std::optional<std::string> unreceivable_feature(ZfsStreamBegin const& begin)
{
    if (begin.replication) {
        return "replication (zfs send -R)";
    }
    if (begin.fromguid != 0) {
        return "an incremental send (from snapshot guid " + hex(begin.fromguid) + ")";
    }
    if ((begin.flags & DRR_FLAG_CLONE) != 0) {
        return "a clone send (from an origin snapshot)";
    }
    return std::nullopt;
}

ZvolStreamDecoder::ZvolStreamDecoder(VolumeSink& sink)
    : m_sink(sink)
{
}

ImgResult<void> ZvolStreamDecoder::refuse(std::string const& message)
{
    m_error
        = ImgError { ImgCode::InvalidImageFile, "invalid image file: zfs send stream: " + message };
    m_pending.clear();
    return tl::unexpected(*m_error);
}

ImgResult<void> ZvolStreamDecoder::unsupported(std::string const& feature)
{
    m_error = ImgError { ImgCode::NotSupported, "zfs send stream uses " + feature };
    m_pending.clear();
    return tl::unexpected(*m_error);
}

std::string ZvolStreamDecoder::where() const
{
    return "record " + std::to_string(m_records) + " (" + type_name(m_current_type) + "): ";
}

ImgResult<void> ZvolStreamDecoder::feed(std::string_view bytes)
{
    if (m_error) {
        return tl::unexpected(*m_error);
    }
    if (m_ended) {
        return bytes.empty() ? ImgResult<void>() : refuse("data after the END record");
    }
    m_pending.append(bytes);
    size_t at = 0;
    while (!m_ended) {
        size_t const available = m_pending.size() - at;
        if (m_awaiting == Pending::None) {
            if (available < RECORD) {
                break;
            }
            TRY(record(std::string_view(m_pending).substr(at, RECORD)));
            at += RECORD;
            continue;
        }
        if (available < m_payload_length) {
            break;
        }
        TRY(payload(std::string_view(m_pending).substr(at, m_payload_length)));
        at += m_payload_length;
    }
    if (m_ended && at < m_pending.size()) {
        return refuse("data after the END record");
    }
    m_pending.erase(0, at);
    return {};
}

ImgResult<void> ZvolStreamDecoder::record(std::string_view bytes)
{
    ++m_records;
    m_current_type = le32(bytes.data());
    if (m_records == 1) {
        return begin(bytes);
    }
    // Each record's checksum is of the stream before it, its own first 280 bytes included; zero
    // means none (older senders), which the END record's checksum still covers.
    Fletcher4 const before = m_checksum;
    m_checksum.add(bytes.substr(0, CHECKSUM_AT));
    bool has_checksum = false;
    bool matches = true;
    for (size_t word = 0; word < 4; ++word) {
        uint64_t const stored = le64(bytes.data() + CHECKSUM_AT + word * 8);
        has_checksum = has_checksum || stored != 0;
        matches = matches && stored == m_checksum.sums[word];
    }
    if (has_checksum && !matches) {
        return refuse(where() + "bad checksum");
    }
    m_checksum.add(bytes.substr(CHECKSUM_AT));
    switch (m_current_type) {
    case DRR_BEGIN:
        return refuse(where() + "a second BEGIN");
    case DRR_OBJECT:
        return object(bytes);
    case DRR_FREEOBJECTS:
        return free_objects(bytes);
    case DRR_WRITE:
        return write(bytes);
    case DRR_FREE:
        return free(bytes);
    case DRR_END: {
        for (size_t word = 0; word < 4; ++word) {
            if (le64(bytes.data() + 8 + word * 8) != before.sums[word]) {
                return refuse(where() + "the stream's checksum does not match");
            }
        }
        return end(bytes);
    }
    case DRR_WRITE_BYREF:
        return unsupported("deduplication (zfs send -D)");
    case DRR_SPILL:
        return unsupported("SPILL records");
    case DRR_WRITE_EMBEDDED:
        return unsupported("embedded blocks (zfs send -e)");
    case DRR_OBJECT_RANGE:
        return unsupported("raw encrypted records (zfs send -w)");
    case DRR_REDACT:
        return unsupported("redaction (zfs send --redact)");
    default:
        return refuse("record " + std::to_string(m_records) + " has the unknown type "
            + std::to_string(m_current_type));
    }
}

ImgResult<void> ZvolStreamDecoder::begin(std::string_view bytes)
{
    auto parsed = parse_zfs_begin(bytes);
    if (!parsed) {
        m_error = parsed.error();
        return tl::unexpected(*m_error);
    }
    ZfsStreamBegin const& head = *parsed;
    if (head.big_endian) {
        return unsupported("big-endian byte order");
    }
    if (auto feature = unreceivable_feature(head)) {
        return unsupported(*feature);
    }
    if (head.objset == ZfsStreamBegin::Objset::Filesystem) {
        return refuse("it sends a filesystem, not a volume");
    }
    if (head.objset != ZfsStreamBegin::Objset::Volume) {
        return refuse(
            "it sends objset type " + std::to_string(le32(bytes.data() + 32)) + ", not a volume");
    }
    if (auto feature = undecodable_feature(head.features)) {
        return unsupported(*feature);
    }
    if (head.payload_length > MAX_BEGIN_PAYLOAD || head.payload_length % 8 != 0) {
        return refuse("BEGIN payload of " + std::to_string(head.payload_length)
            + " bytes (a multiple of 8, at most " + std::to_string(MAX_BEGIN_PAYLOAD) + ")");
    }
    m_toguid = head.toguid;
    m_checksum.add(bytes);
    m_payload_length = head.payload_length;
    m_awaiting = m_payload_length > 0 ? Pending::Begin : Pending::None;
    return {};
}

ImgResult<void> ZvolStreamDecoder::object(std::string_view bytes)
{
    uint64_t const object = le64(bytes.data() + 8);
    uint32_t const type = le32(bytes.data() + 16);
    uint32_t const block = le32(bytes.data() + 24);
    uint32_t const bonus = le32(bytes.data() + 28);
    uint8_t const flags = byte_at(bytes, 35);
    uint32_t const raw_bonus = le32(bytes.data() + 36);
    if (object != DATA_OBJECT && object != PROPERTIES_OBJECT) {
        return refuse(where() + "object " + std::to_string(object)
            + ", which a volume does not have (only objects 1 and 2)");
    }
    uint32_t const expected = object == DATA_OBJECT ? OT_ZVOL : OT_ZVOL_PROP;
    if (type != expected) {
        return refuse(where() + "object " + std::to_string(object) + " has type "
            + std::to_string(type) + ", not " + std::to_string(expected));
    }
    uint32_t& declared = object == DATA_OBJECT ? m_data_block : m_properties_block;
    if (declared != 0) {
        return refuse(where() + "object " + std::to_string(object) + " declared twice");
    }
    if (raw_bonus != 0) {
        return unsupported("raw encrypted records (zfs send -w)");
    }
    if ((flags & DRR_OBJECT_SPILL) != 0) {
        return unsupported("SPILL records");
    }
    if (block < MIN_BLOCK || block > MAX_BLOCK || block % MIN_BLOCK != 0) {
        return refuse(where() + "block size " + std::to_string(block)
            + " (a multiple of 512, at most " + std::to_string(MAX_BLOCK) + ")");
    }
    if (bonus > MAX_BONUS) {
        return refuse(where() + "bonus buffer of " + std::to_string(bonus) + " bytes (at most "
            + std::to_string(MAX_BONUS) + ")");
    }
    declared = block;
    m_payload_length = (bonus + 7U) & ~7U;
    m_awaiting = m_payload_length > 0 ? Pending::Object : Pending::None;
    return {};
}

ImgResult<void> ZvolStreamDecoder::free_objects(std::string_view bytes)
{
    uint64_t const first = le64(bytes.data() + 8);
    uint64_t const count = le64(bytes.data() + 16);
    auto const last = checked_add(first, count);
    if (!last) {
        return refuse(where() + "objects " + std::to_string(first) + " + " + std::to_string(count)
            + " overflow");
    }
    for (uint64_t const object : { DATA_OBJECT, PROPERTIES_OBJECT }) {
        bool const declared = (object == DATA_OBJECT ? m_data_block : m_properties_block) != 0;
        if (declared && first <= object && object < *last) {
            return refuse(
                where() + "frees object " + std::to_string(object) + ", which the stream declared");
        }
    }
    return {};
}

ImgResult<void> ZvolStreamDecoder::write(std::string_view bytes)
{
    uint64_t const object = le64(bytes.data() + 8);
    uint64_t const offset = le64(bytes.data() + 24);
    uint64_t const size = le64(bytes.data() + 32);
    uint8_t const flags = byte_at(bytes, 49);
    uint8_t const compression = byte_at(bytes, 50);
    bool const declared = (object == DATA_OBJECT && m_data_block != 0)
        || (object == PROPERTIES_OBJECT && m_properties_block != 0);
    if (!declared) {
        return refuse(where() + "to object " + std::to_string(object)
            + ", which the stream has not declared");
    }
    if (compression != 0) {
        return unsupported("compressed records (zfs send -c)");
    }
    if ((flags & DRR_RAW_BYTESWAP) != 0) {
        return unsupported("raw encrypted records (zfs send -w)");
    }
    if (size < MIN_BLOCK || size > MAX_BLOCK || size % MIN_BLOCK != 0) {
        return refuse(where() + "of " + std::to_string(size) + " bytes (a multiple of 512, at most "
            + std::to_string(MAX_BLOCK) + ")");
    }
    auto const end = checked_add(offset, size);
    uint64_t const limit = object == DATA_OBJECT ? MAX_VOLUME_BYTES : MAX_PROPERTIES;
    if (!end || *end > limit) {
        return refuse(where() + "at offset " + std::to_string(offset) + " past "
            + (object == DATA_OBJECT ? "the largest volume (8 TiB)"
                                     : "the volume's properties (128 KiB)"));
    }
    m_write_object = object;
    m_write_offset = offset;
    m_payload_length = static_cast<size_t>(size);
    m_awaiting = Pending::Write;
    return {};
}

ImgResult<void> ZvolStreamDecoder::free(std::string_view bytes)
{
    uint64_t const object = le64(bytes.data() + 8);
    uint64_t const offset = le64(bytes.data() + 16);
    uint64_t const length = le64(bytes.data() + 24);
    bool const declared = (object == DATA_OBJECT && m_data_block != 0)
        || (object == PROPERTIES_OBJECT && m_properties_block != 0);
    if (!declared) {
        return refuse(where() + "of object " + std::to_string(object)
            + ", which the stream has not declared");
    }
    if (offset > MAX_VOLUME_BYTES) {
        return refuse(
            where() + "at offset " + std::to_string(offset) + " past the largest volume (8 TiB)");
    }
    // A length of all ones (DMU_OBJECT_END), or any that runs past the largest volume, frees to
    // the end.
    auto const end_of_range = checked_add(offset, length);
    uint64_t const end
        = end_of_range ? std::min(*end_of_range, MAX_VOLUME_BYTES) : MAX_VOLUME_BYTES;
    if (end <= offset) {
        return {};
    }
    if (object == DATA_OBJECT) {
        auto freed = m_sink.free(offset, end - offset);
        if (!freed) {
            m_error = freed.error();
            m_pending.clear();
        }
        return freed;
    }
    if (offset < m_properties.size()) {
        auto const stop = static_cast<size_t>(std::min<uint64_t>(end, m_properties.size()));
        std::fill(m_properties.begin() + static_cast<std::ptrdiff_t>(offset),
            m_properties.begin() + static_cast<std::ptrdiff_t>(stop), '\0');
    }
    return {};
}

ImgResult<void> ZvolStreamDecoder::end(std::string_view bytes)
{
    if (le64(bytes.data() + 40) != m_toguid) {
        return refuse(where() + "ends the stream of snapshot guid " + hex(le64(bytes.data() + 40))
            + ", not " + hex(m_toguid));
    }
    m_ended = true;
    return {};
}

ImgResult<void> ZvolStreamDecoder::payload(std::string_view bytes)
{
    // Payloads are multiples of 8 bytes (BEGIN's is checked, the others are made so), as the
    // checksum's 32-bit words need.
    m_checksum.add(bytes);
    Pending const awaited = m_awaiting;
    m_awaiting = Pending::None;
    if (awaited != Pending::Write) {
        return {}; // BEGIN's nvlist and OBJECT's bonus buffer say nothing a volume needs
    }
    if (m_write_object == PROPERTIES_OBJECT) {
        auto const offset = static_cast<size_t>(m_write_offset); // bounded by MAX_PROPERTIES
        if (m_properties.size() < offset + bytes.size()) {
            m_properties.resize(offset + bytes.size(), '\0');
        }
        std::copy(
            bytes.begin(), bytes.end(), m_properties.begin() + static_cast<std::ptrdiff_t>(offset));
        return {};
    }
    m_data_end = std::max(m_data_end, m_write_offset + bytes.size());
    auto written = m_sink.write(m_write_offset, bytes);
    if (!written) {
        m_error = written.error();
        m_pending.clear();
    }
    return written;
}

ImgResult<void> ZvolStreamDecoder::finish()
{
    if (m_error) {
        return tl::unexpected(*m_error);
    }
    if (!m_ended) {
        if (m_records == 0 && m_pending.empty()) {
            return refuse("the stream is empty");
        }
        if (m_awaiting != Pending::None || !m_pending.empty()) {
            uint64_t const inside = m_awaiting != Pending::None ? m_records : m_records + 1;
            return refuse(
                "the stream ends inside record " + std::to_string(inside) + " (truncated)");
        }
        return refuse("the stream ends before its END record (truncated)");
    }
    if (m_data_block == 0) {
        return refuse("no volume data (object 1)");
    }
    // The volsize: the micro ZAP of object 2, entry "size".
    std::optional<uint64_t> volsize;
    size_t const zap_bytes = std::min<size_t>(m_properties.size(), m_properties_block);
    if (zap_bytes >= 2 * MICRO_ZAP_ENTRY && le64(m_properties.data()) == MICRO_ZAP) {
        for (size_t entry = MICRO_ZAP_ENTRY; entry + MICRO_ZAP_ENTRY <= zap_bytes;
             entry += MICRO_ZAP_ENTRY) {
            std::string_view const name(m_properties.data() + entry + 14, MICRO_ZAP_NAME);
            if (name.substr(0, 5) == std::string_view("size\0", 5)) {
                volsize = le64(m_properties.data() + entry);
                break;
            }
        }
    }
    if (volsize) {
        if (*volsize == 0 || *volsize > MAX_VOLUME_BYTES) {
            return refuse("volsize " + std::to_string(*volsize) + " (at most 8 TiB)");
        }
        if (*volsize < m_data_end) {
            return refuse("data written up to " + std::to_string(m_data_end) + ", past the volsize "
                + std::to_string(*volsize));
        }
        m_volume_size = *volsize;
        return {};
    }
    if (m_data_end == 0) {
        return refuse("no volsize and no data: the volume's size is unknown");
    }
    uint64_t const rounded = (m_data_end + m_data_block - 1) / m_data_block * m_data_block;
    m_volume_size = std::min(rounded, MAX_VOLUME_BYTES);
    return {};
}

ImgResult<uint64_t> decode_zvol_stream(std::string_view head, int fd, VolumeSink& sink)
{
    ZvolStreamDecoder decoder(sink);
    TRY(decoder.feed(head));
    std::vector<char> buffer(size_t { 1024 } * 1024);
    for (;;) {
        ssize_t const got = ::read(fd, buffer.data(), buffer.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return img_error(
                ImgCode::FileSystem, std::string("read image file: ") + std::strerror(errno));
        }
        if (got == 0) {
            break;
        }
        TRY(decoder.feed(std::string_view(buffer.data(), static_cast<size_t>(got))));
    }
    TRY(decoder.finish());
    return decoder.volume_size();
}

} // namespace lumos::image::detail
