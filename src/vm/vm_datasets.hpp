// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/json.hpp"
#include "base/result.hpp"
#include "pools/pool.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace lumos::vm {

// The datasets of a VM on the host's pools, named as SmartOS names them (reference 7.1):
//
//   <pool>/<zonename>               zone root: a clone of <pool>/<image>@final with quota (OS
//                                   brands, kvm with image_uuid), else a plain filesystem
//   <pool>/<zonename>/data          delegated dataset (delegate_dataset)
//   <pool>/cores/<uuid>             cores, quota 100 GiB (kvm with ram > 80 GiB: ram + 20 GiB)
//   <pool>/<uuid>-disk<N>           kvm disks (volumes); bhyve: <pool>/<uuid>/disk<N>
//   <root>@indestructible           held "do_not_destroy" while indestructible_* is set (7.4)
//
// Every operation here either completes or leaves the pools as they were: provision() destroys,
// in reverse order, whatever it made before a failure.
class VmDatasets {
public:
    explicit VmDatasets(pools::PoolRegistry const& pools)
        : m_pools(pools)
    {
    }

    // Makes every dataset of a freshly prepared VM (vmadm create) and, for OS brands, the
    // directories the joyent install hook makes (config, root/tmp, root/var/svc), without
    // following symbolic links that came with the image. On failure nothing is left behind.
    Result<void> provision(Json const& vm) const;

    // Destroys the VM's datasets (zone root with its children and snapshots, kvm disks, cores).
    // Datasets already gone are fine, so a delete that was killed half-way can be run again.
    Result<void> destroy(Json const& vm) const;

    // Datasets that a killed `vmadm create` of uuid left without a record: <pool>/<uuid> (not an
    // installed image, which has @final), <pool>/<uuid>-disk<N>, <pool>/cores/<uuid>, on every
    // pool. Only meaningful while the caller holds the create lock and uuid has no record: no
    // create of it can be running then.
    Result<std::vector<std::string>> leftovers(std::string const& uuid) const;
    // Destroys them (recursively), so that the uuid can be used again.
    Result<void> remove_leftovers(std::string const& uuid) const;

    // update_disks sizes (MiB) reach the volumes: every HVM disk of `after` whose size differs
    // from the same path's in `before` is resized (grown or shrunk; whether a shrink is allowed
    // was decided by spec). A volume that does not exist (a VM made before storage was managed)
    // keeps only its recorded size. On failure every volume it resized or tried to resize is
    // put back.
    Result<void> resize_disks(Json const& before, Json const& after) const;

    // quota in GiB; 0: none. Applied live to the zone root.
    Result<void> set_quota(Json const& vm, int64_t quota_gib) const;

    // Whether the VM's quota fits its pool: an error (InvalidArgument) naming both sizes when
    // the pool enforces quotas and the quota is larger than the whole pool, as zfs refuses a
    // reservation larger than the pool. A pool that does not enforce quotas (dir) fits any.
    Result<void> quota_fits(Json const& vm, int64_t quota_gib) const;

    // indestructible_zoneroot (delegated = false) or indestructible_delegated (true): snapshot
    // "<ds>@indestructible" + hold "do_not_destroy", or release + destroy that snapshot.
    Result<void> set_indestructible(Json const& vm, bool delegated, bool on) const;

    // What `vmadm get` shows of the VM's datasets, from one listing of its zone root (the
    // dataset, its children and their snapshots; no other dataset of the pool is looked at).
    struct DatasetView {
        // indestructible_zoneroot / indestructible_delegated as SmartOS derives them (7.4):
        // whether "<ds>@indestructible" is held; nullopt when <ds> does not exist (a VM made
        // before storage was managed), and the caller keeps its record's flag.
        std::optional<bool> zoneroot_held;
        std::optional<bool> delegated_held;
        // SmartOS's `snapshots` (reference 7.4): the zone root's "vmsnap-<name>" snapshots as
        // {name, size (MiB), created_at (ISO)}, newest first.
        Json snapshots = Json::array();
    };
    Result<DatasetView> dataset_view(Json const& vm) const;

    // "<pool>/<zonename>"
    static std::string root_dataset(Json const& vm);

private:
    Result<std::unique_ptr<pools::Pool>> open_pool_of(std::string const& dataset) const;

    pools::PoolRegistry const& m_pools;
};

// Destroys "<pool>/cores" when no cores dataset is left in it (as a delete leaves the pool).
void drop_empty_cores(pools::Pool& pool);

// The names of every dataset and snapshot of pool `name`; none when the pool cannot be opened or
// listed (not mounted): it then holds nothing a create could clash with or a sweep remove.
std::set<std::string> dataset_names_or_none(
    pools::PoolRegistry const& pools, std::string const& name);

// Links $LUMOS_ROOT/dev/zvol/rdsk/<dataset> to the volume (Pool::volume_path): SmartOS's path
// of an HVM disk (disks.*.path), which users dd images into. A link already there is replaced.
Result<void> link_volume(
    pools::PoolRegistry const& pools, pools::Pool const& pool, std::string const& dataset);

// Directories below an existing directory, made one component at a time with mkdirat/openat
// (O_NOFOLLOW): a symbolic link anywhere on the way is an error, never followed. The last
// component gets `mode` (also when it existed); components made on the way get 0755.
Result<void> make_directory_below(std::string const& base, std::string const& relative, int mode);
// An empty file <base>/<relative>/<name> (directories made as above), never through a symbolic
// link; an existing file is kept.
Result<void> make_file_below(
    std::string const& base, std::string const& relative, char const* name);

} // namespace lumos::vm
