// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"
#include "pools/pool.hpp"
#include "runtime/monitor.hpp"
#include "runtime/zone_spec.hpp"
#include "sys/cgroup.hpp"
#include "sys/host_probe.hpp"
#include "vm/runtime.hpp"

namespace lumos::vm {

// OS zones (joyent, joyent-minimal, builder, lx) run by runc under one lumos-zoned monitor each.
// Start writes the bundle ($LUMOS_ROOT/run/lumos/zones/<uuid>/config.json, from
// runtime::zone_spec) and launches the monitor; everything after goes through the monitor's
// control socket. The zone's cgroup is /lumos/<uuid> in every controller (the host config's
// cgroup_parent=/other moves them).
//
// What goes through the monitor (live, stop, reboot, kill, console, reattach, stats, forget) is
// the same for every monitored guest: QemuRuntime (kvm, bhyve) derives from this class and
// replaces what differs (booting, the monitor's launch flags, limits, exec).
class ZoneRuntime : public Runtime {
public:
    ZoneRuntime(Paths paths, pools::PoolRegistry const& pools);

    Result<void> can_boot(std::string const& brand) const override;
    Result<void> can_boot_vm(Json const& vm) const override;
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
    // runc exec in the zone: a login shell (`/bin/sh -l`, TERM passed on, a terminal when asked)
    // or `/bin/sh -c <command joined by spaces>`.
    Result<std::vector<std::string>> exec_argv(
        Json const& vm, std::vector<std::string> const& command, Terminal terminal) const override;
    // The zone's cgroup figures (<cgroup_parent>/<uuid> in every controller).
    Result<GuestStats> stats(std::string const& uuid) const override;
    void forget(std::string const& uuid) override;

    // Where the OCI runtime (runc or crun) keeps its state for this host.
    std::string runc_root() const;
    // The OCI runtime that drives a zone: the one it was booted with (recorded in its run dir),
    // else the one this host's probe finds works.
    Result<std::string> oci_runtime(std::string const& uuid) const;
    // The cgroup (in every controller) under which each zone gets <uuid>.
    std::string const& cgroup_parent() const { return m_cgroup_parent; }
    // What this host offers (sys::host_features: probed once per boot, cached under run/lumos).
    Result<sys::HostFeatures> host_features() const;
    // The programs a zone needs, with the OCI runtime the probe found works.
    Result<runtime::Helpers> helpers() const;
    // The zones' cgroups as the probe found them.
    Result<sys::Cgroups> cgroups() const;

protected:
    runtime::ZoneMonitor monitor(std::string const& uuid) const;
    Paths const& paths() const { return m_paths; }
    pools::PoolRegistry const& pools() const { return m_pools; }
    // The monitor's flags for this guest (a start or a re-attach).
    virtual Result<runtime::ZoneMonitor::Launch> launch_options(
        Json const& vm, runtime::Helpers helpers) const;
    // A line per control the guest runs without, in its monitor.log.
    void log_unenforced(std::string const& uuid, std::vector<std::string> const& lines) const;

private:
    // The zone's OCI bundle (config.json) from the VM object, and its root readied for it.
    Result<runtime::ZoneSpec> write_bundle(Json const& vm, runtime::Helpers const& helpers) const;
    // The zone's NICs (vm/zone_network): made before its monitor starts, updated live.
    Result<void> create_network(Json const& vm) const;
    Result<void> update_network(Json const& vm) const;
    // Whatever of the zone's networking is left (best effort; the monitor removes it when the
    // zone ends, this is for a zone whose monitor could not).
    void remove_network(std::string const& uuid) const;

    Paths m_paths;
    pools::PoolRegistry const& m_pools;
    std::string m_cgroup_parent;
};

} // namespace lumos::vm
