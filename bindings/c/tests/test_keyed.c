/* Keyed stores through the C ABI: a state per API key (byte strings), bounded memory that
 * fails closed or evicts, "table full" told apart from a refusal, threads sharing a store. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

static ratecell_gcra policy(const char *quota) {
  ratecell_quota q;
  ratecell_gcra g = {{0}};
  CHECK_STATUS(ratecell_quota_parse(quota, &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  return g;
}

static ratecell_status check_key(const ratecell_keyed *k, const char *key, uint64_t now,
                                 ratecell_keyed_decision *out) {
  return ratecell_keyed_check(k, (const uint8_t *)key, strlen(key), now, 1, out);
}

static void test_every_api_key_gets_its_own_free_tier(void) {
  ratecell_gcra free_tier = policy("100/minute burst 120");
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  CHECK_STATUS(ratecell_keyed_new_gcra(&free_tier, 1000, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  int alice = 0, bob = 0;
  for (int i = 0; i < 150; i++) {
    CHECK_STATUS(check_key(k, "sk_alice", 0, &d), RATECELL_STATUS_OK);
    alice += d.decision.allowed;
    CHECK(!d.table_full);
  }
  CHECK_STATUS(check_key(k, "sk_bob", 0, &d), RATECELL_STATUS_OK);
  bob += d.decision.allowed;
  CHECK(alice == 120 && bob == 1);
  CHECK(d.decision.remaining == 119);
  ratecell_decision peek;
  CHECK_STATUS(ratecell_keyed_peek(k, (const uint8_t *)"sk_alice", 8, 600 * MS, &peek),
               RATECELL_STATUS_OK);
  CHECK(peek.remaining == 1);
  CHECK_STATUS(ratecell_keyed_peek(k, (const uint8_t *)"sk_carol", 8, 0, &peek),
               RATECELL_STATUS_OK);
  CHECK(peek.remaining == 120); /* a key never seen is fresh */
  size_t len = 0;
  CHECK_STATUS(ratecell_keyed_len(k, &len), RATECELL_STATUS_OK);
  CHECK(len == 2);
  bool stored = false;
  CHECK_STATUS(ratecell_keyed_contains(k, (const uint8_t *)"sk_bob", 6, &stored), RATECELL_STATUS_OK);
  CHECK(stored);
  CHECK_STATUS(ratecell_keyed_reset(k, (const uint8_t *)"sk_alice", 8, &stored), RATECELL_STATUS_OK);
  CHECK(stored);
  CHECK_STATUS(ratecell_keyed_reset(k, (const uint8_t *)"sk_alice", 8, &stored), RATECELL_STATUS_OK);
  CHECK(!stored);
  CHECK_STATUS(check_key(k, "sk_alice", 0, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && d.decision.remaining == 119);
  CHECK_STATUS(ratecell_keyed_clear(k), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_len(k, &len), RATECELL_STATUS_OK);
  CHECK(len == 0);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_keys_are_bytes_not_strings(void) {
  ratecell_gcra one = policy("1/minute");
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  CHECK_STATUS(ratecell_keyed_new_gcra(&one, 16, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  const uint8_t a[3] = {'k', 0, 'a'}, b[3] = {'k', 0, 'b'};
  CHECK_STATUS(ratecell_keyed_check(k, a, 3, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed);
  CHECK_STATUS(ratecell_keyed_check(k, b, 3, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed); /* a NUL inside a key does not end it */
  CHECK_STATUS(ratecell_keyed_check(k, a, 1, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed); /* "k" is a third key */
  CHECK_STATUS(ratecell_keyed_check(k, NULL, 0, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed); /* (NULL, 0) is the empty key */
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"", 0, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.decision.allowed && !d.table_full);
  CHECK_STATUS(ratecell_keyed_check(k, a, 3, 0, 2, &d), RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_a_full_store_fails_closed_and_says_so(void) {
  ratecell_gcra per_second = policy("1/second");
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  CHECK_STATUS(ratecell_keyed_new_gcra(&per_second, 1, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  CHECK_STATUS(check_key(k, "first", 0, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && !d.table_full);
  /* The only place is held until "first" is fresh again, one second later. */
  CHECK_STATUS(check_key(k, "second", 400 * MS, &d), RATECELL_STATUS_OK);
  CHECK(!d.decision.allowed && d.table_full);
  CHECK(d.decision.remaining == 0 && d.decision.retry_after_ns == 600 * MS);
  CHECK(d.decision.reset_after_ns == 0 && d.decision.limit == 1);
  CHECK_STATUS(check_key(k, "second", SEC, &d), RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && !d.table_full); /* "first" was reclaimed on its own */
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_a_full_store_can_evict_instead(void) {
  ratecell_gcra per_minute = policy("10/minute");
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  uint64_t evictions = 99;
  CHECK_STATUS(ratecell_keyed_new_gcra(&per_minute, 2, RATECELL_WHEN_FULL_EVICT, &k),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_evictions(k, &evictions), RATECELL_STATUS_OK);
  CHECK(evictions == 0);
  const char *keys[] = {"a", "b", "c", "d", "e"};
  for (int i = 0; i < 5; i++) {
    CHECK_STATUS(check_key(k, keys[i], 0, &d), RATECELL_STATUS_OK);
    CHECK(d.decision.allowed && !d.table_full);
  }
  size_t len = 0;
  CHECK_STATUS(ratecell_keyed_len(k, &len), RATECELL_STATUS_OK);
  CHECK(len <= 2);
  CHECK_STATUS(ratecell_keyed_evictions(k, &evictions), RATECELL_STATUS_OK);
  CHECK(evictions >= 3);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_stores_of_every_algorithm(void) {
  ratecell_quota q;
  ratecell_burst b;
  ratecell_fixed_window fw;
  ratecell_sliding_window sw;
  ratecell_token_bucket tb;
  ratecell_keyed *k[4] = {NULL, NULL, NULL, NULL};
  CHECK_STATUS(ratecell_quota_parse("100/minute burst 120", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_burst_init(&q, 10 * SEC, &b), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_fixed_window_init(&q, &fw), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &sw), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_init(&q, false, &tb), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_token_bucket(&tb, 10, RATECELL_WHEN_FULL_EVICT, &k[3]),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_burst(&b, 10, RATECELL_WHEN_FULL_FAIL_CLOSED, &k[0]),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_fixed_window(&fw, 10, RATECELL_WHEN_FULL_FAIL_CLOSED, &k[1]),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_sliding_window(&sw, 10, RATECELL_WHEN_FULL_EVICT, &k[2]),
               RATECELL_STATUS_OK);
  const int expected[4] = {20, 100, 100, 120};
  for (int s = 0; s < 4; s++) {
    int ok = 0;
    ratecell_keyed_decision d;
    for (int i = 0; i < 150; i++) {
      CHECK_STATUS(check_key(k[s], "sk_live", 0, &d), RATECELL_STATUS_OK);
      ok += d.decision.allowed;
    }
    CHECK(ok == expected[s]);
    CHECK_STATUS(ratecell_keyed_free(k[s]), RATECELL_STATUS_OK);
  }
}

struct worker {
  const ratecell_keyed *store;
  int admitted;
  int errors;
};

static void *hammer(void *arg) {
  struct worker *w = arg;
  char key[16];
  for (int i = 0; i < 2000; i++) {
    snprintf(key, sizeof key, "key-%d", i % 4);
    ratecell_keyed_decision d;
    if (ratecell_keyed_check(w->store, (const uint8_t *)key, strlen(key), 0, 1, &d) !=
        RATECELL_STATUS_OK) {
      w->errors++;
      continue;
    }
    w->admitted += d.decision.allowed;
  }
  return NULL;
}

static void test_threads_share_a_store_without_admitting_extra(void) {
  ratecell_gcra p = policy("100/minute");
  ratecell_keyed *k = NULL;
  CHECK_STATUS(ratecell_keyed_new_gcra(&p, 64, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  struct worker workers[4];
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (struct worker){k, 0, 0};
    CHECK(pthread_create(&threads[i], NULL, hammer, &workers[i]) == 0);
  }
  int admitted = 0, errors = 0;
  for (int i = 0; i < 4; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    admitted += workers[i].admitted;
    errors += workers[i].errors;
  }
  CHECK(errors == 0);
  CHECK(admitted == 4 * 100); /* four keys, exactly a burst each, however the threads raced */
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_bad_arguments_are_statuses(void) {
  ratecell_gcra g = policy("5/second");
  ratecell_gcra zero = {{0}};
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  ratecell_decision p;
  bool b;
  size_t n;
  uint64_t e;
  CHECK_STATUS(ratecell_keyed_new_gcra(&g, 0, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_gcra(&g, 10, 2, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_gcra(&g, 10, UINT32_MAX, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_gcra(&zero, 10, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_gcra(NULL, 10, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_gcra(&g, 10, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_burst zb = {{0}};
  ratecell_fixed_window zf = {{0}};
  ratecell_sliding_window zs = {{0}};
  CHECK_STATUS(ratecell_keyed_new_burst(&zb, 10, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_fixed_window(&zf, 10, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_sliding_window(&zs, 10, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_burst(NULL, 10, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_fixed_window(NULL, 10, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_sliding_window(NULL, 10, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_token_bucket zt = {{0}};
  CHECK_STATUS(ratecell_keyed_new_token_bucket(&zt, 10, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_token_bucket(NULL, 10, 0, &k), RATECELL_STATUS_NULL_ARGUMENT);
  ratecell_credits c = {5};
  CHECK_STATUS(ratecell_keyed_new_credits(&c, 0, 0, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_new_credits(&c, 1, 7, &k), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK(k == NULL);
  CHECK_STATUS(ratecell_keyed_new_gcra(&g, 10, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  const uint8_t key[1] = {'x'};
  CHECK_STATUS(ratecell_keyed_check(k, NULL, 1, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_check(k, key, 1, 0, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_check(NULL, key, 1, 0, 1, &d), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_check(k, key, SIZE_MAX, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_peek(NULL, key, 1, 0, &p), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_peek(k, NULL, 1, 0, &p), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_peek(k, key, 1, 0, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_reset(NULL, key, 1, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_reset(k, NULL, 1, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_reset(k, key, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_contains(NULL, key, 1, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_contains(k, NULL, 1, &b), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_contains(k, key, 1, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_len(NULL, &n), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_len(k, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_evictions(NULL, &e), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_evictions(k, NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_clear(NULL), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_free(NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_len(k, &n), RATECELL_STATUS_OK);
  CHECK(n == 0); /* nothing above stored a key */
  ratecell_concurrency *other = NULL;
  CHECK_STATUS(ratecell_concurrency_new(1, SEC, &other), RATECELL_STATUS_OK);
  const ratecell_keyed *wrong = (const ratecell_keyed *)other;
  CHECK_STATUS(ratecell_keyed_check(wrong, key, 1, 0, 1, &d), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_len(wrong, &n), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_free((ratecell_keyed *)other), RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_concurrency_free(other), RATECELL_STATUS_OK);
  uint64_t zeroed[8] = {0};
  CHECK_STATUS(ratecell_keyed_clear((const ratecell_keyed *)zeroed),
               RATECELL_STATUS_INVALID_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

static void test_credits_top_ups_and_token_reservations_per_key(void) {
  ratecell_credits credits;
  ratecell_keyed *k = NULL;
  ratecell_keyed_decision d;
  uint64_t left = 0;
  CHECK_STATUS(ratecell_credits_init(1000, &credits), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_credits(&credits, 1, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"acct", 4, 0, 1000, &d),
               RATECELL_STATUS_OK);
  CHECK(d.decision.allowed && d.decision.remaining == 0);
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"acct", 4, 0, 1, &d), RATECELL_STATUS_OK);
  CHECK(!d.decision.allowed && d.decision.retry_after_ns == UINT64_MAX); /* 402: never */
  CHECK_STATUS(ratecell_keyed_top_up(k, (const uint8_t *)"acct", 4, 0, 400, &left),
               RATECELL_STATUS_OK);
  CHECK(left == 400);
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"acct", 4, 0, 400, &d),
               RATECELL_STATUS_OK);
  CHECK(d.decision.allowed);
  /* The one place is taken by a key that still counts: a new key is refused, nothing added. */
  left = 7;
  CHECK_STATUS(ratecell_keyed_top_up(k, (const uint8_t *)"other", 5, 0, 1, &left),
               RATECELL_STATUS_TABLE_FULL);
  CHECK(left == 7);
  CHECK_STATUS(ratecell_keyed_top_up(k, (const uint8_t *)"acct", 4, 0, UINT64_MAX, &left),
               RATECELL_STATUS_CREDITS_OVERFLOW);
  CHECK(left == 7);
  ratecell_reservation r;
  memset(&r, 0xAB, sizeof r);
  ratecell_reservation untouched = r;
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"acct", 4, 0, 1, 0, &r),
               RATECELL_STATUS_NOT_APPLICABLE);
  CHECK(memcmp(&r, &untouched, sizeof r) == 0);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);

  ratecell_quota q;
  ratecell_token_bucket bucket;
  CHECK_STATUS(ratecell_quota_parse("10/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_token_bucket_init(&q, false, &bucket), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_keyed_new_token_bucket(&bucket, 4, RATECELL_WHEN_FULL_FAIL_CLOSED, &k),
               RATECELL_STATUS_OK);
  ratecell_reservation all, late, refused;
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"key", 3, 0, 10, 0, &all),
               RATECELL_STATUS_OK);
  CHECK(all.committed == 1 && all.delay_ns == 0);
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"key", 3, 0, 5, SEC, &late),
               RATECELL_STATUS_OK);
  CHECK(late.committed == 1 && late.delay_ns == 500 * MS && late.ready_at_ns == 500 * MS);
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"key", 3, 0, 1, 100 * MS, &refused),
               RATECELL_STATUS_OK);
  CHECK(refused.committed == 0);
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"key", 3, 0, 11, SEC, &refused),
               RATECELL_STATUS_INSUFFICIENT_CAPACITY);
  /* Cancelling the late reservation gives its 5 tokens back: the bucket is at 0, not -5. */
  uint64_t tokens = 0;
  CHECK_STATUS(ratecell_keyed_cancel(k, (const uint8_t *)"key", 3, &late, 0, &tokens),
               RATECELL_STATUS_OK);
  CHECK(tokens == 5 && late.committed == 0);
  CHECK_STATUS(ratecell_keyed_cancel(k, (const uint8_t *)"key", 3, &late, 0, &tokens),
               RATECELL_STATUS_OK);
  CHECK(tokens == 0); /* a second cancel gives nothing back */
  CHECK_STATUS(ratecell_keyed_check(k, (const uint8_t *)"key", 3, 100 * MS, 1, &d),
               RATECELL_STATUS_OK);
  CHECK(d.decision.allowed);
  CHECK_STATUS(ratecell_keyed_top_up(k, (const uint8_t *)"key", 3, 0, 1, &left),
               RATECELL_STATUS_NOT_APPLICABLE);
  CHECK_STATUS(ratecell_keyed_top_up(NULL, (const uint8_t *)"key", 3, 0, 1, &left),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_top_up(k, (const uint8_t *)"key", 3, 0, 1, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_reserve(k, NULL, 3, 0, 1, 0, &r), RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_reserve(k, (const uint8_t *)"key", 3, 0, 1, 0, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_cancel(k, (const uint8_t *)"key", 3, NULL, 0, &tokens),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_cancel(k, (const uint8_t *)"key", 3, &all, 0, NULL),
               RATECELL_STATUS_NULL_ARGUMENT);
  CHECK_STATUS(ratecell_keyed_free(k), RATECELL_STATUS_OK);
}

int main(void) {
  test_every_api_key_gets_its_own_free_tier();
  test_keys_are_bytes_not_strings();
  test_a_full_store_fails_closed_and_says_so();
  test_a_full_store_can_evict_instead();
  test_stores_of_every_algorithm();
  test_threads_share_a_store_without_admitting_extra();
  test_bad_arguments_are_statuses();
  test_credits_top_ups_and_token_reservations_per_key();
  return SUMMARY("test_keyed");
}
