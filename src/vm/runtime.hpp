// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/file.hpp"
#include "base/json.hpp"
#include "base/result.hpp"
#include "runtime/qemu_plan.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lumos::vm {

// A running guest as its runtime sees it.
struct LiveState {
    int64_t pid { 0 }; // the guest's init (zones) or QEMU process, on the host
    std::string boot_timestamp; // ISO
    std::string provisioning; // none, waiting, success, failed
    bool monitored { true }; // false: its monitor died and nobody follows the guest
};

// How a guest goes down: asked to shut down (forced after the deadline), or at once.
enum class StopMode { Graceful, Force };

// Whether a command in the guest gets a terminal (zlogin on a tty).
enum class Terminal { None, Allocate };

// The figures zonestat shows for a running guest, as its runtime measures them.
struct GuestStats {
    uint64_t memory_bytes { 0 };
    std::optional<uint64_t> memory_limit; // nullopt: unlimited
    uint64_t cpu_usage_ns { 0 }; // over the guest's life
    uint64_t processes { 0 };
    uint64_t oom_kills { 0 };
    uint64_t io_read_bytes { 0 };
    uint64_t io_write_bytes { 0 };
};

// What boots and stops guests of some brands: ZoneRuntime (OS zones through lumos-zoned and
// runc); QEMU later. The engine asks Runtimes which one serves a VM's brand and keeps every
// lifecycle rule (which states allow what) itself: a runtime only does what it is asked.
// Every method that takes a VM takes it as vmadm get shows it (zonepath included).
class Runtime {
public:
    virtual ~Runtime() = default;

    // Whether VMs of this brand can be booted on this host; the error says why not.
    virtual Result<void> can_boot(std::string const& brand) const = 0;
    // Whether this VM as configured can boot here: its brand, and what its configuration needs
    // of the host (for zones, that their NICs' tags and VLANs can be made). Pure of side effects.
    virtual Result<void> can_boot_vm(Json const& vm) const
    {
        return can_boot(string_or(vm, "brand"));
    }

    // The guest when it runs, nullopt when it does not (cheap: one small file and /proc).
    virtual std::optional<LiveState> live(std::string const& uuid) const = 0;
    // The last provisioning outcome its monitor recorded: "success", "failed" or "".
    virtual std::string provision_outcome(std::string const& uuid) const = 0;

    // Boots the guest; with provision_timeout_ms > 0 its monitor also watches the provisioning
    // handshake until then (halting the guest when it does not complete).
    virtual Result<void> start(Json const& vm, int64_t provision_timeout_ms) = 0;
    // The same with one boot's start options (vmadm start <uuid> order=cd,once=d cdrom=...,ide):
    // HVM guests take them for this boot only; other brands ignore them, as SmartOS does.
    virtual Result<void> start_with(
        Json const& vm, int64_t provision_timeout_ms, runtime::StartOptions const& /*options*/)
    {
        return start(vm, provision_timeout_ms);
    }
    // Waits for the provisioning outcome: "success" or "failed".
    virtual Result<std::string> wait_provisioning(Json const& vm) = 0;
    // Graceful stop (forced after timeout_s), or at once; returns once it is down.
    virtual Result<void> stop(Json const& vm, StopMode mode, int timeout_s) = 0;
    virtual Result<void> reboot(Json const& vm, StopMode mode) = 0;
    virtual Result<void> kill(Json const& vm, int signal) = 0;
    // A new monitor for a running guest whose monitor died.
    virtual Result<void> reattach(Json const& vm) = 0;
    // Applies the VM's resource controls to the running guest.
    virtual Result<void> apply_limits(Json const& vm) = 0;
    // The guest's console: a connection to relay (cmd/common/console_relay.hpp).
    virtual Result<UniqueFd> console(Json const& vm) = 0;
    // The command line that runs `command` inside the running guest (zlogin execs it); an empty
    // command is an interactive login shell (with a terminal when asked).
    virtual Result<std::vector<std::string>> exec_argv(
        Json const& vm, std::vector<std::string> const& command, Terminal terminal) const = 0;
    // What the running guest uses now.
    virtual Result<GuestStats> stats(std::string const& uuid) const = 0;
    // Forgets a deleted VM's runtime files, and what a guest whose monitor died left behind.
    virtual void forget(std::string const& uuid) = 0;

    // HVM guests (vmadm info): what the running guest's machine reports, one member per type
    // (the engine checked the types against the brand's). Unsupported where there is none.
    virtual Result<Json> info(Json const& vm, std::vector<std::string> const& types);
    // HVM guests (vmadm sysrq): "nmi" or "screenshot" (the engine checked it for the brand).
    virtual Result<void> sysrq(Json const& vm, std::string const& request);
};

// The runtime for brands this host cannot boot (kvm and bhyve until QEMU lands): nothing of
// theirs ever runs, so it refuses every boot with its message and has nothing to stop.
class RefusingRuntime final : public Runtime {
public:
    // The message of can_boot's error, for a brand: e.g. "Cannot boot kvm VMs: ...".
    explicit RefusingRuntime(std::string reason_suffix);

    Result<void> can_boot(std::string const& brand) const override;
    std::optional<LiveState> live(std::string const& uuid) const override;
    std::string provision_outcome(std::string const& uuid) const override;
    Result<void> start(Json const& vm, int64_t provision_timeout_ms) override;
    Result<std::string> wait_provisioning(Json const& vm) override;
    Result<void> stop(Json const& vm, StopMode mode, int timeout_s) override;
    Result<void> reboot(Json const& vm, StopMode mode) override;
    Result<void> kill(Json const& vm, int signal) override;
    Result<void> reattach(Json const& vm) override;
    Result<void> apply_limits(Json const& vm) override;
    Result<UniqueFd> console(Json const& vm) override;
    Result<std::vector<std::string>> exec_argv(
        Json const& vm, std::vector<std::string> const& command, Terminal terminal) const override;
    Result<GuestStats> stats(std::string const& uuid) const override;
    void forget(std::string const& uuid) override;

private:
    std::string m_reason_suffix;
};

// Which runtime serves which brand. A runtime registers the brands it boots; a brand nobody
// registered goes to the fallback (a RefusingRuntime on a host without QEMU). The table does
// not own the runtimes.
class Runtimes {
public:
    explicit Runtimes(Runtime& fallback)
        : m_fallback(&fallback)
    {
    }

    void add(std::string brand, Runtime& runtime) { m_by_brand[std::move(brand)] = &runtime; }
    Runtime& for_brand(std::string_view brand) const;
    // The runtime of a VM object or record (its "brand").
    Runtime& for_vm(Json const& vm) const;

private:
    std::map<std::string, Runtime*, std::less<>> m_by_brand;
    Runtime* m_fallback;
};

} // namespace lumos::vm
