// SPDX-License-Identifier: MPL-2.0
// vmadm list [-p] [-H] [-o field,...] [-s field,...] [field=value ...]
#include "base/strings.hpp"
#include "cmd/vmadm/cli.hpp"
#include "props/list_table.hpp"

#include <ostream>

namespace lumos::vmadm {

std::vector<std::string> comma_list(std::string const& text)
{
    std::vector<std::string> out;
    for (auto& part : split(text, ',')) {
        out.push_back(std::move(part));
    }
    return out;
}

std::set<std::string> keys_for(std::vector<std::string> const& columns,
    std::vector<std::string> const& sort_keys, std::vector<props::Filter> const& filters)
{
    auto const needed = props::needed_keys(columns, sort_keys, filters);
    return { needed.begin(), needed.end() };
}

Outcome cmd_list(Context& context, Args const& args)
{
    props::ListOptions options;
    if (args.has("order")) {
        options.columns = comma_list(args.get("order"));
    }
    if (args.has("sortby")) {
        options.sort_keys = comma_list(args.get("sortby"));
    }
    options.parsable = args.get("parsable") == "true";
    options.header = !args.has("header") || args.get("header") != "false";
    if (options.parsable && !(args.has("header") && args.get("header") == "true")) {
        options.header = false;
    }
    auto filters = props::parse_filters(args.remain, "filter");
    if (!filters) {
        return failure(filters.error().message());
    }
    if (auto checked = props::check_list_options(options); !checked) {
        return failure(checked.error().message());
    }
    vm::ListQuery query;
    query.filters = *filters;
    query.keys = keys_for(options.columns, options.sort_keys, *filters);
    auto vms = context.engine.find(query);
    if (!vms) {
        return failure(vms.error().message());
    }
    auto table = props::format_list(std::move(*vms), options);
    if (!table) {
        return failure(table.error().message());
    }
    context.io.out << *table;
    return success();
}

} // namespace lumos::vmadm
