// SPDX-License-Identifier: MPL-2.0
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lumos::image {

// Streaming SHA-1 (OpenSSL EVP), as imgadm checks files[0].sha1.
class Sha1 {
public:
    Sha1();
    ~Sha1();
    Sha1(Sha1 const&) = delete;
    Sha1& operator=(Sha1 const&) = delete;

    void update(void const* data, size_t size);
    // Lower-case hex digest; the object cannot be updated afterwards.
    std::string hex_digest();

private:
    struct State;
    std::unique_ptr<State> m_state;
};

struct FileDigest {
    uint64_t size { 0 };
    std::string sha1;
};

// Size and SHA-1 of a whole file.
Result<FileDigest> digest_file(std::string const& path);

} // namespace lumos::image
