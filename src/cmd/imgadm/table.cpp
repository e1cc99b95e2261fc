// SPDX-License-Identifier: MPL-2.0
// The list/avail table (reference section 4.3): imgadm's option parsing for -j -H -o -s and
// filter arguments (imgadm.js filtersFromArgs/filterImagesInfo) and node-tabula's layout and sort.
#include "base/json.hpp"
#include "cmd/imgadm/cli.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <ostream>
#include <set>
#include <string_view>

namespace lumos::imgadm {

namespace {

std::vector<std::string> split_commas(std::string const& text)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos) {
            comma = text.size();
        }
        std::string part = text.substr(start, comma - start);
        if (!part.empty()) {
            out.push_back(part);
        }
        start = comma + 1;
    }
    return out;
}

image::ImgResult<void> check_filter(std::string const& arg)
{
    size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
        return image::img_error(image::ImgCode::UsageError,
            "invalid filter: \"" + arg + "\" (must be of the form \"field=value\")");
    }
    return {};
}

// lookup(row, "a.b.c"): a literal key wins, then the dotted path. nullopt when undefined.
std::optional<Json> lookup(Json const& row, std::string const& field)
{
    if (!row.is_object()) {
        return std::nullopt;
    }
    if (auto it = row.find(field); it != row.end()) {
        return *it;
    }
    Json const* current = &row;
    size_t start = 0;
    while (true) {
        size_t dot = field.find('.', start);
        std::string part
            = field.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!current->is_object()) {
            return std::nullopt;
        }
        auto it = current->find(part);
        if (it == current->end()) {
            return std::nullopt;
        }
        current = &*it;
        if (dot == std::string::npos) {
            return *current;
        }
        start = dot + 1;
    }
}

// JavaScript's Number(value) for the values manifests hold; NaN when not a number.
double js_number(Json const& value)
{
    double const nan = std::nan("");
    if (value.is_number()) {
        return value.get<double>();
    }
    if (value.is_boolean()) {
        return value.get<bool>() ? 1.0 : 0.0;
    }
    if (value.is_null()) {
        return 0.0;
    }
    if (!value.is_string()) {
        return nan;
    }
    std::string text = value.get<std::string>();
    size_t first = text.find_first_not_of(" \t\n\r\f\v");
    if (first == std::string::npos) {
        return 0.0;
    }
    size_t last = text.find_last_not_of(" \t\n\r\f\v");
    text = text.substr(first, last - first + 1);
    if (text == "Infinity" || text == "+Infinity") {
        return HUGE_VAL;
    }
    if (text == "-Infinity") {
        return -HUGE_VAL;
    }
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        if (text.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos) {
            return nan;
        }
        return static_cast<double>(std::strtoull(text.c_str() + 2, nullptr, 16));
    }
    // strtod also takes hex floats, "inf" and "nan", which Number() does not.
    if (text.find_first_not_of("0123456789.eE+-") != std::string::npos) {
        return nan;
    }
    char* end = nullptr;
    errno = 0;
    double number = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size()) {
        return nan;
    }
    return number;
}

// tabula's cell: undefined/null "-", objects and arrays as JSON, everything else String().
std::string cell_text(std::optional<Json> const& value)
{
    if (!value || value->is_null()) {
        return "-";
    }
    if (value->is_object() || value->is_array()) {
        return dump_compact(*value);
    }
    return js_string(*value);
}

bool matches_filter(Json const& row, std::string const& filter)
{
    size_t eq = filter.find('=');
    std::string field = filter.substr(0, eq);
    std::string value = filter.substr(eq + 1);
    std::optional<Json> actual = lookup(row, field);
    if (!actual) {
        return false;
    }
    if (!value.empty() && value[0] == '~') {
        return js_string(*actual).find(value.substr(1)) != std::string::npos;
    }
    if (value == "true" || value == "false") {
        return actual->is_boolean() && actual->get<bool>() == (value == "true");
    }
    return js_string(*actual) == value;
}

// tabula's sortArrayOfObjects comparison for one field: numbers when both are numbers, else
// strings; undefined before anything in ascending order.
int compare_field(Json const& a, Json const& b, std::string const& field)
{
    std::optional<Json> a_value = lookup(a, field);
    std::optional<Json> b_value = lookup(b, field);
    if (!a_value && !b_value) {
        return 0;
    }
    if (!a_value) {
        return -1;
    }
    if (!b_value) {
        return 1;
    }
    double a_number = js_number(*a_value);
    double b_number = js_number(*b_value);
    if (!std::isnan(a_number) && !std::isnan(b_number)) {
        return a_number < b_number ? -1 : (a_number > b_number ? 1 : 0);
    }
    std::string a_text = js_string(*a_value);
    std::string b_text = js_string(*b_value);
    return a_text < b_text ? -1 : (a_text > b_text ? 1 : 0);
}

// Fields -s accepts: the manifest's (section 4.4), the computed ones and the docker ones, plus
// whatever the rows carry.
std::set<std::string> const& known_fields()
{
    static std::set<std::string> const FIELDS { "v", "uuid", "owner", "name", "version",
        "description", "homepage", "eula", "urn", "disabled", "activated", "public", "state",
        "published_at", "origin", "files", "icon", "error", "acl", "requirements", "users",
        "billing_tags", "traits", "tags", "generate_passwords", "inherited_directories",
        "nic_driver", "disk_driver", "cpu_type", "image_size", "channels", "type", "os",
        "published_date", "pub", "published", "source", "clones", "zpool", "size", "docker_id",
        "docker_short_id", "docker_repo", "docker_tags" };
    return FIELDS;
}

bool is_valid_sort_field(std::string const& field, std::vector<Json> const& rows)
{
    std::string top = field.substr(0, field.find('.'));
    if (known_fields().contains(top)) {
        return true;
    }
    return std::any_of(
        rows.begin(), rows.end(), [&](Json const& row) { return lookup(row, field).has_value(); });
}

} // namespace

image::ImgResult<TableOptions> parse_table_args(
    Args const& args, std::string const& default_columns)
{
    TableOptions options;
    std::string columns = default_columns;
    std::string sort = "published_at,name";
    bool options_done = false;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& arg = args[i];
        if (options_done || arg.empty() || arg[0] != '-' || arg == "-") {
            TRY(check_filter(arg));
            options.filters.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_done = true;
            continue;
        }
        auto take_value = [&](std::string const& name,
                              std::string const& inline_value) -> image::ImgResult<std::string> {
            if (!inline_value.empty()) {
                return inline_value;
            }
            if (i + 1 >= args.size()) {
                return image::img_error(image::ImgCode::UsageError,
                    "do not have enough args for \"" + name + "\" option");
            }
            return args[++i];
        };
        if (arg == "--json") {
            options.json = true;
        } else if (arg == "--output" || arg.rfind("--output=", 0) == 0) {
            TRY_ASSIGN(value, take_value("--output", arg.size() > 9 ? arg.substr(9) : ""));
            columns = value;
        } else if (arg == "--sort" || arg.rfind("--sort=", 0) == 0) {
            TRY_ASSIGN(value, take_value("--sort", arg.size() > 7 ? arg.substr(7) : ""));
            sort = value;
        } else if (arg[1] == '-') {
            return image::img_error(image::ImgCode::UsageError, "unknown option: \"" + arg + "\"");
        } else {
            // Bundled short options: -jH, -Ho uuid, -ouuid,name.
            for (size_t k = 1; k < arg.size(); ++k) {
                char flag = arg[k];
                if (flag == 'j') {
                    options.json = true;
                } else if (flag == 'H') {
                    options.no_header = true;
                } else if (flag == 'o' || flag == 's') {
                    TRY_ASSIGN(value, take_value(std::string("-") + flag, arg.substr(k + 1)));
                    (flag == 'o' ? columns : sort) = value;
                    break;
                } else {
                    return image::img_error(image::ImgCode::UsageError,
                        "unknown option: \"-" + std::string(1, flag) + "\"");
                }
            }
        }
    }
    options.columns = split_commas(columns);
    options.sort = split_commas(sort);
    return options;
}

image::ImgResult<void> print_table(
    std::vector<Json> rows, std::vector<Json> json_objects, TableOptions const& options, Io& io)
{
    for (std::string const& filter : options.filters) {
        TRY(check_filter(filter));
    }
    std::vector<Json> kept_rows;
    std::vector<Json> kept_objects;
    for (size_t i = 0; i < rows.size(); ++i) {
        bool keep = std::all_of(options.filters.begin(), options.filters.end(),
            [&](std::string const& filter) { return matches_filter(rows[i], filter); });
        if (!keep) {
            continue;
        }
        if (i < json_objects.size()) {
            Json object = std::move(json_objects[i]);
            // imgadm computes the extra fields into the manifest objects themselves before it
            // filters, so `list -j` with filters shows them.
            if (!options.filters.empty() && object.is_object() && object.contains("manifest")) {
                object["manifest"] = rows[i];
            }
            kept_objects.push_back(std::move(object));
        }
        kept_rows.push_back(std::move(rows[i]));
    }

    if (options.json) {
        io.out << dump_pretty(Json(kept_objects)) << "\n";
        return {};
    }

    std::vector<std::pair<std::string, bool>> sort_fields; // field, descending
    for (std::string const& raw : options.sort) {
        bool descending = raw[0] == '-';
        std::string field = descending ? raw.substr(1) : raw;
        if (field.empty() || !is_valid_sort_field(field, kept_rows)) {
            return image::img_error(
                image::ImgCode::UsageError, "invalid sort field: \"" + raw + "\"");
        }
        sort_fields.emplace_back(field, descending);
    }
    std::stable_sort(kept_rows.begin(), kept_rows.end(), [&](Json const& a, Json const& b) {
        for (auto const& [field, descending] : sort_fields) {
            int order = compare_field(a, b, field);
            if (order != 0) {
                return descending ? order > 0 : order < 0;
            }
        }
        return false;
    });

    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    std::vector<std::string> header;
    for (std::string const& column : options.columns) {
        std::string upper = column;
        std::transform(upper.begin(), upper.end(), upper.begin(),
            [](char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; });
        header.push_back(upper);
        widths.push_back(upper.size());
    }
    for (Json const& row : kept_rows) {
        std::vector<std::string> line;
        for (size_t c = 0; c < options.columns.size(); ++c) {
            line.push_back(cell_text(lookup(row, options.columns[c])));
            widths[c] = std::max(widths[c], line.back().size());
        }
        cells.push_back(std::move(line));
    }
    auto print_line = [&](std::vector<std::string> const& line) {
        std::string text;
        for (size_t c = 0; c < line.size(); ++c) {
            if (c + 1 == line.size()) {
                text += line[c];
            } else {
                text += line[c];
                text.append(widths[c] - line[c].size() + 2, ' ');
            }
        }
        io.out << text << "\n";
    };
    if (!options.no_header) {
        print_line(header);
    }
    for (auto const& line : cells) {
        print_line(line);
    }
    return {};
}

} // namespace lumos::imgadm
