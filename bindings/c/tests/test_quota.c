/* Quotas through the C ABI: the strings providers publish, and the numbers behind them. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static void test_published_quota_strings_parse(void) {
  ratecell_quota q;
  CHECK_STATUS(ratecell_quota_parse("100/minute", &q, NULL), RATECELL_STATUS_OK);
  CHECK(q.limit == 100 && q.period_ns == 60 * SEC && q.burst == 100);
  CHECK_STATUS(ratecell_quota_parse("1000 per hour", &q, NULL), RATECELL_STATUS_OK);
  CHECK(q.limit == 1000 && q.period_ns == 3600 * SEC);
  CHECK_STATUS(ratecell_quota_parse("10/5s", &q, NULL), RATECELL_STATUS_OK);
  CHECK(q.limit == 10 && q.period_ns == 5 * SEC);
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK(q.burst == 120);
}

static void test_malformed_strings_report_where(void) {
  ratecell_quota q = {1, 2, 3};
  size_t at = 12345;
  CHECK_STATUS(ratecell_quota_parse("100/fortnight", &q, &at), RATECELL_STATUS_PARSE_ERROR);
  CHECK(at == 4);
  CHECK(q.limit == 1 && q.period_ns == 2 && q.burst == 3); /* untouched on failure */
  CHECK_STATUS(ratecell_quota_parse("", &q, &at), RATECELL_STATUS_PARSE_ERROR);
  CHECK(at == 0);
  at = 77;
  CHECK_STATUS(ratecell_quota_parse("0/minute", &q, &at), RATECELL_STATUS_INVALID_QUOTA);
  CHECK(at == 77); /* no offset: the numbers parsed but make no quota */
  CHECK_STATUS(ratecell_quota_parse("\xff/s", &q, &at), RATECELL_STATUS_INVALID_UTF8);
  CHECK_STATUS(ratecell_quota_parse(NULL, &q, &at), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_quota_parse("5/s", NULL, &at), RATECELL_STATUS_NULL_ARGUMENT);
}

static void test_quota_numbers_are_validated(void) {
  ratecell_quota q;
  CHECK_STATUS(ratecell_quota_init(0, SEC, 1, &q), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_quota_init(1, 0, 1, &q), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_quota_init(1, SEC, 0, &q), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_quota_init(1, 86400 * SEC, UINT64_MAX, &q), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_quota_init(1, SEC, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_quota_init(10000000000ull, SEC, 10, &q), RATECELL_STATUS_OK);
}

int main(void) {
  test_published_quota_strings_parse();
  test_malformed_strings_report_where();
  test_quota_numbers_are_validated();
  return SUMMARY("test_quota");
}
