// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/byte_ranges.hpp"

#include <algorithm>
#include <limits>
#include <optional>

namespace lumos::imgapi {
namespace {

constexpr uint64_t MAX_POSITION = std::numeric_limits<uint64_t>::max();
// The only range unit there is; case-insensitive (RFC 9110 §14.1).
constexpr std::string_view BYTES_UNIT = "bytes=";

struct RangeSpec {
    std::optional<uint64_t> first; // nullopt: a suffix range "-N"
    std::optional<uint64_t> last;
};

bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view text)
{
    while (!text.empty() && is_ows(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_ows(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// 1*DIGIT; a value past 2^64-1 saturates (it is beyond any file either way).
std::optional<uint64_t> parse_position(std::string_view digits)
{
    if (digits.empty()) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        auto digit = static_cast<uint64_t>(c - '0');
        value = value > (MAX_POSITION - digit) / 10 ? MAX_POSITION : value * 10 + digit;
    }
    return value;
}

// int-range (first "-" [last]) or suffix-range ("-" length); nullopt when invalid.
std::optional<RangeSpec> parse_spec(std::string_view text)
{
    auto dash = text.find('-');
    if (dash == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view first_text = text.substr(0, dash);
    std::string_view last_text = text.substr(dash + 1);
    RangeSpec spec;
    if (first_text.empty()) {
        spec.last = parse_position(last_text);
        return spec.last ? std::optional<RangeSpec>(spec) : std::nullopt;
    }
    spec.first = parse_position(first_text);
    if (!spec.first) {
        return std::nullopt;
    }
    if (!last_text.empty()) {
        spec.last = parse_position(last_text);
        if (!spec.last || *spec.last < *spec.first) {
            return std::nullopt;
        }
    }
    return spec;
}

// The part of the file a spec selects; nullopt when it selects nothing (unsatisfiable).
std::optional<ByteRange> resolve(RangeSpec const& spec, uint64_t size)
{
    if (!spec.first) {
        uint64_t suffix = *spec.last;
        if (suffix == 0) {
            return std::nullopt;
        }
        return ByteRange { suffix >= size ? 0 : size - suffix, size - 1 };
    }
    if (*spec.first >= size) {
        return std::nullopt;
    }
    return ByteRange { *spec.first, spec.last ? std::min(*spec.last, size - 1) : size - 1 };
}

bool starts_with_bytes_unit(std::string_view field)
{
    if (field.size() < BYTES_UNIT.size()) {
        return false;
    }
    for (size_t i = 0; i < BYTES_UNIT.size(); ++i) {
        char c = field[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != BYTES_UNIT[i]) {
            return false;
        }
    }
    return true;
}

std::string content_range(ByteRange const& range, uint64_t size)
{
    return "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) + "/"
        + std::to_string(size);
}

std::vector<BodySegment> multipart_body(std::vector<ByteRange> const& ranges, uint64_t size,
    std::string const& content_type, std::string const& boundary)
{
    std::vector<BodySegment> body;
    for (size_t i = 0; i < ranges.size(); ++i) {
        BodySegment header;
        header.text = i == 0 ? "--" : "\r\n--";
        header.text.append(boundary).append("\r\nContent-Type: ").append(content_type);
        header.text.append("\r\nContent-Range: ").append(content_range(ranges[i], size));
        header.text.append("\r\n\r\n");
        body.push_back(std::move(header));
        body.push_back(BodySegment { {}, ranges[i].first, ranges[i].length() });
    }
    body.push_back(BodySegment { "\r\n--" + boundary + "--\r\n", 0, 0 });
    return body;
}

RangeAnswer whole(uint64_t size, std::string const& content_type)
{
    RangeAnswer answer;
    answer.status = 200;
    answer.content_type = content_type;
    if (size > 0) {
        answer.body.push_back(BodySegment { {}, 0, size });
    }
    return answer;
}

} // namespace

uint64_t RangeAnswer::length() const
{
    uint64_t total = 0;
    for (auto const& segment : body) {
        total += segment.length();
    }
    return total;
}

RangePlan plan_ranges(std::string_view field, uint64_t size)
{
    field = trim_ows(field);
    if (size == 0 || !starts_with_bytes_unit(field)) {
        return {};
    }
    field.remove_prefix(BYTES_UNIT.size());

    // range-set = 1#range-spec: empty list elements are allowed and skipped (RFC 9110 §5.6.1).
    std::vector<ByteRange> ranges;
    bool any_spec = false;
    while (true) {
        auto comma = field.find(',');
        std::string_view element = trim_ows(field.substr(0, comma));
        if (!element.empty()) {
            auto spec = parse_spec(element);
            if (!spec) {
                return {};
            }
            any_spec = true;
            if (auto range = resolve(*spec, size)) {
                ranges.push_back(*range);
            }
        }
        if (comma == std::string_view::npos) {
            break;
        }
        field.remove_prefix(comma + 1);
    }
    if (!any_spec) {
        return {};
    }
    if (ranges.empty()) {
        return RangePlan { RangeOutcome::Unsatisfiable, {} };
    }

    std::sort(ranges.begin(), ranges.end(),
        [](ByteRange const& a, ByteRange const& b) { return a.first < b.first; });
    std::vector<ByteRange> merged { ranges.front() };
    for (size_t i = 1; i < ranges.size(); ++i) {
        ByteRange& current = merged.back();
        // Overlapping or adjacent (current.last + 1 cannot overflow: last < size).
        if (ranges[i].first <= current.last + 1) {
            current.last = std::max(current.last, ranges[i].last);
        } else {
            merged.push_back(ranges[i]);
        }
    }
    return RangePlan { RangeOutcome::Partial, std::move(merged) };
}

RangeAnswer answer_range(std::string const* field, uint64_t size, std::string const& content_type,
    std::string const& boundary)
{
    if (field == nullptr) {
        return whole(size, content_type);
    }
    RangePlan plan = plan_ranges(*field, size);
    switch (plan.outcome) {
    case RangeOutcome::Whole:
        return whole(size, content_type);
    case RangeOutcome::Unsatisfiable: {
        RangeAnswer answer;
        answer.status = 416;
        answer.content_range = "bytes */" + std::to_string(size);
        return answer;
    }
    case RangeOutcome::Partial:
        break;
    }
    if (plan.ranges.size() == 1) {
        RangeAnswer answer;
        answer.status = 206;
        answer.content_type = content_type;
        answer.content_range = content_range(plan.ranges[0], size);
        answer.body.push_back(BodySegment { {}, plan.ranges[0].first, plan.ranges[0].length() });
        return answer;
    }
    if (plan.ranges.size() > MAX_PARTS) {
        return whole(size, content_type);
    }
    RangeAnswer answer;
    answer.status = 206;
    answer.content_type = "multipart/byteranges; boundary=" + boundary;
    answer.body = multipart_body(plan.ranges, size, content_type, boundary);
    if (answer.length() > size) {
        return whole(size, content_type);
    }
    return answer;
}

} // namespace lumos::imgapi
