// SPDX-License-Identifier: MPL-2.0
#include "metadata/protocol.hpp"

#include <array>

namespace lumos::metadata {

namespace {

constexpr std::string_view ALPHABET
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::uint32_t, 256> crc_table()
{
    std::array<std::uint32_t, 256> table {};
    for (std::uint32_t n = 0; n < 256; ++n) {
        std::uint32_t c = n;
        for (int k = 0; k < 8; ++k) {
            c = (c & 1U) != 0 ? 0xEDB88320U ^ (c >> 1U) : c >> 1U;
        }
        table[n] = c;
    }
    return table;
}

constexpr auto CRC_TABLE = crc_table();

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

std::string_view skip_spaces(std::string_view text)
{
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    return text;
}

// A run of characters satisfying pred at the start of text (which moves past it); "" for none.
template <typename Pred>
std::string_view take(std::string_view& text, Pred pred)
{
    std::size_t n = 0;
    while (n < text.size() && pred(text[n])) {
        ++n;
    }
    std::string_view const run = text.substr(0, n);
    text.remove_prefix(n);
    return run;
}

std::string hex8(std::uint32_t value)
{
    std::string out(8, '0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = "0123456789abcdef"[value & 0xFU];
        value >>= 4U;
    }
    return out;
}

// "V2 <len> <crc> <reqid> <rest>": the reqid and the rest when the length and CRC hold (agent.js
// parse_v2_request's regex, \s*([0-9]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+(.*)).
std::optional<std::pair<std::string_view, std::string_view>> unframe(std::string_view line)
{
    if (!line.starts_with("V2")) {
        return std::nullopt;
    }
    std::string_view text = skip_spaces(line.substr(2));
    std::string_view const length = take(text, [](char c) { return c >= '0' && c <= '9'; });
    if (length.empty() || length.size() > 9 || text.empty() || !is_space(text.front())) {
        return std::nullopt;
    }
    text = skip_spaces(text);
    std::string_view const crc = take(text, is_hex);
    if (crc.empty() || crc.size() > 8 || text.empty() || !is_space(text.front())) {
        return std::nullopt;
    }
    text = skip_spaces(text);
    std::string_view const reqid = take(text, is_hex);
    if (reqid.empty() || text.empty() || !is_space(text.front())) {
        return std::nullopt;
    }
    std::string_view const rest = skip_spaces(text);
    std::size_t expected_length = 0;
    for (char const c : length) {
        expected_length = expected_length * 10 + static_cast<std::size_t>(c - '0');
    }
    std::uint32_t expected_crc = 0;
    for (char const c : crc) {
        expected_crc
            = (expected_crc << 4U) | static_cast<std::uint32_t>(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    std::string body;
    body.reserve(reqid.size() + 1 + rest.size());
    body.append(reqid).append(" ").append(rest);
    if (expected_length == 0 || body.size() != expected_length || crc32(body) != expected_crc) {
        return std::nullopt;
    }
    return std::make_pair(reqid, rest);
}

std::string frame(std::string const& body)
{
    return "V2 " + std::to_string(body.size()) + " " + hex8(crc32(body)) + " " + body + "\n";
}

} // namespace

std::uint32_t crc32(std::string_view bytes)
{
    std::uint32_t c = 0xFFFFFFFFU;
    for (char const byte : bytes) {
        c = CRC_TABLE[(c ^ static_cast<unsigned char>(byte)) & 0xFFU] ^ (c >> 8U);
    }
    return c ^ 0xFFFFFFFFU;
}

std::string base64_encode(std::string_view bytes)
{
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        std::uint32_t const n = (std::uint32_t { static_cast<unsigned char>(bytes[i]) } << 16U)
            | (std::uint32_t { static_cast<unsigned char>(bytes[i + 1]) } << 8U)
            | static_cast<unsigned char>(bytes[i + 2]);
        out += ALPHABET[(n >> 18U) & 63U];
        out += ALPHABET[(n >> 12U) & 63U];
        out += ALPHABET[(n >> 6U) & 63U];
        out += ALPHABET[n & 63U];
    }
    if (std::size_t const left = bytes.size() - i; left > 0) {
        std::uint32_t n = std::uint32_t { static_cast<unsigned char>(bytes[i]) } << 16U;
        if (left == 2) {
            n |= std::uint32_t { static_cast<unsigned char>(bytes[i + 1]) } << 8U;
        }
        out += ALPHABET[(n >> 18U) & 63U];
        out += ALPHABET[(n >> 12U) & 63U];
        out += left == 2 ? ALPHABET[(n >> 6U) & 63U] : '=';
        out += '=';
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        bool const last = i + 4 == text.size();
        std::uint32_t n = 0;
        int padding = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            char const c = text[i + k];
            if (c == '=') {
                // Only in the last group, only as its last one or two characters.
                if (!last || k < 2 || (k == 2 && text[i + 3] != '=')) {
                    return std::nullopt;
                }
                ++padding;
                n <<= 6U;
                continue;
            }
            std::size_t const value = ALPHABET.find(c);
            if (value == std::string_view::npos || padding > 0) {
                return std::nullopt;
            }
            n = (n << 6U) | static_cast<std::uint32_t>(value);
        }
        // Canonical only: the bits padding leaves over must be zero ("Zh==" is not "Zg==").
        if ((padding == 2 && (n & 0xFFFFU) != 0) || (padding == 1 && (n & 0xFFU) != 0)) {
            return std::nullopt;
        }
        out += static_cast<char>((n >> 16U) & 0xFFU);
        if (padding < 2) {
            out += static_cast<char>((n >> 8U) & 0xFFU);
        }
        if (padding < 1) {
            out += static_cast<char>(n & 0xFFU);
        }
    }
    return out;
}

ParsedLine parse_request_line(std::string_view line)
{
    ParsedLine parsed;
    if (line.starts_with("V2 ") || line == "V2") {
        auto framed = unframe(line);
        if (!framed) {
            return parsed; // Ignore
        }
        auto [reqid, rest] = *framed;
        parsed.request.v2 = true;
        parsed.request.reqid = std::string(reqid);
        std::size_t const space = rest.find(' ');
        parsed.request.command = std::string(rest.substr(0, space));
        if (space != std::string_view::npos) {
            std::string_view argument = rest.substr(space + 1);
            while (!argument.empty() && is_space(argument.back())) {
                argument.remove_suffix(1);
            }
            if (!argument.empty()) {
                auto decoded = base64_decode(argument);
                if (!decoded) {
                    parsed.kind = LineKind::Undecodable;
                    return parsed;
                }
                parsed.request.argument = std::move(*decoded);
            }
        }
        parsed.kind = parsed.request.command.empty() ? LineKind::Ignore : LineKind::Request;
        return parsed;
    }
    // V1: "<COMMAND> <argument>".
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
        line.remove_suffix(1);
    }
    std::string_view const text = skip_spaces(line);
    if (text.empty()) {
        parsed.kind = LineKind::Invalid;
        return parsed;
    }
    std::size_t const space = text.find(' ');
    parsed.request.command = std::string(text.substr(0, space));
    if (space != std::string_view::npos && space + 1 < text.size()) {
        parsed.request.argument = std::string(text.substr(space + 1));
    }
    bool const needs_argument
        = parsed.request.command == "GET" || parsed.request.command == "NEGOTIATE";
    parsed.kind
        = needs_argument && !parsed.request.argument ? LineKind::Invalid : LineKind::Request;
    return parsed;
}

std::string format_v2_response(
    std::string_view reqid, std::string_view code, std::string_view payload)
{
    std::string body = std::string(reqid) + " " + std::string(code);
    if (!payload.empty()) {
        body += " " + base64_encode(payload);
    }
    return frame(body);
}

std::string format_v1_response(std::string_view code, std::optional<std::string_view> payload)
{
    std::string out = std::string(code) + "\n";
    if (code != "SUCCESS" || !payload) {
        return out;
    }
    std::string_view rest = *payload;
    for (;;) {
        std::size_t const end = rest.find('\n');
        std::string_view const line = rest.substr(0, end);
        if (line.starts_with('.')) {
            out += '.';
        }
        out.append(line).append("\n");
        if (end == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(end + 1);
    }
    return out + ".\n";
}

std::string format_v2_request(
    std::string_view reqid, std::string_view command, std::optional<std::string_view> argument)
{
    std::string body = std::string(reqid) + " " + std::string(command);
    if (argument) {
        body += " " + base64_encode(*argument);
    }
    return frame(body);
}

std::optional<Response> parse_v2_response(std::string_view line)
{
    auto framed = unframe(line);
    if (!framed) {
        return std::nullopt;
    }
    auto [reqid, rest] = *framed;
    // The C client refuses a CRC that parses as 0 (it cannot tell it from a parse failure).
    std::string body = std::string(reqid) + " " + std::string(rest);
    if (crc32(body) == 0) {
        return std::nullopt;
    }
    Response response;
    response.reqid = std::string(reqid);
    std::size_t const space = rest.find(' ');
    response.code = std::string(rest.substr(0, space));
    if (space != std::string_view::npos) {
        auto decoded = base64_decode(rest.substr(space + 1));
        if (!decoded) {
            return std::nullopt;
        }
        response.payload = std::move(*decoded);
    }
    return response;
}

std::optional<std::pair<std::string, std::string>> parse_put_argument(std::string_view argument)
{
    std::string_view text = skip_spaces(argument);
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    std::size_t const space = text.find(' ');
    if (space == std::string_view::npos) {
        return std::nullopt; // one term: no value
    }
    auto key = base64_decode(text.substr(0, space));
    auto value = base64_decode(skip_spaces(text.substr(space + 1)));
    if (!key || !value || key->empty() || value->size() > MAX_VALUE) {
        return std::nullopt;
    }
    return std::make_pair(std::move(*key), std::move(*value));
}

std::string format_put_argument(std::string_view key, std::string_view value)
{
    return base64_encode(key) + " " + base64_encode(value);
}

} // namespace lumos::metadata
