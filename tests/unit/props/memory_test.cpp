// SPDX-License-Identifier: MPL-2.0
// Reference 2.6: memory derivation on create and on update (test-update.js "update ram",
// test-update-kvm.js, test-create-kvm-mem-override.js).
#include "props/memory.hpp"

#include <gtest/gtest.h>

using namespace lumos;
using namespace lumos::props;

namespace {

Json os_vm()
{
    return { { "brand", "joyent" }, { "max_physical_memory", 256 }, { "max_locked_memory", 256 },
        { "max_swap", 256 }, { "tmpfs", 256 }, { "max_shm_memory", 256 }, { "max_msg_ids", 4096 },
        { "max_sem_ids", 4096 }, { "max_shm_ids", 4096 } };
}

Json fixed(Json payload, Json const& vm, Brand brand)
{
    fix_payload_memory(payload, vm, brand);
    return payload;
}

} // namespace

TEST(Memory, OsCreateFromRam)
{
    auto const p = fixed({ { "ram", 256 } }, Json::object(), Brand::Joyent);
    EXPECT_EQ(p["max_physical_memory"], 256);
    EXPECT_EQ(p["max_locked_memory"], 256);
    EXPECT_EQ(p["max_swap"], 256);
    EXPECT_EQ(p["tmpfs"], 256);
    EXPECT_EQ(p["max_shm_memory"], 256);
    EXPECT_EQ(p["max_msg_ids"], 4096);
}

TEST(Memory, KvmAndBhyveOverheads)
{
    auto const kvm = fixed({ { "ram", 256 } }, Json::object(), Brand::Kvm);
    EXPECT_EQ(kvm["max_physical_memory"], 1280);
    EXPECT_FALSE(kvm.contains("tmpfs"));
    EXPECT_EQ(fixed({ { "ram", 256 } }, Json::object(), Brand::Bhyve)["max_physical_memory"], 1536);
}

TEST(Memory, OsUpdateRam)
{
    auto p = fixed({ { "ram", 512 } }, os_vm(), Brand::Joyent);
    EXPECT_EQ(p["max_physical_memory"], 512);
    EXPECT_EQ(p["max_locked_memory"], 512);
    EXPECT_EQ(p["max_swap"], 512);
    EXPECT_EQ(p["tmpfs"], 512);

    p = fixed({ { "ram", 128 } }, os_vm(), Brand::Joyent);
    EXPECT_EQ(p["max_physical_memory"], 128);
    EXPECT_EQ(p["max_locked_memory"], 128);
    EXPECT_EQ(p["max_swap"], 256);
}

TEST(Memory, SwapKeepsItsDeltaUnlessAtMinimum)
{
    Json vm = os_vm();
    vm["max_physical_memory"] = 512;
    vm["max_swap"] = 1024;
    vm["max_locked_memory"] = 512;
    auto const p = fixed({ { "max_physical_memory", 1024 } }, vm, Brand::Joyent);
    EXPECT_EQ(p["max_swap"], 1536);
}

TEST(Memory, LowSwapIsRaisedAndHighLockedClamped)
{
    auto p = fixed({ { "max_swap", 128 } }, os_vm(), Brand::Joyent);
    EXPECT_EQ(p["max_swap"], 256);
    EXPECT_FALSE(p.contains("max_physical_memory"));
    p = fixed({ { "max_locked_memory", 1024 } }, os_vm(), Brand::Joyent);
    EXPECT_EQ(p["max_locked_memory"], 256);
}

TEST(Memory, TmpfsClampedAndRatioKept)
{
    auto p = fixed({ { "tmpfs", 1024 } }, os_vm(), Brand::Joyent);
    EXPECT_EQ(p["tmpfs"], 256);
    Json vm = os_vm();
    vm["tmpfs"] = 128;
    p = fixed({ { "max_physical_memory", 1024 } }, vm, Brand::Joyent);
    EXPECT_EQ(p["tmpfs"], 512);
}

TEST(Memory, KvmUpdateRam)
{
    Json const vm = { { "brand", "kvm" }, { "ram", 1024 }, { "max_physical_memory", 2048 },
        { "max_locked_memory", 2048 }, { "max_swap", 2048 } };
    auto const p = fixed({ { "ram", 2048 } }, vm, Brand::Kvm);
    EXPECT_EQ(p["max_physical_memory"], 3072);
    EXPECT_EQ(p["max_locked_memory"], 3072);
    EXPECT_EQ(p["max_swap"], 3072);
}

TEST(Memory, KvmMinimumOverhead)
{
    auto const p = fixed({ { "ram", 256 }, { "max_physical_memory", 256 }, { "max_swap", 512 } },
        Json::object(), Brand::Kvm);
    EXPECT_EQ(p["max_physical_memory"], 512);
    EXPECT_EQ(p["max_locked_memory"], 512);
    EXPECT_EQ(p["max_swap"], 512);
}
