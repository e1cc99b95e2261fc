// SPDX-License-Identifier: MPL-2.0
// vmadm info <uuid> [type[,type]...] and vmadm sysrq <uuid> nmi|screenshot: HVM guests' runtime
// facts and requests (reference 1.2; vmadm.js getInfo, parseInfoArgs, sysrq).
#include "base/strings.hpp"
#include "cmd/vmadm/cli.hpp"

#include <ostream>

namespace lumos::vmadm {

Outcome cmd_info(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    // Every argument may list several types ("status,vnc"); none is "all".
    std::vector<std::string> types;
    for (auto const& arg : args.remain) {
        for (auto& type : split(arg, ',')) {
            types.push_back(std::move(type));
        }
    }
    if (types.empty()) {
        types.emplace_back("all");
    }
    auto info = context.engine.info(*uuid, types);
    if (!info) {
        return failure(
            "Unable to get VM info for VM " + *uuid + ": " + info.error().cause.message());
    }
    context.io.out << dump_pretty(*info) << "\n";
    return success();
}

Outcome cmd_sysrq(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    if (args.remain.size() != 1) {
        return usage_error("Wrong number of parameters to \"sysrq\"");
    }
    std::string const& type = args.remain[0];
    if (type != "nmi" && type != "screenshot") {
        return usage_error("Invalid sysrq type: " + type);
    }
    auto sent = context.engine.sysrq(*uuid, type);
    if (!sent) {
        return failure(sent.error().cause.message());
    }
    return success(
        type == "nmi" ? "Sent NMI to VM " + *uuid : "Sent " + type + " sysrq to VM " + *uuid);
}

} // namespace lumos::vmadm
