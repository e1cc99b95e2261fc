// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <tl/expected.hpp>

#include <string>
#include <vector>

namespace lumos::image {

// imgadm's errors carry a stable CamelCase code (src/img/lib/errors.js) and an exit status:
// 1 by default, 3 for ImageNotInstalled/OriginNotInstalled. The CLI prints
// "imgadm <subcmd>: error (<code>): <message>" and exits with exit_status.
struct ImgError {
    std::string code; // "ImageNotInstalled", "DownloadError", "ManifestValidation", ...
    std::string message;
    int exit_status { 1 };
};

template <typename T = void>
using ImgResult = tl::expected<T, ImgError>;

inline tl::unexpected<ImgError> img_error(std::string code, std::string message, int exit_status = 1)
{
    return tl::unexpected<ImgError>(ImgError { std::move(code), std::move(message), exit_status });
}

// A lower layer's Error as an imgadm error with the given code ("InternalError" by default).
ImgError to_img_error(Error const& error, std::string code = "InternalError");

// Several errors as one: a single error is returned as is, more become
// MultiError "multiple (N) errors" whose message lists each on its own line.
ImgError multi_error(std::vector<ImgError> errors);

} // namespace lumos::image

// TRY for functions returning ImgResult: accepts a Result<T> (converted with to_img_error) or an
// ImgResult<T>.
#define IMG_TRY(expr)                                                                              \
    do {                                                                                           \
        auto&& lumos_img_try_ = (expr);                                                            \
        if (!lumos_img_try_) {                                                                     \
            return tl::unexpected(::lumos::image::detail::as_img_error(                            \
                std::move(lumos_img_try_).error()));                                               \
        }                                                                                          \
    } while (0)

#define IMG_TRY_ASSIGN(name, expr)                                                                 \
    auto LUMOS_CONCAT(lumos_img_try_, __LINE__) = (expr);                                          \
    if (!LUMOS_CONCAT(lumos_img_try_, __LINE__)) {                                                 \
        return tl::unexpected(::lumos::image::detail::as_img_error(                                \
            std::move(LUMOS_CONCAT(lumos_img_try_, __LINE__)).error()));                           \
    }                                                                                              \
    auto name = std::move(*LUMOS_CONCAT(lumos_img_try_, __LINE__))

namespace lumos::image::detail {
inline ImgError as_img_error(ImgError error) { return error; }
inline ImgError as_img_error(Error const& error) { return to_img_error(error); }
} // namespace lumos::image::detail
