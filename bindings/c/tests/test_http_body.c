/* JSON error bodies through the C ABI: 429 with the published shape, 402 for exhausted
 * credits, custom messages escaped, buffers too small, bodies that do not apply. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_headers refusal(const ratecell_header_policy *p) {
  ratecell_headers h;
  memset(&h, 0, sizeof h);
  h.style = RATECELL_HEADER_STYLE_LEGACY;
  h.policies = p;
  h.policy_count = 1;
  h.has_unix_now = true;
  h.unix_now_ns = 1737892800ull * SEC; /* 2025-01-26T12:00:00Z */
  return h;
}

static void test_a_429_body_as_providers_publish_it(void) {
  ratecell_decision denied = {false, 100, 0, 11500 * MS, 11500 * MS};
  ratecell_quota q = {100, 60 * SEC, 100};
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("api", &q, &denied, &p), RATECELL_STATUS_OK);
  ratecell_headers h = refusal(&p);
  char buf[512];
  size_t len = 0;
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_OK);
  const char *expected =
      "{\"error\":{\"code\":\"rate_limit_exceeded\","
      "\"message\":\"Rate limit exceeded. Please retry after 12 seconds.\","
      "\"type\":\"rate_limit_error\","
      "\"details\":{\"limit\":100,\"remaining\":0,\"reset_at\":\"2025-01-26T12:00:12Z\"}}}";
  CHECK(strcmp(buf, expected) == 0 && len == strlen(expected));
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, "Slow \"down\"\n", buf, sizeof buf, &len),
               RATECELL_STATUS_OK);
  CHECK(strstr(buf, "\"message\":\"Slow \\\"down\\\"\\n\"") != NULL);
  size_t needed = 0;
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, NULL, 0, &needed),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK(needed == strlen(expected));
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, needed, &needed),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
}

static void test_no_429_body_applies_to_an_admission_or_exhausted_credits(void) {
  ratecell_quota q = {100, 60 * SEC, 100};
  ratecell_decision ok = {true, 100, 5, 0, SEC};
  ratecell_decision never = {false, 100, 0, UINT64_MAX, 0};
  ratecell_header_policy p;
  char buf[512];
  size_t len = 3;
  CHECK_STATUS(ratecell_header_policy_init("api", &q, &ok, &p), RATECELL_STATUS_OK);
  ratecell_headers h = refusal(&p);
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_NOT_APPLICABLE);
  p.decision = never;
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_NOT_APPLICABLE);
  p.decision = (ratecell_decision){false, 100, 0, SEC, SEC};
  h.has_unix_now = false; /* reset_at needs the wall clock */
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_NOT_APPLICABLE);
  CHECK(len == 3);
}

static void test_a_402_body_for_exhausted_credits(void) {
  char buf[256];
  size_t len = 0;
  CHECK_STATUS(ratecell_insufficient_credits_write(NULL, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strcmp(buf, "{\"error\":{\"code\":\"insufficient_api_credits\","
                    "\"message\":\"API credits exhausted. Purchase more credits to continue.\","
                    "\"type\":\"permission_error\"}}") == 0);
  CHECK(len == strlen(buf));
  size_t full = len;
  CHECK_STATUS(ratecell_insufficient_credits_write("Top up \"now\"\t", buf, sizeof buf, &len),
               RATECELL_STATUS_OK);
  CHECK(strcmp(buf, "{\"error\":{\"code\":\"insufficient_api_credits\","
                    "\"message\":\"Top up \\\"now\\\"\\t\",\"type\":\"permission_error\"}}") == 0);
  CHECK_STATUS(ratecell_insufficient_credits_write(NULL, buf, 10, &len),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == full);
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_quota q = {100, 60 * SEC, 100};
  ratecell_decision denied = {false, 100, 0, SEC, SEC};
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("api", &q, &denied, &p), RATECELL_STATUS_OK);
  ratecell_headers h = refusal(&p);
  char buf[512];
  size_t len;
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(NULL, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, NULL, 10, &len),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, "\xff", buf, sizeof buf, &len),
               RATECELL_STATUS_INVALID_UTF8);
  h.style = 77;
  CHECK_STATUS(ratecell_rate_limit_exceeded_write(&h, NULL, buf, sizeof buf, &len),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_insufficient_credits_write("\xc3", buf, sizeof buf, &len),
               RATECELL_STATUS_INVALID_UTF8);
  CHECK_STATUS(ratecell_insufficient_credits_write(NULL, NULL, 5, &len),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_insufficient_credits_write(NULL, buf, sizeof buf, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  test_a_429_body_as_providers_publish_it();
  test_no_429_body_applies_to_an_admission_or_exhausted_credits();
  test_a_402_body_for_exhausted_credits();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_http_body");
}
