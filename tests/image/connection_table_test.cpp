// SPDX-License-Identifier: MPL-2.0
// lumos-imgapi's connection limit: who is cut to make room, and when a newcomer is refused.
#include "cmd/lumos-imgapi/connection_table.hpp"

#include <gtest/gtest.h>

#include <array>
#include <thread>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

namespace lumos::imgapi {
namespace {

// A connected socket pair; `server` is what the table holds, `client` sees its shutdown.
struct Pair {
    Pair()
    {
        std::array<int, 2> fds {};
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()), 0);
        server = fds[0];
        client = fds[1];
    }
    Pair(Pair const&) = delete;
    Pair& operator=(Pair const&) = delete;
    ~Pair()
    {
        ::close(server);
        ::close(client);
    }
    // Whether the server side was shut down: the client reads the end of the stream.
    bool cut() const
    {
        char byte = 0;
        return ::recv(client, &byte, 1, MSG_DONTWAIT) == 0;
    }
    int server { -1 };
    int client { -1 };
};

TEST(ConnectionTable, FullTableCutsTheLongestWaiting)
{
    ConnectionTable table(3);
    std::vector<std::unique_ptr<Pair>> pairs;
    std::vector<ConnectionTable::Id> ids;
    for (int i = 0; i < 3; ++i) {
        pairs.push_back(std::make_unique<Pair>());
        auto id = table.admit(pairs.back()->server);
        ASSERT_TRUE(id);
        ids.push_back(*id);
    }
    // The first has just finished an answer, the second is sending a head (slowly, since its
    // admission), the third is answering.
    table.set_phase(ids[0], Phase::Busy);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    table.set_phase(ids[0], Phase::Waiting);
    table.set_phase(ids[1], Phase::Head);
    table.set_phase(ids[2], Phase::Busy);

    Pair newcomer;
    auto id = table.admit(newcomer.server);
    ASSERT_TRUE(id);
    EXPECT_FALSE(pairs[0]->cut());
    EXPECT_TRUE(pairs[1]->cut());
    EXPECT_FALSE(pairs[2]->cut());
    EXPECT_EQ(table.size(), 3U);
    EXPECT_EQ(table.evictions(), 1U);
    // The evicted connection's own release later changes nothing.
    table.release(ids[1]);
    EXPECT_EQ(table.size(), 3U);

    // Next in line: the one whose answer ended before the newcomer came.
    Pair another;
    ASSERT_TRUE(table.admit(another.server));
    EXPECT_TRUE(pairs[0]->cut());
    EXPECT_FALSE(newcomer.cut());
    EXPECT_EQ(table.evictions(), 2U);
}

TEST(ConnectionTable, RefusesWhenAllAreBusy)
{
    ConnectionTable table(2);
    Pair first;
    Pair second;
    auto a = table.admit(first.server);
    auto b = table.admit(second.server);
    ASSERT_TRUE(a && b);
    table.set_phase(*a, Phase::Busy);
    table.set_phase(*b, Phase::Busy);
    Pair third;
    EXPECT_FALSE(table.admit(third.server));
    EXPECT_FALSE(first.cut());
    EXPECT_FALSE(second.cut());

    table.release(*a);
    EXPECT_TRUE(table.admit(third.server));
}

TEST(ConnectionTable, CloseCutsEveryoneAndRefusesNewcomers)
{
    ConnectionTable table(4);
    Pair first;
    auto a = table.admit(first.server);
    ASSERT_TRUE(a);
    table.set_phase(*a, Phase::Busy);
    table.close();
    EXPECT_TRUE(first.cut());
    Pair second;
    EXPECT_FALSE(table.admit(second.server));
}

} // namespace
} // namespace lumos::imgapi
