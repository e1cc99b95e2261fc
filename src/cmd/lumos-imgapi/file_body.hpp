// SPDX-License-Identifier: MPL-2.0
// The body of a file answer (the whole file, one range of it, or a multipart/byteranges body of
// several) streamed from an open file by httplib's content provider, a chunk at a time.
#pragma once

#include "base/file.hpp"
#include "cmd/lumos-imgapi/byte_ranges.hpp"

#include <httplib.h>

#include <vector>

namespace lumos::imgapi {

class FileBody {
public:
    // Owns `fd`; `segments` lie within the file.
    FileBody(UniqueFd fd, std::vector<BodySegment> segments);

    // httplib's ContentProvider: writes the body's bytes from `offset` (at most `length`, at most
    // one chunk) to the sink; false when the file cannot be read (it shrank) or the sink failed.
    bool write_to(size_t offset, size_t length, httplib::DataSink& sink);

private:
    UniqueFd m_fd;
    std::vector<BodySegment> m_segments;
    std::vector<char> m_buffer;
};

} // namespace lumos::imgapi
