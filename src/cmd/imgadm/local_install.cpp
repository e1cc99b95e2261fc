// SPDX-License-Identifier: MPL-2.0
// imgadm install, delete/destroy, vacuum and update (reference section 4.2): the commands that
// change the local image store.
#include "base/file.hpp"
#include "base/json.hpp"
#include "base/time.hpp"
#include "base/uuid.hpp"
#include "cmd/imgadm/cli.hpp"
#include "image/imgapi_client.hpp"
#include "image/manifest.hpp"
#include "image/orphans.hpp"
#include "image/source_search.hpp"

#include <algorithm>
#include <istream>
#include <iterator>
#include <map>
#include <optional>
#include <ostream>
#include <set>

#include <sys/stat.h>

namespace lumos::imgadm {

namespace {

// Options of one subcommand: flags ("n" for -n) and options taking a value ("m" for -m <v>),
// with long aliases ("--dry-run" -> 'n').
struct OptionSpec {
    std::string flags;
    std::string valued;
    std::map<std::string, char> long_names;
};

struct Parsed {
    std::set<char> flags;
    std::map<char, std::string> values;
    Args positional;
};

image::ImgResult<Parsed> parse_options(Args const& args, OptionSpec const& spec)
{
    Parsed parsed;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& arg = args[i];
        if (arg == "--") {
            parsed.positional.insert(parsed.positional.end(),
                args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
            break;
        }
        if (arg.rfind("--", 0) == 0) {
            auto it = spec.long_names.find(arg.substr(2));
            if (it == spec.long_names.end()) {
                return image::img_error(
                    image::ImgCode::UnknownOption, "unknown option: \"" + arg + "\"");
            }
            parsed.flags.insert(it->second);
            continue;
        }
        if (arg.size() < 2 || arg[0] != '-') {
            parsed.positional.push_back(arg);
            continue;
        }
        for (size_t j = 1; j < arg.size(); ++j) {
            char const c = arg[j];
            if (spec.valued.find(c) != std::string::npos) {
                std::string value;
                if (j + 1 < arg.size()) {
                    value = arg.substr(j + 1);
                } else if (i + 1 < args.size()) {
                    value = args[++i];
                } else {
                    return image::img_error(image::ImgCode::Usage,
                        "do not have enough args for \"-" + std::string(1, c) + "\" option");
                }
                parsed.values[c] = value;
                break;
            }
            if (spec.flags.find(c) == std::string::npos) {
                return image::img_error(image::ImgCode::UnknownOption,
                    "unknown option: \"-" + std::string(1, c) + "\"");
            }
            parsed.flags.insert(c);
        }
    }
    return parsed;
}

std::string text_field(Json const& manifest, char const* key)
{
    auto it = manifest.find(key);
    return it != manifest.end() && it->is_string() ? it->get<std::string>() : "";
}

// "<uuid> (<name>@<version>)"
std::string describe(Json const& manifest, std::string const& uuid)
{
    return uuid + " (" + text_field(manifest, "name") + "@" + text_field(manifest, "version") + ")";
}

bool file_exists(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

std::string pool_option(Parsed const& parsed)
{
    auto it = parsed.values.find('P');
    return it == parsed.values.end() ? std::string("zones") : it->second;
}

std::string joined(Args const& args)
{
    std::string out;
    for (auto const& arg : args) {
        out += (out.empty() ? "" : " ") + arg;
    }
    return out;
}

} // namespace

void sweep_image_orphans(Context const& context, std::ostream* report, bool dry_run)
{
    for (auto const& orphan : image::find_image_orphans(context.paths, context.pools)) {
        if (!dry_run) {
            auto removed = image::remove_image_orphan(context.paths, context.pools, orphan);
            if (!removed || !*removed) {
                continue; // in use again, or it cannot go now: the next command retries
            }
        }
        if (report != nullptr) {
            *report << (dry_run ? "[dry-run] Removed " : "Removed ") << orphan.describe() << "\n";
        }
    }
}

image::ImgResult<int> cmd_install(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_options(args, { "q", "mfP", { { "quiet", 'q' } } }));
    if (!parsed.positional.empty()) {
        return image::img_error(
            image::ImgCode::Usage, "unexpected args: " + joined(parsed.positional));
    }
    if (!parsed.values.contains('m')) {
        return image::img_error(image::ImgCode::Usage, "must specify -m <manifest>");
    }
    if (!parsed.values.contains('f')) {
        return image::img_error(image::ImgCode::Usage, "must specify -f <file>");
    }
    std::string const manifest_path = parsed.values['m'];
    std::string const file_path = parsed.values['f'];
    std::string const pool = pool_option(parsed);
    sweep_image_orphans(context, nullptr, false);
    if (!file_exists(manifest_path)) {
        return image::img_error(
            image::ImgCode::Usage, "manifest path does not exist: \"" + manifest_path + "\"");
    }
    if (!file_exists(file_path)) {
        return image::img_error(
            image::ImgCode::Usage, "file path does not exist: \"" + file_path + "\"");
    }
    auto text = read_file(manifest_path);
    if (!text) {
        return image::img_error(
            image::ImgCode::InvalidManifest, "manifest is invalid: " + text.error().message());
    }
    auto json = parse_json(*text);
    if (!json) {
        return image::img_error(
            image::ImgCode::InvalidManifest, "manifest is invalid: " + json.error().message());
    }
    if (!json->is_object()) {
        return image::img_error(
            image::ImgCode::InvalidManifest, "manifest is invalid: not an object");
    }
    Json manifest = image::upgrade_manifest(std::move(*json));
    TRY(image::validate_manifest_minimal(manifest));
    if (!manifest.contains("published_at")) {
        manifest["published_at"] = iso_timestamp(now_ms());
    }
    std::string const uuid = text_field(manifest, "uuid");
    if (context.store.is_installed(pool, uuid)) {
        io.out << "Image " << describe(manifest, uuid) << " is already installed, skipping\n";
        return 0;
    }
    io.out << "Installing image " << describe(manifest, uuid) << "\n";
    io.out.flush();
    image::ImageStore::InstallRequest request;
    request.manifest = manifest;
    request.file_path = file_path;
    request.pool = pool;
    TRY(context.store.install(request));
    io.out << "Installed image " << describe(manifest, uuid) << "\n";
    return 0;
}

image::ImgResult<int> cmd_delete(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_options(args, { "", "P", {} }));
    if (parsed.positional.size() != 1) {
        return image::img_error(image::ImgCode::Usage,
            "incorrect number of args (" + std::to_string(parsed.positional.size()) + "): \""
                + joined(parsed.positional) + "\"");
    }
    std::string const uuid = parsed.positional[0];
    TRY(check_uuid(uuid));
    TRY(context.store.remove(pool_option(parsed), uuid));
    io.out << "Deleted image " << uuid << "\n";
    return 0;
}

image::ImgResult<int> cmd_vacuum(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_options(args, { "nf", "", { { "dry-run", 'n' }, { "force", 'f' } } }));
    if (!parsed.positional.empty()) {
        return image::img_error(
            image::ImgCode::Usage, "too many args: " + joined(parsed.positional));
    }
    bool const dry_run = parsed.flags.contains('n');
    bool const force = parsed.flags.contains('f');
    sweep_image_orphans(context, &io.out, dry_run);
    TRY_ASSIGN(images, context.store.list());
    std::vector<image::ImageInfo> unused;
    for (auto& info : images) {
        if (info.clone_names.empty()) {
            unused.push_back(std::move(info));
        }
    }
    if (unused.empty()) {
        io.out << "There are no unused images to delete.\n";
        return 0;
    }
    auto name_of = [](image::ImageInfo const& info) {
        return describe(info.manifest, text_field(info.manifest, "uuid"));
    };
    if (!force && !dry_run) {
        io.out << "This will delete the following images:\n";
        for (auto const& info : unused) {
            io.out << "    " << name_of(info) << "\n";
        }
        io.out << "Would you like to continue? [y/N] ";
        io.out.flush();
        std::string answer;
        std::getline(io.in, answer);
        if (answer != "y" && answer != "Y" && answer != "yes") {
            io.out << "Aborting\n";
            return 0;
        }
    }
    std::vector<image::ImgError> errors;
    for (auto const& info : unused) {
        std::string const uuid = text_field(info.manifest, "uuid");
        if (dry_run) {
            io.out << "[dry-run] Deleted image " << name_of(info) << "\n";
            continue;
        }
        auto removed = context.store.remove(info.zpool, uuid);
        if (!removed) {
            errors.push_back(removed.error());
            continue;
        }
        io.out << "Deleted image " << name_of(info) << "\n";
    }
    if (!errors.empty()) {
        return tl::unexpected(image::multi_error(std::move(errors)));
    }
    return 0;
}

namespace {

// An installed image as imgadm update sees it (listImages): <pool>/<uuid> datasets that are
// not zone roots or clones without their own @final, whether or not they have @final.
struct UpdateCandidate {
    std::string pool;
    std::string uuid;
    bool has_final { false };
};

// Field names that differ between two manifests, as common.diffManifestFields: changed or
// added in `to`, then those only in `from`.
std::vector<std::string> manifest_diffs(Json const& from, Json const& to)
{
    std::vector<std::string> diffs;
    for (auto const& [field, value] : to.items()) {
        if (!from.contains(field) || from.at(field) != value) {
            diffs.push_back(field);
        }
    }
    for (auto const& [field, value] : from.items()) {
        if (!to.contains(field)) {
            diffs.push_back(field);
        }
    }
    return diffs;
}

std::string joined_with(std::vector<std::string> const& items, std::string const& separator)
{
    std::string text;
    for (auto const& item : items) {
        text += (text.empty() ? "" : separator) + item;
    }
    return text;
}

} // namespace

// imgadm update (imgadm.js updateImages): for each installed image, the manifest of the first
// source that has it (active) replaces the cached one ("Added manifest info ..." when there was
// none, "Updated N manifest fields ..." when it differs), and an image without @final gets one.
// An image no source has is skipped with a warning. -n prints what would change.
image::ImgResult<int> cmd_update(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_options(args, { "n", "", { { "dry-run", 'n' } } }));
    bool const dry_run = parsed.flags.contains('n');
    for (auto const& arg : parsed.positional) {
        TRY(check_uuid(arg));
    }
    std::vector<UpdateCandidate> candidates;
    for (auto const& pool_name : context.pools.names()) {
        auto opened = context.pools.open(pool_name);
        if (!opened) {
            continue;
        }
        TRY_ASSIGN(datasets, (*opened)->list());
        std::set<std::string> finals;
        for (auto const& dataset : datasets) {
            if (dataset.type == pools::DatasetType::Snapshot) {
                finals.insert(dataset.name);
            }
        }
        std::string const prefix = pool_name + "/";
        for (auto const& dataset : datasets) {
            if (dataset.type == pools::DatasetType::Snapshot
                || dataset.name.rfind(prefix, 0) != 0) {
                continue;
            }
            std::string const uuid = dataset.name.substr(prefix.size());
            if (!is_uuid(uuid) || file_exists(context.paths.vm_config(uuid))) {
                continue; // not an image, or a zone root
            }
            auto ignore = dataset.user_properties.find("imgadm:ignore");
            if (ignore != dataset.user_properties.end() && ignore->second == "true") {
                continue;
            }
            bool const has_final = finals.contains(dataset.name + "@final");
            if (!has_final && dataset.origin) {
                continue; // a clone without its own @final: a VM's dataset
            }
            candidates.push_back({ pool_name, uuid, has_final });
        }
    }
    if (!parsed.positional.empty()) {
        std::vector<UpdateCandidate> chosen;
        std::vector<std::string> missing;
        for (auto const& uuid : parsed.positional) {
            auto it = std::find_if(candidates.begin(), candidates.end(),
                [&](UpdateCandidate const& c) { return c.uuid == uuid; });
            if (it == candidates.end()) {
                missing.push_back(uuid);
            } else {
                chosen.push_back(*it);
            }
        }
        if (!missing.empty()) {
            return image::img_error(image::ImgCode::Usage,
                "no install image with the given UUID(s): " + joined_with(missing, ", "));
        }
        candidates = std::move(chosen);
    }

    TRY_ASSIGN(sources, context.sources.load());
    std::vector<image::ImgError> errors;
    for (auto const& candidate : candidates) {
        std::string const& uuid = candidate.uuid;
        std::optional<Json> remote;
        std::string remote_url;
        auto search = image::find_image_in_sources(
            sources, uuid, image::SourceKinds::AllButDocker, [](Json const& got) {
                return got.is_object() && string_or(got, "state", "active") == "active";
            });
        std::move(search.errors.begin(), search.errors.end(), std::back_inserter(errors));
        if (search.hit) {
            remote = image::upgrade_manifest(std::move(search.hit->manifest));
            remote_url = search.hit->source.url;
        }
        if (!remote) {
            io.out << "warning: Could not find image " << uuid << " in image sources (skipping)\n";
            continue;
        }

        Json local = Json::object();
        if (auto text = read_file(context.paths.image_manifest(candidate.pool, uuid))) {
            auto cached = parse_json(*text);
            if (cached && cached->is_object() && cached->contains("manifest")
                && (*cached)["manifest"].is_object()) {
                local = (*cached)["manifest"];
            }
        }
        std::string message;
        if (!local.contains("name")) {
            message = "Added manifest info for image " + uuid + " from \"" + remote_url + "\"";
        } else if (auto diffs = manifest_diffs(local, *remote); !diffs.empty()) {
            message = "Updated " + std::to_string(diffs.size()) + " manifest field"
                + (diffs.size() == 1 ? "" : "s") + " for image " + uuid + " from \"" + remote_url
                + "\": " + joined_with(diffs, ", ");
        }
        if (!message.empty()) {
            if (!dry_run) {
                auto cached = context.store.cache_manifest(candidate.pool, *remote, remote_url);
                if (!cached) {
                    errors.push_back(cached.error());
                    continue;
                }
            }
            io.out << message << "\n";
        }
        if (!candidate.has_final) {
            std::string const final_name = candidate.pool + "/" + uuid + "@final";
            if (dry_run) {
                io.out << "[dry-run] Create @final snapshot for image " << uuid << "\n";
                continue;
            }
            auto opened = context.pools.open(candidate.pool);
            auto snapshot = opened ? (*opened)->snapshot(final_name)
                                   : Result<void>(tl::unexpected(opened.error()));
            if (!snapshot) {
                errors.emplace_back(snapshot.error());
                continue;
            }
            io.out << "Created @final snapshot for image " << uuid << "\n";
        }
    }
    if (errors.size() == 1) {
        return tl::unexpected(errors.front());
    }
    if (!errors.empty()) {
        return tl::unexpected(image::multi_error(std::move(errors)));
    }
    return 0;
}

} // namespace lumos::imgadm
