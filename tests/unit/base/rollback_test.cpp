// SPDX-License-Identifier: MPL-2.0
#include "base/rollback.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace lumos;

namespace {

TEST(Rollback, UndoesInReverseOnDestruction)
{
    std::string trace;
    {
        Rollback rollback;
        rollback.push([&] { trace += "a"; });
        rollback.push([&] { trace += "b"; });
        rollback.push([&] { trace += "c"; });
        EXPECT_EQ(trace, "");
    }
    EXPECT_EQ(trace, "cba");
}

TEST(Rollback, DisarmedUndoesNothing)
{
    std::string trace;
    {
        Rollback rollback;
        rollback.push([&] { trace += "a"; });
        rollback.disarm();
        EXPECT_TRUE(rollback.empty());
    }
    EXPECT_EQ(trace, "");
}

TEST(Rollback, RunUndoesNowAndOnlyOnce)
{
    std::string trace;
    {
        Rollback rollback;
        rollback.push([&] { trace += "a"; });
        rollback.push([&] { trace += "b"; });
        rollback.run();
        EXPECT_EQ(trace, "ba");
        rollback.push([&] { trace += "c"; });
    }
    EXPECT_EQ(trace, "bac");
}

} // namespace
