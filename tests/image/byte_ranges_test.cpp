// SPDX-License-Identifier: MPL-2.0
// lumos-imgapi's answers to Range requests (RFC 9110 §14), as pure functions.
#include "cmd/lumos-imgapi/byte_ranges.hpp"
#include "cmd/lumos-imgapi/request_head.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lumos::imgapi {
namespace {

std::string const TYPE = "application/octet-stream";

RangeAnswer answer(std::string const& field, uint64_t size)
{
    return answer_range(&field, size, TYPE, "BOUNDARY");
}

std::vector<ByteRange> ranges(std::string const& field, uint64_t size)
{
    RangePlan plan = plan_ranges(field, size);
    EXPECT_EQ(plan.outcome, RangeOutcome::Partial) << field;
    return plan.ranges;
}

TEST(ByteRanges, SingleRangesResolveAsRfc9110Says)
{
    EXPECT_EQ(ranges("bytes=0-99", 1000), (std::vector<ByteRange> { { 0, 99 } }));
    EXPECT_EQ(ranges("bytes=900-", 1000), (std::vector<ByteRange> { { 900, 999 } }));
    EXPECT_EQ(ranges("bytes=-100", 1000), (std::vector<ByteRange> { { 900, 999 } }));
    // A last position past the end is clamped, a suffix longer than the file is all of it.
    EXPECT_EQ(ranges("bytes=990-5000", 1000), (std::vector<ByteRange> { { 990, 999 } }));
    EXPECT_EQ(ranges("bytes=-5000", 1000), (std::vector<ByteRange> { { 0, 999 } }));
    EXPECT_EQ(ranges("bytes=0-99999999999999999999999999", 1000),
        (std::vector<ByteRange> { { 0, 999 } }));
    // The unit is case-insensitive; list elements may be empty and carry whitespace.
    EXPECT_EQ(ranges("Bytes=5-9", 1000), (std::vector<ByteRange> { { 5, 9 } }));
    EXPECT_EQ(ranges("bytes= ,  5-9 ,, ", 1000), (std::vector<ByteRange> { { 5, 9 } }));
}

TEST(ByteRanges, OverlappingAndAdjacentRangesMerge)
{
    EXPECT_EQ(ranges("bytes=0-99,50-149,150-199", 1000), (std::vector<ByteRange> { { 0, 199 } }));
    EXPECT_EQ(ranges("bytes=500-599,0-9,5-20", 1000),
        (std::vector<ByteRange> { { 0, 20 }, { 500, 599 } }));
    EXPECT_EQ(ranges("bytes=-10,0-", 1000), (std::vector<ByteRange> { { 0, 999 } }));
    std::string copies = "bytes=0-";
    for (int i = 0; i < 199; ++i) {
        copies += ",0-";
    }
    EXPECT_EQ(ranges(copies, 1000), (std::vector<ByteRange> { { 0, 999 } }));
}

TEST(ByteRanges, InvalidFieldsAreIgnored)
{
    for (std::string field : { "", "bytes=", "bytes=,", "bytes=abc", "bytes=5-1", "bytes=1-2-3",
             "bytes=--5", "bytes=0x10-20", "bytes=+1-2", "items=0-1", "bytes 0-1", "bytes=0-1;",
             "bytes=0-1,x" }) {
        EXPECT_EQ(plan_ranges(field, 1000).outcome, RangeOutcome::Whole) << field;
    }
    // Nothing of an empty file can be named.
    EXPECT_EQ(plan_ranges("bytes=0-", 0).outcome, RangeOutcome::Whole);
}

TEST(ByteRanges, UnsatisfiableRangesAreDropped)
{
    EXPECT_EQ(plan_ranges("bytes=1000-", 1000).outcome, RangeOutcome::Unsatisfiable);
    EXPECT_EQ(plan_ranges("bytes=-0", 1000).outcome, RangeOutcome::Unsatisfiable);
    EXPECT_EQ(plan_ranges("bytes=5000-6000,-0", 1000).outcome, RangeOutcome::Unsatisfiable);
    EXPECT_EQ(ranges("bytes=5000-6000,10-19", 1000), (std::vector<ByteRange> { { 10, 19 } }));
}

TEST(ByteRanges, AnswersAreNeverLongerThanTheFile)
{
    RangeAnswer single = answer("bytes=10-19", 1000);
    EXPECT_EQ(single.status, 206);
    EXPECT_EQ(single.content_range, "bytes 10-19/1000");
    EXPECT_EQ(single.content_type, TYPE);
    EXPECT_EQ(single.length(), 10U);

    RangeAnswer unsatisfiable = answer("bytes=2000-", 1000);
    EXPECT_EQ(unsatisfiable.status, 416);
    EXPECT_EQ(unsatisfiable.content_range, "bytes */1000");
    EXPECT_EQ(unsatisfiable.length(), 0U);

    RangeAnswer two = answer("bytes=0-99,500-599", 1000);
    EXPECT_EQ(two.status, 206);
    EXPECT_EQ(two.content_type, "multipart/byteranges; boundary=BOUNDARY");
    EXPECT_EQ(two.content_range, "");
    ASSERT_EQ(two.body.size(), 5U);
    EXPECT_EQ(two.body[0].text,
        "--BOUNDARY\r\nContent-Type: application/octet-stream\r\n"
        "Content-Range: bytes 0-99/1000\r\n\r\n");
    EXPECT_EQ(two.body[1].file_offset, 0U);
    EXPECT_EQ(two.body[1].length_in_file, 100U);
    EXPECT_EQ(two.body[3].file_offset, 500U);
    EXPECT_EQ(two.body[4].text, "\r\n--BOUNDARY--\r\n");
    EXPECT_LE(two.length(), 1000U);

    // More parts than MAX_PARTS, or parts whose headers outweigh the file: the whole file.
    std::string many = "bytes=0-0";
    for (int i = 1; i <= 20; ++i) {
        many += "," + std::to_string(i * 40) + "-" + std::to_string(i * 40 + 9);
    }
    EXPECT_EQ(answer(many, 100000).status, 200);
    RangeAnswer tiny = answer("bytes=0-0,2-2,4-4", 10);
    EXPECT_EQ(tiny.status, 200);
    EXPECT_EQ(tiny.length(), 10U);

    RangeAnswer none = answer_range(nullptr, 1000, TYPE, "BOUNDARY");
    EXPECT_EQ(none.status, 200);
    EXPECT_EQ(none.length(), 1000U);
}

TEST(RequestHead, FindsTheEndOfTheHead)
{
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n\r\nrest"), 27U);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\n\nrest"), 24U);
    EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\r\n"), std::string::npos);
}

TEST(RequestHead, RangeIsTakenOutAndBodiesNoted)
{
    RequestHead head = inspect_head("GET /f HTTP/1.1\r\nHost: x\r\nrange: bytes=0-1\r\n"
                                    "RANGE:  bytes=5-6 \r\nAccept: */*\r\n\r\n");
    EXPECT_EQ(head.bytes, "GET /f HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n");
    ASSERT_TRUE(head.range);
    EXPECT_EQ(*head.range, "bytes=0-1, bytes=5-6");
    EXPECT_FALSE(head.has_body);

    EXPECT_FALSE(inspect_head("GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").has_body);
    EXPECT_TRUE(inspect_head("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n").has_body);
    EXPECT_TRUE(inspect_head("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").has_body);
    // A field whose name only looks like Range stays, as httplib reads it (and ignores it).
    EXPECT_FALSE(inspect_head("GET / HTTP/1.1\r\nRange : bytes=0-1\r\n\r\n").range);
}

} // namespace
} // namespace lumos::imgapi
