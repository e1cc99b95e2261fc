// SPDX-License-Identifier: MPL-2.0
// imgadm's process-level rules (reference section 4.1): global options, help, dispatch to the
// subcommand handlers, and the error line "imgadm <subcmd>: error (<Code>): <message>" (with -E,
// a last stderr line that is a Bunyan record carrying err.code).
#include "base/json.hpp"
#include "base/time.hpp"
#include "cmd/imgadm/cli.hpp"

#include <array>
#include <exception>
#include <ostream>
#include <string_view>

#include <unistd.h>

#ifndef LUMOS_VERSION
#    define LUMOS_VERSION "3.9.5"
#endif

namespace lumos::imgadm {

namespace {

using Handler = image::ImgResult<int> (*)(Args const&, Io&, Context&);

struct Command {
    std::string_view name;
    std::string_view alias; // "" when none
    Handler handler;
    std::string_view usage;
};

// The command summary of imgadm's help, in its order.
constexpr std::string_view HELP_TEXT = R"(Manage SmartOS virtual machine images.

Usage:
    imgadm [<options>] <command> [<args>...]
    imgadm help <command>

Options:
    -h, --help          Show this help message and exit.
    --version           Show version and exit.
    -v, --verbose       Verbose logging. Multiple times for more.
    -E                  On error, emit a structured error (Bunyan log record) as the last
                        line of stderr.

Environment:
    IMGADM_LOG_LEVEL    Bunyan log level (trace, debug, info, warn, error, fatal).
    IMGADM_INSECURE=1   Allow unverified TLS certificates of image sources.
    LUMOS_ROOT          Prefix of every path lumos reads and writes (default /).

Commands:
    imgadm help [<command>]                help on commands

    imgadm sources [<options>]             list and edit image sources

    imgadm avail [<filters>]               list available images
    imgadm show <uuid>                     show manifest of an available image

    imgadm import [-P <pool>] <uuid>       import image from a source
    imgadm install [-P <pool>] -m <manifest> -f <file>
                                           import from local image data

    imgadm list [<filters>]                list installed images
    imgadm get [-P <pool>] <uuid>          info on an installed image
    imgadm update [<uuid>...]              update installed images
    imgadm delete [-P <pool>] <uuid>       remove an installed image
    imgadm ancestry [-P <pool>] <uuid>     show ancestry of an installed image
    imgadm vacuum [-n] [-f]                delete unused images

See `imgadm help <command>` or the imgadm(8) man page for more details.
)";

std::array<Command, 12> const COMMANDS { {
    { "sources", "", cmd_sources,
        "Usage:\n    imgadm sources [<options>...]\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -v, --verbose      Verbose output. List source URL and TYPE.\n"
        "    -j, --json         List sources as JSON.\n"
        "    -a SOURCE          Add a source. It is appended to the list of sources.\n"
        "    -t TYPE            The source type for an added source: imgapi (default),\n"
        "                       docker or dsapi.\n"
        "    -k, --insecure     Allow insecure (no server certificate checking) access\n"
        "                       to the added HTTPS source URL.\n"
        "    -f, --force        Skip the \"ping check\" of an added source.\n"
        "    -d SOURCE          Delete a source.\n"
        "    -e                 Edit sources in an editor.\n"
        "    -c, --check        Ping check all sources.\n" },
    { "avail", "available", cmd_avail,
        "Usage:\n    imgadm avail [<options>...] [<filters>]\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -j, --json         JSON output\n"
        "    -H                 Do not print table header row\n"
        "    -o FIELD,...       Specify fields (columns) to output. Default is\n"
        "                       \"uuid,name,version,os,type,pub\".\n"
        "    -s FIELD,...       Sort on the given fields. Default is\n"
        "                       \"published_at,name\".\n" },
    { "show", "", cmd_show, "Usage:\n    imgadm show <uuid>\n" },
    { "import", "", cmd_import,
        "Usage:\n    imgadm import [<options>] <uuid>\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -q, --quiet        Disable progress bar.\n"
        "    -P <pool>          Name of zpool in which to look for the image.\n"
        "                       Default is \"zones\".\n"
        "    -S <url>           Specify the URL from which to import the image.\n"
        "    -C <channel>       The IMGAPI channel to use.\n"
        "    --zstream          The source is a raw ZFS dataset stream.\n" },
    { "install", "", cmd_install,
        "Usage:\n    imgadm install [<options>] -m <manifest> -f <file>\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -m <manifest>      Required. Path to the image manifest file to import.\n"
        "    -f <file>          Required. Path to the image file to import.\n"
        "    -P <pool>          Name of zpool in which to import the image.\n"
        "                       Default is \"zones\".\n"
        "    -q, --quiet        Disable progress bar.\n" },
    { "list", "", cmd_list,
        "Usage:\n    imgadm list [<options>...] [<filters>]\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -j, --json         JSON output\n"
        "    -H                 Do not print table header row\n"
        "    -o FIELD,...       Specify fields (columns) to output. Default is\n"
        "                       \"uuid,name,version,os,type,pub\".\n"
        "    -s FIELD,...       Sort on the given fields. Default is\n"
        "                       \"published_at,name\".\n"
        "    --docker           Limit and format list similar to `docker images`.\n" },
    { "get", "info", cmd_get,
        "Usage:\n    imgadm get [<options>] <uuid>\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -r                 Recursively gather children (child snapshots and\n"
        "                       dependent clones).\n"
        "    -P <pool>          Name of zpool in which to look for the image.\n"
        "                       Default is \"zones\".\n" },
    { "update", "", cmd_update,
        "Usage:\n    imgadm update [<options>] [<uuid>...]\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -n, --dry-run      Do a dry-run (do not actually make changes).\n" },
    { "delete", "destroy", cmd_delete,
        "Usage:\n    imgadm delete [<options>] <uuid>\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -P <pool>          Name of zpool from which to delete the image.\n"
        "                       Default is \"zones\".\n" },
    { "ancestry", "", cmd_ancestry,
        "Usage:\n    imgadm ancestry [<options>...] <uuid>\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -j, --json         JSON output\n"
        "    -H                 Do not print table header row\n"
        "    -o FIELD,...       Specify fields (columns) to output. Default is\n"
        "                       \"uuid,name,version,published\".\n"
        "    -P <pool>          Name of zpool in which to look for the image.\n"
        "                       Default is \"zones\".\n" },
    { "vacuum", "", cmd_vacuum,
        "Usage:\n    imgadm vacuum [<options>]\n\nOptions:\n"
        "    -h, --help         Print this help and exit.\n"
        "    -n, --dry-run      Do a dry-run (do not actually make changes).\n"
        "    -f, --force        Force deletion without prompting for confirmation.\n" },
    { "help", "?", nullptr, "Usage:\n    imgadm help [<command>]\n" },
} };

Command const* find_command(std::string_view name)
{
    for (Command const& command : COMMANDS) {
        if (command.name == name || (!command.alias.empty() && command.alias == name)) {
            return &command;
        }
    }
    return nullptr;
}

// errors.js names each error class "<Code>Error" (UsageError, ImageNotInstalledError, ...).
std::string error_class_name(std::string const& code)
{
    if (code.size() >= 5 && code.compare(code.size() - 5, 5, "Error") == 0) {
        return code;
    }
    return code + "Error";
}

std::string hostname()
{
    std::array<char, 256> buffer {};
    if (::gethostname(buffer.data(), buffer.size() - 1) != 0) {
        return "localhost";
    }
    return std::string(buffer.data());
}

// Bunyan's record for `log.error(err, msg)`: level 50, err serialized by bunyan.stdSerializers.
void print_structured_error(image::ImgError const& error, std::string const& msg, Io& io)
{
    Json record = Json::object();
    record["name"] = "imgadm";
    record["hostname"] = hostname();
    record["pid"] = ::getpid();
    record["level"] = 50;
    record["err"]
        = Json { { "message", error.message }, { "name", error_class_name(error.code_name()) },
              { "stack", error_class_name(error.code_name()) + ": " + error.message },
              { "code", error.code_name() }, { "exitStatus", error.exit_status } };
    record["msg"] = msg;
    record["time"] = iso_timestamp(now_ms());
    record["v"] = 0;
    io.err << dump_compact(record) << "\n";
}

// Prints an error the way imgadm's main does and returns its exit status.
int report_error(image::ImgError const& error, std::string const& subcmd, bool structured, Io& io)
{
    if (error.code != image::ImgCode::NoCommand) {
        io.err << "imgadm" << (subcmd.empty() ? "" : " " + subcmd) << ": error"
               << (error.code_name().empty() ? "" : " (" + error.code_name() + ")") << ": "
               << error.message << "\n";
    }
    if (structured) {
        print_structured_error(error,
            subcmd.empty() ? std::string("imgadm error") : "error with \"" + subcmd + "\" subcmd",
            io);
    }
    return error.exit_status;
}

image::ImgResult<int> do_help(Args const& args, Io& io)
{
    if (args.empty()) {
        io.out << HELP_TEXT;
        return 0;
    }
    Command const* command = find_command(args[0]);
    if (command == nullptr) {
        return image::img_error(
            image::ImgCode::UnknownCommand, "unknown command: \"" + args[0] + "\"");
    }
    io.out << command->usage;
    return 0;
}

bool is_help_flag(std::string const& arg)
{
    return arg == "-h" || arg == "--help";
}

} // namespace

int run(Args const& argv, Io& io, Context& context)
{
    bool structured = false;
    bool help = false;
    bool version = false;
    size_t index = argv.empty() ? 0 : 1;
    // Global options come before the subcommand (nopt also takes them after it; the handlers
    // accept -h/--help themselves and run() handles -v/-E anywhere before a "--").
    for (; index < argv.size(); ++index) {
        std::string const& arg = argv[index];
        if (arg == "--") {
            ++index;
            break;
        }
        if (arg.empty() || arg[0] != '-' || arg == "-") {
            break;
        }
        if (arg == "-h" || arg == "--help") {
            help = true;
        } else if (arg == "--version") {
            version = true;
        } else if (arg == "--verbose") {
            context.verbose = true;
        } else if (arg == "-E") {
            structured = true;
        } else if (arg.size() > 1 && arg[1] != '-'
            && arg.find_first_not_of("vhE", 1) == std::string::npos) {
            // Bundled short flags: -vv, -vE, ...
            for (char flag : arg.substr(1)) {
                if (flag == 'v') {
                    context.verbose = true;
                } else if (flag == 'h') {
                    help = true;
                } else {
                    structured = true;
                }
            }
        } else {
            return report_error(image::ImgError { image::ImgCode::UnknownOption,
                                    "unknown option: \"" + arg + "\"", 1 },
                "", structured, io);
        }
    }
    Args rest(argv.begin() + static_cast<std::ptrdiff_t>(index), argv.end());

    if (version) {
        io.out << "imgadm " << LUMOS_VERSION << "\n";
        return 0;
    }
    if (rest.empty()) {
        io.out << HELP_TEXT;
        if (help) {
            return 0;
        }
        return report_error(image::ImgError { image::ImgCode::NoCommand, "no command given", 1 },
            "", structured, io);
    }

    std::string const subcmd = rest[0];
    Args args(rest.begin() + 1, rest.end());
    try {
        image::ImgResult<int> result = 0;
        Command const* command = find_command(subcmd);
        if (command == nullptr) {
            result = image::img_error(
                image::ImgCode::UnknownCommand, "unknown command: \"" + subcmd + "\"");
        } else if (command->handler == nullptr) {
            result = do_help(args, io);
        } else if (help || (!args.empty() && is_help_flag(args[0]))) {
            // `imgadm -h list` and `imgadm list -h` are `imgadm help list`.
            result = do_help(Args { subcmd }, io);
        } else {
            bool wants_help = false;
            for (std::string const& arg : args) {
                if (arg == "--") {
                    break;
                }
                wants_help = wants_help || is_help_flag(arg);
            }
            result
                = wants_help ? do_help(Args { subcmd }, io) : command->handler(args, io, context);
        }
        if (!result) {
            return report_error(result.error(), subcmd, structured, io);
        }
        return *result;
    } catch (std::exception const& error) {
        return report_error(image::ImgError { image::ImgCode::InternalError, error.what(), 1 },
            subcmd, structured, io);
    }
}

} // namespace lumos::imgadm
