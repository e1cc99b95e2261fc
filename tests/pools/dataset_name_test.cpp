// SPDX-License-Identifier: MPL-2.0
// The dir and btrfs pools' dataset name grammar.
#include "pools/detail/dataset_name.hpp"

#include <gtest/gtest.h>

namespace lumos::pools::detail {
namespace {

TEST(DatasetName, RelativeNamesOfValidNames)
{
    EXPECT_EQ(*relative_dataset_name("zones", "zones/a"), "a");
    EXPECT_EQ(*relative_dataset_name("zones", "zones/a/b.c:d_e-f@snap-1"), "a/b.c:d_e-f@snap-1");
}

TEST(DatasetName, InvalidNamesSayWhatIsWrong)
{
    struct Case {
        char const* name;
        char const* message;
    };
    for (auto const& [name, message] : {
             Case { "zones", "dataset name \"zones\" is not in pool \"zones\"" },
             Case { "zonesx/a", "dataset name \"zonesx/a\" is not in pool \"zones\"" },
             Case { "zones/a@", "invalid snapshot name \"zones/a@\"" },
             Case { "zones/a@.x", "invalid snapshot name \"zones/a@.x\"" },
             Case { "zones/a//b", "invalid dataset name \"zones/a//b\"" },
             Case { "zones/.hidden", "invalid dataset name \"zones/.hidden\"" },
             Case { "zones/a b", "invalid dataset name \"zones/a b\"" },
         }) {
        auto relative = relative_dataset_name("zones", name);
        ASSERT_FALSE(relative) << name;
        EXPECT_EQ(relative.error().code(), ErrorCode::InvalidArgument);
        EXPECT_EQ(relative.error().message(), message);
    }
    EXPECT_FALSE(valid_component(std::string(201, 'a')));
    EXPECT_TRUE(valid_component(std::string(200, 'a')));
}

TEST(DatasetName, Relations)
{
    EXPECT_EQ(dataset_part("a/b@s"), "a/b");
    EXPECT_EQ(dataset_part("a/b"), "a/b");
    EXPECT_TRUE(is_snapshot_name("a@s"));
    EXPECT_FALSE(is_snapshot_name("a"));
    EXPECT_TRUE(under("a", "a"));
    EXPECT_TRUE(under("a/b", "a"));
    EXPECT_TRUE(under("a@s", "a"));
    EXPECT_FALSE(under("ab", "a"));
    EXPECT_EQ(parent_of("a/b/c"), "a/b");
    EXPECT_EQ(parent_of("a"), std::nullopt);
}

} // namespace
} // namespace lumos::pools::detail
