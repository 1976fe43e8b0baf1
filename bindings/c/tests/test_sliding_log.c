/* Sliding logs through the C ABI: exact over every window, sized at runtime, handles of the
 * wrong kind refused, errors and NULL arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static void test_no_window_holds_more_than_the_limit(void) {
  ratecell_quota q;
  ratecell_sliding_log *log = NULL;
  ratecell_decision d;
  CHECK_STATUS(ratecell_quota_parse("5/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, &log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_check(log, 100 * MS, 3, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 2);
  CHECK_STATUS(ratecell_sliding_log_check(log, 700 * MS, 2, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  /* The next request waits until the first entry leaves the window, at 1.1 s exactly. */
  CHECK_STATUS(ratecell_sliding_log_check(log, 900 * MS, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.retry_after_ns == 200 * MS && d.reset_after_ns == 800 * MS);
  CHECK_STATUS(ratecell_sliding_log_check(log, 1100 * MS - 1, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed);
  CHECK_STATUS(ratecell_sliding_log_check(log, 1100 * MS, 3, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed);
  CHECK_STATUS(ratecell_sliding_log_free(log), RATECELL_STATUS_OK);
}

static void test_the_log_is_sized_from_the_limit_or_the_caller(void) {
  ratecell_quota q;
  ratecell_sliding_log *log = NULL;
  size_t entries = 0;
  CHECK_STATUS(ratecell_quota_parse("100/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, &log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_entries(log, &entries), RATECELL_STATUS_OK);
  CHECK(entries == 256);
  CHECK_STATUS(ratecell_sliding_log_free(log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 3, &log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_entries(log, &entries), RATECELL_STATUS_OK);
  CHECK(entries == 4);
  /* Four entries hold four requests a minute, whatever the limit: fewer, never more. */
  ratecell_decision d;
  int admitted = 0;
  for (int i = 0; i < 10; i++) {
    CHECK_STATUS(ratecell_sliding_log_check(log, (uint64_t)i * SEC, 1, &d), RATECELL_STATUS_OK);
    admitted += d.allowed;
  }
  CHECK(admitted == 4);
  CHECK(!d.allowed && d.retry_after_ns == 60 * SEC - 9 * SEC);
  CHECK_STATUS(ratecell_sliding_log_free(log), RATECELL_STATUS_OK);
  ratecell_quota big = {4097, SEC, 4097};
  log = NULL;
  CHECK_STATUS(ratecell_sliding_log_new(&big, 0, &log), RATECELL_STATUS_INVALID_QUOTA);
  CHECK(log == NULL);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 4097, &log), RATECELL_STATUS_INVALID_QUOTA);
  ratecell_quota zero = {0, SEC, 1};
  CHECK_STATUS(ratecell_sliding_log_new(&zero, 0, &log), RATECELL_STATUS_INVALID_QUOTA);
}

static void test_peek_reset_and_freshness(void) {
  ratecell_quota q;
  ratecell_sliding_log *log = NULL;
  ratecell_decision d;
  bool fresh = false;
  CHECK_STATUS(ratecell_quota_parse("2/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, &log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_check(log, 0, 2, &d), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_peek(log, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  CHECK_STATUS(ratecell_sliding_log_check(log, 0, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 0);
  CHECK_STATUS(ratecell_sliding_log_is_fresh(log, SEC - 1, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_sliding_log_is_fresh(log, SEC, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_sliding_log_reset(log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_peek(log, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.remaining == 2);
  CHECK_STATUS(ratecell_sliding_log_check(log, 0, 3, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  uint64_t times[] = {UINT64_MAX, 0, UINT64_MAX - 1, 5};
  for (size_t i = 0; i < 4; i++) {
    CHECK_STATUS(ratecell_sliding_log_check(log, times[i], 1, &d), RATECELL_STATUS_OK);
  }
  CHECK_STATUS(ratecell_sliding_log_free(log), RATECELL_STATUS_OK);
}

static void test_null_and_foreign_handles_are_statuses(void) {
  ratecell_quota q;
  ratecell_sliding_log *log = NULL;
  ratecell_decision d;
  size_t n;
  bool b;
  CHECK_STATUS(ratecell_quota_parse("2/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(NULL, 0, &log), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_check(NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_peek(NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_is_fresh(NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_entries(NULL, &n), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_free(NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, &log), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_log_check(log, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_peek(log, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_is_fresh(log, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_entries(log, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  /* A handle of another kind, or zeroed memory, is refused and left alone. */
  ratecell_concurrency *other = NULL;
  CHECK_STATUS(ratecell_concurrency_new(2, SEC, &other), RATECELL_STATUS_OK);
  ratecell_sliding_log *wrong = (ratecell_sliding_log *)other;
  CHECK_STATUS(ratecell_sliding_log_check(wrong, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_peek(wrong, 0, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_free(wrong), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_free(other), RATECELL_STATUS_OK);
  uint64_t zeroed[8] = {0};
  ratecell_sliding_log *blank = (ratecell_sliding_log *)zeroed;
  CHECK_STATUS(ratecell_sliding_log_check(blank, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_entries(blank, &n), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_free(blank), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_free(log), RATECELL_STATUS_OK);
}

int main(void) {
  test_no_window_holds_more_than_the_limit();
  test_the_log_is_sized_from_the_limit_or_the_caller();
  test_peek_reset_and_freshness();
  test_null_and_foreign_handles_are_statuses();
  return SUMMARY("test_sliding_log");
}
