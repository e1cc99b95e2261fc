// SPDX-License-Identifier: MPL-2.0
// The fixture of the in-process vmadm tests: vmadm::run() over the shared temp root
// (support/vmadm_common.hpp) with stdin, stdout and stderr captured, as any user. It needs no
// chown, mount or cgroup, so it covers what needs neither a zone nor the kernel: messages,
// validation, create without autoboot, get, list, lookup, update and delete of stopped VMs.
#pragma once

#include "support/vmadm_common.hpp"

#include <string>
#include <vector>

namespace lumos::test {

class CliTest : public VmadmTestBase {
protected:
    using VmadmTestBase::vmadm;
    // Runs vmadm::run() with the engine of root() (see cli_fixture.cpp's run_vmadm). The
    // options a process needs (env, uid, a closed stdout) are refused: such tests belong to
    // the acceptance suite.
    RunResult vmadm(const std::vector<std::string>& args, RunOptions options) const override;
    // /dev/shm when it is a writable directory: the dir pool syncs its journal and database at
    // every step, and on a busy disk those syncs are most of a test's time. /tmp otherwise.
    [[nodiscard]] std::filesystem::path temp_parent() const override;
};

} // namespace lumos::test
