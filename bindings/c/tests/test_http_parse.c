/* Reading rate-limit fields and Retry-After through the C ABI: every draft and the legacy
 * fields, dates, presence flags, malformed input ignored, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static ratecell_header_field field(const char *name, const char *value) {
  ratecell_header_field f = {name, strlen(name), value, strlen(value)};
  return f;
}

static void test_legacy_fields_as_the_seeds_publish_them(void) {
  /* 1711454460 is a Unix time: the reset is that instant, less the time now. */
  ratecell_header_field fields[] = {
      field("X-RateLimit-Limit", "120"),
      field("x-ratelimit-remaining", "118"),
      field("X-RateLimit-Reset", "1711454460"),
      field("X-API-Credits-Remaining", "412"),
      field("X-API-Credits-Used", "588"),
      field("Content-Type", "application/json"),
  };
  ratecell_rate_limit_info info;
  CHECK_STATUS(ratecell_rate_limit_info_parse(fields, 6, 1711454400ull * SEC, &info),
               RATECELL_STATUS_OK);
  CHECK(info.has_limit && info.limit == 120);
  CHECK(info.has_remaining && info.remaining == 118);
  CHECK(info.has_reset && info.reset_ns == 60 * SEC);
  CHECK(!info.has_window && !info.has_retry_after);
  CHECK(info.has_credits_remaining && info.credits_remaining == 412);
  CHECK(info.has_credits_used && info.credits_used == 588);
}

static void test_named_policies_report_the_closest_to_refusing(void) {
  ratecell_header_field fields[] = {
      field("ratelimit-policy", "\"burst\";q=100;w=60, \"daily\";q=1000;w=86400"),
      field("RateLimit", "\"burst\";r=0;t=12, \"daily\";r=900;t=3600"),
      field("Retry-After", "Sun, 06 Nov 1994 08:49:49 GMT"),
      field("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
      field("X-RateLimit-Limit", "not a number"),
  };
  ratecell_rate_limit_info info;
  CHECK_STATUS(ratecell_rate_limit_info_parse(fields, 5, 0, &info), RATECELL_STATUS_OK);
  CHECK(info.has_limit && info.limit == 100 && info.remaining == 0);
  CHECK(info.reset_ns == 12 * SEC && info.has_window && info.window_ns == 60 * SEC);
  CHECK(info.has_retry_after && info.retry_after_ns == 12 * SEC);
}

static void test_nothing_readable_means_nothing_present(void) {
  ratecell_rate_limit_info info;
  memset(&info, 0xFF, sizeof info);
  CHECK_STATUS(ratecell_rate_limit_info_parse(NULL, 0, 0, &info), RATECELL_STATUS_OK);
  CHECK(!info.has_limit && !info.has_remaining && !info.has_reset && !info.has_window &&
        !info.has_retry_after && !info.has_credits_remaining && !info.has_credits_used);
  CHECK(info.limit == 0 && info.retry_after_ns == 0);
  const char junk[] = {'\xff', '\xfe', 0};
  ratecell_header_field fields[] = {
      field("RateLimit", "limit=5, remaining=4, reset=60"),
      field("RateLimit-Policy", "5;w=60"),
      field("X-RateLimit-Reset", junk),
      field("Retry-After", "-1"),
      field("", ""),
  };
  CHECK_STATUS(ratecell_rate_limit_info_parse(fields, 5, 0, &info), RATECELL_STATUS_OK);
  CHECK(info.limit == 5 && info.remaining == 4 && info.reset_ns == 60 * SEC);
  CHECK(info.window_ns == 60 * SEC && !info.has_retry_after);
  /* A field of zero length may have a NULL pointer. */
  ratecell_header_field empty = {"Retry-After", 11, NULL, 0};
  CHECK_STATUS(ratecell_rate_limit_info_parse(&empty, 1, 0, &info), RATECELL_STATUS_OK);
  CHECK(!info.has_retry_after);
}

static void test_retry_after_in_seconds_or_as_a_date(void) {
  uint64_t wait = 0;
  CHECK_STATUS(ratecell_retry_after_parse("120", 3, NULL, 0, 0, &wait), RATECELL_STATUS_OK);
  CHECK(wait == 120 * SEC);
  CHECK_STATUS(ratecell_retry_after_parse(" 30 ", 4, NULL, 0, 0, &wait), RATECELL_STATUS_OK);
  CHECK(wait == 30 * SEC);
  const char *date = "Sun, 06 Nov 1994 08:50:00 GMT";
  uint64_t now = 784111777ull * SEC; /* Sun, 06 Nov 1994 08:49:37 GMT */
  CHECK_STATUS(ratecell_retry_after_parse(date, strlen(date), NULL, 0, now, &wait),
               RATECELL_STATUS_OK);
  CHECK(wait == 23 * SEC);
  const char *sent = "Sun, 06 Nov 1994 08:49:00 GMT";
  CHECK_STATUS(ratecell_retry_after_parse(date, strlen(date), sent, strlen(sent), now, &wait),
               RATECELL_STATUS_OK);
  CHECK(wait == 60 * SEC); /* counted from the response's own Date */
  CHECK_STATUS(ratecell_retry_after_parse(date, strlen(date), NULL, 0, UINT64_MAX, &wait),
               RATECELL_STATUS_OK);
  CHECK(wait == 0); /* a date in the past is no delay */
  CHECK_STATUS(ratecell_retry_after_parse("99999999999999999999999", 23, NULL, 0, 0, &wait),
               RATECELL_STATUS_OK);
  CHECK(wait == UINT64_MAX);
  wait = 7;
  CHECK_STATUS(ratecell_retry_after_parse("-1", 2, NULL, 0, 0, &wait), RATECELL_STATUS_PARSE_ERROR);
  CHECK_STATUS(ratecell_retry_after_parse("soon", 4, NULL, 0, 0, &wait),
               RATECELL_STATUS_PARSE_ERROR);
  CHECK_STATUS(ratecell_retry_after_parse(NULL, 0, NULL, 0, 0, &wait), RATECELL_STATUS_PARSE_ERROR);
  CHECK(wait == 7);
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_rate_limit_info info;
  uint64_t wait;
  ratecell_header_field ok = field("X-RateLimit-Limit", "5");
  ratecell_header_field null_name = {NULL, 3, "5", 1};
  ratecell_header_field null_value = {"Date", 4, NULL, 1};
  CHECK_STATUS(ratecell_rate_limit_info_parse(NULL, 1, 0, &info), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_info_parse(&ok, 1, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_info_parse(&null_name, 1, 0, &info),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_info_parse(&null_value, 1, 0, &info),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_info_parse(&ok, SIZE_MAX, 0, &info),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_retry_after_parse(NULL, 3, NULL, 0, 0, &wait), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_retry_after_parse("1", 1, NULL, 3, 0, &wait), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_retry_after_parse("1", 1, NULL, 0, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  test_legacy_fields_as_the_seeds_publish_them();
  test_named_policies_report_the_closest_to_refusing();
  test_nothing_readable_means_nothing_present();
  test_retry_after_in_seconds_or_as_a_date();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_http_parse");
}
