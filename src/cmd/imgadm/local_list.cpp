// SPDX-License-Identifier: MPL-2.0
// imgadm list, get/info and ancestry (reference sections 4.2, 4.3): read-only views of the
// installed images.
#include "base/json.hpp"
#include "cmd/imgadm/cli.hpp"

#include <algorithm>
#include <ostream>

namespace lumos::imgadm {

namespace {

image::ImgError usage_error(std::string message)
{
    return image::ImgError { image::ImgCode::UsageError, std::move(message), 1 };
}

std::string joined(Args const& args)
{
    std::string out;
    for (std::string const& arg : args) {
        out += (out.empty() ? "" : " ") + arg;
    }
    return out;
}

// imgadm's "incorrect number of args (N): "<args>"" for commands taking one uuid.
image::ImgResult<std::string> single_uuid(Args const& positional)
{
    if (positional.size() != 1) {
        return tl::unexpected(usage_error("incorrect number of args ("
            + std::to_string(positional.size()) + "): \"" + joined(positional) + "\""));
    }
    TRY(check_uuid(positional[0]));
    return positional[0];
}

// The list row: the manifest's fields and the computed ones (section 4.3).
Json image_row(image::ImageInfo const& info)
{
    Json row = info.manifest.is_object() ? info.manifest : Json::object();
    if (auto it = row.find("published_at"); it != row.end() && it->is_string()) {
        std::string published_at = it->get<std::string>();
        row["published_date"] = published_at.substr(0, 10);
        row["pub"] = published_at.substr(0, 10);
        // "...:45.805Z" -> "...:45Z" (by hand: std::regex recurses per character).
        size_t const dot = published_at.rfind('.');
        if (published_at.ends_with('Z') && dot != std::string::npos && dot + 2 < published_at.size()
            && published_at.find_first_not_of("0123456789", dot + 1) == published_at.size() - 1) {
            published_at = published_at.substr(0, dot) + "Z";
        }
        row["published"] = published_at;
    }
    if (!info.source.empty()) {
        row["source"] = info.source;
    }
    row["clones"] = info.clone_names.size();
    row["zpool"] = info.zpool;
    if (auto files = row.find("files"); files != row.end() && files->is_array() && !files->empty()
        && (*files)[0].is_object() && (*files)[0].contains("size")) {
        row["size"] = (*files)[0]["size"];
    }
    return row;
}

// `list --docker`: docker images that are no other image's origin, one row per tag
// (tags "docker:repo" and "docker:tag:<tag>": true, as imgadm's docker source writes them).
image::ImgResult<int> list_docker(
    std::vector<image::ImageInfo> const& images, TableOptions options, Io& io)
{
    std::vector<std::string> origins;
    for (auto const& info : images) {
        std::string origin = string_or(info.manifest, "origin");
        if (!origin.empty()) {
            origins.push_back(origin);
        }
    }
    std::vector<Json> rows;
    std::vector<Json> objects;
    for (auto const& info : images) {
        if (string_or(info.manifest, "type") != "docker") {
            continue;
        }
        std::string uuid = string_or(info.manifest, "uuid");
        if (std::find(origins.begin(), origins.end(), uuid) != origins.end()) {
            continue;
        }
        Json const tags = info.manifest.is_object() ? info.manifest.value("tags", Json::object())
                                                    : Json::object();
        std::string docker_id = string_or(tags, "docker:id");
        std::vector<std::string> tag_names;
        if (tags.is_object()) {
            for (auto const& [key, value] : tags.items()) {
                if (key.rfind("docker:tag:", 0) == 0 && js_truthy(value)) {
                    tag_names.push_back(key.substr(11));
                }
            }
        }
        if (tag_names.empty()) {
            tag_names.emplace_back("<none>");
        }
        for (auto const& tag : tag_names) {
            Json row = image_row(info);
            row["repository"] = string_or(tags, "docker:repo");
            row["tag"] = tag;
            row["image_id"] = docker_id.substr(0, std::min<size_t>(docker_id.size(), 12));
            row["created"] = row.value("published", Json());
            rows.push_back(std::move(row));
            objects.push_back(info.to_json(true));
        }
    }
    if (options.columns
        == std::vector<std::string> { "uuid", "name", "version", "os", "type", "pub" }) {
        options.columns = { "uuid", "repository", "tag", "image_id", "created" };
    }
    TRY(print_table(std::move(rows), std::move(objects), options, io));
    return 0;
}

struct PoolUuidArgs {
    std::string pool { "zones" };
    bool recursive { false };
    bool json { false };
    bool no_header { false };
    std::string columns;
    Args positional;
};

// Options of get and ancestry: -P <pool>, -r (get), -j -H -o (ancestry).
image::ImgResult<PoolUuidArgs> parse_pool_uuid_args(Args const& args, std::string const& allowed)
{
    PoolUuidArgs parsed;
    bool options_done = false;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& arg = args[i];
        if (options_done || arg.size() < 2 || arg[0] != '-') {
            parsed.positional.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        if (arg == "--json" && allowed.find('j') != std::string::npos) {
            parsed.json = true;
            continue;
        }
        if (arg[1] == '-') {
            return tl::unexpected(usage_error("unknown option: \"" + arg + "\""));
        }
        for (size_t k = 1; k < arg.size(); ++k) {
            char flag = arg[k];
            if (allowed.find(flag) == std::string::npos) {
                return tl::unexpected(
                    usage_error("unknown option: \"-" + std::string(1, flag) + "\""));
            }
            if (flag == 'P' || flag == 'o') {
                std::string value = arg.substr(k + 1);
                if (value.empty()) {
                    if (i + 1 >= args.size()) {
                        return tl::unexpected(usage_error("do not have enough args for \"-"
                            + std::string(1, flag) + "\" option"));
                    }
                    value = args[++i];
                }
                (flag == 'P' ? parsed.pool : parsed.columns) = value;
                break;
            }
            if (flag == 'r') {
                parsed.recursive = true;
            } else if (flag == 'j') {
                parsed.json = true;
            } else if (flag == 'H') {
                parsed.no_header = true;
            }
        }
    }
    return parsed;
}

} // namespace

image::ImgResult<int> cmd_list(Args const& args, Io& io, Context& context)
{
    Args table_args;
    bool docker = false;
    for (std::string const& arg : args) {
        if (arg == "--docker") {
            docker = true;
        } else {
            table_args.push_back(arg);
        }
    }
    TRY_ASSIGN(options, parse_table_args(table_args, "uuid,name,version,os,type,pub"));
    TRY_ASSIGN(images, context.store.list());
    if (docker) {
        return list_docker(images, std::move(options), io);
    }
    std::vector<Json> rows;
    std::vector<Json> objects;
    rows.reserve(images.size());
    objects.reserve(images.size());
    for (auto const& info : images) {
        rows.push_back(image_row(info));
        objects.push_back(info.to_json(true));
    }
    TRY(print_table(std::move(rows), std::move(objects), options, io));
    return 0;
}

image::ImgResult<int> cmd_get(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_pool_uuid_args(args, "Pr"));
    TRY_ASSIGN(uuid, single_uuid(parsed.positional));
    TRY_ASSIGN(info, context.store.get(parsed.pool, uuid));
    Json out = info.to_json(false);
    if (parsed.recursive) {
        Json snapshots = Json::array();
        std::string const dataset = parsed.pool + "/" + uuid;
        auto pool = context.pools.open(parsed.pool);
        if (pool) {
            TRY_ASSIGN(datasets, (*pool)->list(dataset));
            for (auto const& entry : datasets) {
                if (entry.type == pools::DatasetType::Snapshot
                    && entry.name.rfind(dataset + "@", 0) == 0) {
                    snapshots.push_back(entry.name);
                }
            }
        }
        out["children"] = Json { { "snapshots", snapshots }, { "clones", info.clone_names } };
    }
    io.out << dump_pretty(out) << "\n";
    return 0;
}

image::ImgResult<int> cmd_ancestry(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_pool_uuid_args(args, "jHoP"));
    TRY_ASSIGN(uuid, single_uuid(parsed.positional));
    TRY_ASSIGN(chain, context.store.ancestry(parsed.pool, uuid));
    TableOptions options;
    std::string columns = parsed.columns.empty() ? "uuid,name,version,published" : parsed.columns;
    size_t start = 0;
    while (start <= columns.size()) {
        size_t comma = std::min(columns.find(',', start), columns.size());
        if (comma > start) {
            options.columns.push_back(columns.substr(start, comma - start));
        }
        start = comma + 1;
    }
    options.json = parsed.json;
    options.no_header = parsed.no_header;
    std::vector<Json> rows;
    std::vector<Json> objects;
    for (auto const& info : chain) {
        rows.push_back(image_row(info));
        objects.push_back(info.to_json(false));
    }
    // The chain's order (image first, then each origin) is the output order: no sort.
    TRY(print_table(std::move(rows), std::move(objects), options, io));
    return 0;
}

} // namespace lumos::imgadm
