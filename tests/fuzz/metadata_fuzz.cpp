// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for the metadata protocol (metadata/protocol.hpp): every line a guest sends
// the server, and every line a client reads back. Nothing may crash, and what is accepted must
// hold together: a parsed V2 request's frame was whole, a response the server formats for it is
// one the client reads back unchanged, base64 round-trips.
#include "metadata/protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace lumos::metadata;

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    std::string_view const line(reinterpret_cast<char const*>(data), size);
    ParsedLine const parsed = parse_request_line(line);
    if (parsed.kind == LineKind::Request && parsed.request.v2) {
        if (parsed.request.reqid.empty() || parsed.request.command.empty()) {
            __builtin_trap();
        }
        std::string const payload = parsed.request.argument.value_or("");
        std::string reply = format_v2_response(parsed.request.reqid, "SUCCESS", payload);
        if (reply.empty() || reply.back() != '\n') {
            __builtin_trap();
        }
        reply.pop_back();
        auto const back = parse_v2_response(reply);
        // A body whose CRC is 0 is refused by the client (as mdata-client's is); else it must read.
        if (back && (back->reqid != parsed.request.reqid || back->payload != payload)) {
            __builtin_trap();
        }
        if (parsed.request.command == "PUT" && parsed.request.argument) {
            auto const kv = parse_put_argument(*parsed.request.argument);
            if (kv && (kv->first.empty() || kv->second.size() > MAX_VALUE)) {
                __builtin_trap();
            }
        }
    }
    (void)parse_v2_response(line);
    if (auto decoded = base64_decode(line); decoded && base64_encode(*decoded) != line) {
        __builtin_trap();
    }
    return 0;
}
