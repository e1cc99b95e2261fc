// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <tl/expected.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace lumos::image {

// imgadm's error codes (src/img/lib/errors.js), printed by name (img_code_name) in imgadm's
// error lines and -E records. Both Usage and UsageError occur in imgadm, for different errors.
enum class ImgCode {
    ActiveImageNotFound,
    ClientError,
    ConfigError,
    DownloadError,
    FileSystem,
    ImageHasDependentClones,
    ImageNotFound,
    ImageNotInstalled,
    InternalError,
    InvalidImageFile,
    InvalidManifest,
    InvalidUUID,
    ManifestValidation,
    MultiError,
    NoCommand,
    NoSources,
    NotSupported,
    OriginNotInstalled,
    SourcePing,
    UncompressionError,
    UnexpectedNumberOfSnapshots,
    UnknownCommand,
    UnknownOption,
    Usage,
    UsageError,
    Remote, // an IMGAPI server's own code (APIError), kept as the server sent it
};

// The code as imgadm prints it ("ImageNotInstalled", ...); "" for Remote, whose name is the
// server's.
std::string_view img_code_name(ImgCode code);

// imgadm's errors carry a code and an exit status: 1 by default, 3 for
// ImageNotInstalled/OriginNotInstalled. The CLI prints
// "imgadm <subcmd>: error (<code>): <message>" and exits with exit_status. A lower layer's
// Error converts implicitly (InternalError with its message), so TRY works in functions
// returning ImgResult.
struct ImgError {
    ImgCode code { ImgCode::InternalError };
    std::string message;
    int exit_status { 1 };
    std::string remote_code; // code == Remote: the server's code

    ImgError() = default;
    ImgError(ImgCode img_code, std::string text, int status = 1)
        : code(img_code)
        , message(std::move(text))
        , exit_status(status)
    {
    }
    ImgError(Error const& error) // NOLINT(google-explicit-constructor): TRY converts with it
        : message(error.message())
    {
    }

    // An IMGAPI server's error, printed with the server's code.
    static ImgError remote(std::string server_code, std::string text);

    // The code as printed: img_code_name(code), or the server's code for Remote.
    std::string code_name() const;
};

template <typename T = void>
using ImgResult = tl::expected<T, ImgError>;

inline tl::unexpected<ImgError> img_error(ImgCode code, std::string message, int exit_status = 1)
{
    return tl::unexpected<ImgError>(ImgError { code, std::move(message), exit_status });
}

// Several errors as one: a single error is returned as is, more become
// MultiError "multiple (N) errors" whose message lists each on its own line.
ImgError multi_error(std::vector<ImgError> errors);

} // namespace lumos::image
