// SPDX-License-Identifier: MPL-2.0
#include "image/sources.hpp"

#include "base/file.hpp"

#include <cerrno>

#include <sys/stat.h>

namespace lumos::image {

namespace {

constexpr char const* DEFAULT_SOURCE_URL = "https://images.smartos.org";

std::string config_path(Paths const& paths)
{
    return paths.imgadm_dir() + "/imgadm.conf";
}

bool file_exists(std::string const& path)
{
    struct stat st { };
    return ::stat(path.c_str(), &st) == 0;
}

// The value of one query parameter of a url, "" when absent (no percent-decoding: channel
// names are plain words).
std::string query_param(std::string const& url, std::string const& key)
{
    auto question = url.find('?');
    if (question == std::string::npos) {
        return {};
    }
    std::string query = url.substr(question + 1);
    if (auto hash = query.find('#'); hash != std::string::npos) {
        query.resize(hash);
    }
    size_t start = 0;
    while (start <= query.size()) {
        size_t end = query.find('&', start);
        if (end == std::string::npos) {
            end = query.size();
        }
        std::string pair = query.substr(start, end - start);
        if (pair.compare(0, key.size() + 1, key + "=") == 0) {
            return pair.substr(key.size() + 1);
        }
        start = end + 1;
    }
    return {};
}

} // namespace

Json Source::to_json() const
{
    return Json { { "url", url }, { "type", type }, { "insecure", insecure } };
}

Source make_source(std::string url, std::string type, bool insecure)
{
    Source source;
    source.channel = query_param(url, "channel");
    source.url = std::move(url);
    source.type = std::move(type);
    source.insecure = insecure;
    return source;
}

std::string source_base_url(std::string const& url)
{
    std::string base = url.substr(0, url.find_first_of("?#"));
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return base;
}

SourceConfig::SourceConfig(Paths paths)
    : m_paths(std::move(paths))
{
}

ImgResult<std::vector<Source>> SourceConfig::load() const
{
    std::string path = config_path(m_paths);
    Json config = Json::object();
    if (file_exists(path)) {
        auto text = read_file(path);
        if (!text) {
            return img_error(
                ImgCode::ConfigError, "error reading \"" + path + "\": " + text.error().message());
        }
        auto parsed = parse_json(*text);
        if (!parsed || !parsed->is_object()) {
            return img_error(ImgCode::ConfigError,
                "error parsing \"" + path
                    + "\": " + (parsed ? std::string("not an object") : parsed.error().message()));
        }
        config = std::move(*parsed);
    }
    auto it = config.find("sources");
    if (it == config.end()) {
        return std::vector<Source> { make_source(DEFAULT_SOURCE_URL) };
    }
    if (!it->is_array()) {
        return img_error(
            ImgCode::ConfigError, "invalid \"sources\" in \"" + path + "\": not an array");
    }
    std::vector<Source> sources;
    for (auto const& entry : *it) {
        if (!entry.is_object() || !entry.contains("url") || !entry["url"].is_string()) {
            return img_error(
                ImgCode::ConfigError, "invalid source in \"" + path + "\": " + dump_compact(entry));
        }
        std::string type = entry.contains("type") && entry["type"].is_string()
            ? entry["type"].get<std::string>()
            : std::string("imgapi");
        bool insecure = entry.contains("insecure") && js_truthy(entry["insecure"]);
        sources.push_back(make_source(entry["url"].get<std::string>(), type, insecure));
    }
    return sources;
}

ImgResult<void> SourceConfig::save(std::vector<Source> const& sources) const
{
    std::string path = config_path(m_paths);
    Json config = Json::object();
    if (file_exists(path)) {
        if (auto text = read_file(path)) {
            if (auto parsed = parse_json(*text); parsed && parsed->is_object()) {
                config = std::move(*parsed);
            }
        }
    }
    Json list = Json::array();
    for (auto const& source : sources) {
        list.push_back(source.to_json());
    }
    config["sources"] = std::move(list);
    TRY(make_directories(m_paths.imgadm_dir()));
    TRY(write_file_atomic(path, dump_pretty(config) + "\n"));
    return {};
}

} // namespace lumos::image
