/* All-or-nothing combinations through the C ABI: the Starter plan's endpoint groups inside
 * its plan limit, WebSocket messages and bytes per second, mixed algorithms, refusals that
 * change nothing, errors and foreign handles. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_gcra gcra(const char *quota) {
  ratecell_quota q;
  ratecell_gcra g = {{0}};
  CHECK_STATUS(ratecell_quota_parse(quota, &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  return g;
}

/* Starter: 120/minute for the plan; sessions (create) 60, sessions (read) 120, recordings 60,
 * analysis 30, webhooks 60 per minute. One combination holds the plan and every group, so
 * the plan's state is shared: a request costs 1 to the plan and 1 to its own group, 0 (a
 * peek) to the others. */
enum { PLAN, CREATE, READ, RECORDINGS, ANALYSIS, WEBHOOKS, GROUPS };

static ratecell_all_of *starter(void) {
  const char *quotas[GROUPS] = {"120/minute", "60/minute", "120/minute",
                                "60/minute",  "30/minute", "60/minute"};
  ratecell_all_of *a = NULL;
  CHECK_STATUS(ratecell_all_of_new(&a), RATECELL_STATUS_OK);
  for (int i = 0; i < GROUPS; i++) {
    ratecell_gcra g = gcra(quotas[i]);
    CHECK_STATUS(ratecell_all_of_add_gcra(a, &g), RATECELL_STATUS_OK);
  }
  return a;
}

static ratecell_status request(ratecell_all_of *a, int group, uint64_t now,
                               ratecell_all_of_decision *out) {
  uint64_t costs[GROUPS] = {0};
  costs[PLAN] = 1;
  costs[group] = 1;
  return ratecell_all_of_check_costs(a, now, costs, GROUPS, out);
}

static void test_an_endpoint_group_refuses_inside_the_plan(void) {
  ratecell_all_of *a = starter();
  ratecell_all_of_decision d;
  size_t len = 0;
  CHECK_STATUS(ratecell_all_of_len(a, &len), RATECELL_STATUS_OK);
  CHECK(len == GROUPS);
  for (int i = 0; i < 30; i++) {
    CHECK_STATUS(request(a, ANALYSIS, 0, &d), RATECELL_STATUS_OK);
    CHECK(d.decision.allowed && !d.refused);
  }
  CHECK(d.tightest == ANALYSIS);
  CHECK_STATUS(request(a, ANALYSIS, 0, &d), RATECELL_STATUS_OK);
  CHECK(!d.decision.allowed && d.refused && d.refused_by == ANALYSIS);
  CHECK(d.decision.retry_after_ns == 2 * SEC); /* 60 s / 30 */
  /* The plan was charged 30, not 31: the refused request changed nothing. */
  ratecell_decision plan;
  CHECK_STATUS(ratecell_all_of_peek_member(a, PLAN, 0, &plan), RATECELL_STATUS_OK);
  CHECK(plan.remaining == 90);
  /* Other groups still have the rest of the plan. */
  int read = 0;
  for (int i = 0; i < 200; i++) {
    CHECK_STATUS(request(a, READ, 0, &d), RATECELL_STATUS_OK);
    read += d.decision.allowed;
  }
  CHECK(read == 90);
  CHECK(d.refused && d.refused_by == PLAN); /* now the plan itself refuses */
  CHECK_STATUS(ratecell_all_of_free(a), RATECELL_STATUS_OK);
}

static void test_websocket_messages_and_bytes_are_charged_together(void) {
  /* Free: 100 messages and 32 KB a second; a message of 16 KB costs 1 and 16,000. */
  ratecell_all_of *socket = NULL;
  ratecell_gcra messages = gcra("100/second"), bytes = gcra("32000/second");
  CHECK_STATUS(ratecell_all_of_new(&socket), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_gcra(socket, &messages), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_gcra(socket, &bytes), RATECELL_STATUS_OK);
  ratecell_all_of_decision d;
  const uint64_t audio[2] = {1, 16000};
  CHECK_STATUS(ratecell_all_of_check_costs(socket, 0, audio, 2, &d), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_check_costs(socket, 0, audio, 2, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed);
  CHECK_STATUS(ratecell_all_of_check_costs(socket, 0, audio, 2, &d), RATECELL_STATUS_OK);
  CHECK(!d.decision.allowed && d.refused_by == 1);
  CHECK(d.decision.retry_after_ns == 500 * MS); /* 16 KB at 32 KB/s */
  /* Small control messages still fit within the message limit, byte by byte. */
  const uint64_t ping[2] = {1, 0};
  int pings = 0;
  for (int i = 0; i < 200; i++) {
    CHECK_STATUS(ratecell_all_of_check_costs(socket, 0, ping, 2, &d), RATECELL_STATUS_OK);
    pings += d.decision.allowed;
  }
  CHECK(pings == 98);
  CHECK(d.refused_by == 0);
  /* A frame over the byte capacity can never be admitted: an error, nothing charged. */
  const uint64_t huge[2] = {1, 32001};
  CHECK_STATUS(ratecell_all_of_check_costs(socket, SEC, huge, 2, &d),
               RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  ratecell_all_of_decision peek;
  CHECK_STATUS(ratecell_all_of_peek(socket, SEC, &peek), RATECELL_STATUS_OK);
  CHECK(peek.decision.remaining == 100 && !peek.refused);
  CHECK_STATUS(ratecell_all_of_free(socket), RATECELL_STATUS_OK);
}

static void test_members_of_every_kind_combine(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_fixed_window fw;
  ratecell_sliding_window sw;
  ratecell_all_of *a = NULL;
  ratecell_all_of_decision d;
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_quota_parse("1000/hour", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &fw), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_quota_parse("15/10s", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &sw), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_new(&a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_burst(a, &b), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_fixed_window(a, &fw), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_sliding_window(a, &sw), RATECELL_STATUS_OK);
  ratecell_token_bucket tb;
  ratecell_credits credits = {1000};
  CHECK_STATUS(ratecell_quota_parse("20/second burst 18", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_init(&q, false, &tb), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_token_bucket(a, &tb), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_add_credits(a, &credits), RATECELL_STATUS_OK);
  int ok = 0;
  for (int i = 0; i < 40; i++) {
    CHECK_STATUS(ratecell_all_of_check(a, 0, 1, &d), RATECELL_STATUS_OK);
    ok += d.decision.allowed;
  }
  CHECK(ok == 15 && d.refused_by == 2 && d.decision.limit == 15);
  ratecell_decision spent;
  CHECK_STATUS(ratecell_all_of_peek_member(a, 4, 0, &spent), RATECELL_STATUS_OK);
  CHECK(spent.remaining == 985); /* only admitted requests spent credits */
  CHECK_STATUS(ratecell_all_of_check(a, 0, 16, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  bool fresh = true;
  CHECK_STATUS(ratecell_all_of_is_fresh(a, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(!fresh);
  CHECK_STATUS(ratecell_all_of_reset(a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_is_fresh(a, 0, &fresh), RATECELL_STATUS_OK);
  CHECK(fresh);
  CHECK_STATUS(ratecell_all_of_free(a), RATECELL_STATUS_OK);
}

static void test_an_empty_combination_admits_everything(void) {
  ratecell_all_of *a = NULL;
  ratecell_all_of_decision d;
  CHECK_STATUS(ratecell_all_of_new(&a), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_check(a, 0, UINT64_MAX, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && d.decision.limit == UINT64_MAX);
  CHECK_STATUS(ratecell_all_of_check_costs(a, 0, NULL, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed);
  CHECK_STATUS(ratecell_all_of_free(a), RATECELL_STATUS_OK);
}

static void test_bad_arguments_are_statuses_that_change_nothing(void) {
  ratecell_all_of *a = starter();
  ratecell_all_of_decision d;
  ratecell_decision m;
  bool b;
  size_t n;
  const uint64_t two[2] = {1, 1};
  CHECK_STATUS(ratecell_all_of_check_costs(a, 0, two, 2, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check_costs(a, 0, NULL, 6, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek_member(a, GROUPS, 0, &m), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek_member(a, SIZE_MAX, 0, &m), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek(a, 0, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.remaining == 30); /* nothing was charged */
  ratecell_gcra zero = {{0}};
  CHECK_STATUS(ratecell_all_of_add_gcra(a, &zero), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_burst zb = {{0}};
  CHECK_STATUS(ratecell_all_of_add_burst(a, &zb), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_fixed_window zf = {{0}};
  CHECK_STATUS(ratecell_all_of_add_fixed_window(a, &zf), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_sliding_window zs = {{0}};
  CHECK_STATUS(ratecell_all_of_add_sliding_window(a, &zs), RATECELL_STATUS_INVALID_ARGUMENT);
  ratecell_token_bucket zt = {{0}};
  CHECK_STATUS(ratecell_all_of_add_token_bucket(a, &zt), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_len(a, &n), RATECELL_STATUS_OK);
  CHECK(n == GROUPS);
  CHECK_STATUS(ratecell_all_of_new(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_gcra(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_burst(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_fixed_window(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_sliding_window(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_token_bucket(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_add_credits(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check(a, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check_costs(a, 0, two, 2, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek(a, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek_member(a, 0, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_is_fresh(a, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_len(a, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_gcra g = gcra("1/second");
  CHECK_STATUS(ratecell_all_of_add_gcra(NULL, &g), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check(NULL, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check_costs(NULL, 0, two, 2, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek(NULL, 0, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_peek_member(NULL, 0, 0, &m), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_is_fresh(NULL, 0, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_len(NULL, &n), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_reset(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_free(NULL), RATECELL_STATUS_OK);
  ratecell_sliding_log *other = NULL;
  ratecell_quota q = {1, SEC, 1};
  CHECK_STATUS(ratecell_sliding_log_new(&q, 0, &other), RATECELL_STATUS_OK);
  ratecell_all_of *wrong = (ratecell_all_of *)other;
  CHECK_STATUS(ratecell_all_of_add_gcra(wrong, &g), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_check(wrong, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_all_of_free(wrong), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_sliding_log_free(other), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_all_of_free(a), RATECELL_STATUS_OK);
}

int main(void) {
  test_an_endpoint_group_refuses_inside_the_plan();
  test_websocket_messages_and_bytes_are_charged_together();
  test_members_of_every_kind_combine();
  test_an_empty_combination_admits_everything();
  test_bad_arguments_are_statuses_that_change_nothing();
  return SUMMARY("test_all_of");
}
