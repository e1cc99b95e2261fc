// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "vm/engine.hpp"

#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lumos::vmadm {

// Where a command reads and writes; tests pass string streams.
struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
    bool stdin_is_tty = false;
};

// The parsed command line, in the manner of node's nopt: options anywhere after the command,
// everything else in order in `remain`.
struct Args {
    std::string command;
    std::map<std::string, std::string> options; // long name -> value ("true" for flags)
    std::vector<std::string> remain;

    bool has(std::string const& name) const { return options.contains(name); }
    std::string get(std::string const& name) const
    {
        auto const it = options.find(name);
        return it == options.end() ? std::string() : it->second;
    }
};

struct Context {
    Io& io;
    vm::Engine& engine;
};

// What stderr gets besides the message: a usage error (exit 2) prints the usage text after it.
enum class Report { Message, MessageAndUsage };

// Outcome of a command: exit status, and the message printed on stderr (SmartOS prints its
// success messages there too).
struct Outcome {
    int status = 0;
    std::string message;
    Report report = Report::Message;
};

int run(std::vector<std::string> const& argv, Io& io, vm::Engine& engine);

void print_usage(std::ostream& stream);

// Subcommands, each in the file named after it (start, stop, reboot, kill and console in
// lifecycle.cpp; the ones not supported yet in unsupported.cpp).
Outcome cmd_create(Context& context, Args const& args);
Outcome cmd_get(Context& context, Args const& original);
Outcome cmd_list(Context& context, Args const& args);
Outcome cmd_lookup(Context& context, Args const& args);
Outcome cmd_update(Context& context, Args const& original);
Outcome cmd_delete(Context& context, Args const& original);
Outcome cmd_validate(Context& context, Args const& args);
Outcome cmd_start(Context& context, Args const& original);
Outcome cmd_stop(Context& context, Args const& original);
Outcome cmd_reboot(Context& context, Args const& original);
Outcome cmd_kill(Context& context, Args const& original);
Outcome cmd_console(Context& context, Args const& original);
Outcome cmd_info(Context& context, Args const& original);
Outcome cmd_sysrq(Context& context, Args const& original);
Outcome cmd_unsupported(Context& context, Args const& original);

// Shared helpers.
// The VM's uuid, taken off args.remain, like vmadm's getUUID (a Usage error when missing).
Result<std::string> uuid_argument(Args& args);
// The largest payload vmadm reads (create -f /dev/zero must not read until memory runs out).
// SmartOS bounds what a payload carries through zonecfg's attribute sizes and the metadata
// service; 8 MiB leaves room for large customer_metadata (user-scripts) beyond those.
constexpr size_t MAX_PAYLOAD_BYTES = size_t { 8 } << 20U;
// -f's file, or "-" (stdin) without one.
std::string payload_file(Args const& args);
// Reads a JSON payload from -f <file> or stdin ("-"), refusing one over MAX_PAYLOAD_BYTES.
Result<Json> read_payload(Context& context, std::string const& filename);
Outcome failure(std::string message);
Outcome success(std::string message = {});
// Message (may be empty) then the usage text on stderr, exit 2.
Outcome usage_error(std::string message);
// "a,b" -> {"a", "b"} (list -o/-s, lookup -o).
std::vector<std::string> comma_list(std::string const& text);
// The keys a listing must load (the store adds uuid, brand and the state attributes itself).
std::set<std::string> keys_for(std::vector<std::string> const& columns,
    std::vector<std::string> const& sort_keys, std::vector<props::Filter> const& filters);

} // namespace lumos::vmadm
