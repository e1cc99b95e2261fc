// SPDX-License-Identifier: MPL-2.0
// nictagadm's command line, read as the script's bash getopts reads it: general options
// ("vh?") before the subcommand, then the subcommand's own options, then its operands.
#include "base/strings.hpp"
#include "cmd/nictagadm/cli.hpp"

#include <functional>
#include <optional>
#include <ostream>

namespace lumos::nictagadm {

namespace {

// What a getopts loop does with one option: nullopt to go on, or the status to exit with.
using OnOption = std::function<std::optional<int>(char letter, std::string const& argument)>;

struct Parsed {
    size_t next { 0 }; // the first operand
    std::optional<int> exit; // the loop ended the program (usage, -h, a bad property)
};

// bash's getopts over args[start..] with spec (a letter followed by ':' takes an argument): an
// argument that does not start with '-', "-" alone, or "--" (consumed) ends the options. An
// unknown letter or a missing argument prints bash's diagnostic on stderr and is passed on as
// '?', as getopts does in its non-silent mode.
Parsed getopts(std::vector<std::string> const& args, size_t start, std::string_view spec, Io& io,
    std::string const& shell_name, OnOption const& on_option)
{
    size_t index = start;
    while (index < args.size()) {
        std::string const& arg = args[index];
        if (arg == "--") {
            return { index + 1, std::nullopt };
        }
        if (arg.size() < 2 || arg.front() != '-') {
            break;
        }
        ++index;
        for (size_t at = 1; at < arg.size(); ++at) {
            char const letter = arg[at];
            size_t const found = letter == ':' ? std::string_view::npos : spec.find(letter);
            std::optional<int> exit;
            if (found == std::string_view::npos) {
                io.err << shell_name << ": illegal option -- " << letter << "\n";
                exit = on_option('?', {});
            } else if (found + 1 < spec.size() && spec[found + 1] == ':') {
                std::string argument = arg.substr(at + 1);
                if (argument.empty() && index < args.size()) {
                    argument = args[index++];
                } else if (argument.empty()) {
                    io.err << shell_name << ": option requires an argument -- " << letter << "\n";
                    exit = on_option('?', {});
                    return { index, exit };
                }
                exit = on_option(letter, argument);
                at = arg.size();
            } else {
                exit = on_option(letter, {});
            }
            if (exit) {
                return { index, exit };
            }
        }
    }
    return { index, std::nullopt };
}

// parse_props: "-p a=b,c=d"; each part needs a key and a value (the value is everything after
// the first '=').
std::optional<int> parse_props(Context& context, Options& options, std::string const& text)
{
    // As bash's `IFS=, read -ra`: no parts in "", and a trailing ',' ends the list.
    auto parts = split(text, ',');
    if (!parts.empty() && parts.back().empty()) {
        parts.pop_back();
    }
    for (auto const& prop : parts) {
        size_t const equals = prop.find('=');
        std::string const key = prop.substr(0, equals);
        std::string const value = equals == std::string::npos ? "" : prop.substr(equals + 1);
        if (key.empty() || value.empty()) {
            return fatal(context, "invalid property: " + prop);
        }
        options.props[key] = value;
    }
    return std::nullopt;
}

// The subcommand's options; nullopt for a subcommand that takes none (its operands start
// right after it, "-x" included).
std::optional<std::string_view> spec_of(std::string const& command)
{
    if (command == "add" || command == "update") {
        return "lp:";
    }
    if (command == "delete") {
        return "f";
    }
    if (command == "list") {
        return "lLpd:";
    }
    if (command == "exists") {
        return "l";
    }
    return std::nullopt;
}

} // namespace

int fatal(Context& context, std::string const& message)
{
    context.io.err << "Error: " << message << "\n";
    return 1;
}

int usage(Context& context, int code, std::string const& message)
{
    if (!message.empty()) {
        context.io.out << message << "\n";
    }
    std::string const& me = context.options.program;
    context.io.err << "Manage nic tags\n"
                      "\n"
                      "Usage:\n"
                      "        "
                   << me
                   << " [OPTIONS] <subcommand> <args...> ...\n"
                      "\n"
                      "General Options:\n"
                      "        -v\n"
                      "            Verbose output\n"
                      "\n"
                      "        -h\n"
                      "            Print help and exit\n"
                      "\n"
                      "        -?\n"
                      "            Print help and exit\n"
                      "\n"
                      "Subcommands:\n"
                      "        add             [-l] [-p prop=value,...] <name> [mac]\n"
                      "        delete          [-f] <name>\n"
                      "        exists          [-l] <name>\n"
                      "        list            [-l | -L] [-p] [-d delim]\n"
                      "        update          [-l] [-p prop=value,...] <name> [mac]\n"
                      "        vms             <name>\n"
                      "\n"
                      "See nictagadm(8) for more information\n";
    return code;
}

void verbose(Context& context, std::string const& message)
{
    if (context.options.verbose) {
        context.io.err << "+ " << message << "\n";
    }
}

std::string operand(Options const& options, size_t index)
{
    return index < options.operands.size() ? options.operands[index] : std::string();
}

int run(std::vector<std::string> const& argv, Io& io, Host const& host)
{
    Options options;
    std::string const shell_name = argv.empty() ? "nictagadm" : argv.front();
    options.program = shell_name.substr(shell_name.rfind('/') + 1);
    Context context { io, host, options };

    Parsed general = getopts(
        argv, 1, "vh?", io, shell_name, [&](char letter, std::string const&) -> std::optional<int> {
            if (letter == 'v') {
                options.verbose = true;
                return std::nullopt;
            }
            return usage(context, letter == 'h' ? 0 : 2);
        });
    if (general.exit) {
        return *general.exit;
    }
    std::string const command = general.next < argv.size() ? argv[general.next] : "";
    size_t next = general.next + 1;
    if (auto const spec = spec_of(command)) {
        Parsed own = getopts(argv, next, *spec, io, shell_name,
            [&](char letter, std::string const& argument) -> std::optional<int> {
                switch (letter) {
                case 'l':
                    (command == "exists" ? options.names_only : options.local) = true;
                    return std::nullopt;
                case 'L':
                    options.no_list_stubs = true;
                    return std::nullopt;
                case 'p':
                    if (command == "list") {
                        options.parsable = true;
                        return std::nullopt;
                    }
                    return parse_props(context, options, argument);
                case 'd':
                    options.delim = argument;
                    options.delim_given = true;
                    return std::nullopt;
                case 'f':
                    options.force = true;
                    return std::nullopt;
                default:
                    // Non-silent getopts leaves OPTARG unset: the message ends after ": ".
                    return usage(context, 2, "invalid option: ");
                }
            });
        if (own.exit) {
            return *own.exit;
        }
        next = own.next;
    }
    options.operands.assign(
        argv.begin() + static_cast<std::ptrdiff_t>(std::min(next, argv.size())), argv.end());
    verbose(context, "Using config file: " + host.paths.etc_dir() + "/config");

    if (options.local && options.no_list_stubs) {
        return fatal(context, "Cannot specify both local and non-local options");
    }
    if (options.delim_given && !options.parsable) {
        return fatal(context, "Delimiter option requires parsable option to be set");
    }
    if (command.empty()) {
        return usage(context, 2, "no subcommand given");
    }
    static std::map<std::string, int (*)(Context&)> const COMMANDS { { "add", cmd_add },
        { "delete", cmd_delete }, { "exists", cmd_exists }, { "list", cmd_list },
        { "update", cmd_update }, { "vms", cmd_vms } };
    if (command == "help") {
        return usage(context, 0);
    }
    auto const found = COMMANDS.find(command);
    if (found == COMMANDS.end()) {
        return fatal(context, "unknown command " + command);
    }
    return found->second(context);
}

} // namespace lumos::nictagadm
