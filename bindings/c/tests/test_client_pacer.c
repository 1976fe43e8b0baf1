/* The pacer through the C ABI: no wait with plenty left, the remainder spread until the
 * reset once it runs low, Retry-After first, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static ratecell_rate_limit_info read_fields(const char *limit, const char *remaining,
                                            const char *reset) {
  ratecell_header_field f[3] = {
      {"X-RateLimit-Limit", 17, limit, strlen(limit)},
      {"X-RateLimit-Remaining", 21, remaining, strlen(remaining)},
      {"X-RateLimit-Reset", 17, reset, strlen(reset)},
  };
  ratecell_rate_limit_info info;
  CHECK_STATUS(ratecell_rate_limit_info_parse(f, 3, 0, &info), RATECELL_STATUS_OK);
  return info;
}

static void test_the_remainder_is_spread_until_the_reset_once_it_runs_low(void) {
  ratecell_pacer pacer;
  CHECK_STATUS(ratecell_pacer_init(&pacer), RATECELL_STATUS_OK);
  CHECK(pacer.low_water == 0 && pacer.low_water_percent == 20);
  uint64_t at = 100 * SEC, delay = 99;
  ratecell_rate_limit_info plenty = read_fields("100", "50", "30");
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &plenty, at, at, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 0);
  ratecell_rate_limit_info low = read_fields("100", "10", "30");
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &low, at, at, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 3 * SEC); /* 30 s spread over 10 requests */
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &low, at, at + SEC, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 2 * SEC);
  ratecell_rate_limit_info out = read_fields("100", "0", "30");
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &out, at, at, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 30 * SEC);
}

static void test_retry_after_comes_first_and_thresholds_are_the_callers(void) {
  ratecell_pacer always = {UINT64_MAX, 100};
  ratecell_rate_limit_info plenty = read_fields("100", "50", "30");
  uint64_t delay = 0;
  CHECK_STATUS(ratecell_pacer_delay(&always, &plenty, 0, 0, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 600000000ull); /* 30 s over 50 */
  ratecell_pacer never = {0, 0};
  plenty.has_retry_after = true;
  plenty.retry_after_ns = 7 * SEC;
  CHECK_STATUS(ratecell_pacer_delay(&never, &plenty, 0, 0, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 7 * SEC);
  CHECK_STATUS(ratecell_pacer_delay(&never, &plenty, 0, 10 * SEC, &delay), RATECELL_STATUS_OK);
  CHECK(delay == 0); /* the wait is already over */
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_pacer pacer = {0, 101};
  ratecell_rate_limit_info info;
  memset(&info, 0, sizeof info);
  uint64_t delay = 5;
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &info, 0, 0, &delay), RATECELL_STATUS_INVALID_ARGUMENT);
  pacer.low_water_percent = 256;
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &info, 0, 0, &delay), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(delay == 5);
  pacer.low_water_percent = 100;
  CHECK_STATUS(ratecell_pacer_init(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_pacer_delay(NULL, &info, 0, 0, &delay), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_pacer_delay(&pacer, NULL, 0, 0, &delay), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_pacer_delay(&pacer, &info, 0, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  test_the_remainder_is_spread_until_the_reset_once_it_runs_low();
  test_retry_after_comes_first_and_thresholds_are_the_callers();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_client_pacer");
}
