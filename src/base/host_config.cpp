// SPDX-License-Identifier: MPL-2.0
#include "base/host_config.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

#include <algorithm>

namespace lumos {

namespace {

// The config is a few lines; anything larger is not one.
constexpr size_t MAX_CONFIG_BYTES = size_t { 1 } << 20U;

std::string_view unquoted(std::string_view value)
{
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
        return value.substr(1, value.size() - 2);
    }
    return value;
}

// nictagadm's rule for nic tag and etherstub names: letters, digits and '_', under 32 bytes.
// Anything else (a typo, binary garbage) is not a tag and is left out, so that no program
// prints or matches it.
bool valid_tag_name(std::string_view name)
{
    return !name.empty() && name.size() < 32 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_';
    });
}

// A cgroup path: absolute, of path characters only (no "..", no blanks or control bytes).
bool valid_cgroup_parent(std::string_view path)
{
    return path.starts_with('/') && path.find("..") == std::string_view::npos
        && std::all_of(path.begin(), path.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '_' || c == '-' || c == '.' || c == '/';
           });
}

} // namespace

HostConfig HostConfig::parse(std::string_view text)
{
    HostConfig config;
    for (auto const& raw_line : split(text, '\n')) {
        std::string_view const line = trim(raw_line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        size_t const equals = line.find('=');
        if (equals == std::string_view::npos) {
            continue;
        }
        std::string_view const key = trim(line.substr(0, equals));
        std::string_view const value = trim(line.substr(equals + 1));
        if (key.size() > 4 && key.ends_with("_nic")) {
            if (auto const tag = key.substr(0, key.size() - 4); valid_tag_name(tag)) {
                config.nic_tags.emplace_back(tag);
            }
        } else if (key == "etherstub") {
            for (auto const& stub : split(unquoted(value), ',')) {
                if (valid_tag_name(trim(stub))) {
                    config.nic_tags.emplace_back(trim(stub));
                }
            }
        }
        // The keys below are written by lumos itself, without spaces around '='.
        std::string_view const raw_key = line.substr(0, equals);
        if (raw_key == "provision_timeout" && !config.provision_timeout_s) {
            if (auto seconds = parse_integer(value); seconds && *seconds > 0) {
                config.provision_timeout_s = *seconds;
            }
        } else if (raw_key == "cgroup_parent" && valid_cgroup_parent(line.substr(equals + 1))) {
            config.cgroup_parent = std::string(line.substr(equals + 1));
        }
    }
    return config;
}

std::string HostConfig::read_text(Paths const& paths)
{
    return read_file_bounded(paths.etc_dir() + "/config", MAX_CONFIG_BYTES).value_or("");
}

HostConfig HostConfig::load(Paths const& paths)
{
    return parse(read_text(paths));
}

} // namespace lumos
