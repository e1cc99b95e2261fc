// SPDX-License-Identifier: MPL-2.0
// libFuzzer target for zfs send streams of a volume, which imgadm takes as zvol image files from
// any image server it is pointed at and decodes into a volume on dir and btrfs pools. The first
// byte says how the rest is cut into feeds; whatever the bytes, nothing may crash, leak or loop,
// the sink sees only bounded writes and frees, every refusal says why, and an accepted stream
// has a size that holds everything written. (Per-record checksums may be zero, so records past
// the BEGIN are reachable; only END's checksum must hold.)
#include "image/detail/zfs_stream.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

namespace detail = lumos::image::detail;
using lumos::image::ImgCode;
using lumos::image::ImgError;
using lumos::image::ImgResult;

class CheckingSink final : public detail::VolumeSink {
public:
    ImgResult<void> write(uint64_t offset, std::string_view data) override
    {
        if (data.size() < 512 || data.size() > 128 * 1024 || data.size() % 512 != 0
            || offset > detail::MAX_VOLUME_BYTES
            || data.size() > detail::MAX_VOLUME_BYTES - offset) {
            __builtin_trap();
        }
        m_end = std::max<uint64_t>(m_end, offset + data.size());
        return {};
    }
    ImgResult<void> free(uint64_t offset, uint64_t length) override
    {
        if (length == 0 || offset > detail::MAX_VOLUME_BYTES
            || length > detail::MAX_VOLUME_BYTES - offset) {
            __builtin_trap();
        }
        return {};
    }
    uint64_t m_end { 0 };
};

void refused(ImgError const& error)
{
    if (error.message.empty()
        || (error.code != ImgCode::InvalidImageFile && error.code != ImgCode::NotSupported)) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(uint8_t const* data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    auto const control = data[0];
    std::string_view const stream(reinterpret_cast<char const*>(data) + 1, size - 1);
    size_t const chunk = control == 0 ? stream.size() + 1 : size_t { control } * 13;
    CheckingSink sink;
    detail::ZvolStreamDecoder decoder(sink);
    for (size_t at = 0; at < stream.size(); at += chunk) {
        auto fed = decoder.feed(stream.substr(at, chunk));
        if (!fed) {
            refused(fed.error());
            auto again = decoder.feed("x"); // the refusal sticks
            if (again || again.error().message != fed.error().message) {
                __builtin_trap();
            }
            return 0;
        }
    }
    auto finished = decoder.finish();
    if (!finished) {
        refused(finished.error());
        return 0;
    }
    uint64_t const volume = decoder.volume_size();
    if (volume == 0 || volume > detail::MAX_VOLUME_BYTES || volume < sink.m_end) {
        __builtin_trap();
    }
    return 0;
}
