// SPDX-License-Identifier: MPL-2.0
// nictagadm add [-l] [-p prop=value,...] <name> [mac], update [-p prop=value,...] <name> [mac],
// delete [-f] <name>: checks in the script's order, then one locked, atomic edit of the host
// config (base/host_config_edit). A tag's bridge is made when a VM's NIC first needs it.
#include "base/host_config.hpp"
#include "base/host_config_edit.hpp"
#include "base/strings.hpp"
#include "cmd/nictagadm/cli.hpp"
#include "sys/host_links.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

namespace lumos::nictagadm {

namespace {

constexpr int64_t MIN_MTU = 1500;
constexpr int64_t MAX_MTU = 9000;

// valid_name: letters, digits and '_', under 31 bytes (room for a numbered VNIC name).
bool valid_tag_name(std::string_view name)
{
    return !name.empty() && name.size() < 31 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || c == '_';
    });
}

std::string prop(Options const& options, std::string const& key)
{
    auto const found = options.props.find(key);
    return found == options.props.end() ? std::string() : found->second;
}

// The MAC from the operand or -p mac=, "" when neither; an error message when both.
std::optional<std::string> mac_argument(Options const& options, std::string& mac)
{
    std::string const positional = operand(options, 1);
    std::string const from_props = prop(options, "mac");
    if (!positional.empty() && !from_props.empty()) {
        return "mac address specified twice";
    }
    mac = from_props.empty() ? positional : from_props;
    return std::nullopt;
}

// valid_mtu: digits only, 1500 to 9000.
std::optional<std::string> mtu_error(std::string const& mtu)
{
    if (mtu.empty() || mtu.find_first_not_of("0123456789") != std::string::npos) {
        return "invalid mtu: " + mtu;
    }
    auto const value = parse_integer(mtu);
    if (!value || *value < MIN_MTU || *value > MAX_MTU) {
        return "mtu must be between 1500-9000";
    }
    return std::nullopt;
}

// The value of "<tag>_nic=": an aggregation's name (which must be configured) or the MAC of a
// link of this host, normalized. mac is replaced by what to write; an error message otherwise.
std::optional<std::string> check_link(Context& context, HostConfig const& config, std::string& mac)
{
    if (is_stub_name(mac)) {
        auto const& aggrs = config.aggregations;
        if (std::find(aggrs.begin(), aggrs.end(), mac) == aggrs.end()) {
            return "aggregation '" + mac + "' does not exist";
        }
        return std::nullopt;
    }
    auto normalized = normalize_mac(mac);
    if (!normalized) {
        return "MAC address '" + mac + "' is invalid";
    }
    mac = *normalized;
    if (sys::link_with_mac(sys::host_links(context.host.sys_root), mac) == nullptr) {
        return "No physical nic found with MAC address '" + mac + "'";
    }
    return std::nullopt;
}

int warn_mtu(Context& context, std::string const& mtu)
{
    if (!mtu.empty()) {
        context.io.err << "MTU changes will not take effect until next reboot\n";
    }
    return 0;
}

int commit(Context& context, HostConfigEdit& edit, std::string const& text)
{
    if (auto written = edit.commit(text); !written) {
        return fatal(context,
            "could not write to '" + context.host.paths.etc_dir()
                + "/config': " + written.error().message());
    }
    return 0;
}

} // namespace

int cmd_add(Context& context)
{
    Options const& options = context.options;
    std::string const name = operand(options, 0);
    if (name.empty()) {
        return usage(context, 2);
    }
    std::string mac;
    if (auto error = mac_argument(options, mac)) {
        return fatal(context, *error);
    }
    if (mac.empty() && !options.local) {
        return fatal(context, "create non-local tag, but no mac address specified");
    }
    if (!mac.empty() && options.local) {
        return fatal(context, "create local tag, but mac address specified");
    }
    std::string const mtu = prop(options, "mtu");
    if (!mtu.empty() && options.local) {
        return fatal(context, "Cannot specify MTU for local nic tag");
    }
    if (auto error = mtu.empty() ? std::nullopt : mtu_error(mtu)) {
        return fatal(context, *error);
    }
    auto edit = HostConfigEdit::begin(context.host.paths);
    if (!edit) {
        return fatal(context, edit.error().message());
    }
    HostConfig const config = HostConfig::parse(edit->text());
    if (config.find_tag(name) != nullptr) {
        return fatal(context, "nic tag '" + name + "' already exists");
    }
    if (!mac.empty()) {
        if (auto error = check_link(context, config, mac)) {
            return fatal(context, *error);
        }
        if (!valid_tag_name(name)) {
            return fatal(context, "nic tag name is invalid");
        }
    } else if (!is_stub_name(name)) {
        return fatal(context, "nic tag name is invalid");
    }
    verbose(context,
        "adding nic tag: name='" + name + "', mac='" + mac + "', local='"
            + (options.local ? "true" : "") + "'");
    std::string text;
    if (options.local) {
        text = config_with_etherstub(edit->text(), name);
    } else {
        text = config_with_key(edit->text(), name + "_nic", mac);
        if (!mtu.empty()) {
            verbose(context, "adding mtu for tag: name='" + name + "', mtu='" + mtu + "'");
            text = config_with_key(text, name + "_mtu", mtu);
        }
    }
    if (int const status = commit(context, *edit, text); status != 0) {
        return status;
    }
    return warn_mtu(context, mtu);
}

int cmd_update(Context& context)
{
    Options const& options = context.options;
    std::string const name = operand(options, 0);
    if (name.empty()) {
        return usage(context, 2);
    }
    if (options.local) {
        return fatal(context, "cannot update a local tag");
    }
    std::string mac;
    if (auto error = mac_argument(options, mac)) {
        return fatal(context, *error);
    }
    std::string const mtu = prop(options, "mtu");
    if (auto error = mtu.empty() ? std::nullopt : mtu_error(mtu)) {
        return fatal(context, *error);
    }
    if (mac.empty() && mtu.empty()) {
        return fatal(context, "nothing to update");
    }
    auto edit = HostConfigEdit::begin(context.host.paths);
    if (!edit) {
        return fatal(context, edit.error().message());
    }
    HostConfig const config = HostConfig::parse(edit->text());
    NicTag const* tag = config.find_tag(name);
    if (tag == nullptr) {
        return fatal(context, "nic tag '" + name + "' does not exist");
    }
    // Not the script's: it would give an etherstub a "<name>_nic=" line as well, making it two
    // tags of one name. An etherstub has no link or MTU to change.
    if (tag->kind == NicTagKind::Etherstub) {
        return fatal(context, "cannot update a local tag");
    }
    if (!mac.empty()) {
        if (auto error = check_link(context, config, mac)) {
            return fatal(context, *error);
        }
    }
    std::string text = edit->text();
    if (!mac.empty()) {
        verbose(context, "updating nic tag MAC: name='" + name + "', mac='" + mac + "'");
        text = config_with_key(text, name + "_nic", mac);
    }
    if (!mtu.empty()) {
        verbose(context, "updating nic tag MTU: name='" + name + "', mtu='" + mtu + "'");
        text = config_with_key(text, name + "_mtu", mtu);
    }
    if (int const status = commit(context, *edit, text); status != 0) {
        return status;
    }
    return warn_mtu(context, mtu);
}

int cmd_delete(Context& context)
{
    Options const& options = context.options;
    std::string const name = operand(options, 0);
    if (name.empty()) {
        return usage(context, 2);
    }
    auto edit = HostConfigEdit::begin(context.host.paths);
    if (!edit) {
        return fatal(context, edit.error().message());
    }
    HostConfig const config = HostConfig::parse(edit->text());
    NicTag const* tag = config.find_tag(name);
    if (tag == nullptr) {
        return fatal(context, "nic tag '" + name + "' does not exist");
    }
    if (!options.force) {
        verbose(context, "checking vms using tag: " + name);
        auto users = context.host.vms_using(name);
        if (!users) {
            return fatal(context, users.error().message());
        }
        if (!users->empty()) {
            return fatal(context, "nic tag '" + name + "' is in use");
        }
    }
    verbose(context, "deleting nic tag: " + name);
    std::string const text = tag->kind == NicTagKind::Etherstub
        ? config_without_etherstub(edit->text(), name)
        : config_without_key(config_without_key(edit->text(), name + "_nic"), name + "_mtu");
    return commit(context, *edit, text);
}

} // namespace lumos::nictagadm
