// SPDX-License-Identifier: MPL-2.0
// vmadm validate create|update <brand> [-f <filename>]
#include "props/validate.hpp"

#include "cmd/vmadm/cli.hpp"

namespace lumos::vmadm {

Outcome cmd_validate(Context& context, Args const& args)
{
    std::string const filename = payload_file(args);
    if (filename == "-" && context.io.stdin_is_tty) {
        return usage_error("Will not validate from stdin when stdin is a tty.");
    }
    if (args.remain.empty()) {
        return usage_error("Will not validate without a valid action.");
    }
    std::string const action = args.remain[0];
    if (action == "update" && args.remain.size() != 2) {
        return usage_error("Will not validate without a valid action and brand.");
    }
    auto payload = read_payload(context, filename);
    if (!payload) {
        return failure(payload.error().message());
    }
    std::string brand;
    bool brand_known = true;
    if (action == "update") {
        brand = args.remain[1];
    } else if (payload->is_object() && payload->contains("brand")) {
        brand = js_string((*payload)["brand"]);
    } else {
        brand_known = false;
    }
    uint8_t const action_bits = action == "create" ? props::ACTION_CREATE
        : action == "update"                       ? props::ACTION_UPDATE
        : action == "receive"                      ? props::ACTION_RECEIVE
                                                   : props::ACTION_NONE;
    props::ValidationErrors errors;
    if (!brand_known) {
        errors.bad_brand = "undefined";
    } else {
        errors = props::validate(
            brand, action_bits, *payload, context.engine.host_facts(vm::OtherVms::Skip));
        if (action_bits == props::ACTION_NONE && errors.ok()) {
            // An unknown action allows nothing: every key is a bad property.
            for (auto const& [key, value] : payload->items()) {
                errors.bad_properties.push_back(key);
            }
        }
    }
    if (!errors.ok()) {
        // SmartOS prints the lists in the order VM.validate creates them.
        nlohmann::ordered_json printed;
        if (errors.bad_brand) {
            printed["bad_brand"] = *errors.bad_brand;
        } else {
            printed["bad_values"] = errors.bad_values;
            printed["bad_properties"] = errors.bad_properties;
            printed["missing_properties"] = errors.missing_properties;
        }
        return failure(printed.dump(2, ' ', false, Json::error_handler_t::replace));
    }
    return success("VALID '" + action + "' payload for " + brand + " brand VMs.");
}

} // namespace lumos::vmadm
