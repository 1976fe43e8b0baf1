/* A tiny test harness for ratecell's C tests: CHECK records failures, SUMMARY prints the
 * closing line ("N passed, N failed") and yields the exit status. */
#ifndef RATECELL_TEST_CHECK_H
#define RATECELL_TEST_CHECK_H

#include <stdio.h>

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    if (cond) {                                                                  \
      checks_passed++;                                                           \
    } else {                                                                     \
      checks_failed++;                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);  \
    }                                                                            \
  } while (0)

#define CHECK_STATUS(call, expected) CHECK((call) == (expected))

#define SUMMARY(name)                                                            \
  (printf("%s: %d passed, %d failed\n", (name), checks_passed, checks_failed),   \
   checks_failed == 0 ? 0 : 1)

#endif
