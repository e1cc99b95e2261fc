// SPDX-License-Identifier: MPL-2.0
#include "image/digest.hpp"

#include "base/file.hpp"

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

namespace lumos::image {

struct Sha1::State {
    EVP_MD_CTX* context { EVP_MD_CTX_new() };
    State() = default;
    State(State const&) = delete;
    State& operator=(State const&) = delete;
    State(State&&) = delete;
    State& operator=(State&&) = delete;
    ~State() { EVP_MD_CTX_free(context); }
};

Sha1::Sha1()
    : m_state(std::make_unique<State>())
{
    MUST(m_state->context != nullptr);
    MUST(EVP_DigestInit_ex(m_state->context, EVP_sha1(), nullptr) == 1);
}

Sha1::~Sha1() = default;

void Sha1::update(void const* data, size_t size)
{
    MUST(EVP_DigestUpdate(m_state->context, data, size) == 1);
}

std::string Sha1::hex_digest()
{
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest {};
    unsigned int length = 0;
    MUST(EVP_DigestFinal_ex(m_state->context, digest.data(), &length) == 1);
    static char const HEX[] = "0123456789abcdef";
    std::string text;
    text.reserve(static_cast<size_t>(length) * 2);
    for (unsigned int i = 0; i < length; ++i) {
        text.push_back(HEX[digest[i] >> 4]);
        text.push_back(HEX[digest[i] & 0xf]);
    }
    return text;
}

Result<FileDigest> digest_file(std::string const& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
        return tl::unexpected(Error::from_errno("open " + path, errno));
    }
    Sha1 sha1;
    FileDigest result;
    std::array<char, 1 << 17> buffer {};
    for (;;) {
        ssize_t const n = ::read(fd.get(), buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return tl::unexpected(Error::from_errno("read " + path, errno));
        }
        if (n == 0) {
            break;
        }
        sha1.update(buffer.data(), static_cast<size_t>(n));
        result.size += static_cast<uint64_t>(n);
    }
    result.sha1 = sha1.hex_digest();
    return result;
}

} // namespace lumos::image
