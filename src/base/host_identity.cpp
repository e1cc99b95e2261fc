// SPDX-License-Identifier: MPL-2.0
#include "base/host_identity.hpp"

#include "base/file.hpp"
#include "base/strings.hpp"
#include "base/uuid.hpp"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#ifndef LUMOS_BUILDSTAMP
#    define LUMOS_BUILDSTAMP "00000000T000000Z"
#endif

namespace lumos {

namespace {

constexpr size_t MAX_ID_FILE = 4096;

std::string recorded_uuid_file(Paths const& paths)
{
    return paths.etc_dir() + "/server_uuid";
}

// Firmware that leaves the SMBIOS UUID unset reports one of these; every such machine would
// share it.
bool is_placeholder(std::string const& uuid)
{
    return uuid == "00000000-0000-0000-0000-000000000000"
        || uuid == "ffffffff-ffff-ffff-ffff-ffffffffffff"
        || uuid == "03000200-0400-0500-0006-000700080009";
}

std::string smbios_uuid(std::string const& file)
{
    auto text = read_file_bounded(file, MAX_ID_FILE);
    if (!text) {
        return {};
    }
    std::string uuid = to_lower(trim(*text));
    return is_uuid(uuid) && !is_placeholder(uuid) ? uuid : std::string();
}

std::string machine_id_uuid(std::string const& file)
{
    auto text = read_file_bounded(file, MAX_ID_FILE);
    if (!text) {
        return {};
    }
    std::string const id = to_lower(trim(*text));
    if (id.size() != 32 || id.find_first_not_of("0123456789abcdef") != std::string::npos
        || id == std::string(32, '0')) {
        return {};
    }
    return id.substr(0, 8) + "-" + id.substr(8, 4) + "-" + id.substr(12, 4) + "-" + id.substr(16, 4)
        + "-" + id.substr(20, 12);
}

std::string recorded_uuid(Paths const& paths)
{
    auto text = read_file_bounded(recorded_uuid_file(paths), MAX_ID_FILE);
    if (!text) {
        return {};
    }
    std::string uuid(trim(*text));
    return is_uuid(uuid) ? uuid : std::string();
}

// Records uuid unless another process recorded one first (link() never replaces), and returns
// the recorded value.
Result<std::string> record_uuid(Paths const& paths, std::string const& uuid)
{
    std::string const target = recorded_uuid_file(paths);
    TRY(make_directories(paths.etc_dir()));
    bool const invalid_present = ::access(target.c_str(), F_OK) == 0;
    if (invalid_present) {
        if (std::string winner = recorded_uuid(paths); !winner.empty()) {
            return winner; // recorded meanwhile by another process
        }
        // An unreadable or malformed record: replace it, as SmartOS drops an invalid one.
        TRY(write_file_atomic(target, uuid + "\n"));
        return uuid;
    }
    std::string const temp = target + ".new." + std::to_string(::getpid());
    TRY(write_file_atomic(temp, uuid + "\n"));
    int const rc = ::link(temp.c_str(), target.c_str());
    int const saved = errno;
    ::unlink(temp.c_str());
    if (rc != 0 && saved != EEXIST) {
        return tl::unexpected(Error::from_errno("recording the server uuid in " + target, saved));
    }
    if (rc != 0) {
        if (std::string winner = recorded_uuid(paths); !winner.empty()) {
            return winner;
        }
    }
    return uuid;
}

} // namespace

Result<std::string> server_uuid(Paths const& paths, HostIdentitySources const& sources)
{
    if (std::string recorded = recorded_uuid(paths); !recorded.empty()) {
        return recorded;
    }
    std::string derived = smbios_uuid(sources.product_uuid_file);
    if (derived.empty()) {
        derived = machine_id_uuid(sources.machine_id_file);
    }
    bool const deterministic = !derived.empty();
    if (!deterministic) {
        derived = generate_uuid();
    }
    auto recorded = record_uuid(paths, derived);
    if (!recorded && deterministic) {
        // Not root (or a read-only root): the same derivation gives the same value next time.
        return derived;
    }
    return recorded;
}

std::string platform_buildstamp()
{
    return LUMOS_BUILDSTAMP;
}

} // namespace lumos
