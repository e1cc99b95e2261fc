// SPDX-License-Identifier: MPL-2.0
// Private to the image store: a `zfs send` stream of a volume (a zvol image's file, from
// `zfs send zones/<uuid>-disk0@image | gzip`) decoded into the volume's bytes, for pools that
// have no `zfs receive` (dir, btrfs). The format is OpenZFS's (include/sys/zfs_ioctl.h,
// dmu_replay_record_t; module/zfs/dmu_send.c writes it, dmu_recv.c reads it), decoded here by our
// own code and held to what a plain full send of a volume holds:
//
// - records of 312 bytes {u32 type, u32 payload length, 304-byte body whose last 32 bytes are a
//   fletcher-4 checksum of the stream before them}, each followed by its payload (BEGIN: its
//   payloadlen, OBJECT: the bonus rounded up to 8, WRITE: its logical size);
// - BEGIN first (magic 0x2F5bacbac, little-endian, one substream, objset type ZVOL, fromguid 0,
//   none of the features below), END last with the checksum of everything before it and
//   BEGIN's toguid, nothing after it; a per-record checksum is checked when it is not zero (as
//   zfs receive does: streams from before 2015 have none), END's always;
// - OBJECT only for object 1 (the volume's data, DMU_OT_ZVOL) and object 2 (its properties,
//   DMU_OT_ZVOL_PROP, a micro ZAP whose "size" is the volsize), each once, block size a multiple
//   of 512 up to 128 KiB; WRITE and FREE only to a declared object, WRITE of 512 bytes to 128
//   KiB, uncompressed; FREEOBJECTS never over a declared object;
// - refused as features this decoder does not have (ImgCode::NotSupported, "zfs send stream
//   uses <feature>"): incremental and clone streams, replication (-R) streams, big-endian
//   streams, dedup (-D, WRITE_BYREF), embedded (-e, WRITE_EMBEDDED), compressed (-c), raw (-w,
//   OBJECT_RANGE), large-block (-L), resumed and redacted streams, SPILL records, unknown feature
//   flags; everything else that is not as above is an invalid image file.
//
// Every offset and length is bounded before use: nothing lands past MAX_VOLUME_BYTES, no payload
// is longer than its record allows, so memory stays at one record's payload plus what one
// feed() hands in.
#pragma once

#include "image/errors.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lumos::image::detail {

// The largest volume an image may make (and the end of every write and hole): 8 TiB, below
// ext4's largest file.
constexpr uint64_t MAX_VOLUME_BYTES = uint64_t { 8 } << 40;

// Where a decoded disk goes: data at offsets, ranges that read as zeros again. Callers keep
// offset + size <= MAX_VOLUME_BYTES.
class VolumeSink {
public:
    VolumeSink() = default;
    VolumeSink(VolumeSink const&) = delete;
    VolumeSink& operator=(VolumeSink const&) = delete;
    VolumeSink(VolumeSink&&) = delete;
    VolumeSink& operator=(VolumeSink&&) = delete;
    virtual ~VolumeSink() = default;
    virtual ImgResult<void> write(uint64_t offset, std::string_view data) = 0;
    virtual ImgResult<void> free(uint64_t offset, uint64_t length) = 0;
};

// What a stream's BEGIN record says (its first 312 bytes).
struct ZfsStreamBegin {
    enum class Objset { Filesystem, Volume, Other };
    Objset objset { Objset::Other };
    bool big_endian { false };
    bool replication { false }; // a compound stream (zfs send -R), not one substream
    uint64_t features { 0 };
    uint32_t flags { 0 };
    uint64_t toguid { 0 };
    uint64_t fromguid { 0 };
    uint32_t payload_length { 0 };
};

// The BEGIN record at the head of a stream; InvalidImageFile when head is shorter than a record
// or does not start with one.
ImgResult<ZfsStreamBegin> parse_zfs_begin(std::string_view head);

// What makes the stream other than one full send, which is what a zvol image is on every pool
// (nullopt: nothing): replication, an incremental or a clone send, as the noun phrase of
// "zfs send stream uses <feature>".
std::optional<std::string> unreceivable_feature(ZfsStreamBegin const& begin);

// fletcher-4 as zfs computes it over a stream: 32-bit little-endian words, four 64-bit sums.
struct Fletcher4 {
    std::array<uint64_t, 4> sums {};
    void add(std::string_view bytes); // bytes.size() is a multiple of 4
};

class ZvolStreamDecoder {
public:
    explicit ZvolStreamDecoder(VolumeSink& sink);

    // Takes the next bytes of the stream; complete records are decoded (the volume's data handed
    // to the sink), an incomplete one kept until the rest arrives. The first refusal (or sink
    // error) is returned, and every later call repeats it.
    ImgResult<void> feed(std::string_view bytes);
    // At the end of the stream: refused when it stops before its END record; otherwise the
    // volume's size is known.
    ImgResult<void> finish();

    // After a successful finish(): the volsize of the stream's ZAP, else the end of the last
    // block written, rounded up to the volume's block size.
    uint64_t volume_size() const { return m_volume_size; }
    uint64_t records() const { return m_records; }

private:
    static constexpr size_t RECORD_SIZE = 312;
    enum class Pending { None, Begin, Object, Write };
    ImgResult<void> refuse(std::string const& message);
    ImgResult<void> unsupported(std::string const& feature);
    ImgResult<void> record(std::string_view bytes);
    ImgResult<void> begin(std::string_view bytes);
    ImgResult<void> object(std::string_view bytes);
    ImgResult<void> free_objects(std::string_view bytes);
    ImgResult<void> write(std::string_view bytes);
    ImgResult<void> free(std::string_view bytes);
    ImgResult<void> end(std::string_view bytes);
    ImgResult<void> payload(std::string_view bytes);
    std::string where() const;

    VolumeSink& m_sink;
    std::string m_pending;
    std::optional<ImgError> m_error;
    Fletcher4 m_checksum;
    uint64_t m_records { 0 };
    bool m_ended { false };
    uint64_t m_toguid { 0 };
    // The record whose payload is awaited.
    Pending m_awaiting { Pending::None };
    uint32_t m_current_type { 0 };
    size_t m_payload_length { 0 };
    uint64_t m_write_object { 0 };
    uint64_t m_write_offset { 0 };
    // Objects 1 (data) and 2 (properties): block size once declared (0: not declared).
    uint32_t m_data_block { 0 };
    uint32_t m_properties_block { 0 };
    uint64_t m_data_end { 0 }; // end of the last WRITE to object 1
    std::string m_properties; // object 2's first bytes (its micro ZAP)
    uint64_t m_volume_size { 0 };
};

// Decodes the stream (head, then the rest of fd) into the sink; the volume's size.
ImgResult<uint64_t> decode_zvol_stream(std::string_view head, int fd, VolumeSink& sink);

} // namespace lumos::image::detail
