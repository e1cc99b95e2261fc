// SPDX-License-Identifier: MPL-2.0
// imgadm's remote subcommands: sources, avail/available, show, import (reference section 4.2).
#include "base/file.hpp"
#include "cmd/imgadm/cli.hpp"
#include "image/imgapi_client.hpp"
#include "image/importer.hpp"
#include "image/source_search.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

namespace lumos::imgadm {

namespace {

using image::img_error;
using image::ImgResult;
using image::Source;

// Parsed options: flags and valued options by their short letter, then the positional args.
struct ParsedArgs {
    std::map<char, std::vector<std::string>> options;
    std::vector<std::string> positional;

    bool has(char option) const { return options.contains(option); }
    std::optional<std::string> last(char option) const
    {
        auto it = options.find(option);
        if (it == options.end() || it->second.empty()) {
            return std::nullopt;
        }
        return it->second.back();
    }
};

struct OptionSpec {
    char short_name;
    char const* long_name;
    bool takes_value;
};

// dashdash-style parsing: clustered short flags ("-kf"), "-aURL"/"-a URL", "--long[=value]",
// "--" ends options.
ImgResult<ParsedArgs> parse_options(Args const& args, std::vector<OptionSpec> const& specs)
{
    ParsedArgs parsed;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string const& arg = args[i];
        if (arg == "--") {
            parsed.positional.insert(
                parsed.positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
            break;
        }
        if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
            std::string name = arg.substr(2);
            std::optional<std::string> value;
            if (auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name.resize(eq);
            }
            auto spec = std::find_if(specs.begin(), specs.end(),
                [&](OptionSpec const& s) { return s.long_name != nullptr && name == s.long_name; });
            if (spec == specs.end()) {
                return img_error(image::ImgCode::UnknownOption, "unknown option: \"" + arg + "\"");
            }
            if (spec->takes_value && !value) {
                if (i + 1 >= args.size()) {
                    return img_error(image::ImgCode::Usage,
                        "do not have enough args for \"--" + name + "\" option");
                }
                value = args[++i];
            }
            parsed.options[spec->short_name].push_back(value.value_or(""));
            continue;
        }
        if (arg.size() > 1 && arg[0] == '-') {
            for (size_t j = 1; j < arg.size(); ++j) {
                auto spec = std::find_if(specs.begin(), specs.end(),
                    [&](OptionSpec const& s) { return s.short_name == arg[j]; });
                if (spec == specs.end()) {
                    return img_error(image::ImgCode::UnknownOption,
                        "unknown option: \"-" + std::string(1, arg[j]) + "\"");
                }
                if (!spec->takes_value) {
                    parsed.options[spec->short_name].push_back("");
                    continue;
                }
                std::string value;
                if (j + 1 < arg.size()) {
                    value = arg.substr(j + 1);
                } else if (i + 1 < args.size()) {
                    value = args[++i];
                } else {
                    return img_error(image::ImgCode::Usage,
                        "do not have enough args for \"-" + std::string(1, arg[j]) + "\" option");
                }
                parsed.options[spec->short_name].push_back(value);
                break;
            }
            continue;
        }
        parsed.positional.push_back(arg);
    }
    return parsed;
}

std::string source_description(Source const& source)
{
    std::string text = "\"" + source.type + "\" image source \"" + source.url + "\"";
    if (source.insecure) {
        text += " (insecure)";
    }
    if (!source.channel.empty()) {
        text += " (channel=" + source.channel + ")";
    }
    return text;
}

ImgResult<void> ping_source(Source const& source)
{
    if (source.type != "imgapi") {
        return {}; // only IMGAPI sources can be pinged here
    }
    auto pong = image::ImgapiClient(source).ping();
    if (!pong) {
        return img_error(image::ImgCode::SourcePing,
            "unexpected ping error with image source \"" + source.url + "\" (" + source.type
                + "): " + pong.error().message);
    }
    return {};
}

// A text table with the same layout rules as tabula: widths from the widest cell, two spaces
// between columns, the last column unpadded.
void print_simple_table(std::vector<std::vector<std::string>> const& rows, std::ostream& out)
{
    if (rows.empty()) {
        return;
    }
    std::vector<size_t> widths(rows[0].size(), 0);
    for (auto const& row : rows) {
        for (size_t c = 0; c < row.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    for (auto const& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += row[c];
            if (c + 1 < row.size()) {
                line += std::string(widths[c] - row[c].size() + 2, ' ');
            }
        }
        out << line << "\n";
    }
}

// imgadm sources -e: one "<url> [<type>] [insecure]" per line in $EDITOR.
ImgResult<std::vector<Source>> edit_sources(std::vector<Source> const& sources)
{
    char path_template[] = "/tmp/imgadm-sources-XXXXXX";
    int fd = ::mkstemp(path_template);
    if (fd < 0) {
        return img_error(
            image::ImgCode::InternalError, "cannot create a temporary file for editing");
    }
    ::close(fd);
    std::string path = path_template;
    std::string text = "# imgadm sources, one per line: <url> [<type>] [insecure]\n";
    for (auto const& source : sources) {
        text += source.url + " " + source.type + (source.insecure ? " insecure" : "") + "\n";
    }
    auto written = write_file_atomic(path, text, 0600);
    if (!written) {
        ::unlink(path.c_str());
        return tl::unexpected(image::ImgError(written.error()));
    }
    char const* editor = std::getenv("EDITOR");
    std::string command
        = std::string(editor != nullptr && *editor != '\0' ? editor : "vi") + " '" + path + "'";
    // NOLINTNEXTLINE(cert-env33-c): $EDITOR may carry arguments; SmartOS runs it by the shell too
    int status = std::system(command.c_str());
    auto edited = read_file(path);
    ::unlink(path.c_str());
    if (status != 0) {
        return img_error(image::ImgCode::InternalError,
            "error editing sources: editor exited with status " + std::to_string(status));
    }
    if (!edited) {
        return tl::unexpected(image::ImgError(edited.error()));
    }
    std::vector<Source> result;
    std::istringstream lines(*edited);
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream words(line);
        std::string url;
        if (!(words >> url) || url[0] == '#') {
            continue;
        }
        std::string type = "imgapi";
        bool insecure = false;
        std::string word;
        while (words >> word) {
            if (word == "insecure") {
                insecure = true;
            } else {
                type = word;
            }
        }
        if (type != "imgapi" && type != "docker" && type != "dsapi") {
            return img_error(image::ImgCode::Usage, "invalid source type: \"" + type + "\"");
        }
        result.push_back(image::make_source(url, type, insecure));
    }
    return result;
}

std::string field(Json const& manifest, char const* key)
{
    auto it = manifest.find(key);
    return it != manifest.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

image::ImgResult<int> cmd_sources(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed,
        parse_options(args,
            { { 'h', "help", false }, { 'v', "verbose", false }, { 'j', "json", false },
                { 'a', "add", true }, { 't', "type", true }, { 'k', "insecure", false },
                { 'f', "force", false }, { 'd', "delete", true }, { 'e', "edit", false },
                { 'c', "check", false } }));
    if (parsed.has('h')) {
        io.out << "Usage:\n    imgadm sources [<options>]\n\n"
                  "Options:\n"
                  "    -h, --help         Show this help.\n"
                  "    -v, --verbose      Verbose output. List source URL and TYPE.\n"
                  "    -j, --json         List sources as JSON.\n"
                  "    -a SOURCE          Add a source. It is appended to the list of sources.\n"
                  "    -t TYPE            The type of the source being added: imgapi (default), "
                  "docker, dsapi.\n"
                  "    -k, --insecure     Allow insecure (no server certificate checking) access "
                  "to the added source.\n"
                  "    -f, --force        Force no \"ping check\" on new source URLs.\n"
                  "    -d SOURCE          Delete a source.\n"
                  "    -e, --edit         Edit sources in $EDITOR.\n"
                  "    -c, --check        Ping check all sources.\n";
        return 0;
    }
    if (!parsed.positional.empty()) {
        return img_error(image::ImgCode::Usage, "too many args: " + parsed.positional[0]);
    }
    int actions
        = int(parsed.has('a')) + int(parsed.has('d')) + int(parsed.has('e')) + int(parsed.has('c'));
    if (actions > 1 || (parsed.has('a') && parsed.options['a'].size() > 1)
        || (parsed.has('d') && parsed.options['d'].size() > 1)) {
        return img_error(image::ImgCode::Usage,
            "cannot specify more than one of \"-a\", \"-d\", \"-e\" and \"-c\"");
    }
    TRY_ASSIGN(sources, context.sources.load());

    if (auto url = parsed.last('a')) {
        std::string type = parsed.last('t').value_or("imgapi");
        if (type != "imgapi" && type != "docker" && type != "dsapi") {
            return img_error(image::ImgCode::Usage, "invalid source type: \"" + type + "\"");
        }
        Source source = image::make_source(*url, type, parsed.has('k'));
        bool have = std::any_of(sources.begin(), sources.end(),
            [&](Source const& s) { return s.url == source.url && s.type == source.type; });
        if (have) {
            io.out << "Already have \"" << source.type << "\" image source \"" << source.url
                   << "\", no change\n";
            return 0;
        }
        if (!parsed.has('f')) {
            TRY(ping_source(source));
        }
        sources.push_back(source);
        TRY(context.sources.save(sources));
        io.out << "Added " << source_description(source) << "\n";
        return 0;
    }
    if (auto url = parsed.last('d')) {
        auto it = std::find_if(
            sources.begin(), sources.end(), [&](Source const& s) { return s.url == *url; });
        if (it == sources.end()) {
            io.out << "Do not have image source \"" << *url << "\", no change\n";
            return 0;
        }
        Source removed = *it;
        sources.erase(it);
        TRY(context.sources.save(sources));
        io.out << "Deleted \"" << removed.type << "\" image source \"" << removed.url << "\"\n";
        return 0;
    }
    if (parsed.has('e')) {
        TRY_ASSIGN(edited, edit_sources(sources));
        std::set<std::string> before;
        for (auto const& source : sources) {
            before.insert(source.url);
        }
        std::set<std::string> after;
        for (auto const& source : edited) {
            after.insert(source.url);
            if (!before.contains(source.url) && !parsed.has('f')) {
                TRY(ping_source(source));
            }
        }
        TRY(context.sources.save(edited));
        for (auto const& source : edited) {
            if (!before.contains(source.url)) {
                io.out << "Added " << source_description(source) << "\n";
            }
        }
        for (auto const& source : sources) {
            if (!after.contains(source.url)) {
                io.out << "Deleted \"" << source.type << "\" image source \"" << source.url
                       << "\"\n";
            }
        }
        return 0;
    }
    if (parsed.has('c')) {
        std::vector<image::ImgError> errors;
        for (auto const& source : sources) {
            if (auto pinged = ping_source(source); !pinged) {
                errors.push_back(pinged.error());
            } else {
                io.out << source.url << ": ok\n";
            }
        }
        if (!errors.empty()) {
            return tl::unexpected(image::multi_error(std::move(errors)));
        }
        return 0;
    }

    if (parsed.has('j')) {
        // imgadm's key order: url, type, insecure.
        nlohmann::ordered_json list = nlohmann::ordered_json::array();
        for (auto const& source : sources) {
            list.push_back(nlohmann::ordered_json {
                { "url", source.url }, { "type", source.type }, { "insecure", source.insecure } });
        }
        io.out << list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (parsed.has('v')) {
        std::vector<std::vector<std::string>> rows { { "URL", "TYPE", "INSECURE" } };
        for (auto const& source : sources) {
            rows.push_back({ source.url, source.type, source.insecure ? "true" : "false" });
        }
        print_simple_table(rows, io.out);
    } else {
        for (auto const& source : sources) {
            io.out << source.url << "\n";
        }
    }
    return 0;
}

image::ImgResult<int> cmd_avail(Args const& args, Io& io, Context& context)
{
    if (std::find(args.begin(), args.end(), "-h") != args.end()
        || std::find(args.begin(), args.end(), "--help") != args.end()) {
        io.out << "Usage:\n    imgadm avail [<options>] [<filters>]\n\n"
                  "Options:\n"
                  "    -h, --help         Show this help.\n"
                  "    -j, --json         JSON output\n"
                  "    -H                 Do not print table header row\n"
                  "    -o FIELD,...       Specify fields (columns) to output. Default is\n"
                  "                       \"uuid,name,version,os,type,pub\".\n"
                  "    -s FIELD,...       Sort on the given fields. Default is\n"
                  "                       \"published_at,name\".\n";
        return 0;
    }
    TRY_ASSIGN(options, parse_table_args(args, "uuid,name,version,os,type,pub"));
    TRY_ASSIGN(sources, context.sources.load());

    std::vector<image::ImgError> errors;
    std::set<std::string> seen;
    std::vector<Json> rows;
    std::vector<Json> objects;
    for (auto const& source : sources) {
        if (source.type == "docker") {
            continue;
        }
        auto images = image::ImgapiClient(source).list_images();
        if (!images) {
            errors.push_back(images.error());
            continue;
        }
        for (auto& manifest : *images) {
            if (!manifest.is_object()) {
                continue;
            }
            std::string uuid = field(manifest, "uuid");
            if (!seen.insert(uuid).second) {
                continue; // first source wins
            }
            Json row = manifest;
            std::string published_at = field(manifest, "published_at");
            if (!published_at.empty()) {
                row["published_date"] = published_at.substr(0, 10);
                row["pub"] = published_at.substr(0, 10);
                std::string published = published_at;
                if (auto dot = published.find('.'); dot != std::string::npos) {
                    published = published.substr(0, dot) + "Z";
                }
                row["published"] = published;
            }
            row["source"] = source.url;
            if (auto files = manifest.find("files"); files != manifest.end() && files->is_array()
                && !files->empty() && (*files)[0].contains("size")) {
                row["size"] = (*files)[0]["size"];
            }
            rows.push_back(std::move(row));
            objects.push_back(
                Json { { "manifest", std::move(manifest) }, { "source", source.url } });
        }
    }
    TRY(print_table(std::move(rows), std::move(objects), options, io));
    if (!errors.empty()) {
        return tl::unexpected(image::multi_error(std::move(errors)));
    }
    return 0;
}

image::ImgResult<int> cmd_show(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed, parse_options(args, { { 'h', "help", false } }));
    if (parsed.has('h')) {
        io.out << "Usage:\n    imgadm show <uuid>\n";
        return 0;
    }
    if (parsed.positional.size() != 1) {
        return img_error(image::ImgCode::Usage, "incorrect number of args");
    }
    std::string const& uuid = parsed.positional[0];
    TRY(check_uuid(uuid));
    TRY_ASSIGN(sources, context.sources.load());
    auto search = image::find_image_in_sources(sources, uuid, image::SourceKinds::AllButDocker);
    if (search.hit) {
        io.out << dump_pretty(search.hit->manifest) << "\n";
        return 0;
    }
    if (!search.errors.empty()) {
        return tl::unexpected(image::multi_error(std::move(search.errors)));
    }
    return img_error(image::ImgCode::ImageNotFound, "image \"" + uuid + "\" was not found");
}

image::ImgResult<int> cmd_import(Args const& args, Io& io, Context& context)
{
    TRY_ASSIGN(parsed,
        parse_options(args,
            { { 'h', "help", false }, { 'P', nullptr, true }, { 'C', "channel", true },
                { 'S', "source", true }, { 'q', "quiet", false }, { 'Z', "zstream", false } }));
    if (parsed.has('h')) {
        io.out << "Usage:\n    imgadm import [<options>] <uuid>\n\n"
                  "Options:\n"
                  "    -h, --help         Show this help.\n"
                  "    -q, --quiet        Disable progress output.\n"
                  "    -P <pool>          Name of zpool in which to look for the image. Default "
                  "\"zones\".\n"
                  "    -C <channel>       The IMGAPI channel to use.\n"
                  "    -S <url>           An image source from which to import; repeatable. "
                  "Replaces the\n"
                  "                       configured sources for this import.\n"
                  "    --zstream          Accepted for compatibility; ignored.\n";
        return 0;
    }
    if (parsed.positional.size() != 1) {
        return img_error(image::ImgCode::Usage, "incorrect number of args");
    }
    std::string const& uuid = parsed.positional[0];
    TRY(check_uuid(uuid));
    sweep_image_orphans(context, nullptr, false);

    std::vector<Source> sources;
    if (parsed.has('S')) {
        for (auto const& url : parsed.options['S']) {
            sources.push_back(image::make_source(url));
        }
    } else {
        TRY_ASSIGN(configured, context.sources.load());
        sources = std::move(configured);
    }
    if (auto channel = parsed.last('C')) {
        for (auto& source : sources) {
            if (source.type == "imgapi") {
                std::string base = image::source_base_url(source.url);
                source = image::make_source(
                    base + "?channel=" + *channel, source.type, source.insecure);
            }
        }
    }
    if (sources.empty()) {
        return img_error(image::ImgCode::NoSources, "imgadm has no configured sources");
    }

    image::ImportRequest request;
    request.uuid = uuid;
    request.pool = parsed.last('P').value_or("zones");
    request.sources = std::move(sources);
    bool quiet = parsed.has('q');
    request.say = [&](std::string const& line) {
        if (!quiet) {
            io.out << line << std::endl;
        }
    };
    TRY(image::import_image(context.store, request));
    return 0;
}

} // namespace lumos::imgadm
