// SPDX-License-Identifier: MPL-2.0
// imgadm's error codes: the name table gives the strings imgadm prints in its error lines and
// -E records (errors.js), a lower layer's Error converts to InternalError so TRY works, and an
// IMGAPI server's own code is printed as the server sent it.
#include "image/errors.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lumos::image {
namespace {

TEST(ImgErrorCodes, EveryCodeIsNamedAsImgadmPrintsIt)
{
    EXPECT_EQ(img_code_name(ImgCode::ImageNotInstalled), "ImageNotInstalled");
    EXPECT_EQ(img_code_name(ImgCode::OriginNotInstalled), "OriginNotInstalled");
    EXPECT_EQ(img_code_name(ImgCode::DownloadError), "DownloadError");
    EXPECT_EQ(img_code_name(ImgCode::ManifestValidation), "ManifestValidation");
    EXPECT_EQ(img_code_name(ImgCode::Usage), "Usage");
    EXPECT_EQ(img_code_name(ImgCode::UsageError), "UsageError");
    EXPECT_EQ(img_code_name(ImgCode::FileSystem), "FileSystem");
    EXPECT_EQ(img_code_name(ImgCode::Remote), "");
    // Every code but Remote has its own non-empty name.
    std::set<std::string_view> names;
    for (int i = 0; i < static_cast<int>(ImgCode::Remote); ++i) {
        std::string_view const name = img_code_name(static_cast<ImgCode>(i));
        EXPECT_FALSE(name.empty()) << i;
        EXPECT_TRUE(names.insert(name).second) << name;
    }
}

ImgResult<int> tried(Result<int> inner)
{
    TRY_ASSIGN(value, std::move(inner));
    return value + 1;
}

TEST(ImgErrorCodes, ALowerLayersErrorIsAnInternalErrorWithItsMessage)
{
    auto ok = tried(3);
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 4);
    auto failed = tried(tl::unexpected(Error(ErrorCode::NotFound, "no such thing")));
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error().code, ImgCode::InternalError);
    EXPECT_EQ(failed.error().code_name(), "InternalError");
    EXPECT_EQ(failed.error().message, "no such thing");
    EXPECT_EQ(failed.error().exit_status, 1);
}

TEST(ImgErrorCodes, AServersCodeIsPrintedAsSent)
{
    ImgError const error = ImgError::remote("ResourceNotFound", "http://x/images/y: not found");
    EXPECT_EQ(error.code, ImgCode::Remote);
    EXPECT_EQ(error.code_name(), "ResourceNotFound");
    EXPECT_EQ(error.exit_status, 1);
}

TEST(ImgErrorCodes, SeveralErrorsAreOneMultiError)
{
    ImgError const one { ImgCode::DownloadError, "a" };
    EXPECT_EQ(multi_error({ one }).code, ImgCode::DownloadError);
    ImgError const both = multi_error({ one, ImgError::remote("ResourceNotFound", "b") });
    EXPECT_EQ(both.code_name(), "MultiError");
    EXPECT_EQ(both.message,
        "multiple (2) errors\n    error (DownloadError): a\n    error (ResourceNotFound): b");
}

} // namespace
} // namespace lumos::image
