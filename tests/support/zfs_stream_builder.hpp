// SPDX-License-Identifier: MPL-2.0
// A `zfs send` stream encoder for tests (OpenZFS include/sys/zfs_ioctl.h, dmu_replay_record_t;
// records as module/zfs/dmu_send.c writes them): full volume streams as `zfs send
// pool/vol@snap` makes them, with their fletcher-4 checksums, and whatever hostile record a test
// wants. This host has no zfs to make one, so the layout here is read off the OpenZFS sources,
// independently of the product's decoder.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace lumos::test {

// What a BEGIN record says (a plain full send of a volume unless changed).
struct ZfsBeginFields {
    uint32_t objset { 3 }; // DMU_OST_ZVOL (DMU_OST_ZFS: 2)
    uint64_t header_type { 1 }; // 1 substream, 2 compound (zfs send -R)
    uint64_t features { 0 };
    uint32_t flags { 1U << 2 }; // DRR_FLAG_FREERECORDS, as every full send since 2015
    uint64_t toguid { 0x1d2c3b4a59687786ULL };
    uint64_t fromguid { 0 };
    std::string name { "zones/disk@image" };
    std::string payload; // BEGIN's nvlist, normally none
    bool big_endian { false };
};

class ZfsStreamBuilder {
public:
    // drr_type.
    enum Type : uint32_t {
        BEGIN = 0,
        OBJECT = 1,
        FREEOBJECTS = 2,
        WRITE = 3,
        FREE = 4,
        END = 5,
        WRITE_BYREF = 6,
        SPILL = 7,
        WRITE_EMBEDDED = 8,
        OBJECT_RANGE = 9,
        REDACT = 10,
    };
    static constexpr size_t RECORD = 312;
    static constexpr size_t CHECKSUM_AT = RECORD - 32;
    static constexpr uint64_t MAGIC = 0x2F5bacbacULL;
    static constexpr uint32_t OST_ZFS = 2;
    static constexpr uint32_t OST_ZVOL = 3;
    static constexpr uint32_t OT_ZVOL = 23;
    static constexpr uint32_t OT_ZVOL_PROP = 24;
    static constexpr uint64_t OBJECT_END = ~uint64_t { 0 };
    static constexpr uint64_t FEATURE_DEDUP = 1ULL << 0;
    static constexpr uint64_t FEATURE_EMBED_DATA = 1ULL << 16;
    static constexpr uint64_t FEATURE_LARGE_BLOCKS = 1ULL << 19;
    static constexpr uint64_t FEATURE_COMPRESSED = 1ULL << 22;
    static constexpr uint64_t FEATURE_RAW = 1ULL << 24;

    using Begin = ZfsBeginFields;

    explicit ZfsStreamBuilder(Begin const& begin = {})
        : m_toguid(begin.toguid)
    {
        std::string record(RECORD, '\0');
        put64(record, 8, begin.big_endian ? __builtin_bswap64(MAGIC) : MAGIC);
        put64(record, 16, begin.header_type | (begin.features << 2));
        put64(record, 24, 1700000000);
        put32(record, 32, begin.objset);
        put32(record, 36, begin.flags);
        put64(record, 40, begin.toguid);
        put64(record, 48, begin.fromguid);
        put32(record, 4, static_cast<uint32_t>(begin.payload.size()));
        std::memcpy(
            record.data() + 56, begin.name.data(), std::min<size_t>(begin.name.size(), 255));
        emit(BEGIN, record, begin.payload);
    }

    // Per-record checksums (zero: as senders from before 2015 left them).
    ZfsStreamBuilder& record_checksums(bool on)
    {
        m_record_checksums = on;
        return *this;
    }

    ZfsStreamBuilder& object(uint64_t object, uint32_t type, uint32_t block_size,
        std::string const& bonus = {}, uint8_t flags = 0)
    {
        std::string record(RECORD, '\0');
        put64(record, 8, object);
        put32(record, 16, type);
        put32(record, 24, block_size);
        put32(record, 28, static_cast<uint32_t>(bonus.size()));
        record[34] = 1; // dnode slots (checksum and compress: inherited, 0)
        record[35] = static_cast<char>(flags);
        put64(record, 40, m_toguid);
        std::string padded = bonus;
        padded.resize((bonus.size() + 7) / 8 * 8, '\0');
        return emit(OBJECT, record, padded);
    }

    ZfsStreamBuilder& free_objects(uint64_t first, uint64_t count)
    {
        std::string record(RECORD, '\0');
        put64(record, 8, first);
        put64(record, 16, count);
        put64(record, 24, m_toguid);
        return emit(FREEOBJECTS, record, {});
    }

    // A WRITE whose payload is data (its logical size). compression != 0 marks it compressed.
    ZfsStreamBuilder& write(uint64_t object, uint64_t offset, std::string const& data,
        uint8_t compression = 0, uint8_t flags = 0, uint32_t object_type = OT_ZVOL)
    {
        return write_sized(object, offset, data.size(), data, compression, flags, object_type);
    }

    // A WRITE that claims logical_size bytes and carries payload (for hostile lengths).
    ZfsStreamBuilder& write_sized(uint64_t object, uint64_t offset, uint64_t logical_size,
        std::string const& payload, uint8_t compression = 0, uint8_t flags = 0,
        uint32_t object_type = OT_ZVOL)
    {
        std::string record(RECORD, '\0');
        put64(record, 8, object);
        put32(record, 16, object_type);
        put64(record, 24, offset);
        put64(record, 32, logical_size);
        put64(record, 40, m_toguid);
        record[49] = static_cast<char>(flags);
        record[50] = static_cast<char>(compression);
        return emit(WRITE, record, payload);
    }

    ZfsStreamBuilder& free(uint64_t object, uint64_t offset, uint64_t length)
    {
        std::string record(RECORD, '\0');
        put64(record, 8, object);
        put64(record, 16, offset);
        put64(record, 24, length);
        put64(record, 32, m_toguid);
        return emit(FREE, record, {});
    }

    // Any record: its 312 bytes with the type set (and the checksum filled in), then payload.
    ZfsStreamBuilder& raw(uint32_t type, std::string record = std::string(RECORD, '\0'),
        std::string const& payload = {})
    {
        record.resize(RECORD, '\0');
        return emit(type, record, payload);
    }

    // Object 2, the volume's properties: a micro ZAP of one block holding "size" = volsize.
    ZfsStreamBuilder& properties(uint64_t volsize)
    {
        std::string zap(512, '\0');
        put64(zap, 0, (1ULL << 63) + 3); // ZBT_MICRO
        put64(zap, 8, 0x5a17ULL); // salt
        put64(zap, 64, volsize); // first entry: value, cd, pad, name
        std::memcpy(zap.data() + 64 + 14, "size", 4);
        object(2, OT_ZVOL_PROP, 512);
        free(2, 512, OBJECT_END);
        return write(2, 0, zap, 0, 0, OT_ZVOL_PROP);
    }

    // The END record (its checksum that of the stream so far); the stream.
    std::string end()
    {
        std::string record(RECORD, '\0');
        for (size_t word = 0; word < 4; ++word) {
            put64(record, 8 + 8 * word, m_sums[word]);
        }
        put64(record, 40, m_toguid);
        emit(END, record, {});
        return m_bytes;
    }

    std::string const& bytes() const { return m_bytes; }
    // The fletcher-4 of the stream so far (what END carries).
    std::array<uint64_t, 4> const& checksum() const { return m_sums; }

    // fletcher-4 over little-endian 32-bit words.
    static void fletcher4(std::array<uint64_t, 4>& sums, std::string_view data)
    {
        for (size_t at = 0; at + 4 <= data.size(); at += 4) {
            uint32_t word = 0;
            for (size_t i = 0; i < 4; ++i) {
                word |= static_cast<uint32_t>(static_cast<unsigned char>(data[at + i])) << (8 * i);
            }
            sums[0] += word;
            sums[1] += sums[0];
            sums[2] += sums[1];
            sums[3] += sums[2];
        }
    }

    static void put32(std::string& record, size_t at, uint32_t value)
    {
        for (size_t i = 0; i < 4; ++i) {
            record[at + i] = static_cast<char>((value >> (8 * i)) & 0xffU);
        }
    }
    static void put64(std::string& record, size_t at, uint64_t value)
    {
        for (size_t i = 0; i < 8; ++i) {
            record[at + i] = static_cast<char>((value >> (8 * i)) & 0xffU);
        }
    }

private:
    ZfsStreamBuilder& emit(uint32_t type, std::string& record, std::string const& payload)
    {
        put32(record, 0, type);
        fletcher4(m_sums, std::string_view(record).substr(0, CHECKSUM_AT));
        if (type != BEGIN) {
            for (size_t word = 0; word < 4; ++word) {
                put64(record, CHECKSUM_AT + 8 * word, m_record_checksums ? m_sums[word] : 0);
            }
        }
        fletcher4(m_sums, std::string_view(record).substr(CHECKSUM_AT));
        fletcher4(m_sums, payload);
        m_bytes += record;
        m_bytes += payload;
        return *this;
    }

    uint64_t m_toguid;
    bool m_record_checksums { true };
    std::array<uint64_t, 4> m_sums {};
    std::string m_bytes;
};

// A full send of a volume whose content is `disk` (a multiple of block bytes), as `zfs send
// pool/vol@snap` writes it: FREEOBJECTS of object 0, OBJECT 1 and the FREE past its last block,
// a WRITE for each block that holds data and a FREE for each run of empty ones, then object 2
// (the properties, volsize = disk's size), FREEOBJECTS of the rest, END.
inline ZfsStreamBuilder volume_stream_records(
    std::string const& disk, uint32_t block = 8192, ZfsStreamBuilder::Begin const& begin = {})
{
    ZfsStreamBuilder builder(begin);
    builder.free_objects(0, 1);
    uint64_t const blocks = (disk.size() + block - 1) / block;
    uint64_t last_used = 0; // blocks up to the last one with data
    for (uint64_t i = 0; i < blocks; ++i) {
        if (disk.substr(i * block, block).find_first_not_of('\0') != std::string::npos) {
            last_used = i + 1;
        }
    }
    builder.object(1, ZfsStreamBuilder::OT_ZVOL, block);
    builder.free(1, last_used * block, ZfsStreamBuilder::OBJECT_END);
    uint64_t hole_start = 0;
    bool in_hole = false;
    for (uint64_t i = 0; i < last_used; ++i) {
        std::string const data = disk.substr(i * block, block);
        if (data.find_first_not_of('\0') == std::string::npos) {
            if (!in_hole) {
                hole_start = i * block;
                in_hole = true;
            }
            continue;
        }
        if (in_hole) {
            builder.free(1, hole_start, i * block - hole_start);
            in_hole = false;
        }
        builder.write(1, i * block, data);
    }
    builder.properties(disk.size());
    builder.free_objects(3, 29);
    return builder;
}

inline std::string volume_stream(std::string const& disk, uint32_t block = 8192)
{
    return volume_stream_records(disk, block).end();
}

} // namespace lumos::test
