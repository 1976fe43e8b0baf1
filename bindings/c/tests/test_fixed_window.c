/* Fixed windows through the C ABI: epoch-aligned windows, exact retry_after, caller-owned
 * policy and state in static memory, errors and NULL arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

/* The Starter plan's 120 requests a minute, on whole minutes; nothing here allocates. */
static ratecell_fixed_window starter;
static ratecell_fixed_window_state key;

static int admitted(const ratecell_fixed_window *w, ratecell_fixed_window_state *s, uint64_t now,
                    int n) {
  int ok = 0;
  ratecell_decision d;
  for (int i = 0; i < n; i++) {
    CHECK_STATUS(ratecell_fixed_window_check(w, s, now, 1, &d), RATECELL_STATUS_OK);
    ok += d.allowed;
  }
  return ok;
}

static void test_a_window_admits_its_limit_and_resets_at_its_edge(void) {
  ratecell_quota q;
  CHECK_STATUS(ratecell_quota_parse("120/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &starter), RATECELL_STATUS_OK);
  ratecell_decision d;
  CHECK_STATUS(ratecell_fixed_window_check(&starter, &key, 45 * SEC, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.limit == 120 && d.remaining == 119);
  CHECK(d.reset_after_ns == 15 * SEC); /* the window ends at 60 s */
  CHECK(admitted(&starter, &key, 50 * SEC, 200) == 119);
  CHECK_STATUS(ratecell_fixed_window_check(&starter, &key, 50 * SEC, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.remaining == 0);
  CHECK(d.retry_after_ns == 10 * SEC);
  /* One nanosecond early it is still refused; at the edge a whole window is available. */
  CHECK(admitted(&starter, &key, 60 * SEC - 1, 1) == 0);
  CHECK_STATUS(ratecell_fixed_window_check(&starter, &key, 60 * SEC, 120, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
}

static void test_the_boundary_burst_is_twice_the_limit(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_fixed_window_state s = {{0}};
  CHECK_STATUS(ratecell_quota_init(5, SEC, 5, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK(admitted(&w, &s, SEC - 1, 10) == 5);
  CHECK(admitted(&w, &s, SEC, 10) == 5);
}

static void test_burst_is_not_used_by_a_window(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_fixed_window_state s = {{0}};
  CHECK_STATUS(ratecell_quota_parse("5/second burst 2", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK(admitted(&w, &s, 0, 10) == 5);
}

static void test_peek_reset_and_freshness(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_fixed_window_state s = {{0}};
  ratecell_decision d;
  bool fresh = false;
  CHECK_STATUS(ratecell_quota_parse("3/10ns", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&w, &s, 17, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK(admitted(&w, &s, 17, 10) == 3);
  ratecell_fixed_window_state before = s;
  CHECK_STATUS(ratecell_fixed_window_peek(&w, &s, 19, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0 && d.reset_after_ns == 1);
  CHECK(memcmp(&s, &before, sizeof s) == 0); /* a peek records nothing */
  CHECK_STATUS(ratecell_fixed_window_check(&w, &s, 19, 0, &d), RATECELL_STATUS_OK);
  CHECK(memcmp(&s, &before, sizeof s) == 0); /* neither does cost 0 */
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&w, &s, 19, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&w, &s, 20, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_fixed_window_reset(&s), RATECELL_STATUS_OK);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0);
  CHECK(admitted(&w, &s, 19, 10) == 3);
}

static void test_cost_above_the_limit_is_an_error_that_changes_nothing(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_fixed_window_state s = {{0}};
  ratecell_decision d;
  memset(&d, 0xAB, sizeof d);
  ratecell_decision untouched = d;
  CHECK_STATUS(ratecell_quota_init(5, SEC, 5, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_check(&w, &s, 0, 6, &d),
               RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  CHECK(memcmp(&d, &untouched, sizeof d) == 0);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0);
}

static void test_extreme_times_and_states_never_fail(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("7/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  uint64_t values[] = {0, 1, UINT64_MAX / 2, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < 5; i++) {
    for (size_t j = 0; j < 5; j++) {
      ratecell_fixed_window_state s = {{values[i], values[j]}}; /* even a scribbled state */
      for (size_t k = 0; k < 5; k++) {
        CHECK_STATUS(ratecell_fixed_window_check(&w, &s, values[k], 1, &d), RATECELL_STATUS_OK);
        CHECK_STATUS(ratecell_fixed_window_peek(&w, &s, values[k], &d), RATECELL_STATUS_OK);
      }
    }
  }
  ratecell_fixed_window_state s = {{0}};
  CHECK_STATUS(ratecell_fixed_window_check(&w, &s, UINT64_MAX, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.reset_after_ns == UINT64_MAX); /* the last window never ends */
}

static void test_null_zeroed_and_tampered_arguments_are_statuses(void) {
  ratecell_quota q;
  ratecell_fixed_window w;
  ratecell_fixed_window zero = {{0}};
  ratecell_fixed_window_state s = {{0}};
  ratecell_decision d;
  bool b;
  CHECK_STATUS(ratecell_quota_init(1, SEC, 1, &q), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &w), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(NULL, &w), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_init(&q, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_check(&w, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_check(&w, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_peek(&w, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_peek(&w, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(NULL, &s, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&w, NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&w, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  /* A policy ratecell never initialised, or one with a zeroed word, is refused. */
  CHECK_STATUS(ratecell_fixed_window_check(&zero, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_peek(&zero, &s, 0, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_fixed_window_is_fresh(&zero, &s, 0, &b), RATECELL_STATUS_INVALID_ARGUMENT);
  for (int i = 0; i < 3; i++) {
    ratecell_fixed_window tampered = w;
    tampered.opaque[i] = 0;
    CHECK_STATUS(ratecell_fixed_window_check(&tampered, &s, 0, 1, &d),
                 RATECELL_STATUS_INVALID_ARGUMENT);
  }
  ratecell_quota bad = {1, 0, 1};
  CHECK_STATUS(ratecell_fixed_window_init(&bad, &w), RATECELL_STATUS_INVALID_QUOTA);
}

int main(void) {
  test_a_window_admits_its_limit_and_resets_at_its_edge();
  test_the_boundary_burst_is_twice_the_limit();
  test_burst_is_not_used_by_a_window();
  test_peek_reset_and_freshness();
  test_cost_above_the_limit_is_an_error_that_changes_nothing();
  test_extreme_times_and_states_never_fail();
  test_null_zeroed_and_tampered_arguments_are_statuses();
  return SUMMARY("test_fixed_window");
}
