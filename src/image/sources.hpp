// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/paths.hpp"
#include "image/errors.hpp"

#include <string>
#include <vector>

namespace lumos::image {

// An image source from $LUMOS_ROOT/var/imgadm/imgadm.conf: {"sources":[{url,type,insecure}]}.
// A "?channel=<name>" query on the url selects an IMGAPI channel.
struct Source {
    std::string url;
    std::string type { "imgapi" }; // imgapi | docker | dsapi
    bool insecure { false };
    std::string channel; // from the url's ?channel=, "" when none
    Json to_json() const; // {url, type, insecure}
};

// A Source for url with its channel taken from the url's "?channel=" query.
Source make_source(std::string url, std::string type = "imgapi", bool insecure = false);
// The url without its query and trailing slashes: what request paths are appended to.
std::string source_base_url(std::string const& url);

class SourceConfig {
public:
    explicit SourceConfig(Paths paths);
    // The configured sources; the default {imgapi, https://images.smartos.org} when the config
    // has no "sources" key. Other keys of imgadm.conf are kept on save.
    ImgResult<std::vector<Source>> load() const;
    ImgResult<void> save(std::vector<Source> const& sources) const;

private:
    Paths m_paths;
};

} // namespace lumos::image
