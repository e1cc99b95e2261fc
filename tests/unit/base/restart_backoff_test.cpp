// SPDX-License-Identifier: MPL-2.0
#include "base/restart_backoff.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace lumos {
namespace {

TEST(RestartBackoff, QuickDeathsDoubleTheWaitUpToAMinute)
{
    RestartBackoff backoff;
    EXPECT_EQ(backoff.due(), 0);
    long long now = 1'000'000;
    long long expected = RestartBackoff::MIN_MS;
    for (int death = 0; death < 10; ++death) {
        backoff.started(now);
        EXPECT_EQ(backoff.due(), 0);
        now += 10;
        backoff.exited(now);
        EXPECT_EQ(backoff.due(), now + expected);
        EXPECT_FALSE(backoff.due_by(now + expected - 1));
        EXPECT_TRUE(backoff.due_by(now + expected));
        now = backoff.due();
        expected = std::min(expected * 2, RestartBackoff::MAX_MS);
    }
    EXPECT_EQ(expected, RestartBackoff::MAX_MS);
}

TEST(RestartBackoff, AProcessThatRanAMinuteStartsTheCountAgain)
{
    RestartBackoff backoff;
    backoff.started(0);
    backoff.exited(10); // 1 s
    backoff.started(2'000);
    backoff.exited(2'010); // 2 s
    backoff.started(5'000);
    backoff.exited(5'000 + RestartBackoff::STABLE_MS);
    EXPECT_EQ(backoff.due(), 5'000 + RestartBackoff::STABLE_MS + RestartBackoff::MIN_MS);
}

TEST(RestartBackoff, AFailedStartDoublesAndCancelLeavesNothingDue)
{
    RestartBackoff backoff;
    backoff.start_failed(100);
    EXPECT_EQ(backoff.due(), 100 + RestartBackoff::MIN_MS);
    backoff.start_failed(200);
    EXPECT_EQ(backoff.due(), 200 + 2 * RestartBackoff::MIN_MS);
    backoff.cancel();
    EXPECT_EQ(backoff.due(), 0);
    EXPECT_FALSE(backoff.due_by(1'000'000));
}

} // namespace
} // namespace lumos
