// SPDX-License-Identifier: MPL-2.0
// The zfs backend: SmartOS's own model, every operation one zfs(8) command through the
// CommandRunner (tested with a fake runner; our machines have no zfs).
#include "base/sizes.hpp"
#include "base/strings.hpp"
#include "pools/backends.hpp"

#include <algorithm>

namespace lumos::pools {

namespace {

std::string quota_value(std::optional<uint64_t> bytes)
{
    if (!bytes || *bytes == 0) {
        return "none";
    }
    if (*bytes % GIB == 0) {
        return std::to_string(*bytes / GIB) + "g";
    }
    return std::to_string(*bytes);
}

std::optional<uint64_t> number_or_none(std::string const& text)
{
    if (text == "-" || text == "none" || text.empty()) {
        return std::nullopt;
    }
    auto value = parse_integer(text);
    if (!value || *value < 0) {
        return std::nullopt;
    }
    return static_cast<uint64_t>(*value);
}

char const* const LIST_COLUMNS = "name,type,origin,used,quota,volsize,creation,userrefs,mountpoint";

class ZfsPool final : public Pool {
public:
    ZfsPool(PoolConfig const& config, CommandRunner& runner)
        : m_runner(runner)
        , m_name(config.name)
        , m_mountpoint(config.mountpoint)
    {
    }

    std::string const& name() const override { return m_name; }
    Backend backend() const override { return Backend::Zfs; }
    std::string const& mountpoint() const override { return m_mountpoint; }
    bool enforces_quotas() const override { return true; }

    std::string path_of(std::string const& dataset) const override
    {
        auto rel = dataset.size() > m_name.size() + 1 ? dataset.substr(m_name.size() + 1)
                                                      : std::string();
        auto at = rel.find('@');
        if (at != std::string::npos) {
            return m_mountpoint + "/" + rel.substr(0, at) + "/.zfs/snapshot/" + rel.substr(at + 1);
        }
        return m_mountpoint + "/" + rel;
    }

    std::string volume_path(std::string const& dataset) const override
    {
        return "/dev/zvol/" + dataset;
    }

    Result<bool> exists(std::string const& name) const override
    {
        TRY(check_name(name));
        TRY_ASSIGN(
            output, m_runner.run({ "zfs", "list", "-H", "-o", "name", "-t", "all", name }, {}));
        if (output.status == 0) {
            return true;
        }
        if (output.err.find("does not exist") != std::string::npos) {
            return false;
        }
        return tl::unexpected(failure({ "zfs", "list", name }, output));
    }

    Result<DatasetInfo> info(std::string const& name) const override
    {
        TRY(check_name(name));
        TRY_ASSIGN(
            infos, query({ "zfs", "list", "-H", "-p", "-t", "all", "-o", LIST_COLUMNS, name }));
        if (infos.empty()) {
            return make_error(ErrorCode::NotFound, "dataset does not exist: " + name);
        }
        auto info = infos.front();
        if (info.type == DatasetType::Snapshot && !info.holds.empty()) {
            // userrefs gave a count; the tags come from zfs holds.
            info.holds.clear();
            TRY_ASSIGN(holds, zfs({ "holds", "-H", name }));
            for (auto const& line : split(holds.out, '\n')) {
                auto fields = split(line, '\t');
                if (fields.size() >= 2) {
                    info.holds.emplace_back(trim(fields[1]));
                }
            }
        }
        TRY_ASSIGN(props,
            zfs({ "get", "-H", "-p", "-o", "property,value", "-s", "local,received", "all",
                name }));
        for (auto const& line : split(props.out, '\n')) {
            auto fields = split(line, '\t');
            if (fields.size() >= 2 && fields[0].find(':') != std::string::npos) {
                info.user_properties[fields[0]] = fields[1];
            }
        }
        return info;
    }

    Result<std::vector<DatasetInfo>> list(std::string const& prefix) const override
    {
        auto root = prefix.empty() ? m_name : prefix;
        auto at = root.find('@');
        if (at != std::string::npos) {
            return query({ "zfs", "list", "-H", "-p", "-t", "all", "-o", LIST_COLUMNS, root });
        }
        auto listed
            = query({ "zfs", "list", "-H", "-p", "-t", "all", "-r", "-o", LIST_COLUMNS, root });
        if (!listed && listed.error().code() == ErrorCode::NotFound) {
            return std::vector<DatasetInfo> {};
        }
        TRY_ASSIGN(infos, std::move(listed));
        if (prefix.empty()) {
            // The pool's root dataset is not one of its datasets.
            infos.erase(std::remove_if(infos.begin(), infos.end(),
                            [&](DatasetInfo const& info) { return info.name == m_name; }),
                infos.end());
        }
        return infos;
    }

    Result<void> create_filesystem(std::string const& name, CreateOptions const& options) override
    {
        TRY(check_name(name));
        std::vector<std::string> argv { "create" };
        if (name.starts_with(m_name + "/cores/")) {
            argv.emplace_back("-p"); // zones/cores is created on demand
        }
        add_options(argv, options);
        argv.push_back(name);
        return run_void(argv);
    }

    Result<void> create_volume(
        std::string const& name, uint64_t size_bytes, CreateOptions const& options) override
    {
        TRY(check_name(name));
        std::vector<std::string> argv { "create", "-s", "-V", std::to_string(size_bytes) };
        add_options(argv, options);
        argv.push_back(name);
        return run_void(argv);
    }

    Result<void> snapshot(std::string const& snapshot_name) override
    {
        TRY(check_name(snapshot_name));
        return run_void({ "snapshot", snapshot_name });
    }

    Result<void> clone(std::string const& snapshot_name, std::string const& target,
        CreateOptions const& options) override
    {
        TRY(check_name(snapshot_name));
        TRY(check_name(target));
        std::vector<std::string> argv { "clone" };
        add_options(argv, options);
        argv.push_back(snapshot_name);
        argv.push_back(target);
        return run_void(argv);
    }

    Result<void> rename(std::string const& from, std::string const& to) override
    {
        TRY(check_name(from));
        TRY(check_name(to));
        return run_void({ "rename", from, to });
    }

    Result<void> destroy(std::string const& name, Recursive recursive) override
    {
        TRY(check_name(name));
        if (recursive == Recursive::Yes) {
            return run_void({ "destroy", "-r", name });
        }
        return run_void({ "destroy", name });
    }

    Result<void> rollback(std::string const& snapshot_name) override
    {
        TRY(check_name(snapshot_name));
        return run_void({ "rollback", "-r", snapshot_name });
    }

    Result<void> set_quota(std::string const& name, std::optional<uint64_t> bytes) override
    {
        TRY(check_name(name));
        return run_void({ "set", "quota=" + quota_value(bytes), name });
    }

    Result<void> resize_volume(std::string const& name, uint64_t bytes) override
    {
        TRY(check_name(name));
        if (bytes == 0) {
            return make_error(ErrorCode::InvalidArgument, "invalid volsize 0 for " + name);
        }
        return run_void({ "set", "volsize=" + std::to_string(bytes), name });
    }

    Result<void> set_user_property(
        std::string const& name, std::string const& key, std::string const& value) override
    {
        TRY(check_name(name));
        return run_void({ "set", key + "=" + value, name });
    }

    Result<void> hold(std::string const& snapshot_name, std::string const& tag) override
    {
        TRY(check_name(snapshot_name));
        return run_void({ "hold", tag, snapshot_name });
    }

    Result<void> release(std::string const& snapshot_name, std::string const& tag) override
    {
        TRY(check_name(snapshot_name));
        return run_void({ "release", tag, snapshot_name });
    }

    Result<void> send(std::string const& snapshot_name,
        std::optional<std::string> const& from_snapshot, int fd) const override
    {
        TRY(check_name(snapshot_name));
        std::vector<std::string> argv { "send" };
        if (from_snapshot) {
            argv.emplace_back("-i");
            argv.push_back(*from_snapshot);
        }
        argv.push_back(snapshot_name);
        CommandIo io;
        io.stdout_fd = fd;
        TRY(zfs(argv, io));
        return {};
    }

    Result<void> receive(std::string const& target, int fd) override
    {
        TRY(check_name(target));
        CommandIo io;
        io.stdin_fd = fd;
        TRY(zfs({ "receive", target }, io));
        return {};
    }

private:
    Result<void> check_name(std::string const& name) const
    {
        if (!name.starts_with(m_name + "/") || name.size() <= m_name.size() + 1) {
            return make_error(ErrorCode::InvalidArgument,
                "dataset name \"" + name + "\" is not in pool \"" + m_name + "\"");
        }
        return {};
    }

    static void add_options(std::vector<std::string>& argv, CreateOptions const& options)
    {
        if (options.quota_bytes) {
            argv.emplace_back("-o");
            argv.push_back("quota=" + quota_value(options.quota_bytes));
        }
        for (auto const& [key, value] : options.properties) {
            argv.emplace_back("-o");
            argv.push_back(key + "=" + value);
        }
    }

    static Error failure(std::vector<std::string> const& argv, CommandOutput const& output)
    {
        auto message = std::string(trim(output.err));
        auto code = ErrorCode::System;
        if (message.find("does not exist") != std::string::npos) {
            code = ErrorCode::NotFound;
        } else if (message.find("already exists") != std::string::npos) {
            code = ErrorCode::AlreadyExists;
        } else if (message.find("has children") != std::string::npos
            || message.find("dependent clones") != std::string::npos
            || message.find("is busy") != std::string::npos
            || message.find("hold") != std::string::npos) {
            code = ErrorCode::Busy;
        }
        return Error(code, describe_argv(argv) + " failed: " + message);
    }

    Result<CommandOutput> zfs(std::vector<std::string> argv, CommandIo const& io = {}) const
    {
        argv.insert(argv.begin(), "zfs");
        TRY_ASSIGN(output, m_runner.run(argv, io));
        if (output.status != 0) {
            return tl::unexpected(failure(argv, output));
        }
        return output;
    }

    Result<void> run_void(std::vector<std::string> argv) const
    {
        TRY(zfs(std::move(argv)));
        return {};
    }

    Result<std::vector<DatasetInfo>> query(std::vector<std::string> argv) const
    {
        argv.erase(argv.begin()); // "zfs"
        TRY_ASSIGN(output, zfs(argv));
        std::vector<DatasetInfo> infos;
        for (auto const& line : split(output.out, '\n')) {
            auto fields = split(line, '\t');
            if (fields.size() < 9) {
                continue;
            }
            DatasetInfo info;
            info.name = fields[0];
            info.type = fields[1] == "volume" ? DatasetType::Volume
                : fields[1] == "snapshot"     ? DatasetType::Snapshot
                                              : DatasetType::Filesystem;
            if (fields[2] != "-" && !fields[2].empty()) {
                info.origin = fields[2];
            }
            info.used_bytes = number_or_none(fields[3]).value_or(0);
            info.quota_bytes = number_or_none(fields[4]);
            if (info.quota_bytes == uint64_t { 0 }) {
                info.quota_bytes.reset();
            }
            if (info.type == DatasetType::Volume) {
                info.volume_size_bytes = number_or_none(fields[5]);
            }
            info.creation = static_cast<int64_t>(number_or_none(fields[6]).value_or(0));
            auto userrefs = number_or_none(fields[7]).value_or(0);
            for (uint64_t i = 0; i < userrefs; ++i) {
                info.holds.emplace_back("?"); // counted here, named by info()
            }
            info.path
                = info.type == DatasetType::Filesystem && fields[8] != "-" && fields[8] != "legacy"
                ? fields[8]
                : path_of(info.name);
            infos.push_back(std::move(info));
        }
        return infos;
    }

    CommandRunner& m_runner;
    std::string m_name;
    std::string m_mountpoint;
};

} // namespace

std::unique_ptr<Pool> make_zfs_pool(PoolConfig const& config, CommandRunner& runner)
{
    return std::make_unique<ZfsPool>(config, runner);
}

} // namespace lumos::pools
