// SPDX-License-Identifier: MPL-2.0
#include "image/source_search.hpp"

#include "image/imgapi_client.hpp"

namespace lumos::image {

SourceSearch find_image_in_sources(std::vector<Source> const& sources, std::string const& uuid,
    SourceKinds kinds, std::function<bool(Json const&)> const& accept)
{
    SourceSearch search;
    for (auto const& source : sources) {
        bool const asked
            = kinds == SourceKinds::ImgapiOnly ? source.type == "imgapi" : source.type != "docker";
        if (!asked) {
            continue;
        }
        auto manifest = ImgapiClient(source).get_image(uuid);
        if (!manifest) {
            search.errors.push_back(manifest.error());
            continue;
        }
        if (*manifest && (!accept || accept(**manifest))) {
            search.hit = SourceHit { std::move(**manifest), source };
            break;
        }
    }
    return search;
}

} // namespace lumos::image
