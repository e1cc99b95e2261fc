// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "image/errors.hpp"
#include "image/sources.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lumos::image {

// Which configured sources a search asks: imgadm import asks only IMGAPI sources; imgadm show
// and update ask every source but docker ones.
enum class SourceKinds { ImgapiOnly, AllButDocker };

struct SourceHit {
    Json manifest; // as the source sent it
    Source source;
};

struct SourceSearch {
    std::optional<SourceHit> hit;
    std::vector<ImgError> errors; // of the sources that failed (a 404 is "not here", no error)
};

// GET /images/<uuid> of each source in order: the first answer `accept` takes (any answer when
// accept is empty) wins and the rest are not asked. The one loop of imgadm import, show and
// update.
SourceSearch find_image_in_sources(std::vector<Source> const& sources, std::string const& uuid,
    SourceKinds kinds, std::function<bool(Json const&)> const& accept = {});

} // namespace lumos::image
