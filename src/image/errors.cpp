// SPDX-License-Identifier: MPL-2.0
#include "image/errors.hpp"

#include <array>
#include <utility>

namespace lumos::image {

namespace {

constexpr std::array<std::pair<ImgCode, std::string_view>, 25> CODE_NAMES { {
    { ImgCode::ActiveImageNotFound, "ActiveImageNotFound" },
    { ImgCode::ClientError, "ClientError" },
    { ImgCode::ConfigError, "ConfigError" },
    { ImgCode::DownloadError, "DownloadError" },
    { ImgCode::FileSystem, "FileSystem" },
    { ImgCode::ImageHasDependentClones, "ImageHasDependentClones" },
    { ImgCode::ImageNotFound, "ImageNotFound" },
    { ImgCode::ImageNotInstalled, "ImageNotInstalled" },
    { ImgCode::InternalError, "InternalError" },
    { ImgCode::InvalidImageFile, "InvalidImageFile" },
    { ImgCode::InvalidManifest, "InvalidManifest" },
    { ImgCode::InvalidUUID, "InvalidUUID" },
    { ImgCode::ManifestValidation, "ManifestValidation" },
    { ImgCode::MultiError, "MultiError" },
    { ImgCode::NoCommand, "NoCommand" },
    { ImgCode::NoSources, "NoSources" },
    { ImgCode::NotSupported, "NotSupported" },
    { ImgCode::OriginNotInstalled, "OriginNotInstalled" },
    { ImgCode::SourcePing, "SourcePing" },
    { ImgCode::UncompressionError, "UncompressionError" },
    { ImgCode::UnexpectedNumberOfSnapshots, "UnexpectedNumberOfSnapshots" },
    { ImgCode::UnknownCommand, "UnknownCommand" },
    { ImgCode::UnknownOption, "UnknownOption" },
    { ImgCode::Usage, "Usage" },
    { ImgCode::UsageError, "UsageError" },
} };

} // namespace

std::string_view img_code_name(ImgCode code)
{
    for (auto const& [known, name] : CODE_NAMES) {
        if (known == code) {
            return name;
        }
    }
    return "";
}

ImgError ImgError::remote(std::string server_code, std::string text)
{
    ImgError error(ImgCode::Remote, std::move(text));
    error.remote_code = std::move(server_code);
    return error;
}

std::string ImgError::code_name() const
{
    return code == ImgCode::Remote ? remote_code : std::string(img_code_name(code));
}

ImgError multi_error(std::vector<ImgError> errors)
{
    if (errors.size() == 1) {
        return std::move(errors.front());
    }
    std::string message = "multiple (" + std::to_string(errors.size()) + ") errors";
    for (auto const& error : errors) {
        message += "\n    error (" + error.code_name() + "): " + error.message;
    }
    return ImgError { ImgCode::MultiError, std::move(message) };
}

} // namespace lumos::image
