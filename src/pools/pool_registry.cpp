// SPDX-License-Identifier: MPL-2.0
// PoolRegistry: $LUMOS_ROOT/etc/lumos/pools.json, pool setup (mkfs, loop files, mounts) and
// re-attaching loop-backed pools after a reboot.
#include "base/file.hpp"
#include "base/json.hpp"
#include "base/rollback.hpp"
#include "base/strings.hpp"
#include "pools/backends.hpp"
#include "pools/pool_setup.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

namespace lumos::pools {

namespace {

namespace fs = std::filesystem;

constexpr long BTRFS_MAGIC = 0x9123683e;

std::string pools_file(Paths const& paths)
{
    return paths.etc_dir() + "/pools.json";
}

PoolConfig implicit_pool(Paths const& paths)
{
    PoolConfig config;
    config.name = "zones";
    config.backend = Backend::Dir;
    config.mountpoint = paths.pool_mountpoint("zones");
    config.quotas = false;
    return config;
}

Json config_to_json(PoolConfig const& config)
{
    Json json = { { "name", config.name }, { "backend", backend_name(config.backend) },
        { "mountpoint", config.mountpoint }, { "quotas", config.quotas } };
    if (!config.device.empty()) {
        json["device"] = config.device;
    }
    if (!config.file.empty()) {
        json["file"] = config.file;
    }
    return json;
}

Result<std::vector<PoolConfig>> read_configs(Paths const& paths, bool& implicit)
{
    implicit = false;
    auto text = read_file(pools_file(paths));
    if (!text) {
        if (text.error().errno_value() == ENOENT) {
            implicit = true;
            return std::vector<PoolConfig> { implicit_pool(paths) };
        }
        return tl::unexpected(std::move(text).error());
    }
    TRY_ASSIGN(json, parse_json(*text));
    std::vector<PoolConfig> configs;
    if (!json.contains("pools") || !json["pools"].is_array()) {
        return make_error(ErrorCode::InvalidArgument, pools_file(paths) + ": no \"pools\" array");
    }
    for (auto const& item : json["pools"]) {
        if (!item.is_object() || !item.contains("name") || !item["name"].is_string()) {
            return make_error(
                ErrorCode::InvalidArgument, pools_file(paths) + ": a pool without a name");
        }
        PoolConfig config;
        config.name = item["name"].get<std::string>();
        TRY_ASSIGN(backend, backend_from_name(item.value("backend", std::string("dir"))));
        config.backend = backend;
        config.mountpoint = item.value("mountpoint", paths.pool_mountpoint(config.name));
        config.device = item.value("device", std::string());
        config.file = item.value("file", std::string());
        config.quotas = item.value("quotas", config.backend != Backend::Dir);
        configs.push_back(config);
    }
    return configs;
}

Result<void> write_configs(Paths const& paths, std::vector<PoolConfig> const& configs)
{
    Json pools = Json::array();
    for (auto const& config : configs) {
        pools.push_back(config_to_json(config));
    }
    TRY(make_directories(paths.etc_dir()));
    return write_file_atomic(pools_file(paths), dump_pretty(Json { { "pools", pools } }) + "\n");
}

bool valid_pool_name(std::string const& name)
{
    if (name.empty() || name.size() > 64
        || std::isalpha(static_cast<unsigned char>(name[0])) == 0) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
}

std::string canonical(std::string const& path)
{
    std::error_code ec;
    auto resolved = fs::weakly_canonical(path, ec);
    return ec ? path : resolved.string();
}

// Unescapes the octal escapes (\040) of /proc/self/mountinfo.
std::string unescape_mountinfo(std::string const& text)
{
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 3 < text.size()) {
            auto digits = text.substr(i + 1, 3);
            if (digits.size() == 3 && std::all_of(digits.begin(), digits.end(), [](char c) {
                    return c >= '0' && c <= '7';
                })) {
                out += static_cast<char>(std::stoi(digits, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += text[i];
    }
    return out;
}

} // namespace

bool is_mountpoint(std::string const& path)
{
    auto target = canonical(path);
    std::ifstream mountinfo("/proc/self/mountinfo");
    std::string line;
    while (std::getline(mountinfo, line)) {
        std::istringstream words(line);
        std::string id;
        std::string parent;
        std::string device;
        std::string root;
        std::string mount_point;
        words >> id >> parent >> device >> root >> mount_point;
        if (unescape_mountinfo(mount_point) == target) {
            return true;
        }
    }
    return false;
}

std::vector<std::string> loop_devices_of(CommandRunner& runner, std::string const& file)
{
    std::vector<std::string> devices;
    auto output = runner.run({ "losetup", "-n", "-O", "NAME", "-j", file }, {});
    if (!output || output->status != 0) {
        return devices;
    }
    for (auto const& line : split(output->out, '\n')) {
        auto device = std::string(trim(line));
        if (!device.empty()) {
            devices.push_back(device);
        }
    }
    return devices;
}

Result<void> ensure_pool_mounted(CommandRunner& runner, PoolConfig const& config)
{
    if (config.backend != Backend::Btrfs || (config.file.empty() && config.device.empty())) {
        return {};
    }
    if (is_mountpoint(config.mountpoint)) {
        return {};
    }
    Rollback rollback;
    std::string device = config.device;
    if (!config.file.empty()) {
        auto attached = loop_devices_of(runner, config.file);
        if (attached.empty()) {
            TRY_ASSIGN(output, run_checked(runner, { "losetup", "-f", "--show", config.file }));
            device = std::string(trim(output.out));
            // A mount that fails leaves no loop device attached.
            rollback.push([&runner, device] { (void)runner.run({ "losetup", "-d", device }, {}); });
        } else {
            device = attached.front();
        }
    }
    TRY(make_directories(config.mountpoint));
    TRY(run_checked(runner, { "mount", "-t", "btrfs", device, config.mountpoint }));
    rollback.disarm();
    return {};
}

Result<PoolUsage> pool_usage(std::string const& mountpoint)
{
    struct statvfs st { };
    if (::statvfs(mountpoint.c_str(), &st) != 0) {
        return tl::unexpected(Error::from_errno("statvfs " + mountpoint, errno));
    }
    PoolUsage usage;
    usage.size_bytes = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
    usage.used_bytes = static_cast<uint64_t>(st.f_blocks - st.f_bfree) * st.f_frsize;
    usage.available_bytes = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
    return usage;
}

PoolRegistry::PoolRegistry(Paths paths, PoolDecorator decorator)
    : m_paths(std::move(paths))
    , m_decorator(std::move(decorator))
{
}

Result<std::vector<PoolConfig>> PoolRegistry::configs() const
{
    bool implicit = false;
    return read_configs(m_paths, implicit);
}

std::vector<std::string> PoolRegistry::names() const
{
    std::vector<std::string> names;
    auto configs = this->configs();
    if (configs) {
        for (auto const& config : *configs) {
            names.push_back(config.name);
        }
    }
    return names;
}

Result<std::unique_ptr<Pool>> PoolRegistry::open(std::string const& name) const
{
    TRY_ASSIGN(pool, open_undecorated(name));
    if (m_decorator) {
        return m_decorator(std::move(pool));
    }
    return pool;
}

Result<std::unique_ptr<Pool>> PoolRegistry::open_undecorated(std::string const& name) const
{
    TRY_ASSIGN(configs, this->configs());
    auto it = std::find_if(configs.begin(), configs.end(),
        [&](PoolConfig const& config) { return config.name == name; });
    if (it == configs.end()) {
        return make_error(ErrorCode::NotFound, "pool \"" + name + "\" does not exist");
    }
    auto& runner = system_command_runner();
    switch (it->backend) {
    case Backend::Dir:
        TRY(make_directories(it->mountpoint));
        return make_dir_pool(*it, runner);
    case Backend::Btrfs:
        TRY(ensure_pool_mounted(runner, *it).map_error([&](Error error) {
            return std::move(error).with_context("mounting pool " + name);
        }));
        return make_btrfs_pool(*it, runner);
    case Backend::Zfs:
        return make_zfs_pool(*it, runner);
    }
    return make_error(ErrorCode::Internal, "unknown backend");
}

Result<PoolConfig> PoolRegistry::create(CreateRequest const& request)
{
    return create_pool(m_paths, request, system_command_runner());
}

Result<void> PoolRegistry::destroy(std::string const& name)
{
    return destroy_pool(m_paths, name, system_command_runner());
}

namespace {

// A new pool file of request.size_bytes, attached to a loop device: the device.
Result<std::string> attach_new_pool_file(
    PoolRegistry::CreateRequest const& request, CommandRunner& runner, Rollback& rollback)
{
    if (request.size_bytes == 0) {
        return make_error(ErrorCode::InvalidArgument, "a pool file needs a size");
    }
    TRY(make_directories(fs::path(request.file).parent_path().string()));
    UniqueFd fd(::open(request.file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("create " + request.file, errno));
    }
    rollback.push([file = request.file] { ::unlink(file.c_str()); });
    if (::ftruncate(fd.get(), static_cast<off_t>(request.size_bytes)) != 0) {
        return tl::unexpected(Error::from_errno("truncate " + request.file, errno));
    }
    TRY_ASSIGN(output, run_checked(runner, { "losetup", "-f", "--show", request.file }));
    std::string device(trim(output.out));
    rollback.push([&runner, device] { (void)runner.run({ "losetup", "-d", device }, {}); });
    return device;
}

// mkfs.btrfs on device, mounted on the (new or empty) mountpoint.
Result<void> make_and_mount(std::string const& device, std::string const& mountpoint,
    CommandRunner& runner, Rollback& rollback)
{
    TRY(run_checked(runner, { "mkfs.btrfs", "-q", device }));
    if (is_mountpoint(mountpoint)) {
        return make_error(ErrorCode::Busy, mountpoint + " is already a mountpoint");
    }
    struct stat st { };
    if (::stat(mountpoint.c_str(), &st) != 0) {
        TRY(make_directories(mountpoint));
        rollback.push([mountpoint] { ::rmdir(mountpoint.c_str()); });
    } else {
        std::error_code ec;
        if (!fs::is_empty(mountpoint, ec)) {
            return make_error(ErrorCode::AlreadyExists,
                mountpoint + " is not empty: mounting the pool there would hide its files");
        }
    }
    TRY(run_checked(runner, { "mount", "-t", "btrfs", device, mountpoint }));
    rollback.push([&runner, mountpoint] { (void)runner.run({ "umount", mountpoint }, {}); });
    return {};
}

// No device: the mountpoint must already be on btrfs, and not hold a dir pool.
Result<void> check_btrfs_mountpoint(std::string const& mountpoint)
{
    TRY(make_directories(mountpoint));
    struct statfs sfs { };
    if (::statfs(mountpoint.c_str(), &sfs) != 0) {
        return tl::unexpected(Error::from_errno("statfs " + mountpoint, errno));
    }
    if (sfs.f_type != BTRFS_MAGIC) {
        return make_error(
            ErrorCode::InvalidArgument, mountpoint + " is not on btrfs: give --device or --file");
    }
    struct stat st { };
    if (::stat((mountpoint + "/.lumos/datasets.db").c_str(), &st) == 0
        || ::stat((mountpoint + "/.lumos/datasets.json").c_str(), &st) == 0) {
        return make_error(ErrorCode::AlreadyExists,
            mountpoint
                + " holds a dir pool's datasets; a dir pool cannot be turned into a btrfs pool");
    }
    return {};
}

Result<void> set_up_btrfs(PoolRegistry::CreateRequest const& request, PoolConfig& config,
    CommandRunner& runner, Rollback& rollback)
{
    std::string device = request.device;
    if (!request.file.empty()) {
        TRY_ASSIGN(loop_device, attach_new_pool_file(request, runner, rollback));
        device = loop_device;
    }
    if (!device.empty()) {
        TRY(make_and_mount(device, config.mountpoint, runner, rollback));
    } else {
        TRY(check_btrfs_mountpoint(config.mountpoint));
    }
    if (request.quotas) {
        TRY(run_checked(runner, { "btrfs", "quota", "enable", config.mountpoint }));
    }
    config.device = device;
    if (!request.file.empty()) {
        config.file = canonical(request.file);
    }
    return {};
}

} // namespace

Result<PoolConfig> create_pool(
    Paths const& paths, PoolRegistry::CreateRequest const& request, CommandRunner& runner)
{
    if (!valid_pool_name(request.name)) {
        return make_error(ErrorCode::InvalidArgument,
            "invalid pool name \"" + request.name
                + "\": a letter, then letters, digits, '_', '-' or '.'");
    }
    TRY(make_directories(paths.etc_dir()));
    TRY_ASSIGN(held, FileLock::acquire(paths.etc_dir() + "/pools.lock"));
    bool implicit = false;
    TRY_ASSIGN(configs, read_configs(paths, implicit));
    for (auto const& existing : configs) {
        if (existing.name == request.name && !implicit) {
            return make_error(
                ErrorCode::AlreadyExists, "pool \"" + request.name + "\" already exists");
        }
    }
    if (implicit) {
        // The implicit pool stays unless the new pool takes its name.
        configs.erase(std::remove_if(configs.begin(), configs.end(),
                          [&](PoolConfig const& config) { return config.name == request.name; }),
            configs.end());
    }

    PoolConfig config;
    config.name = request.name;
    config.backend = request.backend;
    config.mountpoint
        = request.mountpoint.empty() ? paths.pool_mountpoint(request.name) : request.mountpoint;
    config.quotas = request.quotas;
    if (!request.file.empty() && !request.device.empty()) {
        return make_error(ErrorCode::InvalidArgument, "give either a device or a file, not both");
    }
    if (request.backend != Backend::Btrfs && (!request.file.empty() || !request.device.empty())) {
        return make_error(ErrorCode::InvalidArgument,
            std::string("a ") + backend_name(request.backend) + " pool takes no device or file");
    }

    // Undoes the file, loop device, mountpoint and mount made below when a later step fails, up to
    // and including the write of the new configuration.
    Rollback rollback;
    switch (request.backend) {
    case Backend::Dir:
        config.quotas = false;
        TRY(make_directories(config.mountpoint));
        break;
    case Backend::Zfs: {
        TRY(run_checked(runner, { "zfs", "list", "-H", "-o", "name", request.name })
                .map_error([&](Error error) {
                    return std::move(error).with_context(
                        "a zfs pool must exist already (zpool create " + request.name + " ...)");
                }));
        if (request.mountpoint.empty()) {
            TRY_ASSIGN(output,
                run_checked(
                    runner, { "zfs", "get", "-H", "-o", "value", "mountpoint", request.name }));
            config.mountpoint = std::string(trim(output.out));
        }
        config.quotas = true;
        break;
    }
    case Backend::Btrfs:
        TRY(set_up_btrfs(request, config, runner, rollback));
        break;
    }
    configs.push_back(config);
    TRY(write_configs(paths, configs));
    rollback.disarm();
    return config;
}

Result<void> destroy_pool(Paths const& paths, std::string const& name, CommandRunner& runner)
{
    TRY(make_directories(paths.etc_dir()));
    TRY_ASSIGN(held, FileLock::acquire(paths.etc_dir() + "/pools.lock"));
    bool implicit = false;
    TRY_ASSIGN(configs, read_configs(paths, implicit));
    auto it = std::find_if(configs.begin(), configs.end(),
        [&](PoolConfig const& config) { return config.name == name; });
    if (it == configs.end() || implicit) {
        return make_error(ErrorCode::NotFound, "pool \"" + name + "\" does not exist");
    }
    PoolConfig config = *it;
    if (config.backend == Backend::Btrfs && (!config.file.empty() || !config.device.empty())) {
        if (is_mountpoint(config.mountpoint)) {
            TRY(run_checked(runner, { "umount", config.mountpoint }));
        }
        ::rmdir(config.mountpoint.c_str());
        if (!config.file.empty()) {
            for (auto const& device : loop_devices_of(runner, config.file)) {
                TRY(run_checked(runner, { "losetup", "-d", device }));
            }
            if (::unlink(config.file.c_str()) != 0 && errno != ENOENT) {
                return tl::unexpected(Error::from_errno("remove " + config.file, errno));
            }
        }
    }
    configs.erase(it);
    return write_configs(paths, configs);
}

} // namespace lumos::pools
