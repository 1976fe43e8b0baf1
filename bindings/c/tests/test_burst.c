/* Burst tiers through the C ABI: the published tiers (100/minute with bursts of 120 over a
 * 10 s window, and Pro, Team, Sandbox alike), caller-owned policy and state, errors. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_burst free_tier;
static ratecell_burst_state key;

static int admitted(const ratecell_burst *b, ratecell_burst_state *s, uint64_t now, int n) {
  int ok = 0;
  ratecell_decision d;
  for (int i = 0; i < n; i++) {
    CHECK_STATUS(ratecell_burst_check(b, s, now, 1, &d), RATECELL_STATUS_OK);
    ok += d.allowed;
  }
  return ok;
}

static void test_the_free_tier_bursts_twenty_then_paces_at_the_peak_rate(void) {
  ratecell_quota q;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &free_tier), RATECELL_STATUS_OK);
  /* 120 a minute over 10 s is 20 at one instant. */
  CHECK(admitted(&free_tier, &key, 0, 100) == 20);
  CHECK_STATUS(ratecell_burst_check(&free_tier, &key, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.limit == 20 && d.remaining == 0);
  CHECK(d.retry_after_ns == 500 * MS); /* one request at 120 a minute */
  CHECK(d.reset_after_ns == 12 * SEC); /* twenty requests at 100 a minute */
  CHECK(admitted(&free_tier, &key, 500 * MS - 1, 1) == 0);
  CHECK(admitted(&free_tier, &key, 500 * MS, 1) == 1);
}

static void test_a_greedy_client_gets_exactly_the_sustained_bucket_and_rate(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_burst_state s = {{0}};
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
  /* Coming back exactly when told, for ten minutes: never more than the sustained bucket
   * (100) plus 100 a minute, and not one fewer. */
  uint64_t t = 0;
  int ok = 0;
  while (t <= 600 * SEC) {
    CHECK_STATUS(ratecell_burst_check(&b, &s, t, 1, &d), RATECELL_STATUS_OK);
    if (d.allowed) {
      ok++;
    } else {
      t += d.retry_after_ns;
    }
  }
  CHECK(ok == 100 + 1000); /* the sustained bucket, then 100 a minute; the last at 600 s */
}

static void test_every_published_tier_bursts_a_sixth_of_its_peak_minute(void) {
  const char *tiers[] = {"50/minute burst 60", "100/minute burst 120", "1000/minute burst 1200",
                         "5000/minute burst 6000"};
  const int bursts[] = {10, 20, 200, 1000};
  for (size_t i = 0; i < 4; i++) {
    ratecell_quota q;
    ratecell_burst b;
    ratecell_burst_state s = {{0}};
    CHECK_STATUS(ratecell_quota_parse(tiers[i], &q, NULL), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
    CHECK(admitted(&b, &s, 7 * SEC, bursts[i] + 5) == bursts[i]);
  }
}

static void test_peek_reset_and_freshness(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_burst_state s = {{0}};
  ratecell_decision d;
  bool fresh = false;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_check(&b, &s, 0, 5, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 15);
  ratecell_burst_state before = s;
  CHECK_STATUS(ratecell_burst_peek(&b, &s, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 15 && memcmp(&s, &before, sizeof s) == 0);
  CHECK_STATUS(ratecell_burst_is_fresh(&b, &s, 3 * SEC - 1, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_burst_is_fresh(&b, &s, 3 * SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_burst_reset(&s), RATECELL_STATUS_OK);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0);
  CHECK_STATUS(ratecell_burst_check(&b, &s, 0, 21, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0);
}

static void test_unusable_tiers_are_refused(void) {
  ratecell_quota q;
  ratecell_burst b;
  CHECK_STATUS(ratecell_quota_parse("60/minute", &q, NULL), RATECELL_STATUS_OK);
  /* Shorter than one request at the burst rate: the peak bucket could hold nothing. */
  CHECK_STATUS(ratecell_burst_init(&q, 999 * MS, &b), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_burst_init(&q, 0, &b), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_burst_init(&q, SEC, &b), RATECELL_STATUS_OK);
  ratecell_quota zero_burst = {60, 60 * SEC, 0};
  CHECK_STATUS(ratecell_burst_init(&zero_burst, SEC, &b), RATECELL_STATUS_INVALID_QUOTA);
  ratecell_quota zero_limit = {0, 60 * SEC, 60};
  CHECK_STATUS(ratecell_burst_init(&zero_limit, SEC, &b), RATECELL_STATUS_INVALID_QUOTA);
}

static void test_extreme_times_and_states_never_fail(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("7/minute burst 9", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 60 * SEC, &b), RATECELL_STATUS_OK);
  uint64_t values[] = {0, 1, UINT64_MAX / 7, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < 5; i++) {
    for (size_t j = 0; j < 5; j++) {
      ratecell_burst_state s = {{values[i], values[j]}};
      for (size_t k = 0; k < 5; k++) {
        CHECK_STATUS(ratecell_burst_check(&b, &s, values[k], 1, &d), RATECELL_STATUS_OK);
        CHECK_STATUS(ratecell_burst_peek(&b, &s, values[k], &d), RATECELL_STATUS_OK);
      }
    }
  }
}

static void test_null_zeroed_and_tampered_arguments_are_statuses(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_burst zero = {{0}};
  ratecell_burst_state s = {{0}};
  ratecell_decision d;
  bool f;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(NULL, SEC, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_init(&q, SEC, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_check(&b, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_check(&b, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_peek(&b, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_peek(&b, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_is_fresh(NULL, &s, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_is_fresh(&b, NULL, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_is_fresh(&b, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_burst_check(&zero, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  /* Any of the thirteen words altered so that the buckets disagree is refused. */
  size_t words[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    ratecell_burst tampered = b;
    tampered.opaque[words[i]] = words[i] == 1 || words[i] == 7 ? b.opaque[words[i]] + 1 : 0;
    CHECK_STATUS(ratecell_burst_check(&tampered, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  }
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0);
}

int main(void) {
  test_the_free_tier_bursts_twenty_then_paces_at_the_peak_rate();
  test_a_greedy_client_gets_exactly_the_sustained_bucket_and_rate();
  test_every_published_tier_bursts_a_sixth_of_its_peak_minute();
  test_peek_reset_and_freshness();
  test_unusable_tiers_are_refused();
  test_extreme_times_and_states_never_fail();
  test_null_zeroed_and_tampered_arguments_are_statuses();
  return SUMMARY("test_burst");
}
