// SPDX-License-Identifier: MPL-2.0
#include "props/filters.hpp"

#include "base/strings.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/js_regex.hpp"
#include "props/flatten.hpp"
#include "props/list_table.hpp"
#include "props/property_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <utility>

namespace lumos::props {

namespace {

using detail::is_line_terminator;
using detail::js_to_string;
using detail::to_utf16;

// sprintf('%02x', n) with the sprintf module vmadm uses: n.toString(16), left-padded with '0'.
std::string format_hex_octet(double value)
{
    std::string digits;
    if (std::isnan(value)) {
        digits = "NaN";
    } else if (std::isinf(value)) {
        digits = value < 0 ? "-Infinity" : "Infinity";
    } else {
        double magnitude = std::fabs(value);
        // parseInt yields integers, and fmod/division by 16 are exact on them, so this prints
        // every finite value exactly as toString(16) does.
        do {
            double const remainder = std::fmod(magnitude, 16.0);
            constexpr std::string_view HEX_DIGITS = "0123456789abcdef";
            digits.insert(digits.begin(), HEX_DIGITS[static_cast<size_t>(remainder)]);
            magnitude = (magnitude - remainder) / 16.0;
        } while (magnitude >= 1.0);
        if (value < 0) {
            digits.insert(digits.begin(), '-');
        }
    }
    if (digits.size() < 2) {
        digits.insert(digits.begin(), 2 - digits.size(), '0');
    }
    return digits;
}

// fixMac: each ':'-separated part as two lower-case hex digits ("1:2:A:b:c:d" ->
// "01:02:0a:0b:0c:0d"). Parts that are not hex come out as "NaN", as in vmadm, and never match.
std::string fix_mac(std::string_view text)
{
    std::vector<std::string> octets;
    for (auto const& part : split(text, ':')) {
        octets.push_back(format_hex_octet(detail::js_parse_int(part, 16)));
    }
    return join(octets, ":");
}

// /^nics\..*\.mac$/
bool is_nic_mac_key(std::string_view key)
{
    constexpr std::string_view PREFIX = "nics.";
    constexpr std::string_view SUFFIX = ".mac";
    if (key.size() < PREFIX.size() + SUFFIX.size() || !key.starts_with(PREFIX)
        || !key.ends_with(SUFFIX)) {
        return false;
    }
    std::u16string const middle
        = to_utf16(key.substr(PREFIX.size(), key.size() - PREFIX.size() - SUFFIX.size()));
    return std::none_of(middle.begin(), middle.end(), is_line_terminator);
}

bool is_star_or_digit(char16_t c)
{
    return c == u'*' || (c >= u'0' && c <= u'9');
}

// vmadm builds its key regexes from strings, so "\." there is a bare "." that matches any
// character: the disk pattern is really /^disks.[*0-9]*.(boot|...)$/ and accepts
// "disksX0Xsize". Keys like that are valid and simply never match anything.
constexpr std::array<std::u16string_view, 8> DISK_FILTER_FIELDS { u"boot", u"image_name",
    u"image_size", u"image_uuid", u"size", u"media", u"model", u"zpool" };
constexpr std::array<std::u16string_view, 9> NIC_FILTER_FIELDS { u"dhcp_server", u"gateway",
    u"interface", u"ip", u"mac", u"model", u"netmask", u"nic_tag", u"vlan_id" };

template <size_t N>
bool ends_with_any_char_run_field(
    std::u16string_view rest, std::array<std::u16string_view, N> const& fields)
{
    // rest must be [*0-9]* then one character (not a line terminator) then a field name.
    return std::ranges::any_of(fields, [rest](std::u16string_view field) {
        if (rest.size() < field.size() + 1 || !rest.ends_with(field)) {
            return false;
        }
        size_t const any = rest.size() - field.size() - 1;
        return !is_line_terminator(rest[any])
            && std::ranges::all_of(rest.substr(0, any), is_star_or_digit);
    });
}

// /^disks.[*0-9]*.(boot|image_name|image_size|image_uuid|size|media|model|zpool)$/
bool is_disk_filter_key(std::u16string_view key)
{
    constexpr std::u16string_view PREFIX = u"disks";
    if (key.size() <= PREFIX.size() || !key.starts_with(PREFIX)
        || is_line_terminator(key[PREFIX.size()])) {
        return false;
    }
    return ends_with_any_char_run_field(key.substr(PREFIX.size() + 1), DISK_FILTER_FIELDS);
}

// /nics.[*0-9]*.(dhcp_server|...|vlan_id)$/, unanchored at the start, so "xnics.0.ip" passes.
bool is_nic_filter_key(std::u16string_view key)
{
    constexpr std::u16string_view NICS = u"nics";
    for (size_t start = 0; start + NICS.size() < key.size(); ++start) {
        if (key.substr(start, NICS.size()) == NICS && !is_line_terminator(key[start + NICS.size()])
            && ends_with_any_char_run_field(
                key.substr(start + NICS.size() + 1), NIC_FILTER_FIELDS)) {
            return true;
        }
    }
    return false;
}

bool is_regex_filter(Filter const& filter)
{
    return !filter.value.empty() && filter.value[0] == '~';
}

// The part of a key the store has to load: "nics" for "nics.0.ip" (JavaScript's
// /^([^.]+)\./, so a key starting with "." stays whole).
std::string_view top_level_key(std::string_view key)
{
    size_t const dot = key.find('.');
    return dot == std::string_view::npos || dot == 0 ? key : key.substr(0, dot);
}

// vmadm collects k=v pairs in an object, and JavaScript lists an object's array-index keys
// first, in numeric order; that decides which bad key an error names.
void order_like_js_object(std::vector<Filter>& filters)
{
    std::stable_sort(filters.begin(), filters.end(), [](Filter const& a, Filter const& b) {
        auto const ia = canonical_index(a.key);
        auto const ib = canonical_index(b.key);
        if (ia && ib) {
            return *ia < *ib;
        }
        return ia.has_value() && !ib.has_value();
    });
}

} // namespace

bool valid_filter_key(std::string_view key)
{
    Property const* property = find_property(key);
    if (property != nullptr && property->listable() && !property->list_header.empty()) {
        return true;
    }
    std::u16string const wide = to_utf16(key);
    if (is_disk_filter_key(wide) || is_nic_filter_key(wide)) {
        return true;
    }
    return key.starts_with("tags.") || key.starts_with("customer_metadata.")
        || key.starts_with("internal_metadata.");
}

Result<std::vector<Filter>> parse_filters(
    std::vector<std::string> const& args, std::string_view kind)
{
    std::vector<Filter> filters;
    for (auto const& arg : args) {
        // Split at the first '='; an argument without one is a key with an empty value. A later
        // duplicate replaces the value but keeps the first one's place.
        size_t const equals = arg.find('=');
        std::string key = arg.substr(0, equals);
        std::string value = equals == std::string::npos ? std::string() : arg.substr(equals + 1);
        auto const existing = std::find_if(filters.begin(), filters.end(),
            [&](Filter const& filter) { return filter.key == key; });
        if (existing != filters.end()) {
            existing->value = std::move(value);
        } else {
            filters.push_back(Filter { std::move(key), std::move(value) });
        }
    }
    order_like_js_object(filters);
    for (auto const& filter : filters) {
        if (!valid_filter_key(filter.key)) {
            return make_error(ErrorCode::InvalidArgument,
                "Invalid " + std::string(kind) + " key: \"" + filter.key + "\"");
        }
    }
    for (auto const& filter : filters) {
        // vmadm dies on the uncaught SyntaxError from new RegExp(); refusing up front keeps the
        // failure (exit 1) without the stack trace.
        if (is_regex_filter(filter)) {
            TRY(detail::JsRegex::compile(filter.value.substr(1)));
        }
    }
    return filters;
}

Result<bool> matches(Json const& vm, std::vector<Filter> const& filters)
{
    for (auto const& filter : filters) {
        std::optional<detail::JsRegex> pattern;
        if (is_regex_filter(filter)) {
            TRY_ASSIGN(compiled, detail::JsRegex::compile(filter.value.substr(1)));
            pattern = std::move(compiled);
        }
        std::optional<Error> failed;
        auto const matches_key = [&](std::string const& key) {
            Json const* value = flatten_ref(vm, key);
            // Undefined never matches; vmadm would throw on null, which we treat the same way.
            if (value == nullptr || value->is_null()) {
                return false;
            }
            std::string const text = js_to_string(*value);
            if (pattern) {
                auto found = pattern->search(text);
                if (!found) {
                    failed = std::move(found.error())
                                 .with_context("filter " + filter.key + "=" + filter.value);
                    return false;
                }
                return *found;
            }
            return text == (is_nic_mac_key(key) ? fix_mac(filter.value) : filter.value);
        };

        bool found = false;
        std::vector<std::string> const tokens = split(filter.key, '.');
        Json const* array
            = tokens.size() == 3 && tokens[1] == "*" && flatten_kind(tokens[0]) == Flatten::Elements
            ? own_member(vm, tokens[0])
            : nullptr;
        if (array != nullptr) {
            // "nics.*.mac": any element may match. vmadm loops over .length, which a non-array
            // lacks, so then nothing matches.
            size_t const count = array->is_array() ? array->size() : 0;
            for (size_t i = 0; i < count && !found; ++i) {
                found = matches_key(tokens[0] + "." + std::to_string(i) + "." + tokens[2]);
            }
        } else {
            found = matches_key(filter.key);
        }
        if (failed) {
            return tl::unexpected(std::move(*failed));
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

std::optional<std::vector<Claim>> index_claims(std::vector<Filter> const& filters)
{
    if (filters.empty()) {
        return std::nullopt;
    }
    for (auto const& filter : filters) {
        if (is_regex_filter(filter) || (filter.key != "nics.*.mac" && filter.key != "nics.*.ip")) {
            return std::nullopt;
        }
    }
    // A VM matches them all only if it matches the first: String(nic.mac) equal to the fixed
    // MAC, or String(nic.ip) equal to the value, which claims_of files under Mac and Ip.
    Filter const& first = filters.front();
    if (first.key == "nics.*.mac") {
        return std::vector<Claim> { Claim { ClaimKind::Mac, fix_mac(first.value) } };
    }
    return std::vector<Claim> { Claim { ClaimKind::Ip, first.value } };
}

std::vector<std::string> needed_keys(std::vector<std::string> const& columns,
    std::vector<std::string> const& sort_keys, std::vector<Filter> const& filters)
{
    std::vector<std::string> keys;
    auto const add = [&](std::string_view key) {
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
            keys.emplace_back(key);
        }
    };
    auto const add_field = [&](std::string_view field) {
        std::string_view const top = top_level_key(field);
        add(top);
        // Fake fields are computed from what add_fake_fields reads.
        if (top == "type") {
            add("brand");
        } else if (top == "ram") {
            add("brand");
            add("max_physical_memory");
        }
    };
    add("uuid");
    for (auto const& column : columns) {
        add_field(column);
    }
    for (auto const& key : sort_keys) {
        add_field(strip_sort_direction(key));
    }
    for (auto const& filter : filters) {
        add_field(filter.key);
    }
    return keys;
}

} // namespace lumos::props
