// SPDX-License-Identifier: MPL-2.0
#include "support/vmadm_fixture.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#ifndef LUMOS_VMADM_BIN
#    error "LUMOS_VMADM_BIN must be defined to the vmadm binary path"
#endif

namespace lumos::test {

std::string vmadm_path()
{
    // The environment may point the suite at another build of vmadm.
    const char* override_path = std::getenv("LUMOS_VMADM_BIN");
    return override_path != nullptr && *override_path != '\0' ? override_path : LUMOS_VMADM_BIN;
}

void VmadmTest::SetUp()
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "vmadm must run as root; these tests need euid 0";
    }
    VmadmTestBase::SetUp();
}

void remove_cgroup(const std::string& path)
{
    std::error_code ignored;
    for (const auto& controller : std::filesystem::directory_iterator("/sys/fs/cgroup", ignored)) {
        const auto dir = controller.path() / path.substr(1);
        if (!std::filesystem::is_directory(dir, ignored)) {
            continue;
        }
        for (const auto& child : std::filesystem::directory_iterator(dir, ignored)) {
            if (child.is_directory(ignored)) {
                ::rmdir(child.path().c_str());
            }
        }
        ::rmdir(dir.c_str());
    }
}

void VmadmTest::TearDown()
{
    if (!has_root()) {
        return;
    }
    std::error_code ignored;
    if (std::filesystem::exists(root().path() / "run/lumos/zones", ignored)) {
        for (const auto& uuid : list_uuids()) {
            (void)vmadm({ "stop", "-F", uuid });
        }
    }
    remove_cgroup(cgroup_parent());
}

std::string VmadmTest::zone_log(std::string const& uuid) const
{
    std::ifstream in(root().path() / "run/lumos/zones" / uuid / "monitor.log");
    return { std::istreambuf_iterator<char>(in), {} };
}

RunResult VmadmTest::vmadm(const std::vector<std::string>& args, RunOptions options) const
{
    std::vector<std::string> argv { vmadm_path() };
    argv.insert(argv.end(), args.begin(), args.end());
    options.env.emplace_back("LUMOS_ROOT", root().str());
    // A concurrent rebuild can replace the binary under us (ENOENT/ETXTBSY): retry, don't fail.
    for (int attempt = 0;; ++attempt) {
        auto r = run(argv, options);
        if (r.exit_code != 127 || r.err != "execve failed\n" || attempt == 10) {
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

} // namespace lumos::test
