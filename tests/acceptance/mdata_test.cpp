// SPDX-License-Identifier: MPL-2.0
// The mdata-* programs as they ship into guests: static (no interpreter, nothing to load from a
// guest that does not have the host's libraries), SmartOS's usage lines, and a real run against
// a host at a path a guest looks up (/var/run/smartdc/metadata.sock, in a mount namespace of its
// own so that nothing appears on the host).
#include "metadata/protocol.hpp"
#include "support/cli_runner.hpp"
#include "support/fake_metadata_host.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <elf.h>
#include <unistd.h>

namespace lumos::test {
namespace {

struct Program {
    std::string name;
    std::string path;
};

std::vector<Program> programs()
{
    return { { "mdata-get", LUMOS_MDATA_GET_BIN }, { "mdata-put", LUMOS_MDATA_PUT_BIN },
        { "mdata-list", LUMOS_MDATA_LIST_BIN }, { "mdata-delete", LUMOS_MDATA_DELETE_BIN } };
}

// The program header types of a 64-bit ELF file.
std::vector<std::uint32_t> segment_types(std::string const& path)
{
    std::ifstream file(path, std::ios::binary);
    Elf64_Ehdr header {};
    file.read(reinterpret_cast<char*>(&header), sizeof header);
    if (!file || std::string_view(reinterpret_cast<char const*>(&header.e_ident[0]), 4) != ELFMAG) {
        ADD_FAILURE() << path << " is not an ELF file";
        return {};
    }
    std::vector<std::uint32_t> types;
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment {};
        file.seekg(static_cast<std::streamoff>(header.e_phoff + i * header.e_phentsize));
        file.read(reinterpret_cast<char*>(&segment), sizeof segment);
        types.push_back(segment.p_type);
    }
    return types;
}

TEST(MdataPrograms, AreStaticExecutables)
{
    for (Program const& program : programs()) {
        std::vector<std::uint32_t> const types = segment_types(program.path);
        EXPECT_FALSE(types.empty()) << program.name;
        for (std::uint32_t const type : types) {
            EXPECT_NE(type, PT_INTERP) << program.name << " needs a dynamic loader";
            EXPECT_NE(type, PT_DYNAMIC) << program.name << " has dynamic sections";
        }
    }
}

TEST(MdataPrograms, PrintSmartOsUsageWithoutAKey)
{
    for (auto const& [path, usage] : std::vector<std::pair<std::string, std::string>> {
             { LUMOS_MDATA_GET_BIN, "Usage: mdata-get <keyname>\n" },
             { LUMOS_MDATA_PUT_BIN, "Usage: mdata-put <keyname> [ <value> ]\n" },
             { LUMOS_MDATA_DELETE_BIN, "Usage: mdata-delete <keyname>\n" } }) {
        RunResult const result = run({ path });
        EXPECT_EQ(result.exit_code, 3) << result.describe();
        EXPECT_EQ(result.out, "");
        EXPECT_EQ(result.err, usage);
    }
}

// The program in a mount namespace where the host's socket is /var/run/smartdc/metadata.sock.
RunResult run_in_guest_view(FakeMetadataHost const& host, std::vector<std::string> const& argv,
    RunOptions const& options = {})
{
    std::vector<std::string> command
        = { "/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
              "mount -t tmpfs lumos-mdata-test /var/run && mkdir /var/run/smartdc && "
              "mount --bind \"$0\" /var/run/smartdc && exec \"$@\"",
              host.dir() };
    command.insert(command.end(), argv.begin(), argv.end());
    return run(command, options);
}

TEST(MdataPrograms, TalkToAHostAtTheSmartDcSocket)
{
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root (a mount namespace of its own)";
    }
    std::optional<std::string> stored;
    FakeMetadataHost host({ FakeMetadataHost::v2_host(
        [&](std::string const& command, std::optional<std::string> const& argument) {
            if (command == "GET" && argument == "sdc:alias") {
                return std::make_pair(std::string("SUCCESS"), std::string("web-1"));
            }
            if (command == "KEYS") {
                return std::make_pair(std::string("SUCCESS"), std::string("user-script\nmotd"));
            }
            if (command == "PUT" && argument) {
                if (auto put = metadata::parse_put_argument(*argument)) {
                    stored = put->first + "=" + put->second;
                    return std::make_pair(std::string("SUCCESS"), std::string("OK"));
                }
            }
            return std::make_pair(std::string("NOTFOUND"), std::string());
        }) });
    RunResult result = run_in_guest_view(host, { LUMOS_MDATA_GET_BIN, "sdc:alias" });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "web-1\n");
    EXPECT_EQ(result.err, "");
    result = run_in_guest_view(host, { LUMOS_MDATA_LIST_BIN });
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(result.out, "user-script\nmotd\n");
    RunOptions piped;
    piped.stdin_mode = StdinMode::Bytes;
    piped.stdin_bytes = "hello\n";
    result = run_in_guest_view(host, { LUMOS_MDATA_PUT_BIN, "motd" }, piped);
    EXPECT_EQ(result.exit_code, 0) << result.describe();
    EXPECT_EQ(stored, "motd=hello\n");
    RunOptions terminal;
    terminal.stdin_mode = StdinMode::Tty;
    result = run_in_guest_view(host, { LUMOS_MDATA_PUT_BIN, "motd" }, terminal);
    EXPECT_EQ(result.exit_code, 2) << result.describe();
    EXPECT_EQ(result.err,
        "ERROR: either specify the metadata value as the second command-line argument, or pipe "
        "content to stdin.\n");
    result = run_in_guest_view(host, { LUMOS_MDATA_DELETE_BIN, "nope" });
    EXPECT_EQ(result.exit_code, 1) << result.describe();
    EXPECT_EQ(result.err, "No metadata for 'nope'\n");
}

} // namespace
} // namespace lumos::test
