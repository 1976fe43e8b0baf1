/* Sliding window counters through the C ABI: the previous window weighed in, exact
 * retry_after, caller-owned policy and state, errors and NULL arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static ratecell_sliding_window per_minute;
static ratecell_sliding_window_state key;

static void test_the_previous_window_is_weighed_in(void) {
  ratecell_quota q;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("100/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &per_minute), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_check(&per_minute, &key, 30 * SEC, 100, &d),
               RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0 && d.limit == 100);
  /* 15 s into the next minute three quarters of the previous one still count: 25 fit. */
  CHECK_STATUS(ratecell_sliding_window_peek(&per_minute, &key, 75 * SEC, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 25);
  /* 30 must wait until the estimate is 70: 18 s into the minute, exactly. */
  CHECK_STATUS(ratecell_sliding_window_check(&per_minute, &key, 75 * SEC, 30, &d),
               RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == 3 * SEC);
  ratecell_sliding_window_state early = key;
  CHECK_STATUS(ratecell_sliding_window_check(&per_minute, &early, 78 * SEC - 1, 30, &d),
               RATECELL_STATUS_OK);
  CHECK(!d.allowed);
  CHECK_STATUS(ratecell_sliding_window_check(&per_minute, &key, 78 * SEC, 30, &d),
               RATECELL_STATUS_OK);
  CHECK(d.allowed);
}

static void test_both_windows_must_pass_before_the_key_is_fresh(void) {
  ratecell_quota q;
  ratecell_sliding_window w;
  ratecell_sliding_window_state s = {{0}};
  ratecell_decision d;
  bool fresh = false;
  CHECK_STATUS(ratecell_quota_init(10, 10 * SEC, 10, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_check(&w, &s, 5 * SEC, 4, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.reset_after_ns == 15 * SEC); /* the start of the window after next */
  CHECK_STATUS(ratecell_sliding_window_is_fresh(&w, &s, 20 * SEC - 1, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_sliding_window_is_fresh(&w, &s, 20 * SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_sliding_window_reset(&s), RATECELL_STATUS_OK);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0 && s.opaque[2] == 0);
  CHECK_STATUS(ratecell_sliding_window_check(&w, &s, 0, 11, &d),
               RATECELL_STATUS_INSUFFICIENT_CAPACITY);
}

static void test_extreme_times_and_states_never_fail(void) {
  ratecell_quota q;
  ratecell_sliding_window w;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("7/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &w), RATECELL_STATUS_OK);
  uint64_t values[] = {0, 1, 7, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < 5; i++) {
    for (size_t j = 0; j < 5; j++) {
      ratecell_sliding_window_state s = {{values[i], values[j], values[4 - j]}};
      for (size_t k = 0; k < 5; k++) {
        CHECK_STATUS(ratecell_sliding_window_check(&w, &s, values[k], 1, &d), RATECELL_STATUS_OK);
        CHECK_STATUS(ratecell_sliding_window_peek(&w, &s, values[k], &d), RATECELL_STATUS_OK);
      }
    }
  }
}

static void test_null_zeroed_and_tampered_arguments_are_statuses(void) {
  ratecell_quota q;
  ratecell_sliding_window w;
  ratecell_sliding_window zero = {{0}};
  ratecell_sliding_window_state s = {{0}};
  ratecell_decision d;
  memset(&d, 0x5A, sizeof d);
  ratecell_decision untouched = d;
  bool b;
  CHECK_STATUS(ratecell_quota_init(1, SEC, 1, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(NULL, &w), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_init(&q, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_check(&w, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_check(&w, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_peek(&w, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_peek(&w, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_is_fresh(NULL, &s, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_is_fresh(&w, NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_is_fresh(&w, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_check(&zero, &s, 0, 1, &d),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_window_is_fresh(&zero, &s, 0, &b),
               RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_sliding_window tampered = w;
  tampered.opaque[1] = 0; /* the period */
  CHECK_STATUS(ratecell_sliding_window_peek(&tampered, &s, 0, &d),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(memcmp(&d, &untouched, sizeof d) == 0);
  ratecell_quota bad = {0, SEC, 1};
  CHECK_STATUS(ratecell_sliding_window_init(&bad, &w), RATECELL_STATUS_INVALID_QUOTA);
}

int main(void) {
  test_the_previous_window_is_weighed_in();
  test_both_windows_must_pass_before_the_key_is_fresh();
  test_extreme_times_and_states_never_fail();
  test_null_zeroed_and_tampered_arguments_are_statuses();
  return SUMMARY("test_sliding_window");
}
