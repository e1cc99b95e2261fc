// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumosadm/pool_command.hpp"

#include "base/json.hpp"
#include "base/strings.hpp"
#include "pools/pool.hpp"
#include "pools/pool_setup.hpp"

#include <cmath>
#include <iomanip>
#include <optional>
#include <ostream>

namespace lumos::lumosadm {

namespace {

int usage_error(std::ostream& err, std::string const& message)
{
    err << "lumosadm: error: " << message << "\n";
    print_usage(err);
    return EXIT_USAGE;
}

int failure(std::ostream& err, Error const& error)
{
    err << "lumosadm: error: " << error.message() << "\n";
    return 1;
}

std::optional<uint64_t> parse_size(std::string text)
{
    if (text.ends_with("iB") || text.ends_with("ib")) {
        text.resize(text.size() - 2);
    } else if (text.size() > 1 && (text.back() == 'B' || text.back() == 'b')) {
        text.pop_back();
    }
    uint64_t shift = 0;
    if (!text.empty()) {
        switch (text.back()) {
        case 'K':
        case 'k':
            shift = 10;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        case 'T':
        case 't':
            shift = 40;
            break;
        default:
            break;
        }
        if (shift != 0) {
            text.pop_back();
        }
    }
    auto value = parse_integer(text);
    if (!value || *value <= 0 || static_cast<uint64_t>(*value) > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(*value) << shift;
}

std::string human(uint64_t bytes)
{
    static char const* const UNITS[] = { "B", "K", "M", "G", "T", "P" };
    auto value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(UNITS)) {
        value /= 1024;
        ++unit;
    }
    std::ostringstream text;
    if (unit == 0 || value >= 10) {
        text << std::llround(value) << UNITS[unit];
    } else {
        text << std::fixed << std::setprecision(1) << value << UNITS[unit];
    }
    return text.str();
}

int pool_create(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    pools::PoolRegistry::CreateRequest request;
    std::optional<std::string> name;
    std::optional<std::string> size;
    for (size_t i = 0; i < args.size(); ++i) {
        auto const& arg = args[i];
        auto value = [&](std::string& target) -> bool {
            if (i + 1 >= args.size()) {
                return false;
            }
            target = args[++i];
            return true;
        };
        std::string text;
        if (arg == "--backend" || arg == "-b") {
            if (!value(text)) {
                return usage_error(err, "--backend needs a value");
            }
            auto backend = pools::backend_from_name(text);
            if (!backend) {
                return usage_error(err, backend.error().message());
            }
            request.backend = *backend;
        } else if (arg == "--device" || arg == "-d") {
            if (!value(request.device)) {
                return usage_error(err, "--device needs a value");
            }
        } else if (arg == "--file" || arg == "-f") {
            if (!value(request.file)) {
                return usage_error(err, "--file needs a value");
            }
        } else if (arg == "--size" || arg == "-s") {
            if (!value(text)) {
                return usage_error(err, "--size needs a value");
            }
            size = text;
        } else if (arg == "--mountpoint" || arg == "-m") {
            if (!value(request.mountpoint)) {
                return usage_error(err, "--mountpoint needs a value");
            }
        } else if (arg == "--no-quotas") {
            request.quotas = false;
        } else if (arg.starts_with("-")) {
            return usage_error(err, "unknown option: " + arg);
        } else if (!name) {
            name = arg;
        } else {
            return usage_error(err, "unexpected argument: " + arg);
        }
    }
    if (!name) {
        return usage_error(err, "pool create needs a pool name");
    }
    request.name = *name;
    if (!request.file.empty() && !request.device.empty()) {
        return usage_error(err, "give either --device or --file, not both");
    }
    if (!request.file.empty()) {
        if (!size) {
            return usage_error(err, "--file needs --size (e.g. --size 20G)");
        }
        auto bytes = parse_size(*size);
        if (!bytes) {
            return usage_error(err, "invalid size: " + *size);
        }
        request.size_bytes = *bytes;
    } else if (size) {
        return usage_error(err, "--size is only for --file");
    }
    if (request.backend != pools::Backend::Btrfs
        && (!request.file.empty() || !request.device.empty())) {
        return usage_error(err, "--device and --file are for the btrfs backend");
    }
    if (!request.mountpoint.empty() && request.mountpoint.front() != '/') {
        return usage_error(err, "--mountpoint must be an absolute path");
    }
    pools::PoolRegistry registry(paths);
    auto made = registry.create(request);
    if (!made) {
        return failure(err, made.error());
    }
    out << "Created pool " << made->name << " (" << pools::backend_name(made->backend) << ") at "
        << made->mountpoint << (made->device.empty() ? "" : " on " + made->device) << "\n";
    return 0;
}

int pool_list(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    bool json = false;
    for (auto const& arg : args) {
        if (arg == "-j" || arg == "--json") {
            json = true;
        } else {
            return usage_error(err, "unexpected argument: " + arg);
        }
    }
    pools::PoolRegistry registry(paths);
    auto configs = registry.configs();
    if (!configs) {
        return failure(err, configs.error());
    }
    Json rows = Json::array();
    for (auto const& config : *configs) {
        bool needs_mount = config.backend == pools::Backend::Btrfs
            && (!config.file.empty() || !config.device.empty());
        std::optional<pools::PoolUsage> usage;
        if (!needs_mount || pools::is_mountpoint(config.mountpoint)) {
            auto measured = pools::pool_usage(config.mountpoint);
            if (measured) {
                usage = *measured;
            }
        }
        Json row = { { "name", config.name }, { "backend", pools::backend_name(config.backend) },
            { "mountpoint", config.mountpoint }, { "quotas", config.quotas } };
        if (!config.file.empty()) {
            // The loop device can change across reboots; show the one attached now.
            auto attached = pools::loop_devices_of(pools::system_command_runner(), config.file);
            if (!attached.empty()) {
                row["device"] = attached.front();
            }
        } else if (!config.device.empty()) {
            row["device"] = config.device;
        }
        if (!config.file.empty()) {
            row["file"] = config.file;
        }
        if (usage) {
            row["size"] = usage->size_bytes;
            row["used"] = usage->used_bytes;
            row["available"] = usage->available_bytes;
        }
        rows.push_back(row);
    }
    if (json) {
        out << dump_pretty(rows) << "\n";
        return 0;
    }
    out << std::left << std::setw(12) << "NAME"
        << "  " << std::setw(7) << "BACKEND"
        << "  " << std::setw(30) << "MOUNTPOINT"
        << "  " << std::setw(6) << "QUOTAS"
        << "  " << std::setw(6) << "SIZE"
        << "  "
        << "USED"
        << "\n";
    for (auto const& row : rows) {
        bool quotas = row["quotas"].get<bool>();
        std::string backend = row["backend"].get<std::string>();
        std::string quota_text = quotas ? "on" : (backend == "dir" ? "report" : "off");
        out << std::left << std::setw(12) << row["name"].get<std::string>() << "  " << std::setw(7)
            << backend << "  " << std::setw(30) << row["mountpoint"].get<std::string>() << "  "
            << std::setw(6) << quota_text << "  " << std::setw(6)
            << (row.contains("size") ? human(row["size"].get<uint64_t>()) : "-") << "  "
            << (row.contains("used") ? human(row["used"].get<uint64_t>()) : "-") << "\n";
    }
    return 0;
}

int pool_destroy(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    if (args.size() != 1 || args[0].starts_with("-")) {
        return usage_error(err, "pool destroy needs exactly one pool name");
    }
    pools::PoolRegistry registry(paths);
    auto done = registry.destroy(args[0]);
    if (!done) {
        return failure(err, done.error());
    }
    out << "Destroyed pool " << args[0] << "\n";
    return 0;
}

} // namespace

void print_usage(std::ostream& stream)
{
    stream << "Usage:\n"
              "  lumosadm pool create <name> [--backend btrfs|dir|zfs]\n"
              "                       [--device DEV | --file PATH --size SIZE]\n"
              "                       [--no-quotas] [--mountpoint DIR]\n"
              "  lumosadm pool list [-j]\n"
              "  lumosadm pool destroy <name>\n"
              "  lumosadm pool check [-n] [<name>]  remove what killed commands left (-n: list)\n"
              "  lumosadm autoboot        start every VM with autoboot (at host start)\n"
              "  lumosadm reindex         the VMs' MAC/IP index again from the records\n";
}

int run_pool(
    std::vector<std::string> const& args, Paths const& paths, std::ostream& out, std::ostream& err)
{
    if (args.empty()) {
        return usage_error(err, "pool needs a subcommand (create, list, destroy, check)");
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "create") {
        return pool_create(rest, paths, out, err);
    }
    if (args[0] == "list") {
        return pool_list(rest, paths, out, err);
    }
    if (args[0] == "destroy") {
        return pool_destroy(rest, paths, out, err);
    }
    if (args[0] == "check") {
        return run_pool_check(rest, paths, out, err);
    }
    return usage_error(err, "unknown pool subcommand: " + args[0]);
}

} // namespace lumos::lumosadm
