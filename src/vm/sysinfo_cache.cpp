// SPDX-License-Identifier: MPL-2.0
// sysinfo's cache: SmartOS keeps /tmp/.sysinfo.{json,parsable} until `sysinfo -u`; lumos keeps
// them under $LUMOS_ROOT/run/lumos with a stamp of what they were gathered from, and gathers
// again when that changed (a new boot, pools.json, the host config, the recorded server uuid,
// another lumos build), so a pool set up or a nic tag added shows without an explicit -u.
#include "base/file.hpp"
#include "base/host_identity.hpp"
#include "vm/sysinfo.hpp"

#include <sys/stat.h>

namespace lumos::vm {

namespace {

constexpr size_t MAX_CACHE_FILE = size_t { 8 } * 1024 * 1024;

std::string file_stamp(std::string const& path)
{
    struct stat st { };
    if (::stat(path.c_str(), &st) != 0) {
        return "absent";
    }
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":"
        + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "."
        + std::to_string(st.st_mtim.tv_nsec);
}

std::string cache_stamp(Paths const& paths, HostRoots const& roots)
{
    std::string boot_id
        = read_file_bounded(roots.proc + "/sys/kernel/random/boot_id", 4096).value_or("");
    return "boot_id=" + boot_id + "\nlive_image=" + platform_buildstamp()
        + "\npools=" + file_stamp(paths.etc_dir() + "/pools.json")
        + "\nconfig=" + file_stamp(paths.etc_dir() + "/config")
        + "\nserver_uuid=" + file_stamp(paths.etc_dir() + "/server_uuid")
        + "\nhost_features=" + file_stamp(paths.run_dir() + "/host-features.json") + "\n";
}

struct CacheFiles {
    std::string json;
    std::string parsable;
    std::string stamp;
    std::string lock;
};

CacheFiles cache_files(Paths const& paths)
{
    std::string const dir = paths.run_dir();
    return { dir + "/sysinfo.json", dir + "/sysinfo.parsable", dir + "/sysinfo.stamp",
        dir + "/sysinfo.lock" };
}

std::optional<SysinfoTexts> read_cache(CacheFiles const& files, std::string const& stamp)
{
    auto lock = FileLock::acquire_shared(files.lock);
    if (!lock) {
        return std::nullopt;
    }
    auto recorded = read_file_bounded(files.stamp, MAX_CACHE_FILE);
    if (!recorded || *recorded != stamp) {
        return std::nullopt;
    }
    auto json = read_file_bounded(files.json, MAX_CACHE_FILE);
    auto parsable = read_file_bounded(files.parsable, MAX_CACHE_FILE);
    if (!json || !parsable || json->empty() || parsable->empty()) {
        return std::nullopt;
    }
    return SysinfoTexts { std::move(*json), std::move(*parsable), std::nullopt };
}

// The outputs first and the stamp last, under the lock: a reader sees a stamp only beside the
// outputs gathered with it. Mode 0600 as SmartOS's: the serial number is the operator's.
Result<void> write_cache(
    CacheFiles const& files, SysinfoTexts const& texts, std::string const& stamp)
{
    TRY_ASSIGN(lock, FileLock::acquire(files.lock));
    TRY(remove_file(files.stamp).or_else([](Error const& error) -> Result<void> {
        if (error.errno_value() == ENOENT) {
            return {};
        }
        return tl::unexpected(error);
    }));
    TRY(write_file_replace(files.json, texts.json, 0600));
    TRY(write_file_replace(files.parsable, texts.parsable, 0600));
    TRY(write_file_replace(files.stamp, stamp, 0600));
    return {};
}

} // namespace

Result<SysinfoTexts> load_sysinfo(
    Paths const& paths, SysinfoSources const& sources, SysinfoRefresh refresh)
{
    CacheFiles const files = cache_files(paths);
    std::string const stamp = cache_stamp(paths, sources.roots);
    if (refresh == SysinfoRefresh::IfStale) {
        if (auto cached = read_cache(files, stamp)) {
            return std::move(*cached);
        }
    }
    TRY_ASSIGN(info, gather_sysinfo(paths, sources, refresh == SysinfoRefresh::Always));
    // Recorded by the gathering on first use: the stamp must name the file as it now is.
    std::string const gathered_stamp = cache_stamp(paths, sources.roots);
    SysinfoTexts texts { format_sysinfo_json(sysinfo_object(info)), format_sysinfo_parsable(info),
        std::nullopt };
    auto written = make_directories(paths.run_dir()).and_then([&] {
        return write_cache(files, texts, gathered_stamp);
    });
    if (!written) {
        texts.cache_error = std::move(written).error();
    }
    return texts;
}

} // namespace lumos::vm
