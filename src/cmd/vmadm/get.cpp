// SPDX-License-Identifier: MPL-2.0
#include "cmd/vmadm/cli.hpp"

#include "base/strings.hpp"
#include "props/list_table.hpp"

#include <ostream>

namespace lumos::vmadm {

Outcome cmd_get(Context& context, Args const& original)
{
    Args args = original;
    std::string const uuid = uuid_argument(args);
    auto vm = context.engine.get(uuid);
    if (!vm) {
        if (vm.error().code() == ErrorCode::NotFound) {
            return failure("zoneadm: " + uuid + ": No such zone configured");
        }
        return failure(vm.error().message());
    }
    context.io.out << dump_pretty(*vm) << "\n";
    return success();
}

Outcome cmd_delete(Context& context, Args const& original)
{
    Args args = original;
    std::string const uuid = uuid_argument(args);
    auto removed = context.engine.remove(uuid);
    if (!removed) {
        return failure("Failed to delete VM " + uuid + ": " + removed.error().message());
    }
    return success("Successfully deleted VM " + uuid);
}

static std::vector<std::string> comma_list(std::string const& text)
{
    std::vector<std::string> out;
    for (auto& part : split(text, ',')) {
        out.push_back(std::move(part));
    }
    return out;
}

// The store adds what every VM object needs (uuid, brand, state attributes) itself.
static std::set<std::string> keys_for(std::vector<std::string> const& columns,
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

Outcome cmd_lookup(Context& context, Args const& args)
{
    bool const json = args.get("json") == "true";
    bool const unique = args.get("unique") == "true";
    if (!json && args.has("output")) {
        return failure("Cannot specify -o without -j");
    }
    auto filters = props::parse_filters(args.remain, "lookup");
    if (!filters) {
        return failure(filters.error().message());
    }
    vm::ListQuery query;
    query.filters = *filters;
    std::vector<std::string> output_fields;
    if (json && args.has("output")) {
        output_fields = comma_list(args.get("output"));
        query.keys = keys_for(output_fields, {}, *filters);
    } else if (!json) {
        query.keys = keys_for({ "uuid" }, {}, *filters);
    }
    auto vms = context.engine.find(query);
    if (!vms) {
        return failure(vms.error().message());
    }
    if (unique && vms->size() != 1) {
        return failure(
            "Requested unique lookup but found " + std::to_string(vms->size()) + " results.");
    }
    if (!json) {
        for (auto const& vm : *vms) {
            context.io.out << vm.value("uuid", "") << "\n";
        }
        return success();
    }
    Json results = Json::array();
    for (auto& vm : *vms) {
        if (output_fields.empty()) {
            results.push_back(std::move(vm));
            continue;
        }
        Json reduced = Json::object();
        for (auto const& field : output_fields) {
            if (vm.contains(field)) {
                reduced[field] = vm[field];
            }
        }
        if (!reduced.empty()) {
            results.push_back(std::move(reduced));
        }
    }
    context.io.out << dump_pretty(results) << "\n";
    return success();
}

} // namespace lumos::vmadm
