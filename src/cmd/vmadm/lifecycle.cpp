// SPDX-License-Identifier: MPL-2.0
// Commands that act on running guests. Until the runtimes land no VM can be running, so each
// answers as SmartOS does for a VM that is not running, or says that the runtime is missing.
#include "cmd/vmadm/cli.hpp"

namespace lumos::vmadm {

namespace {

Result<Json> load_vm(Context& context, std::string const& uuid)
{
    return context.engine.get(uuid);
}

std::string state_of(Json const& vm)
{
    return vm.value("state", "unknown");
}

} // namespace

Outcome cmd_lifecycle(Context& context, Args const& original)
{
    Args args = original;
    std::string const& command = args.command;
    if (command == "events" || command == "receive" || command == "recv") {
        return failure("vmadm " + command + " is not supported by this lumos build yet");
    }
    std::string const uuid = uuid_argument(args);
    if ((command == "create-snapshot" || command == "delete-snapshot"
            || command == "rollback-snapshot")
        && args.remain.size() != 1) {
        throw UsageError { "Wrong number of parameters to \"" + command + "\"" };
    }
    if (command == "sysrq" && args.remain.size() != 1) {
        throw UsageError { "Wrong number of parameters to \"sysrq\"" };
    }
    if (command == "sysrq" && args.remain[0] != "nmi" && args.remain[0] != "screenshot") {
        throw UsageError { "Invalid sysrq type: " + args.remain[0] };
    }
    if (command == "kill" && args.remain.size() > 0) {
        return failure("Too many arguments.");
    }
    auto vm = load_vm(context, uuid);
    if (!vm) {
        return failure(vm.error().message());
    }
    std::string const state = state_of(*vm);
    if (command == "start" || command == "boot") {
        if (state == "running") {
            return success("VM " + uuid + " is already 'running'");
        }
        bool const startable = state == "stopped"
            || (state == "provisioning" && vm->value("zone_state", "") == "installed");
        if (!startable) {
            return failure("Unable to start VM " + uuid + ": Cannot start vm from state \"" + state
                + "\", must be \"stopped\".");
        }
        vm::NoRuntime const runtime;
        auto const bootable = runtime.can_boot(vm->value("brand", ""));
        return failure("Unable to start VM " + uuid + ": " + bootable.error().message());
    }
    if (command == "stop" || command == "halt") {
        auto const brand = vm->value("brand", "");
        if (args.has("timeout") && brand != "kvm" && brand != "bhyve"
            && !vm->value("docker", false)) {
            return failure("Timeout option is only supported for bhyve, KVM and docker containers.");
        }
        return success("VM " + uuid + " is already not 'running' (currently: " + state + ")");
    }
    if (command == "reboot") {
        return failure("Cannot reboot vm from state \"" + state + "\", must be \"running\"");
    }
    if (command == "kill") {
        return failure("Cannot find running init PID for VM " + uuid);
    }
    if (command == "info") {
        return failure("Unable to get VM info for VM " + uuid
            + ": Unable to get info for vm from state \"" + state
            + "\", must be \"running\" or \"stopping\".");
    }
    if (command == "console") {
        return failure("cannot connect to console when state is " + state);
    }
    return failure("vmadm " + command + " is not supported by this lumos build yet");
}

} // namespace lumos::vmadm
