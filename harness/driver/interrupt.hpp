#pragma once
// SIGINT and SIGTERM (Ctrl-C, `timeout`, Slurm's time limit) do not end a sweep on the spot:
// they are noted, the config being measured finishes, and the sweep stops at the next config
// boundary and writes what it measured (aborted.rule "interrupted", exit 128 + the signal).
// A second signal ends the process at once (the default action), for a config that hangs; a
// repeat within 2 s of the first counts as the same one (a wrapper forwarding Ctrl-C).
#include <string>

namespace bb {

// Installs the handlers (once; later calls do nothing).
void catch_interrupts();
// The first signal received since catch_interrupts (SIGINT or SIGTERM), or 0.
int interrupt_signal();
// "SIGINT" / "SIGTERM".
std::string signal_name(int sig);

}  // namespace bb
