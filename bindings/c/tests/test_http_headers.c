/* Response header fields through the C ABI: every style, lines or name/value pairs in a
 * caller's buffer, the size a buffer needs, and bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull
#define UNIX_NOW (1706284800ull * SEC)

/* The Free tier after a burst of 120 at one instant: the 121st request is refused. */
static ratecell_quota free_quota;
static ratecell_decision refused;

static void setup(void) {
  ratecell_gcra g;
  ratecell_gcra_state s = {0};
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &free_quota, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&free_quota, &g), RATECELL_STATUS_OK);
  for (int i = 0; i <= 120; i++) {
    CHECK_STATUS(ratecell_gcra_check(&g, &s, 0, 1, &refused), RATECELL_STATUS_OK);
  }
  CHECK(!refused.allowed && refused.retry_after_ns == 600 * MS && refused.reset_after_ns == 72 * SEC);
}

static ratecell_headers headers(uint32_t style, const ratecell_header_policy *p, size_t n) {
  ratecell_headers h;
  memset(&h, 0, sizeof h);
  h.style = style;
  h.policies = p;
  h.policy_count = n;
  h.has_unix_now = true;
  h.unix_now_ns = UNIX_NOW;
  return h;
}

static void test_a_refusal_in_the_legacy_style(void) {
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &refused, &p), RATECELL_STATUS_OK);
  CHECK(p.quota == 100 && p.window_ns == 60 * SEC && p.unit == RATECELL_QUOTA_UNIT_REQUESTS);
  ratecell_headers h = headers(RATECELL_HEADER_STYLE_LEGACY, &p, 1);
  h.has_credits = true;
  h.credits_remaining = 412;
  h.credits_used = 588;
  char buf[512];
  size_t len = 0;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  const char *expected = "X-RateLimit-Limit: 100\r\n"
                         "X-RateLimit-Remaining: 0\r\n"
                         "X-RateLimit-Reset: 1706284872\r\n"
                         "Retry-After: 1\r\n"
                         "X-API-Credits-Remaining: 412\r\n"
                         "X-API-Credits-Used: 588\r\n";
  CHECK(strcmp(buf, expected) == 0);
  CHECK(len == strlen(expected));
}

static void test_every_style_writes_its_own_fields(void) {
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &refused, &p), RATECELL_STATUS_OK);
  const char *expected[] = {
      "RateLimit-Policy: \"free\";q=100;w=60\r\nRateLimit: \"free\";r=0;t=72\r\nRetry-After: 1\r\n",
      "RateLimit-Policy: \"free\"; q=100; w=60\r\nRateLimit: \"free\"; r=0; t=72\r\nRetry-After: 1\r\n",
      "RateLimit-Policy: 100;w=60\r\nRateLimit: limit=100, remaining=0, reset=72\r\nRetry-After: "
      "1\r\n",
      "RateLimit-Policy: 100;w=60\r\nRateLimit-Limit: 100\r\nRateLimit-Remaining: "
      "0\r\nRateLimit-Reset: 72\r\nRetry-After: 1\r\n",
  };
  for (uint32_t style = 0; style < 4; style++) {
    ratecell_headers h = headers(style, &p, 1);
    char buf[512];
    size_t len = 0;
    CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
    CHECK(strcmp(buf, expected[style]) == 0);
  }
}

static void test_style_names_parse(void) {
  uint32_t style = 99;
  CHECK_STATUS(ratecell_header_style_parse("draft-7", &style), RATECELL_STATUS_OK);
  CHECK(style == RATECELL_HEADER_STYLE_DRAFT7);
  CHECK_STATUS(ratecell_header_style_parse("IETF", &style), RATECELL_STATUS_OK);
  CHECK(style == RATECELL_HEADER_STYLE_IETF);
  CHECK_STATUS(ratecell_header_style_parse("legacy", &style), RATECELL_STATUS_OK);
  CHECK(style == RATECELL_HEADER_STYLE_LEGACY);
  CHECK_STATUS(ratecell_header_style_parse("draft-8", &style), RATECELL_STATUS_OK);
  CHECK(style == RATECELL_HEADER_STYLE_DRAFT8);
  CHECK_STATUS(ratecell_header_style_parse("draft-6", &style), RATECELL_STATUS_OK);
  CHECK(style == RATECELL_HEADER_STYLE_DRAFT6);
  CHECK_STATUS(ratecell_header_style_parse("draft-5", &style), RATECELL_STATUS_PARSE_ERROR);
  CHECK_STATUS(ratecell_header_style_parse("\xff", &style), RATECELL_STATUS_INVALID_UTF8);
  CHECK_STATUS(ratecell_header_style_parse(NULL, &style), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_header_style_parse("ietf", NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK(style == RATECELL_HEADER_STYLE_DRAFT6);
}

static void test_several_policies_and_a_partition_key(void) {
  /* The Starter plan and its analysis group: the group refused, the plan admitted. */
  ratecell_decision plan_ok = {true, 120, 90, 0, 15 * SEC};
  ratecell_decision group_refused = {false, 30, 0, 2 * SEC, 60 * SEC};
  ratecell_header_policy p[2];
  ratecell_quota plan_q = {120, 60 * SEC, 120}, group_q = {30, 60 * SEC, 30};
  CHECK_STATUS(ratecell_header_policy_init("plan", &plan_q, &plan_ok, &p[0]), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_header_policy_init("analysis", &group_q, &group_refused, &p[1]),
               RATECELL_STATUS_OK);
  p[0].partition_key = (const uint8_t *)"sk_1";
  p[0].partition_key_len = 4;
  ratecell_headers h = headers(RATECELL_HEADER_STYLE_IETF, p, 2);
  char buf[512];
  size_t len = 0;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strcmp(buf, "RateLimit-Policy: \"plan\";q=120;w=60;pk=:c2tfMQ==:, "
                    "\"analysis\";q=30;w=60\r\n"
                    "RateLimit: \"plan\";r=90;t=15;pk=:c2tfMQ==:, \"analysis\";r=0;t=60\r\n"
                    "Retry-After: 2\r\n") == 0);
  /* Single-valued styles report the binding policy: the one that refused. */
  h.style = RATECELL_HEADER_STYLE_DRAFT7;
  p[1].unit = RATECELL_QUOTA_UNIT_CONTENT_BYTES;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strcmp(buf, "RateLimit-Policy: 120;w=60, 30;w=60\r\n"
                    "RateLimit: limit=30, remaining=0, reset=60\r\nRetry-After: 2\r\n") == 0);
  h.style = RATECELL_HEADER_STYLE_IETF;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strstr(buf, "\"analysis\";q=30;qu=\"content-bytes\";w=60") != NULL);
}

static void test_a_small_buffer_is_told_the_size_it_needs(void) {
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &refused, &p), RATECELL_STATUS_OK);
  ratecell_headers h = headers(RATECELL_HEADER_STYLE_LEGACY, &p, 1);
  size_t len = 0;
  CHECK_STATUS(ratecell_headers_write(&h, NULL, 0, &len), RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK(len == 97);
  char buf[98];
  memset(buf, '#', sizeof buf);
  CHECK_STATUS(ratecell_headers_write(&h, buf, len, &len), RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK(buf[0] == '#'); /* nothing written: there was no room for the NUL */
  CHECK_STATUS(ratecell_headers_write(&h, buf, len + 1, &len), RATECELL_STATUS_OK);
  CHECK(buf[len] == '\0' && strlen(buf) == len);
}

static void test_fields_come_out_as_name_value_pairs(void) {
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &refused, &p), RATECELL_STATUS_OK);
  ratecell_headers h = headers(RATECELL_HEADER_STYLE_LEGACY, &p, 1);
  size_t count = 0, bytes = 0;
  CHECK_STATUS(ratecell_headers_fields(&h, NULL, 0, NULL, 0, &count, &bytes),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK(count == 4 && bytes > 0);
  ratecell_header_field fields[6];
  char buf[256];
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 3, buf, sizeof buf, &count, &bytes),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, buf, bytes - 1, &count, &bytes),
               RATECELL_STATUS_BUFFER_TOO_SMALL);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, buf, bytes, &count, &bytes),
               RATECELL_STATUS_OK);
  CHECK(count == 4);
  CHECK(strcmp(fields[0].name, "X-RateLimit-Limit") == 0 && fields[0].name_len == 17);
  CHECK(strcmp(fields[0].value, "100") == 0 && fields[0].value_len == 3);
  CHECK(strcmp(fields[2].value, "1706284872") == 0);
  CHECK(strcmp(fields[3].name, "Retry-After") == 0 && strcmp(fields[3].value, "1") == 0);
  /* What a server writes, a client reads back. */
  ratecell_rate_limit_info info;
  CHECK_STATUS(ratecell_rate_limit_info_parse(fields, count, UNIX_NOW, &info), RATECELL_STATUS_OK);
  CHECK(info.has_limit && info.limit == 100 && info.has_remaining && info.remaining == 0);
  CHECK(info.has_reset && info.reset_ns == 72 * SEC);
  CHECK(info.has_retry_after && info.retry_after_ns == SEC);
}

static void test_admitted_requests_and_credits_only(void) {
  ratecell_decision ok = {true, 120, 119, 0, 600 * MS};
  ratecell_header_policy p;
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &ok, &p), RATECELL_STATUS_OK);
  ratecell_headers h = headers(RATECELL_HEADER_STYLE_DRAFT6, &p, 1);
  char buf[256];
  size_t len;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strstr(buf, "Retry-After") == NULL && strstr(buf, "RateLimit-Reset: 1\r\n") != NULL);
  ratecell_headers credits = headers(RATECELL_HEADER_STYLE_IETF, NULL, 0);
  credits.has_credits = true;
  credits.credits_remaining = 0;
  credits.credits_used = 1000;
  CHECK_STATUS(ratecell_headers_write(&credits, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strcmp(buf, "X-API-Credits-Remaining: 0\r\nX-API-Credits-Used: 1000\r\n") == 0);
  /* A denial no wait can cure (credits spent) gets no Retry-After: answer 402. */
  ratecell_decision never = {false, 1000, 0, UINT64_MAX, 0};
  CHECK_STATUS(ratecell_header_policy_init("credits", &free_quota, &never, &p), RATECELL_STATUS_OK);
  h = headers(RATECELL_HEADER_STYLE_LEGACY, &p, 1);
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_OK);
  CHECK(strstr(buf, "Retry-After") == NULL);
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_header_policy p;
  ratecell_header_field fields[6];
  char buf[256];
  size_t len = 7, count, bytes;
  CHECK_STATUS(ratecell_header_policy_init("bad\nname", &free_quota, &refused, &p),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_header_policy_init("caf\xc3\xa9", &free_quota, &refused, &p),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_header_policy_init("\xff", &free_quota, &refused, &p),
               RATECELL_STATUS_INVALID_UTF8);
  CHECK_STATUS(ratecell_header_policy_init(NULL, &free_quota, &refused, &p),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_header_policy_init("a", NULL, &refused, &p), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_header_policy_init("a", &free_quota, NULL, &p),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_header_policy_init("a", &free_quota, &refused, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_quota zero = {0, 0, 0};
  CHECK_STATUS(ratecell_header_policy_init("a", &zero, &refused, &p), RATECELL_STATUS_INVALID_QUOTA);
  CHECK_STATUS(ratecell_header_policy_init("free", &free_quota, &refused, &p), RATECELL_STATUS_OK);
  ratecell_headers h = headers(5, &p, 1);
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(len == 7); /* nothing written */
  h = headers(RATECELL_HEADER_STYLE_IETF, &p, 1);
  p.unit = 3;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_INVALID_ARGUMENT);
  p.unit = 0;
  p.name = "tab\tname";
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_INVALID_ARGUMENT);
  p.name = NULL;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_NULL_ARGUMENT);
  p.name = "free";
  p.partition_key_len = 3; /* with a NULL key */
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_NULL_ARGUMENT);
  p.partition_key_len = 0;
  h.policies = NULL;
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, &len), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, buf, sizeof buf, &count, &bytes),
               RATECELL_STATUS_NULL_ARGUMENT);
  h.policies = &p;
  CHECK_STATUS(ratecell_headers_write(NULL, buf, sizeof buf, &len), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_write(&h, NULL, 10, &len), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_write(&h, buf, sizeof buf, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(NULL, fields, 6, buf, sizeof buf, &count, &bytes),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(&h, NULL, 6, buf, sizeof buf, &count, &bytes),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, NULL, 10, &count, &bytes),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, buf, sizeof buf, NULL, &bytes),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_headers_fields(&h, fields, 6, buf, sizeof buf, &count, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  setup();
  test_a_refusal_in_the_legacy_style();
  test_every_style_writes_its_own_fields();
  test_style_names_parse();
  test_several_policies_and_a_partition_key();
  test_a_small_buffer_is_told_the_size_it_needs();
  test_fields_come_out_as_name_value_pairs();
  test_admitted_requests_and_credits_only();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_http_headers");
}
