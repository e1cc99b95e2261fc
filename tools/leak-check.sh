#!/usr/bin/env bash
# SPDX-License-Identifier: MPL-2.0
# Records (snapshot FILE) or compares against (compare FILE) the kernel resources a test could
# leave behind: mounts, loop devices, network namespaces, lumos cgroups, temporary LUMOS_ROOTs,
# and zone processes (monitors, zinit).
set -euo pipefail
state() {
    echo "# mounts"; awk '{print $5}' /proc/self/mountinfo | sort
    echo "# loop devices"; for f in /sys/block/loop*/loop/backing_file; do if [ -e "$f" ]; then echo "$f $(cat "$f")"; fi; done | sort
    echo "# netns"; ls /run/netns 2>/dev/null | sort || true
    echo "# cgroups"; find /sys/fs/cgroup -maxdepth 3 -type d -name 'lumos*' 2>/dev/null | sort || true
    echo "# temp roots"; ls -d /tmp/lumos-test-* /tmp/lumos-acceptance-* 2>/dev/null | sort || true
    # Zone monitors and zones' zinit (zombies aside: a host whose PID 1 does not reap keeps them).
    echo "# zone processes"; ps -eo pid=,stat=,comm= | awk '$2 !~ /Z/ && ($3 == "lumos-zoned" || $3 == "zinit") { print $1, $3 }' | sort
}
case "${1:-}" in
snapshot) state > "$2" ;;
compare)
    if ! diff <(cat "$2") <(state) > /tmp/lumos-leak-diff.$$; then
        echo "resources leaked by the test suite (> new, < gone):"
        cat /tmp/lumos-leak-diff.$$
        rm -f /tmp/lumos-leak-diff.$$
        exit 1
    fi
    rm -f /tmp/lumos-leak-diff.$$
    echo "no leaked mounts, loop devices, namespaces, cgroups or temp roots"
    ;;
*) echo "usage: $0 snapshot|compare FILE" >&2; exit 2 ;;
esac
