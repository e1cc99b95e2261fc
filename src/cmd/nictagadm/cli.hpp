// SPDX-License-Identifier: MPL-2.0
// nictagadm: SmartOS's nic tag tool (smartos-live src/nictagadm, nictagadm(8)) over the host
// config $LUMOS_ROOT/etc/lumos/config. The program's logic, for main.cpp and the in-process tests.
#pragma once

#include "base/paths.hpp"
#include "base/result.hpp"

#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace lumos::vm {
class Engine;
}

namespace lumos::nictagadm {

struct Io {
    std::ostream& out;
    std::ostream& err;
};

// The uuids of the VMs with a NIC on a tag, as `vmadm list -p -o uuid nics.*.nic_tag=<tag>`
// prints them.
using VmsUsing = std::function<Result<std::vector<std::string>>(std::string const& tag)>;

// What nictagadm reads besides the command line.
struct Host {
    Paths paths;
    std::string sys_root { "/sys" }; // the links (sys/host_links); unit tests pass a fake tree
    VmsUsing vms_using; // vms and delete's in-use check; only called by those
};

// Runs argv (argv[0] is the program's name, as invoked) and returns the exit status:
// 0 success, 1 an error ("Error: <message>" on stderr), 2 a usage error.
int run(std::vector<std::string> const& argv, Io& io, Host const& host);

// The VmsUsing of a host: the VMs loaded with the keys vmadm list needs for it.
Result<std::vector<std::string>> vms_using_tag(vm::Engine const& engine, std::string const& tag);

// --- shared by the subcommands (run.cpp, list.cpp, change.cpp)

struct Options {
    std::string program; // basename of argv[0], for the usage text
    bool verbose { false };
    bool local { false }; // add/update/list -l
    bool no_list_stubs { false }; // list -L
    bool parsable { false }; // list -p
    bool delim_given { false };
    std::string delim { ":" }; // list -d
    bool force { false }; // delete -f
    bool names_only { false }; // exists -l
    std::map<std::string, std::string> props; // -p prop=value,...
    std::vector<std::string> operands;
};

struct Context {
    Io& io;
    Host const& host;
    Options const& options;
};

// "Error: <message>" on stderr, status 1 (SmartOS's fatal).
int fatal(Context& context, std::string const& message);
// The message (when not empty) on stdout, the usage text on stderr, status code.
int usage(Context& context, int code, std::string const& message = {});
// "+ <message>" on stderr with -v.
void verbose(Context& context, std::string const& message);
// The operand at index, "" when absent (as "$1" in the script).
std::string operand(Options const& options, size_t index);

int cmd_list(Context& context);
int cmd_exists(Context& context);
int cmd_vms(Context& context);
int cmd_add(Context& context);
int cmd_update(Context& context);
int cmd_delete(Context& context);

} // namespace lumos::nictagadm
