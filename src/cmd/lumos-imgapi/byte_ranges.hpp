// SPDX-License-Identifier: MPL-2.0
// Range requests as RFC 9110 §14 asks, for one file of a known size: what a GET with a Range
// field is answered with. Pure: no I/O.
//
// - A field that is not a valid `bytes=` range set (syntax, an unknown unit, first > last) is
//   ignored: the whole file, 200.
// - Unsatisfiable range specs are dropped; when none is left, 416 with `bytes */<size>`.
// - The rest are sorted and merged where they overlap or touch, so no byte is sent twice: one
//   range left is a 206 with its Content-Range, several a multipart/byteranges 206.
// - An answer is never longer than the file: more than MAX_PARTS ranges after merging, or a
//   multipart body (part headers included) longer than the file, get the whole file, 200.
// - An empty file is always served whole (no Content-Range can describe a part of it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::imgapi {

// The most ranges one multipart answer carries.
constexpr size_t MAX_PARTS = 16;

// Inclusive, as in Content-Range: bytes first-last/size.
struct ByteRange {
    uint64_t first { 0 };
    uint64_t last { 0 };
    uint64_t length() const { return last - first + 1; }
    friend bool operator==(ByteRange const&, ByteRange const&) = default;
};

enum class RangeOutcome {
    Whole, // no Range, one to ignore, or an empty file
    Partial, // `ranges`: sorted, disjoint, not adjacent, at least one
    Unsatisfiable,
};

struct RangePlan {
    RangeOutcome outcome { RangeOutcome::Whole };
    std::vector<ByteRange> ranges;
};

// The satisfiable, merged ranges of a Range field's value (all its field lines joined with
// ", ") over a file of `size` bytes.
RangePlan plan_ranges(std::string_view field, uint64_t size);

// One piece of a response body: literal text, or a slice of the file when length_in_file > 0.
struct BodySegment {
    std::string text;
    uint64_t file_offset { 0 };
    uint64_t length_in_file { 0 };
    uint64_t length() const { return length_in_file > 0 ? length_in_file : text.size(); }
};

struct RangeAnswer {
    int status { 200 }; // 200, 206 or 416
    std::string content_type; // the file's, or multipart/byteranges; boundary=...
    std::string content_range; // "" when none is sent
    std::vector<BodySegment> body;
    uint64_t length() const;
};

// The whole answer to a GET of a `size`-byte file of `content_type` with Range field `field`
// (nullptr: none sent); `boundary` separates the parts of a multipart answer.
RangeAnswer answer_range(std::string const* field, uint64_t size, std::string const& content_type,
    std::string const& boundary);

} // namespace lumos::imgapi
