// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/file.hpp"
#include "base/json.hpp"
#include "base/result.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace lumos::vm {

// A running guest as its runtime sees it.
struct LiveState {
    int64_t pid { 0 }; // the guest's init (zones) or QEMU process, on the host
    std::string boot_timestamp; // ISO
    std::string provisioning; // none, waiting, success, failed
    bool monitored { true }; // false: its monitor died and nobody follows the guest
};

// What boots and stops guests for a brand: ZoneRuntime (OS zones through lumos-zoned and runc);
// QEMU later. NoRuntime refuses cleanly, so that a create with autoboot leaves nothing behind.
// Every method takes the VM object as vmadm get shows it (zonepath included).
class Runtime {
public:
    virtual ~Runtime() = default;

    // Whether VMs of this brand can be booted on this host; the error says why not.
    virtual Result<void> can_boot(std::string const& brand) const = 0;

    // The guest when it runs, nullopt when it does not (cheap: one small file and /proc).
    virtual std::optional<LiveState> live(std::string const& uuid) const;
    // The last provisioning outcome its monitor recorded: "success", "failed" or "".
    virtual std::string provision_outcome(std::string const& uuid) const;

    // Boots the guest; with provision_timeout_ms > 0 its monitor also watches the provisioning
    // handshake until then (halting the guest when it does not complete).
    virtual Result<void> start(Json const& vm, int64_t provision_timeout_ms);
    // Waits for the provisioning outcome: "success" or "failed".
    virtual Result<std::string> wait_provisioning(Json const& vm);
    // Graceful stop (forced after timeout_s), or at once with force; returns once it is down.
    virtual Result<void> stop(Json const& vm, bool force, int timeout_s);
    virtual Result<void> reboot(Json const& vm, bool force);
    virtual Result<void> kill(Json const& vm, int signal);
    // A new monitor for a running guest whose monitor died.
    virtual Result<void> reattach(Json const& vm);
    // Applies the VM's resource controls to the running guest.
    virtual Result<void> apply_limits(Json const& vm);
    // The guest's console: a connection to relay (runtime::relay_console).
    virtual Result<UniqueFd> console(Json const& vm);
    // Forgets a deleted VM's runtime files.
    virtual void forget(std::string const& uuid);
};

class NoRuntime final : public Runtime {
public:
    Result<void> can_boot(std::string const& brand) const override;
};

} // namespace lumos::vm
