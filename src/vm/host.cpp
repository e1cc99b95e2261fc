// SPDX-License-Identifier: MPL-2.0
#include "vm/host.hpp"

namespace lumos::vm {

namespace {

// What a VM of a brand no runtime serves is told.
constexpr char const* NO_RUNTIME = "no runtime of this lumos build boots them";

} // namespace

Runtimes host_runtimes(ZoneRuntime& zones, QemuRuntime& qemu, Runtime& unbootable)
{
    Runtimes runtimes(unbootable);
    // The OS brands (runtime::is_os_brand).
    for (char const* brand : { "joyent", "joyent-minimal", "builder", "lx" }) {
        runtimes.add(brand, zones);
    }
    for (char const* brand : { "kvm", "bhyve" }) {
        runtimes.add(brand, qemu);
    }
    return runtimes;
}

Host::Host(Paths paths)
    : m_paths(std::move(paths))
    , m_store(m_paths)
    , m_pools(m_paths)
    , m_zones(m_paths, m_pools)
    , m_qemu(m_paths, m_pools)
    , m_unbootable(NO_RUNTIME)
    , m_engine(m_store, host_runtimes(m_zones, m_qemu, m_unbootable), m_pools)
{
}

Result<std::unique_ptr<Host>> Host::open(Paths paths)
{
    return std::unique_ptr<Host>(new Host(std::move(paths)));
}

} // namespace lumos::vm
