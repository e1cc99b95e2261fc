// SPDX-License-Identifier: MPL-2.0
// vmadm update <uuid> [-f <filename>] | <uuid> property=value ...
#include "cmd/vmadm/cli.hpp"
#include "props/normalize.hpp"

namespace lumos::vmadm {

Outcome cmd_update(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid_or_usage = uuid_argument(args);
    if (!uuid_or_usage) {
        return usage_error(uuid_or_usage.error().message());
    }
    std::string const& uuid = *uuid_or_usage;
    Json payload;
    if (!args.remain.empty()) {
        payload = props::payload_from_key_values(args.remain);
    } else {
        std::string const filename = payload_file(args);
        if (filename == "-" && context.io.stdin_is_tty) {
            return usage_error("Will not update from stdin when stdin is a tty.");
        }
        auto read = read_payload(context, filename);
        if (!read) {
            return failure(read.error().message());
        }
        payload = std::move(*read);
    }
    auto updated = context.engine.update(uuid, payload);
    if (!updated) {
        return failure(updated.error().message());
    }
    return success("Successfully updated VM " + uuid);
}

} // namespace lumos::vmadm
