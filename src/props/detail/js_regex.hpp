// SPDX-License-Identifier: MPL-2.0
#pragma once

// vmadm's filter regexes (new RegExp(source, 'i')) on PCRE2: interpreted (no JIT), heap
// backtracking frames, and match and depth limits, so that neither a long value nor a
// catastrophic pattern can exhaust the stack or hang a listing.

#include "base/result.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace lumos::props::detail {

class JsRegex {
public:
    // Compiles a JavaScript-style, case-insensitive, unanchored pattern. Error text as node's
    // SyntaxError: "Invalid regular expression: /<source>/: <reason>".
    static Result<JsRegex> compile(std::string const& source);

    // Whether the pattern matches anywhere in text. A match that exceeds the match, depth or
    // heap limit is an error, never a silent "no match":
    // "Regular expression /<source>/ is too complex for a value (match limit exceeded)".
    Result<bool> search(std::string_view text) const;

    std::string const& source() const { return m_source; }

private:
    struct State;
    explicit JsRegex(std::shared_ptr<State const> state, std::string source);

    std::shared_ptr<State const> m_state;
    std::string m_source;
};

} // namespace lumos::props::detail
