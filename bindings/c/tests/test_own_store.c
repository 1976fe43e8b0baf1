/* Keeping ratecell's state in a store of your own (memcached, a database row, shared memory):
 * the state structs are plain bytes, a check is a pure transition from the state read to the
 * state to write, and `reset_after_ns` is the time-to-live after which the entry may be
 * dropped. This test plays a store with versioned entries and a compare-and-set, shared by
 * threads standing in for server processes, and checks that together they admit exactly the
 * quota. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

#define SEC 1000000000ull
#define MS 1000000ull

/* The store: one entry holding a state's bytes, a version bumped by every write, and the
 * instant it expires (0: absent). A mutex stands in for the store's own atomicity. */
typedef struct {
  pthread_mutex_t lock;
  uint8_t bytes[sizeof(ratecell_sliding_window_state)];
  uint64_t version;
  uint64_t expires_at_ns;
} entry;

static void store_get(entry *e, uint64_t now_ns, void *state, size_t len, uint64_t *version) {
  pthread_mutex_lock(&e->lock);
  if (e->expires_at_ns <= now_ns) {
    memset(state, 0, len); /* absent or expired: a fresh state, all zero */
  } else {
    memcpy(state, e->bytes, len);
  }
  *version = e->version;
  pthread_mutex_unlock(&e->lock);
}

/* Writes `state` only when nobody wrote since `version` was read. */
static int store_compare_and_set(entry *e, const void *state, size_t len, uint64_t version,
                                 uint64_t expires_at_ns) {
  pthread_mutex_lock(&e->lock);
  int won = e->version == version;
  if (won) {
    memcpy(e->bytes, state, len);
    e->version++;
    e->expires_at_ns = expires_at_ns;
  }
  pthread_mutex_unlock(&e->lock);
  return won;
}

/* One request through the store: read, decide on the copy, write back only an admission. A
 * refusal changes nothing, so there is nothing to write. */
static ratecell_status gcra_through_store(const ratecell_gcra *policy, entry *e, uint64_t now,
                                          ratecell_decision *out) {
  for (;;) {
    ratecell_gcra_state state;
    uint64_t version;
    store_get(e, now, &state, sizeof state, &version);
    ratecell_decision d;
    ratecell_status st = ratecell_gcra_check(policy, &state, now, 1, &d);
    if (st != RATECELL_STATUS_OK) return st;
    if (!d.allowed || store_compare_and_set(e, &state, sizeof state, version,
                                            now + d.reset_after_ns)) {
      *out = d;
      return RATECELL_STATUS_OK;
    }
    /* Another process wrote first: decide again on what it wrote. */
  }
}

static ratecell_gcra policy_of(const char *quota) {
  ratecell_quota q;
  ratecell_gcra g = {{0}};
  CHECK_STATUS(ratecell_quota_parse(quota, &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_gcra_init(&q, &g), RATECELL_STATUS_OK);
  return g;
}

static void test_an_expired_entry_is_a_fresh_key(void) {
  ratecell_gcra free_tier = policy_of("100/minute burst 120");
  entry e = {.lock = PTHREAD_MUTEX_INITIALIZER};
  ratecell_decision d;
  int admitted = 0;
  for (int i = 0; i < 130; i++) {
    CHECK_STATUS(gcra_through_store(&free_tier, &e, 0, &d), RATECELL_STATUS_OK);
    admitted += d.allowed;
  }
  CHECK(admitted == 120);
  CHECK(!d.allowed && d.retry_after_ns == 600 * MS);
  /* The entry lives exactly as long as the state counts: 120 requests at 0.6 s each. */
  CHECK(e.expires_at_ns == 72 * SEC);
  CHECK_STATUS(gcra_through_store(&free_tier, &e, 72 * SEC - 1, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 118); /* the first request still counts for 1 ns */
  /* Once it expires, the store forgets it and the key starts fresh, as the core would. */
  CHECK_STATUS(gcra_through_store(&free_tier, &e, e.expires_at_ns, &d), RATECELL_STATUS_OK);
  CHECK(d.allowed && d.remaining == 119);
}

/* Four "processes" share one key through the store, each sending 2,000 requests at the same
 * instants: together they get exactly what one process would. */
typedef struct {
  const ratecell_gcra *policy;
  entry *e;
  int admitted;
  int failures;
} worker;

static void *run(void *arg) {
  worker *w = arg;
  for (uint64_t i = 0; i < 2000; i++) {
    ratecell_decision d;
    if (gcra_through_store(w->policy, w->e, i * MS, &d) != RATECELL_STATUS_OK) w->failures++;
    w->admitted += d.allowed;
  }
  return NULL;
}

static void test_processes_sharing_the_store_admit_exactly_the_quota(void) {
  /* 100 per second, burst 10, over 2 seconds: 10 + 1999 ms / 10 ms = 209 admissions. */
  ratecell_gcra policy = policy_of("100/second burst 10");
  entry e = {.lock = PTHREAD_MUTEX_INITIALIZER};
  worker workers[4];
  pthread_t threads[4];
  for (int i = 0; i < 4; i++) {
    workers[i] = (worker){.policy = &policy, .e = &e};
    CHECK(pthread_create(&threads[i], NULL, run, &workers[i]) == 0);
  }
  int total = 0;
  for (int i = 0; i < 4; i++) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].failures == 0);
    total += workers[i].admitted;
  }
  /* Interleavings decide who gets each admission, never how many there are, up to the
   * instants at which the threads happen to be: at least the admissions of the slowest
   * timeline, never more than the quota allows over the whole run. */
  CHECK(total <= 10 + 200);
  CHECK(total >= 10 + 199 - 3);
}

static void test_sliding_window_state_round_trips_through_bytes(void) {
  ratecell_quota q;
  ratecell_sliding_window w;
  CHECK_STATUS(ratecell_quota_parse("5/second", &q, NULL), RATECELL_STATUS_OK);
  CHECK_STATUS(ratecell_sliding_window_init(&q, &w), RATECELL_STATUS_OK);
  entry e = {.lock = PTHREAD_MUTEX_INITIALIZER};
  int admitted = 0;
  for (int i = 0; i < 8; i++) {
    ratecell_sliding_window_state s;
    uint64_t version;
    store_get(&e, 0, &s, sizeof s, &version);
    ratecell_decision d;
    CHECK_STATUS(ratecell_sliding_window_check(&w, &s, 0, 1, &d), RATECELL_STATUS_OK);
    if (d.allowed) {
      CHECK(store_compare_and_set(&e, &s, sizeof s, version, d.reset_after_ns));
      admitted++;
    }
  }
  CHECK(admitted == 5);
}

int main(void) {
  test_an_expired_entry_is_a_fresh_key();
  test_processes_sharing_the_store_admit_exactly_the_quota();
  test_sliding_window_state_round_trips_through_bytes();
  return SUMMARY("test_own_store");
}
