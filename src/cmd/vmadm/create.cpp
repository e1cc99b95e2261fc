// SPDX-License-Identifier: MPL-2.0
// vmadm create [-f <filename>]
#include "cmd/vmadm/cli.hpp"

namespace lumos::vmadm {

Outcome cmd_create(Context& context, Args const& args)
{
    std::string const filename = payload_file(args);
    if (filename == "-" && context.io.stdin_is_tty) {
        return usage_error("Will not create from stdin when stdin is a tty.");
    }
    auto payload = read_payload(context, filename);
    if (!payload) {
        return failure(payload.error().message());
    }
    auto created = context.engine.create(*payload);
    if (!created) {
        return failure(created.error().message());
    }
    std::string message;
    for (auto const& warning : created->warnings) {
        message += warning + "\n";
    }
    return success(message + "Successfully created VM " + created->uuid);
}

} // namespace lumos::vmadm
