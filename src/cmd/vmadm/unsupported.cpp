// SPDX-License-Identifier: MPL-2.0
// The vmadm commands this build does not support yet (events, receive, snapshots, install,
// reprovision, send): their arguments are checked as vmadm checks them, then they
// say so.
#include "cmd/vmadm/cli.hpp"

namespace lumos::vmadm {

Outcome cmd_unsupported(Context& context, Args const& original)
{
    Args args = original;
    std::string const& command = args.command;
    if (command == "events" || command == "receive" || command == "recv") {
        return failure("vmadm " + command + " is not supported by this lumos build yet");
    }
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    if ((command == "create-snapshot" || command == "delete-snapshot"
            || command == "rollback-snapshot")
        && args.remain.size() != 1) {
        return usage_error("Wrong number of parameters to \"" + command + "\"");
    }
    auto vm = context.engine.get(*uuid);
    if (!vm) {
        return failure(vm.error().message());
    }
    context.engine.ensure_monitored(*vm);
    return failure("vmadm " + command + " is not supported by this lumos build yet");
}

} // namespace lumos::vmadm
