// SPDX-License-Identifier: MPL-2.0
#include "image/errors.hpp"

namespace lumos::image {

ImgError to_img_error(Error const& error, std::string code)
{
    return ImgError { std::move(code), error.message(), 1 };
}

ImgError multi_error(std::vector<ImgError> errors)
{
    if (errors.size() == 1) {
        return std::move(errors.front());
    }
    std::string message = "multiple (" + std::to_string(errors.size()) + ") errors";
    for (auto const& error : errors) {
        message += "\n    error (" + error.code + "): " + error.message;
    }
    return ImgError { "MultiError", std::move(message), 1 };
}

} // namespace lumos::image
