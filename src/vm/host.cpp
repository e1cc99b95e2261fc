// SPDX-License-Identifier: MPL-2.0
#include "vm/host.hpp"

namespace lumos::vm {

namespace {

// What a kvm or bhyve VM is told until the QEMU runtime registers for those brands.
constexpr char const* NO_QEMU = "this lumos build has no QEMU runtime yet (set \"autoboot\": "
                                "false to create the VM stopped)";

} // namespace

Runtimes host_runtimes(ZoneRuntime& zones, Runtime& unbootable)
{
    Runtimes runtimes(unbootable);
    // The OS brands (runtime::is_os_brand).
    for (char const* brand : { "joyent", "joyent-minimal", "builder", "lx" }) {
        runtimes.add(brand, zones);
    }
    return runtimes;
}

Host::Host(Paths paths)
    : m_paths(std::move(paths))
    , m_store(m_paths)
    , m_pools(m_paths)
    , m_zones(m_paths, m_pools)
    , m_unbootable(NO_QEMU)
    , m_engine(m_store, host_runtimes(m_zones, m_unbootable), m_pools)
{
}

Result<std::unique_ptr<Host>> Host::open(Paths paths)
{
    return std::unique_ptr<Host>(new Host(std::move(paths)));
}

} // namespace lumos::vm
