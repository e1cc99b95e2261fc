// SPDX-License-Identifier: MPL-2.0
#include "metaserver/handler.hpp"

#include "base/strings.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace lumos::metaserver {

namespace {

constexpr std::string_view SDC = "sdc:";

std::string_view trim(std::string_view text)
{
    while (!text.empty()
        && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n'
            || text.front() == '\r')) {
        text.remove_prefix(1);
    }
    while (!text.empty()
        && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n'
            || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

Json const* member(Json const& object, std::string_view key)
{
    if (!object.is_object()) {
        return nullptr;
    }
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

// The VM's internal namespace a key's prefix (before its first ':') names, if any.
std::optional<std::string> internal_namespace(Json const& vm, std::string_view key)
{
    std::size_t const colon = key.find(':');
    Json const* namespaces = member(vm, "internal_metadata_namespaces");
    if (colon == std::string_view::npos || namespaces == nullptr || !namespaces->is_array()) {
        return std::nullopt;
    }
    std::string_view const prefix = key.substr(0, colon);
    for (auto const& name : *namespaces) {
        if (name.is_string() && name.get_ref<std::string const&>() == prefix) {
            return std::string(prefix);
        }
    }
    return std::nullopt;
}

bool is_password_key(std::string_view key)
{
    return key.ends_with("_pw");
}

// agent.js returnit: strings as they are, numbers and booleans as JavaScript prints them,
// objects and arrays FAILURE, nothing NOTFOUND.
Reply value_reply(Json const* value)
{
    if (value == nullptr || value->is_null()) {
        return not_found();
    }
    if (value->is_string()) {
        return success(value->get<std::string>());
    }
    if (value->is_boolean()) {
        return success(value->get<bool>() ? "true" : "false");
    }
    if (value->is_number()) {
        return success(value->dump());
    }
    return failure();
}

// VM.flatten: a dotted path into the object ("nics.0.ip").
Json const* flatten(Json const& vm, std::string_view path)
{
    Json const* node = &vm;
    for (auto const& part : split(std::string(path), '.')) {
        if (node->is_object()) {
            node = member(*node, part);
        } else if (node->is_array()) {
            auto index = parse_integer(part);
            if (!index || *index < 0 || static_cast<std::size_t>(*index) >= node->size()) {
                return nullptr;
            }
            node = &(*node)[static_cast<std::size_t>(*index)];
        } else {
            return nullptr;
        }
        if (node == nullptr) {
            return nullptr;
        }
    }
    return node;
}

std::optional<std::vector<unsigned>> parse_mac(std::string_view text)
{
    std::vector<unsigned> octets;
    for (auto const& part : split(std::string(text), ':')) {
        if (part.empty() || part.size() > 2) {
            return std::nullopt;
        }
        unsigned value = 0;
        for (char c : part) {
            int digit = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f'       ? c - 'a' + 10
                : c >= 'A' && c <= 'F'       ? c - 'A' + 10
                                             : -1;
            if (digit < 0) {
                return std::nullopt;
            }
            value = value * 16 + static_cast<unsigned>(digit);
        }
        octets.push_back(value);
    }
    if (octets.size() != 6) {
        return std::nullopt;
    }
    return octets;
}

// The IP of the NIC a link-local route names ("nics[N]" or "macs[<mac>]"), when it has a
// static one.
std::optional<std::string> route_nic_ip(Json const& vm, std::string const& gateway)
{
    Json const* nics = member(vm, "nics");
    if (nics == nullptr || !nics->is_array()) {
        return std::nullopt;
    }
    Json const* nic = nullptr;
    if (gateway.starts_with("nics[") && gateway.ends_with("]")) {
        auto index = parse_integer(gateway.substr(5, gateway.size() - 6));
        if (!index || *index < 0 || static_cast<std::size_t>(*index) >= nics->size()) {
            return std::nullopt;
        }
        nic = &(*nics)[static_cast<std::size_t>(*index)];
    } else {
        auto wanted = parse_mac(gateway.substr(5, gateway.size() - 6));
        if (!wanted) {
            return std::nullopt;
        }
        for (auto const& candidate : *nics) {
            if (parse_mac(string_or(candidate, "mac")) == wanted) {
                nic = &candidate;
                break;
            }
        }
    }
    if (nic == nullptr) {
        return std::nullopt;
    }
    std::string const ip = string_or(*nic, "ip");
    if (ip.empty() || ip == "dhcp") {
        return std::nullopt;
    }
    return ip;
}

Reply sdc_routes(Json const& vm)
{
    Json routes = Json::array();
    Json const* table = member(vm, "routes");
    if (table != nullptr && table->is_object()) {
        for (auto const& [destination, target] : table->items()) {
            if (!target.is_string()) {
                continue;
            }
            std::string const gateway = target.get<std::string>();
            bool const link_local = (gateway.starts_with("nics[") || gateway.starts_with("macs["))
                && gateway.ends_with("]");
            if (!link_local) {
                routes.push_back(
                    { { "linklocal", false }, { "dst", destination }, { "gateway", gateway } });
                continue;
            }
            if (auto ip = route_nic_ip(vm, gateway)) {
                routes.push_back(
                    { { "linklocal", true }, { "dst", destination }, { "gateway", *ip } });
            }
        }
    }
    return success(routes.dump());
}

Reply sdc_key(Json const& vm, std::string_view want)
{
    if (want == "nics" || want == "resolvers" || want == "tmpfs") {
        Json const* value = member(vm, want);
        if (value != nullptr) {
            return success(value->dump());
        }
        return value_reply(flatten(vm, want));
    }
    if (want == "routes" && member(vm, "routes") != nullptr) {
        return sdc_routes(vm);
    }
    Json const* internal = member(vm, "internal_metadata");
    if (want == "operator-script") {
        return value_reply(internal == nullptr ? nullptr : member(*internal, "operator-script"));
    }
    if (want == "volumes") {
        return value_reply(internal == nullptr ? nullptr : member(*internal, "sdc:volumes"));
    }
    if (want.starts_with("tags.")) {
        Json const* tags = member(vm, "tags");
        return value_reply(tags == nullptr ? nullptr : member(*tags, want.substr(5)));
    }
    return value_reply(flatten(vm, want));
}

// Where a key of the guest's lives: "customer_metadata" or "internal_metadata".
char const* map_of(Json const& vm, std::string_view key)
{
    return is_password_key(key) || internal_namespace(vm, key) ? "internal_metadata"
                                                               : "customer_metadata";
}

// The refusals PUT and DELETE share.
Result<void> writable(Json const& vm, std::string_view key)
{
    if (key.starts_with(SDC)) {
        return make_error(ErrorCode::InvalidArgument, "Cannot update the \"sdc\" Namespace.");
    }
    if (auto name = internal_namespace(vm, key)) {
        return make_error(
            ErrorCode::InvalidArgument, "Cannot update the \"" + *name + "\" Namespace.");
    }
    return {};
}

// setMetadata: `*_pw` and operator-script go to internal_metadata.
std::string written_map(std::string_view key)
{
    return is_password_key(key) || key == "operator-script" ? "internal_metadata"
                                                            : "customer_metadata";
}

} // namespace

Reply success(std::string payload)
{
    return { "SUCCESS", std::move(payload) };
}

Reply not_found()
{
    return { "NOTFOUND", {} };
}

Reply failure(std::string message)
{
    return { "FAILURE", std::move(message) };
}

Reply get_key(Json const& vm, std::string_view key)
{
    std::string_view const want = trim(key);
    if (want.empty()) {
        return failure("Invalid GET Request");
    }
    if (want.starts_with(SDC)) {
        return sdc_key(vm, want.substr(SDC.size()));
    }
    char const* const map = map_of(vm, want);
    Json const* metadata = member(vm, map);
    if (metadata == nullptr || !metadata->is_object()) {
        return failure(std::string("Zone did not contain ") + map);
    }
    return value_reply(member(*metadata, want));
}

Reply list_keys(Json const& vm)
{
    std::string keys;
    auto add = [&](char const* map, bool internal) {
        Json const* metadata = member(vm, map);
        if (metadata == nullptr || !metadata->is_object()) {
            return;
        }
        for (auto const& [key, value] : metadata->items()) {
            bool const is_internal = is_password_key(key) || internal_namespace(vm, key);
            if (is_internal == internal) {
                if (!keys.empty()) {
                    keys += '\n';
                }
                keys += key;
            }
        }
    };
    add("customer_metadata", false);
    add("internal_metadata", true);
    return success(std::move(keys));
}

Result<Json> put_update(Json const& vm, std::string_view key, std::string const& value)
{
    std::string_view const name = trim(key);
    if (name.empty()) {
        return make_error(ErrorCode::InvalidArgument, "Invalid PUT Request");
    }
    TRY(writable(vm, name));
    std::string const map = written_map(name);
    if (value.empty()) {
        // agent.js: a falsy value is a delete (PUT itself never sends one).
        return Json { { "remove_" + map, Json::array({ std::string(name) }) } };
    }
    return Json { { "set_" + map, { { std::string(name), value } } } };
}

Result<Json> delete_update(Json const& vm, std::string_view key)
{
    std::string_view const name = trim(key);
    if (name.empty()) {
        return make_error(ErrorCode::InvalidArgument, "Invalid DELETE Request");
    }
    TRY(writable(vm, name));
    return Json { { "remove_" + written_map(name), Json::array({ std::string(name) }) } };
}

} // namespace lumos::metaserver
