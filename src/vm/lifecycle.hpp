// SPDX-License-Identifier: MPL-2.0
// What the engine's lifecycle commands return: the change made (or that none was needed), or
// why it refused, typed, so that each adapter (vmadm, lumosadm autoboot, later the REST API)
// words it its own way. vmadm maps each reason to SmartOS's exact message.
#pragma once

#include "base/result.hpp"
#include "vm/runtime.hpp"

#include <tl/expected.hpp>

#include <optional>
#include <string>

namespace lumos::vm {

// How long a graceful stop of an OS VM waits before it forces (reference 1.2).
inline constexpr int STOP_DEADLINE_S = 60;

enum class LifecycleReason {
    Lookup, // the VM could not be loaded (cause: the store's error, e.g. NotFound)
    WrongState, // start from other than stopped (or provisioning+installed), reboot or
                // console from other than running
    NoInitPid, // kill: the VM does not run, there is no init to signal
    UnknownSignal, // kill: not a signal number or name
    TimeoutUnsupported, // stop with a timeout: only bhyve, KVM and docker VMs take one
    CannotBoot, // start: no runtime on this host boots the brand (cause says why)
    BadRequest, // info, sysrq: a type the brand does not have (cause: SmartOS's message)
    Failed, // the runtime or the store failed doing it (cause says why)
};

struct LifecycleError {
    LifecycleReason reason;
    std::string state; // the VM's state when it was refused ("" for Lookup)
    Error cause; // an operator's message, for adapters with no wording of their own
};

template <typename T = void>
using LifecycleResult = tl::expected<T, LifecycleError>;

// start and stop succeed without a change when the VM is already there.
enum class Change { Done, AlreadyThere };

struct Transition {
    Change change { Change::Done };
    std::string state; // the state before
};

struct StopRequest {
    StopMode mode { StopMode::Graceful };
    // Only bhyve, KVM and docker VMs take a timeout (OS VMs get STOP_DEADLINE_S).
    std::optional<int> timeout_s;
};

enum class AutobootAction {
    Reattach, // a monitor for a guest that ran without one
    Start, // a stopped VM with autoboot true
};

struct AutobootOutcome {
    std::string uuid;
    AutobootAction action { AutobootAction::Start };
    std::optional<Error> failure; // nullopt: done
};

// A signal as vmadm's nodeSig takes it: a number, a name (HUP) or a SIG name (SIGHUP).
std::optional<int> parse_signal(std::string const& name);

} // namespace lumos::vm
