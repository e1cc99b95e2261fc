// SPDX-License-Identifier: MPL-2.0
// Changes to the host config ($LUMOS_ROOT/etc/lumos/config) as nictagadm makes them in SmartOS's
// /usbkey/config: "<tag>_nic=<mac>", "<tag>_mtu=<n>" and the "etherstub=a,b" list. Every other
// line and comment is kept. The text edits are pure; HostConfigEdit holds the lock and writes.
#pragma once

#include "base/file_lock.hpp"
#include "base/paths.hpp"
#include "base/result.hpp"

#include <string>
#include <string_view>

namespace lumos {

// key=value in place of the first line whose key is key (keys compared as HostConfig reads
// them: blanks around them ignored, comment lines never), the other such lines dropped; a new
// last line when there is none.
std::string config_with_key(std::string_view text, std::string_view key, std::string_view value);
// text without the lines whose key is key.
std::string config_without_key(std::string_view text, std::string_view key);
// name appended to the last "etherstub=" line's list (inside its quotes if it has them), or a
// new "etherstub=<name>" line.
std::string config_with_etherstub(std::string_view text, std::string_view name);
// name removed from the last "etherstub=" line's list; the line goes when the list is empty.
std::string config_without_etherstub(std::string_view text, std::string_view name);

// One read-modify-write of the host config: begin() takes the config's lock (etc/lumos/
// config.lock, so that two nictagadm runs do not both add a tag), removes the temp files of
// writers killed mid-write, and reads the file (a missing one is ""); commit() replaces it by temp
// file + fsync + rename, with the old file's mode, so a killed writer leaves the old file or the
// new one. The lock is released on destruction.
class HostConfigEdit {
public:
    static Result<HostConfigEdit> begin(Paths const& paths);

    std::string const& text() const { return m_text; }
    Result<void> commit(std::string const& text);

private:
    HostConfigEdit(FileLock lock, std::string path, std::string text, int mode)
        : m_lock(std::move(lock))
        , m_path(std::move(path))
        , m_text(std::move(text))
        , m_mode(mode)
    {
    }

    FileLock m_lock;
    std::string m_path;
    std::string m_text;
    int m_mode;
};

} // namespace lumos
