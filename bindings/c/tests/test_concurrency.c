/* Concurrency leases through the C ABI: the published caps of 2, 10 and 50 concurrent
 * sessions, expiry and renewal, stale leases that never free another holder's slot. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static void test_each_tier_admits_exactly_its_cap_of_sessions(void) {
  const uint64_t caps[] = {2, 10, 50};
  for (size_t i = 0; i < 3; i++) {
    ratecell_concurrency *sessions = NULL;
    CHECK_STATUS(ratecell_concurrency_new(caps[i], 300 * SEC, &sessions), RATECELL_STATUS_OK);
    ratecell_decision d;
    ratecell_lease lease;
    uint64_t granted = 0;
    for (uint64_t t = 0; t < caps[i] + 5; t++) {
      CHECK_STATUS(ratecell_concurrency_acquire(sessions, t * SEC, &d, &lease), RATECELL_STATUS_OK);
      if (d.allowed) {
        granted++;
        CHECK(lease.serial != 0);
      } else {
        CHECK(lease.serial == 0 && lease.slot == 0);
        /* The earliest session, acquired at 0 s, expires at 300 s. */
        CHECK(d.retry_after_ns == 300 * SEC - t * SEC);
      }
    }
    CHECK(granted == caps[i]);
    CHECK(d.limit == caps[i] && d.remaining == 0);
    uint64_t live = 0;
    CHECK_STATUS(ratecell_concurrency_live(sessions, 100 * SEC, &live), RATECELL_STATUS_OK);
    CHECK(live == caps[i]);
    CHECK_STATUS(ratecell_concurrency_free(sessions), RATECELL_STATUS_OK);
  }
}

static void test_a_released_lease_frees_its_slot_once(void) {
  ratecell_concurrency *c = NULL;
  ratecell_decision d;
  ratecell_lease a, b, again;
  bool done = false;
  CHECK_STATUS(ratecell_concurrency_new(2, 30 * SEC, &c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 0, &d, &a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_acquire(c, SEC, &d, &b), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  CHECK_STATUS(ratecell_concurrency_release(c, a, 3 * SEC, &done), RATECELL_STATUS_OK);
  CHECK(done);
  CHECK_STATUS(ratecell_concurrency_release(c, a, 3 * SEC, &done), RATECELL_STATUS_OK);
  CHECK(!done); /* releasing twice changes nothing */
  CHECK_STATUS(ratecell_concurrency_acquire(c, 3 * SEC, &d, &again), RATECELL_STATUS_OK);
  CHECK(d.allowed && again.slot == a.slot && again.serial != a.serial);
  /* The stale lease names the reused slot, but not its serial: the new holder keeps it. */
  CHECK_STATUS(ratecell_concurrency_release(c, a, 4 * SEC, &done), RATECELL_STATUS_OK);
  CHECK(!done);
  uint64_t live = 0;
  CHECK_STATUS(ratecell_concurrency_live(c, 4 * SEC, &live), RATECELL_STATUS_OK);
  CHECK(live == 2);
  CHECK_STATUS(ratecell_concurrency_free(c), RATECELL_STATUS_OK);
}

static void test_leases_expire_unless_renewed(void) {
  ratecell_concurrency *c = NULL;
  ratecell_decision d;
  ratecell_lease a, b;
  bool renewed = false, fresh = true;
  CHECK_STATUS(ratecell_concurrency_new(1, 10 * SEC, &c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 0, &d, &a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_renew(c, a, 9 * SEC, &renewed), RATECELL_STATUS_OK);
  CHECK(renewed);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 18 * SEC, &d, &b), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == SEC); /* renewed at 9 s: lives until 19 s */
  CHECK_STATUS(ratecell_concurrency_is_fresh(c, 18 * SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  /* At 19 s exactly it has expired: a crashed holder cannot keep its slot. */
  CHECK_STATUS(ratecell_concurrency_renew(c, a, 19 * SEC, &renewed), RATECELL_STATUS_OK);
  CHECK(!renewed);
  CHECK_STATUS(ratecell_concurrency_peek(c, 19 * SEC, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 1);
  CHECK_STATUS(ratecell_concurrency_is_fresh(c, 19 * SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 19 * SEC, &d, &b), RATECELL_STATUS_OK);
  CHECK(d.allowed);
  CHECK_STATUS(ratecell_concurrency_free(c), RATECELL_STATUS_OK);
}

static void test_anonymous_leases_and_reset(void) {
  ratecell_concurrency *c = NULL;
  ratecell_decision d;
  ratecell_lease lease;
  bool done = true;
  CHECK_STATUS(ratecell_concurrency_new(10, 5 * SEC, &c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_check(c, 0, 7, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 3);
  CHECK_STATUS(ratecell_concurrency_check(c, 0, 4, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == 5 * SEC);
  CHECK_STATUS(ratecell_concurrency_check(c, 0, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 3);
  CHECK_STATUS(ratecell_concurrency_check(c, 0, 11, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  CHECK_STATUS(ratecell_concurrency_acquire(c, SEC, &d, &lease), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_reset(c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_peek(c, SEC, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 10);
  /* A lease from before the reset stays stale. */
  CHECK_STATUS(ratecell_concurrency_release(c, lease, SEC, &done), RATECELL_STATUS_OK);
  CHECK(!done);
  ratecell_lease forged = {UINT64_MAX, UINT32_MAX};
  CHECK_STATUS(ratecell_concurrency_renew(c, forged, SEC, &done), RATECELL_STATUS_OK);
  CHECK(!done);
  uint64_t times[] = {UINT64_MAX, 0, UINT64_MAX - 1};
  for (size_t i = 0; i < 3; i++) {
    CHECK_STATUS(ratecell_concurrency_acquire(c, times[i], &d, &lease), RATECELL_STATUS_OK);
  }
  CHECK_STATUS(ratecell_concurrency_free(c), RATECELL_STATUS_OK);
}

static void test_unusable_caps_are_refused(void) {
  ratecell_concurrency *c = NULL;
  CHECK_STATUS(ratecell_concurrency_new(0, SEC, &c), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_concurrency_new(1, 0, &c), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_concurrency_new(4097, SEC, &c), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_concurrency_new(UINT64_MAX, SEC, &c), RATECELL_STATUS_INVALID_QUOTA);
  CHECK(c == NULL);
  CHECK_STATUS(ratecell_concurrency_new(4096, UINT64_MAX, &c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_free(c), RATECELL_STATUS_OK);
}

static void test_null_and_foreign_handles_are_statuses(void) {
  ratecell_concurrency *c = NULL;
  ratecell_decision d;
  ratecell_lease lease = {0, 0};
  bool b;
  uint64_t n;
  CHECK_STATUS(ratecell_concurrency_new(2, SEC, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_acquire(NULL, 0, &d, &lease), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_renew(NULL, lease, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_release(NULL, lease, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_check(NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_peek(NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_live(NULL, 0, &n), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_is_fresh(NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_free(NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_new(2, SEC, &c), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 0, NULL, &lease), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_acquire(c, 0, &d, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_live(c, 0, &n), RATECELL_STATUS_OK);
  CHECK(n == 0); /* the refused acquisitions above took nothing */
  CHECK_STATUS(ratecell_concurrency_renew(c, lease, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_release(c, lease, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_check(c, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_peek(c, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_live(c, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_is_fresh(c, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_all_of *other = NULL;
  CHECK_STATUS(ratecell_all_of_new(&other), RATECELL_STATUS_OK);
  ratecell_concurrency *wrong = (ratecell_concurrency *)other;
  CHECK_STATUS(ratecell_concurrency_acquire(wrong, 0, &d, &lease), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_live(wrong, 0, &n), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_free(wrong), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_free(other), RATECELL_STATUS_OK);
  uint64_t zeroed[8] = {0};
  CHECK_STATUS(ratecell_concurrency_reset((ratecell_concurrency *)zeroed),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_free(c), RATECELL_STATUS_OK);
}

int main(void) {
  test_each_tier_admits_exactly_its_cap_of_sessions();
  test_a_released_lease_frees_its_slot_once();
  test_leases_expire_unless_renewed();
  test_anonymous_leases_and_reset();
  test_unusable_caps_are_refused();
  test_null_and_foreign_handles_are_statuses();
  return SUMMARY("test_concurrency");
}
