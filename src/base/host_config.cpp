// SPDX-License-Identifier: MPL-2.0
#include "base/host_config.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

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
            config.nic_tags.emplace_back(key.substr(0, key.size() - 4));
        } else if (key == "etherstub") {
            for (auto const& stub : split(unquoted(value), ',')) {
                if (!trim(stub).empty()) {
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
        } else if (raw_key == "cgroup_parent" && line.substr(equals + 1).starts_with('/')
            && line.find("..") == std::string_view::npos) {
            config.cgroup_parent = std::string(line.substr(equals + 1));
        }
    }
    return config;
}

HostConfig HostConfig::load(Paths const& paths)
{
    auto text = read_file_bounded(paths.etc_dir() + "/config", MAX_CONFIG_BYTES);
    return text ? parse(*text) : HostConfig {};
}

} // namespace lumos
