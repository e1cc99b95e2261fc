// SPDX-License-Identifier: MPL-2.0
#include "base/result.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace lumos {

Error Error::from_errno(std::string_view what, int errno_value)
{
    ErrorCode code = ErrorCode::System;
    switch (errno_value) {
    case ENOENT:
        code = ErrorCode::NotFound;
        break;
    case EEXIST:
        code = ErrorCode::AlreadyExists;
        break;
    case EACCES:
    case EPERM:
        code = ErrorCode::PermissionDenied;
        break;
    case EBUSY:
    case EAGAIN:
        code = ErrorCode::Busy;
        break;
    case EINVAL:
        code = ErrorCode::InvalidArgument;
        break;
    default:
        break;
    }
    return Error(code, std::string(what) + ": " + std::strerror(errno_value), errno_value);
}

Error Error::with_context(std::string_view context) &&
{
    m_message = std::string(context) + ": " + m_message;
    return std::move(*this);
}

char const* error_code_name(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
        return "InvalidArgument";
    case ErrorCode::NotFound:
        return "NotFound";
    case ErrorCode::AlreadyExists:
        return "AlreadyExists";
    case ErrorCode::Busy:
        return "Busy";
    case ErrorCode::PermissionDenied:
        return "PermissionDenied";
    case ErrorCode::Unsupported:
        return "Unsupported";
    case ErrorCode::Timeout:
        return "Timeout";
    case ErrorCode::System:
        return "System";
    case ErrorCode::Internal:
        return "Internal";
    case ErrorCode::Usage:
        return "Usage";
    }
    return "Internal";
}

int error_code_http_status(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::Usage:
        return 422;
    case ErrorCode::NotFound:
        return 404;
    case ErrorCode::AlreadyExists:
    case ErrorCode::Busy:
        return 409;
    case ErrorCode::PermissionDenied:
        return 403;
    case ErrorCode::Unsupported:
        return 501;
    case ErrorCode::Timeout:
        return 504;
    case ErrorCode::System:
    case ErrorCode::Internal:
        return 500;
    }
    return 500;
}

namespace detail {
void must_failed(char const* expr, char const* file, int line)
{
    (void)std::fprintf(stderr, "MUST(%s) failed at %s:%d\n", expr, file, line);
    std::abort();
}
} // namespace detail

} // namespace lumos
