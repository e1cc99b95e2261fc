// SPDX-License-Identifier: MPL-2.0
// The zfs send stream decoder (image/detail/zfs_stream) on streams from the test encoder
// (support/zfs_stream_builder.hpp): a full volume stream decodes to its disk and volsize however
// it is cut into feeds, and each thing a plain full send of a volume does not hold is refused with
// its reason, before the sink sees anything past it.
#include "image/detail/zfs_stream.hpp"
#include "support/zfs_stream_builder.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace lumos::test {
namespace {

namespace detail = image::detail;
using image::ImgCode;
using Builder = ZfsStreamBuilder;

constexpr uint32_t BLOCK = 8192;

// A volume in memory (tests keep offsets small).
class MemorySink final : public detail::VolumeSink {
public:
    image::ImgResult<void> write(uint64_t offset, std::string_view data) override
    {
        EXPECT_LE(offset + data.size(), uint64_t { 64 } << 20) << "a test writes less";
        if (m_disk.size() < offset + data.size()) {
            m_disk.resize(offset + data.size(), '\0');
        }
        m_disk.replace(offset, data.size(), data);
        ++m_writes;
        return {};
    }
    image::ImgResult<void> free(uint64_t offset, uint64_t length) override
    {
        EXPECT_LE(offset + length, detail::MAX_VOLUME_BYTES);
        if (offset < m_disk.size()) {
            uint64_t const end = std::min<uint64_t>(offset + length, m_disk.size());
            std::fill(m_disk.begin() + static_cast<std::ptrdiff_t>(offset),
                m_disk.begin() + static_cast<std::ptrdiff_t>(end), '\0');
        }
        ++m_frees;
        return {};
    }
    std::string m_disk;
    int m_writes { 0 };
    int m_frees { 0 };
};

// 80 KiB: data in blocks 0, 3 and 7, the others (and the last two) empty.
std::string sample_disk()
{
    std::string disk(10 * BLOCK, '\0');
    disk.replace(0, 6, "BOOTME");
    disk.replace(3 * BLOCK + 100, 5, "three");
    disk.replace(8 * BLOCK - 1, 1, "!");
    return disk;
}

struct Decoded {
    image::ImgResult<void> result;
    std::string disk;
    uint64_t size { 0 };
};

Decoded decode(std::string const& stream, size_t chunk = 0)
{
    MemorySink sink;
    detail::ZvolStreamDecoder decoder(sink);
    Decoded decoded;
    if (chunk == 0) {
        chunk = stream.size() + 1;
    }
    for (size_t at = 0; at < stream.size(); at += chunk) {
        decoded.result = decoder.feed(std::string_view(stream).substr(at, chunk));
        if (!decoded.result) {
            return decoded;
        }
    }
    decoded.result = decoder.finish();
    decoded.disk = sink.m_disk;
    decoded.size = decoded.result ? decoder.volume_size() : 0;
    return decoded;
}

TEST(ZfsStream, DecodesAFullVolumeStream)
{
    std::string const disk = sample_disk();
    std::string const stream = volume_stream(disk);
    for (size_t chunk :
        { size_t { 0 }, size_t { 1 }, size_t { 7 }, size_t { 312 }, size_t { 4096 } }) {
        Decoded decoded = decode(stream, chunk);
        ASSERT_TRUE(decoded.result.has_value()) << chunk << ": " << decoded.result.error().message;
        EXPECT_EQ(decoded.size, disk.size());
        std::string expected = disk.substr(0, 8 * BLOCK); // written up to the last block with data
        EXPECT_EQ(decoded.disk, expected) << chunk;
    }
}

TEST(ZfsStream, StreamsWithoutRecordChecksumsAreTakenOnTheirEndChecksum)
{
    std::string const disk = sample_disk();
    ZfsStreamBuilder builder;
    builder.record_checksums(false).free_objects(0, 1).object(1, Builder::OT_ZVOL, BLOCK);
    builder.write(1, 0, disk.substr(0, BLOCK)).properties(disk.size());
    Decoded decoded = decode(builder.end());
    ASSERT_TRUE(decoded.result.has_value()) << decoded.result.error().message;
    EXPECT_EQ(decoded.size, disk.size());
    EXPECT_EQ(decoded.disk, disk.substr(0, BLOCK));
}

TEST(ZfsStream, WithoutItsPropertiesTheSizeIsTheLastBlockWritten)
{
    ZfsStreamBuilder builder;
    builder.object(1, Builder::OT_ZVOL, BLOCK).write(1, 5 * BLOCK, std::string(512, 'x'));
    Decoded decoded = decode(builder.end());
    ASSERT_TRUE(decoded.result.has_value()) << decoded.result.error().message;
    EXPECT_EQ(decoded.size, 6U * BLOCK); // 5 * BLOCK + 512, rounded up to the block size
}

TEST(ZfsStream, AFreeAfterAWriteZeroesIt)
{
    ZfsStreamBuilder builder;
    builder.object(1, Builder::OT_ZVOL, BLOCK).write(1, 0, std::string(BLOCK, 'a'));
    builder.write(1, BLOCK, std::string(BLOCK, 'b')).free(1, 512, 1024);
    builder.free(1, BLOCK, Builder::OBJECT_END).properties(4 * BLOCK);
    Decoded decoded = decode(builder.end());
    ASSERT_TRUE(decoded.result.has_value()) << decoded.result.error().message;
    std::string expected = std::string(BLOCK, 'a') + std::string(BLOCK, '\0');
    expected.replace(512, 1024, std::string(1024, '\0'));
    EXPECT_EQ(decoded.disk, expected);
    EXPECT_EQ(decoded.size, 4U * BLOCK);
}

struct Refusal {
    char const* name;
    std::function<std::string()> stream;
    ImgCode code;
    char const* message; // a part of the error message
};

std::string with_volume(
    std::function<void(ZfsStreamBuilder&)> const& add, ZfsStreamBuilder::Begin const& begin = {})
{
    ZfsStreamBuilder builder(begin);
    builder.free_objects(0, 1).object(1, Builder::OT_ZVOL, BLOCK);
    builder.write(1, 0, std::string(BLOCK, 'd'));
    add(builder);
    return builder.end();
}

std::vector<Refusal> refusals()
{
    auto begin_with = [](auto change) {
        ZfsStreamBuilder::Begin begin;
        change(begin);
        return begin;
    };
    auto no_op = [](ZfsStreamBuilder&) {};
    return {
        { "Empty", [] { return std::string(); }, ImgCode::InvalidImageFile, "the stream is empty" },
        { "NotAStream", [] { return std::string(400, 'x'); }, ImgCode::InvalidImageFile,
            "no BEGIN record" },
        { "TruncatedInARecord",
            [&] {
                std::string s = with_volume(no_op);
                return s.substr(0, 312 + 100);
            },
            ImgCode::InvalidImageFile, "ends inside record 2 (truncated)" },
        { "TruncatedInAPayload",
            [&] {
                std::string s = with_volume(no_op);
                return s.substr(0, 4 * 312 + 100); // in the WRITE's data
            },
            ImgCode::InvalidImageFile, "ends inside record 4 (truncated)" },
        { "TruncatedBeforeTheEnd",
            [&] {
                std::string s = with_volume(no_op);
                return s.substr(0, s.size() - 312);
            },
            ImgCode::InvalidImageFile, "ends before its END record (truncated)" },
        { "Incremental",
            [&] { return with_volume(no_op, begin_with([](auto& b) { b.fromguid = 0xabcdef; })); },
            ImgCode::NotSupported,
            "zfs send stream uses an incremental send (from snapshot guid 0xabcdef)" },
        { "Replication",
            [&] { return with_volume(no_op, begin_with([](auto& b) { b.header_type = 2; })); },
            ImgCode::NotSupported, "uses replication (zfs send -R)" },
        { "BigEndian",
            [&] { return with_volume(no_op, begin_with([](auto& b) { b.big_endian = true; })); },
            ImgCode::NotSupported, "uses big-endian byte order" },
        { "AFilesystem",
            [&] {
                return with_volume(
                    no_op, begin_with([](auto& b) { b.objset = ZfsStreamBuilder::OST_ZFS; }));
            },
            ImgCode::InvalidImageFile, "it sends a filesystem, not a volume" },
        { "CompressedFeature",
            [&] {
                return with_volume(no_op,
                    begin_with([](auto& b) { b.features = ZfsStreamBuilder::FEATURE_COMPRESSED; }));
            },
            ImgCode::NotSupported, "uses compressed records (zfs send -c)" },
        { "RawFeature",
            [&] {
                return with_volume(
                    no_op, begin_with([](auto& b) { b.features = ZfsStreamBuilder::FEATURE_RAW; }));
            },
            ImgCode::NotSupported, "uses raw encrypted records (zfs send -w)" },
        { "LargeBlocks",
            [&] {
                return with_volume(no_op, begin_with([](auto& b) {
                    b.features = ZfsStreamBuilder::FEATURE_LARGE_BLOCKS;
                }));
            },
            ImgCode::NotSupported, "uses large blocks (zfs send -L)" },
        { "DedupFeature",
            [&] {
                return with_volume(no_op,
                    begin_with([](auto& b) { b.features = ZfsStreamBuilder::FEATURE_DEDUP; }));
            },
            ImgCode::NotSupported, "uses deduplication (zfs send -D)" },
        { "UnknownFeature",
            [&] {
                return with_volume(no_op, begin_with([](auto& b) { b.features = 1ULL << 40; }));
            },
            ImgCode::NotSupported, "uses unknown feature flags 0x10000000000" },
        { "CompressedWrite",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.write(1, BLOCK, std::string(BLOCK, 'c'), 15); });
            },
            ImgCode::NotSupported, "uses compressed records" },
        { "WriteByref",
            [&] { return with_volume([](ZfsStreamBuilder& b) { b.raw(Builder::WRITE_BYREF); }); },
            ImgCode::NotSupported, "uses deduplication (zfs send -D)" },
        { "Spill", [&] { return with_volume([](ZfsStreamBuilder& b) { b.raw(Builder::SPILL); }); },
            ImgCode::NotSupported, "uses SPILL records" },
        { "Embedded",
            [&] {
                return with_volume([](ZfsStreamBuilder& b) { b.raw(Builder::WRITE_EMBEDDED); });
            },
            ImgCode::NotSupported, "uses embedded blocks (zfs send -e)" },
        { "ObjectRange",
            [&] { return with_volume([](ZfsStreamBuilder& b) { b.raw(Builder::OBJECT_RANGE); }); },
            ImgCode::NotSupported, "uses raw encrypted records" },
        { "UnknownRecordType", [&] { return with_volume([](ZfsStreamBuilder& b) { b.raw(42); }); },
            ImgCode::InvalidImageFile, "record 5 has the unknown type 42" },
        { "ASecondBegin",
            [&] { return with_volume([](ZfsStreamBuilder& b) { b.raw(Builder::BEGIN); }); },
            ImgCode::InvalidImageFile, "a second BEGIN" },
        { "BadRecordChecksum",
            [&] {
                std::string s = with_volume(no_op);
                s[312 + 20] ^= 1; // FREEOBJECTS' count, under its checksum
                return s;
            },
            ImgCode::InvalidImageFile, "record 2 (FREEOBJECTS): bad checksum" },
        { "BadPayload",
            [&] {
                std::string s = with_volume(no_op);
                s[4 * 312 + 5] ^= 1; // the WRITE's data, under the END's checksums
                return s;
            },
            ImgCode::InvalidImageFile, "record 5 (END): bad checksum" },
        { "BadStreamChecksumWithoutRecordChecksums",
            [&] {
                ZfsStreamBuilder b;
                b.record_checksums(false).object(1, Builder::OT_ZVOL, BLOCK);
                b.write(1, 0, std::string(BLOCK, 'd'));
                std::string s = b.end();
                s[3 * 312 + 5] ^= 1; // the WRITE's data
                return s;
            },
            ImgCode::InvalidImageFile, "record 4 (END): the stream's checksum does not match" },
        { "EndOfAnotherStream",
            [&] {
                ZfsStreamBuilder b;
                b.object(1, Builder::OT_ZVOL, BLOCK).write(1, 0, std::string(BLOCK, 'd'));
                std::string end(Builder::RECORD, '\0');
                for (size_t word = 0; word < 4; ++word) {
                    Builder::put64(end, 8 + 8 * word, b.checksum()[word]);
                }
                Builder::put64(end, 40, 77);
                return b.raw(Builder::END, end).bytes();
            },
            ImgCode::InvalidImageFile, "ends the stream of snapshot guid 0x4d" },
        { "DataAfterTheEnd", [&] { return with_volume(no_op) + std::string(8, '\0'); },
            ImgCode::InvalidImageFile, "data after the END record" },
        { "WritePastTheLargestVolume",
            [&] {
                return with_volume([](ZfsStreamBuilder& b) {
                    b.write(1, detail::MAX_VOLUME_BYTES, std::string(BLOCK, 'o'));
                });
            },
            ImgCode::InvalidImageFile, "at offset 8796093022208 past the largest volume" },
        { "WriteOffsetThatWraps",
            [&] {
                return with_volume([](ZfsStreamBuilder& b) {
                    b.write(1, ~uint64_t { 0 } - 100, std::string(BLOCK, 'o'));
                });
            },
            ImgCode::InvalidImageFile, "past the largest volume" },
        { "FreePastTheLargestVolume",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.free(1, detail::MAX_VOLUME_BYTES + 512, 512); });
            },
            ImgCode::InvalidImageFile, "past the largest volume" },
        { "WriteLongerThanABlock",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.write(1, 0, std::string(256 * 1024, 'l')); });
            },
            ImgCode::InvalidImageFile, "WRITE): of 262144 bytes" },
        { "WriteOfAnOddSize",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.write(1, 0, std::string(100, 'l')); });
            },
            ImgCode::InvalidImageFile, "WRITE): of 100 bytes" },
        { "WriteThatClaimsMoreThanTheStreamHolds",
            [&] {
                ZfsStreamBuilder b;
                b.object(1, Builder::OT_ZVOL, BLOCK).write_sized(1, 0, 128 * 1024, "short");
                return b.bytes();
            },
            ImgCode::InvalidImageFile, "ends inside record 3 (truncated)" },
        { "WriteBeforeItsObject",
            [] {
                ZfsStreamBuilder b;
                b.write(1, 0, std::string(BLOCK, 'w'));
                return b.end();
            },
            ImgCode::InvalidImageFile, "to object 1, which the stream has not declared" },
        { "AnotherObject",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.object(3, 19 /* a file's */, BLOCK); });
            },
            ImgCode::InvalidImageFile, "object 3, which a volume does not have" },
        { "ObjectOfTheWrongType",
            [] {
                ZfsStreamBuilder b;
                b.object(1, 19, BLOCK);
                return b.end();
            },
            ImgCode::InvalidImageFile, "object 1 has type 19, not 23" },
        { "ObjectDeclaredTwice",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.object(1, Builder::OT_ZVOL, BLOCK); });
            },
            ImgCode::InvalidImageFile, "object 1 declared twice" },
        { "ObjectWithAHugeBlock",
            [] {
                ZfsStreamBuilder b;
                b.object(1, Builder::OT_ZVOL, 1U << 20);
                return b.end();
            },
            ImgCode::InvalidImageFile, "block size 1048576" },
        { "FreeObjectsOverTheVolume",
            [&] { return with_volume([](ZfsStreamBuilder& b) { b.free_objects(0, 5); }); },
            ImgCode::InvalidImageFile, "frees object 1, which the stream declared" },
        { "FreeObjectsThatWrap",
            [&] {
                return with_volume([](ZfsStreamBuilder& b) { b.free_objects(5, ~uint64_t { 0 }); });
            },
            ImgCode::InvalidImageFile, "overflow" },
        { "VolsizeBelowTheData",
            [&] { return with_volume([](ZfsStreamBuilder& b) { b.properties(512); }); },
            ImgCode::InvalidImageFile, "past the volsize 512" },
        { "VolsizeAboveTheLargestVolume",
            [&] {
                return with_volume(
                    [](ZfsStreamBuilder& b) { b.properties(detail::MAX_VOLUME_BYTES + BLOCK); });
            },
            ImgCode::InvalidImageFile, "volsize 8796093030400" },
        { "NoVolumeData",
            [] {
                ZfsStreamBuilder b;
                b.free_objects(0, 32);
                return b.end();
            },
            ImgCode::InvalidImageFile, "no volume data (object 1)" },
        { "BeginPayloadTooLong",
            [&] {
                return with_volume(
                    no_op, begin_with([](auto& b) { b.payload = std::string(2 << 20, 'n'); }));
            },
            ImgCode::InvalidImageFile, "BEGIN payload of 2097152 bytes" },
    };
}

class ZfsStreamRefusal : public ::testing::TestWithParam<Refusal> { };

TEST_P(ZfsStreamRefusal, SaysWhy)
{
    std::string const stream = GetParam().stream();
    for (size_t chunk : { size_t { 0 }, size_t { 100 } }) {
        Decoded decoded = decode(stream, chunk);
        ASSERT_FALSE(decoded.result.has_value()) << chunk;
        EXPECT_EQ(decoded.result.error().code, GetParam().code) << decoded.result.error().message;
        EXPECT_NE(decoded.result.error().message.find(GetParam().message), std::string::npos)
            << decoded.result.error().message;
    }
}

INSTANTIATE_TEST_SUITE_P(Streams, ZfsStreamRefusal, ::testing::ValuesIn(refusals()),
    [](::testing::TestParamInfo<Refusal> const& param) { return std::string(param.param.name); });

TEST(ZfsStream, TheBeginRecordSaysWhatTheStreamIs)
{
    std::string const stream = volume_stream(sample_disk());
    auto begin = detail::parse_zfs_begin(stream);
    ASSERT_TRUE(begin.has_value()) << begin.error().message;
    EXPECT_EQ(begin->objset, detail::ZfsStreamBegin::Objset::Volume);
    EXPECT_EQ(begin->fromguid, 0U);
    EXPECT_FALSE(detail::unreceivable_feature(*begin).has_value());

    ZfsStreamBuilder::Begin incremental;
    incremental.fromguid = 0x42;
    begin = detail::parse_zfs_begin(ZfsStreamBuilder(incremental).bytes());
    ASSERT_TRUE(begin.has_value());
    EXPECT_EQ(detail::unreceivable_feature(*begin),
        std::optional<std::string>("an incremental send (from snapshot guid 0x42)"));
    EXPECT_FALSE(detail::parse_zfs_begin(stream.substr(0, 311)).has_value());
}

TEST(ZfsStream, Fletcher4OfKnownWords)
{
    // Words 1, 2, 3: a = 6, b = 1 + 3 + 6 = 10, c = 1 + 4 + 10 = 15, d = 1 + 5 + 15 = 21.
    std::string words;
    for (uint32_t word : { 1U, 2U, 3U }) {
        std::string bytes(4, '\0');
        ZfsStreamBuilder::put32(bytes, 0, word);
        words += bytes;
    }
    detail::Fletcher4 sum;
    sum.add(words);
    EXPECT_EQ(sum.sums, (std::array<uint64_t, 4> { 6, 10, 15, 21 }));
}

} // namespace
} // namespace lumos::test
