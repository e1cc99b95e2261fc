// SPDX-License-Identifier: MPL-2.0
// SmartOS's guest tools mdata-get, mdata-put, mdata-list and mdata-delete (reference 5.8;
// mdata-client's mdata_*.c): each program's main calls one of these with its arguments (those
// after the program name), a client and its streams, and returns its exit status. Standard
// library, POSIX and lumos_metadata only: the programs are static and run in guests.
#pragma once

#include "metadata/client.hpp"

#include <cstdio>
#include <span>
#include <string>

namespace lumos::mdata {

// The exit statuses of all four tools (10, "try again", is upstream's too, and unused there).
inline constexpr int EXIT_OK = 0;
inline constexpr int EXIT_NOT_FOUND = 1;
inline constexpr int EXIT_ERROR = 2;
inline constexpr int EXIT_USAGE = 3;

struct Streams {
    std::FILE* in = stdin; // mdata-put's value when it has no second argument
    std::FILE* out = stdout;
    std::FILE* err = stderr;
};

// `mdata-get <keyname>`: the value on stdout, a newline added when it does not end with one.
int mdata_get(std::span<std::string const> args, metadata::Client& client, Streams const& io);
// `mdata-put <keyname> [ <value> ]`: the value from the second argument, else all of stdin
// (refused when stdin is a terminal). V2 hosts only.
int mdata_put(std::span<std::string const> args, metadata::Client& client, Streams const& io);
// `mdata-list`: the keys, one a line. Arguments are ignored, as upstream ignores them.
int mdata_list(std::span<std::string const> args, metadata::Client& client, Streams const& io);
// `mdata-delete <keyname>`. V2 hosts only.
int mdata_delete(std::span<std::string const> args, metadata::Client& client, Streams const& io);

// A program's main: its arguments after argv[0], a client for the guest's socket, the process's
// streams, and a last resort for an exception (none is expected: a failed allocation).
int run_main(int argc, char** argv,
    int (*tool)(std::span<std::string const>, metadata::Client&, Streams const&));

} // namespace lumos::mdata
