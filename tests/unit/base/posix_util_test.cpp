// SPDX-License-Identifier: MPL-2.0
// base/posix_util.hpp: the one /proc/<pid>/stat parser, and what a zombie is to each caller.
#include "base/posix_util.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include <sys/wait.h>

namespace lumos::posix {
namespace {

TEST(PosixUtil, ProcStatReadsPastACommWithSpacesAndParentheses)
{
    // Fields 3..22; field 22 (start time) is 987654321.
    std::string const rest
        = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654321 1000 20 30\n";
    auto const stat = parse_proc_stat("1234 (a) b (c) ) d)" + rest);
    ASSERT_TRUE(stat.has_value());
    EXPECT_EQ(stat->state, 'S');
    EXPECT_EQ(stat->start_time, 987654321U);
    auto const zombie
        = parse_proc_stat("1234 (z) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 42");
    ASSERT_TRUE(zombie.has_value());
    EXPECT_EQ(zombie->state, 'Z');
    EXPECT_EQ(zombie->start_time, 42U);
}

TEST(PosixUtil, ProcStatRefusesWhatIsNotOne)
{
    for (char const* text : { "", "1234 (sh", "1234 (sh) S 1 2 3", "1234 (sh)S 1",
             "1234 (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x",
             "1234 (sh) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 99999999999999999999999" }) {
        EXPECT_FALSE(parse_proc_stat(text).has_value()) << text;
    }
}

TEST(PosixUtil, AZombieIsNotRunningButStillHasAStartTime)
{
    auto const self = running_proc_start_time(::getpid());
    ASSERT_TRUE(self.has_value());
    EXPECT_EQ(proc_start_time(::getpid()), self);

    pid_t const child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::_exit(0);
    }
    // Wait for the exit without reaping: the child stays a zombie.
    siginfo_t info {};
    ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT), 0);
    EXPECT_TRUE(proc_start_time(child).has_value());
    EXPECT_FALSE(running_proc_start_time(child).has_value());
    ASSERT_EQ(::waitpid(child, nullptr, 0), child);
    EXPECT_FALSE(proc_start_time(child).has_value());
    EXPECT_FALSE(running_proc_start_time(-1).has_value());
}

TEST(PosixUtil, ReadSmallFileStopsAtItsLimit)
{
    char path[] = "/tmp/posix_util_testXXXXXX";
    int const fd = ::mkstemp(path);
    ASSERT_GE(fd, 0);
    std::string const content(10000, 'x');
    ASSERT_TRUE(write_all(fd, content.data(), content.size()));
    ::close(fd);
    EXPECT_EQ(read_small_file(path), content);
    EXPECT_EQ(read_small_file(path, 5000)->size(), 5000U);
    ::unlink(path);
    EXPECT_FALSE(read_small_file(path).has_value());
}

} // namespace
} // namespace lumos::posix
