/* Credits through the C ABI: a budget that runs out (402, not 429), top-ups, the balance
 * the X-API-Credits-* fields report, keyed and combined with rate limits, bad arguments. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull

static void test_credits_run_out_and_a_top_up_fixes_it(void) {
  ratecell_credits credits;
  ratecell_credits_state key = {{0}};
  ratecell_decision d;
  uint64_t remaining = 0, used = 0;
  CHECK_STATUS(ratecell_credits_init(1000, &credits), RATECELL_STATUS_OK);
  CHECK(credits.budget == 1000);
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 0, 588, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.limit == 1000 && d.remaining == 412);
  CHECK_STATUS(ratecell_credits_balance(&credits, &key, &remaining, &used), RATECELL_STATUS_OK);
  CHECK(remaining == 412 && used == 588); /* X-API-Credits-Remaining and -Used */
  /* Out of credits: a refusal no wait can cure. */
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 60 * SEC, 500, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed && d.remaining == 412);
  CHECK(d.retry_after_ns == UINT64_MAX && d.reset_after_ns == UINT64_MAX);
  CHECK_STATUS(ratecell_credits_top_up(&credits, &key, 100, &remaining), RATECELL_STATUS_OK);
  CHECK(remaining == 512);
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 60 * SEC, 500, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.limit == 1100 && d.remaining == 12);
  CHECK_STATUS(ratecell_credits_peek(&credits, &key, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 12);
}

static void test_a_top_up_past_two_to_the_64_adds_nothing(void) {
  ratecell_credits credits = {10};
  ratecell_credits_state key = {{0}};
  uint64_t remaining = 7;
  CHECK_STATUS(ratecell_credits_top_up(&credits, &key, 5, &remaining), RATECELL_STATUS_OK);
  CHECK(remaining == 15);
  CHECK_STATUS(ratecell_credits_top_up(&credits, &key, UINT64_MAX, &remaining),
               RATECELL_STATUS_CREDITS_OVERFLOW);
  CHECK(remaining == 15);
  CHECK_STATUS(ratecell_credits_top_up(&credits, &key, UINT64_MAX - 15, &remaining),
               RATECELL_STATUS_OK);
  CHECK(remaining == UINT64_MAX);
}

static void test_a_zero_budget_spends_only_top_ups(void) {
  ratecell_credits credits = {0}; /* plain data: a zeroed policy is a budget of zero */
  ratecell_credits_state key = {{0}};
  ratecell_decision d;
  bool fresh = false;
  uint64_t remaining;
  CHECK_STATUS(ratecell_credits_is_fresh(&credits, &key, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed);
  CHECK_STATUS(ratecell_credits_top_up(&credits, &key, 3, &remaining), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_credits_is_fresh(&credits, &key, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh); /* forgetting it would lose the top-up */
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 0, 3, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 0);
  CHECK_STATUS(ratecell_credits_check(&credits, &key, 0, UINT64_MAX, &d), RATECELL_STATUS_OK);
  CHECK(!d.allowed); /* never an error: any cost could be topped up */
  CHECK_STATUS(ratecell_credits_reset(&key), RATECELL_STATUS_OK);
  CHECK(key.opaque[0] == 0 && key.opaque[1] == 0);
}

static void test_a_request_refused_by_a_rate_limit_spends_no_credits(void) {
  ratecell_quota q;
  ratecell_gcra rate;
  ratecell_credits credits = {5};
  ratecell_all_of *a = NULL;
  ratecell_all_of_decision d;
  CHECK_STATUS(ratecell_quota_parse("2/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &rate), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_new(&a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_gcra(a, &rate), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_credits(a, &credits), RATECELL_STATUS_OK);
  int admitted = 0;
  for (int i = 0; i < 4; i++) {
    CHECK_STATUS(ratecell_all_of_check(a, 0, 1, &d), RATECELL_STATUS_OK);
    admitted += d.decision.allowed;
  }
  CHECK(admitted == 2 && d.refused_by == 0 && d.decision.retry_after_ns == SEC / 2);
  ratecell_decision member;
  CHECK_STATUS(ratecell_all_of_peek_member(a, 1, 0, &member), RATECELL_STATUS_OK);
  CHECK(member.remaining == 3);
  for (int i = 1; i <= 6; i++) {
    CHECK_STATUS(ratecell_all_of_check(a, (uint64_t)i * SEC, 1, &d), RATECELL_STATUS_OK);
  }
  /* Now the budget refuses: retry_after says never, so the answer is 402. */
  CHECK(!d.decision.allowed && d.refused_by == 1 && d.decision.retry_after_ns == UINT64_MAX);
  CHECK_STATUS(ratecell_all_of_free(a), RATECELL_STATUS_OK);
}

static void test_every_api_key_has_its_own_budget(void) {
  ratecell_credits credits = {2};
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  CHECK_STATUS(ratecell_keyed_new_credits(&credits, 100, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  for (int i = 0; i < 3; i++) {
    CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"a", 1, 0, 1, &d), RATECELL_STATUS_OK);
  }
  CHECK(!d.decision.allowed && !d.table_full && d.decision.retry_after_ns == UINT64_MAX);
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"b", 1, 0, 2, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && d.decision.remaining == 0);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_credits(NULL, 100, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
}

static void test_null_arguments_are_statuses(void) {
  ratecell_credits c = {10};
  ratecell_credits_state s = {{0}};
  ratecell_decision d;
  uint64_t r, u;
  bool f;
  CHECK_STATUS(ratecell_credits_init(1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_check(NULL, &s, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_check(&c, NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_check(&c, &s, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_peek(NULL, &s, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_peek(&c, NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_peek(&c, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_top_up(NULL, &s, 1, &r), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_top_up(&c, NULL, 1, &r), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_top_up(&c, &s, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_balance(NULL, &s, &r, &u), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_balance(&c, NULL, &r, &u), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_balance(&c, &s, NULL, &u), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_balance(&c, &s, &r, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_is_fresh(NULL, &s, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_is_fresh(&c, NULL, 0, &f), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_credits_is_fresh(&c, &s, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK(s.opaque[0] == 0 && s.opaque[1] == 0); /* nothing above spent or added anything */
}

int main(void) {
  test_credits_run_out_and_a_top_up_fixes_it();
  test_a_top_up_past_two_to_the_64_adds_nothing();
  test_a_zero_budget_spends_only_top_ups();
  test_a_request_refused_by_a_rate_limit_spends_no_credits();
  test_every_api_key_has_its_own_budget();
  test_null_arguments_are_statuses();
  return SUMMARY("test_credits");
}
