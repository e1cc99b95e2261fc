// SPDX-License-Identifier: MPL-2.0
// nictagadm list [-l | -L] [-p] [-d delim], exists [-l] <name>..., vms <name>
#include "base/host_config.hpp"
#include "base/strings.hpp"
#include "cmd/nictagadm/cli.hpp"
#include "props/filters.hpp"
#include "props/list_table.hpp"
#include "sys/host_links.hpp"
#include "vm/engine.hpp"

#include <algorithm>
#include <ostream>

namespace lumos::nictagadm {

namespace {

// printf "%-14s %-18s %-14s %-16s\n": each column padded, never cut.
std::string padded(std::string const& text, size_t width)
{
    return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string type_of(NicTagKind kind)
{
    switch (kind) {
    case NicTagKind::Normal:
        return "normal";
    case NicTagKind::Aggr:
        return "aggr";
    case NicTagKind::Etherstub:
        return "etherstub";
    }
    return "-";
}

void print_line(Context& context, std::vector<std::string> fields)
{
    Options const& options = context.options;
    if (options.parsable) {
        if (options.delim == ":") {
            std::string escaped;
            for (char const c : fields[1]) {
                escaped += c == ':' ? std::string("\\:") : std::string(1, c);
            }
            fields[1] = escaped;
        }
        context.io.out << fields[0] << options.delim << fields[1] << options.delim << fields[2]
                       << options.delim << fields[3] << "\n";
        return;
    }
    context.io.out << padded(fields[0], 14) << " " << padded(fields[1], 18) << " "
                   << padded(fields[2], 14) << " " << padded(fields[3], 16) << "\n";
}

} // namespace

int cmd_list(Context& context)
{
    Options const& options = context.options;
    HostConfig const config = HostConfig::load(context.host.paths);
    auto const links = sys::host_links(context.host.sys_root);
    if (!options.parsable) {
        print_line(context, { "NAME", "MACADDRESS", "LINK", "TYPE" });
    }
    std::vector<std::string> etherstubs;
    for (auto const& tag : config.tags) {
        if (tag.kind == NicTagKind::Etherstub) {
            etherstubs.push_back(tag.name);
        } else if (options.local) {
            continue;
        } else if (tag.kind == NicTagKind::Aggr) {
            print_line(context, { tag.name, "-", tag.aggr, "aggr" });
        } else {
            sys::HostLink const* link = sys::link_with_mac(links, tag.mac);
            print_line(context,
                { tag.name, tag.mac.empty() ? "-" : tag.mac, link != nullptr ? link->name : "-",
                    type_of(tag.kind) });
        }
    }
    if (options.no_list_stubs) {
        return 0;
    }
    std::sort(etherstubs.begin(), etherstubs.end());
    for (auto const& stub : etherstubs) {
        print_line(context, { stub, "-", "-", "etherstub" });
    }
    return 0;
}

int cmd_exists(Context& context)
{
    Options const& options = context.options;
    if (options.operands.empty()) {
        return fatal(context, "tag_exists: no tag specified");
    }
    HostConfig const config = HostConfig::load(context.host.paths);
    int status = 0;
    for (auto const& name : options.operands) {
        if (config.find_tag(name) == nullptr) {
            context.io.err << (options.names_only ? "" : "invalid tag: ") << name << "\n";
            status = 1;
        }
    }
    return status;
}

int cmd_vms(Context& context)
{
    std::string const name = operand(context.options, 0);
    if (name.empty()) {
        return usage(context, 2);
    }
    auto uuids = context.host.vms_using(name);
    if (!uuids) {
        return fatal(context, uuids.error().message());
    }
    for (auto const& uuid : *uuids) {
        context.io.out << uuid << "\n";
    }
    return 0;
}

Result<std::vector<std::string>> vms_using_tag(vm::Engine const& engine, std::string const& tag)
{
    props::ListOptions options;
    options.columns = { "uuid" };
    options.parsable = true;
    options.header = false;
    vm::ListQuery query;
    auto keys = props::needed_keys(options.columns, options.sort_keys, {});
    query.keys = std::set<std::string>(keys.begin(), keys.end());
    query.keys->insert("nics");
    TRY_ASSIGN(vms, engine.find(query));
    // nics.*.nic_tag=<tag>, compared as a string (a tag is not a filter's regex or number).
    std::erase_if(vms, [&tag](Json const& vm) {
        auto const nics = vm.find("nics");
        if (nics == vm.end() || !nics->is_array()) {
            return true;
        }
        return std::none_of(nics->begin(), nics->end(), [&tag](Json const& nic) {
            return nic.is_object() && nic.contains("nic_tag") && nic["nic_tag"].is_string()
                && nic["nic_tag"].get_ref<std::string const&>() == tag;
        });
    });
    TRY_ASSIGN(table, props::format_list(std::move(vms), options));
    std::vector<std::string> uuids;
    for (auto const& line : split(table, '\n')) {
        if (!line.empty()) {
            uuids.push_back(line);
        }
    }
    return uuids;
}

} // namespace lumos::nictagadm
