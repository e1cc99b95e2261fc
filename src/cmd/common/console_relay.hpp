// SPDX-License-Identifier: MPL-2.0
#pragma once

namespace lumos::cmd {

// How the user detaches: an OS zone's console at a line start with "~." or CTRL-] "." (zlogin
// -C's and vmadm console's); an HVM guest's serial console with CTRL-] alone, anywhere (vmadm
// console of a kvm VM, as SmartOS's socat relay takes it).
enum class ConsoleEscape { LineStartThenDot, CtrlBracket };

// Relays a console connection and a terminal (or pipes) until the connection ends, the input
// ends (after a short drain of the guest's output), or the user types the escape. Puts a
// terminal in raw mode and back.
void relay_console(
    int connection, int in, int out, ConsoleEscape escape = ConsoleEscape::LineStartThenDot);

} // namespace lumos::cmd
