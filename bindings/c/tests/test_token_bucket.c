/* Token buckets through the C ABI: tokens and refills, reservations that wait and cancel,
 * buckets that start empty, caller-owned policy, state and reservations, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_token_bucket bucket(const char *quota, bool starts_empty) {
  ratecell_quota q;
  ratecell_token_bucket b = {{0}};
  CHECK_STATUS(ratecell_quota_parse(quota, &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_init(&q, starts_empty, &b), RATECELL_STATUS_OK);
  return b;
}

static void test_tokens_are_taken_and_refill_at_the_rate(void) {
  ratecell_token_bucket b = bucket("2/second burst 4", false);
  ratecell_token_bucket_state s = {{0}};
  ratecell_decision d;
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 0, 3, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.limit == 4 && d.remaining == 1 && d.reset_after_ns == 1500 * MS);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 0, 2, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == 500 * MS);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 500 * MS - 1, 2, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 500 * MS, 2, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 0, 5, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
}

static void test_reservations_wait_for_tokens_and_cancel_newest_first(void) {
  ratecell_token_bucket b = bucket("10/second", false);
  ratecell_token_bucket_state s = {{0}};
  ratecell_reservation all, late, refused;
  uint64_t now = 3 * SEC, back = 99;
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, now, 10, UINT64_MAX, &all), RATECELL_STATUS_OK);
  CHECK(all.committed == 1 && all.cost == 10 && all.delay_ns == 0 && all.ready_at_ns == now);
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, now, 5, UINT64_MAX, &late), RATECELL_STATUS_OK);
  CHECK(late.committed == 1 && late.delay_ns == 500 * MS && late.ready_at_ns == 3500 * MS);
  /* Not willing to wait 600 ms: nothing is taken. */
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, now, 1, 100 * MS, &refused),
               RATECELL_STATUS_OK);
  CHECK(refused.committed == 0 && refused.delay_ns == 600 * MS);
  /* The newest reservation is an exact undo, once; then the one before it is the newest. */
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &late, now, &back), RATECELL_STATUS_OK);
  CHECK(back == 5 && late.committed == 0);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &late, now, &back), RATECELL_STATUS_OK);
  CHECK(back == 0);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &refused, now, &back), RATECELL_STATUS_OK);
  CHECK(back == 0);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &all, now, &back), RATECELL_STATUS_OK);
  CHECK(back == 10);
  ratecell_decision d;
  CHECK_STATUS(ratecell_token_bucket_peek(&b, &s, now, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 10);
}

static void test_a_reservation_cannot_be_cancelled_after_its_time(void) {
  ratecell_token_bucket b = bucket("10/second", false);
  ratecell_token_bucket_state s = {{0}};
  ratecell_reservation r;
  uint64_t back = 99;
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 0, 10, &(ratecell_decision){0}),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, 0, 2, SEC, &r), RATECELL_STATUS_OK);
  CHECK(r.committed == 1 && r.ready_at_ns == 200 * MS);
  ratecell_reservation copy = r;
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &copy, 200 * MS + 1, &back), RATECELL_STATUS_OK);
  CHECK(back == 0); /* the holder was entitled to act: nothing comes back */
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &r, 200 * MS, &back), RATECELL_STATUS_OK);
  CHECK(back == 2); /* at its instant exactly, it still may */
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, 0, 11, SEC, &r),
               RATECELL_STATUS_INSUFFICIENT_CAPACITY);
}

static void test_a_bucket_that_starts_empty_gives_no_new_key_a_burst(void) {
  ratecell_token_bucket b = bucket("10/second", true);
  ratecell_token_bucket_state s = {{0}};
  ratecell_decision d;
  bool fresh = false;
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&b, &s, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  uint64_t t = 60 * SEC;
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, t, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == 100 * MS);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, t + 100 * MS, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed);
  /* A key once charged is never fresh again in this mode: forgetting it would change what
   * it is owed. */
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&b, &s, UINT64_MAX, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_token_bucket_reset(&s), RATECELL_STATUS_OK);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0 && s.opaque[2] == 0);
  ratecell_token_bucket full = bucket("10/second", false);
  CHECK_STATUS(ratecell_token_bucket_check(&full, &s, 0, 10, &d), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&full, &s, SEC - 1, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&full, &s, SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
}

static void test_extreme_times_and_states_never_fail(void) {
  ratecell_token_bucket b = bucket("7/minute burst 3", false);
  ratecell_decision d;
  ratecell_reservation r;
  uint64_t back;
  uint64_t values[] = {0, 1, UINT64_MAX / 7, UINT64_MAX - 1, UINT64_MAX};
  for (size_t i = 0; i < 5; i++) {
    for (size_t j = 0; j < 5; j++) {
      ratecell_token_bucket_state s = {{values[i], values[j], values[4 - i]}};
      for (size_t k = 0; k < 5; k++) {
        CHECK_STATUS(ratecell_token_bucket_check(&b, &s, values[k], 1, &d), RATECELL_STATUS_OK);
        CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, values[k], 2, values[j], &r),
                     RATECELL_STATUS_OK);
        CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &r, values[i], &back), RATECELL_STATUS_OK);
      }
    }
  }
}

static void test_null_zeroed_and_tampered_arguments_are_statuses(void) {
  ratecell_quota q = {5, SEC, 5};
  ratecell_token_bucket b = bucket("5/second", false);
  ratecell_token_bucket zero = {{0}};
  ratecell_token_bucket_state s = {{0}};
  ratecell_decision d;
  ratecell_reservation r;
  uint64_t back = 42;
  bool f;
  CHECK_STATUS(ratecell_token_bucket_init(NULL, false, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_init(&q, false, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_quota bad = {5, 0, 5};
  CHECK_STATUS(ratecell_token_bucket_init(&bad, false, &b), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_token_bucket_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_check(&b, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_check(&b, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_peek(&b, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_peek(&b, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reserve(NULL, &s, 0, 1, 0, &r), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, NULL, 0, 1, 0, &r), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, 0, 1, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reserve(&b, &s, 0, 1, 0, &r), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_cancel(NULL, &s, &r, 0, &back), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, NULL, &r, 0, &back), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, NULL, 0, &back), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &r, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_is_fresh(NULL, &s, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&b, NULL, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_is_fresh(&b, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK(r.committed == 1); /* the failed cancels left it alone */
  /* A policy ratecell never initialised, or one altered by hand, is refused. */
  CHECK_STATUS(ratecell_token_bucket_check(&zero, &s, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_token_bucket_reserve(&zero, &s, 0, 1, 0, &r),
               RATECELL_STATUS_INVALID_ARGUMENT);
  for (int i = 0; i < 7; i++) {
    ratecell_token_bucket tampered = b;
    tampered.opaque[i] = i == 6 ? 2 : 0;
    CHECK_STATUS(ratecell_token_bucket_peek(&tampered, &s, 0, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  }
  ratecell_token_bucket tolerance = b;
  tolerance.opaque[5] += 1;
  CHECK_STATUS(ratecell_token_bucket_check(&tolerance, &s, 0, 1, &d),
               RATECELL_STATUS_INVALID_ARGUMENT);
  /* A reservation whose committed flag is neither 0 nor 1 cannot be read. */
  ratecell_reservation scribbled = r;
  scribbled.committed = 7;
  CHECK_STATUS(ratecell_token_bucket_cancel(&b, &s, &scribbled, 0, &back),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(back == 42 && scribbled.committed == 7);
}

int main(void) {
  test_tokens_are_taken_and_refill_at_the_rate();
  test_reservations_wait_for_tokens_and_cancel_newest_first();
  test_a_reservation_cannot_be_cancelled_after_its_time();
  test_a_bucket_that_starts_empty_gives_no_new_key_a_burst();
  test_extreme_times_and_states_never_fail();
  test_null_zeroed_and_tampered_arguments_are_statuses();
  return SUMMARY("test_token_bucket");
}
