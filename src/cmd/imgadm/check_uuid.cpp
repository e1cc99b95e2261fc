// SPDX-License-Identifier: MPL-2.0
#include "base/uuid.hpp"
#include "cmd/imgadm/cli.hpp"

namespace lumos::imgadm {

image::ImgResult<void> check_uuid(std::string const& arg)
{
    // imgadm's /^[0-9a-f]{8}-...-[0-9a-f]{12}$/, checked character by character (no std::regex
    // on a command-line argument).
    if (!is_uuid(arg)) {
        return image::img_error(image::ImgCode::InvalidUUID, "invalid uuid: \"" + arg + "\"");
    }
    return {};
}

} // namespace lumos::imgadm
