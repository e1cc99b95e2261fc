// SPDX-License-Identifier: MPL-2.0
#pragma once

#include <tl/expected.hpp>

#include <string>
#include <string_view>
#include <utility>

namespace lumos {

// Stable error codes: each maps to a name and an HTTP status (see error.cpp). Callers branch on
// the code, never on the message, which is written for an operator.
enum class ErrorCode {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    Busy,
    PermissionDenied,
    Unsupported,
    Timeout,
    System,
    Internal,
    Usage,
};

class [[nodiscard]] Error {
public:
    Error(ErrorCode code, std::string message, int errno_value = 0)
        : m_code(code)
        , m_message(std::move(message))
        , m_errno(errno_value)
    {
    }

    static Error from_errno(std::string_view what, int errno_value);

    ErrorCode code() const { return m_code; }
    std::string const& message() const { return m_message; }
    int errno_value() const { return m_errno; }

    // Prefixes the message with where it happened, as crun wraps its errors on the way up.
    Error with_context(std::string_view context) &&;

private:
    ErrorCode m_code;
    std::string m_message;
    int m_errno;
};

char const* error_code_name(ErrorCode code);
int error_code_http_status(ErrorCode code);

// tl::expected (1.0, as Debian ships it) is not [[nodiscard]]; a Result is: dropping one is a
// compile error, and a deliberate discard says so with (void).
template <typename T = void>
class [[nodiscard]] Result : public tl::expected<T, Error> {
public:
    using Base = tl::expected<T, Error>;
    using Base::Base;
    Result() = default;
    // NOLINTNEXTLINE(google-explicit-constructor): a tl::expected is a Result by another name
    Result(Base other)
        : Base(std::move(other))
    {
    }
};

inline tl::unexpected<Error> make_error(ErrorCode code, std::string message)
{
    return tl::unexpected<Error>(Error(code, std::move(message)));
}

} // namespace lumos

// and_then and or_else take a function that returns "an expected": a Result is one.
template <typename T>
struct tl::detail::is_expected_impl<lumos::Result<T>> : std::true_type {
};

// Two-statement forms (not GNU statement expressions): clang-tidy 14's analyzer misreads the
// latter on move-only types.
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        auto&& lumos_try_result_ = (expr);                                                         \
        if (!lumos_try_result_) {                                                                  \
            return tl::unexpected(std::move(lumos_try_result_).error());                           \
        }                                                                                          \
    } while (0)

#define LUMOS_CONCAT_INNER(a, b) a##b
#define LUMOS_CONCAT(a, b) LUMOS_CONCAT_INNER(a, b)

// NOLINTBEGIN(bugprone-macro-parentheses): name is the variable TRY_ASSIGN declares
#define TRY_ASSIGN(name, expr)                                                                     \
    auto LUMOS_CONCAT(lumos_try_, __LINE__) = (expr);                                              \
    if (!LUMOS_CONCAT(lumos_try_, __LINE__)) {                                                     \
        return tl::unexpected(std::move(LUMOS_CONCAT(lumos_try_, __LINE__)).error());              \
    }                                                                                              \
    auto name = std::move(*LUMOS_CONCAT(lumos_try_, __LINE__))
// NOLINTEND(bugprone-macro-parentheses)

#define MUST(expr)                                                                                 \
    do {                                                                                           \
        if (!(expr)) {                                                                             \
            ::lumos::detail::must_failed(#expr, __FILE__, __LINE__);                               \
        }                                                                                          \
    } while (0)

namespace lumos::detail {
[[noreturn]] void must_failed(char const* expr, char const* file, int line);
} // namespace lumos::detail
