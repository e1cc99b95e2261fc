// SPDX-License-Identifier: MPL-2.0
// The tests' one temporary directory: made with mkdtemp, removed with everything in it.
#pragma once

#include <filesystem>
#include <string>

namespace lumos::test {

// A fresh directory `<parent>/lumos-acceptance-XXXXXX` (/tmp by default; tools/leak-check.sh
// reports any left behind), removed recursively on destruction. Read-only btrfs subvolumes
// inside it (snapshots of a pool made there) are made writable so that they can go. A directory
// that still has something mounted at or below it is left in place, with a line on stderr: a
// test that failed to unmount its pool must not have the pool's content deleted through the
// mount, and the leak check then names what it left.
class TempRoot {
public:
    explicit TempRoot(const std::filesystem::path& parent = "/tmp");
    TempRoot(const TempRoot&) = delete;
    TempRoot& operator=(const TempRoot&) = delete;
    ~TempRoot();

    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
    [[nodiscard]] std::string str() const { return m_path.string(); }
    // Writes `content` to path()/relative, creating parent directories.
    void write_file(const std::filesystem::path& relative, const std::string& content) const;

private:
    std::filesystem::path m_path;
};

// Removes `path` and everything below it as ~TempRoot does; false (and a line on stderr) when
// something is mounted there or it could not all be removed.
bool remove_temp_tree(const std::filesystem::path& path);

} // namespace lumos::test
