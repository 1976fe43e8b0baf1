/* Replays the JSON files of tests/vectors (see its README) through the C API: every step's expectation
 * must match what the library decides. The directory comes from argv[1] (default
 * "tests/vectors"). A small JSON reader is enough: the files hold objects, arrays, strings,
 * non-negative integers (large ones as decimal strings), booleans and null. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ratecell.h"

/* ---- a minimal JSON reader ---------------------------------------------------------------- */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jv {
  jtype type;
  int boolean;
  char *text; /* J_NUM digits or J_STR contents */
  size_t len;
  struct jv *items; /* J_ARR elements or J_OBJ values */
  char **keys;      /* J_OBJ keys */
} jv;

static int parse_value(const char **p, jv *out);

static void skip_ws(const char **p) {
  while (**p == ' ' || **p == '\n' || **p == '\r' || **p == '\t') (*p)++;
}

static int parse_string(const char **p, char **out) {
  if (**p != '"') return 0;
  (*p)++;
  const char *start = *p;
  while (**p && **p != '"') {
    if (**p == '\\' && (*p)[1]) (*p)++; /* the vectors use no escapes but "\"" and "\\" */
    (*p)++;
  }
  if (**p != '"') return 0;
  size_t n = (size_t)(*p - start);
  char *s = malloc(n + 1);
  if (!s) return 0;
  size_t j = 0;
  for (size_t i = 0; i < n; i++) {
    if (start[i] == '\\' && i + 1 < n) i++;
    s[j++] = start[i];
  }
  s[j] = '\0';
  *out = s;
  (*p)++;
  return 1;
}

static int push(jv *container, jv item, char *key) {
  jv *items = realloc(container->items, (container->len + 1) * sizeof *items);
  if (!items) return 0;
  container->items = items;
  if (container->type == J_OBJ) {
    char **keys = realloc(container->keys, (container->len + 1) * sizeof *keys);
    if (!keys) return 0;
    container->keys = keys;
    keys[container->len] = key;
  }
  items[container->len++] = item;
  return 1;
}

static int parse_value(const char **p, jv *out) {
  memset(out, 0, sizeof *out);
  skip_ws(p);
  if (**p == '{' || **p == '[') {
    int object = **p == '{';
    char close = object ? '}' : ']';
    out->type = object ? J_OBJ : J_ARR;
    (*p)++;
    skip_ws(p);
    if (**p == close) {
      (*p)++;
      return 1;
    }
    for (;;) {
      char *key = NULL;
      skip_ws(p);
      if (object) {
        if (!parse_string(p, &key)) return 0;
        skip_ws(p);
        if (**p != ':') return 0;
        (*p)++;
      }
      jv item;
      if (!parse_value(p, &item) || !push(out, item, key)) return 0;
      skip_ws(p);
      if (**p == ',') {
        (*p)++;
        continue;
      }
      if (**p != close) return 0;
      (*p)++;
      return 1;
    }
  }
  if (**p == '"') {
    out->type = J_STR;
    return parse_string(p, &out->text);
  }
  if (strncmp(*p, "true", 4) == 0 || strncmp(*p, "false", 5) == 0) {
    out->type = J_BOOL;
    out->boolean = **p == 't';
    *p += out->boolean ? 4 : 5;
    return 1;
  }
  if (strncmp(*p, "null", 4) == 0) {
    out->type = J_NULL;
    *p += 4;
    return 1;
  }
  const char *start = *p;
  while ((**p >= '0' && **p <= '9') || **p == '-') (*p)++;
  if (*p == start) return 0;
  out->type = J_NUM;
  out->text = strndup(start, (size_t)(*p - start));
  return out->text != NULL;
}

static void free_value(jv *v) {
  for (size_t i = 0; i < v->len; i++) {
    free_value(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->text);
}

static const jv *get(const jv *obj, const char *key) {
  if (!obj || obj->type != J_OBJ) return NULL;
  for (size_t i = 0; i < obj->len; i++)
    if (strcmp(obj->keys[i], key) == 0) return &obj->items[i];
  return NULL;
}

/* An integer field: a JSON number or a decimal string. */
static uint64_t num(const jv *v) {
  if (!v || (v->type != J_NUM && v->type != J_STR)) return 0;
  errno = 0;
  return strtoull(v->text, NULL, 10);
}

static uint64_t field(const jv *obj, const char *key) { return num(get(obj, key)); }

static const char *str(const jv *obj, const char *key) {
  const jv *v = get(obj, key);
  return v && v->type == J_STR ? v->text : "";
}

static int flag(const jv *obj, const char *key) {
  const jv *v = get(obj, key);
  return v && v->type == J_BOOL && v->boolean;
}

/* ---- replay ------------------------------------------------------------------------------- */

#define MAX_NAMES 32

typedef struct {
  char *name;
  ratecell_lease lease;
  ratecell_reservation reservation;
} named;

/* One key of one limiter, whatever its algorithm. */
typedef struct {
  const char *algorithm;
  ratecell_quota quota;
  ratecell_gcra gcra;
  ratecell_gcra_state gcra_state;
  ratecell_fixed_window fixed;
  ratecell_fixed_window_state fixed_state;
  ratecell_sliding_window sliding;
  ratecell_sliding_window_state sliding_state;
  ratecell_burst burst;
  ratecell_burst_state burst_state;
  ratecell_token_bucket bucket;
  ratecell_token_bucket_state bucket_state;
  ratecell_credits credits;
  ratecell_credits_state credits_state;
  ratecell_sliding_log *log;
  ratecell_concurrency *leases;
  ratecell_all_of *all_of;
  size_t members;
  named names[MAX_NAMES];
  size_t n_names;
  const jv *spec; /* the limiter */
  const jv *http; /* the case's "http" (name, unix_now_s), or NULL */
} key;

static const char *context = "";

static void fail(const char *what, const jv *step) {
  (void)step;
  checks_failed++;
  fprintf(stderr, "%s: %s\n", context, what);
}

static int quota_of(const jv *spec, ratecell_quota *q) {
  uint64_t limit = field(spec, "limit");
  uint64_t burst = get(spec, "burst") ? field(spec, "burst") : limit;
  return ratecell_quota_init(limit, field(spec, "period_ns"), burst, q) == RATECELL_STATUS_OK;
}

static int build(const jv *spec, key *k) {
  memset(k, 0, sizeof *k);
  k->algorithm = str(spec, "algorithm");
  const char *a = k->algorithm;
  if (strcmp(a, "concurrency") == 0)
    return ratecell_concurrency_new(field(spec, "limit"), field(spec, "ttl_ns"), &k->leases) ==
           RATECELL_STATUS_OK;
  if (strcmp(a, "credits") == 0)
    return ratecell_credits_init(field(spec, "budget"), &k->credits) == RATECELL_STATUS_OK;
  if (strcmp(a, "all_of") == 0) {
    const jv *members = get(spec, "members");
    if (!members || ratecell_all_of_new(&k->all_of) != RATECELL_STATUS_OK) return 0;
    k->members = members->len;
    for (size_t i = 0; i < members->len; i++) {
      ratecell_quota q;
      ratecell_gcra g;
      if (!quota_of(&members->items[i], &q) || ratecell_gcra_init(&q, &g) != RATECELL_STATUS_OK ||
          ratecell_all_of_add_gcra(k->all_of, &g) != RATECELL_STATUS_OK)
        return 0;
    }
    return 1;
  }
  if (!quota_of(spec, &k->quota)) return 0;
  if (strcmp(a, "gcra") == 0) return ratecell_gcra_init(&k->quota, &k->gcra) == RATECELL_STATUS_OK;
  if (strcmp(a, "fixed_window") == 0)
    return ratecell_fixed_window_init(&k->quota, &k->fixed) == RATECELL_STATUS_OK;
  if (strcmp(a, "sliding_window") == 0)
    return ratecell_sliding_window_init(&k->quota, &k->sliding) == RATECELL_STATUS_OK;
  if (strcmp(a, "burst") == 0)
    return ratecell_burst_init(&k->quota, field(spec, "burst_window_ns"), &k->burst) ==
           RATECELL_STATUS_OK;
  if (strcmp(a, "token_bucket") == 0)
    return ratecell_token_bucket_init(&k->quota, flag(spec, "starts_empty"), &k->bucket) ==
           RATECELL_STATUS_OK;
  if (strcmp(a, "sliding_log") == 0)
    return ratecell_sliding_log_new(&k->quota, 64, &k->log) == RATECELL_STATUS_OK;
  return 0;
}

static void release_key(key *k) {
  ratecell_sliding_log_free(k->log);
  ratecell_concurrency_free(k->leases);
  ratecell_all_of_free(k->all_of);
  for (size_t i = 0; i < k->n_names; i++) free(k->names[i].name);
}

static named *name_of(key *k, const char *name, int create) {
  for (size_t i = 0; i < k->n_names; i++)
    if (strcmp(k->names[i].name, name) == 0) return &k->names[i];
  if (!create || k->n_names == MAX_NAMES) return NULL;
  named *n = &k->names[k->n_names++];
  memset(n, 0, sizeof *n);
  n->name = strdup(name);
  return n;
}

/* Compares a decision with an `expect` object. */
static void expect_decision(const jv *step, const ratecell_decision *d, const jv *expect) {
  if (!expect || expect->type != J_OBJ) {
    fail("the step has no expected decision", step);
    return;
  }
  CHECK(d->allowed == flag(expect, "allowed"));
  CHECK(d->limit == field(expect, "limit"));
  CHECK(d->remaining == field(expect, "remaining"));
  CHECK(d->retry_after_ns == field(expect, "retry_after_ns"));
  CHECK(d->reset_after_ns == field(expect, "reset_after_ns"));
  if (d->allowed != flag(expect, "allowed") || d->remaining != field(expect, "remaining") ||
      d->retry_after_ns != field(expect, "retry_after_ns") ||
      d->reset_after_ns != field(expect, "reset_after_ns") || d->limit != field(expect, "limit"))
    fail("decision differs", step);
}

/* The status a step expects: OK, or the one its `error` names. */
static ratecell_status expected_status(const jv *step) {
  const char *e = str(step, "error");
  if (strcmp(e, "insufficient_capacity") == 0) return RATECELL_STATUS_INSUFFICIENT_CAPACITY;
  if (strcmp(e, "credits_overflow") == 0) return RATECELL_STATUS_CREDITS_OVERFLOW;
  return RATECELL_STATUS_OK;
}

/* Compares the response fields of decision `d` in every style of the step's `headers` with
 * what ratecell_headers_fields writes, the limiter advertised as every binding does: a rate
 * as its quota, a concurrency cap as concurrent requests, credits as a balance. */
static void expect_headers(const key *k, const jv *step, const ratecell_decision *d) {
  const jv *want = get(step, "headers");
  if (!k->http) {
    if (want) fail("headers recorded without \"http\"", step);
    return;
  }
  if (!want || want->type != J_OBJ) {
    fail("the step has no header fields", step);
    return;
  }
  ratecell_header_policy policy;
  ratecell_headers h = {0};
  h.has_unix_now = true;
  h.unix_now_ns = field(k->http, "unix_now_s") * 1000000000ull;
  const char *name = str(k->http, "name");
  if (strcmp(k->algorithm, "credits") == 0) {
    h.has_credits = true;
    h.credits_remaining = d->remaining;
    h.credits_used = d->limit - d->remaining;
  } else if (strcmp(k->algorithm, "concurrency") == 0) {
    policy = (ratecell_header_policy){.name = name,
                                      .quota = field(k->spec, "limit"),
                                      .unit = RATECELL_QUOTA_UNIT_CONCURRENT_REQUESTS,
                                      .decision = *d};
    h.policies = &policy;
    h.policy_count = 1;
  } else {
    CHECK_STATUS(ratecell_header_policy_init(name, &k->quota, d, &policy), RATECELL_STATUS_OK);
    h.policies = &policy;
    h.policy_count = 1;
  }
  for (size_t i = 0; i < want->len; i++) {
    const jv *fields = &want->items[i];
    uint32_t style;
    CHECK_STATUS(ratecell_header_style_parse(want->keys[i], &style), RATECELL_STATUS_OK);
    h.style = style;
    ratecell_header_field out[16];
    char buf[2048];
    size_t count = 0, bytes = 0;
    CHECK_STATUS(ratecell_headers_fields(&h, out, 16, buf, sizeof buf, &count, &bytes),
                 RATECELL_STATUS_OK);
    int same = count == fields->len;
    for (size_t f = 0; same && f < count; f++) {
      const jv *value = get(fields, out[f].name);
      same = value && value->type == J_STR && strcmp(value->text, out[f].value) == 0;
    }
    CHECK(same);
    if (!same) fail(want->keys[i], step);
  }
}

static ratecell_status check_single(key *k, uint64_t now, uint64_t cost, ratecell_decision *d) {
  const char *a = k->algorithm;
  if (strcmp(a, "gcra") == 0) return ratecell_gcra_check(&k->gcra, &k->gcra_state, now, cost, d);
  if (strcmp(a, "fixed_window") == 0)
    return ratecell_fixed_window_check(&k->fixed, &k->fixed_state, now, cost, d);
  if (strcmp(a, "sliding_window") == 0)
    return ratecell_sliding_window_check(&k->sliding, &k->sliding_state, now, cost, d);
  if (strcmp(a, "burst") == 0) return ratecell_burst_check(&k->burst, &k->burst_state, now, cost, d);
  if (strcmp(a, "token_bucket") == 0)
    return ratecell_token_bucket_check(&k->bucket, &k->bucket_state, now, cost, d);
  if (strcmp(a, "credits") == 0)
    return ratecell_credits_check(&k->credits, &k->credits_state, now, cost, d);
  if (strcmp(a, "sliding_log") == 0) return ratecell_sliding_log_check(k->log, now, cost, d);
  if (strcmp(a, "concurrency") == 0) return ratecell_concurrency_check(k->leases, now, cost, d);
  return RATECELL_STATUS_INVALID_ARGUMENT;
}

static ratecell_status peek_single(key *k, uint64_t now, ratecell_decision *d) {
  const char *a = k->algorithm;
  if (strcmp(a, "gcra") == 0) return ratecell_gcra_peek(&k->gcra, &k->gcra_state, now, d);
  if (strcmp(a, "fixed_window") == 0)
    return ratecell_fixed_window_peek(&k->fixed, &k->fixed_state, now, d);
  if (strcmp(a, "sliding_window") == 0)
    return ratecell_sliding_window_peek(&k->sliding, &k->sliding_state, now, d);
  if (strcmp(a, "burst") == 0) return ratecell_burst_peek(&k->burst, &k->burst_state, now, d);
  if (strcmp(a, "token_bucket") == 0)
    return ratecell_token_bucket_peek(&k->bucket, &k->bucket_state, now, d);
  if (strcmp(a, "credits") == 0)
    return ratecell_credits_peek(&k->credits, &k->credits_state, now, d);
  if (strcmp(a, "sliding_log") == 0) return ratecell_sliding_log_peek(k->log, now, d);
  if (strcmp(a, "concurrency") == 0) return ratecell_concurrency_peek(k->leases, now, d);
  return RATECELL_STATUS_INVALID_ARGUMENT;
}

static void reset_single(key *k) {
  ratecell_gcra_reset(&k->gcra_state);
  ratecell_fixed_window_reset(&k->fixed_state);
  ratecell_sliding_window_reset(&k->sliding_state);
  ratecell_burst_reset(&k->burst_state);
  ratecell_token_bucket_reset(&k->bucket_state);
  ratecell_credits_reset(&k->credits_state);
  if (k->log) ratecell_sliding_log_reset(k->log);
  if (k->leases) ratecell_concurrency_reset(k->leases);
  if (k->all_of) ratecell_all_of_reset(k->all_of);
}

static void replay_step(key *k, const jv *step) {
  const char *op = str(step, "op");
  uint64_t now = field(step, "now_ns");
  ratecell_decision d;
  ratecell_status want = expected_status(step);
  if (strcmp(op, "reset") == 0) {
    reset_single(k);
    return;
  }
  if (k->all_of && (strcmp(op, "check") == 0 || strcmp(op, "peek") == 0)) {
    ratecell_all_of_decision ad;
    ratecell_status st;
    if (strcmp(op, "peek") == 0) {
      st = ratecell_all_of_peek(k->all_of, now, &ad);
    } else {
      const jv *costs = get(step, "costs");
      uint64_t c[16] = {0};
      size_t n = costs ? costs->len : 0;
      for (size_t i = 0; i < n && i < 16; i++) c[i] = num(&costs->items[i]);
      st = ratecell_all_of_check_costs(k->all_of, now, c, n, &ad);
    }
    CHECK(st == want);
    if (st != want) fail("status differs", step);
    if (st == RATECELL_STATUS_OK && want == RATECELL_STATUS_OK) {
      const jv *expect = get(step, "expect");
      expect_decision(step, &ad.decision, expect);
      const jv *by = get(expect, "refused_by");
      int want_refused = by && by->type == J_NUM;
      CHECK(ad.refused == want_refused);
      if (want_refused) CHECK(ad.refused_by == num(by));
    }
    return;
  }
  if (strcmp(op, "check") == 0 || strcmp(op, "peek") == 0) {
    ratecell_status st = strcmp(op, "peek") == 0 ? peek_single(k, now, &d)
                                                 : check_single(k, now, field(step, "cost"), &d);
    CHECK(st == want);
    if (st != want) fail("status differs", step);
    if (st == RATECELL_STATUS_OK && want == RATECELL_STATUS_OK) {
      expect_decision(step, &d, get(step, "expect"));
      expect_headers(k, step, &d);
    }
    return;
  }
  if (strcmp(op, "acquire") == 0) {
    ratecell_lease lease = {0, 0};
    CHECK(ratecell_concurrency_acquire(k->leases, now, &d, &lease) == RATECELL_STATUS_OK);
    expect_decision(step, &d, get(step, "expect"));
    expect_headers(k, step, &d);
    CHECK(d.allowed == flag(step, "granted"));
    if (d.allowed) {
      named *n = name_of(k, str(step, "lease"), 1);
      if (n) n->lease = lease;
    }
    return;
  }
  if (strcmp(op, "release") == 0 || strcmp(op, "renew") == 0) {
    named *n = name_of(k, str(step, "lease"), 0);
    bool done = false;
    if (n) {
      ratecell_status st = strcmp(op, "release") == 0
                               ? ratecell_concurrency_release(k->leases, n->lease, now, &done)
                               : ratecell_concurrency_renew(k->leases, n->lease, now, &done);
      CHECK(st == RATECELL_STATUS_OK);
    }
    CHECK(done == (bool)flag(step, "done"));
    if (done != (bool)flag(step, "done")) fail("release or renew differs", step);
    return;
  }
  if (strcmp(op, "reserve") == 0) {
    ratecell_reservation r;
    ratecell_status st = ratecell_token_bucket_reserve(&k->bucket, &k->bucket_state, now,
                                                       field(step, "cost"),
                                                       field(step, "max_wait_ns"), &r);
    CHECK(st == want);
    if (st == RATECELL_STATUS_OK && want == RATECELL_STATUS_OK) {
      CHECK((r.committed != 0) == flag(step, "committed"));
      CHECK(r.ready_at_ns == field(step, "ready_at_ns"));
      named *n = name_of(k, str(step, "reservation"), 1);
      if (n) n->reservation = r;
    }
    return;
  }
  if (strcmp(op, "cancel") == 0) {
    named *n = name_of(k, str(step, "reservation"), 0);
    uint64_t tokens = 0;
    if (n)
      CHECK(ratecell_token_bucket_cancel(&k->bucket, &k->bucket_state, &n->reservation, now,
                                         &tokens) == RATECELL_STATUS_OK);
    CHECK(tokens == field(step, "returned"));
    return;
  }
  if (strcmp(op, "top_up") == 0) {
    uint64_t left = 0;
    ratecell_status st =
        ratecell_credits_top_up(&k->credits, &k->credits_state, field(step, "amount"), &left);
    CHECK(st == want);
    if (st == RATECELL_STATUS_OK && want == RATECELL_STATUS_OK)
      CHECK(left == field(step, "remaining"));
    return;
  }
  fail("unknown operation", step);
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *text = malloc((size_t)n + 1);
  if (text && fread(text, 1, (size_t)n, f) != (size_t)n) {
    free(text);
    text = NULL;
  }
  if (text) text[n] = '\0';
  fclose(f);
  return text;
}

static int replay_file(const char *path) {
  char *text = read_file(path);
  if (!text) {
    fprintf(stderr, "cannot read %s\n", path);
    return 0;
  }
  const char *p = text;
  jv doc;
  int ok = parse_value(&p, &doc);
  CHECK(ok);
  const jv *cases = get(&doc, "cases");
  int steps = 0;
  for (size_t c = 0; ok && cases && c < cases->len; c++) {
    const jv *kase = &cases->items[c];
    char where[512];
    snprintf(where, sizeof where, "%s: %s", path, str(kase, "name"));
    context = where;
    key k;
    int built = build(get(kase, "limiter"), &k);
    CHECK(built);
    k.spec = get(kase, "limiter");
    k.http = get(kase, "http");
    const jv *list = get(kase, "steps");
    for (size_t s = 0; built && list && s < list->len; s++) {
      replay_step(&k, &list->items[s]);
      steps++;
    }
    release_key(&k);
  }
  free_value(&doc);
  free(text);
  return steps;
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "tests/vectors";
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "cannot open %s\n", dir);
    return 1;
  }
  int files = 0, steps = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 6 || strcmp(e->d_name + n - 5, ".json") != 0) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    steps += replay_file(path);
    files++;
  }
  closedir(d);
  CHECK(files >= 7);
  CHECK(steps > 100);
  printf("replayed %d steps from %d vector files\n", steps, files);
  return SUMMARY("test_vectors");
}
