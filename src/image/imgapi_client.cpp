// SPDX-License-Identifier: MPL-2.0
#include "image/imgapi_client.hpp"

#include "base/file.hpp"
#include "base/uuid.hpp"
#include "image/digest.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

namespace lumos::image {

namespace {

constexpr char const* USER_AGENT = "imgadm/3.9.5 (lumos; libcurl)";
constexpr size_t PAGE_LIMIT = 1000;

void global_init()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool insecure_from_environment()
{
    char const* value = std::getenv("IMGADM_INSECURE");
    return value != nullptr && std::string(value) == "1";
}

std::string request_id()
{
    char const* value = std::getenv("REQ_ID");
    return value != nullptr && *value != '\0' ? std::string(value) : generate_uuid();
}

// One libcurl easy handle with imgadm's headers and TLS settings.
class Request {
public:
    Request(Source const& source, std::string const& url, bool json)
        : m_handle(curl_easy_init())
    {
        global_init();
        m_headers = curl_slist_append(m_headers, json ? "Accept: application/json" : "Accept: */*");
        m_headers = curl_slist_append(m_headers, "Accept-Version: ~2");
        m_headers = curl_slist_append(m_headers, ("x-request-id: " + request_id()).c_str());
        curl_easy_setopt(m_handle, CURLOPT_URL, url.c_str());
        curl_easy_setopt(m_handle, CURLOPT_HTTPHEADER, m_headers);
        curl_easy_setopt(m_handle, CURLOPT_USERAGENT, USER_AGENT);
        curl_easy_setopt(m_handle, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(m_handle, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(m_handle, CURLOPT_MAXREDIRS, 5L);
        curl_easy_setopt(m_handle, CURLOPT_CONNECTTIMEOUT, 20L);
        // A stalled server: less than 1 byte/s for 60 s aborts.
        curl_easy_setopt(m_handle, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(m_handle, CURLOPT_LOW_SPEED_TIME, 60L);
        curl_easy_setopt(m_handle, CURLOPT_ERRORBUFFER, m_error);
        if (source.insecure || insecure_from_environment()) {
            curl_easy_setopt(m_handle, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(m_handle, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
    ~Request()
    {
        curl_slist_free_all(m_headers);
        curl_easy_cleanup(m_handle);
    }
    Request(Request const&) = delete;
    Request& operator=(Request const&) = delete;

    CURL* handle() const { return m_handle; }
    std::string error_text(CURLcode code) const
    {
        return m_error[0] != '\0' ? std::string(m_error) : std::string(curl_easy_strerror(code));
    }
    long status() const
    {
        long status = 0;
        curl_easy_getinfo(m_handle, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }

private:
    CURL* m_handle;
    curl_slist* m_headers { nullptr };
    char m_error[CURL_ERROR_SIZE] {};
};

size_t append_to_string(char* data, size_t size, size_t count, void* user)
{
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

// An IMGAPI error response as imgadm's APIError: the server's code, "<url>: <message>".
ImgError api_error(std::string const& base, long status, std::string const& body)
{
    auto parsed = parse_json(body);
    if (parsed && parsed->is_object() && parsed->contains("code")
        && (*parsed)["code"].is_string()) {
        std::string message
            = parsed->contains("message") ? js_string((*parsed)["message"]) : std::string();
        return ImgError::remote((*parsed)["code"].get<std::string>(), base + ": " + message);
    }
    return ImgError { ImgCode::InternalError,
        base + ": unexpected HTTP status " + std::to_string(status), 1 };
}

struct JsonResponse {
    long status { 0 };
    std::string body;
};

ImgResult<JsonResponse> get_text(Source const& source, std::string const& path)
{
    std::string base = source_base_url(source.url);
    Request request(source, base + path, true);
    JsonResponse response;
    curl_easy_setopt(request.handle(), CURLOPT_WRITEFUNCTION, append_to_string);
    curl_easy_setopt(request.handle(), CURLOPT_WRITEDATA, &response.body);
    CURLcode code = curl_easy_perform(request.handle());
    if (code != CURLE_OK) {
        return img_error(ImgCode::ClientError, base + ": " + request.error_text(code));
    }
    response.status = request.status();
    return response;
}

ImgResult<Json> get_json(Source const& source, std::string const& path)
{
    TRY_ASSIGN(response, get_text(source, path));
    std::string base = source_base_url(source.url);
    if (response.status < 200 || response.status >= 300) {
        return tl::unexpected(api_error(base, response.status, response.body));
    }
    auto parsed = parse_json(response.body);
    if (!parsed) {
        return img_error(
            ImgCode::InternalError, base + ": invalid JSON response: " + parsed.error().message());
    }
    return std::move(*parsed);
}

std::string with_channel(std::string path, Source const& source)
{
    if (!source.channel.empty()) {
        path += (path.find('?') == std::string::npos ? "?" : "&");
        path += "channel=" + source.channel;
    }
    return path;
}

// The state of one file download, fed by libcurl's callbacks.
struct Download {
    std::string uuid;
    uint64_t expected_size { 0 };
    Request* request { nullptr };
    int fd { -1 };
    Sha1 sha1;
    uint64_t bytes { 0 };
    bool started { false };
    bool http_error { false };
    std::string error_body;
    std::optional<std::string> content_length; // as the header said
    std::optional<ImgError> error;

    // First body bytes: the status and Content-Length are known; decide whether to go on.
    bool start()
    {
        started = true;
        long status = request->status();
        if (status < 200 || status >= 300) {
            http_error = true;
            return true;
        }
        uint64_t length = 0;
        bool numeric = content_length && !content_length->empty()
            && content_length->find_first_not_of("0123456789") == std::string::npos;
        if (numeric) {
            length = std::strtoull(content_length->c_str(), nullptr, 10);
        }
        if (!numeric) {
            error = ImgError { ImgCode::DownloadError,
                "unexpected missing or invalid Content-Length header", 1 };
            return false;
        }
        if (length != expected_size) {
            error = ImgError { ImgCode::DownloadError,
                "unexpected mismatch between expected size, " + std::to_string(expected_size)
                    + ", and Content-Length header, " + std::to_string(length),
                1 };
            return false;
        }
        return true;
    }

    bool write(char const* data, size_t size)
    {
        if (http_error) {
            if (error_body.size() < 65536) {
                error_body.append(data, size);
            }
            return true;
        }
        sha1.update(data, size);
        bytes += size;
        return write_all(fd, data, size);
    }

    bool write_all(int to, char const* data, size_t size)
    {
        if (!write_fully(to, data, size)) {
            error = ImgError { ImgCode::DownloadError,
                "image " + uuid + " file write error: " + std::string(std::strerror(errno)), 1 };
            return false;
        }
        return true;
    }
};

size_t download_header(char* data, size_t size, size_t count, void* user)
{
    auto* download = static_cast<Download*>(user);
    std::string line(data, size * count);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (name == "content-length") {
            std::string value = line.substr(colon + 1);
            auto first = value.find_first_not_of(" \t");
            auto last = value.find_last_not_of(" \t\r\n");
            download->content_length = first == std::string::npos
                ? std::string()
                : value.substr(first, last - first + 1);
        }
    } else if (line.rfind("HTTP/", 0) == 0) {
        download->content_length.reset(); // a new response (after a redirect)
    }
    return size * count;
}

size_t download_body(char* data, size_t size, size_t count, void* user)
{
    auto* download = static_cast<Download*>(user);
    if (!download->started && !download->start()) {
        return 0;
    }
    return download->write(data, size * count) ? size * count : 0;
}

} // namespace

ImgapiClient::ImgapiClient(Source source)
    : m_source(std::move(source))
{
}

ImgResult<Json> ImgapiClient::ping() const
{
    TRY_ASSIGN(body, get_json(m_source, "/ping"));
    if (!body.is_object() || !body.contains("imgapi") || body["imgapi"] != true) {
        return img_error(ImgCode::InternalError, "ping response is not from an IMGAPI server");
    }
    return body;
}

ImgResult<std::vector<Json>> ImgapiClient::list_images() const
{
    std::vector<Json> images;
    std::string marker;
    while (true) {
        std::string path = "/images?limit=" + std::to_string(PAGE_LIMIT);
        if (!marker.empty()) {
            path += "&marker=" + marker;
        }
        TRY_ASSIGN(page, get_json(m_source, with_channel(path, m_source)));
        if (!page.is_array()) {
            return img_error(ImgCode::InternalError,
                source_base_url(m_source.url) + ": ListImages did not return an array");
        }
        size_t page_size = page.size();
        size_t added = 0;
        for (size_t i = 0; i < page.size(); ++i) {
            Json& image = page[i];
            if (i == 0 && !marker.empty() && image.is_object()
                && image.value("uuid", "") == marker) {
                continue; // the marker row repeats the last one of the previous page
            }
            images.push_back(std::move(image));
            ++added;
        }
        if (page_size < PAGE_LIMIT || added == 0) {
            break;
        }
        Json const& last = images.back();
        if (!last.is_object() || !last.contains("uuid") || !last["uuid"].is_string()) {
            break;
        }
        marker = last["uuid"].get<std::string>();
    }
    return images;
}

ImgResult<std::optional<Json>> ImgapiClient::get_image(std::string const& uuid) const
{
    TRY_ASSIGN(response, get_text(m_source, with_channel("/images/" + uuid, m_source)));
    std::string base = source_base_url(m_source.url);
    if (response.status == 404) {
        return std::optional<Json>();
    }
    if (response.status < 200 || response.status >= 300) {
        return tl::unexpected(api_error(base, response.status, response.body));
    }
    auto parsed = parse_json(response.body);
    if (!parsed || !parsed->is_object()) {
        return img_error(ImgCode::InternalError, base + ": invalid GetImage response");
    }
    return std::optional<Json>(std::move(*parsed));
}

ImgResult<void> ImgapiClient::download_file(std::string const& uuid, uint64_t expected_size,
    std::string const& expected_sha1, std::string const& path) const
{
    std::string partial = path + ".partial";
    UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) {
        return img_error(ImgCode::DownloadError,
            "cannot create \"" + partial + "\": " + std::string(std::strerror(errno)));
    }
    auto downloaded = download_to_fd(uuid, expected_size, expected_sha1, fd.get());
    if (!downloaded) {
        fd = UniqueFd();
        ::unlink(partial.c_str());
        return downloaded;
    }
    // The close is checked: it is where a full disk can show.
    if (::close(fd.release()) != 0) {
        ::unlink(partial.c_str());
        return img_error(ImgCode::DownloadError,
            "cannot write \"" + partial + "\": " + std::string(std::strerror(errno)));
    }
    if (::rename(partial.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(partial.c_str());
        return img_error(ImgCode::DownloadError,
            "cannot rename \"" + partial + "\": " + std::string(std::strerror(saved)));
    }
    return {};
}

ImgResult<void> ImgapiClient::download_to_fd(
    std::string const& uuid, uint64_t expected_size, std::string const& expected_sha1, int fd) const
{
    std::string base = source_base_url(m_source.url);
    auto fail = [](ImgError error) -> ImgResult<void> { return tl::unexpected(std::move(error)); };

    Request request(m_source, base + with_channel("/images/" + uuid + "/file", m_source), false);
    Download download;
    download.uuid = uuid;
    download.expected_size = expected_size;
    download.request = &request;
    download.fd = fd;
    curl_easy_setopt(request.handle(), CURLOPT_HEADERFUNCTION, download_header);
    curl_easy_setopt(request.handle(), CURLOPT_HEADERDATA, &download);
    curl_easy_setopt(request.handle(), CURLOPT_WRITEFUNCTION, download_body);
    curl_easy_setopt(request.handle(), CURLOPT_WRITEDATA, &download);
    curl_easy_setopt(request.handle(), CURLOPT_BUFFERSIZE, 512L * 1024L);
    CURLcode code = curl_easy_perform(request.handle());

    if (download.error) {
        return fail(*download.error);
    }
    if (!download.started && request.status() > 0) {
        download.start(); // an empty body: still check status and Content-Length
        if (download.error) {
            return fail(*download.error);
        }
    }
    if (download.http_error) {
        return fail(api_error(base, request.status(), download.error_body));
    }
    // A connection that ends early is a short download: reported as the size error below.
    if (code != CURLE_OK && code != CURLE_PARTIAL_FILE && code != CURLE_RECV_ERROR
        && code != CURLE_GOT_NOTHING) {
        return fail(ImgError { ImgCode::DownloadError, base + ": " + request.error_text(code), 1 });
    }
    std::vector<ImgError> errors;
    if (download.bytes != expected_size) {
        errors.emplace_back(ImgCode::DownloadError,
            "image " + uuid + " file size error: expected " + std::to_string(expected_size)
                + " bytes, downloaded " + std::to_string(download.bytes) + " bytes",
            1);
    }
    std::string actual_sha1 = download.sha1.hex_digest();
    if (!expected_sha1.empty() && actual_sha1 != expected_sha1) {
        errors.emplace_back(ImgCode::DownloadError,
            "image " + uuid + " file checksum (sha1) error: expected \"" + expected_sha1
                + "\", downloaded checksum was \"" + actual_sha1 + "\"",
            1);
    }
    if (!errors.empty()) {
        return fail(multi_error(std::move(errors)));
    }
    return {};
}

} // namespace lumos::image
