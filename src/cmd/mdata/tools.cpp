// SPDX-License-Identifier: MPL-2.0
#include "cmd/mdata/tools.hpp"

#include "metadata/protocol.hpp"

#include <cerrno>
#include <cstring>
#include <exception>
#include <string_view>
#include <variant>
#include <vector>

#include <unistd.h>

namespace lumos::mdata {

namespace {

std::string too_long()
{
    return "ERROR: the value is longer than " + std::to_string(metadata::MAX_VALUE) + " bytes\n";
}

using metadata::Client;
using metadata::Code;
using metadata::Reply;

// Every byte of `text` (a value may hold NULs); a failed write to stdout is checked once, by
// print_value's flush, and one to stderr has nowhere to be reported.
void print(std::FILE* stream, std::string_view text)
{
    if (!text.empty()) {
        (void)std::fwrite(text.data(), 1, text.size(), stream);
    }
}

// proto_init, as each tool starts it once its arguments are known.
bool open_client(Client& client, Streams const& io)
{
    if (auto gave_up = client.open()) {
        print(io.err, "ERROR: could not initialise protocol: " + gave_up->message + "\n");
        return false;
    }
    return true;
}

// The reply to `command`, or nullopt (the error said) when the client gave up.
std::optional<Reply> run_command(Client& client, Streams const& io, std::string_view command,
    std::optional<std::string_view> argument)
{
    auto outcome = client.execute(command, argument);
    if (auto* reply = std::get_if<Reply>(&outcome)) {
        return std::move(*reply);
    }
    print(io.err, "ERROR: could not execute " + std::string(command) + "\n");
    return std::nullopt;
}

// The value, and a newline when it does not end with one (`add_newline` says when).
int print_value(Streams const& io, std::string_view value, bool add_newline)
{
    print(io.out, value);
    if (add_newline) {
        print(io.out, "\n");
    }
    if (std::fflush(io.out) != 0 || std::ferror(io.out) != 0) {
        print(io.err,
            std::string("ERROR: could not write to stdout: ") + std::strerror(errno) + "\n");
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

// Reads all of `in`, at most MAX_VALUE bytes (what the host stores); nullopt (the error said)
// when it cannot be read or is longer.
std::optional<std::string> read_value(Streams const& io)
{
    std::string value;
    char chunk[4096];
    for (;;) {
        std::size_t const got = std::fread(&chunk[0], 1, sizeof chunk, io.in);
        value.append(&chunk[0], got);
        if (value.size() > metadata::MAX_VALUE) {
            print(io.err, too_long());
            return std::nullopt;
        }
        if (got < sizeof chunk) {
            break;
        }
    }
    if (std::ferror(io.in) != 0) {
        print(io.err,
            std::string("ERROR: could not read from stdin: ") + std::strerror(errno) + "\n");
        return std::nullopt;
    }
    return value;
}

// PUT and DELETE need a V2 host: the client open and on V2, or false (the error said).
bool open_for_write(Client& client, Streams const& io, std::string_view command)
{
    if (!open_client(client, io)) {
        return false;
    }
    if (client.version() != metadata::Version::V2) {
        print(io.err, "ERROR: host does not support " + std::string(command) + "\n");
        return false;
    }
    return true;
}

// The exit code of a PUT's or DELETE's reply, its message said; `failure` begins the line of
// a FAILURE.
int write_outcome(Streams const& io, Reply const& reply, std::string_view command,
    std::string const& key, std::string const& failure)
{
    switch (reply.code) {
    case Code::Success:
        return EXIT_OK;
    case Code::NotFound:
        print(io.err, "No metadata for '" + key + "'\n");
        return EXIT_NOT_FOUND;
    case Code::InvalidCommand:
        print(io.err, "ERROR: host does not support " + std::string(command) + "\n");
        return EXIT_ERROR;
    case Code::Unknown:
        break;
    }
    print(io.err, failure + reply.data + "\n");
    return EXIT_ERROR;
}

} // namespace

int mdata_get(std::span<std::string const> args, Client& client, Streams const& io)
{
    if (args.empty()) {
        print(io.err, "Usage: mdata-get <keyname>\n");
        return EXIT_USAGE;
    }
    std::string const& key = args[0];
    if (!open_client(client, io)) {
        return EXIT_ERROR;
    }
    auto const reply = run_command(client, io, "GET", key);
    if (!reply) {
        return EXIT_ERROR;
    }
    switch (reply->code) {
    case Code::Success:
        return print_value(io, reply->data, !reply->data.ends_with('\n'));
    case Code::NotFound:
        print(io.err, "No metadata for '" + key + "'\n");
        return EXIT_NOT_FOUND;
    case Code::InvalidCommand:
        print(io.err, "ERROR: host does not support GET\n");
        return EXIT_ERROR;
    case Code::Unknown:
        break;
    }
    print(io.err, "Error getting metadata for key '" + key + "': " + reply->data + "\n");
    return EXIT_ERROR;
}

int mdata_list(std::span<std::string const> /*args*/, Client& client, Streams const& io)
{
    if (!open_client(client, io)) {
        return EXIT_ERROR;
    }
    auto const reply = run_command(client, io, "KEYS", std::nullopt);
    if (!reply) {
        return EXIT_ERROR;
    }
    switch (reply->code) {
    case Code::Success:
        // No keys, no output; else one a line.
        return print_value(io, reply->data, !reply->data.empty() && !reply->data.ends_with('\n'));
    case Code::NotFound:
        print(io.err, "No metadata\n");
        return EXIT_NOT_FOUND;
    case Code::InvalidCommand:
        print(io.err, "ERROR: host does not support KEYS\n");
        return EXIT_ERROR;
    case Code::Unknown:
        break;
    }
    print(io.err, "Error getting metadata: " + reply->data + "\n");
    return EXIT_ERROR;
}

int mdata_put(std::span<std::string const> args, Client& client, Streams const& io)
{
    if (args.empty()) {
        print(io.err, "Usage: mdata-put <keyname> [ <value> ]\n");
        return EXIT_USAGE;
    }
    std::string const& key = args[0];
    if (!open_for_write(client, io, "PUT")) {
        return EXIT_ERROR;
    }
    std::string value;
    if (args.size() >= 2) {
        value = args[1];
        if (value.size() > metadata::MAX_VALUE) {
            print(io.err, too_long());
            return EXIT_ERROR;
        }
    } else {
        if (::isatty(::fileno(io.in)) == 1) {
            print(io.err,
                "ERROR: either specify the metadata value as the second command-line "
                "argument, or pipe content to stdin.\n");
            return EXIT_ERROR;
        }
        auto read = read_value(io);
        if (!read) {
            return EXIT_ERROR;
        }
        value = std::move(*read);
    }
    auto const reply = run_command(client, io, "PUT", metadata::format_put_argument(key, value));
    if (!reply) {
        return EXIT_ERROR;
    }
    return write_outcome(io, *reply, "PUT", key, "Error putting metadata for key '" + key + "': ");
}

int mdata_delete(std::span<std::string const> args, Client& client, Streams const& io)
{
    if (args.empty()) {
        print(io.err, "Usage: mdata-delete <keyname>\n");
        return EXIT_USAGE;
    }
    std::string const& key = args[0];
    if (!open_for_write(client, io, "DELETE")) {
        return EXIT_ERROR;
    }
    auto const reply = run_command(client, io, "DELETE", key);
    if (!reply) {
        return EXIT_ERROR;
    }
    return write_outcome(io, *reply, "DELETE", key, "Error deleting metadata key '" + key + "': ");
}

int run_main(
    int argc, char** argv, int (*tool)(std::span<std::string const>, Client&, Streams const&))
{
    try {
        std::vector<std::string> const args(argv + (argc > 0 ? 1 : 0), argv + argc);
        Client client(metadata::ClientOptions {});
        return tool(args, client, Streams {});
    } catch (std::exception const& error) {
        print(stderr, std::string("ERROR: ") + error.what() + "\n");
        return EXIT_ERROR;
    }
}

} // namespace lumos::mdata
