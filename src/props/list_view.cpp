// SPDX-License-Identifier: MPL-2.0
#include "props/list_view.hpp"

#include "base/strings.hpp"
#include "props/brand.hpp"
#include "props/detail/javascript.hpp"
#include "props/detail/js_regex.hpp"
#include "props/property_table.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <utility>

namespace lumos::props {

namespace {

using detail::is_line_terminator;
using detail::js_length;
using detail::js_to_string;
using detail::rtrim_js_space;
using detail::string_to_number;
using detail::to_utf16;

constexpr int SUB_FIELD_WIDTH = 20;

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

// ---- Flattening ------------------------------------------------------------------------------

// Canonical array index ("0", "17"; not "01" or "+1"), as hasOwnProperty sees array keys.
std::optional<size_t> canonical_index(std::string_view text)
{
    if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    uint64_t value = 0;
    for (char const c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value >= 0xFFFFFFFFULL) {
        return std::nullopt;
    }
    return static_cast<size_t>(value);
}

// container[key] when key is an own property of an object or an index of an array; nullptr
// stands for undefined.
Json const* own_member(Json const& container, std::string_view key)
{
    if (container.is_object()) {
        auto const it = container.find(key);
        return it == container.end() ? nullptr : &*it;
    }
    if (container.is_array()) {
        auto const index = canonical_index(key);
        if (!index || *index >= container.size()) {
            return nullptr;
        }
        return &container[*index];
    }
    return nullptr;
}

// exports.flatten without copying; nullptr is undefined. Where vmadm would throw (a null nic),
// this answers undefined.
Json const* flatten_ref(Json const& vm, std::string_view key)
{
    std::vector<std::string> const tokens = split(key, '.');
    if (tokens.size() == 3 && flatten_kind(tokens[0]) == Flatten::Elements) {
        Json const* outer = own_member(vm, tokens[0]);
        Json const* element = outer == nullptr ? nullptr : own_member(*outer, tokens[1]);
        return element == nullptr ? nullptr : own_member(*element, tokens[2]);
    }
    if (tokens.size() == 2 && flatten_kind(tokens[0]) == Flatten::Keys) {
        Json const* outer = own_member(vm, tokens[0]);
        return outer == nullptr ? nullptr : own_member(*outer, tokens[1]);
    }
    if (tokens.size() == 2 && flatten_kind(tokens[0]) == Flatten::Indexes) {
        Json const* outer = own_member(vm, tokens[0]);
        if (outer == nullptr || !outer->is_array()) {
            return nullptr;
        }
        // The index goes through Number(), so "resolvers." is element 0 and "resolvers.1.0"
        // element 1, as in vmadm.
        double const index = string_to_number(tokens[1]);
        if (!std::isfinite(index) || index < 0 || std::floor(index) != index
            || index >= static_cast<double>(outer->size())) {
            return nullptr;
        }
        return &(*outer)[static_cast<size_t>(index)];
    }
    return own_member(vm, key);
}

// One sortVM key in ascending order: positive when a goes after b. A falsy or undefined value
// goes after a truthy one, so 0 sorts after 256. sortVM itself tests "a > b" before falsiness,
// which makes 256 > 0 and "0 after 256" disagree and leaves the order to the sort algorithm;
// deciding falsiness first gives the documented order consistently.
int compare_ascending(Json const* a, Json const* b)
{
    bool const a_truthy = detail::js_truthy_or_undefined(a);
    bool const b_truthy = detail::js_truthy_or_undefined(b);
    if (a_truthy != b_truthy) {
        return a_truthy ? -1 : 1;
    }
    if ((a == nullptr) != (b == nullptr)) {
        return a != nullptr ? -1 : 1;
    }
    detail::JsPrimitive const pa = detail::to_primitive(a);
    detail::JsPrimitive const pb = detail::to_primitive(b);
    if (detail::js_less(pb, pa)) {
        return 1;
    }
    if (detail::js_less(pa, pb)) {
        return -1;
    }
    return 0;
}

// A stable merge sort that stays in bounds whatever the comparator answers: with values of mixed
// types JavaScript's < is not a strict weak ordering, which std::sort may not be given.
template <typename Compare>
void merge_sort(std::vector<size_t>& items, Compare const& compare)
{
    size_t const count = items.size();
    std::vector<size_t> buffer(count);
    for (size_t width = 1; width < count; width *= 2) {
        for (size_t low = 0; low < count; low += 2 * width) {
            size_t const middle = std::min(low + width, count);
            size_t const high = std::min(low + 2 * width, count);
            size_t left = low;
            size_t right = middle;
            size_t out = low;
            while (left < middle && right < high) {
                buffer[out++]
                    = compare(items[left], items[right]) > 0 ? items[right++] : items[left++];
            }
            while (left < middle) {
                buffer[out++] = items[left++];
            }
            while (right < high) {
                buffer[out++] = items[right++];
            }
        }
        items.swap(buffer);
    }
}

// ---- Keys and columns ------------------------------------------------------------------------

struct ListColumn {
    std::string header;
    int width;
};

// getListProperties: a table column, or <array>.<x>.<sub> / <hash>.<key> at width 20.
std::optional<ListColumn> list_column(std::string_view field)
{
    Property const* property = find_property(field);
    if (property != nullptr && property->listable() && !property->list_header.empty()) {
        return ListColumn { std::string(property->list_header), property->list_width };
    }
    std::vector<std::string> const tokens = split(field, '.');
    if ((tokens.size() == 3 && flatten_kind(tokens[0]) == Flatten::Elements)
        || (tokens.size() == 2 && flatten_kind(tokens[0]) == Flatten::Keys)) {
        return ListColumn { to_upper(field), SUB_FIELD_WIDTH };
    }
    return std::nullopt;
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

// validColumnKey's /^(disks|filesystems|nics).\*.*/: a key that names no single element.
bool is_wildcard_column_key(std::string_view key)
{
    std::u16string const wide = to_utf16(key);
    std::u16string_view const text = wide;
    constexpr std::array<std::u16string_view, 3> NAMES { u"disks", u"filesystems", u"nics" };
    return std::ranges::any_of(NAMES, [text](std::u16string_view name) {
        return text.size() >= name.size() + 2 && text.starts_with(name)
            && !is_line_terminator(text[name.size()]) && text[name.size() + 1] == u'*';
    });
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

std::string_view strip_sort_direction(std::string_view key)
{
    if (!key.empty() && (key[0] == '+' || key[0] == '-')) {
        key.remove_prefix(1);
    }
    return key;
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

std::string render_line(
    std::vector<ListColumn> const& columns, std::vector<std::string> const& cells, bool parsable)
{
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
        if (i != 0) {
            line += parsable ? ":" : "  ";
        }
        line += cells[i];
        if (!parsable) {
            // %-<width>s pads to the width and never truncates.
            auto const width = static_cast<size_t>(std::max(columns[i].width, 0));
            size_t const length = js_length(cells[i]);
            if (length < width) {
                line.append(width - length, ' ');
            }
        }
    }
    rtrim_js_space(line);
    line += '\n';
    return line;
}

} // namespace

std::optional<Json> flatten_value(Json const& vm, std::string_view key)
{
    Json const* value = flatten_ref(vm, key);
    if (value == nullptr) {
        return std::nullopt;
    }
    return *value;
}

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

bool valid_list_field(std::string_view key)
{
    return !is_wildcard_column_key(key) && list_column(key).has_value();
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

void add_fake_fields(Json& vm)
{
    if (!vm.is_object()) {
        return;
    }
    std::optional<Brand> brand;
    auto const brand_it = vm.find("brand");
    if (brand_it != vm.end() && brand_it->is_string()) {
        brand = parse_brand(brand_it->get_ref<std::string const&>());
    }
    // The TYPE column is four wide, so vmadm cuts the type there too: BHYVE becomes BHYV.
    vm["type"] = brand ? std::string(features(*brand).type.substr(0, 4)) : std::string("OS");
    if (brand && is_hvm(*brand)) {
        return;
    }
    // m.ram = m.max_physical_memory: a missing value leaves ram undefined, not stale.
    auto const memory = vm.find("max_physical_memory");
    if (memory != vm.end()) {
        Json value = *memory;
        vm["ram"] = std::move(value);
    } else {
        vm.erase("ram");
    }
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

Result<void> check_list_options(ListOptions const& options)
{
    if (options.columns.empty()) {
        return make_error(ErrorCode::InvalidArgument, "no order fields provided");
    }
    if (options.sort_keys.empty()) {
        return make_error(ErrorCode::InvalidArgument, "no sort fields provided");
    }
    // vmadm has no bound, but a 10,000-column -o builds rows until memory runs out.
    if (options.columns.size() > MAX_LIST_FIELDS) {
        return make_error(ErrorCode::InvalidArgument,
            "too many order fields: " + std::to_string(options.columns.size()) + " (at most "
                + std::to_string(MAX_LIST_FIELDS) + ")");
    }
    if (options.sort_keys.size() > MAX_LIST_FIELDS) {
        return make_error(ErrorCode::InvalidArgument,
            "too many sort fields: " + std::to_string(options.sort_keys.size()) + " (at most "
                + std::to_string(MAX_LIST_FIELDS) + ")");
    }
    // vmadm's order: the ".*." check on -o then -s, then the column check on -s then -o. The
    // ".*." check sees a sort key with its sign, so "-nics.*.ip" gets through it.
    for (auto const& column : options.columns) {
        if (is_wildcard_column_key(column)) {
            return make_error(ErrorCode::InvalidArgument, "Invalid order key: \"" + column + "\"");
        }
    }
    for (auto const& key : options.sort_keys) {
        if (is_wildcard_column_key(key)) {
            return make_error(ErrorCode::InvalidArgument, "Invalid sort key: \"" + key + "\"");
        }
    }
    for (auto const& key : options.sort_keys) {
        if (!list_column(strip_sort_direction(key))) {
            return make_error(ErrorCode::InvalidArgument, "invalid sort field: " + key);
        }
    }
    for (auto const& column : options.columns) {
        if (!list_column(column)) {
            return make_error(ErrorCode::InvalidArgument, "invalid order field: " + column);
        }
    }
    return {};
}

Result<std::string> format_list(std::vector<Json> vms, ListOptions const& options)
{
    TRY(check_list_options(options));

    std::vector<ListColumn> columns;
    for (auto const& field : options.columns) {
        columns.push_back(*list_column(field));
    }

    struct SortKey {
        std::string field;
        int direction;
    };
    std::vector<SortKey> sort_keys;
    for (auto const& key : options.sort_keys) {
        sort_keys.push_back(SortKey {
            std::string(strip_sort_direction(key)), !key.empty() && key[0] == '-' ? -1 : 1 });
    }
    // Flatten each sort value once; the pointers stay valid because vms is not touched again
    // until the output is built.
    std::vector<std::vector<Json const*>> sort_values(vms.size());
    for (size_t i = 0; i < vms.size(); ++i) {
        for (auto const& key : sort_keys) {
            sort_values[i].push_back(flatten_ref(vms[i], key.field));
        }
    }
    std::vector<size_t> order(vms.size());
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    merge_sort(order, [&](size_t a, size_t b) {
        for (size_t k = 0; k < sort_keys.size(); ++k) {
            int const result = compare_ascending(sort_values[a][k], sort_values[b][k]);
            if (result != 0) {
                return result * sort_keys[k].direction;
            }
        }
        return 0;
    });

    std::string out;
    if (options.header) {
        std::vector<std::string> headers;
        headers.reserve(columns.size());
        for (auto const& column : columns) {
            headers.push_back(column.header);
        }
        out += render_line(columns, headers, options.parsable);
    }
    for (size_t const index : order) {
        std::vector<std::string> cells;
        for (auto const& field : options.columns) {
            Json const* value = flatten_ref(vms[index], field);
            if (value != nullptr && (js_truthy(*value) || (value->is_number() && *value == 0))) {
                cells.push_back(js_to_string(*value));
            } else {
                cells.emplace_back(options.parsable ? "" : "-");
            }
        }
        out += render_line(columns, cells, options.parsable);
    }
    return out;
}

} // namespace lumos::props
