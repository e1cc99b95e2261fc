// SPDX-License-Identifier: MPL-2.0
#include "support/vmadm_common.hpp"

#include "base/paths.hpp"
#include "pools/pool.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace lumos::test {

json os_payload(const std::string& brand)
{
    json p = { { "brand", brand }, { "autoboot", false } };
    if (brand == "lx") {
        p["image_uuid"] = LX_IMAGE_UUID;
        p["kernel_version"] = "4.3.0";
    } else {
        p["image_uuid"] = IMAGE_UUID;
    }
    return p;
}

json hvm_payload(const std::string& brand)
{
    return { { "brand", brand }, { "autoboot", false } };
}

json payload_for(const std::string& brand)
{
    if (brand == "kvm" || brand == "bhyve") {
        return hvm_payload(brand);
    }
    return os_payload(brand);
}

bool is_lower_uuid(const std::string& text)
{
    static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
    return std::regex_match(text, re);
}

void VmadmTestBase::SetUp()
{
    m_root = std::make_unique<TempRoot>(temp_parent());
    std::filesystem::create_directories(vms_dir());
    std::filesystem::create_directories(root().path() / "zones");
    root().write_file("etc/lumos/config",
        "# test host config\n"
        "admin_nic=00:00:00:00:00:01\n"
        "external_nic=00:00:00:00:00:02\n"
        "etherstub=stub0,stub1\n"
        "cgroup_parent="
            + cgroup_parent() + "\n");
    install_image(IMAGE_UUID, "zone-dataset");
    install_image(LX_IMAGE_UUID, "lx-dataset");
    m_zones_after_setup = zones_entries();
    m_datasets_after_setup = pool_datasets();
}

std::string VmadmTestBase::cgroup_parent() const
{
    return "/lumos-test-" + root().path().filename().string();
}

std::vector<std::string> VmadmTestBase::zones_entries() const
{
    std::vector<std::string> names;
    const auto top = root().path() / "zones";
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(top, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        auto relative = it->path().lexically_relative(top).string();
        if (relative == ".lumos") {
            it.disable_recursion_pending();
            continue;
        }
        names.push_back(relative);
    }
    std::sort(names.begin(), names.end());
    return names;
}

::testing::AssertionResult VmadmTestBase::zones_as_set_up() const
{
    auto const entries = zones_entries();
    auto const datasets = pool_datasets();
    if (entries == m_zones_after_setup && datasets == m_datasets_after_setup) {
        return ::testing::AssertionSuccess();
    }
    auto failure = ::testing::AssertionFailure() << "the zones pool changed; now:";
    for (const auto& name : datasets) {
        failure << " " << name;
    }
    failure << "; files:";
    for (const auto& name : entries) {
        failure << " " << name;
    }
    return failure;
}

std::filesystem::path VmadmTestBase::vms_dir() const
{
    return root().path() / "etc/lumos/vms";
}

std::filesystem::path VmadmTestBase::config_path(const std::string& uuid) const
{
    return vms_dir() / (uuid + ".json");
}

std::vector<std::string> VmadmTestBase::config_files() const
{
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(vms_dir(), ec)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

RunResult VmadmTestBase::vmadm_stdin(
    const std::vector<std::string>& args, const std::string& input) const
{
    RunOptions options;
    options.stdin_mode = StdinMode::Bytes;
    options.stdin_bytes = input;
    return vmadm(args, options);
}

RunResult VmadmTestBase::vmadm_tty(const std::vector<std::string>& args) const
{
    RunOptions options;
    options.stdin_mode = StdinMode::Tty;
    options.timeout = std::chrono::milliseconds(10000);
    return vmadm(args, options);
}

std::string VmadmTestBase::write_payload(const std::string& text) const
{
    auto name = "payloads/p" + std::to_string(m_payload_counter++) + ".json";
    root().write_file(name, text);
    return (root().path() / name).string();
}

RunResult VmadmTestBase::create(const json& payload) const
{
    return vmadm_stdin({ "create" }, payload.dump());
}

std::string VmadmTestBase::create_ok(const json& payload) const
{
    auto r = create(payload);
    static const std::regex re("^Successfully created VM ([0-9a-f-]{36})\n$");
    std::smatch m;
    if (r.exit_code != 0 || !r.out.empty() || !std::regex_match(r.err, m, re)) {
        throw std::runtime_error("vmadm create " + payload.dump() + " failed: " + r.describe());
    }
    return m[1].str();
}

RunResult VmadmTestBase::update(const std::string& uuid, const json& payload) const
{
    return vmadm_stdin({ "update", uuid }, payload.dump());
}

void VmadmTestBase::update_ok(const std::string& uuid, const json& payload) const
{
    auto r = update(uuid, payload);
    if (r.exit_code != 0 || r.err != "Successfully updated VM " + uuid + "\n") {
        throw std::runtime_error("vmadm update " + payload.dump() + " failed: " + r.describe());
    }
}

json VmadmTestBase::get(const std::string& uuid) const
{
    auto r = vmadm({ "get", uuid });
    if (r.exit_code != 0) {
        throw std::runtime_error("vmadm get " + uuid + " failed: " + r.describe());
    }
    return json::parse(r.out);
}

std::vector<std::string> VmadmTestBase::list_uuids() const
{
    auto r = vmadm({ "list", "-H", "-p", "-o", "uuid" });
    if (r.exit_code != 0) {
        throw std::runtime_error("vmadm list failed: " + r.describe());
    }
    auto lines = split_lines(r.out);
    std::sort(lines.begin(), lines.end());
    return lines;
}

namespace {

std::unique_ptr<pools::Pool> open_pool(const TempRoot& root, const std::string& name)
{
    pools::PoolRegistry const pools { Paths(root.str()) };
    auto pool = pools.open(name);
    if (!pool) {
        throw std::runtime_error("cannot open pool " + name + ": " + pool.error().message());
    }
    return std::move(*pool);
}

void check(const Result<void>& result, const std::string& what)
{
    if (!result) {
        throw std::runtime_error(what + ": " + result.error().message());
    }
}

} // namespace

void VmadmTestBase::install_image(
    const std::string& uuid, const std::string& type, const std::string& os) const
{
    // An image is installed when its dataset and @final snapshot exist (with the manifest in
    // imgadm's cache), as ImageStore::install leaves it: a tiny root filesystem, or for zvol
    // images a 1 MiB raw disk.
    json manifest = { { "v", 2 }, { "uuid", uuid }, { "name", "base-minimal" },
        { "version", "1.0.0" }, { "type", type }, { "os", os } };
    auto pool = open_pool(root(), "zones");
    const std::string dataset = "zones/" + uuid;
    if (type == "zvol") {
        manifest["image_size"] = 1;
        check(pool->create_volume(dataset, 1 << 20, {}), "create volume " + dataset);
    } else {
        check(pool->create_filesystem(dataset, {}), "create " + dataset);
        const std::filesystem::path top = pool->path_of(dataset);
        std::filesystem::create_directories(top / "root/etc");
        std::filesystem::create_directories(top / "root/var");
        std::ofstream(top / "root/etc/motd") << "lumos test image " << uuid << "\n";
    }
    check(pool->snapshot(dataset + "@final"), "snapshot " + dataset + "@final");
    json const cached = { { "manifest", manifest }, { "zpool", "zones" } };
    root().write_file("var/imgadm/images/zones-" + uuid + ".json", cached.dump(2));
}

std::vector<std::string> VmadmTestBase::pool_datasets(const std::string& pool_name) const
{
    auto pool = open_pool(root(), pool_name);
    auto listed = pool->list();
    if (!listed) {
        throw std::runtime_error("cannot list pool " + pool_name + ": " + listed.error().message());
    }
    std::vector<std::string> names;
    for (const auto& info : *listed) {
        names.push_back(info.name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

::testing::AssertionResult succeeded_with_message(
    const RunResult& r, const std::string& stderr_line)
{
    if (r.exited() && r.exit_code == 0 && r.out.empty() && r.err == stderr_line + "\n") {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected exit 0, empty stdout, stderr \""
                                         << stderr_line << "\\n\"; got " << r.describe();
}

::testing::AssertionResult failed_with(const RunResult& r, const std::string& stderr_line)
{
    if (r.exited() && r.exit_code == 1 && r.out.empty() && r.err == stderr_line + "\n") {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected exit 1, empty stdout, stderr \""
                                         << stderr_line << "\\n\"; got " << r.describe();
}

::testing::AssertionResult failed_with_prefix(const RunResult& r, const std::string& prefix)
{
    if (r.exited() && r.exit_code == 1 && r.out.empty() && r.err.rfind(prefix, 0) == 0) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected exit 1, empty stdout, stderr starting with \""
                                         << prefix << "\"; got " << r.describe();
}

::testing::AssertionResult usage_error(const RunResult& r, const std::string& first_line)
{
    auto lines = split_lines(r.err);
    bool has_usage = r.err.find("Usage:") != std::string::npos;
    if (r.exited() && r.exit_code == 2 && r.out.empty() && !lines.empty() && lines[0] == first_line
        && has_usage) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "expected exit 2, empty stdout, stderr \"" << first_line
                                         << "\" followed by usage; got " << r.describe();
}

::testing::AssertionResult clean_failure(const RunResult& r)
{
    if (!r.timed_out && r.exited() && (r.exit_code == 1 || r.exit_code == 2) && !r.err.empty()) {
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
        << "expected a clean failure (exit 1 or 2 with a message); got " << r.describe();
}

} // namespace lumos::test
