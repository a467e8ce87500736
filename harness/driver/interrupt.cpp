#include "driver/interrupt.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace bb {

namespace {

std::atomic<int> g_signal{0};
std::atomic<long long> g_first_ns{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<long long>::is_always_lock_free,
              "the handler stores into them");

long long now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);  // async-signal-safe
  return t.tv_sec * 1000000000ll + t.tv_nsec;
}

extern "C" void on_interrupt(int sig) {
  int none = 0;
  if (!g_signal.compare_exchange_strong(none, sig)) {
    // Ctrl-C reaches a wrapper script and this process both, and the wrapper forwards it: a
    // repeat within 2 s is that same interrupt. A later one ends the process at once.
    if (now_ns() - g_first_ns.load() < 2000000000ll) return;
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_first_ns.store(now_ns());
  static const char msg[] = "\nbridge_bench: signal received: finishing the current config, then writing what was "
                            "measured (a second signal ends it at once)\n";
  const ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);  // async-signal-safe
  (void)w;
}

}  // namespace

void catch_interrupts() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // a blocking call in progress goes on; the flag is read between configs
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return true;
  }();
  (void)installed;
}

int interrupt_signal() { return g_signal.load(); }

std::string signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
}

}  // namespace bb
