// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/request_head.hpp"

#include <algorithm>

namespace lumos::imgapi {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
        return lower(x) == lower(y);
    });
}

std::string_view trim(std::string_view text)
{
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && blank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && blank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

} // namespace

size_t find_head_end(std::string_view buffer)
{
    size_t crlf = buffer.find("\r\n\r\n");
    size_t lf = buffer.find("\n\n");
    if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf)) {
        return crlf + 4;
    }
    return lf == std::string_view::npos ? lf : lf + 2;
}

RequestHead inspect_head(std::string_view head)
{
    RequestHead result;
    result.bytes.reserve(head.size());
    std::string_view rest = head;
    bool first_line = true;
    while (!rest.empty()) {
        size_t newline = rest.find('\n');
        std::string_view line
            = newline == std::string_view::npos ? rest : rest.substr(0, newline + 1);
        rest.remove_prefix(line.size());
        size_t colon = line.find(':');
        if (first_line || colon == std::string_view::npos) {
            first_line = false;
            result.bytes.append(line);
            continue;
        }
        // httplib takes the name as everything before the colon, so must we.
        std::string_view name = line.substr(0, colon);
        std::string_view value = trim(line.substr(colon + 1));
        if (equals_ignoring_case(name, "Range")) {
            result.range
                = result.range ? *result.range + ", " + std::string(value) : std::string(value);
            continue;
        }
        if (equals_ignoring_case(name, "Transfer-Encoding")
            || (equals_ignoring_case(name, "Content-Length") && value != "0")) {
            result.has_body = true;
        }
        result.bytes.append(line);
    }
    return result;
}

} // namespace lumos::imgapi
