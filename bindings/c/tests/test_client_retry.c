/* The retry policy through the C ABI: 429 and 5xx wait at least Retry-After, 402 asks for a
 * top-up, other statuses stop, both budgets give up, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_retry_policy policy(void) {
  ratecell_retry_policy p;
  memset(&p, 0, sizeof p);
  p.backoff.base_ns = 100 * MS;
  p.backoff.cap_ns = 10 * SEC;
  p.backoff.jitter = RATECELL_JITTER_FULL;
  p.max_attempts = 5;
  p.max_elapsed_ns = 60 * SEC;
  return p;
}

static ratecell_rate_limit_info retry_after(uint64_t ns) {
  ratecell_rate_limit_info info;
  memset(&info, 0, sizeof info);
  info.has_retry_after = true;
  info.retry_after_ns = ns;
  return info;
}

static void test_a_429_waits_at_least_retry_after_and_a_402_never_retries(void) {
  ratecell_retry_policy p = policy();
  ratecell_retry_state s;
  ratecell_retry_decision d;
  CHECK_STATUS(ratecell_retry_state_init(0, 7, &s), RATECELL_STATUS_OK);
  ratecell_rate_limit_info info = retry_after(3 * SEC);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 429, &info, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_RETRY && d.after_ns >= 3 * SEC);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 3 * SEC, 402, &info, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_TOP_UP_CREDITS && d.after_ns == 0);
}

static void test_successes_and_client_errors_stop(void) {
  ratecell_retry_policy p = policy();
  ratecell_retry_state s;
  ratecell_retry_decision d;
  const uint32_t final[] = {200, 201, 204, 301, 400, 401, 403, 404, 409, 422};
  for (size_t i = 0; i < sizeof final / sizeof final[0]; i++) {
    CHECK_STATUS(ratecell_retry_state_init(0, 1, &s), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, final[i], NULL, &d), RATECELL_STATUS_OK);
    CHECK(d.action == RATECELL_RETRY_ACTION_STOP);
  }
}

static void test_server_errors_and_dropped_connections_back_off(void) {
  ratecell_retry_policy p = policy();
  p.backoff.jitter = RATECELL_JITTER_NONE;
  ratecell_retry_state s;
  ratecell_retry_decision d;
  CHECK_STATUS(ratecell_retry_state_init(0, 1, &s), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 0, NULL, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_RETRY && d.after_ns == 100 * MS);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, SEC, 503, NULL, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_RETRY && d.after_ns == 200 * MS);
  ratecell_rate_limit_info info = retry_after(5 * SEC);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 2 * SEC, 503, &info, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_RETRY && d.after_ns == 5 * SEC);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 8 * SEC, 500, NULL, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_RETRY && d.after_ns == 800 * MS);
  /* The fifth attempt was the last one allowed. */
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 9 * SEC, 502, NULL, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_GIVE_UP_ATTEMPTS);
}

static void test_a_wait_past_the_deadline_gives_up(void) {
  ratecell_retry_policy p = policy();
  ratecell_retry_state s;
  ratecell_retry_decision d;
  CHECK_STATUS(ratecell_retry_state_init(10 * SEC, 1, &s), RATECELL_STATUS_OK);
  ratecell_rate_limit_info info = retry_after(30 * SEC);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 45 * SEC, 429, &info, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_GIVE_UP_DEADLINE);
  p.max_attempts = 0; /* counts as one: the first attempt was the only one */
  CHECK_STATUS(ratecell_retry_state_init(0, 1, &s), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 429, NULL, &d), RATECELL_STATUS_OK);
  CHECK(d.action == RATECELL_RETRY_ACTION_GIVE_UP_ATTEMPTS);
}

static void test_the_same_seed_retries_at_the_same_instants(void) {
  ratecell_retry_policy p = policy();
  ratecell_retry_state a, b;
  CHECK_STATUS(ratecell_retry_state_init(0, 99, &a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_retry_state_init(0, 99, &b), RATECELL_STATUS_OK);
  for (int i = 0; i < 4; i++) {
    ratecell_retry_decision x, y;
    CHECK_STATUS(ratecell_retry_decide(&p, &a, 0, 0, NULL, &x), RATECELL_STATUS_OK);
    CHECK_STATUS(ratecell_retry_decide(&p, &b, 0, 0, NULL, &y), RATECELL_STATUS_OK);
    CHECK(x.action == y.action && x.after_ns == y.after_ns);
  }
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_retry_policy p = policy();
  ratecell_retry_state s;
  ratecell_retry_decision d = {77, 77};
  CHECK_STATUS(ratecell_retry_state_init(0, 1, &s), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 99, NULL, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 1000, NULL, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, UINT32_MAX, NULL, &d),
               RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_retry_policy bad = p;
  bad.backoff.base_ns = 0;
  CHECK_STATUS(ratecell_retry_decide(&bad, &s, 0, 429, NULL, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  bad = p;
  bad.backoff.jitter = 9;
  CHECK_STATUS(ratecell_retry_decide(&bad, &s, 0, 429, NULL, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_retry_state tampered = s;
  tampered.opaque[1] = UINT64_MAX;
  CHECK_STATUS(ratecell_retry_decide(&p, &tampered, 0, 429, NULL, &d),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(d.action == 77 && d.after_ns == 77);
  CHECK_STATUS(ratecell_retry_state_init(0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_retry_decide(NULL, &s, 0, 429, NULL, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_retry_decide(&p, NULL, 0, 429, NULL, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_retry_decide(&p, &s, 0, 429, NULL, NULL), RATECELL_STATUS_NULL_ARGUMENT);
}

int main(void) {
  test_a_429_waits_at_least_retry_after_and_a_402_never_retries();
  test_successes_and_client_errors_stop();
  test_server_errors_and_dropped_connections_back_off();
  test_a_wait_past_the_deadline_gives_up();
  test_the_same_seed_retries_at_the_same_instants();
  test_bad_arguments_are_statuses();
  return SUMMARY("test_client_retry");
}
