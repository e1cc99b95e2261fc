// SPDX-License-Identifier: MPL-2.0
#include "base/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace lumos {

int64_t now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string iso_timestamp(int64_t epoch_ms)
{
    auto const seconds = static_cast<time_t>(epoch_ms / 1000);
    int const millis = static_cast<int>(epoch_ms % 1000);
    struct tm parts { };
    gmtime_r(&seconds, &parts);
    char buffer[96];
    (void)std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
        parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min,
        parts.tm_sec, millis);
    return buffer;
}

} // namespace lumos
