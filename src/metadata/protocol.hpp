// SPDX-License-Identifier: MPL-2.0
// SmartOS's guest metadata protocol as bytes (reference section 5; smartos-live's
// src/vm/lib/metadata/agent.js and mdata-client's proto.c): one request or response per line,
// V1 text lines or V2 frames `V2 <body length> <crc32> <body>` with base64 arguments. Pure, and
// standard library only, so that the server and the static mdata-* clients can share it.
// Nothing here trusts its input: every line comes from a guest (or, for a client, a host).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace lumos::metadata {

// A line longer than this is not read to its end: the connection is dropped. A value of 1 MiB,
// base64-encoded twice (PUT) and framed, fits.
inline constexpr std::size_t MAX_LINE = (std::size_t { 1 } << 20) * 16 / 9 + 256;
// The largest value a PUT may store (what the server refuses beyond).
inline constexpr std::size_t MAX_VALUE = std::size_t { 1 } << 20;

// CRC-32 (IEEE 802.3, reflected 0xEDB88320, as zlib's crc32).
std::uint32_t crc32(std::string_view bytes);

// Standard base64 with padding.
std::string base64_encode(std::string_view bytes);
// Strict: the standard alphabet, padding only at the end, a length that is a multiple of 4;
// nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view text);

// One request line (its '\n' removed).
struct Request {
    bool v2 { false };
    std::string reqid; // V2: echoed in the response; V1: ""
    std::string command; // as sent: "GET", "KEYS", "PUT", "DELETE", "NEGOTIATE", ...
    std::optional<std::string> argument; // decoded (V2) or raw (V1); nullopt when none
};

enum class LineKind {
    Request, // answer it
    Ignore, // a V2 frame whose length, CRC or shape is wrong: no reply at all (agent.js)
    Invalid, // a V1 line the server answers with "invalid command"
    Undecodable, // a V2 frame whose argument is not base64: answered FAILURE (reqid known)
};

struct ParsedLine {
    LineKind kind { LineKind::Ignore };
    Request request;
};

ParsedLine parse_request_line(std::string_view line);

// "V2 <len> <crc> <reqid> <code>[ <base64(payload)>]\n"; no payload field when it is empty.
std::string format_v2_response(
    std::string_view reqid, std::string_view code, std::string_view payload = {});
// "<code>\n", and for SUCCESS the payload's lines (a leading '.' doubled) and a lone ".".
std::string format_v1_response(std::string_view code, std::optional<std::string_view> payload);

// A client's request frame: "V2 <len> <crc> <reqid> <command>[ <base64(argument)>]\n".
std::string format_v2_request(
    std::string_view reqid, std::string_view command, std::optional<std::string_view> argument);

// A V2 response line as a client reads it: its reqid, code and decoded payload; nullopt for a
// frame whose length, CRC (0 is refused, as the C client does) or base64 is wrong.
struct Response {
    std::string reqid;
    std::string code;
    std::string payload;
};
std::optional<Response> parse_v2_response(std::string_view line);

// PUT's argument (already decoded once): "<base64(key)> <base64(value)>" -> key, value. nullopt
// when it has not two terms, either is not base64, the key is empty or the value is too large.
std::optional<std::pair<std::string, std::string>> parse_put_argument(std::string_view argument);
// The argument a client sends for PUT (before the frame's own base64).
std::string format_put_argument(std::string_view key, std::string_view value);

} // namespace lumos::metadata
