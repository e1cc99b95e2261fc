// SPDX-License-Identifier: MPL-2.0
// Commands that act on running guests: start/boot, stop/halt, reboot, kill, console, and the
// ones not supported yet.
#include "cmd/vmadm/cli.hpp"

#include "base/strings.hpp"
#include "base/uuid.hpp"
#include "runtime/monitor.hpp"

#include <csignal>
#include <optional>

#include <unistd.h>

namespace lumos::vmadm {

namespace {

std::string state_of(Json const& vm)
{
    return vm.value("state", "unknown");
}

// parseStartArgs: order=..., disk=path,model, cdrom=path,model; anything else is a usage error.
void check_start_arguments(std::vector<std::string> const& arguments)
{
    bool saw_order = false;
    for (auto const& argument : arguments) {
        size_t const equals = argument.find('=');
        std::string const key = argument.substr(0, equals);
        std::string const value = equals == std::string::npos ? "" : argument.substr(equals + 1);
        if (key == "order") {
            if (saw_order) {
                throw UsageError { "You can only specify 'order' once when starting a VM" };
            }
            saw_order = true;
        } else if (key == "disk" || key == "cdrom") {
            size_t const comma = value.find(',');
            std::string const path = value.substr(0, comma);
            std::string const model = comma == std::string::npos
                ? std::string()
                : value.substr(comma + 1, value.find(',', comma + 1) - comma - 1);
            if (path.empty() || model.empty()) {
                throw UsageError { "Parameter to " + key + " must be: path,model" };
            }
        } else {
            throw UsageError { "Invalid argument to start: " + key };
        }
    }
}

// A signal as vmadm's nodeSig takes it: a number, a name (HUP) or a SIG name (SIGHUP).
std::optional<int> parse_signal(std::string const& name)
{
    static constexpr std::pair<char const*, int> SIGNALS[] = { { "HUP", SIGHUP }, { "INT", SIGINT },
        { "QUIT", SIGQUIT }, { "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
        { "IOT", SIGIOT }, { "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
        { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },
        { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
        { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
        { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
        { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
        { "PWR", SIGPWR }, { "SYS", SIGSYS } };
    if (auto number = parse_integer(name); number && *number > 0 && *number < NSIG) {
        return static_cast<int>(*number);
    }
    std::string const bare = name.starts_with("SIG") ? name.substr(3) : name;
    for (auto const& [signal_name, number] : SIGNALS) {
        if (bare == signal_name) {
            return number;
        }
    }
    return std::nullopt;
}

// vmadm kill [-s SIG | -SIG] <uuid>, with vmadm's own argument rules; signal_name gets the
// -SIG form's name (SIGTERM when none is given).
std::string kill_uuid(Args& args, std::string& signal_name)
{
    signal_name = "SIGTERM";
    if (args.has("signal")) {
        return uuid_argument(args);
    }
    std::string uuid;
    if (args.remain.size() == 1 && is_uuid(args.remain[0])) {
        uuid = args.remain[0];
        args.remain.clear();
        return uuid;
    }
    std::vector<std::string> unexpected;
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.remain.size(); ++i) {
        std::string const& argument = args.remain[i];
        if (argument.size() > 1 && argument[0] == '-') {
            std::string const name = argument.substr(1);
            bool const next_is_uuid = i + 1 < args.remain.size() && is_uuid(args.remain[i + 1]);
            if (!uuid.empty() || !next_is_uuid) {
                unexpected.push_back(dump_compact(Json(name)));
                continue;
            }
            uuid = args.remain[++i];
            signal_name = name;
            continue;
        }
        rest.push_back(argument);
    }
    if (!unexpected.empty()) {
        throw UsageError { "Unexpected args: [" + join(unexpected, ",") + "]" };
    }
    if (!rest.empty()) {
        throw UsageError { "Too many arguments." };
    }
    if (!is_uuid(uuid)) {
        throw UsageError { "Invalid or missing argument UUID" };
    }
    args.remain.clear();
    return uuid;
}

} // namespace

Outcome cmd_lifecycle(Context& context, Args const& original)
{
    Args args = original;
    std::string const& command = args.command;
    if (command == "events" || command == "receive" || command == "recv") {
        return failure("vmadm " + command + " is not supported by this lumos build yet");
    }
    std::string signal_name;
    std::string const uuid
        = command == "kill" ? kill_uuid(args, signal_name) : uuid_argument(args);
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
    if (command == "start" || command == "boot") {
        check_start_arguments(args.remain);
    }
    auto vm = context.engine.get(uuid);
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
        if (auto const bootable = context.engine.can_boot(vm->value("brand", "")); !bootable) {
            return failure("Unable to start VM " + uuid + ": " + bootable.error().message());
        }
        if (auto started = context.engine.start(uuid); !started) {
            return failure("Unable to start VM " + uuid + ": " + started.error().message());
        }
        return success("Successfully started VM " + uuid);
    }
    if (command == "stop" || command == "halt") {
        auto const brand = vm->value("brand", "");
        if (args.has("timeout") && brand != "kvm" && brand != "bhyve"
            && !vm->value("docker", false)) {
            return failure("Timeout option is only supported for bhyve, KVM and docker containers.");
        }
        if (state != "running") {
            return success("VM " + uuid + " is already not 'running' (currently: " + state + ")");
        }
        // OS VMs: a graceful shutdown, forced after 60 s (reference 1.2).
        if (auto stopped = context.engine.stop(uuid, args.has("force"), 60); !stopped) {
            return failure(stopped.error().message());
        }
        return success("Successfully completed stop for VM " + uuid);
    }
    if (command == "reboot") {
        if (state != "running") {
            return failure(
                "Cannot reboot vm from state \"" + state + "\", must be \"running\"");
        }
        if (auto rebooted = context.engine.reboot(uuid, args.has("force")); !rebooted) {
            return failure(rebooted.error().message());
        }
        return success("Successfully completed reboot for VM " + uuid);
    }
    if (command == "kill") {
        std::string const name = args.has("signal") ? args.get("signal") : signal_name;
        if (state != "running" || !vm->contains("pid")) {
            return failure("Cannot find running init PID for VM " + uuid);
        }
        auto const signal = parse_signal(name);
        if (!signal) {
            return failure("Unknown signal \"" + name + "\"");
        }
        if (auto killed = context.engine.kill(uuid, *signal); !killed) {
            return failure(killed.error().message());
        }
        return success("Sent signal \"" + name + "\" to init process for VM " + uuid);
    }
    if (command == "info") {
        return failure("Unable to get VM info for VM " + uuid
            + ": Unable to get info for vm from state \"" + state
            + "\", must be \"running\" or \"stopping\".");
    }
    if (command == "console") {
        if (state != "running") {
            return failure("cannot connect to console when state is " + state);
        }
        auto connection = context.engine.console(uuid);
        if (!connection) {
            return failure(connection.error().message());
        }
        context.io.out.flush();
        runtime::relay_console(connection->get(), STDIN_FILENO, STDOUT_FILENO);
        return success();
    }
    return failure("vmadm " + command + " is not supported by this lumos build yet");
}

} // namespace lumos::vmadm
