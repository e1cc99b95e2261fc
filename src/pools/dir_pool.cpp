// SPDX-License-Identifier: MPL-2.0
// The dir backend: plain directories on any filesystem. Snapshots and clones are copies (reflinked
// where the filesystem can, e.g. btrfs or xfs), quotas are recorded and reported but not enforced.
#include "pools/backends.hpp"
#include "pools/detail/journaled_pool.hpp"

#include <cerrno>
#include <filesystem>

#include <sys/stat.h>

namespace lumos::pools {

namespace {

namespace fs = std::filesystem;

class DirPool final : public detail::JournaledPool {
public:
    using JournaledPool::JournaledPool;

    bool enforces_quotas() const override { return false; }

protected:
    Result<void> make_filesystem_at(std::string const& path) override
    {
        if (::mkdir(path.c_str(), 0755) != 0) {
            return tl::unexpected(Error::from_errno("mkdir " + path, errno));
        }
        return {};
    }

    Result<void> make_snapshot_at(std::string const& source, std::string const& target,
        std::vector<std::string> const& child_paths) override
    {
        TRY(copy_tree(source, target));
        // Child datasets are datasets of their own, not part of this one's snapshot: leave an
        // empty directory where a child filesystem was (as a ZFS snapshot shows its mountpoint).
        for (auto const& child : child_paths) {
            std::error_code ec;
            auto path = target + "/" + child;
            bool directory = fs::is_directory(fs::symlink_status(path, ec));
            fs::remove_all(path, ec);
            if (ec) {
                return make_error(ErrorCode::System, "remove " + path + ": " + ec.message());
            }
            if (directory) {
                fs::create_directories(path, ec);
            }
        }
        return {};
    }

    Result<void> make_clone_at(std::string const& snapshot_path, std::string const& target) override
    {
        return copy_tree(snapshot_path, target);
    }

    Result<void> remove_tree(std::string const& path, uint64_t /*subvolume_id*/) override
    {
        std::error_code ec;
        fs::remove_all(path, ec);
        if (ec) {
            return make_error(ErrorCode::System, "remove " + path + ": " + ec.message());
        }
        return {};
    }

    Result<void> apply_quota(std::string const& path, std::optional<uint64_t> bytes) override
    {
        if (bytes) {
            notice("quota of " + std::to_string(*bytes) + " bytes on " + path
                + " is recorded and reported, not enforced (dir backend)");
        }
        return {};
    }
};

} // namespace

std::unique_ptr<Pool> make_dir_pool(PoolConfig const& config, CommandRunner& runner)
{
    return std::make_unique<DirPool>(config, runner);
}

} // namespace lumos::pools
