// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "image/image_store.hpp"
#include "image/sources.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace lumos::image {

// imgadm import (section 4.5): resolve the image in the sources (first hit wins, must be
// active), gather its missing origin chain, and install each, oldest first, under the image's
// import lock: the download streamed into the install and committed once its size and sha1
// check out, or a pre-downloaded $LUMOS_ROOT/var/tmp/.imgadm-downloads/<uuid>.file whose size
// and sha1 match (zvol images are downloaded there first).
struct ImportRequest {
    std::string uuid;
    std::string pool { "zones" };
    std::vector<Source> sources; // in order
    // Progress lines as imgadm prints them on stdout ("Importing ...", "Imported image ...").
    std::function<void(std::string const&)> say;
};

ImgResult<void> import_image(ImageStore& store, ImportRequest const& request);

} // namespace lumos::image
