// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"
#include "pools/pool.hpp"
#include "store/vm_store.hpp"
#include "vm/engine.hpp"
#include "vm/qemu_runtime.hpp"
#include "vm/runtime.hpp"
#include "vm/zone_runtime.hpp"

#include <memory>

namespace lumos::vm {

// One host as every program opens it: the VM store, the pool registry, a runtime per brand
// (ZoneRuntime for the OS brands, QemuRuntime for kvm and bhyve) and the
// engine over them. vmadm, zlogin, zonestat and lumosadm autoboot open it the same way; a
// runtime for new brands is registered here and nowhere else.
class Host { // NOLINT(cppcoreguidelines-special-member-functions): no destructor to write
public:
    static Result<std::unique_ptr<Host>> open(Paths paths);

    Host(Host const&) = delete;
    Host& operator=(Host const&) = delete;

    Paths const& paths() const { return m_paths; }
    Engine& engine() { return m_engine; }
    store::VmStore& store() { return m_store; }
    pools::PoolRegistry const& pools() const { return m_pools; }
    // The OS zones' runtime (zonestat asks it whether this host can measure zones at all).
    ZoneRuntime const& zones() const { return m_zones; }

private:
    explicit Host(Paths paths);

    Paths m_paths;
    store::VmStore m_store;
    pools::PoolRegistry const m_pools;
    ZoneRuntime m_zones;
    QemuRuntime m_qemu;
    RefusingRuntime m_unbootable;
    Engine m_engine;
};

// Which runtime serves each brand: the OS brands the ZoneRuntime, kvm and bhyve the QemuRuntime.
Runtimes host_runtimes(ZoneRuntime& zones, QemuRuntime& qemu, Runtime& unbootable);

} // namespace lumos::vm
