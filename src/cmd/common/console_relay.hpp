// SPDX-License-Identifier: MPL-2.0
#pragma once

namespace lumos::cmd {

// Relays a console connection and a terminal (or pipes) until the connection ends, the input
// ends (after a short drain of the zone's output), or the user types the escape: Enter, CTRL-]
// and "." (zlogin -C's "~." with vmadm console's CTRL-]). Puts a terminal in raw mode and back.
void relay_console(int connection, int in, int out);

} // namespace lumos::cmd
