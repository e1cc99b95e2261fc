// SPDX-License-Identifier: MPL-2.0
// An HVM guest's QEMU command line from its VM object and vmadm start's options
// (src/runtime/qemu_plan.hpp).
#include "runtime/qemu_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace lumos::runtime {
namespace {

std::string const UUID = "0f5a4c2e-6d2b-4b0e-9a51-3c1d2e4f5a6b";
std::string const ZONEPATH = "/zones/" + UUID;
std::string const TMP = ZONEPATH + "/root/tmp";
std::string const MAC = "02:08:20:aa:bb:cc";

Json kvm_vm()
{
    return Json {
        { "uuid", UUID }, { "brand", "kvm" }, { "ram", 1024 }, { "vcpus", 2 },
        { "platform_buildstamp", "20240101T000000Z" },
        { "disks",
            Json::array({ Json { { "path", "/dev/zvol/rdsk/zones/" + UUID + "-disk0" },
                { "model", "virtio" }, { "media", "disk" }, { "boot", true } } }) },
        { "nics",
            Json::array({ Json { { "mac", MAC }, { "model", "virtio" }, { "primary", true },
                { "interface", "net0" }, { "ip", "10.0.0.5" }, { "netmask", "255.255.255.0" } } }) }
    };
}

Json bhyve_vm()
{
    Json vm = kvm_vm();
    vm["brand"] = "bhyve";
    vm["disks"][0]["pci_slot"] = "0:4:0";
    return vm;
}

QemuHost host_for(Json const& vm, std::set<std::string> files = {})
{
    QemuHost host;
    host.program = "/usr/bin/qemu-system-x86_64";
    host.zonepath = ZONEPATH;
    for (size_t i = 0; i < vm.value("disks", Json::array()).size(); ++i) {
        host.disk_files.push_back("/pool/" + UUID + "-disk" + std::to_string(i));
    }
    for (size_t i = 0; i < vm.value("nics", Json::array()).size(); ++i) {
        host.taps.push_back("vnet" + std::to_string(i));
    }
    host.file_exists = [files](std::string const& path) { return files.contains(path); };
    return host;
}

QemuPlan plan_of(Json const& vm, StartOptions const& options = {})
{
    auto plan = qemu_plan(vm, options, host_for(vm));
    EXPECT_TRUE(plan.has_value()) << plan.error().message();
    return plan.has_value() ? *plan : QemuPlan {};
}

Error plan_error(Json const& vm, StartOptions const& options = {}, QemuHost host = {})
{
    if (host.program.empty()) {
        host = host_for(vm);
    }
    auto plan = qemu_plan(vm, options, host);
    EXPECT_FALSE(plan.has_value());
    return plan.has_value() ? Error(ErrorCode::Internal, "planned") : plan.error();
}

// Every value that follows option in argv.
std::vector<std::string> values_of(std::vector<std::string> const& argv, std::string const& option)
{
    std::vector<std::string> values;
    for (size_t i = 0; i + 1 < argv.size(); ++i) {
        if (argv[i] == option) {
            values.push_back(argv[i + 1]);
        }
    }
    return values;
}

std::string value_of(std::vector<std::string> const& argv, std::string const& option)
{
    auto const values = values_of(argv, option);
    EXPECT_EQ(values.size(), 1U) << option;
    return values.empty() ? "" : values.front();
}

bool has(std::vector<std::string> const& argv, std::string const& word)
{
    return std::find(argv.begin(), argv.end(), word) != argv.end();
}

Error start_error(std::vector<std::string> const& arguments)
{
    auto options = parse_start_options(arguments);
    EXPECT_FALSE(options.has_value());
    return options.has_value() ? Error(ErrorCode::Internal, "parsed") : options.error();
}

TEST(QemuStartOptions, ParsesOrderDisksAndCdromsInTheOrderGiven)
{
    auto options = parse_start_options(
        { "order=cd,once=d", "cdrom=/centos.iso,ide", "disk=/x.img,virtio", "cdrom=/b.iso,scsi" });
    ASSERT_TRUE(options.has_value()) << options.error().message();
    EXPECT_EQ(options->boot, "order=cd,once=d");
    std::vector<StartDisk> const expected { { "/centos.iso", "ide", "cdrom" },
        { "/x.img", "virtio", "disk" }, { "/b.iso", "scsi", "cdrom" } };
    EXPECT_EQ(options->disks, expected);
    EXPECT_EQ(parse_start_options({}).value(), StartOptions {});
}

TEST(QemuStartOptions, KeepsEverythingAfterTheFirstEqualsSignAndIgnoresFieldsAfterTheModel)
{
    auto options = parse_start_options({ "disk=/a=b.img,virtio,extra" });
    ASSERT_TRUE(options.has_value());
    std::vector<StartDisk> const expected { { "/a=b.img", "virtio", "disk" } };
    EXPECT_EQ(options->disks, expected);
}

TEST(QemuStartOptions, RefusesASecondOrderAsAUsageError)
{
    auto const error = start_error({ "order=cd", "order=dc" });
    EXPECT_EQ(error.code(), ErrorCode::Usage);
    EXPECT_EQ(error.message(), "You can only specify 'order' once when starting a VM");
}

TEST(QemuStartOptions, RefusesADiskOrCdromWithoutPathOrModel)
{
    for (std::string const argument :
        { "disk=/x.img", "disk=,virtio", "disk=/x.img,", "disk=", "disk", "cdrom=/c.iso,,ide" }) {
        auto const error = start_error({ argument });
        EXPECT_EQ(error.code(), ErrorCode::Usage) << argument;
        std::string const key = argument.substr(0, argument.find('='));
        EXPECT_EQ(error.message(), "Parameter to " + key + " must be: path,model") << argument;
    }
}

TEST(QemuStartOptions, RefusesAnyOtherKey)
{
    for (std::string const argument : { "boot=cd", "Order=cd", "=cd", "2", "abc", "NaN" }) {
        auto const error = start_error({ argument });
        EXPECT_EQ(error.code(), ErrorCode::Usage);
        EXPECT_EQ(error.message(),
            "Invalid argument to start: " + argument.substr(0, argument.find('=')));
    }
}

TEST(QemuStartOptions, ANumberBelowTwoWithoutEqualsSignIsOneVmadmCannotSplit)
{
    // vmadm.js compares the split array with 2: a lone number below 2 passes for too short.
    for (std::string const argument :
        { "1", "0", "", "-3", " 1 ", "0x1", "0b0", "1e-400", "-Infinity", ".5", "1.9" }) {
        auto const error = start_error({ argument });
        EXPECT_EQ(error.code(), ErrorCode::Usage);
        EXPECT_EQ(error.message(), "Bad arguments: unable to split " + argument) << argument;
    }
    for (std::string const argument : { "2", "0x2", "1e400", "Infinity", "-0x1", "1x" }) {
        EXPECT_EQ(start_error({ argument }).message(), "Invalid argument to start: " + argument);
    }
}

TEST(QemuShellWords, SplitsOnBlanksAndKeepsWhatQuotesHold)
{
    auto words = split_shell_words("  -device 'virtio-rng-pci,id=rng 0'\t-name \"a b\"c ''  ");
    ASSERT_TRUE(words.has_value()) << words.error().message();
    EXPECT_EQ(*words,
        (std::vector<std::string> { "-device", "virtio-rng-pci,id=rng 0", "-name", "a bc", "" }));
    EXPECT_EQ(split_shell_words("").value(), std::vector<std::string> {});
}

TEST(QemuShellWords, BackslashEscapesAnyCharacterOutsideQuotesAndFiveInsideDoubleQuotes)
{
    auto words = split_shell_words(R"(a\ b \'c \\ "d\"\\\$\n" 'e\' f\
g)");
    ASSERT_TRUE(words.has_value()) << words.error().message();
    EXPECT_EQ(*words, (std::vector<std::string> { "a b", "'c", "\\", R"(d"\$\n)", "e\\", "fg" }));
}

TEST(QemuShellWords, RefusesABackslashThatEndsTheText)
{
    // SmartOS's startvm follows the options with a newline, which the backslash would escape.
    auto words = split_shell_words("-name vm\\");
    ASSERT_FALSE(words.has_value());
    EXPECT_EQ(
        words.error().message(), "the backslash at offset 8 ends the text and escapes nothing");
    EXPECT_EQ(
        split_shell_words("-name 'vm\\'").value(), (std::vector<std::string> { "-name", "vm\\" }));
}

TEST(QemuShellWords, ACommentEndsTheWordsButAHashInsideAWordDoesNot)
{
    auto words = split_shell_words("-a x#y #-b -c");
    ASSERT_TRUE(words.has_value());
    EXPECT_EQ(*words, (std::vector<std::string> { "-a", "x#y" }));
}

TEST(QemuShellWords, RefusesUnbalancedQuotes)
{
    for (std::string const text : { "-a 'b", "-a \"b", "-a \"b\\\"", "'" }) {
        auto words = split_shell_words(text);
        ASSERT_FALSE(words.has_value()) << text;
        EXPECT_EQ(words.error().code(), ErrorCode::InvalidArgument);
        EXPECT_NE(words.error().message().find("unbalanced quotes"), std::string::npos)
            << words.error().message();
    }
    EXPECT_EQ(split_shell_words("-a 'b").error().message(),
        "unbalanced quotes: the ' at offset 3 is never closed");
}

TEST(QemuShellWords, RefusesWhatAShellWouldRunOrExpand)
{
    for (std::string const text : { "-a; rm -rf /", "-a && b", "-a | b", "-a > /etc/passwd",
             "-a $(id)", "-a `id`", "-a \"$HOME\"", "-a\n-b", "-a (b)" }) {
        auto words = split_shell_words(text);
        ASSERT_FALSE(words.has_value()) << text;
        EXPECT_EQ(words.error().code(), ErrorCode::InvalidArgument);
    }
    EXPECT_EQ(split_shell_words("-a; b").error().message(),
        "unquoted ';' at offset 2 is a shell operator; quote it to pass it to QEMU");
    // Quoted, they are plain characters.
    EXPECT_EQ(split_shell_words(R"('-a; $(id)' "x;y" \$z)").value(),
        (std::vector<std::string> { "-a; $(id)", "x;y", "$z" }));
}

TEST(QemuShellWords, ShellCommandQuotesOnlyWhatAShellWouldChangeAndSplitsBack)
{
    std::vector<std::string> const argv { "/usr/bin/qemu", "-name", "a,b=c:d/e.f", "with space",
        "it's", "", "$HOME", "-a;b" };
    std::string const line = shell_command(argv);
    EXPECT_EQ(line, "/usr/bin/qemu -name a,b=c:d/e.f 'with space' 'it'\\''s' '' '$HOME' '-a;b'");
    EXPECT_EQ(split_shell_words(line).value(), argv);
}

TEST(QemuZoneRootPath, ResolvesAPathInsideTheZoneRoot)
{
    EXPECT_EQ(zone_root_path(ZONEPATH, "/centos.iso").value(), ZONEPATH + "/root/centos.iso");
    EXPECT_EQ(zone_root_path(ZONEPATH, "centos.iso").value(), ZONEPATH + "/root/centos.iso");
    EXPECT_EQ(zone_root_path(ZONEPATH, "//isos/./a.iso").value(), ZONEPATH + "/root/isos/a.iso");
}

TEST(QemuZoneRootPath, RefusesDotDotEmptyPathsAndNulBytes)
{
    std::vector<std::string> const paths { "/../../etc/shadow", "../x", "/a/../b.iso", "/isos/..",
        "", "/", "/./", std::string("/a\0b", 4) };
    for (auto const& path : paths) {
        auto resolved = zone_root_path(ZONEPATH, path);
        ASSERT_FALSE(resolved.has_value()) << path;
        EXPECT_EQ(resolved.error().code(), ErrorCode::InvalidArgument);
    }
}

TEST(QemuPlanKvm, IsSmartOsDefaultSetOnUpstreamQemu)
{
    QemuPlan const plan = plan_of(kvm_vm());
    std::vector<std::string> const expected { "/usr/bin/qemu-system-x86_64", "-name", UUID, "-uuid",
        UUID, "-accel", "kvm", "-sandbox",
        "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny", "-m", "1024",
        "-cpu", "qemu64", "-smp", "2", "-drive",
        "file=/pool/" + UUID + "-disk0,if=none,id=disk0,format=raw,cache=none", "-device",
        "virtio-blk-pci,drive=disk0,bootindex=0", "-boot", "order=cd", "-netdev",
        "tap,id=net0,ifname=vnet0,script=no,downscript=no,vhost=off", "-device",
        "virtio-net-pci,netdev=net0,mac=" + MAC + ",tx=timer,x-txtimer=200000,x-txburst=128",
        "-smbios",
        "type=1,manufacturer=Joyent,product=SmartDC HVM,version=7.20240101T000000Z,serial=" + UUID
            + ",uuid=" + UUID + ",sku=001,family=Virtual Machine",
        "-pidfile", TMP + "/vm.pid", "-display", "none", "-vga", "std", "-qmp",
        "unix:" + TMP + "/vm.qmp,server=on,wait=off", "-chardev",
        "socket,id=serial0,path=" + TMP + "/vm.console,server=on,wait=off", "-serial",
        "chardev:serial0", "-chardev",
        "socket,id=serial1,path=" + TMP + "/vm.ttyb,server=on,wait=off", "-serial",
        "chardev:serial1", "-vnc", "unix:" + TMP + "/vm.vnc", "-parallel", "none", "-usb",
        "-usbdevice", "tablet", "-k", "en-us" };
    EXPECT_EQ(plan.argv, expected);
    EXPECT_EQ(plan.qmp, TMP + "/vm.qmp");
    EXPECT_EQ(plan.console, TMP + "/vm.console");
    EXPECT_EQ(plan.ttyb, TMP + "/vm.ttyb");
    EXPECT_EQ(plan.vnc, TMP + "/vm.vnc");
    EXPECT_EQ(plan.spice, "");
    EXPECT_EQ(plan.pidfile, TMP + "/vm.pid");
}

TEST(QemuPlanKvm, CommandLineIsTheArgvShellQuotedOnOneLine)
{
    QemuPlan const plan = plan_of(kvm_vm());
    EXPECT_EQ(plan.command_line.find('\n'), std::string::npos);
    EXPECT_NE(plan.command_line.find(" -smbios 'type=1,manufacturer=Joyent,product=SmartDC HVM,"),
        std::string::npos);
    EXPECT_EQ(split_shell_words(plan.command_line).value(), plan.argv);
}

TEST(QemuPlanKvm, AcceleratorSandboxAndMonitorQmpComeFromTheHost)
{
    Json const vm = kvm_vm();
    QemuHost host = host_for(vm);
    host.accelerator = Accelerator::Tcg;
    host.sandbox = Sandbox::Off;
    host.monitor_qmp = "/run/lumos/zones/" + UUID + "/qmp.sock";
    auto plan = qemu_plan(vm, {}, host);
    ASSERT_TRUE(plan.has_value()) << plan.error().message();
    EXPECT_EQ(value_of(plan->argv, "-accel"), "tcg");
    EXPECT_FALSE(has(plan->argv, "-sandbox"));
    EXPECT_EQ(values_of(plan->argv, "-qmp"),
        (std::vector<std::string> { "unix:" + TMP + "/vm.qmp,server=on,wait=off",
            "unix:" + host.monitor_qmp + ",server=on,wait=off" }));
}

TEST(QemuPlanKvm, SmpOnlyAboveOneVcpuAndCpuTypeAndVgaFromTheVm)
{
    Json vm = kvm_vm();
    vm.erase("vcpus");
    vm["cpu_type"] = "host";
    vm["vga"] = "cirrus";
    QemuPlan const plan = plan_of(vm);
    EXPECT_FALSE(has(plan.argv, "-smp"));
    EXPECT_EQ(value_of(plan.argv, "-cpu"), "host");
    EXPECT_EQ(value_of(plan.argv, "-vga"), "cirrus");
}

TEST(QemuPlanKvm, RefusesHugeZeroOrFractionalVcpusAndMissingRam)
{
    for (Json const& vcpus : { Json(256), Json(1000000000000LL), Json(0), Json(-1), Json(1.5),
             Json("2"), Json(1e300) }) {
        Json vm = kvm_vm();
        vm["vcpus"] = vcpus;
        auto const error = plan_error(vm);
        EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << vcpus;
        EXPECT_EQ(error.message().rfind("vcpus ", 0), 0U) << error.message();
    }
    Json vm = kvm_vm();
    vm["vcpus"] = 255;
    EXPECT_EQ(value_of(plan_of(vm).argv, "-smp"), "255");
    vm.erase("ram");
    EXPECT_EQ(plan_error(vm).message(), "ram is missing");
}

TEST(QemuPlanKvm, IdeAndScsiDisksGoWhereOldQemuPutTheirIndex)
{
    Json vm = kvm_vm();
    vm["disks"] = Json::array({ Json { { "path", "/d0" }, { "model", "virtio" } },
        Json { { "path", "/d1" }, { "model", "ide" } },
        Json { { "path", "/d2" }, { "model", "ide" }, { "media", "cdrom" } },
        Json { { "path", "/d3" }, { "model", "scsi" } } });
    auto const devices = values_of(plan_of(vm).argv, "-device");
    EXPECT_EQ(std::vector<std::string>(devices.begin(), devices.begin() + 5),
        (std::vector<std::string> { "virtio-blk-pci,drive=disk0",
            "ide-hd,drive=disk1,bus=ide.0,unit=1", "ide-cd,drive=disk2,bus=ide.1,unit=0",
            "lsi53c895a,id=scsi0", "scsi-hd,drive=disk3,bus=scsi0.0,scsi-id=3" }));

    vm["disks"][3]["model"] = "ide"; // index 3: ide.1 unit 1, the last place
    EXPECT_TRUE(qemu_plan(vm, {}, host_for(vm)).has_value());
    vm["disks"].push_back(Json { { "path", "/d4" }, { "model", "ide" } });
    EXPECT_EQ(plan_error(vm).message(),
        "disks.4: an ide disk at index 4 is past the PIIX3's two IDE buses (indexes 0 to 3)");
}

TEST(QemuPlanKvm, ACdromIsReadOnly)
{
    Json vm = kvm_vm();
    vm["disks"][0]["media"] = "cdrom";
    vm["disks"][0]["model"] = "ide";
    EXPECT_EQ(values_of(plan_of(vm).argv, "-drive").front(),
        "file=/pool/" + UUID
            + "-disk0,if=none,id=disk0,format=raw,cache=none,media=cdrom,readonly=on");
    vm["disks"][0]["media"] = "floppy";
    EXPECT_EQ(plan_error(vm).message(), "disks.0.media \"floppy\" is neither disk nor cdrom");
}

TEST(QemuPlanKvm, RefusesAVmDiskWithoutOrWithABadModel)
{
    Json vm = kvm_vm();
    vm["disks"][0]["model"] = "nvme";
    EXPECT_EQ(plan_error(vm).message(),
        "\"nvme\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    vm["disks"][0].erase("model");
    EXPECT_EQ(plan_error(vm).message(), "disks.0 has no model");
}

TEST(QemuPlanKvm, BootOrderComesFromStartOptionsThenTheVmThenOrderCd)
{
    Json vm = kvm_vm();
    EXPECT_EQ(value_of(plan_of(vm).argv, "-boot"), "order=cd");
    vm["boot"] = "order=dc";
    EXPECT_EQ(value_of(plan_of(vm).argv, "-boot"), "order=dc");
    StartOptions options;
    options.boot = "order=cd,once=n";
    EXPECT_EQ(value_of(plan_of(vm, options).argv, "-boot"), "order=cd,once=n");
}

TEST(QemuPlanKvm, BootDiskGetsABootindexOnlyWhenTheFirmwareTriesTheDiskFirst)
{
    // A bootindex outranks -boot's order and once in SeaBIOS: with it, order=d could not boot
    // the installer's cdrom.
    auto const boot_device = [](Json const& vm, StartOptions const& options) {
        return values_of(plan_of(vm, options).argv, "-device").front();
    };
    Json vm = kvm_vm();
    EXPECT_EQ(boot_device(vm, {}), "virtio-blk-pci,drive=disk0,bootindex=0");
    for (std::string const boot : { "cd", "order=c", "menu=on", "order=cdn,menu=on" }) {
        vm["boot"] = boot;
        EXPECT_EQ(boot_device(vm, {}), "virtio-blk-pci,drive=disk0,bootindex=0") << boot;
    }
    for (std::string const boot : { "order=dc", "d", "order=cd,once=d", "once=d", "order=n" }) {
        vm["boot"] = boot;
        EXPECT_EQ(boot_device(vm, {}), "virtio-blk-pci,drive=disk0") << boot;
    }
    vm.erase("boot");
    EXPECT_EQ(
        boot_device(vm, *parse_start_options({ "order=cd,once=d" })), "virtio-blk-pci,drive=disk0");
    vm["disks"][0]["boot"] = false;
    EXPECT_EQ(boot_device(vm, {}), "virtio-blk-pci,drive=disk0");
}

TEST(QemuPlanKvm, NicsGetTheirTapModelAndMacAndTheVmsTxTuning)
{
    Json vm = kvm_vm();
    vm["virtio_txtimer"] = 150000;
    vm["virtio_txburst"] = 256;
    vm["nics"].push_back(Json { { "mac", "02:08:20:00:00:02" }, { "model", "e1000" } });
    vm["nics"].push_back(Json { { "mac", "02:08:20:00:00:03" }, { "model", "rtl8139" } });
    auto const argv = plan_of(vm).argv;
    EXPECT_EQ(values_of(argv, "-netdev"),
        (std::vector<std::string> { "tap,id=net0,ifname=vnet0,script=no,downscript=no,vhost=off",
            "tap,id=net1,ifname=vnet1,script=no,downscript=no,vhost=off",
            "tap,id=net2,ifname=vnet2,script=no,downscript=no,vhost=off" }));
    auto const devices = values_of(argv, "-device");
    EXPECT_EQ(std::vector<std::string>(devices.end() - 3, devices.end()),
        (std::vector<std::string> {
            "virtio-net-pci,netdev=net0,mac=" + MAC + ",tx=timer,x-txtimer=150000,x-txburst=256",
            "e1000,netdev=net1,mac=02:08:20:00:00:02",
            "rtl8139,netdev=net2,mac=02:08:20:00:00:03" }));
    EXPECT_FALSE(has(argv, "-nic"));
    EXPECT_EQ(plan_error([&] {
        Json v = vm;
        v["virtio_txtimer"] = 1LL << 40;
        return v;
    }())
                  .message(),
        "virtio_txtimer 1099511627776 is not a whole number from 0 to 4294967295");
}

TEST(QemuPlanKvm, NoNicsMeansNoNetworkAtAll)
{
    Json vm = kvm_vm();
    vm["nics"] = Json::array();
    auto const argv = plan_of(vm).argv;
    EXPECT_EQ(value_of(argv, "-nic"), "none"); // not QEMU's user-mode NAT
    EXPECT_FALSE(has(argv, "-netdev"));
}

TEST(QemuPlanKvm, RefusesANicWithoutMacOrWithABadMacOrModel)
{
    Json vm = kvm_vm();
    vm["nics"][0].erase("mac");
    EXPECT_EQ(plan_error(vm).message(), "nics.0 has no mac");
    for (std::string const mac : { "02:08:20:aa:bb", "02:08:20:aa:bb:cc,romfile=/etc/shadow",
             "2:8:20:aa:bb:cc", "02-08-20-aa-bb-cc" }) {
        vm["nics"][0]["mac"] = mac;
        EXPECT_EQ(plan_error(vm).message(), "nics.0.mac \"" + mac + "\" is not a MAC address");
    }
    vm["nics"][0]["mac"] = MAC;
    vm["nics"][0]["model"] = "e1000,romfile=/etc/shadow";
    EXPECT_EQ(plan_error(vm).message(),
        "nics.0.model \"e1000,romfile=/etc/shadow\" is not a NIC QEMU emulates here (virtio, "
        "e1000, rtl8139)");
}

TEST(QemuPlanKvm, RefusesAHostThatDoesNotMatchTheVm)
{
    Json const vm = kvm_vm();
    QemuHost host = host_for(vm);
    host.taps.clear();
    EXPECT_EQ(plan_error(vm, {}, host).code(), ErrorCode::Internal);
    host = host_for(vm);
    host.disk_files.push_back("/extra");
    EXPECT_EQ(plan_error(vm, {}, host).message(), "2 disk files for 1 disks");
    host = host_for(vm);
    host.zonepath = "zones/x";
    EXPECT_EQ(plan_error(vm, {}, host).code(), ErrorCode::Internal);
}

TEST(QemuPlanKvm, QemuOptsReplaceTheDefaultSetAndQemuExtraOptsAreAppended)
{
    Json vm = kvm_vm();
    vm["spice_port"] = 0;
    vm["qemu_opts"] = "-vnc none -device 'virtio-rng-pci,id=rng 0'";
    vm["qemu_extra_opts"] = "-global \"kvm-pit.lost_tick_policy=discard\"";
    QemuPlan const plan = plan_of(vm);
    std::vector<std::string> const tail(plan.argv.end() - 6, plan.argv.end());
    EXPECT_EQ(tail,
        (std::vector<std::string> { "-vnc", "none", "-device", "virtio-rng-pci,id=rng 0", "-global",
            "kvm-pit.lost_tick_policy=discard" }));
    for (std::string const gone : { "-usb", "-usbdevice", "-k", "-parallel", "-spice" }) {
        EXPECT_FALSE(has(plan.argv, gone)) << gone;
    }
    EXPECT_EQ(plan.vnc, "");
    EXPECT_EQ(plan.spice, "");

    vm["qemu_opts"] = ""; // VM.js: falsy, so the default set
    EXPECT_TRUE(has(plan_of(vm).argv, "-usb"));
    EXPECT_EQ(plan_of(vm).argv.back(), "kvm-pit.lost_tick_policy=discard");
}

TEST(QemuPlanKvm, RefusesQemuExtraOptsAShellWouldNotSplitIntoWords)
{
    Json vm = kvm_vm();
    vm["qemu_extra_opts"] = "-name 'unclosed";
    auto error = plan_error(vm);
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(
        error.message(), "qemu_extra_opts: unbalanced quotes: the ' at offset 6 is never closed");
    vm["qemu_extra_opts"] = "-a; touch /tmp/owned";
    EXPECT_EQ(plan_error(vm).message().rfind("qemu_extra_opts: unquoted ';'", 0), 0U);
    vm.erase("qemu_extra_opts");
    vm["qemu_opts"] = "-a \"$(id)\"";
    EXPECT_EQ(plan_error(vm).message().rfind("qemu_opts: '$' at offset 4", 0), 0U);
}

TEST(QemuPlanKvm, PasswordsGoOverQmpNeverOnTheCommandLine)
{
    Json vm = kvm_vm();
    vm["vnc_password"] = "s3cret";
    vm["spice_port"] = 5930;
    vm["spice_password"] = "t0psecret";
    vm["spice_opts"] = "image-compression=off";
    QemuPlan const plan = plan_of(vm);
    EXPECT_EQ(value_of(plan.argv, "-vnc"), "unix:" + TMP + "/vm.vnc,password=on");
    EXPECT_EQ(
        value_of(plan.argv, "-spice"), "unix=on,addr=" + TMP + "/vm.spice,image-compression=off");
    EXPECT_EQ(plan.vnc_password, "s3cret");
    EXPECT_EQ(plan.spice_password, "t0psecret");
    EXPECT_EQ(plan.command_line.find("s3cret"), std::string::npos);
    EXPECT_EQ(plan.command_line.find("t0psecret"), std::string::npos);
}

TEST(QemuPlanKvm, SpiceOnlyWithASpicePortOtherThanMinusOneAndVncEvenAtMinusOne)
{
    Json vm = kvm_vm();
    vm["spice_port"] = 0;
    EXPECT_EQ(value_of(plan_of(vm).argv, "-spice"),
        "unix=on,addr=" + TMP + "/vm.spice,disable-ticketing=on");
    vm["spice_port"] = -1;
    vm["vnc_port"] = -1; // SmartOS: only vmadmd's TCP proxy goes; the socket stays
    QemuPlan const plan = plan_of(vm);
    EXPECT_FALSE(has(plan.argv, "-spice"));
    EXPECT_EQ(value_of(plan.argv, "-vnc"), "unix:" + TMP + "/vm.vnc");
}

TEST(QemuPlanKvm, SmbiosVersionFallsBackAsVmJsDoes)
{
    Json vm = kvm_vm();
    vm.erase("platform_buildstamp");
    EXPECT_EQ(value_of(plan_of(vm).argv, "-smbios"),
        "type=1,manufacturer=Joyent,product=SmartDC HVM,version=7.7.x,serial=" + UUID
            + ",uuid=" + UUID + ",sku=001,family=Virtual Machine");
    vm["platform_buildstamp"] = "2024,x";
    EXPECT_NE(
        value_of(plan_of(vm).argv, "-smbios").find("version=7.2024,,x,serial="), std::string::npos);
}

TEST(QemuPlanKvm, ACommaInAHostPathIsDoubledSoItCannotAddOptions)
{
    Json const vm = kvm_vm();
    QemuHost host = host_for(vm);
    host.disk_files = { "/pool/a,file.locking=off" };
    host.taps = { "tap,x" };
    auto plan = qemu_plan(vm, {}, host);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(values_of(plan->argv, "-drive").front(),
        "file=/pool/a,,file.locking=off,if=none,id=disk0,format=raw,cache=none");
    EXPECT_EQ(value_of(plan->argv, "-netdev"),
        "tap,id=net0,ifname=tap,,x,script=no,downscript=no,vhost=off");
}

TEST(QemuPlanKvm, RefusesASocketPathTooLongForAUnixSocket)
{
    Json const vm = kvm_vm();
    QemuHost host = host_for(vm);
    host.zonepath = "/" + std::string(90, 'z'); // vm.qmp fits exactly, vm.console does not
    auto const error = plan_error(vm, {}, host);
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(error.message(),
        "socket path " + host.zonepath
            + "/root/tmp/vm.console is longer than the 107 bytes a unix socket's path can have");
}

TEST(QemuPlanKvm, RefusesBrandsThatAreNotHvmAndUuidsThatAreNotUuids)
{
    Json vm = kvm_vm();
    vm["brand"] = "joyent";
    EXPECT_EQ(plan_error(vm).message(), "Cannot build a QEMU command line for brand \"joyent\"");
    vm = kvm_vm();
    vm["uuid"] = "x,debug-threads=on";
    EXPECT_EQ(plan_error(vm).code(), ErrorCode::InvalidArgument);
}

TEST(QemuPlanStartDisks, ComeAfterTheVmsDisksFromTheZoneRoot)
{
    Json const vm = kvm_vm();
    auto options = parse_start_options(
        { "order=cd,once=d", "cdrom=/centos.iso,ide", "disk=scratch.img,virtio" });
    ASSERT_TRUE(options.has_value());
    auto plan = qemu_plan(vm, *options,
        host_for(vm, { ZONEPATH + "/root/centos.iso", ZONEPATH + "/root/scratch.img" }));
    ASSERT_TRUE(plan.has_value()) << plan.error().message();
    EXPECT_EQ(values_of(plan->argv, "-drive"),
        (std::vector<std::string> {
            "file=/pool/" + UUID + "-disk0,if=none,id=disk0,format=raw,cache=none",
            "file=" + ZONEPATH
                + "/root/centos.iso,if=none,id=disk1,format=raw,cache=none,media=cdrom,readonly=on",
            "file=" + ZONEPATH + "/root/scratch.img,if=none,id=disk2,format=raw,cache=none" }));
    auto const devices = values_of(plan->argv, "-device");
    EXPECT_EQ(devices[0], "virtio-blk-pci,drive=disk0"); // once=d: no bootindex
    EXPECT_EQ(devices[1], "ide-cd,drive=disk1,bus=ide.0,unit=1");
    EXPECT_EQ(devices[2], "virtio-blk-pci,drive=disk2");
    EXPECT_EQ(value_of(plan->argv, "-boot"), "order=cd,once=d");
}

TEST(QemuPlanStartDisks, OneOfTheVmsOwnDisksIsFoundByItsPath)
{
    Json const vm = kvm_vm();
    auto options = parse_start_options({ "cdrom=/dev/zvol/rdsk/zones/" + UUID + "-disk0,ide" });
    auto plan = qemu_plan(vm, *options, host_for(vm)); // file_exists says no to everything
    ASSERT_TRUE(plan.has_value()) << plan.error().message();
    EXPECT_EQ(values_of(plan->argv, "-drive").back(),
        "file=/pool/" + UUID
            + "-disk0,if=none,id=disk1,format=raw,cache=none,media=cdrom,readonly=on");
}

TEST(QemuPlanStartDisks, AMissingOneCannotBeFound)
{
    Json const vm = kvm_vm();
    auto const error = plan_error(vm, *parse_start_options({ "cdrom=/centos.iso,ide" }));
    EXPECT_EQ(error.code(), ErrorCode::NotFound);
    EXPECT_EQ(error.message(), "Cannot find disk: /centos.iso");
}

TEST(QemuPlanStartDisks, DotDotIsRefusedBeforeAnythingIsLookedUp)
{
    Json const vm = kvm_vm();
    QemuHost host = host_for(vm);
    std::vector<std::string> asked;
    host.file_exists = [&asked](std::string const& path) {
        asked.push_back(path);
        return true;
    };
    auto plan = qemu_plan(vm, *parse_start_options({ "disk=/../../../etc/shadow,virtio" }), host);
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().code(), ErrorCode::InvalidArgument);
    EXPECT_EQ(plan.error().message(),
        "Invalid disk path: /../../../etc/shadow (\"..\" may not leave the zone root)");
    EXPECT_TRUE(asked.empty());
}

TEST(QemuPlanStartDisks, TheirModelIsCheckedAgainstTheBrandsModels)
{
    Json vm = kvm_vm();
    std::set<std::string> const files { ZONEPATH + "/root/x.img" };
    auto plan = qemu_plan(vm, *parse_start_options({ "disk=/x.img,nvme" }), host_for(vm, files));
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().message(),
        "\"nvme\" is not a valid disk model for kvm brand. Valid are: virtio,scsi,ide");
    vm = bhyve_vm();
    plan = qemu_plan(vm, *parse_start_options({ "disk=/x.img,ide" }), host_for(vm, files));
    ASSERT_FALSE(plan.has_value());
    EXPECT_EQ(plan.error().message(),
        "\"ide\" is not a valid disk model for bhyve brand. Valid are: virtio,ahci,nvme");
}

TEST(QemuPlanBhyve, KeepsBhyvesPciLayout)
{
    Json vm = bhyve_vm();
    vm["disks"].push_back(Json {
        { "path", "/iso" }, { "model", "ahci" }, { "media", "cdrom" }, { "pci_slot", "0:3:0" } });
    vm["disks"].push_back(Json { { "path", "/d2" }, { "model", "nvme" }, { "pci_slot", "0:4:1" } });
    vm["nics"][0]["model"] = "e1000"; // bhyve's NICs are virtio whatever the model
    vm["nics"][0]["primary"] = false;
    vm["nics"].push_back(Json { { "mac", "02:08:20:00:00:02" }, { "primary", true } });
    QemuPlan const plan = plan_of(vm);
    EXPECT_EQ(value_of(plan.argv, "-cpu"), "host");
    EXPECT_EQ(values_of(plan.argv, "-device"),
        (std::vector<std::string> {
            "virtio-blk-pci,drive=disk0,addr=4.0,multifunction=on,bootindex=0",
            "ahci,id=ahci1,addr=3.0", "ide-cd,drive=disk1,bus=ahci1.0",
            "nvme,drive=disk2,serial=NVME-4-1,addr=4.1",
            "virtio-net-pci,netdev=net0,mac=" + MAC + ",addr=6.1",
            "virtio-net-pci,netdev=net1,mac=02:08:20:00:00:02,addr=6.0,multifunction=on",
            "VGA,id=video0,addr=1e.0,multifunction=on", "qemu-xhci,id=xhci,addr=1e.1",
            "usb-tablet,bus=xhci.0" }));
    EXPECT_EQ(values_of(plan.argv, "-drive")[0],
        "file=/pool/" + UUID + "-disk0,if=none,id=disk0,format=raw,cache=none,discard=unmap");
    EXPECT_EQ(value_of(plan.argv, "-vga"), "none");
    EXPECT_EQ(value_of(plan.argv, "-smbios"),
        "type=1,manufacturer=Joyent,product=SmartDC HVM,version=7.20240101T000000Z,serial=" + UUID
            + ",sku=001,family=Virtual Machine");
    for (std::string const kvm_only : { "-usb", "-usbdevice", "-k", "-spice" }) {
        EXPECT_FALSE(has(plan.argv, kvm_only)) << kvm_only;
    }
}

TEST(QemuPlanBhyve, DisksWithoutPciSlotGoWhereBhyvesBootProgramPutsThem)
{
    Json vm = bhyve_vm();
    vm["disks"][0].erase("pci_slot");
    vm["disks"].push_back(Json { { "path", "/d1" }, { "model", "virtio" } });
    std::set<std::string> const files { ZONEPATH + "/root/inst.iso" };
    auto plan
        = qemu_plan(vm, *parse_start_options({ "cdrom=/inst.iso,ahci" }), host_for(vm, files));
    ASSERT_TRUE(plan.has_value()) << plan.error().message();
    auto const devices = values_of(plan->argv, "-device");
    EXPECT_EQ(devices[0], "virtio-blk-pci,drive=disk0,addr=4.0,bootindex=0");
    EXPECT_EQ(devices[1], "virtio-blk-pci,drive=disk1,addr=5.0");
    EXPECT_EQ(devices[2], "ahci,id=ahci2,addr=3.0");
}

TEST(QemuPlanBhyve, RefusesPciSlotsQemuCannotUseAndTwoDevicesInOne)
{
    Json vm = bhyve_vm();
    for (std::string const slot : { "1:4:0", "0:1:0", "0:0:0", "0:32:0", "0:4:8", "4:x", "-4" }) {
        vm["disks"][0]["pci_slot"] = slot;
        EXPECT_EQ(plan_error(vm).message(),
            "disks.0.pci_slot \"" + slot + "\" is not a PCI slot QEMU can use");
    }
    vm["disks"][0]["pci_slot"] = "6:0";
    EXPECT_EQ(plan_error(vm).message(), "nics.0 and disks.0 are both in PCI slot 6 function 0");
}

TEST(QemuPlanBhyve, NicsNeedExactlyOnePrimary)
{
    Json vm = bhyve_vm();
    vm["nics"][0]["primary"] = false;
    EXPECT_EQ(plan_error(vm).message(), "no primary net has been specified");
    vm["nics"][0]["primary"] = true;
    vm["nics"].push_back(Json { { "mac", "02:08:20:00:00:02" }, { "primary", true } });
    EXPECT_EQ(plan_error(vm).message(), "multiple primary nets: nics.0 nics.1");
}

TEST(QemuPlanBhyve, UefiBootsOvmfFromTwoPflashDrives)
{
    Json vm = bhyve_vm();
    vm["bootrom"] = "uefi";
    QemuHost host = host_for(vm);
    EXPECT_EQ(plan_error(vm, {}, host).code(), ErrorCode::Unsupported);
    host.ovmf_code = "/usr/share/OVMF/OVMF_CODE_4M.fd";
    host.ovmf_vars = ZONEPATH + "/root/tmp/OVMF_VARS.fd";
    auto plan = qemu_plan(vm, {}, host);
    ASSERT_TRUE(plan.has_value()) << plan.error().message();
    auto const drives = values_of(plan->argv, "-drive");
    EXPECT_EQ(
        drives[0], "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd");
    EXPECT_EQ(drives[1], "if=pflash,format=raw,unit=1,file=" + ZONEPATH + "/root/tmp/OVMF_VARS.fd");
    vm["bootrom"] = "bios";
    EXPECT_EQ(values_of(plan_of(vm).argv, "-drive").size(), 1U); // SeaBIOS: QEMU's own
}

TEST(QemuPlanBhyve, RefusesWhatHasNoQemuEquivalentNamingTheProperty)
{
    Json vm = bhyve_vm();
    vm["pci_devices"] = Json::array(
        { Json { { "path", "/devices/pci@0,0/pci8086,1@1" }, { "pci_slot", "0:7:0" } } });
    auto error = plan_error(vm);
    EXPECT_EQ(error.code(), ErrorCode::Unsupported);
    EXPECT_EQ(error.message().rfind("pci_devices cannot be used", 0), 0U);
    vm = bhyve_vm();
    vm["bhyve_extra_opts"] = "-s 9,virtio-rnd";
    EXPECT_EQ(plan_error(vm).message().rfind("bhyve_extra_opts cannot be used", 0), 0U);
    vm = bhyve_vm();
    vm["bootrom"] = "/uefi-debug.bin";
    error = plan_error(vm);
    EXPECT_EQ(error.code(), ErrorCode::Unsupported);
    EXPECT_EQ(error.message().rfind("bootrom \"/uefi-debug.bin\" cannot be used", 0), 0U);
}

TEST(QemuPlanBhyve, VncPortMinusOneMeansNoFramebufferAtAll)
{
    Json vm = bhyve_vm();
    vm["vnc_port"] = -1;
    vm["vnc_password"] = "s3cret";
    QemuPlan const plan = plan_of(vm);
    EXPECT_FALSE(has(plan.argv, "-vnc"));
    EXPECT_EQ(plan.vnc, "");
    EXPECT_EQ(plan.vnc_password, "");
    EXPECT_EQ(value_of(plan.argv, "-vga"), "none");
    auto const devices = values_of(plan.argv, "-device");
    EXPECT_TRUE(std::none_of(devices.begin(), devices.end(),
        [](std::string const& device) { return device.rfind("VGA", 0) == 0; }));
}

TEST(QemuPlanBhyve, NotrimAndGuestBlockSizeReachTheVirtioDisk)
{
    Json vm = bhyve_vm();
    vm["disks"][0]["notrim"] = true;
    vm["disks"][0]["guest_block_size"] = "512/4096";
    QemuPlan const plan = plan_of(vm);
    EXPECT_EQ(values_of(plan.argv, "-drive")[0],
        "file=/pool/" + UUID + "-disk0,if=none,id=disk0,format=raw,cache=none,discard=ignore");
    EXPECT_EQ(values_of(plan.argv, "-device")[0],
        "virtio-blk-pci,drive=disk0,addr=4.0,discard=off,logical_block_size=512,"
        "physical_block_size=4096,bootindex=0");
    vm["disks"][0]["guest_block_size"] = "500";
    EXPECT_EQ(plan_error(vm).code(), ErrorCode::InvalidArgument);
}

TEST(QemuPlanBhyve, TcgGetsEveryCpuFeatureItEmulates)
{
    Json const vm = bhyve_vm();
    QemuHost host = host_for(vm);
    host.accelerator = Accelerator::Tcg;
    auto plan = qemu_plan(vm, {}, host);
    ASSERT_TRUE(plan.has_value());
    EXPECT_EQ(value_of(plan->argv, "-cpu"), "max");
}

} // namespace
} // namespace lumos::runtime
