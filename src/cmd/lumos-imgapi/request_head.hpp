// SPDX-License-Identifier: MPL-2.0
// A request head (request line and header fields) as GuardedServer reads it before httplib
// parses it. Pure: no I/O.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lumos::imgapi {

// The most bytes a request head may take (httplib bounds each line to 8 KiB, not their number).
constexpr size_t MAX_HEAD_BYTES = size_t { 64 } * 1024;

// Where the head at the start of `buffer` ends (just past its blank line: CRLF CRLF, or LF LF
// from a client that sends bare LFs), or npos when the blank line has not arrived.
size_t find_head_end(std::string_view buffer);

struct RequestHead {
    std::string bytes; // the head, without its Range field lines
    std::optional<std::string> range; // the Range field lines' values, joined with ", "
    bool has_body { false }; // a Content-Length other than 0, or a Transfer-Encoding
};

// Takes the Range field out of a head (httplib 0.11 answers 416 to any Range it cannot parse,
// where RFC 9110 asks for it to be ignored; the range logic is ours) and notes whether a body
// follows (the server reads none, so the connection cannot carry another request after it).
RequestHead inspect_head(std::string_view head);

} // namespace lumos::imgapi
