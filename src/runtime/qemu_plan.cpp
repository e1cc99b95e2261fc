// SPDX-License-Identifier: MPL-2.0
#include "runtime/qemu_plan.hpp"

#include "base/strings.hpp"
#include "base/uuid.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

namespace lumos::runtime {

namespace {

// sun_path holds 108 bytes, its NUL included: QEMU refuses a longer socket path at start.
constexpr size_t MAX_SOCKET_PATH = 107;
// QEMU 7.2's pc machine (i440fx) takes at most 255 CPUs.
constexpr int64_t MAX_VCPUS = 255;
// VM.js's defaults for every virtio NIC of a kvm VM.
constexpr int64_t VIRTIO_TXTIMER_DEFAULT = 200000;
constexpr int64_t VIRTIO_TXBURST_DEFAULT = 128;
// Where old QEMU put -drive if=ide,index=N and if=scsi,index=N: two units on each of the two
// IDE buses of the PIIX3, seven targets on each SCSI controller.
constexpr size_t IDE_UNITS = 2;
constexpr size_t IDE_BUSES = 2;
constexpr size_t SCSI_UNITS = 7;
// bhyve's boot program: cdroms in PCI slot 3, the boot disk in 4, other disks in 5, NICs in 6
// (the primary first), the framebuffer and its xhci tablet in 30.
constexpr int64_t SLOT_CD = 3;
constexpr int64_t SLOT_BOOT_DISK = 4;
constexpr int64_t SLOT_OTHER_DISKS = 5;
constexpr int64_t SLOT_NICS = 6;
constexpr int64_t SLOT_FBUF = 30;
constexpr int64_t PCI_SLOTS = 32;
constexpr int64_t PCI_FUNCTIONS = 8;

constexpr std::array KVM_DISK_MODELS { "virtio", "scsi", "ide" };
constexpr std::array BHYVE_DISK_MODELS { "virtio", "ahci", "nvme" };

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// QEMU's option syntax: a comma inside a value is written twice.
std::string option_value(std::string_view value)
{
    std::string escaped;
    escaped.reserve(value.size());
    for (char const c : value) {
        escaped += c;
        if (c == ',') {
            escaped += ',';
        }
    }
    return escaped;
}

std::string hex(int64_t value)
{
    constexpr std::string_view DIGITS = "0123456789abcdef";
    std::string text;
    do {
        text.insert(text.begin(), DIGITS[static_cast<size_t>(value % 16)]);
        value /= 16;
    } while (value > 0);
    return text;
}

bool is_mac(std::string_view mac)
{
    constexpr size_t LENGTH = 17; // xx:xx:xx:xx:xx:xx
    if (mac.size() != LENGTH) {
        return false;
    }
    for (size_t i = 0; i < mac.size(); ++i) {
        bool const ok = i % 3 == 2
            ? mac[i] == ':'
            : std::string_view("0123456789abcdefABCDEF").find(mac[i]) != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

Error invalid(std::string message)
{
    return Error(ErrorCode::InvalidArgument, std::move(message));
}

// A whole number property of the VM within [min, max]; fallback when it is absent.
Result<int64_t> whole_number(
    Json const& vm, char const* key, std::optional<int64_t> fallback, int64_t min, int64_t max)
{
    Json const* member = json_member(vm, key);
    if (member == nullptr || member->is_null()) {
        if (!fallback) {
            return tl::unexpected(invalid(std::string(key) + " is missing"));
        }
        return *fallback;
    }
    // int_or gives its fallback for anything but a whole number: two fallbacks tell which.
    int64_t const value = int_or(vm, key, 0);
    if (value != int_or(vm, key, 1) || value < min || value > max) {
        return tl::unexpected(invalid(std::string(key) + " " + js_string(*member)
            + " is not a whole number from " + std::to_string(min) + " to " + std::to_string(max)));
    }
    return value;
}

// Whether a string property is set to a truthy value (VM.js tests `if (vmobj.qemu_opts)`).
bool is_set(Json const& vm, char const* key)
{
    Json const* member = json_member(vm, key);
    return member != nullptr && js_truthy(*member);
}

struct PciAddress {
    int64_t slot { 0 };
    int64_t function { 0 };
};

// One -drive and its device.
struct Drive {
    std::string what; // for messages: "disks.0", "cdrom /centos.iso"
    std::string file; // host path
    std::string model;
    bool cdrom { false };
    bool boot { false };
    bool notrim { false }; // bhyve
    std::string block_size; // bhyve guest_block_size: "<logical>[/<physical>]", "" for none
    std::optional<PciAddress> address; // bhyve
};

struct Nic {
    std::string what;
    std::string mac;
    std::string model;
    std::string tap;
    bool primary { false };
    std::optional<PciAddress> address; // bhyve
};

// Which device is in each PCI slot and function (bhyve's fixed layout).
using PciMap = std::map<int64_t, std::map<int64_t, std::string>>;

Result<void> claim(PciMap& map, PciAddress address, std::string const& what)
{
    auto& functions = map[address.slot];
    if (auto const it = functions.find(address.function); it != functions.end()) {
        return tl::unexpected(invalid(what + " and " + it->second + " are both in PCI slot "
            + std::to_string(address.slot) + " function " + std::to_string(address.function)));
    }
    functions[address.function] = what;
    return {};
}

Result<PciAddress> next_free(PciMap& map, int64_t slot, std::string const& what)
{
    auto& functions = map[slot];
    for (int64_t function = 0; function < PCI_FUNCTIONS; ++function) {
        if (!functions.contains(function)) {
            functions[function] = what;
            return PciAddress { slot, function };
        }
    }
    return tl::unexpected(invalid(what + ": PCI slot " + std::to_string(slot)
        + " has no free function left (it has " + std::to_string(PCI_FUNCTIONS) + ")"));
}

// ",addr=<slot>.<function>", with multifunction=on on function 0 of a slot that has others.
std::string pci_placement(PciMap const& map, std::optional<PciAddress> address)
{
    if (!address) {
        return {};
    }
    std::string placement = ",addr=" + hex(address->slot) + "." + std::to_string(address->function);
    auto const it = map.find(address->slot);
    if (address->function == 0 && it != map.end() && it->second.size() > 1) {
        placement += ",multifunction=on";
    }
    return placement;
}

// A disk's pci_slot, as bhyve's boot program reads it: "bus:slot:function", "slot:function" or
// "slot". QEMU's pc machine has one PCI bus, its host bridge in slot 0 and PIIX3 in slot 1.
Result<PciAddress> parse_pci_slot(std::string const& text, std::string const& what)
{
    auto const error = invalid(what + ".pci_slot \"" + text + "\" is not a PCI slot QEMU can use");
    auto const parts = split(text, ':');
    std::vector<int64_t> numbers;
    for (auto const& part : parts) {
        auto const number = parse_integer(part);
        if (!number || *number < 0 || *number > 255 || part.empty() || !is_digit(part.front())) {
            return tl::unexpected(error);
        }
        numbers.push_back(*number);
    }
    if (numbers.empty() || numbers.size() > 3 || (numbers.size() == 3 && numbers[0] != 0)) {
        return tl::unexpected(error);
    }
    PciAddress address;
    address.slot = numbers[numbers.size() == 3 ? 1 : 0];
    address.function = numbers.size() == 1 ? 0 : numbers.back();
    if (address.slot < 2 || address.slot >= PCI_SLOTS || address.function >= PCI_FUNCTIONS) {
        return tl::unexpected(error);
    }
    return address;
}

// Whether the firmware's own boot order (-boot) tries the hard disk first on this boot: then a
// bootindex on the boot disk only picks which disk, otherwise it would outrank order=d or
// once=d (SeaBIOS puts bootindex'd devices before every device -boot orders).
bool disk_boots_first(std::string const& boot)
{
    std::string order = "c"; // QEMU's default order, "cad"
    bool first = true;
    for (auto const& item : split(boot, ',')) {
        size_t const equals = item.find('=');
        std::string const key
            = equals == std::string::npos ? (first ? "order" : item) : item.substr(0, equals);
        std::string const value = equals == std::string::npos ? item : item.substr(equals + 1);
        if (key == "once") {
            return false;
        }
        if (key == "order") {
            order = value;
        }
        first = false;
    }
    return order.empty() || order.front() == 'c';
}

template <size_t N>
bool is_one_of(std::string const& value, std::array<char const*, N> const& list)
{
    return std::find(list.begin(), list.end(), value) != list.end();
}

template <size_t N>
std::string joined(std::array<char const*, N> const& list)
{
    std::string text;
    for (auto const* item : list) {
        text += (text.empty() ? "" : ",") + std::string(item);
    }
    return text;
}

struct Brand {
    bool bhyve { false };
    std::string name;

    bool valid_disk_model(std::string const& model) const
    {
        return bhyve ? is_one_of(model, BHYVE_DISK_MODELS) : is_one_of(model, KVM_DISK_MODELS);
    }
    // VM.js's words (startVM, and normalizeDisks for a VM's own disks).
    Error bad_disk_model(std::string const& model) const
    {
        return invalid("\"" + model + "\" is not a valid disk model for " + name
            + " brand. Valid are: "
            + (bhyve ? joined(BHYVE_DISK_MODELS) : joined(KVM_DISK_MODELS)));
    }
};

Result<std::vector<Drive>> vm_drives(Json const& vm, Brand const& brand, QemuHost const& host)
{
    std::vector<Drive> drives;
    Json const* disks = json_member(vm, "disks");
    size_t const count = disks != nullptr && disks->is_array() ? disks->size() : 0;
    if (disks != nullptr && !disks->is_null() && !disks->is_array()) {
        return tl::unexpected(invalid("disks is not an array"));
    }
    if (host.disk_files.size() != count) {
        return make_error(ErrorCode::Internal,
            std::to_string(host.disk_files.size()) + " disk files for " + std::to_string(count)
                + " disks");
    }
    for (size_t i = 0; i < count; ++i) {
        Json const& disk = (*disks)[i];
        Drive drive;
        drive.what = "disks." + std::to_string(i);
        if (!disk.is_object()) {
            return tl::unexpected(invalid(drive.what + " is not an object"));
        }
        drive.file = host.disk_files[i];
        if (drive.file.empty() || drive.file.find('\0') != std::string::npos) {
            return make_error(ErrorCode::Internal, "no host file for " + drive.what);
        }
        drive.model = string_or(disk, "model");
        if (drive.model.empty()) {
            return tl::unexpected(invalid(drive.what + " has no model"));
        }
        if (!brand.valid_disk_model(drive.model)) {
            return tl::unexpected(brand.bad_disk_model(drive.model));
        }
        std::string const media = string_or(disk, "media", "disk");
        if (media != "disk" && media != "cdrom") {
            return tl::unexpected(
                invalid(drive.what + ".media \"" + media + "\" is neither disk nor cdrom"));
        }
        drive.cdrom = media == "cdrom";
        drive.boot = bool_or(disk, "boot", false);
        if (brand.bhyve) {
            drive.notrim = bool_or(disk, "notrim", false);
            Json const* block_size = json_member(disk, "guest_block_size");
            drive.block_size = block_size == nullptr ? "" : js_string(*block_size);
            if (drive.block_size == "0") {
                drive.block_size.clear(); // the volume's own
            }
            auto const sizes = split(drive.block_size, '/');
            bool const sizes_ok = drive.block_size.empty()
                || (sizes.size() <= 2
                    && std::all_of(sizes.begin(), sizes.end(), [](auto const& size) {
                           auto const number = parse_integer(size);
                           return number && *number >= 512 && *number <= 32768
                               && (*number & (*number - 1)) == 0;
                       }));
            if (!sizes_ok) {
                return tl::unexpected(invalid(drive.what + ".guest_block_size \"" + drive.block_size
                    + "\" is not <logical>[/<physical>] in powers of two from 512 to 32768"));
            }
            if (Json const* slot = json_member(disk, "pci_slot"); slot != nullptr) {
                TRY_ASSIGN(address, parse_pci_slot(js_string(*slot), drive.what));
                drive.address = address;
            }
        }
        drives.push_back(std::move(drive));
    }
    return drives;
}

// Start disks, after the VM's own, as VM.js startVM takes them: one of the VM's disks by its
// path, else a file in the zone root, then the brand's model check.
Result<void> add_start_drives(std::vector<Drive>& drives, Json const& vm, Brand const& brand,
    StartOptions const& options, QemuHost const& host)
{
    Json const* disks = json_member(vm, "disks");
    for (auto const& start : options.disks) {
        Drive drive;
        drive.what = start.media + " " + start.path;
        if (disks != nullptr && disks->is_array()) {
            for (size_t i = 0; i < disks->size() && drive.file.empty(); ++i) {
                if ((*disks)[i].is_object() && string_or((*disks)[i], "path") == start.path) {
                    drive.file = host.disk_files[i]; // as many as disks: vm_drives checked
                }
            }
        }
        if (drive.file.empty()) {
            TRY_ASSIGN(file, zone_root_path(host.zonepath, start.path));
            if (!host.file_exists) {
                return make_error(ErrorCode::Internal, "no file_exists check for start disks");
            }
            if (!host.file_exists(file)) {
                return make_error(ErrorCode::NotFound, "Cannot find disk: " + start.path);
            }
            drive.file = std::move(file);
        }
        if (!brand.valid_disk_model(start.model)) {
            return tl::unexpected(brand.bad_disk_model(start.model));
        }
        drive.model = start.model;
        drive.cdrom = start.media == "cdrom";
        drives.push_back(std::move(drive));
    }
    return {};
}

Result<std::vector<Nic>> vm_nics(Json const& vm, Brand const& brand, QemuHost const& host)
{
    std::vector<Nic> nics;
    Json const* list = json_member(vm, "nics");
    size_t const count = list != nullptr && list->is_array() ? list->size() : 0;
    if (list != nullptr && !list->is_null() && !list->is_array()) {
        return tl::unexpected(invalid("nics is not an array"));
    }
    if (host.taps.size() != count) {
        return make_error(ErrorCode::Internal,
            std::to_string(host.taps.size()) + " taps for " + std::to_string(count) + " NICs");
    }
    for (size_t i = 0; i < count; ++i) {
        Json const& entry = (*list)[i];
        Nic nic;
        nic.what = "nics." + std::to_string(i);
        if (!entry.is_object()) {
            return tl::unexpected(invalid(nic.what + " is not an object"));
        }
        nic.tap = host.taps[i];
        if (nic.tap.empty() || nic.tap.find('\0') != std::string::npos) {
            return make_error(ErrorCode::Internal, "no tap for " + nic.what);
        }
        nic.mac = string_or(entry, "mac");
        if (nic.mac.empty()) {
            return tl::unexpected(invalid(nic.what + " has no mac"));
        }
        if (!is_mac(nic.mac)) {
            return tl::unexpected(
                invalid(nic.what + ".mac \"" + nic.mac + "\" is not a MAC address"));
        }
        nic.primary = bool_or(entry, "primary", false);
        // bhyve's NICs are virtio (viona) whatever their model says.
        std::string const model = brand.bhyve ? "virtio" : string_or(entry, "model");
        if (model == "virtio") {
            nic.model = "virtio-net-pci";
        } else if (model == "e1000" || model == "rtl8139") {
            nic.model = model;
        } else {
            return tl::unexpected(invalid(nic.what + ".model \"" + model
                + "\" is not a NIC QEMU emulates here (virtio, e1000, rtl8139)"));
        }
        nics.push_back(std::move(nic));
    }
    return nics;
}

// bhyve's fixed PCI layout, as its boot program assigns it.
Result<PciMap> place_bhyve_devices(
    std::vector<Drive>& drives, std::vector<Nic>& nics, bool framebuffer)
{
    PciMap map;
    for (auto const& drive : drives) {
        if (drive.address) {
            TRY(claim(map, *drive.address, drive.what));
        }
    }
    if (framebuffer) {
        TRY(claim(map, PciAddress { SLOT_FBUF, 0 }, "the framebuffer"));
        TRY(claim(map, PciAddress { SLOT_FBUF, 1 }, "the tablet's xhci"));
    }
    for (auto& drive : drives) {
        if (drive.address) {
            continue;
        }
        if (drive.boot && !map[SLOT_BOOT_DISK].contains(0)) {
            drive.address = PciAddress { SLOT_BOOT_DISK, 0 };
            TRY(claim(map, *drive.address, drive.what));
            continue;
        }
        TRY_ASSIGN(address, next_free(map, drive.cdrom ? SLOT_CD : SLOT_OTHER_DISKS, drive.what));
        drive.address = address;
    }
    Nic const* primary = nullptr;
    for (auto& nic : nics) {
        if (nic.primary) {
            if (primary != nullptr) {
                return tl::unexpected(
                    invalid("multiple primary nets: " + primary->what + " " + nic.what));
            }
            primary = &nic;
            nic.address = PciAddress { SLOT_NICS, 0 };
            TRY(claim(map, *nic.address, nic.what));
        }
    }
    if (!nics.empty() && primary == nullptr) {
        return tl::unexpected(invalid("no primary net has been specified"));
    }
    for (auto& nic : nics) {
        if (!nic.address) {
            TRY_ASSIGN(address, next_free(map, SLOT_NICS, nic.what));
            nic.address = address;
        }
    }
    return map;
}

class CommandLine {
public:
    explicit CommandLine(std::string program) { m_argv.push_back(std::move(program)); }

    void add(std::string option) { m_argv.push_back(std::move(option)); }
    void add(std::string option, std::string value)
    {
        m_argv.push_back(std::move(option));
        m_argv.push_back(std::move(value));
    }
    void append(std::vector<std::string> const& words)
    {
        m_argv.insert(m_argv.end(), words.begin(), words.end());
    }
    std::vector<std::string> take() { return std::move(m_argv); }

private:
    std::vector<std::string> m_argv;
};

Result<void> add_drives(CommandLine& line, std::vector<Drive> const& drives, Brand const& brand,
    PciMap const& pci, bool use_bootindex)
{
    size_t scsi_controllers = 0;
    int64_t bootindex = 0;
    for (size_t index = 0; index < drives.size(); ++index) {
        Drive const& drive = drives[index];
        std::string const id = "disk" + std::to_string(index);
        std::string options
            = "file=" + option_value(drive.file) + ",if=none,id=" + id + ",format=raw,cache=none";
        if (drive.cdrom) {
            options += ",media=cdrom,readonly=on";
        }
        // bhyve's block devices pass the guest's TRIM through unless notrim (on virtio) says not.
        if (brand.bhyve) {
            options
                += drive.notrim && drive.model == "virtio" ? ",discard=ignore" : ",discard=unmap";
        }
        line.add("-drive", options);
        std::string const boot
            = drive.boot && use_bootindex ? ",bootindex=" + std::to_string(bootindex++) : "";
        std::string const placement = pci_placement(pci, drive.address);
        if (drive.model == "virtio") {
            std::string device = "virtio-blk-pci,drive=" + id + placement;
            if (drive.notrim) {
                device += ",discard=off";
            }
            if (!drive.block_size.empty()) {
                auto const sizes = split(drive.block_size, '/');
                device += ",logical_block_size=" + sizes.front()
                    + ",physical_block_size=" + sizes.back();
            }
            line.add("-device", device + boot);
        } else if (drive.model == "ide") {
            if (index >= IDE_UNITS * IDE_BUSES) {
                return tl::unexpected(invalid(drive.what + ": an ide disk at index "
                    + std::to_string(index) + " is past the PIIX3's two IDE buses (indexes 0 to "
                    + std::to_string(IDE_UNITS * IDE_BUSES - 1) + ")"));
            }
            line.add("-device",
                std::string(drive.cdrom ? "ide-cd" : "ide-hd") + ",drive=" + id + ",bus=ide."
                    + std::to_string(index / IDE_UNITS)
                    + ",unit=" + std::to_string(index % IDE_UNITS) + boot);
        } else if (drive.model == "scsi") {
            size_t const controller = index / SCSI_UNITS;
            for (; scsi_controllers <= controller; ++scsi_controllers) {
                line.add("-device", "lsi53c895a,id=scsi" + std::to_string(scsi_controllers));
            }
            line.add("-device",
                std::string(drive.cdrom ? "scsi-cd" : "scsi-hd") + ",drive=" + id + ",bus=scsi"
                    + std::to_string(controller)
                    + ".0,scsi-id=" + std::to_string(index % SCSI_UNITS) + boot);
        } else if (drive.model == "ahci") {
            std::string const controller = "ahci" + std::to_string(index);
            line.add("-device", "ahci,id=" + controller + placement);
            line.add("-device",
                std::string(drive.cdrom ? "ide-cd" : "ide-hd") + ",drive=" + id
                    + ",bus=" + controller + ".0" + boot);
        } else { // nvme (bhyve only, so placed): bhyve's default serial, NVME-<slot>-<function>
            PciAddress const address = drive.address.value_or(PciAddress {});
            line.add("-device",
                "nvme,drive=" + id + ",serial=NVME-" + std::to_string(address.slot) + "-"
                    + std::to_string(address.function) + placement + boot);
        }
    }
    return {};
}

Result<void> check_socket(std::string const& path)
{
    if (path.size() > MAX_SOCKET_PATH) {
        return tl::unexpected(invalid("socket path " + path + " is longer than the "
            + std::to_string(MAX_SOCKET_PATH) + " bytes a unix socket's path can have"));
    }
    return {};
}

Result<std::vector<std::string>> words_of(Json const& vm, char const* key)
{
    Json const* member = json_member(vm, key);
    auto words = split_shell_words(member != nullptr ? js_string(*member) : "");
    if (!words) {
        return tl::unexpected(invalid(std::string(key) + ": " + words.error().message()));
    }
    return words;
}

// What the VM object says beyond its disks and NICs, read and checked once.
struct Machine {
    Brand brand;
    std::string uuid;
    int64_t ram { 0 };
    int64_t vcpus { 1 };
    std::string bootrom; // bhyve: "bios" or "uefi"
    std::string boot; // -boot
    bool defaults { true }; // kvm: no qemu_opts, so SmartOS's default set
    int64_t txtimer { VIRTIO_TXTIMER_DEFAULT };
    int64_t txburst { VIRTIO_TXBURST_DEFAULT };
};

Result<Machine> machine_of(Json const& vm, StartOptions const& options, QemuHost const& host)
{
    Machine machine;
    machine.brand.name = string_or(vm, "brand");
    if (machine.brand.name != "kvm" && machine.brand.name != "bhyve") {
        return tl::unexpected(
            invalid("Cannot build a QEMU command line for brand \"" + machine.brand.name + "\""));
    }
    machine.brand.bhyve = machine.brand.name == "bhyve";
    machine.uuid = string_or(vm, "uuid");
    if (!is_uuid(machine.uuid)) {
        return tl::unexpected(invalid("uuid \"" + machine.uuid + "\" is not a UUID"));
    }
    if (host.zonepath.empty() || host.zonepath.front() != '/') {
        return make_error(
            ErrorCode::Internal, "zonepath \"" + host.zonepath + "\" is not absolute");
    }
    TRY_ASSIGN(ram, whole_number(vm, "ram", std::nullopt, 1, std::numeric_limits<int64_t>::max()));
    TRY_ASSIGN(vcpus, whole_number(vm, "vcpus", 1, 1, MAX_VCPUS));
    machine.ram = ram;
    machine.vcpus = vcpus;
    if (machine.brand.bhyve) {
        Json const* devices = json_member(vm, "pci_devices");
        if (devices != nullptr && devices->is_array() && !devices->empty()) {
            return make_error(ErrorCode::Unsupported,
                "pci_devices cannot be used: PCI passthrough (bhyve's passthru) is not available "
                "to QEMU guests here");
        }
        if (!string_or(vm, "bhyve_extra_opts").empty()) {
            return make_error(ErrorCode::Unsupported,
                "bhyve_extra_opts cannot be used: bhyve's options have no QEMU equivalent");
        }
    } else {
        machine.defaults = !is_set(vm, "qemu_opts");
        TRY_ASSIGN(txtimer,
            whole_number(vm, "virtio_txtimer", VIRTIO_TXTIMER_DEFAULT, 0,
                std::numeric_limits<uint32_t>::max()));
        TRY_ASSIGN(txburst,
            whole_number(vm, "virtio_txburst", VIRTIO_TXBURST_DEFAULT, 0,
                std::numeric_limits<int32_t>::max()));
        machine.txtimer = txtimer;
        machine.txburst = txburst;
    }
    machine.bootrom = machine.brand.bhyve ? string_or(vm, "bootrom", "bios") : "bios";
    if (machine.bootrom != "bios" && machine.bootrom != "uefi") {
        return make_error(ErrorCode::Unsupported,
            "bootrom \"" + machine.bootrom
                + "\" cannot be used: a bootrom binary is bhyve's; QEMU boots \"bios\" or "
                  "\"uefi\"");
    }
    if (machine.bootrom == "uefi" && (host.ovmf_code.empty() || host.ovmf_vars.empty())) {
        return make_error(ErrorCode::Unsupported,
            "bootrom \"uefi\" needs OVMF, which this host lacks (Debian package ovmf)");
    }
    // This boot's order (vmadm start order=...), else the VM's, else VM.js's default.
    machine.boot = "order=cd";
    if (!options.boot.empty()) {
        machine.boot = options.boot;
    } else if (Json const* boot = json_member(vm, "boot"); boot != nullptr) {
        machine.boot = js_string(*boot);
    }
    return machine;
}

// Where the guest's sockets and files are, checked to fit a unix socket's path.
Result<void> place_files(
    QemuPlan& plan, Json const& vm, Machine const& machine, QemuHost const& host)
{
    std::string const tmp = host.zonepath + "/root/tmp";
    plan.qmp = tmp + "/vm.qmp";
    plan.console = tmp + "/vm.console";
    plan.ttyb = tmp + "/vm.ttyb";
    plan.pidfile = tmp + "/vm.pid";
    // kvm: VNC and SPICE belong to SmartOS's default set, which qemu_opts replaces (vnc_port -1
    // only turns off vmadmd's TCP proxy); bhyve: a framebuffer unless vnc_port is -1.
    bool const vnc = machine.brand.bhyve ? int_or(vm, "vnc_port", 0) != -1 : machine.defaults;
    if (vnc) {
        plan.vnc = tmp + "/vm.vnc";
        plan.vnc_password = string_or(vm, "vnc_password");
    }
    bool const spice = !machine.brand.bhyve && machine.defaults
        && json_member(vm, "spice_port") != nullptr && int_or(vm, "spice_port", 0) != -1;
    if (spice) {
        plan.spice = tmp + "/vm.spice";
        plan.spice_password = string_or(vm, "spice_password");
    }
    for (auto const& socket :
        { plan.qmp, plan.console, plan.ttyb, plan.vnc, plan.spice, host.monitor_qmp }) {
        TRY(check_socket(socket));
    }
    return {};
}

void add_nics(
    CommandLine& line, std::vector<Nic> const& nics, Machine const& machine, PciMap const& pci)
{
    for (size_t i = 0; i < nics.size(); ++i) {
        Nic const& nic = nics[i];
        std::string const id = "net" + std::to_string(i);
        // vhost=off: the guest's packets pass through QEMU, not a kernel thread of the host's.
        line.add("-netdev",
            "tap,id=" + id + ",ifname=" + option_value(nic.tap)
                + ",script=no,downscript=no,vhost=off");
        std::string device
            = nic.model + ",netdev=" + id + ",mac=" + nic.mac + pci_placement(pci, nic.address);
        if (nic.model == "virtio-net-pci" && !machine.brand.bhyve) {
            device += ",tx=timer,x-txtimer=" + std::to_string(machine.txtimer)
                + ",x-txburst=" + std::to_string(machine.txburst);
        }
        line.add("-device", device);
    }
    if (nics.empty()) {
        // Else QEMU adds a NIC of its own, on its user-mode network: NAT to the host's.
        line.add("-nic", "none");
    }
}

// SMBIOS type 1 as SmartOS sets it: kvm from VM.js, bhyve from its boot program (serial the
// zonename, version from the platform's uname).
std::string smbios_of(Json const& vm, Machine const& machine)
{
    std::string const stamp
        = string_or(vm, "platform_buildstamp", machine.brand.bhyve ? "?" : "7.x");
    std::string smbios = "type=1,manufacturer=Joyent,product=SmartDC HVM,version=7."
        + option_value(stamp) + ",serial=";
    if (machine.brand.bhyve) {
        smbios += option_value(string_or(vm, "zonename", machine.uuid));
    } else {
        smbios += machine.uuid + ",uuid=" + machine.uuid;
    }
    return smbios + ",sku=001,family=Virtual Machine";
}

// The display, the default devices and the VM's own options, after everything VM.js puts
// before them (so that qemu_extra_opts can override what came first).
Result<void> add_display_and_options(CommandLine& line, QemuPlan const& plan, Json const& vm,
    Machine const& machine, PciMap const& pci)
{
    std::string const vnc
        = "unix:" + option_value(plan.vnc) + (plan.vnc_password.empty() ? "" : ",password=on");
    if (machine.brand.bhyve) {
        line.add("-parallel", "none");
        if (!plan.vnc.empty()) {
            line.add("-device", "VGA,id=video0" + pci_placement(pci, PciAddress { SLOT_FBUF, 0 }));
            line.add(
                "-device", "qemu-xhci,id=xhci" + pci_placement(pci, PciAddress { SLOT_FBUF, 1 }));
            line.add("-device", "usb-tablet,bus=xhci.0");
            line.add("-vnc", vnc);
        }
        return {};
    }
    if (machine.defaults) {
        line.add("-vnc", vnc);
        if (!plan.spice.empty()) {
            std::string value = "unix=on,addr=" + option_value(plan.spice);
            if (plan.spice_password.empty()) {
                value += ",disable-ticketing=on";
            }
            if (std::string const extra = string_or(vm, "spice_opts"); !extra.empty()) {
                value += "," + extra;
            }
            line.add("-spice", value);
        }
        line.add("-parallel", "none");
        line.add("-usb");
        line.add("-usbdevice", "tablet");
        line.add("-k", "en-us");
    } else {
        TRY_ASSIGN(words, words_of(vm, "qemu_opts"));
        line.append(words);
    }
    if (is_set(vm, "qemu_extra_opts")) {
        TRY_ASSIGN(words, words_of(vm, "qemu_extra_opts"));
        line.append(words);
    }
    return {};
}

} // namespace

Result<QemuPlan> qemu_plan(Json const& vm, StartOptions const& options, QemuHost const& host)
{
    TRY_ASSIGN(machine, machine_of(vm, options, host));
    Brand const& brand = machine.brand;
    TRY_ASSIGN(drives, vm_drives(vm, brand, host));
    TRY(add_start_drives(drives, vm, brand, options, host));
    TRY_ASSIGN(nics, vm_nics(vm, brand, host));
    QemuPlan plan;
    TRY(place_files(plan, vm, machine, host));
    PciMap pci;
    if (brand.bhyve) {
        TRY_ASSIGN(map, place_bhyve_devices(drives, nics, !plan.vnc.empty()));
        pci = std::move(map);
    }

    CommandLine line(host.program);
    line.add("-name", option_value(machine.uuid));
    line.add("-uuid", machine.uuid);
    line.add("-accel", host.accelerator == Accelerator::Kvm ? "kvm" : "tcg");
    if (host.sandbox == Sandbox::On) {
        line.add(
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    }
    line.add("-m", std::to_string(machine.ram));
    if (brand.bhyve) {
        // bhyve shows the guest the host's CPU; TCG's nearest is every feature it emulates.
        line.add("-cpu", host.accelerator == Accelerator::Kvm ? "host" : "max");
    } else {
        Json const* cpu_type = json_member(vm, "cpu_type");
        line.add("-cpu", cpu_type != nullptr ? js_string(*cpu_type) : "qemu64");
    }
    if (machine.vcpus > 1) {
        line.add("-smp", std::to_string(machine.vcpus));
    }
    if (machine.bootrom == "uefi") {
        line.add("-drive",
            "if=pflash,format=raw,unit=0,readonly=on,file=" + option_value(host.ovmf_code));
        line.add("-drive", "if=pflash,format=raw,unit=1,file=" + option_value(host.ovmf_vars));
    }
    TRY(add_drives(line, drives, brand, pci, disk_boots_first(machine.boot)));
    line.add("-boot", machine.boot);
    add_nics(line, nics, machine, pci);
    line.add("-smbios", smbios_of(vm, machine));
    line.add("-pidfile", plan.pidfile);
    line.add("-display", "none"); // no window on the host: SmartOS's QEMU was built without one
    Json const* vga = json_member(vm, "vga");
    line.add("-vga", brand.bhyve ? "none" : (vga != nullptr ? js_string(*vga) : "std"));
    line.add("-qmp", "unix:" + option_value(plan.qmp) + ",server=on,wait=off");
    if (!host.monitor_qmp.empty()) {
        line.add("-qmp", "unix:" + option_value(host.monitor_qmp) + ",server=on,wait=off");
    }
    line.add(
        "-chardev", "socket,id=serial0,path=" + option_value(plan.console) + ",server=on,wait=off");
    line.add("-serial", "chardev:serial0");
    line.add(
        "-chardev", "socket,id=serial1,path=" + option_value(plan.ttyb) + ",server=on,wait=off");
    line.add("-serial", "chardev:serial1");
    TRY(add_display_and_options(line, plan, vm, machine, pci));
    plan.argv = line.take();
    plan.command_line = shell_command(plan.argv);
    return plan;
}

} // namespace lumos::runtime
