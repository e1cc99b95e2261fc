// SPDX-License-Identifier: MPL-2.0
// The write of a cgroup control file's value: a short write is an error with a reason.
#include "support/cli_runner.hpp"
#include "sys/detail/cgroup_file.hpp"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include <sys/resource.h>

namespace lumos::sys::detail {
namespace {

TEST(CgroupFile, ValueIsWritten)
{
    test::TempRoot root;
    root.write_file("memory.max", "");
    ASSERT_TRUE(write_cgroup_value(root.str() + "/memory.max", "1048576"));
    EXPECT_EQ(test::read_file(root.path() / "memory.max"), "1048576");
    auto missing = write_cgroup_value(root.str() + "/absent/pids.max", "max");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code(), ErrorCode::NotFound);
}

TEST(CgroupFile, AShortWriteIsAnErrorWithAReason)
{
    test::TempRoot root;
    root.write_file("memory.max", "");
    // A file size limit of 4 bytes cuts the write of 7 short (the kernel returns 4, errno
    // untouched) — what a control file taking part of a value would look like.
    rlimit saved {};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
    auto const previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = saved;
    small.rlim_cur = 4;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    errno = 0;
    auto written = write_cgroup_value(root.str() + "/memory.max", "1048576");
    ::setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous);
    ASSERT_FALSE(written);
    EXPECT_EQ(written.error().errno_value(), EIO);
    EXPECT_EQ(written.error().message(),
        "write 1048576 to " + root.str() + "/memory.max: short write (4 of 7 bytes)");
}

} // namespace
} // namespace lumos::sys::detail
