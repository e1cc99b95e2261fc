// SPDX-License-Identifier: MPL-2.0
#include "cli/cli_fixture.hpp"

#include "base/paths.hpp"
#include "cmd/vmadm/cli.hpp"
#include "vm/host.hpp"

#include <exception>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

namespace lumos::test {

namespace {

// The one place that assembles a host for the in-process tests, as vmadm's main() does for
// the binary: a fresh store, pools, runtime and engine per command, so that no state survives
// between two commands that the binary would not keep either.
int run_vmadm(std::string const& lumos_root, std::vector<std::string> const& argv, vmadm::Io& io)
{
    auto host = vm::Host::open(Paths(lumos_root));
    if (!host) {
        io.err << "vmadm: " << host.error().message() << "\n";
        return 1;
    }
    return vmadm::run(argv, io, (*host)->engine());
}

} // namespace

RunResult CliTest::vmadm(const std::vector<std::string>& args, RunOptions options) const
{
    if (!options.env.empty() || options.uid || options.stdout_closed) {
        throw std::logic_error("CliTest::vmadm runs in-process: no env, uid or closed stdout");
    }
    std::vector<std::string> argv { "vmadm" };
    argv.insert(argv.end(), args.begin(), args.end());
    std::istringstream in(options.stdin_mode == StdinMode::Bytes ? options.stdin_bytes : "");
    std::ostringstream out;
    std::ostringstream err;
    vmadm::Io io { in, out, err, options.stdin_mode == StdinMode::Tty };
    RunResult result;
    try {
        result.exit_code = run_vmadm(root().str(), argv, io);
    } catch (std::exception const& error) {
        // As vmadm's main() reports what escapes run().
        err << "vmadm: internal error: " << error.what() << "\n";
        result.exit_code = 1;
    }
    result.out = out.str();
    result.err = err.str();
    return result;
}

std::filesystem::path CliTest::temp_parent() const
{
    static char const* const SHM = "/dev/shm";
    std::error_code ignored;
    if (std::filesystem::is_directory(SHM, ignored) && ::access(SHM, W_OK | X_OK) == 0) {
        return SHM;
    }
    return "/tmp";
}

} // namespace lumos::test
