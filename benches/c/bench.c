/* The C side of `make c-bench`: the per-call cost of the C API on the workloads of
 * benches/c_api.rs, timed with the same plain loop. Given the Rust core's figures as
 * arguments (nanoseconds per call), it prints both and their ratio. `make c-bench` runs it
 * twice: linked with the shared library, and linked with cross-language LTO (see the
 * Makefile), where the calls are inlined into these loops. */
#define _POSIX_C_SOURCE 199309L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratecell.h"

#define GCRA_CALLS 10000000ull
#define KEYED_CALLS 2000000ull
#define RUNS 5
#define KEYS 1000
#define MAX_KEYS 4096
#define STEP_NS 100000ull

static volatile uint64_t sink;

/* What Rust's `std::hint::black_box` does, which the Rust side applies to every input and
 * decision: `x` is stored, and its address handed to code the optimiser cannot see, which may
 * read and write any memory. Where the call is inlined (cross-language LTO), the check can then
 * neither be specialised for a constant cost or instant nor skip the fields of the decision
 * this loop does not read. GNU C (GCC, Clang). */
#define BLACK_BOX(x) __asm__ volatile("" : : "r"(&(x)) : "memory")

/* This thread's CPU time: other processes on a shared machine do not inflate it. */
static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void must(ratecell_status status, const char *what) {
  if (status != RATECELL_STATUS_OK) {
    fprintf(stderr, "%s: %s\n", what, ratecell_status_str(status));
    exit(1);
  }
}

static ratecell_gcra policy(void) {
  ratecell_quota q;
  ratecell_gcra g;
  must(ratecell_quota_parse("100/minute burst 120", &q, NULL), "quota");
  must(ratecell_gcra_init(&q, &g), "policy");
  return g;
}

/* One cell: half an emission interval (300 ms) between calls, so half are admitted. */
static double gcra_check(void) {
  ratecell_gcra gcra = policy();
  double best = 1e30;
  for (int run = 0; run < RUNS; run++) {
    ratecell_gcra_state state = {0};
    ratecell_decision d;
    uint64_t admitted = 0;
    double start = seconds();
    for (uint64_t i = 0; i < GCRA_CALLS; i++) {
      uint64_t now = i * 300000000ull, cost = 1;
      BLACK_BOX(now);
      BLACK_BOX(cost);
      ratecell_gcra_check(&gcra, &state, now, cost, &d);
      BLACK_BOX(d);
      admitted += d.allowed;
    }
    double ns = (seconds() - start) * 1e9 / (double)GCRA_CALLS;
    sink = admitted + state.opaque;
    if (ns < best) best = ns;
  }
  return best;
}

/* A thread-safe store of byte-string keys: 1000 keys in turn, 100 us apart, so that each key
 * comes back before it is fresh and stays stored. */
static double keyed_check(void) {
  static char keys[KEYS][16];
  for (int k = 0; k < KEYS; k++) snprintf(keys[k], sizeof keys[k], "api-key-%04d", k);
  ratecell_gcra gcra = policy();
  double best = 1e30;
  for (int run = 0; run < RUNS; run++) {
    ratecell_keyed *store = NULL;
    must(ratecell_keyed_new_gcra(&gcra, MAX_KEYS, RATECELL_WHEN_FULL_FAIL_CLOSED, &store), "store");
    ratecell_keyed_decision d;
    uint64_t admitted = 0;
    double start = seconds();
    for (uint64_t i = 0; i < KEYED_CALLS; i++) {
      const char *key = keys[i % KEYS];
      uint64_t now = i * STEP_NS, cost = 1;
      BLACK_BOX(key);
      BLACK_BOX(now);
      BLACK_BOX(cost);
      ratecell_keyed_check(store, (const uint8_t *)key, 12, now, cost, &d);
      BLACK_BOX(d);
      admitted += d.decision.allowed;
    }
    double ns = (seconds() - start) * 1e9 / (double)KEYED_CALLS;
    sink = admitted;
    if (ns < best) best = ns;
    must(ratecell_keyed_free(store), "free");
  }
  return best;
}

static void row(const char *name, double c, const char *rust_arg) {
  if (rust_arg == NULL) {
    printf("  %-34s %8.2f\n", name, c);
    return;
  }
  double rust = strtod(rust_arg, NULL);
  printf("  %-34s %8.2f %8.2f %7.2fx\n", name, c, rust, rust > 0 ? c / rust : 0.0);
}

int main(int argc, char **argv) {
  double gcra = gcra_check(), keyed = keyed_check();
  const char *rust_gcra = argc > 2 ? argv[1] : NULL, *rust_keyed = argc > 2 ? argv[2] : NULL;
  const char *rust_called = argc > 3 ? argv[3] : NULL;
  printf("ratecell %s, nanoseconds of CPU time per call (the fastest of %d runs)\n",
         ratecell_version(), RUNS);
  printf("  %-34s %8s %8s %8s\n", "workload", "C API", rust_gcra ? "Rust" : "", rust_gcra ? "C/Rust" : "");
  row("gcra_check, one caller-owned state", gcra, rust_gcra);
  if (rust_called != NULL) row("  against a Rust call, not inlined", gcra, rust_called);
  row("keyed_check, 1000 stored keys", keyed, rust_keyed);
  return 0;
}
