// SPDX-License-Identifier: MPL-2.0
// Image manifests (reference section 4.4): the v1 -> v2 upgrade and imgadm's minimal
// validation, field by field as imgmanifest.js validates them.
#include "image/manifest.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace lumos::image {

namespace {

// Limits of the current imgmanifest (section 4.4), looser than the older IMGAPI docs.
constexpr size_t MAX_URL_LENGTH = 1024;
constexpr size_t MAX_NAME_LENGTH = 1024;
constexpr size_t MAX_VERSION_LENGTH = 512;
constexpr size_t MAX_DESCRIPTION_LENGTH = 10240;
constexpr size_t MAX_BILLING_TAG_LENGTH = 128;
constexpr size_t MAX_TAGS_LENGTH = size_t { 100 } * 1024;

struct FieldError {
    std::string field;
    std::string code; // "MissingParameter" or "Invalid"
    std::string message; // may be empty
};

using Errors = std::vector<FieldError>;

// Character-level matchers instead of std::regex: manifests come from any image server, and
// libstdc++'s regex recurses once per character, so a multi-megabyte field overflowed the stack
// (found by manifest_fuzz).

// text has exactly shape's length; 'd' matches a digit, 'h' a lower-case hex digit, any other
// character itself.
bool matches_shape(std::string_view text, std::string_view shape)
{
    if (text.size() != shape.size()) {
        return false;
    }
    for (size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        bool const digit = c >= '0' && c <= '9';
        switch (shape[i]) {
        case 'd':
            if (!digit) {
                return false;
            }
            break;
        case 'h':
            if (!digit && !(c >= 'a' && c <= 'f')) {
                return false;
            }
            break;
        default:
            if (c != shape[i]) {
                return false;
            }
        }
    }
    return true;
}

// Non-empty, and every character alphanumeric or one of extra.
bool alnum_and(Json const& value, std::string_view extra)
{
    if (!value.is_string()) {
        return false;
    }
    auto const& text = value.get_ref<std::string const&>();
    if (text.empty()) {
        return false;
    }
    for (char const c : text) {
        bool const alnum
            = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && extra.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

bool is_uuid(Json const& value)
{
    return value.is_string()
        && matches_shape(
            value.get_ref<std::string const&>(), "hhhhhhhh-hhhh-hhhh-hhhh-hhhhhhhhhhhh");
}

// YYYY-MM-DDTHH:MM:SS(.fraction)?Z
bool is_published_at(Json const& value)
{
    if (!value.is_string()) {
        return false;
    }
    std::string_view const text = value.get_ref<std::string const&>();
    constexpr std::string_view SHAPE = "dddd-dd-ddTdd:dd:dd";
    if (text.size() < SHAPE.size() + 1 || !matches_shape(text.substr(0, SHAPE.size()), SHAPE)
        || text.back() != 'Z') {
        return false;
    }
    std::string_view const fraction = text.substr(SHAPE.size(), text.size() - SHAPE.size() - 1);
    if (fraction.empty()) {
        return true;
    }
    if (fraction.size() < 2 || fraction.front() != '.') {
        return false;
    }
    return fraction.substr(1).find_first_not_of("0123456789") == std::string_view::npos;
}

bool has_http_scheme(Json const& value)
{
    if (!value.is_string()) {
        return false;
    }
    std::string lower = value.get_ref<std::string const&>().substr(0, 8);
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return lower.starts_with("http://") || lower.starts_with("https://");
}

// boolFromString: true/false or "true"/"false".
bool is_boolish(Json const& value)
{
    return value.is_boolean()
        || (value.is_string()
            && (value.get<std::string>() == "true" || value.get<std::string>() == "false"));
}

bool is_positive_integer(Json const& value)
{
    if (value.is_number_unsigned()) {
        return value.get<uint64_t>() > 0;
    }
    if (value.is_number_integer()) {
        return value.get<int64_t>() > 0;
    }
    if (value.is_number_float()) {
        double number = value.get<double>();
        return number > 0 && std::floor(number) == number;
    }
    return false;
}

// YYYYMMDDTHHMMSSZ, year >= 2012 (validPlatformVersion).
bool is_platform_version(Json const& value)
{
    if (!value.is_string()) {
        return false;
    }
    auto const& text = value.get_ref<std::string const&>();
    if (!matches_shape(text, "ddddddddTddddddZ")) {
        return false;
    }
    auto const number
        = [&text](size_t at, size_t length) { return std::stoi(text.substr(at, length)); };
    int const year = number(0, 4);
    int const month = number(4, 2);
    int const day = number(6, 2);
    return year >= 2012 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && number(9, 2) <= 23
        && number(11, 2) <= 59 && number(13, 2) <= 59;
}

std::string quoted(Json const& value)
{
    if (value.is_string()) {
        return value.get<std::string>();
    }
    return dump_compact(value);
}

std::string string_or_empty(Json const& manifest, char const* key)
{
    auto it = manifest.find(key);
    return it != manifest.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json const* find(Json const& manifest, char const* key)
{
    auto it = manifest.find(key);
    return it == manifest.end() ? nullptr : &*it;
}

void invalid(Errors& errors, std::string field, std::string message = {})
{
    errors.push_back({ std::move(field), "Invalid", std::move(message) });
}

void validate_url(Errors& errors, Json const& manifest, char const* field, char const* label)
{
    Json const& value = manifest.at(field);
    if (!has_http_scheme(value)) {
        invalid(errors, field, std::string("invalid image ") + label + " URL protocol");
    } else if (value.get_ref<std::string const&>().size() > MAX_URL_LENGTH) {
        invalid(errors, field,
            std::string("image ") + label + " URL is too long (max "
                + std::to_string(MAX_URL_LENGTH) + " characters)");
    }
}

// nic_driver, disk_driver, cpu_type: required for zvol images, absent otherwise.
void validate_zvol_string(Errors& errors, Json const& manifest, char const* field)
{
    Json const& value = manifest.at(field);
    if (js_truthy(value) && string_or_empty(manifest, "type") != "zvol") {
        invalid(errors, field,
            std::string("invalid image ") + field + ": \"" + quoted(value)
                + "\" (cannot have a value when image type is not zvol)");
    } else if (!value.is_string()) {
        invalid(errors, field,
            std::string("invalid image ") + field + ": \"" + quoted(value)
                + "\" (must be a string)");
    }
}

void validate_requirements(Errors& errors, Json const& requirements)
{
    if (!requirements.is_object()) {
        invalid(errors, "requirements",
            "invalid image \"requirements\" (not an object): " + dump_compact(requirements));
        return;
    }
    std::optional<double> min_ram;
    std::optional<double> max_ram;
    for (auto const& [key, value] : requirements.items()) {
        std::string const field = "requirements." + key;
        if (key == "networks") {
            if (!js_truthy(value)) {
                continue;
            }
            if (!value.is_array()) {
                invalid(errors, field,
                    "invalid image \"requirements.networks\" (not an array): "
                        + dump_compact(value));
                continue;
            }
            for (Json const& network : value) {
                if (!network.is_object() || !network.contains("name")
                    || !network.contains("description") || network.size() != 2) {
                    invalid(errors, field,
                        "invalid image \"requirements.networks\" entry: " + dump_compact(network));
                }
            }
        } else if (key == "brand") {
            if (js_truthy(value) && !value.is_string()) {
                invalid(errors, field,
                    "invalid image \"requirements.brand\" (not a string): " + dump_compact(value));
            }
        } else if (key == "ssh_key") {
            if (js_truthy(value) && !value.is_boolean()) {
                invalid(errors, field,
                    "invalid image \"requirements.ssh_key\" (not a boolean): "
                        + dump_compact(value));
            }
        } else if (key == "min_ram" || key == "max_ram") {
            if (!js_truthy(value)) {
                continue;
            }
            if (!is_positive_integer(value)) {
                invalid(errors, field,
                    "invalid image \"" + field
                        + "\" (not a positive integer): " + dump_compact(value));
            } else {
                (key == "min_ram" ? min_ram : max_ram) = value.get<double>();
            }
        } else if (key == "min_platform" || key == "max_platform") {
            if (!js_truthy(value)) {
                continue;
            }
            if (!value.is_object() || value.empty()) {
                invalid(errors, field,
                    "invalid image \"" + field + "\" (not an object): " + dump_compact(value));
                continue;
            }
            for (auto const& [sdc_version, timestamp] : value.items()) {
                if (!is_platform_version(timestamp)) {
                    invalid(errors, field,
                        "invalid image \"" + field + "\" entry: \"" + sdc_version + ": "
                            + quoted(timestamp) + "\" not a valid platform version");
                }
            }
        } else if (key == "bootrom") {
            if (!value.is_string()
                || (value.get<std::string>() != "bios" && value.get<std::string>() != "uefi")) {
                invalid(errors, field,
                    "invalid image \"requirements.bootrom\" (must be \"bios\" or \"uefi\"): "
                        + dump_compact(value));
            } else if (string_or_empty(requirements, "brand") != "bhyve") {
                invalid(errors, field,
                    "invalid image \"requirements.bootrom\" (requires \"requirements.brand\" "
                    "of \"bhyve\")");
            }
        } else {
            invalid(errors, key, "unsupported requirement \"" + key + "\"");
        }
    }
    if (min_ram && max_ram && *max_ram < *min_ram) {
        invalid(errors, "requirements.max_ram",
            "min_ram must be <= max_ram, but: min_ram=" + js_string(requirements.at("min_ram"))
                + ", max_ram=" + js_string(requirements.at("max_ram")));
    }
}

// One validator per known field, called when the field is present (required fields also when
// absent, which is a MissingParameter).
void validate_field(Errors& errors, Json const& manifest, std::string const& field)
{
    Json const& value = manifest.at(field);
    std::string const state = string_or_empty(manifest, "state");
    bool const unfinished = state == "creating" || state == "failed";

    if (field == "v") {
        if (!value.is_number() || value.get<double>() < 0) {
            invalid(errors, field, "\"v\" must be a positive integer");
        }
    } else if (field == "uuid" || field == "owner" || field == "origin") {
        if (!is_uuid(value)) {
            invalid(errors, field);
        }
    } else if (field == "name") {
        if (value.is_string() && value.get_ref<std::string const&>().size() > MAX_NAME_LENGTH) {
            invalid(errors, field,
                "image name is too long, max " + std::to_string(MAX_NAME_LENGTH) + " characters");
        } else if (!alnum_and(value, "._/ -")) {
            invalid(errors, field,
                "image name has invalid characters (only alphanumeric characters and \" \", "
                "\".\", \"-\", \"_\" and \"/\" are allowed)");
        }
    } else if (field == "version") {
        if (value.is_string() && value.get_ref<std::string const&>().size() > MAX_VERSION_LENGTH) {
            invalid(errors, field,
                "image version is too long, max " + std::to_string(MAX_VERSION_LENGTH)
                    + " characters");
        } else if (!alnum_and(value, "._/+-")) {
            invalid(errors, field,
                "image version has invalid characters (only alphanumeric characters and \".\", "
                "\"-\", \"_\", \"/\" and \"+\" are allowed)");
        }
    } else if (field == "description") {
        if (!value.is_string()) {
            invalid(errors, field, "image description must be a string");
        } else if (value.get_ref<std::string const&>().size() > MAX_DESCRIPTION_LENGTH) {
            invalid(errors, field,
                "image description is too long, max " + std::to_string(MAX_DESCRIPTION_LENGTH)
                    + " characters");
        }
    } else if (field == "homepage") {
        validate_url(errors, manifest, "homepage", "homepage");
    } else if (field == "eula") {
        validate_url(errors, manifest, "eula", "EULA");
    } else if (field == "urn") {
        if (!value.is_string()) {
            invalid(errors, field, "image urn must be a string");
        }
    } else if (field == "disabled" || field == "activated" || field == "public") {
        if (!is_boolish(value)) {
            invalid(errors, field);
        }
    } else if (field == "icon" || field == "generate_passwords") {
        if (!is_boolish(value)) {
            invalid(errors, field,
                "invalid image \"" + field
                    + "\" (not an accepted boolean value): " + dump_compact(value));
        }
    } else if (field == "published_at") {
        if (js_truthy(value) && !is_published_at(value)) {
            invalid(
                errors, field, "published_at date not in \"YYYY-MM-DDTHH:MM:SS(.SSS)Z\" format");
        }
    } else if (field == "state") {
        static std::vector<std::string> const STATES { "active", "unactivated", "disabled",
            "failed", "creating" };
        if (!value.is_string()
            || std::find(STATES.begin(), STATES.end(), value.get<std::string>()) == STATES.end()) {
            invalid(errors, field);
        }
    } else if (field == "type") {
        static std::vector<std::string> const TYPES { "zone-dataset", "lx-dataset", "zvol",
            "docker", "other" };
        if (value.is_string() && value.get<std::string>() == "null") {
            if (!unfinished) {
                invalid(errors, field, "invalid image type, \"null\"");
            }
        } else if (!value.is_string()
            || std::find(TYPES.begin(), TYPES.end(), value.get<std::string>()) == TYPES.end()) {
            invalid(errors, field,
                "invalid image type, \"" + quoted(value)
                    + "\", must be one of: zone-dataset, lx-dataset, zvol, docker, other");
        }
    } else if (field == "os") {
        static std::vector<std::string> const OSES { "smartos", "linux", "windows", "bsd",
            "illumos", "other" };
        if (value.is_string() && value.get<std::string>() == "null") {
            if (!unfinished) {
                invalid(errors, field, "invalid image os, \"null\"");
            }
        } else if (!value.is_string()
            || std::find(OSES.begin(), OSES.end(), value.get<std::string>()) == OSES.end()) {
            invalid(errors, field,
                "invalid image os, \"" + quoted(value)
                    + "\", must be one of: smartos, linux, windows, bsd, illumos, other");
        }
    } else if (field == "error") {
        if (!value.is_object()) {
            invalid(
                errors, field, "invalid image \"error\" (not an object): " + dump_compact(value));
        }
    } else if (field == "files") {
        if (!value.is_array()) {
            invalid(
                errors, field, "invalid image \"files\" (not an array): " + dump_compact(value));
        } else if (value.size() > 1) {
            invalid(errors, field, "invalid image \"files\": too many files");
        } else if (value.size() == 1) {
            Json const& file = value[0];
            Json const empty = Json::object();
            Json const& object = file.is_object() ? file : empty;
            if (!js_truthy(object.value("sha1", Json()))) {
                invalid(errors, field, "invalid image \"files\": file missing \"sha1\" field");
            }
            if (!js_truthy(object.value("size", Json()))) {
                invalid(errors, field, "invalid image \"files\": file missing \"size\" field");
            }
            Json compression = object.value("compression", Json());
            static std::vector<std::string> const COMPRESSIONS { "gzip", "bzip2", "xz", "none" };
            if (!js_truthy(compression)) {
                invalid(
                    errors, field, "invalid image \"files\": file missing \"compression\" field");
            } else if (!compression.is_string()
                || std::find(
                       COMPRESSIONS.begin(), COMPRESSIONS.end(), compression.get<std::string>())
                    == COMPRESSIONS.end()) {
                invalid(errors, field,
                    "invalid image \"files\": invalid compression \"" + quoted(compression)
                        + "\" (must be one of gzip, bzip2, xz, none)");
            }
        }
    } else if (field == "acl") {
        if (!value.is_array()) {
            invalid(errors, field, "invalid image \"acl\" (not an array): " + dump_compact(value));
        } else {
            for (size_t i = 0; i < value.size(); ++i) {
                if (!is_uuid(value[i])) {
                    invalid(errors, field,
                        "invalid image \"acl\" (item " + std::to_string(i)
                            + " is not a UUID): " + quoted(value[i]));
                    break;
                }
            }
        }
    } else if (field == "requirements") {
        validate_requirements(errors, value);
    } else if (field == "users") {
        if (!value.is_array()) {
            invalid(
                errors, field, "invalid image \"users\" (not an array): " + dump_compact(value));
        } else {
            for (Json const& user : value) {
                if (!user.is_object() || !user.contains("name") || user.size() != 1) {
                    invalid(errors, field, "invalid image \"users\" entry: " + dump_compact(user));
                }
            }
        }
    } else if (field == "billing_tags") {
        if (!value.is_array()) {
            invalid(errors, field,
                "invalid image \"billing_tags\" (not an array): " + dump_compact(value));
        } else {
            for (Json const& tag : value) {
                if (!tag.is_string()
                    || tag.get_ref<std::string const&>().size() > MAX_BILLING_TAG_LENGTH) {
                    invalid(errors, field, "invalid image \"billing_tags\" entry: " + quoted(tag));
                }
            }
        }
    } else if (field == "traits") {
        if (!value.is_object()) {
            invalid(
                errors, field, "invalid image \"traits\" (not an object): " + dump_compact(value));
        } else {
            for (auto const& [key, trait] : value.items()) {
                if (!trait.is_string() && !trait.is_boolean() && !trait.is_array()) {
                    invalid(errors, field,
                        "invalid image \"traits\" entry: (" + key + ", " + dump_compact(trait)
                            + ")");
                }
            }
        }
    } else if (field == "tags") {
        if (!value.is_object()) {
            invalid(
                errors, field, "invalid image \"tags\" (not an object): " + dump_compact(value));
        } else if (dump_compact(value).size() > MAX_TAGS_LENGTH) {
            invalid(errors, field,
                "image \"tags\" string length is too long, max " + std::to_string(MAX_TAGS_LENGTH)
                    + " characters");
        }
    } else if (field == "inherited_directories") {
        if (string_or_empty(manifest, "type") != "zone-dataset") {
            invalid(errors, field,
                "invalid image \"inherited_directories\" (only valid for a type:zone-dataset "
                "image): "
                    + dump_compact(value));
        } else if (!value.is_array()) {
            invalid(errors, field,
                "invalid image \"inherited_directories\" (not an array): " + dump_compact(value));
        } else {
            for (Json const& directory : value) {
                if (!directory.is_string()) {
                    invalid(errors, field,
                        "invalid image \"inherited_directories\" entry: "
                            + dump_compact(directory));
                }
            }
        }
    } else if (field == "nic_driver" || field == "disk_driver" || field == "cpu_type") {
        validate_zvol_string(errors, manifest, field.c_str());
    } else if (field == "image_size") {
        if (js_truthy(value) && string_or_empty(manifest, "type") != "zvol") {
            invalid(errors, field,
                "invalid image image_size: \"" + quoted(value)
                    + "\" (cannot have a value when image type is not zvol)");
        } else if (!is_positive_integer(value)) {
            invalid(errors, field,
                "invalid image image_size: \"" + quoted(value) + "\" (must be a positive integer)");
        }
    } else if (field == "channels") {
        if (!value.is_array()) {
            invalid(
                errors, field, "invalid image \"channels\" (not an array): " + dump_compact(value));
        } else {
            for (Json const& channel : value) {
                if (!channel.is_string()) {
                    invalid(errors, field,
                        "invalid image \"channels\" entry: " + dump_compact(channel));
                }
            }
        }
    }
}

// imgmanifest's field list, in its order (the order errors are reported in).
constexpr std::array<std::string_view, 33> KNOWN_FIELDS { "v", "uuid", "owner", "name", "version",
    "description", "homepage", "eula", "urn", "disabled", "activated", "published_at", "state",
    "public", "type", "os", "origin", "error", "files", "icon", "acl", "requirements", "users",
    "billing_tags", "traits", "tags", "generate_passwords", "inherited_directories", "nic_driver",
    "disk_driver", "cpu_type", "image_size", "channels" };

constexpr std::array<std::string_view, 6> REQUIRED_FIELDS { "v", "uuid", "name", "version", "type",
    "os" };

} // namespace

Json upgrade_manifest(Json manifest)
{
    if (!manifest.is_object()) {
        return manifest;
    }
    Json const* v = find(manifest, "v");
    bool const has_v = v != nullptr && js_truthy(*v);
    if (has_v || !js_truthy(manifest.value("creator_uuid", Json()))) {
        return manifest; // v2 (or later), or not a manifest we can upgrade: validation says why
    }

    if (!manifest.contains("owner")) {
        manifest["owner"] = manifest["creator_uuid"];
    }
    for (char const* key :
        { "creator_uuid", "vendor_uuid", "creator_name", "cloud_name", "creator_admin" }) {
        manifest.erase(key);
    }
    if (js_truthy(manifest.value("restricted_to_uuid", Json()))) {
        manifest["public"] = false;
        manifest["acl"] = Json::array({ manifest["restricted_to_uuid"] });
    } else {
        manifest["public"] = true;
    }
    manifest.erase("restricted_to_uuid");
    manifest.erase("owner_uuid");

    bool const disabled = manifest.contains("disabled") && js_truthy(manifest["disabled"]);
    manifest["disabled"] = disabled;
    manifest["state"] = disabled ? "disabled" : "active";

    if (!js_truthy(manifest.value("published_at", Json())) && manifest.contains("created_at")) {
        manifest["published_at"] = manifest["created_at"];
    }
    // "YYYY-MM-DDTHH:MMZ" -> "YYYY-MM-DDTHH:MM:00Z" (IMGAPI wants seconds).
    if (auto it = manifest.find("published_at"); it != manifest.end() && it->is_string()) {
        std::string published_at = it->get<std::string>();
        if (matches_shape(published_at, "dddd-dd-ddTdd:ddZ")) {
            *it = published_at.substr(0, published_at.size() - 1) + ":00Z";
        }
    }

    if (auto files = manifest.find("files"); files != manifest.end() && files->is_array()) {
        for (Json& file : *files) {
            if (!file.is_object()) {
                continue;
            }
            if (!js_truthy(file.value("compression", Json()))) {
                std::string path = string_or_empty(file, "path");
                if (path.empty()) {
                    path = string_or_empty(file, "url");
                }
                auto ends_with = [&](std::string_view suffix) {
                    return path.size() >= suffix.size()
                        && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
                };
                file["compression"]
                    = ends_with(".gz") ? "gzip" : (ends_with(".bz2") ? "bzip2" : "none");
            }
            file.erase("path");
            file.erase("url");
        }
    }

    if (auto size = manifest.find("image_size"); size != manifest.end() && size->is_string()) {
        auto const& text = size->get_ref<std::string const&>();
        char* end = nullptr;
        double number = std::strtod(text.c_str(), &end);
        if (!text.empty() && end == text.c_str() + text.size()) {
            *size = (std::floor(number) == number && number >= 0)
                ? Json(static_cast<uint64_t>(number))
                : Json(number);
        }
    }

    for (char const* key : { "platform_type", "created_at", "updated_at", "_url" }) {
        manifest.erase(key);
    }
    manifest["v"] = 2;
    return manifest;
}

ImgResult<ImageFile> image_file(Json const& manifest)
{
    auto refuse = [](std::string const& what) -> ImgResult<ImageFile> {
        return img_error(ImgCode::ManifestValidation, "invalid manifest: files (" + what + ")");
    };
    if (!manifest.is_object() || !manifest.contains("files")) {
        return refuse("MissingParameter");
    }
    Json const& files = manifest.at("files");
    if (!files.is_array()) {
        return refuse("invalid image \"files\" (not an array): " + dump_compact(files));
    }
    if (files.empty()) {
        return refuse("invalid image \"files\": image has no file");
    }
    if (files.size() > 1) {
        return refuse("invalid image \"files\": too many files");
    }
    Json const empty = Json::object();
    Json const& file = files[0].is_object() ? files[0] : empty;
    ImageFile result;
    Json const size = file.value("size", Json());
    if (!js_truthy(size)) {
        return refuse("invalid image \"files\": file missing \"size\" field");
    }
    // 2^53 - 1: IMGAPI keeps sizes as JavaScript numbers; above that -1, 2^64 and 2^64 + 1
    // would all be "the same" size, and a negative or fractional one matches no file.
    constexpr uint64_t MAX_SAFE_INTEGER = (uint64_t { 1 } << 53) - 1;
    bool const positive_integer = (size.is_number_unsigned() && size.get<uint64_t>() > 0)
        || (size.is_number_integer() && size.get<int64_t>() > 0);
    if (!positive_integer || size.get<uint64_t>() > MAX_SAFE_INTEGER) {
        return refuse("invalid image \"files\": invalid size \"" + js_string(size)
            + "\" (must be a positive integer of at most " + std::to_string(MAX_SAFE_INTEGER)
            + " bytes)");
    }
    result.size = size.get<uint64_t>();
    Json const sha1 = file.value("sha1", Json());
    if (!js_truthy(sha1)) {
        return refuse("invalid image \"files\": file missing \"sha1\" field");
    }
    if (!sha1.is_string()
        || !matches_shape(sha1.get_ref<std::string const&>(), std::string(40, 'h'))) {
        return refuse("invalid image \"files\": invalid sha1 \"" + js_string(sha1)
            + "\" (must be 40 lower-case hexadecimal digits)");
    }
    result.sha1 = sha1.get<std::string>();
    return result;
}

ImgResult<void> validate_manifest_minimal(Json const& manifest)
{
    if (!manifest.is_object()) {
        return img_error(ImgCode::ManifestValidation, "invalid manifest: manifest (not an object)");
    }
    Errors errors;
    for (std::string_view field : REQUIRED_FIELDS) {
        if (!manifest.contains(field)) {
            errors.push_back({ std::string(field), "MissingParameter", {} });
        } else {
            validate_field(errors, manifest, std::string(field));
        }
    }
    for (std::string_view field : KNOWN_FIELDS) {
        bool required = std::find(REQUIRED_FIELDS.begin(), REQUIRED_FIELDS.end(), field)
            != REQUIRED_FIELDS.end();
        if (!required && manifest.contains(field)) {
            validate_field(errors, manifest, std::string(field));
        }
    }
    for (auto const& [key, value] : manifest.items()) {
        if (std::find(KNOWN_FIELDS.begin(), KNOWN_FIELDS.end(), key) == KNOWN_FIELDS.end()) {
            errors.push_back({ key, "Invalid", {} });
        }
    }
    if (errors.empty()) {
        return {};
    }
    std::string message = "invalid manifest: ";
    for (size_t i = 0; i < errors.size(); ++i) {
        FieldError const& error = errors[i];
        message += (i == 0 ? "" : ", ") + error.field + " ("
            + (error.message.empty() ? error.code : error.message) + ")";
    }
    return img_error(ImgCode::ManifestValidation, message);
}

} // namespace lumos::image
