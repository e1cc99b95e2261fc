// SPDX-License-Identifier: MPL-2.0
// vmadm start/boot, stop/halt, reboot, kill and console: the engine decides (its state rules,
// under the VM's lock); this file parses vmadm's arguments and words the engine's answers as
// SmartOS's vmadm does.
#include "base/strings.hpp"
#include "base/uuid.hpp"
#include "cmd/common/console_relay.hpp"
#include "cmd/vmadm/cli.hpp"
#include "runtime/qemu_plan.hpp"

#include <optional>
#include <ostream>

#include <unistd.h>

namespace lumos::vmadm {

namespace {

using vm::LifecycleReason;

struct KillTarget {
    std::string uuid;
    std::string signal_name; // the -SIG form's name (SIGTERM when none is given)
};

// vmadm kill [-s SIG | -SIG] <uuid>, with vmadm's own argument rules.
Result<KillTarget> kill_target(Args& args)
{
    KillTarget target { {}, "SIGTERM" };
    if (args.has("signal")) {
        TRY_ASSIGN(uuid, uuid_argument(args));
        target.uuid = std::move(uuid);
        return target;
    }
    if (args.remain.size() == 1 && is_uuid(args.remain[0])) {
        target.uuid = args.remain[0];
        args.remain.clear();
        return target;
    }
    std::vector<std::string> unexpected;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.remain.size(); ++i) {
        std::string const& argument = args.remain[i];
        if (argument.size() > 1 && argument[0] == '-') {
            std::string const name = argument.substr(1);
            bool const next_is_uuid = i + 1 < args.remain.size() && is_uuid(args.remain[i + 1]);
            if (!target.uuid.empty() || !next_is_uuid) {
                unexpected.push_back(dump_compact(Json(name)));
                continue;
            }
            target.uuid = args.remain[++i];
            target.signal_name = name;
            continue;
        }
        rest.push_back(argument);
    }
    if (!unexpected.empty()) {
        return make_error(ErrorCode::Usage, "Unexpected args: [" + join(unexpected, ",") + "]");
    }
    if (!rest.empty()) {
        return make_error(ErrorCode::Usage, "Too many arguments.");
    }
    if (!is_uuid(target.uuid)) {
        return make_error(ErrorCode::Usage, "Invalid or missing argument UUID");
    }
    args.remain.clear();
    return target;
}

} // namespace

Outcome cmd_start(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    auto options = runtime::parse_start_options(args.remain);
    if (!options) {
        return usage_error(options.error().message());
    }
    auto started = context.engine.start(*uuid, *options);
    if (!started) {
        auto const& refusal = started.error();
        switch (refusal.reason) {
        case LifecycleReason::Lookup:
            return failure(refusal.cause.message());
        case LifecycleReason::WrongState:
            return failure("Unable to start VM " + *uuid + ": Cannot start vm from state \""
                + refusal.state + "\", must be \"stopped\".");
        default:
            return failure("Unable to start VM " + *uuid + ": " + refusal.cause.message());
        }
    }
    if (started->change == vm::Change::AlreadyThere) {
        return success("VM " + *uuid + " is already 'running'");
    }
    return success("Successfully started VM " + *uuid);
}

Outcome cmd_stop(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    vm::StopRequest request;
    request.mode = args.has("force") ? vm::StopMode::Force : vm::StopMode::Graceful;
    if (args.has("timeout")) {
        auto const seconds = parse_integer(args.get("timeout"));
        request.timeout_s = seconds && *seconds > 0 && *seconds < 86400 ? static_cast<int>(*seconds)
                                                                        : vm::STOP_DEADLINE_S;
    }
    auto stopped = context.engine.stop(*uuid, request);
    if (!stopped) {
        auto const& refusal = stopped.error();
        if (refusal.reason == LifecycleReason::TimeoutUnsupported) {
            return failure(
                "Timeout option is only supported for bhyve, KVM and docker containers.");
        }
        return failure(refusal.cause.message());
    }
    if (stopped->change == vm::Change::AlreadyThere) {
        return success(
            "VM " + *uuid + " is already not 'running' (currently: " + stopped->state + ")");
    }
    return success("Successfully completed stop for VM " + *uuid);
}

Outcome cmd_reboot(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    auto const mode = args.has("force") ? vm::StopMode::Force : vm::StopMode::Graceful;
    if (auto rebooted = context.engine.reboot(*uuid, mode); !rebooted) {
        auto const& refusal = rebooted.error();
        if (refusal.reason == LifecycleReason::WrongState) {
            return failure(
                "Cannot reboot vm from state \"" + refusal.state + "\", must be \"running\"");
        }
        return failure(refusal.cause.message());
    }
    return success("Successfully completed reboot for VM " + *uuid);
}

Outcome cmd_kill(Context& context, Args const& original)
{
    Args args = original;
    auto target = kill_target(args);
    if (!target) {
        return usage_error(target.error().message());
    }
    std::string const& uuid = target->uuid;
    std::string const name = args.has("signal") ? args.get("signal") : target->signal_name;
    if (auto killed = context.engine.kill(uuid, name); !killed) {
        auto const& refusal = killed.error();
        switch (refusal.reason) {
        case LifecycleReason::NoInitPid:
            return failure("Cannot find running init PID for VM " + uuid);
        case LifecycleReason::UnknownSignal:
            return failure("Unknown signal \"" + name + "\"");
        default:
            return failure(refusal.cause.message());
        }
    }
    return success("Sent signal \"" + name + "\" to init process for VM " + uuid);
}

Outcome cmd_console(Context& context, Args const& original)
{
    Args args = original;
    auto const uuid = uuid_argument(args);
    if (!uuid) {
        return usage_error(uuid.error().message());
    }
    auto const vm = context.engine.get(*uuid);
    bool const hvm = vm && bool_or(*vm, "hvm", false);
    auto connection = context.engine.console(*uuid);
    if (!connection) {
        auto const& refusal = connection.error();
        if (refusal.reason == LifecycleReason::WrongState) {
            return failure("cannot connect to console when state is " + refusal.state);
        }
        return failure(refusal.cause.message());
    }
    context.io.out.flush();
    cmd::relay_console(connection->get(), STDIN_FILENO, STDOUT_FILENO,
        hvm ? cmd::ConsoleEscape::CtrlBracket : cmd::ConsoleEscape::LineStartThenDot);
    return success();
}

} // namespace lumos::vmadm
