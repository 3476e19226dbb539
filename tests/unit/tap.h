/*
 * tap.h - the tiny test macro set: a failed check prints file:line and the
 * expression, and the test exits non-zero at the end.
 */
#ifndef YG_TEST_TAP_H
#define YG_TEST_TAP_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_failed, tap_run;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        tap_run++;                                                                                 \
        if (!(cond)) {                                                                             \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        tap_run++;                                                                                 \
        if (!(cond)) {                                                                             \
            tap_failed++;                                                                          \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

#define TAP_DONE()                                                                                 \
    do {                                                                                           \
        printf("%d passed, %d failed\n", tap_run - tap_failed, tap_failed);                        \
        return tap_failed ? 1 : 0;                                                                 \
    } while (0)
#endif
