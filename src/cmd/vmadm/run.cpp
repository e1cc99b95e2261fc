// SPDX-License-Identifier: MPL-2.0
#include "base/strings.hpp"
#include "base/uuid.hpp"
#include "cmd/vmadm/cli.hpp"

#include <algorithm>
#include <istream>
#include <iterator>
#include <ostream>
#include <set>
#include <sstream>

namespace lumos::vmadm {

namespace {

constexpr std::string_view COMMANDS[] = { "boot", "console", "create", "create-snapshot", "delete",
    "delete-snapshot", "destroy", "events", "get", "halt", "help", "info", "install", "json",
    "kill", "list", "lookup", "reboot", "receive", "recv", "reprovision", "rollback-snapshot",
    "send", "start", "stop", "sysrq", "update", "validate" };

struct OptionSpec {
    char short_name;
    std::string_view long_name;
    bool takes_value;
    std::string_view value_when_set; // for flags
};

std::vector<OptionSpec> options_for(std::string const& command)
{
    std::vector<OptionSpec> specs { { 'v', "verbose", false, "true" },
        { 'd', "debug", false, "true" } };
    auto add = [&](std::initializer_list<OptionSpec> more) {
        specs.insert(specs.end(), more.begin(), more.end());
    };
    if (command == "events") {
        add({ { 'f', "full", false, "true" }, { 'j', "json", false, "true" },
            { 'r', "ready", false, "true" } });
    } else if (command == "lookup") {
        add({ { 'j', "json", false, "true" }, { 'o', "output", true, "" },
            { '1', "unique", false, "true" } });
    } else if (command == "kill") {
        add({ { 's', "signal", true, "" } });
    } else if (command == "create" || command == "receive" || command == "recv"
        || command == "reprovision" || command == "update" || command == "validate") {
        add({ { 'f', "file", true, "" } });
    } else if (command == "list") {
        add({ { 'o', "order", true, "" }, { 's', "sortby", true, "" },
            { 'p', "parsable", false, "true" }, { 'h', "header", false, "true" },
            { 'H', "header", false, "false" } });
    } else if (command == "halt" || command == "reboot" || command == "stop") {
        add({ { 't', "timeout", true, "" }, { 'F', "force", false, "true" } });
    }
    return specs;
}

Args parse_arguments(std::vector<std::string> const& argv)
{
    Args args;
    args.command = argv.at(1);
    auto const specs = options_for(args.command);
    auto find_long = [&](std::string_view name) -> OptionSpec const* {
        for (auto const& spec : specs) {
            if (spec.long_name == name) {
                return &spec;
            }
        }
        return nullptr;
    };
    auto find_short = [&](char name) -> OptionSpec const* {
        for (auto const& spec : specs) {
            if (spec.short_name == name) {
                return &spec;
            }
        }
        return nullptr;
    };
    for (size_t i = 2; i < argv.size(); ++i) {
        std::string const& arg = argv[i];
        if (arg == "--") {
            args.remain.insert(
                args.remain.end(), argv.begin() + static_cast<long>(i) + 1, argv.end());
            break;
        }
        if (arg.starts_with("--") && arg.size() > 2) {
            std::string name = arg.substr(2);
            std::string value;
            bool has_value = false;
            if (auto const equals = name.find('='); equals != std::string::npos) {
                value = name.substr(equals + 1);
                name = name.substr(0, equals);
                has_value = true;
            }
            OptionSpec const* spec = find_long(name);
            if (spec != nullptr && spec->takes_value && !has_value && i + 1 < argv.size()) {
                value = argv[++i];
            } else if (!has_value && (spec == nullptr || !spec->takes_value)) {
                value = "true";
            }
            args.options[name] = value;
            continue;
        }
        // "-SIG" for kill, and negative-looking values are not options to vmadm.
        if (arg.size() > 1 && arg[0] == '-' && args.command != "kill") {
            for (size_t k = 1; k < arg.size(); ++k) {
                OptionSpec const* spec = find_short(arg[k]);
                if (spec == nullptr) {
                    continue; // nopt keeps unknown flags out of the positional arguments
                }
                if (spec->takes_value) {
                    std::string value = arg.substr(k + 1);
                    if (value.empty() && i + 1 < argv.size()) {
                        value = argv[++i];
                    }
                    args.options[std::string(spec->long_name)] = value;
                    break;
                }
                args.options[std::string(spec->long_name)] = std::string(spec->value_when_set);
            }
            continue;
        }
        if (args.command == "kill" && arg == "-s" && i + 1 < argv.size()) {
            args.options["signal"] = argv[++i];
            continue;
        }
        args.remain.push_back(arg);
    }
    return args;
}

using Handler = Outcome (*)(Context&, Args const&);

// Every command of COMMANDS but help; the rest are not supported yet.
Handler handler_for(std::string const& command)
{
    static constexpr std::pair<std::string_view, Handler> HANDLERS[] = { { "create", cmd_create },
        { "get", cmd_get }, { "json", cmd_get }, { "list", cmd_list }, { "lookup", cmd_lookup },
        { "update", cmd_update }, { "delete", cmd_delete }, { "destroy", cmd_delete },
        { "validate", cmd_validate }, { "start", cmd_start }, { "boot", cmd_start },
        { "stop", cmd_stop }, { "halt", cmd_stop }, { "reboot", cmd_reboot }, { "kill", cmd_kill },
        { "console", cmd_console }, { "info", cmd_info }, { "sysrq", cmd_sysrq } };
    for (auto const& [name, handler] : HANDLERS) {
        if (name == command) {
            return handler;
        }
    }
    return cmd_unsupported;
}

} // namespace

void print_usage(std::ostream& stream)
{
    stream << "Usage: /usr/sbin/vmadm <command> [options]\n"
              "\n"
              "create [-f <filename>]\n"
              "create-snapshot <uuid> <snapname>\n"
              "console <uuid>\n"
              "delete <uuid>\n"
              "delete-snapshot <uuid> <snapname>\n"
              "events [-fjr] [uuid]\n"
              "get <uuid>\n"
              "info <uuid> [type,...]\n"
              "install <uuid>\n"
              "kill [-s SIGNAL|-SIGNAL] <uuid>\n"
              "list [-p] [-H] [-o field,...] [-s field,...] [field=value ...]\n"
              "lookup [-j|-1] [-o field,...] [field=value ...]\n"
              "reboot <uuid> [-F]\n"
              "receive [-f <filename>]\n"
              "reprovision <uuid> [-f <filename>]\n"
              "rollback-snapshot <uuid> <snapname>\n"
              "send <uuid> [target]\n"
              "start <uuid> [option=value ...]\n"
              "stop <uuid> [-F] [-t timeout]\n"
              "sysrq <uuid> <nmi|screenshot>\n"
              "update <uuid> [-f <filename>]\n"
              " -or- update <uuid> property=value [property=value ...]\n"
              "validate create [-f <filename>]\n"
              "validate update <brand> [-f <filename>]\n"
              "\n"
              "For more detailed information on the use of this command,type 'man vmadm'.\n";
}

Result<std::string> uuid_argument(Args& args)
{
    if (!args.remain.empty()) {
        std::string uuid = args.remain.front();
        args.remain.erase(args.remain.begin());
        if (has_uuid_shape(uuid)) {
            return uuid;
        }
    }
    return make_error(ErrorCode::Usage, "Invalid or missing UUID for " + args.command);
}

Result<Json> read_payload(Context& context, std::string const& filename)
{
    std::string text;
    auto const too_large = [] {
        return make_error(ErrorCode::InvalidArgument,
            "Invalid JSON payload: payload is larger than " + std::to_string(MAX_PAYLOAD_BYTES)
                + " bytes");
    };
    if (filename == "-") {
        char buffer[65536];
        while (context.io.in.read(buffer, sizeof(buffer)) || context.io.in.gcount() > 0) {
            auto const count = static_cast<size_t>(context.io.in.gcount());
            if (count > MAX_PAYLOAD_BYTES - text.size()) {
                return too_large();
            }
            text.append(buffer, count);
        }
    } else {
        auto content = read_file_bounded(filename, MAX_PAYLOAD_BYTES);
        if (!content) {
            if (content.error().code() == ErrorCode::NotFound) {
                return make_error(ErrorCode::NotFound, "File: " + filename + " does not exist.");
            }
            if (content.error().code() == ErrorCode::InvalidArgument
                && content.error().message().starts_with("larger than")) {
                return too_large();
            }
            return make_error(content.error().code(),
                "Error reading: " + filename + " " + content.error().message());
        }
        text = std::move(*content);
    }
    auto payload = parse_json(text);
    if (!payload) {
        return make_error(
            ErrorCode::InvalidArgument, "Invalid JSON payload: " + payload.error().message());
    }
    return payload;
}

std::string payload_file(Args const& args)
{
    return args.has("file") && args.get("file") != "-" && !args.get("file").empty()
        ? args.get("file")
        : "-";
}

Outcome failure(std::string message)
{
    return Outcome { 1, std::move(message) };
}

Outcome success(std::string message)
{
    return Outcome { 0, std::move(message) };
}

Outcome usage_error(std::string message)
{
    return Outcome { 2, std::move(message), Report::MessageAndUsage };
}

int run(std::vector<std::string> const& argv, Io& io, vm::Engine& engine)
{
    if (argv.size() < 2) {
        print_usage(io.err);
        return 2;
    }
    std::string const& command = argv[1];
    if (command == "-h" || command == "-?") {
        print_usage(io.out);
        return 0;
    }
    if (std::find(std::begin(COMMANDS), std::end(COMMANDS), command) == std::end(COMMANDS)) {
        io.err << "Invalid command: \"" << command << "\".\n";
        print_usage(io.err);
        return 2;
    }
    if (command == "help") {
        print_usage(io.out);
        return 0;
    }
    Args const args = parse_arguments(argv);
    Context context { io, engine };
    Outcome const outcome = handler_for(command)(context, args);
    if (!outcome.message.empty()) {
        io.err << outcome.message << "\n";
    }
    if (outcome.report == Report::MessageAndUsage) {
        print_usage(io.err);
    }
    return outcome.status;
}

} // namespace lumos::vmadm
