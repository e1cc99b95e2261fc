// SPDX-License-Identifier: MPL-2.0
#include "vm/vm_datasets.hpp"

#include "base/checked.hpp"
#include "base/directory_below.hpp"
#include "base/file.hpp"
#include "base/rollback.hpp"
#include "base/strings.hpp"
#include "base/time.hpp"
#include "props/brand.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <tuple>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lumos::vm {

namespace {

// $LUMOS_ROOT/dev/zvol/rdsk/<dataset>: where a SmartOS user finds an HVM disk (disks.*.path),
// a link to the volume (`dd if=disk.img of=/dev/zvol/rdsk/zones/<uuid>-disk0` writes it).
std::string volume_link(pools::PoolRegistry const& pools, std::string const& dataset)
{
    return pools.paths().under_root("/dev/zvol/rdsk/" + dataset);
}

// The link of a volume the VM's removal takes away, and the directories it leaves empty (a
// bhyve VM's <pool>/<uuid>, the pool's).
void unlink_volume(pools::PoolRegistry const& pools, std::string const& dataset)
{
    std::string link = volume_link(pools, dataset);
    if (::unlink(link.c_str()) != 0) {
        return;
    }
    std::string const top = pools.paths().under_root("/dev/zvol/rdsk");
    for (size_t slash = link.rfind('/'); slash != std::string::npos && slash > top.size();
         slash = link.rfind('/')) {
        link.resize(slash);
        if (::rmdir(link.c_str()) != 0) {
            break;
        }
    }
}

} // namespace

Result<void> link_volume(
    pools::PoolRegistry const& pools, pools::Pool const& pool, std::string const& dataset)
{
    std::string const link = volume_link(pools, dataset);
    TRY(make_directories(link.substr(0, link.rfind('/'))));
    if (::unlink(link.c_str()) != 0 && errno != ENOENT) {
        return tl::unexpected(Error::from_errno("cannot replace " + link, errno));
    }
    if (::symlink(pool.volume_path(dataset).c_str(), link.c_str()) != 0) {
        return tl::unexpected(Error::from_errno("cannot link " + link, errno));
    }
    return {};
}

namespace {

constexpr char const* HOLD_TAG = "do_not_destroy";

int64_t integer_of(Json const& object, char const* key, int64_t fallback = 0)
{
    if (!object.is_object() || !object.contains(key) || !object[key].is_number()) {
        return fallback;
    }
    return static_cast<int64_t>(object[key].get<double>());
}

std::string string_of(Json const& object, char const* key)
{
    if (!object.is_object() || !object.contains(key) || !object[key].is_string()) {
        return {};
    }
    return object[key].get<std::string>();
}

bool bool_of(Json const& object, char const* key)
{
    return object.is_object() && object.contains(key) && object[key].is_boolean()
        && object[key].get<bool>();
}

std::string pool_part(std::string const& dataset)
{
    return dataset.substr(0, dataset.find('/'));
}

// Bytes in MiB as JavaScript prints the quotient: whole numbers without a fraction.
Json mib_of(uint64_t bytes)
{
    if (bytes % MIB == 0) {
        return Json(bytes / MIB);
    }
    return Json(static_cast<double>(bytes) / static_cast<double>(MIB));
}

bool is_not_found(Error const& error)
{
    return error.code() == ErrorCode::NotFound;
}

// ZFS properties of the zone root and the delegated dataset that VM.js sets after install;
// backends apply those they have an equivalent for.
std::map<std::string, std::string> dataset_properties(Json const& vm, bool delegated)
{
    std::map<std::string, std::string> properties;
    auto put_string = [&](char const* key, char const* property) {
        if (auto value = string_of(vm, key); !value.empty()) {
            properties[property] = value;
        }
    };
    auto put_integer = [&](char const* key, char const* property) {
        if (vm.contains(key) && vm[key].is_number()) {
            properties[property] = std::to_string(integer_of(vm, key));
        }
    };
    if (delegated) {
        // The record leaves out compression "off" (vmload shows only other values), but the
        // delegated dataset must not inherit the zone root's (test-blocksizes.js).
        if (!string_of(vm, "zfs_root_compression").empty()) {
            properties["compression"] = "off";
        }
        put_string("zfs_data_compression", "compression");
        put_integer("zfs_data_recsize", "recsize");
    } else {
        put_string("zfs_root_compression", "compression");
        put_integer("zfs_root_recsize", "recsize");
        put_integer("zfs_snapshot_limit", "snapshot_limit");
        put_integer("zfs_filesystem_limit", "filesystem_limit");
    }
    return properties;
}

// Cores quota (libhooks.ksh): 100 GiB; kvm with more than 80 GiB of ram: ram + 20 GiB.
Result<uint64_t> cores_quota(Json const& vm, props::Brand brand)
{
    int64_t const ram_mib = integer_of(vm, "ram");
    if (brand == props::Brand::Kvm && ram_mib > int64_t { 80 } * 1024) {
        return size_in_bytes(ram_mib, MIB, "ram").and_then([](uint64_t ram) -> Result<uint64_t> {
            if (auto const sum = checked_add(ram, 20 * GIB)) {
                return *sum;
            }
            return make_error(ErrorCode::InvalidArgument, "Invalid value for ram: too large");
        });
    }
    return 100 * GIB;
}

// Destroys "<pool>/cores" when the last cores dataset is gone, so that a VM's delete leaves the
// pool as its create found it. A cores dataset made meanwhile keeps it (destroy refuses, Busy).
void drop_empty_cores_parent(pools::Pool& pool)
{
    std::string const parent = pool.name() + "/cores";
    auto listed = pool.list(parent);
    if (listed && listed->size() == 1) {
        (void)pool.destroy(parent, pools::Recursive::No);
    }
}

} // namespace

void drop_empty_cores(pools::Pool& pool)
{
    drop_empty_cores_parent(pool);
}

std::string VmDatasets::root_dataset(Json const& vm)
{
    std::string pool = string_of(vm, "zpool");
    std::string zonename = string_of(vm, "zonename");
    if (zonename.empty()) {
        zonename = string_of(vm, "uuid");
    }
    return (pool.empty() ? std::string("zones") : pool) + "/" + zonename;
}

Result<std::unique_ptr<pools::Pool>> VmDatasets::open_pool_of(std::string const& dataset) const
{
    return m_pools.open(pool_part(dataset));
}

Result<void> make_file_below(std::string const& base, std::string const& relative, char const* name)
{
    TRY(make_directory_below(base, relative, 0755));
    std::string const dir_path = base + "/" + relative;
    UniqueFd dir(::open(dir_path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
        return tl::unexpected(Error::from_errno("open " + dir_path, errno));
    }
    UniqueFd file(::openat(dir.get(), name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!file.valid()) {
        return tl::unexpected(Error::from_errno("create " + dir_path + "/" + name, errno));
    }
    return {};
}

Result<void> make_directory_below(std::string const& base, std::string const& relative, int mode)
{
    UniqueFd dir(::open(base.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir.valid()) {
        return tl::unexpected(Error::from_errno("open " + base, errno));
    }
    TRY_ASSIGN(last, open_directory_below(dir.get(), base, relative, Create::Yes));
    if (::fchmod(last.get(), static_cast<mode_t>(mode)) != 0) {
        return tl::unexpected(Error::from_errno("chmod " + base + "/" + relative, errno));
    }
    return {};
}

Result<void> VmDatasets::provision(Json const& vm) const
{
    auto const brand = props::parse_brand(string_of(vm, "brand"));
    if (!brand) {
        return make_error(ErrorCode::InvalidArgument, "unknown brand " + string_of(vm, "brand"));
    }
    bool const hvm = props::is_hvm(*brand);
    std::string const uuid = string_of(vm, "uuid");
    std::string const root = root_dataset(vm);
    std::string const pool_name = pool_part(root);

    std::map<std::string, std::unique_ptr<pools::Pool>> pools;
    auto pool_for = [&](std::string const& dataset) -> Result<pools::Pool*> {
        std::string const name = pool_part(dataset);
        auto it = pools.find(name);
        if (it == pools.end()) {
            TRY_ASSIGN(opened, m_pools.open(name));
            it = pools.emplace(name, std::move(opened)).first;
        }
        return it->second.get();
    };
    TRY_ASSIGN(pool, pool_for(root));

    // What this call made, undone newest first unless every step succeeds. Declared after the
    // pools its steps use, so that it runs before they close.
    Rollback rollback;
    auto fail = [](Error error) {
        return tl::unexpected(std::move(error).with_context("cannot create the VM's storage"));
    };
    // Called before each dataset is made: its undo is armed first, so a step that reports
    // failure after the backend made the dataset (an answer lost on the way) is undone too. A
    // name that exists already is not this call's (the step then fails) and is never undone.
    auto making = [&rollback](pools::Pool* in, std::string const& dataset) {
        if (auto exists = in->exists(dataset); exists && !*exists) {
            rollback.push([in, dataset] { (void)in->destroy(dataset, pools::Recursive::Yes); });
        }
    };
#define STEP(expression)                                                                           \
    do {                                                                                           \
        if (auto step_result = (expression); !step_result) {                                       \
            return fail(std::move(step_result.error()));                                           \
        }                                                                                          \
    } while (false)

    // Zone root: a clone of the image (OS brands, kvm with image_uuid), else a new filesystem.
    pools::CreateOptions root_options;
    if (int64_t const quota = integer_of(vm, "quota"); quota > 0) {
        auto bytes = size_in_bytes(quota, GIB, "quota");
        if (!bytes) {
            return fail(std::move(bytes.error()));
        }
        root_options.quota_bytes = *bytes;
    }
    root_options.properties = dataset_properties(vm, false);
    std::string const image_uuid = string_of(vm, "image_uuid");
    bool const from_image = !image_uuid.empty() && (!hvm || *brand == props::Brand::Kvm);
    if (from_image) {
        std::string const origin = pool_name + "/" + image_uuid + "@final";
        auto exists = pool->exists(origin);
        if (!exists || !*exists) {
            return make_error(ErrorCode::NotFound,
                "cannot create the VM's storage: image snapshot " + origin + " does not exist");
        }
        making(pool, root);
        if (auto cloned = pool->clone(origin, root, root_options); !cloned) {
            return tl::unexpected(
                std::move(cloned.error()).with_context("cannot create the VM's storage"));
        }
    } else {
        making(pool, root);
        if (auto created = pool->create_filesystem(root, root_options); !created) {
            return tl::unexpected(
                std::move(created.error()).with_context("cannot create the VM's storage"));
        }
    }

    std::string const zonepath = pool->path_of(root);
    STEP(make_directory_below(zonepath, "config", 0755));
    if (!hvm) {
        // cinstall: <root>/tmp 1777, <root>/var/svc 0755, chmod 700 <zonepath>.
        STEP(make_directory_below(zonepath, "root/tmp", 01777));
        STEP(make_directory_below(zonepath, "root/var/svc", 0755));
        // installZone: /var/svc/provisioning exists until something in the zone (zinit, an lx
        // image's boot script) moves it to provision_success or provision_failure.
        STEP(make_file_below(zonepath, "root/var/svc", "provisioning"));
    }
    STEP(make_directory_below(pool->mountpoint(), root.substr(pool_name.size() + 1), 0700));

    // Cores.
    {
        auto parent_exists = pool->exists(pool_name + "/cores");
        if (parent_exists && !*parent_exists) {
            // Made with the VM's: dropped after it when it is undone.
            rollback.push([pool] { drop_empty_cores_parent(*pool); });
        }
        pools::CreateOptions cores_options;
        auto core_bytes = cores_quota(vm, *brand);
        if (!core_bytes) {
            return fail(std::move(core_bytes.error()));
        }
        cores_options.quota_bytes = *core_bytes;
        std::string const cores = pool_name + "/cores/" + uuid;
        making(pool, cores);
        STEP(pool->create_filesystem(cores, cores_options));
    }

    // delegate_dataset: the spec code lists "<pool>/<uuid>/data" in datasets, as SmartOS does.
    bool wants_data = bool_of(vm, "delegate_dataset");
    if (vm.contains("datasets") && vm["datasets"].is_array()) {
        for (auto const& dataset : vm["datasets"]) {
            wants_data = wants_data
                || (dataset.is_string()
                    && (dataset.get<std::string>() == root + "/data"
                        || dataset.get<std::string>() == pool_name + "/" + uuid + "/data"));
        }
    }
    if (wants_data) {
        pools::CreateOptions data_options;
        data_options.properties = dataset_properties(vm, true);
        making(pool, root + "/data");
        STEP(pool->create_filesystem(root + "/data", data_options));
    }

    // HVM disks: kvm volumes <pool>/<uuid>-disk<N>, bhyve <pool>/<uuid>/disk<N> (the spec code
    // has named them in zfs_filesystem); image disks are clones of the zvol image's @final.
    if (hvm && vm.contains("disks") && vm["disks"].is_array()) {
        for (auto const& disk : vm["disks"]) {
            std::string const dataset = string_of(disk, "zfs_filesystem");
            if (dataset.empty() || bool_of(disk, "nocreate")
                || string_of(disk, "media") == "cdrom") {
                continue;
            }
            auto disk_pool = pool_for(dataset);
            if (!disk_pool) {
                return fail(std::move(disk_pool.error()));
            }
            pools::CreateOptions options;
            if (auto compression = string_of(disk, "compression"); !compression.empty()) {
                options.properties["compression"] = compression;
            }
            if (disk.contains("block_size") && disk["block_size"].is_number()) {
                options.properties["volblocksize"] = std::to_string(integer_of(disk, "block_size"));
            }
            if (auto disk_image = string_of(disk, "image_uuid"); !disk_image.empty()) {
                making(*disk_pool, dataset);
                STEP((*disk_pool)
                         ->clone(
                             pool_part(dataset) + "/" + disk_image + "@final", dataset, options));
                STEP(link_volume(m_pools, **disk_pool, dataset));
                rollback.push([this, dataset] { unlink_volume(m_pools, dataset); });
                // A size above the image's grows the clone (test-bhyve-disk-resize.js "boot disk
                // is grown when size > image_size"); below it spec refused the payload. The
                // clone is the image's disk, which may be smaller than its manifest's image_size
                // (a raw disk is installed at its own size): it grows to the recorded size too.
                if (int64_t const size_mib = integer_of(disk, "size"); size_mib > 0) {
                    auto bytes = size_in_bytes(size_mib, MIB, "disks.*.size");
                    if (!bytes) {
                        return fail(std::move(bytes.error()));
                    }
                    auto cloned = (*disk_pool)->info(dataset);
                    if (!cloned) {
                        return fail(std::move(cloned.error()));
                    }
                    if (cloned->volume_size_bytes.value_or(0) < *bytes) {
                        STEP((*disk_pool)->resize_volume(dataset, *bytes));
                    }
                }
                continue;
            }
            int64_t const size_mib = integer_of(disk, "size");
            if (size_mib <= 0) {
                return fail(Error(ErrorCode::InvalidArgument, "disk " + dataset + " has no size"));
            }
            auto bytes = size_in_bytes(size_mib, MIB, "disks.*.size");
            if (!bytes) {
                return fail(std::move(bytes.error()));
            }
            making(*disk_pool, dataset);
            STEP((*disk_pool)->create_volume(dataset, *bytes, options));
            STEP(link_volume(m_pools, **disk_pool, dataset));
            rollback.push([this, dataset] { unlink_volume(m_pools, dataset); });
        }
    }

    for (bool const delegated : { false, true }) {
        char const* flag = delegated ? "indestructible_delegated" : "indestructible_zoneroot";
        if (bool_of(vm, flag)) {
            STEP(set_indestructible(vm, delegated, true));
            rollback.push(
                [pool, snapshot = (delegated ? root + "/data" : root) + "@indestructible"] {
                    (void)pool->release(snapshot, HOLD_TAG);
                });
        }
    }
#undef STEP
    rollback.disarm();
    return {};
}

Result<void> VmDatasets::destroy(Json const& vm) const
{
    std::string const root = root_dataset(vm);
    auto opened = open_pool_of(root);
    if (!opened && is_not_found(opened.error())) {
        return {}; // its pool is gone: nothing of the VM is left to destroy
    }
    TRY_ASSIGN(pool, std::move(opened));
    // The zone root first, with its children (data, bhyve disks) and snapshots: it is refused
    // as a whole while a snapshot is held, before anything is gone.
    if (auto destroyed = pool->destroy(root, pools::Recursive::Yes);
        !destroyed && !is_not_found(destroyed.error())) {
        return destroyed;
    }
    if (vm.contains("disks") && vm["disks"].is_array()) {
        for (auto const& disk : vm["disks"]) {
            std::string const dataset = string_of(disk, "zfs_filesystem");
            if (dataset.empty() || bool_of(disk, "nocreate")) {
                continue;
            }
            if (dataset.starts_with(root + "/")) {
                unlink_volume(m_pools, dataset); // destroyed with the zone root
                continue;
            }
            TRY_ASSIGN(disk_pool, open_pool_of(dataset));
            if (auto destroyed = disk_pool->destroy(dataset, pools::Recursive::Yes);
                !destroyed && !is_not_found(destroyed.error())) {
                return destroyed;
            }
            unlink_volume(m_pools, dataset);
        }
    }
    std::string const cores = pool->name() + "/cores/" + string_of(vm, "uuid");
    if (auto destroyed = pool->destroy(cores, pools::Recursive::Yes);
        !destroyed && !is_not_found(destroyed.error())) {
        return destroyed;
    }
    drop_empty_cores_parent(*pool);
    return {};
}

std::set<std::string> dataset_names_or_none(
    pools::PoolRegistry const& pools, std::string const& name)
{
    std::set<std::string> names;
    auto pool = pools.open(name);
    if (!pool) {
        return names;
    }
    auto datasets = (*pool)->list();
    if (!datasets) {
        return names;
    }
    for (auto const& info : *datasets) {
        names.insert(info.name);
    }
    return names;
}

Result<std::vector<std::string>> VmDatasets::leftovers(std::string const& uuid) const
{
    std::vector<std::string> found;
    for (auto const& name : m_pools.names()) {
        auto const names = dataset_names_or_none(m_pools, name);
        if (names.contains(name + "/" + uuid + "@final")) {
            continue; // an installed image, not a VM
        }
        for (auto const& dataset : names) {
            bool const root = dataset == name + "/" + uuid;
            bool const cores = dataset == name + "/cores/" + uuid;
            bool const disk = dataset.starts_with(name + "/" + uuid + "-disk")
                && dataset.find_first_of("/@", name.size() + 1) == std::string::npos;
            if (root || cores || disk) {
                found.push_back(dataset);
            }
        }
    }
    return found;
}

Result<void> VmDatasets::remove_leftovers(std::string const& uuid) const
{
    TRY_ASSIGN(found, leftovers(uuid));
    for (auto const& dataset : found) {
        TRY_ASSIGN(pool, open_pool_of(dataset));
        if (auto destroyed = pool->destroy(dataset, pools::Recursive::Yes);
            !destroyed && !is_not_found(destroyed.error())) {
            return tl::unexpected(
                std::move(destroyed.error())
                    .with_context("cannot remove what a killed create of " + uuid + " left"));
        }
        if (dataset.find("/cores/") != std::string::npos) {
            drop_empty_cores_parent(*pool);
        }
        // The disks' links: kvm's <pool>/<uuid>-disk<N>, bhyve's under <pool>/<uuid>/.
        unlink_volume(m_pools, dataset);
        std::error_code ignored;
        std::filesystem::remove_all(volume_link(m_pools, dataset), ignored);
    }
    return {};
}

Result<void> VmDatasets::resize_disks(Json const& before, Json const& after) const
{
    auto disks_of = [](Json const& vm) -> Json const& {
        static Json const NONE = Json::array();
        return vm.is_object() && vm.contains("disks") && vm["disks"].is_array() ? vm["disks"]
                                                                                : NONE;
    };
    std::vector<std::tuple<std::string, uint64_t, uint64_t>> resized; // dataset, old, new bytes
    auto put_back = [&]() {
        for (auto it = resized.rbegin(); it != resized.rend(); ++it) {
            if (auto pool = open_pool_of(std::get<0>(*it))) {
                (void)(*pool)->resize_volume(std::get<0>(*it), std::get<1>(*it));
            }
        }
    };
    for (auto const& disk : disks_of(after)) {
        std::string const dataset = string_of(disk, "zfs_filesystem");
        if (dataset.empty() || bool_of(disk, "nocreate") || string_of(disk, "media") == "cdrom") {
            continue;
        }
        int64_t old_mib = 0;
        for (auto const& old_disk : disks_of(before)) {
            if (string_of(old_disk, "path") == string_of(disk, "path")) {
                old_mib = integer_of(old_disk, "size");
            }
        }
        int64_t const new_mib = integer_of(disk, "size");
        if (old_mib <= 0 || new_mib <= 0 || old_mib == new_mib) {
            continue; // a new disk (provisioned elsewhere) or no change
        }
        auto resize = [&]() -> Result<void> {
            TRY_ASSIGN(old_bytes, size_in_bytes(old_mib, MIB, "disks.*.size"));
            TRY_ASSIGN(new_bytes, size_in_bytes(new_mib, MIB, "disks.*.size"));
            TRY_ASSIGN(pool, open_pool_of(dataset));
            TRY_ASSIGN(exists, pool->exists(dataset));
            if (!exists) {
                return {};
            }
            // Put back on failure too: a resize reported failed may have happened.
            resized.emplace_back(dataset, old_bytes, new_bytes);
            return pool->resize_volume(dataset, new_bytes);
        }();
        if (!resize) {
            put_back();
            return tl::unexpected(
                std::move(resize.error()).with_context("cannot resize " + dataset));
        }
    }
    return {};
}

Result<void> VmDatasets::quota_fits(Json const& vm, int64_t quota_gib) const
{
    if (quota_gib <= 0) {
        return {};
    }
    TRY_ASSIGN(quota_bytes, size_in_bytes(quota_gib, GIB, "quota"));
    TRY_ASSIGN(pool, open_pool_of(root_dataset(vm)));
    if (!pool->enforces_quotas()) {
        return {};
    }
    struct statvfs st { };
    if (::statvfs(pool->mountpoint().c_str(), &st) != 0) {
        return {}; // size unknown: zfs or btrfs still enforce the quota itself
    }
    auto const pool_bytes = checked_mul(st.f_blocks, st.f_frsize);
    if (!pool_bytes || quota_bytes <= *pool_bytes) {
        return {};
    }
    return make_error(ErrorCode::InvalidArgument,
        "Invalid value for quota: " + std::to_string(quota_gib) + " GiB is larger than pool "
            + pool->name() + " (" + std::to_string(*pool_bytes) + " bytes)");
}

Result<void> VmDatasets::set_quota(Json const& vm, int64_t quota_gib) const
{
    std::string const root = root_dataset(vm);
    TRY_ASSIGN(pool, open_pool_of(root));
    TRY_ASSIGN(exists, pool->exists(root));
    if (!exists) {
        return {}; // a VM made before storage was managed: only the record changes
    }
    std::optional<uint64_t> bytes;
    if (quota_gib > 0) {
        TRY_ASSIGN(quota_bytes, size_in_bytes(quota_gib, GIB, "quota"));
        bytes = quota_bytes;
    }
    return pool->set_quota(root, bytes);
}

Result<void> VmDatasets::set_indestructible(Json const& vm, bool delegated, bool on) const
{
    std::string const root = root_dataset(vm);
    std::string const dataset = delegated ? root + "/data" : root;
    std::string const snapshot = dataset + "@indestructible";
    TRY_ASSIGN(pool, open_pool_of(root));
    TRY_ASSIGN(dataset_exists, pool->exists(dataset));
    if (!dataset_exists) {
        return {}; // nothing to protect: the record's flag is all there is
    }
    TRY_ASSIGN(snapshot_exists, pool->exists(snapshot));
    if (on) {
        if (!snapshot_exists) {
            TRY(pool->snapshot(snapshot));
        }
        TRY_ASSIGN(info, pool->info(snapshot));
        if (std::find(info.holds.begin(), info.holds.end(), HOLD_TAG) == info.holds.end()) {
            if (auto held = pool->hold(snapshot, HOLD_TAG); !held) {
                if (!snapshot_exists) {
                    // A hold the backend placed before its failure was reported would keep
                    // the snapshot (and so the dataset) from ever being destroyed.
                    (void)pool->release(snapshot, HOLD_TAG);
                    (void)pool->destroy(snapshot, pools::Recursive::No);
                }
                return held;
            }
        }
        return {};
    }
    if (!snapshot_exists) {
        return {};
    }
    TRY_ASSIGN(info, pool->info(snapshot));
    if (std::find(info.holds.begin(), info.holds.end(), HOLD_TAG) != info.holds.end()) {
        TRY(pool->release(snapshot, HOLD_TAG));
    }
    return pool->destroy(snapshot, pools::Recursive::No);
}

Result<VmDatasets::DatasetView> VmDatasets::dataset_view(Json const& vm) const
{
    std::string const root = root_dataset(vm);
    std::string const data = root + "/data";
    TRY_ASSIGN(pool, open_pool_of(root));
    TRY_ASSIGN(datasets, pool->list(root));
    DatasetView view;
    auto held = [](pools::DatasetInfo const& info) {
        return std::find(info.holds.begin(), info.holds.end(), HOLD_TAG) != info.holds.end();
    };
    std::optional<bool> root_held;
    std::optional<bool> data_held;
    std::vector<pools::DatasetInfo const*> snapshots;
    std::string const vmsnap = root + "@vmsnap-";
    for (auto const& info : datasets) {
        if (info.name == root) {
            view.zoneroot_held = view.zoneroot_held.value_or(false);
        } else if (info.name == data) {
            view.delegated_held = view.delegated_held.value_or(false);
        } else if (info.name == root + "@indestructible") {
            root_held = held(info);
        } else if (info.name == data + "@indestructible") {
            data_held = held(info);
        } else if (info.type == pools::DatasetType::Snapshot && info.name.starts_with(vmsnap)
            && info.name.size() > vmsnap.size()) {
            snapshots.push_back(&info);
        }
    }
    if (view.zoneroot_held && root_held) {
        view.zoneroot_held = *root_held;
    }
    if (view.delegated_held && data_held) {
        view.delegated_held = *data_held;
    }
    // Newest first, as VM.js sorts by creation (ties: the later name first).
    std::sort(snapshots.begin(), snapshots.end(), [](auto const* a, auto const* b) {
        return a->creation != b->creation ? a->creation > b->creation : a->name > b->name;
    });
    for (auto const* info : snapshots) {
        view.snapshots.push_back(Json { { "name", info->name.substr(vmsnap.size()) },
            { "size", mib_of(info->used_bytes) },
            { "created_at", iso_timestamp(info->creation * 1000) } });
    }
    return view;
}

} // namespace lumos::vm
