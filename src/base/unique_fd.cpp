// SPDX-License-Identifier: MPL-2.0
#include "base/unique_fd.hpp"

#include <unistd.h>

namespace lumos {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

int UniqueFd::release()
{
    int const fd = m_fd;
    m_fd = -1;
    return fd;
}

} // namespace lumos
