// SPDX-License-Identifier: MPL-2.0
#include "props/checks/disk_checks.hpp"

#include "base/strings.hpp"
#include "props/checks/common.hpp"
#include "props/detail/json_access.hpp"

#include <optional>
#include <string>
#include <vector>

namespace lumos::props::checks {

using detail::array_member;
using detail::has;
using detail::invalid;
using detail::json_bool;
using detail::json_number;
using detail::string_member;
using detail::stringify;

namespace {

std::string disk_models(Brand brand)
{
    std::string result;
    for (auto const model : features(brand).disk_models) {
        if (model.empty()) {
            continue;
        }
        if (!result.empty()) {
            result += ",";
        }
        result += model;
    }
    return result;
}

Result<void> check_disk_model(Json const& disk, Brand brand)
{
    std::string const model = js_string(disk["model"]);
    auto const& models = features(brand).disk_models;
    if (model.empty() || std::find(models.begin(), models.end(), model) == models.end()) {
        return invalid("\"" + model + "\" is not a valid disk model for "
            + std::string(brand_name(brand)) + " brand. Valid are: " + disk_models(brand));
    }
    return {};
}

} // namespace

Result<void> check_disks(Json const& payload, Brand brand)
{
    for (auto const& disk : array_member(payload, "add_disks")) {
        // A path is only allowed for cdroms and for disks that name an existing volume.
        bool const nocreate = has(disk, "nocreate") && json_bool(disk["nocreate"]).value_or(false);
        if (disk.contains("path") && detail::member_or_null(disk, "media") != "cdrom"
            && !nocreate) {
            return invalid("you cannot specify a path for a disk unless you set nocreate=true");
        }
        if (disk.contains("block_size")) {
            auto const size = json_number(disk["block_size"]);
            if (!size || !detail::valid_record_size(*size)) {
                return invalid("invalid .block_size(" + js_string(disk["block_size"])
                    + "), must be 512-131072 and a power of 2.");
            }
            if (disk.contains("image_uuid")) {
                return invalid("setting both .block_size and .image_uuid on a volume is invalid");
            }
        }
        if (disk.contains("compression") && !detail::valid_compression(disk["compression"])) {
            return invalid("invalid compression setting for disk, must be one of: "
                + detail::compression_list(", "));
        }
        if (!disk.contains("model") || disk["model"] == "undefined") {
            return invalid("missing .model option for disk: " + stringify(disk));
        }
        TRY(check_disk_model(disk, brand));
    }
    for (auto const& disk : array_member(payload, "update_disks")) {
        if (detail::member_or_null(disk, "refreservation") == "auto") {
            return invalid("cannot change refreservation to auto on existing disk");
        }
        if (disk.contains("compression") && !detail::valid_compression(disk["compression"])) {
            return invalid("invalid compression type for disk, must be one of: "
                + detail::compression_list(", "));
        }
        if (disk.contains("block_size")) {
            return invalid("cannot change .block_size for a disk after creation");
        }
        if (disk.contains("model")) {
            TRY(check_disk_model(disk, brand));
        }
    }
    return {};
}

Result<void> check_disk_uuids(Json const& payload, Json const& vm, Brand brand)
{
    if (brand != Brand::Bhyve) {
        return {};
    }
    std::vector<std::string> uuids;
    for (auto const& disk : array_member(vm, "disks")) {
        if (auto uuid = string_member(disk, "uuid")) {
            uuids.push_back(*uuid);
        }
    }
    for (auto const& disk : array_member(payload, "add_disks")) {
        if (!has(disk, "uuid")) {
            continue;
        }
        std::string const uuid = js_string(disk["uuid"]);
        if (contains(uuids, uuid)) {
            return invalid("duplicate disk uuid " + uuid);
        }
        uuids.push_back(uuid);
    }
    return {};
}

// resizeDisks: a disk given a smaller size is refused unless dangerous_allow_shrink is set.
Result<void> check_disk_resizes(Json const& payload, Json const& vm)
{
    for (auto const& update : array_member(payload, "update_disks")) {
        if (!has(update, "size") || !has(update, "path")) {
            continue;
        }
        bool const allow_shrink
            = has(update, "dangerous_allow_shrink") && js_truthy(update["dangerous_allow_shrink"]);
        for (auto const& disk : array_member(vm, "disks")) {
            if (!has(disk, "path") || disk["path"] != update["path"] || !has(disk, "size")) {
                continue;
            }
            auto const old_size = json_number(disk["size"]);
            auto const new_size = json_number(update["size"]);
            if (old_size && new_size && *old_size > *new_size && !allow_shrink) {
                return invalid("cannot resize disk: new size must be greater than current size. ("
                    + js_string(disk["size"]) + " > " + js_string(update["size"]) + ")");
            }
        }
    }
    return {};
}

} // namespace lumos::props::checks
