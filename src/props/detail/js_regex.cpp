// SPDX-License-Identifier: MPL-2.0
#include "props/detail/js_regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace lumos::props::detail {

namespace {

// Limits per search: backtracking steps, nested backtracking depth and the heap (KiB) those
// frames may take. (a|b)* over a 50,000-character value needs a depth of 50,000; a
// catastrophic pattern stops at the match limit well below a second per value.
constexpr uint32_t MATCH_LIMIT = 10'000'000;
constexpr uint32_t DEPTH_LIMIT = 1'000'000;
constexpr uint32_t HEAP_LIMIT_KIB = 64 * 1024;

std::string pcre2_message(int code)
{
    PCRE2_UCHAR buffer[256];
    int const length = pcre2_get_error_message(code, buffer, sizeof(buffer));
    if (length < 0) {
        return "error " + std::to_string(code);
    }
    return std::string(reinterpret_cast<char const*>(buffer), static_cast<size_t>(length));
}

} // namespace

struct JsRegex::State {
    pcre2_code* code = nullptr;
    pcre2_match_context* context = nullptr;

    State() = default;
    State(State const&) = delete;
    State& operator=(State const&) = delete;
    ~State()
    {
        pcre2_match_context_free(context);
        pcre2_code_free(code);
    }
};

JsRegex::JsRegex(std::shared_ptr<State const> state, std::string source)
    : m_state(std::move(state))
    , m_source(std::move(source))
{
}

Result<JsRegex> JsRegex::compile(std::string const& source)
{
    auto state = std::make_shared<State>();
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    // JavaScript semantics where PCRE2 differs by default: $ only at the very end, \u escapes,
    // case-insensitive ('i'), UTF-8 with invalid sequences simply not matching.
    uint32_t const options = PCRE2_CASELESS | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF
        | PCRE2_DOLLAR_ENDONLY | PCRE2_ALT_BSUX;
    state->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(), options,
        &error_code, &error_offset, nullptr);
    if (state->code == nullptr) {
        return make_error(ErrorCode::InvalidArgument,
            "Invalid regular expression: /" + source + "/: " + pcre2_message(error_code));
    }
    state->context = pcre2_match_context_create(nullptr);
    if (state->context == nullptr) {
        return make_error(ErrorCode::System, "out of memory compiling /" + source + "/");
    }
    pcre2_set_match_limit(state->context, MATCH_LIMIT);
    pcre2_set_depth_limit(state->context, DEPTH_LIMIT);
    pcre2_set_heap_limit(state->context, HEAP_LIMIT_KIB);
    return JsRegex(std::move(state), source);
}

Result<bool> JsRegex::search(std::string_view text) const
{
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(m_state->code, nullptr);
    if (data == nullptr) {
        return make_error(ErrorCode::System, "out of memory matching /" + m_source + "/");
    }
    int const rc = pcre2_match(m_state->code, reinterpret_cast<PCRE2_SPTR>(text.data()),
        text.size(), 0, 0, data, m_state->context);
    pcre2_match_data_free(data);
    if (rc >= 0) {
        return true;
    }
    if (rc == PCRE2_ERROR_NOMATCH) {
        return false;
    }
    std::string reason;
    switch (rc) {
    case PCRE2_ERROR_MATCHLIMIT:
        reason = "match limit exceeded";
        break;
    case PCRE2_ERROR_DEPTHLIMIT:
        reason = "depth limit exceeded";
        break;
    case PCRE2_ERROR_HEAPLIMIT:
        reason = "heap limit exceeded";
        break;
    default:
        reason = pcre2_message(rc);
        break;
    }
    return make_error(ErrorCode::InvalidArgument,
        "Regular expression /" + m_source + "/ is too complex for a value (" + reason + ")");
}

} // namespace lumos::props::detail
