// SPDX-License-Identifier: MPL-2.0
// zinit: PID 1 of joyent-brand zones (DESIGN.md). It
//   - reaps every child (orphans are re-parented to it);
//   - performs the provisioning handshake: when /var/svc/provisioning exists, it is renamed to
//     /var/svc/provision_success once the services started, or provision_failure when one
//     could not be started (vmadm waits for that rename, reference 1.2);
//   - starts the services the image declares: each regular file in /etc/zinit/services is a
//     shell command line run with /bin/sh -c (in name order), restarted when it exits unless
//     the file's name ends in ".once";
//   - on SIGTERM, SIGINT or SIGPWR (what a stop or a halt from inside sends PID 1) stops
//     everything: SIGTERM and SIGHUP to all processes, SIGKILL to what is left after
//     ZINIT_STOP_TIMEOUT seconds (default 10), then exits 0. PID 1 ignores signals it has no
//     handler for, so every one of these is handled.
//   - runs the VM's operator-script and user-script once per boot, after the provisioning
//     handshake and in the background (neither blocks the zone or its provisioning), as
//     SmartOS's mdata:fetch and mdata:execute services do: fetched with mdata-get into
//     /var/svc/mdata-operator-script and /var/svc/mdata-user-script, run, their output appended
//     to /var/svc/log/mdata-execute.log (/.lumos/bin/mdata-execute, where the host binds it).
// Arguments, if any, are run as one more service (once), for tests and one-shot zones: when it
// has exited and nothing else runs, zinit exits with its status.
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <dirent.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Service {
    std::string name;
    std::vector<std::string> argv;
    bool restart { true };
    pid_t pid { -1 };
    int status { 0 }; // of its last exit, as the shell reports it
    std::chrono::steady_clock::time_point started;
};

void log(std::string const& message)
{
    std::string line = "zinit: " + message + "\n";
    [[maybe_unused]] ssize_t const written = ::write(STDERR_FILENO, line.data(), line.size());
}

pid_t spawn(Service& service, sigset_t const& blocked)
{
    pid_t pid = ::fork();
    if (pid == 0) {
        ::sigprocmask(SIG_UNBLOCK, &blocked, nullptr);
        ::setsid();
        std::vector<char*> argv;
        for (auto& arg : service.argv) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        (void)std::fprintf(stderr, "zinit: %s: cannot run %s: %s\n", service.name.c_str(), argv[0],
            std::strerror(errno));
        ::_exit(127);
    }
    service.pid = pid;
    service.started = std::chrono::steady_clock::now();
    return pid;
}

std::vector<Service> declared_services()
{
    std::vector<Service> services;
    std::string const dir = "/etc/zinit/services";
    DIR* stream = ::opendir(dir.c_str());
    if (stream == nullptr) {
        return services;
    }
    std::map<std::string, std::string> files;
    while (dirent* entry = ::readdir(stream)) {
        std::string name = entry->d_name;
        if (name.empty() || name[0] == '.') {
            continue;
        }
        std::string path = dir + "/" + name;
        struct stat st { };
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        FILE* file = std::fopen(path.c_str(), "r");
        if (file == nullptr) {
            continue;
        }
        std::string command;
        char buffer[4096];
        size_t got = 0;
        while ((got = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
            command.append(buffer, got);
        }
        (void)std::fclose(file);
        while (!command.empty() && (command.back() == '\n' || command.back() == ' ')) {
            command.pop_back();
        }
        if (!command.empty()) {
            files[name] = command;
        }
    }
    ::closedir(stream);
    for (auto const& [name, command] : files) {
        Service service;
        service.name = name;
        service.argv = { "/bin/sh", "-c", command };
        service.restart = !(name.size() > 5 && name.compare(name.size() - 5, 5, ".once") == 0);
        services.push_back(std::move(service));
    }
    return services;
}

bool exists(char const* path)
{
    struct stat st { };
    return ::lstat(path, &st) == 0;
}

int stop_timeout_seconds()
{
    char const* value = std::getenv("ZINIT_STOP_TIMEOUT");
    int seconds = value != nullptr ? static_cast<int>(std::strtol(value, nullptr, 10)) : 10;
    return seconds > 0 ? seconds : 10;
}

// Reaps what has exited; restarts services that should run (not within a second of their
// last start, so that a crashing service does not spin).
void reap(std::vector<Service>& services, bool stopping, sigset_t const& blocked)
{
    for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) {
            return;
        }
        for (auto& service : services) {
            if (service.pid != pid) {
                continue;
            }
            service.pid = -1;
            service.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            if (!stopping && service.restart) {
                auto since = std::chrono::steady_clock::now() - service.started;
                if (since < std::chrono::seconds(1)) {
                    ::sleep(1);
                }
                log("restarting " + service.name);
                spawn(service, blocked);
            }
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    sigset_t blocked;
    sigemptyset(&blocked);
    for (int signal : { SIGCHLD, SIGTERM, SIGINT, SIGPWR, SIGHUP }) {
        sigaddset(&blocked, signal);
    }
    ::sigprocmask(SIG_BLOCK, &blocked, nullptr);
    int signals = ::signalfd(-1, &blocked, SFD_CLOEXEC);
    if (signals < 0) {
        log(std::string("signalfd: ") + std::strerror(errno));
        return 1;
    }

    std::vector<Service> services = declared_services();
    if (argc > 1) {
        Service command;
        command.name = "command";
        command.argv.assign(argv + 1, argv + argc);
        command.restart = false;
        services.push_back(std::move(command));
    }
    bool all_started = true;
    for (auto& service : services) {
        if (spawn(service, blocked) < 0) {
            all_started = false;
        }
    }
    if (exists("/var/svc/provisioning")) {
        char const* outcome
            = all_started ? "/var/svc/provision_success" : "/var/svc/provision_failure";
        if (::rename("/var/svc/provisioning", outcome) != 0) {
            log(std::string("provisioning handshake: ") + std::strerror(errno));
        }
    }
    if (exists("/.lumos/bin/mdata-execute")) {
        Service scripts;
        scripts.name = "mdata-execute";
        scripts.argv = { "/bin/sh", "/.lumos/bin/mdata-execute" };
        scripts.restart = false;
        if (spawn(scripts, blocked) < 0) {
            log("cannot run the metadata scripts");
        }
        services.insert(services.begin(), std::move(scripts)); // the command stays last
    }

    bool stopping = false;
    std::chrono::steady_clock::time_point deadline;
    for (;;) {
        pollfd fd { signals, POLLIN, 0 };
        int timeout_ms = -1;
        if (stopping) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
        }
        int ready = ::poll(&fd, 1, timeout_ms);
        if (ready < 0 && errno != EINTR) {
            log(std::string("poll: ") + std::strerror(errno));
            return 1;
        }
        if (ready > 0) {
            signalfd_siginfo info {};
            if (::read(signals, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
                int const signal = static_cast<int>(info.ssi_signo);
                if (signal != SIGCHLD && signal != SIGHUP && !stopping) {
                    log("stopping");
                    stopping = true;
                    deadline = std::chrono::steady_clock::now()
                        + std::chrono::seconds(stop_timeout_seconds());
                    // SIGHUP too, as init does at shutdown: interactive shells (the console's)
                    // ignore SIGTERM.
                    ::kill(-1, SIGTERM);
                    ::kill(-1, SIGHUP);
                    ::kill(-1, SIGCONT);
                }
            }
        }
        reap(services, stopping, blocked);
        // One-shot zones end with their command when nothing restarts.
        bool running = false;
        for (auto const& service : services) {
            running = running || service.pid > 0;
        }
        if (stopping || (!running && argc > 1)) {
            errno = 0;
            bool const children = ::waitpid(-1, nullptr, WNOHANG) == 0 || errno != ECHILD;
            if (!children && (stopping || !running)) {
                return stopping || argc <= 1 ? 0 : services.back().status;
            }
            if (stopping && std::chrono::steady_clock::now() >= deadline) {
                ::kill(-1, SIGKILL);
                while (::waitpid(-1, nullptr, 0) > 0) {
                }
                return 0;
            }
        }
    }
}
