// SPDX-License-Identifier: MPL-2.0
// Temporary: handlers whose real versions (local_install.cpp) are still being written, so that
// imgadm links meanwhile. Delete this file as soon as they exist.
#include "cmd/imgadm/cli.hpp"

namespace lumos::imgadm {

namespace {
image::ImgResult<int> pending(char const* name)
{
    return image::img_error("NotImplemented", std::string("not implemented yet: ") + name);
}
} // namespace

image::ImgResult<int> cmd_install(Args const&, Io&, Context&) { return pending("install"); }
image::ImgResult<int> cmd_delete(Args const&, Io&, Context&) { return pending("delete"); }
image::ImgResult<int> cmd_vacuum(Args const&, Io&, Context&) { return pending("vacuum"); }
image::ImgResult<int> cmd_update(Args const&, Io&, Context&) { return pending("update"); }

} // namespace lumos::imgadm
