// SPDX-License-Identifier: MPL-2.0
// The fixture of the black-box vmadm acceptance tests: the real binary run as root over the
// shared temp root (support/vmadm_common.hpp), for what needs the kernel or the process
// (zones, cgroups, signals, exit on a closed pipe). The contract that needs neither is tested
// in-process by tests/cli.
#pragma once

#include "support/vmadm_common.hpp"

#include <string>
#include <vector>

namespace lumos::test {

// LUMOS_VMADM_BIN from the environment if set, else the one this suite was built against.
std::string vmadm_path();

// Removes a cgroup (and its empty children) from every controller of the host; absent is fine.
void remove_cgroup(const std::string& path);

class VmadmTest : public VmadmTestBase {
protected:
    // Skips unless euid is 0 (vmadm refuses to run otherwise).
    void SetUp() override;
    // Halts any zone a test left running (vmadm stop -F) and removes the root's cgroup parent,
    // so that no process or cgroup outlives the temp root.
    void TearDown() override;

    using VmadmTestBase::vmadm;
    // Runs the vmadm binary with LUMOS_ROOT set.
    RunResult vmadm(const std::vector<std::string>& args, RunOptions options) const override;

    // The zone's log (run/lumos/zones/<uuid>/monitor.log: the monitor's lines and the controls
    // this host did not apply), "" when there is none.
    std::string zone_log(std::string const& uuid) const;
};

} // namespace lumos::test
