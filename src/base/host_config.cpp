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

void add_tag_line(HostConfig& config, std::string_view tag, std::string_view value)
{
    NicTag parsed;
    parsed.name = std::string(tag);
    if (is_stub_name(value)) {
        parsed.kind = NicTagKind::Aggr;
        parsed.aggr = std::string(value);
    } else {
        parsed.mac = normalize_mac(value).value_or("");
    }
    auto existing = std::find_if(config.tags.begin(), config.tags.end(),
        [&tag](NicTag const& known) { return known.name == tag; });
    if (existing == config.tags.end()) {
        config.tags.push_back(std::move(parsed));
    } else {
        *existing = std::move(parsed); // the last line's value, as nictagadm's list reads it
    }
}

// "<key>=<value>" with key "<name><suffix>" and name a tag name: the name, else "".
std::string_view name_before(std::string_view key, std::string_view suffix)
{
    if (key.size() <= suffix.size() || !key.ends_with(suffix)) {
        return {};
    }
    std::string_view const name = key.substr(0, key.size() - suffix.size());
    return valid_tag_name(name) ? name : std::string_view {};
}

} // namespace

std::optional<std::string> normalize_mac(std::string_view mac)
{
    auto const octets = split(mac, ':');
    if (octets.size() != 6) {
        return std::nullopt;
    }
    std::string normalized;
    for (auto const& octet : octets) {
        if (octet.empty() || octet.size() > 2
            || octet.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
            return std::nullopt;
        }
        if (!normalized.empty()) {
            normalized += ':';
        }
        normalized += to_lower(octet.size() == 1 ? "0" + octet : octet);
    }
    return normalized;
}

bool is_stub_name(std::string_view name)
{
    return valid_tag_name(name) && name.back() >= '0' && name.back() <= '9';
}

NicTag const* HostConfig::find_tag(std::string_view name) const
{
    auto found = std::find_if(
        tags.begin(), tags.end(), [&name](NicTag const& tag) { return tag.name == name; });
    return found == tags.end() ? nullptr : &*found;
}

HostConfig HostConfig::parse(std::string_view text)
{
    HostConfig config;
    std::string etherstubs;
    std::vector<std::pair<std::string, int64_t>> mtus;
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
        if (auto const tag = name_before(key, "_nic"); !tag.empty()) {
            add_tag_line(config, tag, unquoted(value));
        } else if (auto const mtu_tag = name_before(key, "_mtu"); !mtu_tag.empty()) {
            if (auto mtu = parse_integer(unquoted(value)); mtu && *mtu > 0) {
                mtus.emplace_back(mtu_tag, *mtu);
            }
        } else if (auto const aggr = name_before(key, "_aggr"); !aggr.empty()) {
            config.aggregations.emplace_back(aggr);
        } else if (key == "etherstub") {
            etherstubs
                = std::string(unquoted(value)); // the last line counts, as nictagadm reads it
        } else if (key == "admin_ip") {
            config.admin_ip = std::string(unquoted(value));
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
    for (auto const& [tag, mtu] : mtus) {
        for (auto& known : config.tags) {
            if (known.name == tag) {
                known.mtu = mtu;
            }
        }
    }
    for (auto const& raw_stub : split(etherstubs, ',')) {
        std::string_view const stub = trim(raw_stub);
        if (valid_tag_name(stub) && config.find_tag(stub) == nullptr) {
            config.tags.push_back(NicTag { std::string(stub), NicTagKind::Etherstub, {}, {}, {} });
        }
    }
    for (auto const& tag : config.tags) {
        config.nic_tags.push_back(tag.name);
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
