// SPDX-License-Identifier: MPL-2.0
// vmadm get <uuid> (and its old name, json)
#include "cmd/vmadm/cli.hpp"

#include <ostream>

namespace lumos::vmadm {

Outcome cmd_get(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid_or_usage = uuid_argument(args);
    if (!uuid_or_usage) {
        return usage_error(uuid_or_usage.error().message());
    }
    std::string const& uuid = *uuid_or_usage;
    auto vm = context.engine.get(uuid);
    if (!vm) {
        if (vm.error().code() == ErrorCode::NotFound) {
            return failure("zoneadm: " + uuid + ": No such zone configured");
        }
        return failure(vm.error().message());
    }
    context.engine.ensure_monitored(*vm);
    context.io.out << dump_pretty(*vm) << "\n";
    return success();
}

} // namespace lumos::vmadm
