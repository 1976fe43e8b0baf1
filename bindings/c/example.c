/* ratecell from C: the Free tier (100 requests/minute, bursts of 120) for one API key, with
 * the policy and the key's state in static memory and time passed in nanoseconds, then the
 * response a server sends with the first denial: headers in two styles and the 429 body.
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

/* Prints the response fields for `d` in `style`, and the 429 body when `d` is a denial.
 * `unix_now_ns` is the wall-clock time of the decision (for X-RateLimit-Reset, reset_at). */
static int print_response(const ratecell_quota *quota, const ratecell_decision *d,
                          uint32_t style, uint64_t unix_now_ns) {
  ratecell_header_policy policy;
  ratecell_status st = ratecell_header_policy_init("free", quota, d, &policy);
  if (st != RATECELL_STATUS_OK) return fail("header policy", st);
  ratecell_headers headers = {
      .style = style, .policies = &policy, .policy_count = 1,
      .has_unix_now = true, .unix_now_ns = unix_now_ns,
  };
  char buf[512];
  size_t len = 0;
  st = ratecell_headers_write(&headers, buf, sizeof buf, &len);
  if (st != RATECELL_STATUS_OK) return fail("headers", st);
  printf("%s", buf);
  if (!d->allowed) {
    st = ratecell_rate_limit_exceeded_write(&headers, NULL, buf, sizeof buf, &len);
    if (st != RATECELL_STATUS_OK) return fail("429 body", st);
    printf("  body: %s\n", buf);
  }
  return 0;
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
  ratecell_decision first_denial = {0};
  uint64_t first_denial_ns = 0;
  for (uint64_t i = 0; i < 130; i++) {
    uint64_t now_ns = i * 10 * MS;
    ratecell_decision d;
    st = ratecell_gcra_check(&free_tier, &api_key, now_ns, 1, &d);
    if (st != RATECELL_STATUS_OK) return fail("check", st);
    if (d.allowed) {
      admitted++;
    } else {
      if (denied++ == 0) {
        first_denial = d;
        first_denial_ns = now_ns;
      }
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
  /* The server's clock said 2026-01-01T00:00:00Z when the example started. */
  const uint64_t unix_start_ns = 1767225600ull * 1000000000ull;
  printf("C: the first denial's response, IETF style (429)\n");
  if (print_response(&quota, &first_denial, RATECELL_HEADER_STYLE_IETF,
                     unix_start_ns + first_denial_ns))
    return 1;
  printf("C: the same, legacy X-RateLimit-* style\n");
  if (print_response(&quota, &first_denial, RATECELL_HEADER_STYLE_LEGACY,
                     unix_start_ns + first_denial_ns))
    return 1;
  return 0;
}
