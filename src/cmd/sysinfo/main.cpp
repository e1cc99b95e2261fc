// SPDX-License-Identifier: MPL-2.0
// sysinfo [-f] [-p] [-u]: SmartOS's sysinfo(8) for a lumos host (vm/sysinfo gathers, formats
// and caches).
//   (none)  the host's facts as a JSON object, from the cache when it is current
//   -f      gather again (refresh the cache), then print
//   -p      Key='value' lines instead of JSON
//   -u      gather again and update the cache, print nothing
// Options are read as bash's getopts reads SmartOS's "fnpu?": combined flags work, the first
// operand ends them, and anything else (-n and -? included) prints the usage and exits 2.
#include "base/paths.hpp"
#include "vm/sysinfo.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <unistd.h>

namespace {

using namespace lumos;

struct Options {
    bool force { false };
    bool parsable { false };
    bool update_only { false };
};

int usage(char const* program)
{
    (void)std::printf("Usage: %s: [-f] [-p] [-u]\n", program);
    return 2;
}

bool write_out(std::string const& text)
{
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size()
        && std::fflush(stdout) == 0;
}

int run(int argc, char** argv)
{
    char const* program = argc > 0 ? argv[0] : "sysinfo";
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string_view const arg = argv[i];
        if (arg == "--") {
            break;
        }
        if (arg.size() < 2 || arg.front() != '-') {
            break;
        }
        for (char const flag : arg.substr(1)) {
            if (flag == 'f') {
                options.force = true;
            } else if (flag == 'p') {
                options.parsable = true;
            } else if (flag == 'u') {
                options.force = true;
                options.update_only = true;
            } else {
                if (flag != 'n' && flag != '?') {
                    (void)std::fprintf(stderr, "%s: illegal option -- %c\n", program, flag);
                }
                return usage(program);
            }
        }
    }
    if (::geteuid() != 0) {
        (void)std::puts("This program can only be run as root.");
        return 1;
    }

    auto texts = vm::load_sysinfo(Paths::from_environment(), vm::SysinfoSources {},
        options.force ? vm::SysinfoRefresh::Always : vm::SysinfoRefresh::IfStale);
    if (!texts) {
        (void)std::fprintf(stderr, "sysinfo: %s\n", texts.error().message().c_str());
        return 1;
    }
    if (texts->cache_error) {
        (void)std::fprintf(stderr, "sysinfo: cannot update the cache: %s\n",
            texts->cache_error->message().c_str());
        if (options.update_only) {
            return 1;
        }
    }
    if (options.update_only) {
        return 0;
    }
    return write_out(options.parsable ? texts->parsable : texts->json) ? 0 : 1;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        return run(argc, argv);
    } catch (std::exception const& e) {
        (void)std::fprintf(stderr, "sysinfo: %s\n", e.what());
        return 1;
    }
}
