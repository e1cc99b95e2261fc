// SPDX-License-Identifier: MPL-2.0
#include "base/uuid.hpp"

#include <gtest/gtest.h>

TEST(Uuid, GeneratedIsValid)
{
    EXPECT_TRUE(lumos::is_uuid(lumos::generate_uuid()));
    EXPECT_FALSE(lumos::is_uuid("ABCDEF01-0000-0000-0000-000000000000"));
}
