// SPDX-License-Identifier: MPL-2.0
// vmadm lookup [-j|-1] [-o field,...] [field=value ...]
#include "cmd/vmadm/cli.hpp"

#include <ostream>

namespace lumos::vmadm {

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
            context.io.out << string_or(vm, "uuid") << "\n";
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
