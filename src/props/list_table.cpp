// SPDX-License-Identifier: MPL-2.0
#include "props/list_table.hpp"

#include "base/strings.hpp"
#include "props/detail/javascript.hpp"
#include "props/flatten.hpp"
#include "props/property_table.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace lumos::props {

namespace {

using detail::is_line_terminator;
using detail::js_length;
using detail::js_to_string;
using detail::rtrim_js_space;
using detail::to_utf16;

constexpr int SUB_FIELD_WIDTH = 20;

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

// One line: "  "-separated and padded to the column widths, or ':'-separated with -p.
std::string render_line(std::vector<ListColumn> const& columns,
    std::vector<std::string> const& cells, ListOptions const& options)
{
    bool const parsable = options.parsable;
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

std::string_view strip_sort_direction(std::string_view key)
{
    if (!key.empty() && (key[0] == '+' || key[0] == '-')) {
        key.remove_prefix(1);
    }
    return key;
}

bool valid_list_field(std::string_view key)
{
    return !is_wildcard_column_key(key) && list_column(key).has_value();
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
        out += render_line(columns, headers, options);
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
        out += render_line(columns, cells, options);
    }
    return out;
}

} // namespace lumos::props
