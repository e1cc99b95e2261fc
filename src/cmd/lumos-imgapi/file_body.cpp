// SPDX-License-Identifier: MPL-2.0
#include "cmd/lumos-imgapi/file_body.hpp"

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

namespace lumos::imgapi {
namespace {

constexpr size_t CHUNK = size_t { 1 } << 20;

} // namespace

FileBody::FileBody(UniqueFd fd, std::vector<BodySegment> segments)
    : m_fd(std::move(fd))
    , m_segments(std::move(segments))
{
    ::posix_fadvise(m_fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
}

bool FileBody::write_to(size_t offset, size_t length, httplib::DataSink& sink)
{
    uint64_t start = 0;
    for (auto const& segment : m_segments) {
        uint64_t size = segment.length();
        if (offset >= start + size) {
            start += size;
            continue;
        }
        uint64_t within = offset - start;
        auto want = static_cast<size_t>(std::min<uint64_t>({ size - within, length, CHUNK }));
        if (segment.length_in_file == 0) {
            return sink.write(segment.text.data() + within, want);
        }
        if (m_buffer.empty()) {
            m_buffer.resize(CHUNK);
        }
        ssize_t got = ::pread(
            m_fd.get(), m_buffer.data(), want, static_cast<off_t>(segment.file_offset + within));
        if (got <= 0) {
            return false; // the file shrank or failed: httplib drops the connection
        }
        return sink.write(m_buffer.data(), static_cast<size_t>(got));
    }
    return false;
}

} // namespace lumos::imgapi
