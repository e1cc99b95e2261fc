// SPDX-License-Identifier: MPL-2.0
// An in-test metadata host for the guest client and the mdata-* tools: a UNIX socket in a
// temp directory, one thread accepting connections one at a time, each served by a script.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lumos::test {

class FakeMetadataHost {
public:
    // One accepted connection, as its script sees it.
    class Peer {
    public:
        Peer(FakeMetadataHost& host, int fd, std::size_t index);
        // The client's next line (without '\n'), recorded in lines(); nullopt when the client
        // closed the connection or the host is stopping.
        std::optional<std::string> read_line();
        // Best effort: false when the client is gone.
        bool write(std::string_view bytes);
        // Returns when the client closes the connection (or the host stops).
        void wait_closed();

    private:
        FakeMetadataHost& m_host;
        int m_fd;
        std::size_t m_index;
        std::string m_buffer;
    };
    using Script = std::function<void(Peer&)>;

    // Connection i runs scripts[i], the last script for every later one. The socket is
    // `<dir>/metadata.sock`: in a new temp directory (removed at the end) when dir is empty.
    explicit FakeMetadataHost(std::vector<Script> scripts, std::string dir = {});
    FakeMetadataHost(const FakeMetadataHost&) = delete;
    FakeMetadataHost& operator=(const FakeMetadataHost&) = delete;
    ~FakeMetadataHost();

    [[nodiscard]] std::string socket_path() const { return m_dir + "/metadata.sock"; }
    [[nodiscard]] std::string dir() const { return m_dir; }
    // The lines each connection received, in order.
    [[nodiscard]] std::vector<std::vector<std::string>> lines() const;
    [[nodiscard]] std::size_t connections() const;

    // A script that reads lines until the client closes, writing answer(line) for each (nothing
    // for nullopt).
    static Script answering(std::function<std::optional<std::string>(std::string const&)> answer);
    // A V2 host: "V2_OK" to NEGOTIATE V2, then answer(request) for each V2 frame, which gets
    // the request (command, decoded argument) and returns the response's code and payload.
    static Script v2_host(std::function<std::pair<std::string, std::string>(
            std::string const& command, std::optional<std::string> const& argument)>
            answer);

private:
    void serve();
    void record(std::size_t index, std::string line);

    std::string m_dir;
    bool m_own_dir { false };
    int m_listen_fd { -1 };
    int m_stop_pipe[2] { -1, -1 };
    std::vector<Script> m_scripts;
    mutable std::mutex m_mutex;
    std::vector<std::vector<std::string>> m_lines;
    std::thread m_thread;
};

// A FILE* whose output the test reads back (open_memstream).
class MemoryStream {
public:
    MemoryStream()
        : m_file(::open_memstream(&m_data, &m_size))
    {
    }
    MemoryStream(const MemoryStream&) = delete;
    MemoryStream& operator=(const MemoryStream&) = delete;
    ~MemoryStream()
    {
        std::fclose(m_file);
        std::free(m_data); // NOLINT(cppcoreguidelines-no-malloc): open_memstream's buffer
    }
    [[nodiscard]] std::FILE* file() const { return m_file; }
    [[nodiscard]] std::string text()
    {
        std::fflush(m_file);
        return { m_data, m_size };
    }

private:
    char* m_data { nullptr };
    std::size_t m_size { 0 };
    std::FILE* m_file;
};

} // namespace lumos::test
