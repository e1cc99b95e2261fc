// SPDX-License-Identifier: MPL-2.0
// Test helpers: a real lumos-imgapi on 127.0.0.1 (port 0, the port learnt from --port-file),
// killed by PID on destruction, and image fixtures (manifest + file) for its directory.
// Header-only so that tests/image (client tests) and tests/imgadm (black-box tests) share it;
// each program must define LUMOS_LUMOS_IMGAPI_BIN.
#pragma once

#include "support/cli_runner.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>

namespace lumos::test {

inline std::string sha1_hex(std::string const& data)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
    static char const* const hex = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xf];
    }
    return text;
}

inline std::string random_bytes(size_t size, unsigned seed)
{
    std::mt19937 generator(seed);
    std::string data(size, '\0');
    for (auto& c : data) {
        c = static_cast<char>(generator() & 0xff);
    }
    return data;
}

// A manifest v2 for an image whose file is `data`.
inline nlohmann::json make_manifest(std::string const& uuid, std::string const& name,
    std::string const& data, std::string const& published_at = "2026-01-01T00:00:00Z")
{
    return nlohmann::json {
        { "v", 2 },
        { "uuid", uuid },
        { "owner", "00000000-0000-0000-0000-000000000000" },
        { "name", name },
        { "version", "1.0.0" },
        { "state", "active" },
        { "disabled", false },
        { "public", true },
        { "published_at", published_at },
        { "type", "zone-dataset" },
        { "os", "linux" },
        { "files",
            nlohmann::json::array({ { { "sha1", sha1_hex(data) }, { "size", data.size() },
                { "compression", "none" } } }) },
    };
}

// Writes "<stem>.imgmanifest" and, when data is given, "<stem>.tar" into dir.
inline void write_image(std::filesystem::path const& dir, std::string const& stem,
    nlohmann::json const& manifest, std::optional<std::string> const& data)
{
    std::ofstream(dir / (stem + ".imgmanifest")) << manifest.dump(2) << "\n";
    if (data) {
        std::ofstream(dir / (stem + ".tar"), std::ios::binary) << *data;
    }
}

class ImgapiServer {
public:
    explicit ImgapiServer(std::filesystem::path const& dir, std::vector<std::string> extra = {})
    {
        std::string port_file = (m_state.path() / "port").string();
        std::vector<std::string> argv { LUMOS_LUMOS_IMGAPI_BIN, "--dir", dir.string(), "--host",
            "127.0.0.1", "--port", "0", "--port-file", port_file };
        argv.insert(argv.end(), extra.begin(), extra.end());
        RunOptions options;
        options.timeout = std::chrono::milliseconds(120000);
        m_process.emplace(Process::spawn(argv, options));
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            std::ifstream in(port_file);
            if (in >> m_port && m_port > 0) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        throw std::runtime_error("lumos-imgapi did not write its port");
    }
    ImgapiServer(ImgapiServer const&) = delete;
    ImgapiServer& operator=(ImgapiServer const&) = delete;
    ~ImgapiServer()
    {
        if (m_process) {
            m_process->kill(SIGTERM);
            m_process->wait();
        }
    }

    int port() const { return m_port; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    pid_t pid() const { return m_process->pid(); }
    // SIGTERM and reap; the exit status.
    RunResult stop()
    {
        m_process->kill(SIGTERM);
        RunResult result = m_process->wait();
        m_process.reset();
        return result;
    }

private:
    TempRoot m_state;
    std::optional<Process> m_process;
    int m_port { 0 };
};

// A misbehaving HTTP server for failure tests: a python3 script on 127.0.0.1. The script's body
// runs after a prologue that binds `s` (listening, port 0), writes the port file and imports
// os, signal, socket and sys; its own arguments are sys.argv[2:]. Killed by PID (SIGKILL) and
// reaped on destruction.
class ScriptServer {
public:
    ScriptServer(std::string const& body, std::vector<std::string> const& args)
    {
        m_dir.write_file("server.py", R"PY(
import os, signal, socket, sys
port_file = sys.argv[1]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
with open(port_file + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(port_file + ".tmp", port_file)
)PY" + body);
        std::string port_file = (m_dir.path() / "port").string();
        std::vector<std::string> argv { "/usr/bin/python3", (m_dir.path() / "server.py").string(),
            port_file };
        argv.insert(argv.end(), args.begin(), args.end());
        m_process.emplace(Process::spawn(argv, {}));
        for (int i = 0; i < 500 && !std::filesystem::exists(port_file); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        std::ifstream(port_file) >> m_port;
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }

private:
    TempRoot m_dir;
    std::optional<Process> m_process;
    int m_port { 0 };
};

} // namespace lumos::test
