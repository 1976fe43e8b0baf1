/* Statuses through the C ABI: every status is described, values are stable, and the version
 * is a string. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

static void test_every_status_has_its_own_description(void) {
  const uint32_t statuses[] = {
      RATECELL_STATUS_OK,           RATECELL_STATUS_NULL_ARGUMENT,
      RATECELL_STATUS_INVALID_ARGUMENT, RATECELL_STATUS_INVALID_QUOTA,
      RATECELL_STATUS_PARSE_ERROR,  RATECELL_STATUS_INSUFFICIENT_CAPACITY,
      RATECELL_STATUS_INVALID_UTF8, RATECELL_STATUS_BUFFER_TOO_SMALL,
      RATECELL_STATUS_NOT_APPLICABLE, RATECELL_STATUS_CREDITS_OVERFLOW,
      RATECELL_STATUS_TABLE_FULL,   RATECELL_STATUS_PANIC,
  };
  size_t n = sizeof statuses / sizeof statuses[0];
  for (size_t i = 0; i < n; i++) {
    const char *s = ratecell_status_str(statuses[i]);
    CHECK(s != NULL && strlen(s) > 0 && strcmp(s, "unknown status") != 0);
    for (size_t j = 0; j < i; j++) {
      CHECK(strcmp(s, ratecell_status_str(statuses[j])) != 0);
    }
  }
  CHECK(strcmp(ratecell_status_str(RATECELL_STATUS_OK), "ok") == 0);
}

static void test_unknown_statuses_are_described_as_unknown(void) {
  CHECK(strcmp(ratecell_status_str(424242), "unknown status") == 0);
  CHECK(strcmp(ratecell_status_str(11), "unknown status") == 0);
  CHECK(strcmp(ratecell_status_str(98), "unknown status") == 0);
  CHECK(strcmp(ratecell_status_str(UINT32_MAX), "unknown status") == 0);
}

static void test_status_values_never_change(void) {
  /* Values are part of the ABI: a program compiled against an older header must keep
   * reading them the same way. */
  CHECK(RATECELL_STATUS_OK == 0);
  CHECK(RATECELL_STATUS_NULL_ARGUMENT == 1);
  CHECK(RATECELL_STATUS_INVALID_ARGUMENT == 2);
  CHECK(RATECELL_STATUS_INVALID_QUOTA == 3);
  CHECK(RATECELL_STATUS_PARSE_ERROR == 4);
  CHECK(RATECELL_STATUS_INSUFFICIENT_CAPACITY == 5);
  CHECK(RATECELL_STATUS_INVALID_UTF8 == 6);
  CHECK(RATECELL_STATUS_BUFFER_TOO_SMALL == 7);
  CHECK(RATECELL_STATUS_NOT_APPLICABLE == 8);
  CHECK(RATECELL_STATUS_CREDITS_OVERFLOW == 9);
  CHECK(RATECELL_STATUS_TABLE_FULL == 10);
  CHECK(RATECELL_STATUS_PANIC == 99);
}

static void test_the_version_is_a_dotted_string(void) {
  const char *v = ratecell_version();
  CHECK(v != NULL && strlen(v) >= 5);
  CHECK(strchr(v, '.') != NULL);
}

int main(void) {
  test_every_status_has_its_own_description();
  test_unknown_statuses_are_described_as_unknown();
  test_status_values_never_change();
  test_the_version_is_a_dotted_string();
  return SUMMARY("test_error");
}
