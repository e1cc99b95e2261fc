// SPDX-License-Identifier: MPL-2.0
// The engine's lifecycle rules: which states allow start, stop, reboot, kill and console, the
// stop deadline, and autoboot at host start (reference 1.2, 3.4). Each runs under the VM's
// lock; the runtime only does what it is asked.
#include "base/strings.hpp"
#include "base/time.hpp"
#include "props/state.hpp"
#include "vm/engine.hpp"

#include <algorithm>
#include <csignal>
#include <utility>

namespace lumos::vm {

namespace {

using props::VmState;

tl::unexpected<LifecycleError> refuse(
    LifecycleReason reason, std::string state, std::string message)
{
    return tl::unexpected(LifecycleError {
        reason, std::move(state), Error(ErrorCode::InvalidArgument, std::move(message)) });
}

tl::unexpected<LifecycleError> failed(LifecycleReason reason, Json const& vm, Error error)
{
    return tl::unexpected(LifecycleError { reason, string_or(vm, "state"), std::move(error) });
}

// VM.js's BRAND_OPTIONS runtime_info and SYSRQ_TYPES.
std::vector<std::string> const* info_types(std::string const& brand)
{
    static std::vector<std::string> const KVM { "all", "block", "blockstats", "chardev", "cpus",
        "kvm", "pci", "spice", "status", "version", "vnc" };
    static std::vector<std::string> const BHYVE { "all", "vnc" };
    return brand == "kvm" ? &KVM : brand == "bhyve" ? &BHYVE : nullptr;
}

std::vector<std::string> const* sysrq_types(std::string const& brand)
{
    static std::vector<std::string> const KVM { "nmi", "screenshot" };
    static std::vector<std::string> const BHYVE { "nmi" };
    return brand == "kvm" ? &KVM : brand == "bhyve" ? &BHYVE : nullptr;
}

bool running_or_stopping(std::string const& state)
{
    return state == "running" || state == "stopping";
}

} // namespace

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

void Engine::ensure_monitored(Json const& vm)
{
    // The live view has asked the runtime already: only a VM it found running is asked again.
    if (!vm.contains("pid")) {
        return;
    }
    Runtime& runtime = m_runtimes.for_vm(vm);
    if (auto live = runtime.live(string_or(vm, "uuid")); live && !live->monitored) {
        (void)runtime.reattach(vm);
    }
}

LifecycleResult<Engine::LockedVm> Engine::lock_and_load(std::string const& uuid)
{
    auto lookup_error = [](Error error) {
        return tl::unexpected(LifecycleError { LifecycleReason::Lookup, {}, std::move(error) });
    };
    // An unknown VM is refused before any lock file is made for it, with the store's words.
    if (!m_store.exists(uuid)) {
        auto absent = m_store.load(uuid);
        return lookup_error(absent ? Error(ErrorCode::NotFound, "VM " + uuid + " not found")
                                   : std::move(absent.error()));
    }
    auto lock = m_store.lock_vm(uuid);
    if (!lock) {
        return lookup_error(std::move(lock.error()));
    }
    auto vm = m_store.load(uuid);
    if (!vm) {
        return lookup_error(std::move(vm.error()));
    }
    ensure_monitored(*vm);
    return LockedVm { std::move(*lock), std::move(*vm) };
}

LifecycleResult<Transition> Engine::start(
    std::string const& uuid, runtime::StartOptions const& options)
{
    auto locked = lock_and_load(uuid);
    if (!locked) {
        return tl::unexpected(std::move(locked.error()));
    }
    Json const& vm = locked->vm;
    std::string const state = string_or(vm, "state", "unknown");
    VmState const current = props::parse_vm_state(state);
    if (current == VmState::Running) {
        return Transition { Change::AlreadyThere, state };
    }
    bool const startable = current == VmState::Stopped
        || (current == VmState::Provisioning && string_or(vm, "zone_state") == "installed");
    if (!startable) {
        return refuse(LifecycleReason::WrongState, state,
            "Cannot start vm from state \"" + state + "\", must be \"stopped\".");
    }
    if (auto bootable = m_runtimes.for_vm(vm).can_boot_vm(vm); !bootable) {
        return failed(LifecycleReason::CannotBoot, vm, std::move(bootable.error()));
    }
    // A provisioning VM's monitor watches the handshake until the transition's deadline.
    int64_t timeout = 0;
    if (current == VmState::Provisioning && vm.contains("transition_expire")) {
        timeout = std::max<int64_t>(int_or(vm, "transition_expire", 0) - now_ms(), 1000);
    }
    if (auto started = m_runtimes.for_vm(vm).start_with(vm, timeout, options); !started) {
        return failed(LifecycleReason::Failed, vm, std::move(started.error()));
    }
    auto record = m_store.load_record(uuid);
    if (!record) {
        return failed(LifecycleReason::Failed, vm, std::move(record.error()));
    }
    if (!bool_or(*record, "autoboot", false)) {
        (*record)["autoboot"] = true;
        if (auto saved = m_store.save(*record); !saved) {
            return failed(LifecycleReason::Failed, vm, std::move(saved.error()));
        }
    }
    return Transition { Change::Done, state };
}

LifecycleResult<Transition> Engine::stop(std::string const& uuid, StopRequest const& request)
{
    auto locked = lock_and_load(uuid);
    if (!locked) {
        return tl::unexpected(std::move(locked.error()));
    }
    Json const& vm = locked->vm;
    std::string const state = string_or(vm, "state", "unknown");
    std::string const brand = string_or(vm, "brand");
    bool const takes_timeout = brand == "kvm" || brand == "bhyve" || bool_or(vm, "docker", false);
    if (request.timeout_s && !takes_timeout) {
        return refuse(LifecycleReason::TimeoutUnsupported, state,
            "Timeout option is only supported for bhyve, KVM and docker containers.");
    }
    if (props::parse_vm_state(state) != VmState::Running) {
        return Transition { Change::AlreadyThere, state };
    }
    // OS VMs: a graceful shutdown, forced after 60 s (reference 1.2).
    int const deadline
        = takes_timeout ? request.timeout_s.value_or(STOP_DEADLINE_S) : STOP_DEADLINE_S;
    if (auto stopped = m_runtimes.for_vm(vm).stop(vm, request.mode, deadline); !stopped) {
        return failed(LifecycleReason::Failed, vm, std::move(stopped.error()));
    }
    auto record = m_store.load_record(uuid);
    if (!record) {
        return failed(LifecycleReason::Failed, vm, std::move(record.error()));
    }
    if (bool_or(*record, "autoboot", true)) {
        (*record)["autoboot"] = false;
        if (auto saved = m_store.save(*record); !saved) {
            return failed(LifecycleReason::Failed, vm, std::move(saved.error()));
        }
    }
    return Transition { Change::Done, state };
}

LifecycleResult<void> Engine::reboot(std::string const& uuid, StopMode mode)
{
    auto locked = lock_and_load(uuid);
    if (!locked) {
        return tl::unexpected(std::move(locked.error()));
    }
    Json const& vm = locked->vm;
    std::string const state = string_or(vm, "state", "unknown");
    if (props::parse_vm_state(state) != VmState::Running) {
        return refuse(LifecycleReason::WrongState, state,
            "Cannot reboot vm from state \"" + state + "\", must be \"running\"");
    }
    if (auto rebooted = m_runtimes.for_vm(vm).reboot(vm, mode); !rebooted) {
        return failed(LifecycleReason::Failed, vm, std::move(rebooted.error()));
    }
    return {};
}

LifecycleResult<void> Engine::kill(std::string const& uuid, std::string const& signal)
{
    auto locked = lock_and_load(uuid);
    if (!locked) {
        return tl::unexpected(std::move(locked.error()));
    }
    Json const& vm = locked->vm;
    std::string const state = string_or(vm, "state", "unknown");
    if (props::parse_vm_state(state) != VmState::Running || !vm.contains("pid")) {
        return refuse(
            LifecycleReason::NoInitPid, state, "Cannot find running init PID for VM " + uuid);
    }
    auto const number = parse_signal(signal);
    if (!number) {
        return refuse(LifecycleReason::UnknownSignal, state, "Unknown signal \"" + signal + "\"");
    }
    if (auto killed = m_runtimes.for_vm(vm).kill(vm, *number); !killed) {
        return failed(LifecycleReason::Failed, vm, std::move(killed.error()));
    }
    return {};
}

LifecycleResult<UniqueFd> Engine::console(std::string const& uuid)
{
    auto locked = lock_and_load(uuid);
    if (!locked) {
        return tl::unexpected(std::move(locked.error()));
    }
    Json const& vm = locked->vm;
    std::string const state = string_or(vm, "state", "unknown");
    if (props::parse_vm_state(state) != VmState::Running) {
        return refuse(
            LifecycleReason::WrongState, state, "cannot connect to console when state is " + state);
    }
    auto connection = m_runtimes.for_vm(vm).console(vm);
    if (!connection) {
        return failed(LifecycleReason::Failed, vm, std::move(connection.error()));
    }
    return std::move(*connection);
}

LifecycleResult<Json> Engine::running_or_stopping_vm(
    std::string const& uuid, std::string const& doing)
{
    auto vm = get(uuid);
    if (!vm) {
        return tl::unexpected(
            LifecycleError { LifecycleReason::Lookup, {}, std::move(vm.error()) });
    }
    ensure_monitored(*vm);
    std::string const state = string_or(*vm, "state", "unknown");
    if (!running_or_stopping(state)) {
        return refuse(LifecycleReason::WrongState, state,
            "Unable to " + doing + " from state \"" + state
                + "\", must be \"running\" or \"stopping\".");
    }
    return std::move(*vm);
}

LifecycleResult<Json> Engine::info(std::string const& uuid, std::vector<std::string> const& types)
{
    auto vm = running_or_stopping_vm(uuid, "get info for vm");
    if (!vm) {
        return tl::unexpected(std::move(vm.error()));
    }
    std::string const state = string_or(*vm, "state", "unknown");
    std::string const brand = string_or(*vm, "brand");
    auto const* allowed = info_types(brand);
    if (allowed == nullptr) {
        return refuse(
            LifecycleReason::BadRequest, state, "no info types supported for brand " + brand);
    }
    for (auto const& type : types) {
        if (std::find(allowed->begin(), allowed->end(), type) == allowed->end()) {
            return refuse(LifecycleReason::BadRequest, state, "unknown info type " + type);
        }
    }
    auto info = m_runtimes.for_vm(*vm).info(*vm, types);
    if (!info) {
        return failed(LifecycleReason::Failed, *vm, std::move(info.error()));
    }
    return std::move(*info);
}

LifecycleResult<void> Engine::sysrq(std::string const& uuid, std::string const& request)
{
    auto vm = running_or_stopping_vm(uuid, "send request to vm");
    if (!vm) {
        return tl::unexpected(std::move(vm.error()));
    }
    std::string const state = string_or(*vm, "state", "unknown");
    std::string const brand = string_or(*vm, "brand");
    auto const* allowed = sysrq_types(brand);
    if (allowed == nullptr) {
        return refuse(LifecycleReason::BadRequest, state,
            "The sysrq command is only supported for VMs  with brand \"bhyve\" or \"kvm\".");
    }
    if (std::find(allowed->begin(), allowed->end(), request) == allowed->end()) {
        std::string valid;
        for (auto const& type : *allowed) {
            valid += (valid.empty() ? "" : "\",\"") + type;
        }
        return refuse(LifecycleReason::BadRequest, state,
            "Invalid sysrq \"" + request + "\" valid values: \"" + valid + "\".");
    }
    if (auto sent = m_runtimes.for_vm(*vm).sysrq(*vm, request); !sent) {
        return failed(LifecycleReason::Failed, *vm, std::move(sent.error()));
    }
    return {};
}

Result<std::vector<AutobootOutcome>> Engine::autoboot()
{
    ListQuery query;
    query.keys = std::set<std::string> { "uuid", "autoboot", "brand", "state" };
    TRY_ASSIGN(vms, find(query));
    std::vector<AutobootOutcome> outcomes;
    for (auto const& listed : vms) {
        std::string const uuid = string_or(listed, "uuid");
        Runtime& runtime = m_runtimes.for_vm(listed);
        if (auto live = runtime.live(uuid)) {
            if (live->monitored) {
                continue;
            }
            AutobootOutcome outcome { uuid, AutobootAction::Reattach, std::nullopt };
            auto vm = m_store.load(uuid);
            if (!vm) {
                outcome.failure = std::move(vm.error());
            } else if (auto reattached = runtime.reattach(*vm); !reattached) {
                outcome.failure = std::move(reattached.error());
            }
            outcomes.push_back(std::move(outcome));
            continue;
        }
        if (!bool_or(listed, "autoboot", false) || props::vm_state(listed) != VmState::Stopped) {
            continue;
        }
        AutobootOutcome outcome { uuid, AutobootAction::Start, std::nullopt };
        if (auto started = start(uuid); !started) {
            outcome.failure = std::move(started.error().cause);
        }
        outcomes.push_back(std::move(outcome));
    }
    return outcomes;
}

} // namespace lumos::vm
