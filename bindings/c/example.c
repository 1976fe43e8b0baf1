/* ratecell from C: the Free tier (100 requests/minute, bursts of 120) for one API key, with
 * the policy and the key's state in static memory and time passed in nanoseconds.
 *
 *   cc example.c $(pkg-config --cflags --libs ratecell)
 */
#include <inttypes.h>
#include <stdio.h>

#include "ratecell.h"

#define MS 1000000ull

static ratecell_gcra free_tier;       /* the compiled policy: immutable, shareable */
static ratecell_gcra_state api_key;   /* one key's state: 8 bytes, {0} is fresh */

static int fail(const char *what, ratecell_status status) {
  fprintf(stderr, "%s: %s\n", what, ratecell_status_str(status));
  return 1;
}

int main(void) {
  ratecell_quota quota;
  ratecell_status st = ratecell_quota_parse("100/minute burst 120", &quota, NULL);
  if (st != RATECELL_STATUS_OK) return fail("quota", st);
  st = ratecell_gcra_init(&quota, &free_tier);
  if (st != RATECELL_STATUS_OK) return fail("policy", st);

  printf("C: Free tier, %" PRIu64 "/minute burst %" PRIu64 ", 130 requests 10 ms apart\n",
         quota.limit, quota.burst);
  int admitted = 0, denied = 0;
  for (uint64_t i = 0; i < 130; i++) {
    uint64_t now_ns = i * 10 * MS;
    ratecell_decision d;
    st = ratecell_gcra_check(&free_tier, &api_key, now_ns, 1, &d);
    if (st != RATECELL_STATUS_OK) return fail("check", st);
    if (d.allowed) {
      admitted++;
    } else {
      denied++;
    }
    if (i % 20 == 0 || i >= 118) {
      printf("  t=%5.2fs  %-7s remaining=%-3" PRIu64 " retry_after=%.3fs  reset_after=%.3fs"
             "  X-RateLimit-Remaining: %" PRIu64 "%s\n",
             now_ns / 1e9, d.allowed ? "allowed" : "DENIED", d.remaining,
             d.retry_after_ns / 1e9, d.reset_after_ns / 1e9, d.remaining,
             d.allowed ? "" : "  -> 429");
    }
  }
  printf("  admitted %d, denied %d\n", admitted, denied);
  return 0;
}
