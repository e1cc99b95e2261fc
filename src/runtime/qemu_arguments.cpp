// SPDX-License-Identifier: MPL-2.0
// The words of a QEMU command line that come from people rather than from the VM object: vmadm
// start's arguments (vmadm.js parseStartArgs), qemu_opts and qemu_extra_opts (shell words, as
// SmartOS's startvm script hands them to bash), the startvm line itself and the paths a start
// option names in the zone root. Declared in runtime/qemu_plan.hpp.
#include "base/strings.hpp"
#include "runtime/qemu_plan.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <string>
#include <string_view>
#include <system_error>

namespace lumos::runtime {

namespace {

Error invalid(std::string message)
{
    return Error(ErrorCode::InvalidArgument, std::move(message));
}

// JavaScript's WhiteSpace and LineTerminator, in UTF-8: what Number() trims.
constexpr std::array<std::string_view, 25> JS_SPACES { " ", "\t", "\n", "\v", "\f", "\r",
    "\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80\x80", "\xE2\x80\x81", "\xE2\x80\x82", "\xE2\x80\x83",
    "\xE2\x80\x84", "\xE2\x80\x85", "\xE2\x80\x86", "\xE2\x80\x87", "\xE2\x80\x88", "\xE2\x80\x89",
    "\xE2\x80\x8A", "\xE2\x80\xA8", "\xE2\x80\xA9", "\xE2\x80\xAF", "\xE2\x81\x9F", "\xE3\x80\x80",
    "\xEF\xBB\xBF" };

std::string_view trim_js_whitespace(std::string_view text)
{
    bool trimmed = true;
    while (trimmed && !text.empty()) {
        trimmed = false;
        for (auto const space : JS_SPACES) {
            if (text.starts_with(space)) {
                text.remove_prefix(space.size());
                trimmed = true;
            }
            if (text.ends_with(space)) {
                text.remove_suffix(space.size());
                trimmed = true;
            }
        }
    }
    return text;
}

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// Whether Number(text) < 2 in JavaScript (NaN never is).
bool js_number_below_two(std::string_view text)
{
    text = trim_js_whitespace(text);
    if (text.empty()) {
        return true; // Number("") is 0
    }
    if (text.size() > 2 && text[0] == '0'
        && std::string_view("xXoObB").find(text[1]) != std::string_view::npos) {
        std::string_view const digits_of_base = text[1] == 'x' || text[1] == 'X'
            ? "0123456789abcdefABCDEF"
            : (text[1] == 'o' || text[1] == 'O' ? "01234567" : "01");
        std::string_view digits = text.substr(2);
        if (digits.find_first_not_of(digits_of_base) != std::string_view::npos) {
            return false;
        }
        digits.remove_prefix(std::min(digits.find_first_not_of('0'), digits.size()));
        return digits.empty() || digits == "1";
    }
    bool negative = false;
    if (text.front() == '+' || text.front() == '-') {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    if (text == "Infinity") {
        return negative;
    }
    // StrUnsignedDecimalLiteral: digits [. digits] or . digits, then an optional exponent.
    size_t pos = 0;
    size_t mantissa_digits = 0;
    for (; pos < text.size() && is_digit(text[pos]); ++pos) {
        ++mantissa_digits;
    }
    if (pos < text.size() && text[pos] == '.') {
        for (++pos; pos < text.size() && is_digit(text[pos]); ++pos) {
            ++mantissa_digits;
        }
    }
    if (mantissa_digits == 0) {
        return false;
    }
    bool negative_exponent = false;
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
        ++pos;
        if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
            negative_exponent = text[pos] == '-';
            ++pos;
        }
        size_t const exponent_start = pos;
        while (pos < text.size() && is_digit(text[pos])) {
            ++pos;
        }
        if (pos == exponent_start) {
            return false;
        }
    }
    if (pos != text.size()) {
        return false;
    }
    if (negative) {
        return true; // any negative number, -0 too
    }
    double value = 0;
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::result_out_of_range) {
        return negative_exponent; // too small is 0, too large is Infinity
    }
    return error == std::errc() && end == text.data() + text.size() && value < 2;
}

} // namespace

Result<StartOptions> parse_start_options(std::vector<std::string> const& arguments)
{
    StartOptions options;
    bool saw_order = false;
    for (auto const& argument : arguments) {
        size_t const equals = argument.find('=');
        // vmadm.js checks its split with `kv < 2`, an array compared with a number: true only
        // for an argument without '=' whose text is a number below 2 ("", "0", "1", "-3").
        if (equals == std::string::npos && js_number_below_two(argument)) {
            return make_error(ErrorCode::Usage, "Bad arguments: unable to split " + argument);
        }
        std::string const key = argument.substr(0, equals);
        std::string const value = equals == std::string::npos ? "" : argument.substr(equals + 1);
        if (key == "order") {
            if (saw_order) {
                return make_error(
                    ErrorCode::Usage, "You can only specify 'order' once when starting a VM");
            }
            options.boot = "order=" + value;
            saw_order = true;
        } else if (key == "disk" || key == "cdrom") {
            auto const fields = split(value, ',');
            std::string const path = fields.empty() ? "" : fields[0];
            std::string const model = fields.size() < 2 ? "" : fields[1];
            if (path.empty() || model.empty()) {
                return make_error(ErrorCode::Usage, "Parameter to " + key + " must be: path,model");
            }
            options.disks.push_back(StartDisk { path, model, key });
        } else {
            return make_error(ErrorCode::Usage, "Invalid argument to start: " + key);
        }
    }
    return options;
}

Result<std::vector<std::string>> split_shell_words(std::string_view text)
{
    auto const refuse
        = [](std::string message) { return tl::unexpected(invalid(std::move(message))); };
    auto const at = [](size_t offset) { return " at offset " + std::to_string(offset); };
    auto const printable
        = [](char c) { return c == '\n' ? std::string("newline") : "'" + std::string(1, c) + "'"; };
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    size_t i = 0;
    while (i < text.size()) {
        char const c = text[i];
        if (c == ' ' || c == '\t') {
            if (in_word) {
                words.push_back(std::move(word));
                word.clear();
                in_word = false;
            }
            ++i;
            continue;
        }
        if (c == '#' && !in_word) { // a comment, to the end of the line
            size_t const newline = text.find('\n', i);
            if (newline == std::string_view::npos) {
                break;
            }
            i = newline;
            continue;
        }
        if (std::string_view(";&|<>()\n").find(c) != std::string_view::npos) {
            return refuse("unquoted " + printable(c) + at(i)
                + " is a shell operator; quote it to pass it to QEMU");
        }
        if (c == '$' || c == '`') {
            return refuse(printable(c) + at(i)
                + " would be expanded by a shell; put it in single quotes or escape it with a "
                  "backslash");
        }
        in_word = true;
        if (c == '\\') {
            // In SmartOS's startvm a final backslash escapes the newline after it, joining the
            // script's next line to QEMU's arguments.
            if (i + 1 == text.size()) {
                return refuse("the backslash" + at(i) + " ends the text and escapes nothing");
            }
            if (text[i + 1] != '\n') { // a backslash-newline joins lines
                word += text[i + 1];
            }
            i += 2;
            continue;
        }
        if (c == '\'') {
            size_t const close = text.find('\'', i + 1);
            if (close == std::string_view::npos) {
                return refuse("unbalanced quotes: the ' " + at(i).substr(1) + " is never closed");
            }
            word.append(text.substr(i + 1, close - i - 1));
            i = close + 1;
            continue;
        }
        if (c == '"') {
            size_t j = i + 1;
            for (;; ++j) {
                if (j == text.size()) {
                    return refuse(
                        "unbalanced quotes: the \" " + at(i).substr(1) + " is never closed");
                }
                char const d = text[j];
                if (d == '"') {
                    break;
                }
                if (d == '\\' && j + 1 < text.size()
                    && std::string_view("$`\"\\\n").find(text[j + 1]) != std::string_view::npos) {
                    if (text[j + 1] != '\n') {
                        word += text[j + 1];
                    }
                    ++j;
                    continue;
                }
                if (d == '$' || d == '`') {
                    return refuse(printable(d) + at(j)
                        + " would be expanded by a shell; put it in single quotes or escape it "
                          "with a backslash");
                }
                word += d;
            }
            i = j + 1;
            continue;
        }
        word += c;
        ++i;
    }
    if (in_word) {
        words.push_back(std::move(word));
    }
    return words;
}

std::string shell_quote(std::string_view word)
{
    constexpr std::string_view SAFE
        = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-";
    if (!word.empty() && word.find_first_not_of(SAFE) == std::string_view::npos) {
        return std::string(word);
    }
    std::string quoted = "'";
    for (char const c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

std::string shell_command(std::vector<std::string> const& argv)
{
    std::string line;
    for (auto const& word : argv) {
        if (!line.empty()) {
            line += ' ';
        }
        line += shell_quote(word);
    }
    return line;
}

Result<std::string> zone_root_path(std::string const& zonepath, std::string const& path)
{
    if (path.find('\0') != std::string::npos) {
        return tl::unexpected(invalid("Invalid disk path: it contains a NUL byte"));
    }
    std::string resolved = zonepath + "/root";
    bool named = false;
    for (auto const& component : split(path, '/')) {
        if (component.empty() || component == ".") {
            continue;
        }
        if (component == "..") {
            return tl::unexpected(
                invalid("Invalid disk path: " + path + " (\"..\" may not leave the zone root)"));
        }
        resolved += "/" + component;
        named = true;
    }
    if (!named) {
        return tl::unexpected(
            invalid("Invalid disk path: \"" + path + "\" names no file in the zone root"));
    }
    return resolved;
}

} // namespace lumos::runtime
