// SPDX-License-Identifier: MPL-2.0
#include "base/json.hpp"

#include "base/strings.hpp"

namespace lumos {

namespace {

Error unexpected_token(std::string_view text, size_t position)
{
    if (position >= text.size()) {
        return Error(ErrorCode::InvalidArgument, "Unexpected end of JSON input");
    }
    char const c = text[position];
    std::string token;
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x80) {
        token = "token";
    } else {
        token = std::string("token ") + c;
    }
    return Error(ErrorCode::InvalidArgument,
        "Unexpected " + token + " in JSON at position " + std::to_string(position));
}

Result<Json> parse_json_text(std::string_view text);

} // namespace

Result<Json> parse_json(std::string_view text)
{
    // node's JSON.parse refuses a byte order mark (U+FEFF is not JSON whitespace), which
    // nlohmann would skip.
    if (text.starts_with("\xEF\xBB\xBF")) {
        return tl::unexpected(unexpected_token(text, 0));
    }
    // nlohmann stops at a NUL as if the input ended there, so "{}\0junk" would parse; for node
    // a raw NUL is a token like any other control character, refused wherever it stands.
    if (size_t const nul = text.find('\0'); nul != std::string_view::npos) {
        auto prefix = parse_json_text(text.substr(0, nul));
        if (!prefix && prefix.error().message() != "Unexpected end of JSON input") {
            return prefix;
        }
        return tl::unexpected(unexpected_token(text, nul));
    }
    return parse_json_text(text);
}

namespace {

Result<Json> parse_json_text(std::string_view text)
{
    // Bounded nesting: nlohmann's parser is recursive, and a hostile payload of a million '['
    // would overflow the stack before any of our checks ran.
    constexpr size_t MAX_DEPTH = 512;
    size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char const c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > MAX_DEPTH) {
                return make_error(ErrorCode::InvalidArgument,
                    "Maximum nesting depth of " + std::to_string(MAX_DEPTH) + " exceeded");
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    try {
        return Json::parse(text);
    } catch (nlohmann::json::out_of_range const&) {
        // nlohmann refuses numbers beyond a double (1e400); node would read Infinity, which no
        // property accepts, so the payload is refused here instead.
        return make_error(ErrorCode::InvalidArgument, "Number out of range in JSON");
    } catch (nlohmann::json::parse_error const& error) {
        size_t const position = error.byte > 0 ? error.byte - 1 : 0;
        return tl::unexpected(unexpected_token(text, position));
    }
}

} // namespace

Result<Json> parse_trusted_json_object(std::string_view text, std::set<std::string> const* keys)
{
    try {
        if (keys == nullptr) {
            return Json::parse(text);
        }
        // Top-level members that nobody asked for are skipped while parsing, so a listing does
        // not build (and free) nics arrays or metadata it will never print.
        Json::parser_callback_t const keep
            = [keys](int depth, Json::parse_event_t event, Json& parsed) {
                  if (depth == 1 && event == Json::parse_event_t::key) {
                      return keys->contains(parsed.get_ref<std::string const&>());
                  }
                  return true;
              };
        return Json::parse(text, keep);
    } catch (nlohmann::json::exception const& error) {
        return make_error(ErrorCode::InvalidArgument, error.what());
    }
}

std::string dump_pretty(Json const& value)
{
    return value.dump(2, ' ', false, Json::error_handler_t::replace);
}

std::string dump_compact(Json const& value)
{
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool js_truthy(Json const& value)
{
    switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
        return false;
    case Json::value_t::boolean:
        return value.get<bool>();
    case Json::value_t::number_integer:
        return value.get<long long>() != 0;
    case Json::value_t::number_unsigned:
        return value.get<unsigned long long>() != 0;
    case Json::value_t::number_float: {
        double const d = value.get<double>();
        return d == d && d != 0.0;
    }
    case Json::value_t::string:
        return !value.get_ref<std::string const&>().empty();
    default:
        return true;
    }
}

std::string js_string(Json const& value)
{
    switch (value.type()) {
    case Json::value_t::null:
        return "null";
    case Json::value_t::boolean:
        return value.get<bool>() ? "true" : "false";
    case Json::value_t::number_integer:
        return std::to_string(value.get<long long>());
    case Json::value_t::number_unsigned:
        return std::to_string(value.get<unsigned long long>());
    case Json::value_t::number_float:
        return js_number_string(value.get<double>());
    case Json::value_t::string:
        return value.get<std::string>();
    case Json::value_t::array: {
        std::vector<std::string> parts;
        for (auto const& element : value) {
            parts.push_back(element.is_null() ? std::string() : js_string(element));
        }
        return join(parts, ",");
    }
    case Json::value_t::object:
        return "[object Object]";
    default:
        return "";
    }
}

Json const* json_member(Json const& object, std::string_view key)
{
    if (!object.is_object()) {
        return nullptr;
    }
    auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

std::string string_or(Json const& object, std::string_view key, std::string fallback)
{
    auto const* value = json_member(object, key);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::move(fallback);
}

int64_t int_or(Json const& object, std::string_view key, int64_t fallback)
{
    auto const* value = json_member(object, key);
    if (value == nullptr) {
        return fallback;
    }
    if (value->is_number_integer()) {
        if (value->is_number_unsigned()
            && value->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
            return fallback;
        }
        return value->get<int64_t>();
    }
    if (value->is_number_float()) {
        double const number = value->get<double>();
        // 2^63 is exactly representable; anything at or above it does not fit.
        if (number >= -9223372036854775808.0 && number < 9223372036854775808.0
            && number == static_cast<double>(static_cast<int64_t>(number))) {
            return static_cast<int64_t>(number);
        }
    }
    return fallback;
}

bool bool_or(Json const& object, std::string_view key, bool fallback)
{
    auto const* value = json_member(object, key);
    return value != nullptr && value->is_boolean() ? value->get<bool>() : fallback;
}

} // namespace lumos
