// SPDX-License-Identifier: MPL-2.0
// imgadm: builds the pool registry, image store and source config for LUMOS_ROOT, then hands
// the command line to run().
#include "base/paths.hpp"
#include "cmd/imgadm/cli.hpp"
#include "image/image_store.hpp"
#include "image/sources.hpp"
#include "pools/pool.hpp"

#include <csignal>
#include <exception>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv)
{
    // A closed stdout ends imgadm with an error, not a signal (and pipes inside import report
    // EPIPE).
    (void)std::signal(SIGPIPE, SIG_IGN);
    try {
        // imgadm's environment check (src/img/sbin/imgadm): exit 2 before anything else.
        if (::geteuid() != 0) {
            std::cerr << "imgadm: error: cannot run: must be run as root\n";
            return 2;
        }
        lumos::imgadm::Args args(argv, argv + argc);
        lumos::Paths paths = lumos::Paths::from_environment();
        lumos::pools::PoolRegistry pools(paths);
        lumos::image::ImageStore store(paths, pools);
        lumos::image::SourceConfig sources(paths);
        lumos::imgadm::Context context { paths, pools, store, sources };
        lumos::imgadm::Io io { std::cin, std::cout, std::cerr, ::isatty(0) == 1 };
        int status = lumos::imgadm::run(args, io, context);
        std::cout.flush();
        return status;
    } catch (std::exception const& error) {
        std::cerr << "imgadm: error (InternalError): " << error.what() << "\n";
        return 1;
    }
}
