// SPDX-License-Identifier: MPL-2.0
// vmadm delete <uuid> (and destroy)
#include "cmd/vmadm/cli.hpp"

namespace lumos::vmadm {

Outcome cmd_delete(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid_or_usage = uuid_argument(args);
    if (!uuid_or_usage) {
        return usage_error(uuid_or_usage.error().message());
    }
    std::string const& uuid = *uuid_or_usage;
    auto removed = context.engine.remove(uuid);
    if (!removed) {
        return failure("Failed to delete VM " + uuid + ": " + removed.error().message());
    }
    return success("Successfully deleted VM " + uuid);
}

} // namespace lumos::vmadm
