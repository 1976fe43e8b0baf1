/* GCRA through the C ABI: the seeds' Free tier, exact retry_after, caller-owned state in a
 * static, errors and NULL arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

/* The policy and one key's state live in static memory: nothing here allocates. */
static ratecell_gcra free_tier;
static ratecell_gcra_state key;

static void test_free_tier_admits_exactly_the_burst(void) {
  ratecell_quota q;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &free_tier), RATECELL_STATUS_OK);
  ratecell_decision d;
  int admitted = 0;
  for (int i = 0; i < 130; i++) {
    CHECK_STATUS(ratecell_gcra_check(&free_tier, &key, 5 * SEC, 1, &d), RATECELL_STATUS_OK);
    admitted += d.allowed;
  }
  CHECK(admitted == 120);
  CHECK(!d.allowed);
  CHECK(d.limit == 120);
  CHECK(d.remaining == 0);
  CHECK(d.retry_after_ns == 600000000ull); /* one emission interval: 60 s / 100 */
  CHECK(d.reset_after_ns == 72 * SEC);     /* 120 * 0.6 s */
}

static void test_retry_after_is_exact(void) {
  ratecell_decision d;
  ratecell_gcra_state early = key, on_time = key;
  uint64_t now = 5 * SEC;
  CHECK_STATUS(ratecell_gcra_peek(&free_tier, &key, now, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  uint64_t at = now + 600000000ull;
  CHECK_STATUS(ratecell_gcra_check(&free_tier, &early, at - 1, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed);
  CHECK(d.retry_after_ns == 1);
  CHECK_STATUS(ratecell_gcra_check(&free_tier, &on_time, at, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed);
}

static void test_seven_per_minute_is_exact(void) {
  ratecell_quota q;
  ratecell_gcra g;
  ratecell_gcra_state s = {0};
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_init(7, 60 * SEC, 7, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  /* A greedy client that comes back exactly at retry_after: the burst of 7 at once, then one
   * every 60/7 s, the 14th at exactly 60 s. No drift, not one too many. */
  int admitted = 0;
  uint64_t t = 0, last = 0;
  while (t <= 60 * SEC) {
    CHECK_STATUS(ratecell_gcra_check(&g, &s, t, 1, &d), RATECELL_STATUS_OK);
    if (d.allowed) {
      admitted++;
      last = t;
    } else {
      if (t == 0) {
        CHECK(d.retry_after_ns == 8571428572ull); /* 60/7 s rounded up to whole ns */
      }
      t += d.retry_after_ns;
    }
  }
  CHECK(admitted == 14);
  CHECK(last == 60 * SEC);
}

static void test_cost_above_capacity_is_an_error_that_changes_nothing(void) {
  ratecell_quota q;
  ratecell_gcra g;
  ratecell_gcra_state s = {0};
  ratecell_decision d;
  memset(&d, 0xAB, sizeof d);
  ratecell_decision untouched = d;
  CHECK_STATUS(ratecell_quota_init(5, SEC, 5, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_check(&g, &s, 0, 6, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  CHECK(memcmp(&d, &untouched, sizeof d) == 0); /* outputs are written only on success */
  CHECK(s.opaque == 0);
  CHECK_STATUS(ratecell_gcra_check(&g, &s, 0, 5, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed);
  bool fresh = true;
  CHECK_STATUS(ratecell_gcra_is_fresh(&g, &s, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_gcra_is_fresh(&g, &s, SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_gcra_reset(&s), RATECELL_STATUS_OK);
  CHECK(s.opaque == 0);
}

static void test_extreme_times_never_fail(void) {
  ratecell_quota q;
  ratecell_gcra g;
  ratecell_gcra_state s = {0};
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("7/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  uint64_t times[] = {UINT64_MAX, UINT64_MAX - 1, 0, UINT64_MAX / 2};
  for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
    CHECK_STATUS(ratecell_gcra_check(&g, &s, times[i], 1, &d), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_gcra_peek(&g, &s, times[i], &d), RATECELL_STATUS_OK);
  }
}

static void test_null_and_uninitialised_arguments_are_statuses(void) {
  ratecell_quota q;
  ratecell_gcra g;
  ratecell_gcra zero = {{0}};
  ratecell_gcra_state s = {0};
  ratecell_decision d;
  bool b;
  CHECK_STATUS(ratecell_quota_init(1, SEC, 1, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(NULL, &g), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_init(&q, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_check(&g, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_check(&g, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_peek(&g, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_peek(&g, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_is_fresh(NULL, &s, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_is_fresh(&g, NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_gcra_is_fresh(&g, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  /* A policy that ratecell_gcra_init never filled is rejected, not trusted. */
  CHECK_STATUS(ratecell_gcra_check(&zero, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_gcra tampered = g;
  tampered.opaque[5] += 1;
  CHECK_STATUS(ratecell_gcra_check(&tampered, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_quota bad = {0, SEC, 1};
  CHECK_STATUS(ratecell_gcra_init(&bad, &g), RATECELL_STATUS_INVALID_QUOTA);
}

int main(void) {
  test_free_tier_admits_exactly_the_burst();
  test_retry_after_is_exact();
  test_seven_per_minute_is_exact();
  test_cost_above_capacity_is_an_error_that_changes_nothing();
  test_extreme_times_never_fail();
  test_null_and_uninitialised_arguments_are_statuses();
  return SUMMARY("test_gcra");
}
