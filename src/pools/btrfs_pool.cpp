// SPDX-License-Identifier: MPL-2.0
// The btrfs backend, through the btrfs(8) CLI: datasets are subvolumes, snapshots read-only
// snapshot subvolumes, clones writable snapshots of those (O(1)), quotas qgroup limits on the
// subvolume's level-0 qgroup (referenced bytes), streams btrfs send/receive. Volumes are files
// (snapshots and clones by reflink, also O(1) here).
#include "base/strings.hpp"
#include "pools/backends.hpp"
#include "pools/detail/journaled_pool.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <sstream>
#include <unordered_map>

#include <sys/stat.h>

namespace lumos::pools {

namespace {

namespace fs = std::filesystem;

constexpr ino_t BTRFS_SUBVOLUME_ROOT_INODE = 256;

bool is_subvolume(std::string const& path)
{
    struct stat st { };
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)
        && st.st_ino == BTRFS_SUBVOLUME_ROOT_INODE;
}

// Subvolumes below path (not path itself), deepest first. Walks the tree: only for the rare
// delete that needs it.
std::vector<std::string> nested_subvolumes(std::string const& path)
{
    std::vector<std::string> found;
    std::error_code ec;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec) && is_subvolume(it->path().string())) {
            found.push_back(it->path().string());
        }
    }
    std::sort(found.begin(), found.end(), [](std::string const& a, std::string const& b) {
        return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
    });
    return found;
}

class BtrfsPool final : public detail::JournaledPool {
public:
    BtrfsPool(PoolConfig const& config, CommandRunner& runner)
        : JournaledPool(config, runner)
        , m_quotas(config.quotas)
    {
    }

    bool enforces_quotas() const override { return m_quotas; }

protected:
    Result<void> btrfs(std::vector<std::string> argv, CommandIo const& io = {}) const
    {
        argv.insert(argv.begin(), "btrfs");
        TRY(run_checked(m_runner, argv, io));
        return {};
    }

    Result<void> make_filesystem_at(std::string const& path) override
    {
        return btrfs({ "subvolume", "create", path });
    }

    Result<void> make_snapshot_at(std::string const& source, std::string const& target,
        std::vector<std::string> const& /*child_paths: nested subvolumes are not in a snapshot*/)
        override
    {
        return btrfs({ "subvolume", "snapshot", "-r", source, target });
    }

    Result<void> make_clone_at(std::string const& snapshot_path, std::string const& target) override
    {
        return btrfs({ "subvolume", "snapshot", snapshot_path, target });
    }

    Result<void> remove_tree(std::string const& path, uint64_t subvolume) override
    {
        if (!is_subvolume(path)) {
            std::error_code ec;
            fs::remove_all(path, ec);
            if (ec) {
                return make_error(ErrorCode::System, "remove " + path + ": " + ec.message());
            }
            return {};
        }
        auto deleted = btrfs({ "subvolume", "delete", path });
        if (!deleted) {
            // Subvolumes made inside the dataset by its users (a container runtime in a zone)
            // block the delete: remove them, deepest first, and try again.
            auto nested = nested_subvolumes(path);
            if (nested.empty()) {
                return deleted;
            }
            for (auto const& inner : nested) {
                TRY(btrfs({ "subvolume", "delete", inner }));
            }
            TRY(btrfs({ "subvolume", "delete", path }));
        }
        if (m_quotas && subvolume != 0) {
            // Best effort: the qgroup of a deleted subvolume can only go once the cleaner has
            // dropped it; stale level-0 qgroups are harmless.
            (void)m_runner.run(
                { "btrfs", "qgroup", "destroy", "0/" + std::to_string(subvolume), mountpoint() },
                {});
        }
        return {};
    }

    Result<void> apply_quota(std::string const& path, std::optional<uint64_t> bytes) override
    {
        if (!m_quotas) {
            if (bytes) {
                notice("quota of " + std::to_string(*bytes) + " bytes on " + path
                    + " is recorded and reported, not enforced (btrfs pool with quotas off)");
            }
            return {};
        }
        return btrfs({ "qgroup", "limit", bytes ? std::to_string(*bytes) : "none", path });
    }

    Result<void> apply_properties(
        std::string const& path, std::map<std::string, std::string> const& properties) override
    {
        auto it = properties.find("compression");
        if (it == properties.end()) {
            return {};
        }
        // ZFS algorithms onto btrfs's: zstd stays, gzip[-N] is zlib, lz4/lzjb/on the fast lzo.
        auto const& value = it->second;
        std::string algorithm;
        if (value.starts_with("zstd")) {
            algorithm = "zstd";
        } else if (value.starts_with("gzip")) {
            algorithm = "zlib";
        } else if (value == "lz4" || value == "lzjb" || value == "on") {
            algorithm = "lzo";
        } else {
            return {}; // off, zle, ...: no compression
        }
        return btrfs({ "property", "set", path, "compression", algorithm });
    }

    uint64_t subvolume_id(std::string const& path) const override
    {
        if (!m_quotas) {
            return 0; // only qgroups need it
        }
        auto output = m_runner.run({ "btrfs", "inspect-internal", "rootid", path }, {});
        if (!output || output->status != 0) {
            return 0;
        }
        auto id = parse_integer(trim(output->out));
        return id && *id > 0 ? static_cast<uint64_t>(*id) : 0;
    }

    void fill_usage(std::vector<DatasetInfo>& infos,
        std::vector<detail::Entry const*> const& entries, detail::Detail detail) const override
    {
        if (!m_quotas || infos.empty()) {
            JournaledPool::fill_usage(infos, entries, detail);
            return;
        }
        auto output = m_runner.run({ "btrfs", "qgroup", "show", "--raw", "-r", mountpoint() }, {});
        std::unordered_map<uint64_t, uint64_t> referenced;
        if (output && output->status == 0) {
            std::istringstream lines(output->out);
            std::string line;
            while (std::getline(lines, line)) {
                std::istringstream words(line);
                std::string id;
                std::string rfer;
                words >> id >> rfer;
                if (!id.starts_with("0/")) {
                    continue;
                }
                auto number = parse_integer(id.substr(2));
                auto bytes = parse_integer(rfer);
                if (number && bytes && *bytes >= 0) {
                    referenced[static_cast<uint64_t>(*number)] = static_cast<uint64_t>(*bytes);
                }
            }
        }
        JournaledPool::fill_usage(infos, entries, detail::Detail::List);
        for (size_t i = 0; i < infos.size(); ++i) {
            auto found = referenced.find(entries[i]->subvolume_id);
            if (entries[i]->subvolume_id != 0 && found != referenced.end()) {
                infos[i].used_bytes = found->second;
            } else if (detail == detail::Detail::Full && infos[i].type != DatasetType::Volume
                && !entries[i]->volsize) {
                infos[i].used_bytes = tree_usage(infos[i].path);
            }
        }
    }

    Result<void> send_stream(std::string const& snapshot_path,
        std::optional<std::string> const& parent_path, int fd) const override
    {
        std::vector<std::string> argv { "send", "-q" };
        if (parent_path) {
            argv.emplace_back("-p");
            argv.push_back(*parent_path);
        }
        argv.push_back(snapshot_path);
        CommandIo io;
        io.stdout_fd = fd;
        return btrfs(argv, io);
    }

    Result<std::string> receive_into(std::string const& scratch_dir, int fd) override
    {
        CommandIo io;
        io.stdin_fd = fd;
        // Confined to the scratch directory (chroot) as well as checked before it gets here
        // (the image store's stream checker): stop at the first error, and at the end command.
        TRY(btrfs({ "receive", "--chroot", "-E", "1", "-e", scratch_dir }, io));
        std::vector<std::string> found;
        std::error_code ec;
        for (auto const& item : fs::directory_iterator(scratch_dir, ec)) {
            found.push_back(item.path().string());
        }
        if (found.size() != 1) {
            return make_error(ErrorCode::InvalidArgument,
                "the stream held " + std::to_string(found.size()) + " snapshots, expected one");
        }
        return found.front();
    }

private:
    bool m_quotas;
};

} // namespace

std::unique_ptr<Pool> make_btrfs_pool(PoolConfig const& config, CommandRunner& runner)
{
    return std::make_unique<BtrfsPool>(config, runner);
}

} // namespace lumos::pools
