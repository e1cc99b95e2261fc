// SPDX-License-Identifier: MPL-2.0
#include "cmd/imgadm/cli.hpp"

#include <regex>

namespace lumos::imgadm {

image::ImgResult<void> check_uuid(std::string const& arg)
{
    static std::regex const pattern("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    if (!std::regex_match(arg, pattern)) {
        return image::img_error("InvalidUUID", "invalid uuid: \"" + arg + "\"");
    }
    return {};
}

} // namespace lumos::imgadm
