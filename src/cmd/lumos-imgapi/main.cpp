// SPDX-License-Identifier: MPL-2.0
// lumos-imgapi: an IMGAPI-compatible image server (the read side of sdc-imgapi) serving the
// manifest/file pairs of one directory, enough for `imgadm sources/avail/show/import`.
//
//   lumos-imgapi --dir DIR [--host 127.0.0.1] [--port 8080|0] [--port-file F]
//                [--channels default,other,...] [--tls-cert PEM --tls-key PEM]
//                [--header-timeout SEC] [--idle-timeout SEC] [--max-connections N]
//
// Port 0 picks a free port; the chosen port is written to --port-file and announced on stdout
// as "lumos-imgapi listening on http://HOST:PORT". SIGTERM/SIGINT stop it cleanly.
//
// DIR holds "<stem>.imgmanifest" (manifest v2) with the image file "<stem>.<ext>" beside it (when
// several match, the one of files[0].size); a manifest without its file is listed and its
// GET .../file answers 404. The directory is re-read on every request (manifests re-parsed only
// when their mtime or size changed), so images can be added while the server runs.
//
// Endpoints (read side of sdc-imgapi): GET /ping, GET /images (state [active]|...|all,
// name/version exact or ~substring, os, owner, type (!type excludes), public, limit 1..1000
// [1000], marker = uuid (that image included, as IMGAPI) or a published_at date; sorted by
// published_at then uuid), GET /images/:uuid, GET /images/:uuid/file (streamed from disk, with
// byte ranges as RFC 9110 has them: see byte_ranges.hpp). Other methods are 405.
// Errors are JSON {code, message}: ResourceNotFound 404, InvalidParameter/ValidationFailed 422,
// RequestedRangeNotSatisfiable 416, MethodNotAllowed 405.
//
// Slow and idle clients cannot starve it (guarded_server.hpp): a request's line and headers
// must arrive within --header-timeout seconds of its first byte [10], a connection waits at
// most --idle-timeout seconds for a request or for a write to progress [5], and at most
// --max-connections are served at once [256] (the longest-waiting idle or slow connection is
// cut to make room; 503 when all are answering).
//
// Channels: without --channels every image is served and ?channel= is ignored. With
// --channels a,b,... an image belongs to the channels in its "channels" array, or to the first
// (default) channel when it has none; requests without ?channel= use the default channel,
// ?channel=* means all, an unknown channel is a 422 ValidationFailed.
//
// TLS: Debian's cpp-httplib is built with CPPHTTPLIB_OPENSSL_SUPPORT, so --tls-cert/--tls-key
// (PEM files) serve https.
#include "base/file.hpp"
#include "base/json.hpp"
#include "cmd/lumos-imgapi/byte_ranges.hpp"
#include "cmd/lumos-imgapi/file_body.hpp"
#include "cmd/lumos-imgapi/guarded_server.hpp"
#include "cmd/lumos-imgapi/image_dir.hpp"

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lumos::imgapi {
namespace {

constexpr char const* VERSION = "0.1.0";
constexpr size_t MAX_LIMIT = 1000;
constexpr double MAX_TIMEOUT_SECONDS = 24 * 3600;
constexpr long MAX_CONNECTIONS = 100000;

struct Options {
    std::string dir;
    std::string host { "127.0.0.1" };
    int port { 8080 };
    std::string port_file;
    std::vector<std::string> channels;
    std::string tls_cert;
    std::string tls_key;
    ConnectionLimits limits;
};

void usage(std::ostream& out)
{
    out << "usage: lumos-imgapi --dir DIR [--host HOST] [--port PORT|0] [--port-file FILE]\n"
           "                    [--channels NAME,...] [--tls-cert PEM --tls-key PEM]\n"
           "                    [--header-timeout SEC] [--idle-timeout SEC]\n"
           "                    [--max-connections N]\n"
           "\n"
           "  --header-timeout SEC   a request's line and headers must arrive within SEC\n"
           "                         seconds of its first byte, or it gets 408 [10]\n"
           "  --idle-timeout SEC     close a connection that sends no request, or takes no\n"
           "                         bytes of an answer, for SEC seconds [5]\n"
           "  --max-connections N    serve at most N connections at once; past that the\n"
           "                         longest-waiting idle or slow one is closed, or the new\n"
           "                         one refused (503) when all are answering [256]\n";
}

// A multipart/byteranges boundary: random, so no image's bytes can be made to contain it.
std::string make_boundary()
{
    unsigned char bytes[12] = {};
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
        // Never short for 12 bytes once the pool is ready; the clock still varies per call.
        auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        std::memcpy(bytes, &now, std::min(sizeof now, sizeof bytes));
    }
    static char const* const HEX = "0123456789abcdef";
    std::string boundary = "lumos-";
    for (unsigned char byte : bytes) {
        boundary += HEX[byte >> 4];
        boundary += HEX[byte & 0xf];
    }
    return boundary;
}

std::vector<std::string> split(std::string const& text, char separator)
{
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, separator)) {
        if (!part.empty()) {
            parts.push_back(part);
        }
    }
    return parts;
}

void send_json(httplib::Response& response, int status, Json const& body)
{
    response.status = status;
    response.set_content(dump_compact(body), "application/json");
}

void send_error(
    httplib::Response& response, int status, std::string const& code, std::string const& message)
{
    send_json(response, status, Json { { "code", code }, { "message", message } });
}

bool matches_text(std::string const& actual, std::string const& wanted)
{
    if (!wanted.empty() && wanted[0] == '~') {
        return actual.find(wanted.substr(1)) != std::string::npos;
    }
    return actual == wanted;
}

class Api {
public:
    explicit Api(Options options)
        : m_options(std::move(options))
        , m_images(m_options.dir)
    {
    }

    void route(GuardedServer& server)
    {
        // Only GET and HEAD are served; answering anything else before routing means a request
        // body is never read (httplib would read one of any size into memory).
        server.set_pre_routing_handler([](auto const& request, auto& response) {
            if (request.method == "GET" || request.method == "HEAD") {
                return httplib::Server::HandlerResponse::Unhandled;
            }
            response.set_header("Allow", "GET, HEAD");
            send_error(response, 405, "MethodNotAllowed", request.method + " is not allowed");
            return httplib::Server::HandlerResponse::Handled;
        });
        server.Get("/ping", [](auto const& request, auto& response) { ping(request, response); });
        server.Get(
            "/images", [this](auto const& request, auto& response) { list(request, response); });
        server.Get(R"(/images/([^/]+))",
            [this](auto const& request, auto& response) { get(request, response); });
        server.Get(R"(/images/([^/]+)/file)",
            [this](auto const& request, auto& response) { get_file(request, response); });
        server.set_error_handler([](auto const& request, auto& response) {
            if (response.body.empty()) {
                if (response.status == 404) {
                    send_error(response, 404, "ResourceNotFound", request.path + " does not exist");
                } else {
                    send_error(response, response.status, "InternalError",
                        "error " + std::to_string(response.status));
                }
            }
        });
        server.set_exception_handler([](auto const&, auto& response, std::exception_ptr const&) {
            send_error(response, 500, "InternalError", "internal error");
        });
    }

private:
    // The channel a request asks for: "" when channels are off or "*" asked for all; nullopt
    // (after answering 422) for an unknown channel.
    std::optional<std::string> channel_of(
        httplib::Request const& request, httplib::Response& response) const
    {
        if (m_options.channels.empty()) {
            return std::string();
        }
        std::string channel = request.has_param("channel") ? request.get_param_value("channel")
                                                           : m_options.channels[0];
        if (channel == "*") {
            return std::string();
        }
        if (std::find(m_options.channels.begin(), m_options.channels.end(), channel)
            == m_options.channels.end()) {
            send_error(response, 422, "ValidationFailed", "unknown channel: \"" + channel + "\"");
            return std::nullopt;
        }
        return channel;
    }

    // Images without a "channels" array belong to the default (first) channel.
    bool in_channel(Json const& manifest, std::string const& channel) const
    {
        if (channel.empty()) {
            return true;
        }
        auto channels = manifest.find("channels");
        if (channels == manifest.end() || !channels->is_array()) {
            return channel == m_options.channels[0];
        }
        return std::any_of(channels->begin(), channels->end(), [&](Json const& value) {
            return value.is_string() && value.get<std::string>() == channel;
        });
    }

    std::optional<ServedImage> find(httplib::Request const& request, httplib::Response& response)
    {
        auto channel = channel_of(request, response);
        if (!channel) {
            return std::nullopt;
        }
        std::string uuid = request.matches[1];
        for (auto& image : m_images.scan()) {
            if (string_or(image.manifest, "uuid") == uuid && in_channel(image.manifest, *channel)) {
                return image;
            }
        }
        send_error(response, 404, "ResourceNotFound", "image " + uuid + " was not found");
        return std::nullopt;
    }

    static void ping(httplib::Request const&, httplib::Response& response)
    {
        send_json(response, 200,
            Json { { "ping", "pong" }, { "version", VERSION }, { "imgapi", true },
                { "pid", ::getpid() } });
    }

    void list(httplib::Request const& request, httplib::Response& response)
    {
        auto channel = channel_of(request, response);
        if (!channel) {
            return;
        }
        auto param = [&](char const* key) -> std::optional<std::string> {
            if (!request.has_param(key)) {
                return std::nullopt;
            }
            return request.get_param_value(key);
        };
        size_t limit = MAX_LIMIT;
        if (auto text = param("limit")) {
            char* end = nullptr;
            long value = std::strtol(text->c_str(), &end, 10);
            if (text->empty() || *end != '\0' || value < 1
                || value > static_cast<long>(MAX_LIMIT)) {
                send_error(response, 422, "InvalidParameter",
                    "invalid limit: \"" + *text + "\" (must be an integer from 1 to 1000)");
                return;
            }
            limit = static_cast<size_t>(value);
        }
        std::string state = param("state").value_or("active");
        auto public_filter = param("public");
        if (public_filter && *public_filter != "true" && *public_filter != "false") {
            send_error(
                response, 422, "InvalidParameter", "invalid public: \"" + *public_filter + "\"");
            return;
        }

        auto images = m_images.scan();
        size_t start = 0;
        if (auto marker = param("marker")) {
            // A uuid marker starts at that image (included, as IMGAPI does); anything else is a
            // published_at date to start from.
            auto it = std::find_if(images.begin(), images.end(), [&](ServedImage const& image) {
                return string_or(image.manifest, "uuid") == *marker;
            });
            if (it != images.end()) {
                start = static_cast<size_t>(it - images.begin());
            } else {
                while (start < images.size()
                    && string_or(images[start].manifest, "published_at") < *marker) {
                    ++start;
                }
            }
        }

        Json result = Json::array();
        for (size_t i = start; i < images.size() && result.size() < limit; ++i) {
            Json const& manifest = images[i].manifest;
            if (!in_channel(manifest, *channel)) {
                continue;
            }
            if (state != "all" && string_or(manifest, "state", "active") != state) {
                continue;
            }
            if (auto name = param("name");
                name && !matches_text(string_or(manifest, "name"), *name)) {
                continue;
            }
            if (auto version = param("version");
                version && !matches_text(string_or(manifest, "version"), *version)) {
                continue;
            }
            if (auto os = param("os"); os && string_or(manifest, "os") != *os) {
                continue;
            }
            if (auto owner = param("owner"); owner && string_or(manifest, "owner") != *owner) {
                continue;
            }
            if (auto type = param("type")) {
                std::string actual = string_or(manifest, "type");
                bool keep = !type->empty() && (*type)[0] == '!' ? actual != type->substr(1)
                                                                : actual == *type;
                if (!keep) {
                    continue;
                }
            }
            if (public_filter) {
                bool is_public = manifest.contains("public") && js_truthy(manifest["public"]);
                if (is_public != (*public_filter == "true")) {
                    continue;
                }
            }
            result.push_back(manifest);
        }
        send_json(response, 200, result);
    }

    void get(httplib::Request const& request, httplib::Response& response)
    {
        if (auto image = find(request, response)) {
            send_json(response, 200, image->manifest);
        }
    }

    void get_file(httplib::Request const& request, httplib::Response& response)
    {
        auto image = find(request, response);
        if (!image) {
            return;
        }
        std::string uuid = request.matches[1];
        if (image->file_path.empty()) {
            send_error(response, 404, "ResourceNotFound", "image " + uuid + " has no file");
            return;
        }
        UniqueFd fd(::open(image->file_path.c_str(), O_RDONLY | O_CLOEXEC));
        struct stat st { };
        if (!fd.valid() || ::fstat(fd.get(), &st) != 0) {
            send_error(response, 404, "ResourceNotFound", "image " + uuid + " file cannot be read");
            return;
        }
        // Ranges are defined for GET only, and an If-Range can never match: no validator
        // (ETag, Last-Modified) is sent, so a Range with it is ignored (RFC 9110 §13.1.5).
        std::string range = request.get_header_value(RANGE_FIELD);
        bool ranged = request.method == "GET" && request.has_header(RANGE_FIELD)
            && !request.has_header("If-Range");
        auto size = static_cast<uint64_t>(st.st_size);
        RangeAnswer answer = answer_range(
            ranged ? &range : nullptr, size, "application/octet-stream", make_boundary());
        response.set_header("Accept-Ranges", "bytes");
        if (!answer.content_range.empty()) {
            response.set_header("Content-Range", answer.content_range);
        }
        if (answer.status == 416) {
            send_error(response, 416, "RequestedRangeNotSatisfiable",
                "range not satisfiable: \"" + range + "\" (image " + uuid + " file has "
                    + std::to_string(size) + " bytes)");
            return;
        }
        response.status = answer.status;
        uint64_t length = answer.length();
        if (length == 0) {
            response.set_content(std::string(), answer.content_type);
            return;
        }
        auto body = std::make_shared<FileBody>(std::move(fd), std::move(answer.body));
        response.set_content_provider(static_cast<size_t>(length), answer.content_type,
            [body](size_t offset, size_t count, httplib::DataSink& sink) {
                return body->write_to(offset, count, sink);
            });
    }

    Options m_options;
    ImageDir m_images;
};

// "2", "0.5": seconds, more than 0 and at most a day, to the millisecond.
std::optional<std::chrono::milliseconds> parse_seconds(std::string const& text)
{
    char* end = nullptr;
    double seconds = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(seconds > 0) || seconds > MAX_TIMEOUT_SECONDS) {
        return std::nullopt;
    }
    auto milliseconds = static_cast<long long>(seconds * 1000);
    if (milliseconds < 1) {
        return std::nullopt;
    }
    return std::chrono::milliseconds(milliseconds);
}

std::optional<Options> parse_args(int argc, char** argv)
{
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= argc) {
                std::cerr << "lumos-imgapi: option " << arg << " needs a value\n";
                return std::nullopt;
            }
            return std::string(argv[++i]);
        };
        std::optional<std::string> v;
        if (arg == "-h" || arg == "--help") {
            usage(std::cout);
            std::exit(0);
        } else if (arg == "--dir" || arg == "-d") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.dir = *v;
        } else if (arg == "--host") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.host = *v;
        } else if (arg == "--port" || arg == "-p") {
            if (!(v = value())) {
                return std::nullopt;
            }
            char* end = nullptr;
            long port = std::strtol(v->c_str(), &end, 10);
            if (v->empty() || *end != '\0' || port < 0 || port > 65535) {
                std::cerr << "lumos-imgapi: invalid port: \"" << *v << "\"\n";
                return std::nullopt;
            }
            options.port = static_cast<int>(port);
        } else if (arg == "--port-file") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.port_file = *v;
        } else if (arg == "--channels") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.channels = split(*v, ',');
        } else if (arg == "--tls-cert") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.tls_cert = *v;
        } else if (arg == "--tls-key") {
            if (!(v = value())) {
                return std::nullopt;
            }
            options.tls_key = *v;
        } else if (arg == "--header-timeout" || arg == "--idle-timeout") {
            if (!(v = value())) {
                return std::nullopt;
            }
            auto timeout = parse_seconds(*v);
            if (!timeout) {
                std::cerr << "lumos-imgapi: invalid " << arg.substr(2) << ": \"" << *v
                          << "\" (must be seconds, more than 0)\n";
                return std::nullopt;
            }
            (arg == "--header-timeout" ? options.limits.header_timeout
                                       : options.limits.idle_timeout)
                = *timeout;
        } else if (arg == "--max-connections") {
            if (!(v = value())) {
                return std::nullopt;
            }
            char* end = nullptr;
            long count = std::strtol(v->c_str(), &end, 10);
            if (v->empty() || *end != '\0' || count < 1 || count > MAX_CONNECTIONS) {
                std::cerr << "lumos-imgapi: invalid max-connections: \"" << *v
                          << "\" (must be an integer from 1 to " << MAX_CONNECTIONS << ")\n";
                return std::nullopt;
            }
            options.limits.max_connections = static_cast<size_t>(count);
        } else {
            std::cerr << "lumos-imgapi: unknown option: \"" << arg << "\"\n";
            return std::nullopt;
        }
    }
    if (options.dir.empty()) {
        std::cerr << "lumos-imgapi: --dir is required\n";
        return std::nullopt;
    }
    if (options.tls_cert.empty() != options.tls_key.empty()) {
        std::cerr << "lumos-imgapi: --tls-cert and --tls-key go together\n";
        return std::nullopt;
    }
    return options;
}

int serve(Options const& options)
{
    struct stat st { };
    if (::stat(options.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::cerr << "lumos-imgapi: not a directory: \"" << options.dir << "\"\n";
        return 1;
    }

    // SIGTERM/SIGINT are taken by a thread with sigwait; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    (void)std::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<TlsContext> tls_context;
    bool tls = !options.tls_cert.empty();
    if (tls) {
        auto loaded = TlsContext::load(options.tls_cert, options.tls_key);
        if (!loaded) {
            std::cerr << "lumos-imgapi: " << loaded.error().message() << "\n";
            return 1;
        }
        tls_context = std::move(*loaded);
    }
    auto server = std::make_unique<GuardedServer>(options.limits, std::move(tls_context));

    // httplib's default is SO_REUSEPORT, which lets a second server share a busy port; only
    // SO_REUSEADDR (restart while old connections linger) is wanted.
    server->set_socket_options([](socket_t sock) {
        int yes = 1;
        ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    Api api(options);
    api.route(*server);

    int port = options.port;
    if (port == 0) {
        port = server->bind_to_any_port(options.host);
    } else if (!server->bind_to_port(options.host, port)) {
        port = -1;
    }
    if (port < 0) {
        std::cerr << "lumos-imgapi: cannot listen on " << options.host << ":" << options.port
                  << ": " << std::strerror(errno) << "\n";
        return 1;
    }
    if (!options.port_file.empty()) {
        if (auto written = write_file_atomic(options.port_file, std::to_string(port) + "\n");
            !written) {
            std::cerr << "lumos-imgapi: " << written.error().message() << "\n";
            return 1;
        }
    }
    std::string host
        = options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host;
    std::cout << "lumos-imgapi listening on " << (tls ? "https" : "http") << "://" << host << ":"
              << port << std::endl;

    std::thread stopper([&] {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        server->stop();
    });
    bool ok = server->serve();
    // Wake the stopper if serving ended for another reason.
    // SIGTERM is blocked in every thread and taken by the stopper's sigwait: this wakes it, it
    // does not end the process.
    pthread_kill(stopper.native_handle(), SIGTERM); // NOLINT(bugprone-bad-signal-to-kill-thread)
    stopper.join();
    return ok ? 0 : 1;
}

} // namespace
} // namespace lumos::imgapi

int main(int argc, char** argv)
{
    auto options = lumos::imgapi::parse_args(argc, argv);
    if (!options) {
        lumos::imgapi::usage(std::cerr);
        return 2;
    }
    return lumos::imgapi::serve(*options);
}
