// SPDX-License-Identifier: MPL-2.0
#include "base/uuid.hpp"

#include "base/result.hpp"

#include <array>
#include <cerrno>
#include <cstdint>

#include <sys/random.h>

namespace lumos {

void random_bytes(void* buffer, size_t size)
{
    auto* out = static_cast<unsigned char*>(buffer);
    size_t done = 0;
    while (done < size) {
        ssize_t const n = getrandom(out + done, size - done, 0);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        MUST(n > 0);
        done += static_cast<size_t>(n);
    }
}

std::string generate_uuid()
{
    std::array<uint8_t, 16> bytes {};
    random_bytes(bytes.data(), bytes.size());
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0FU) | 0x40U);
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3FU) | 0x80U);
    static constexpr char HEX[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += HEX[bytes[i] >> 4U];
        out += HEX[bytes[i] & 0x0FU];
    }
    return out;
}

bool has_uuid_shape(std::string_view text)
{
    return text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-'
        && text[23] == '-';
}

bool is_uuid(std::string_view text)
{
    if (!has_uuid_shape(text)) {
        return false;
    }
    for (size_t i = 0; i < text.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            continue;
        }
        char const c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace lumos
