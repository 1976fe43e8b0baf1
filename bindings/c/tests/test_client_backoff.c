/* Backoff through the C ABI: the exponential ceiling, each jitter's bounds, seeded and
 * reproducible, caller-owned schedule and state, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static void test_without_jitter_waits_double_up_to_the_cap(void) {
  ratecell_backoff b = {100 * MS, SEC, RATECELL_JITTER_NONE};
  ratecell_backoff_state s;
  CHECK_STATUS(ratecell_backoff_state_init(1, &s), RATECELL_STATUS_OK);
  const uint64_t expected[] = {100, 200, 400, 800, 1000, 1000};
  for (size_t i = 0; i < 6; i++) {
    uint64_t wait = 0;
    CHECK_STATUS(ratecell_backoff_next(&b, &s, &wait), RATECELL_STATUS_OK);
    CHECK(wait == expected[i] * MS);
  }
}

static void test_each_jitter_stays_within_its_bounds(void) {
  for (uint32_t jitter = RATECELL_JITTER_FULL; jitter <= RATECELL_JITTER_DECORRELATED; jitter++) {
    ratecell_backoff b = {100 * MS, 10 * SEC, jitter};
    ratecell_backoff_state s;
    CHECK_STATUS(ratecell_backoff_state_init(jitter * 7919, &s), RATECELL_STATUS_OK);
    uint64_t previous = b.base_ns;
    for (uint32_t attempt = 0; attempt < 40; attempt++) {
      uint64_t ceiling = attempt < 10 ? (100 * MS) << attempt : 10 * SEC;
      if (ceiling > 10 * SEC) ceiling = 10 * SEC;
      uint64_t wait = 0;
      CHECK_STATUS(ratecell_backoff_next(&b, &s, &wait), RATECELL_STATUS_OK);
      if (jitter == RATECELL_JITTER_FULL) {
        CHECK(wait <= ceiling);
      } else if (jitter == RATECELL_JITTER_EQUAL) {
        CHECK(wait >= (ceiling + 1) / 2 && wait <= ceiling);
      } else {
        uint64_t hi = previous * 3 < 10 * SEC ? previous * 3 : 10 * SEC;
        CHECK(wait >= b.base_ns && wait <= hi);
        previous = wait;
      }
    }
  }
}

static void test_the_same_seed_gives_the_same_waits(void) {
  ratecell_backoff b = {50 * MS, 30 * SEC, RATECELL_JITTER_FULL};
  ratecell_backoff_state x, y, z;
  CHECK_STATUS(ratecell_backoff_state_init(42, &x), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_backoff_state_init(42, &y), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_backoff_state_init(43, &z), RATECELL_STATUS_OK);
  int differ = 0;
  for (int i = 0; i < 20; i++) {
    uint64_t a, c, d;
    CHECK_STATUS(ratecell_backoff_next(&b, &x, &a), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_backoff_next(&b, &y, &c), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_backoff_next(&b, &z, &d), RATECELL_STATUS_OK);
    CHECK(a == c);
    differ += a != d;
  }
  CHECK(differ > 10);
  /* The state is plain data: a copy continues the same sequence. */
  ratecell_backoff_state copy = x;
  uint64_t a, c;
  CHECK_STATUS(ratecell_backoff_next(&b, &x, &a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_backoff_next(&b, &copy, &c), RATECELL_STATUS_OK);
  CHECK(a == c);
}

static void test_extreme_schedules_never_fail(void) {
  ratecell_backoff b = {1, UINT64_MAX, RATECELL_JITTER_EQUAL};
  ratecell_backoff_state s;
  CHECK_STATUS(ratecell_backoff_state_init(UINT64_MAX, &s), RATECELL_STATUS_OK);
  uint64_t wait = 0;
  for (int i = 0; i < 100; i++) {
    CHECK_STATUS(ratecell_backoff_next(&b, &s, &wait), RATECELL_STATUS_OK);
  }
  s.opaque[0] = UINT32_MAX; /* the attempt counter saturates */
  s.opaque[1] = UINT64_MAX;
  b.jitter = RATECELL_JITTER_DECORRELATED;
  CHECK_STATUS(ratecell_backoff_next(&b, &s, &wait), RATECELL_STATUS_OK);
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_backoff_state s;
  uint64_t wait = 5;
  CHECK_STATUS(ratecell_backoff_state_init(1, &s), RATECELL_STATUS_OK);
  ratecell_backoff zero_base = {0, SEC, RATECELL_JITTER_FULL};
  ratecell_backoff cap_below = {SEC, SEC - 1, RATECELL_JITTER_FULL};
  ratecell_backoff bad_jitter = {1, SEC, 4};
  CHECK_STATUS(ratecell_backoff_next(&zero_base, &s, &wait), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_backoff_next(&cap_below, &s, &wait), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_backoff_next(&bad_jitter, &s, &wait), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_backoff ok = {1, SEC, RATECELL_JITTER_NONE};
  ratecell_backoff_state tampered = s;
  tampered.opaque[0] = (uint64_t)UINT32_MAX + 1;
  CHECK_STATUS(ratecell_backoff_next(&ok, &tampered, &wait), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(wait == 5);
  CHECK_STATUS(ratecell_backoff_state_init(1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_backoff_next(NULL, &s, &wait), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_backoff_next(&ok, NULL, &wait), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_backoff_next(&ok, &s, NULL), RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  test_without_jitter_waits_double_up_to_the_cap();
  test_each_jitter_stays_within_its_bounds();
  test_the_same_seed_gives_the_same_waits();
  test_extreme_schedules_never_fail();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_client_backoff");
}
