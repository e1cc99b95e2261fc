// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "image/errors.hpp"
#include "image/sources.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lumos::image {

// An IMGAPI client over libcurl (section 4.7): Accept-Version ~2, User-Agent imgadm/<ver>,
// TLS verification unless the source is insecure or IMGADM_INSECURE=1.
class ImgapiClient {
public:
    explicit ImgapiClient(Source source);

    Source const& source() const { return m_source; }

    // GET /ping: must be 200 with "imgapi": true.
    ImgResult<Json> ping() const;
    // GET /images, paged with limit=1000&marker=<last uuid> until a short page.
    ImgResult<std::vector<Json>> list_images() const;
    // GET /images/<uuid>: nullopt on 404 (ResourceNotFound).
    ImgResult<std::optional<Json>> get_image(std::string const& uuid) const;
    // GET /images/<uuid>/file into path + ".partial", then renamed to path. Checks
    // Content-Length against expected_size and the SHA-1 while streaming (DownloadError with
    // SmartOS's messages); a partial file is removed on failure.
    ImgResult<void> download_file(std::string const& uuid, uint64_t expected_size,
        std::string const& expected_sha1, std::string const& path) const;
    // The same download and checks, streamed into fd (a pipe into the installer); the caller owns
    // fd. A reader that goes away makes this fail with a "file write error".
    ImgResult<void> download_to_fd(std::string const& uuid, uint64_t expected_size,
        std::string const& expected_sha1, int fd) const;

private:
    Source m_source;
};

} // namespace lumos::image
