// SPDX-License-Identifier: MPL-2.0
#include "base/host_config_edit.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <vector>

#include <sys/stat.h>

namespace lumos {

namespace {

// The config is a few lines; anything larger is not one (as HostConfig::read_text).
constexpr size_t MAX_CONFIG_BYTES = size_t { 1 } << 20U;

// The text's lines, without their '\n'; a last line without one is a line too.
std::vector<std::string> lines_of(std::string_view text)
{
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t const end = text.find('\n', start);
        if (end == std::string_view::npos) {
            lines.emplace_back(text.substr(start));
            break;
        }
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string text_of(std::vector<std::string> const& lines)
{
    std::string text;
    for (auto const& line : lines) {
        text.append(line).append("\n");
    }
    return text;
}

// The key of a "key=value" line as HostConfig reads it; nullopt for comments and other lines.
std::optional<std::string_view> key_of(std::string_view raw_line)
{
    std::string_view const line = trim(raw_line);
    size_t const equals = line.find('=');
    if (line.empty() || line.front() == '#' || equals == std::string_view::npos) {
        return std::nullopt;
    }
    return trim(line.substr(0, equals));
}

// The last "etherstub=" line, lines.size() when there is none.
size_t last_etherstub_line(std::vector<std::string> const& lines)
{
    size_t found = lines.size();
    for (size_t i = 0; i < lines.size(); ++i) {
        if (key_of(lines[i]) == "etherstub") {
            found = i;
        }
    }
    return found;
}

// An "etherstub=" line's list and its quote character (0 when unquoted).
struct StubList {
    std::vector<std::string> names;
    char quote { 0 };
};

StubList stub_list(std::string_view line)
{
    std::string_view value = trim(trim(line).substr(trim(line).find('=') + 1));
    StubList list;
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'')) {
        list.quote = value.front();
        value = value.substr(1, value.size() - 2);
    }
    for (auto const& name : split(value, ',')) {
        if (!trim(name).empty()) {
            list.names.emplace_back(trim(name));
        }
    }
    return list;
}

// The temp files of writers killed before their rename (write_file_atomic's "config.tmp.*"):
// under the lock no writer is running, so each is a leftover.
void remove_leftover_temp_files(std::string const& etc_dir)
{
    std::error_code ec;
    for (auto const& entry : std::filesystem::directory_iterator(etc_dir, ec)) {
        if (entry.path().filename().string().starts_with("config.tmp.")) {
            std::filesystem::remove(entry.path(), ec);
        }
    }
}

std::string stub_line(StubList const& list)
{
    std::string const quote = list.quote == 0 ? "" : std::string(1, list.quote);
    return "etherstub=" + quote + join(list.names, ",") + quote;
}

} // namespace

std::string config_with_key(std::string_view text, std::string_view key, std::string_view value)
{
    std::string const line = std::string(key) + "=" + std::string(value);
    std::vector<std::string> lines;
    bool placed = false;
    for (auto& existing : lines_of(text)) {
        if (key_of(existing) != key) {
            lines.push_back(std::move(existing));
        } else if (!placed) {
            lines.push_back(line);
            placed = true;
        }
    }
    if (!placed) {
        lines.push_back(line);
    }
    return text_of(lines);
}

std::string config_without_key(std::string_view text, std::string_view key)
{
    auto lines = lines_of(text);
    std::erase_if(lines, [&key](std::string const& line) { return key_of(line) == key; });
    return text_of(lines);
}

std::string config_with_etherstub(std::string_view text, std::string_view name)
{
    auto lines = lines_of(text);
    size_t const index = last_etherstub_line(lines);
    if (index == lines.size()) {
        lines.push_back("etherstub=" + std::string(name));
        return text_of(lines);
    }
    StubList list = stub_list(lines[index]);
    list.names.emplace_back(name);
    lines[index] = stub_line(list);
    return text_of(lines);
}

std::string config_without_etherstub(std::string_view text, std::string_view name)
{
    auto lines = lines_of(text);
    size_t const index = last_etherstub_line(lines);
    if (index == lines.size()) {
        return text_of(lines);
    }
    StubList list = stub_list(lines[index]);
    std::erase(list.names, std::string(name));
    if (list.names.empty()) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(index));
    } else {
        lines[index] = stub_line(list);
    }
    return text_of(lines);
}

Result<HostConfigEdit> HostConfigEdit::begin(Paths const& paths)
{
    TRY(make_directories(paths.etc_dir()));
    TRY_ASSIGN(lock, FileLock::acquire(paths.etc_dir() + "/config.lock"));
    remove_leftover_temp_files(paths.etc_dir());
    std::string path = paths.etc_dir() + "/config";
    int mode = 0644;
    std::string text;
    if (auto read = read_file_bounded(path, MAX_CONFIG_BYTES)) {
        text = std::move(*read);
        struct stat st { };
        if (::stat(path.c_str(), &st) == 0) {
            mode = static_cast<int>(st.st_mode & 07777U);
        }
    } else if (read.error().code() != ErrorCode::NotFound) {
        // Never replace a file that could not be read: its other lines would be lost.
        return tl::unexpected(std::move(read).error());
    }
    return HostConfigEdit(std::move(lock), std::move(path), std::move(text), mode);
}

Result<void> HostConfigEdit::commit(std::string const& text)
{
    TRY(write_file_atomic(m_path, text, m_mode));
    m_text = text;
    return {};
}

} // namespace lumos
