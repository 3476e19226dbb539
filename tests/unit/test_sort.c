/* The external merge sort behind `yagura hunt --sort time`: records come
 * out in key order, equal keys in the order they were added, the same
 * whether everything fits in memory, spills to a few runs, or to more runs
 * than one merge pass takes (several passes). */
#include <stdio.h>
#include <stdlib.h>

#include "tap.h"

#include "engine/sort.h"

/* A record's text names its key and its addition number, so the output
 * can be checked line by line. */
static size_t make(char *buf, size_t cap, int64_t key, unsigned i)
{
    int n = snprintf(buf, cap, "%lld %u %.*s\n", (long long)key, i, (int)(i % 50),
                     "..................................................");
    return (size_t)n;
}

/* Sort n records with keys from a fixed pseudo-random sequence (many ties)
 * in mem bytes; check the output; return the runs written. */
static size_t run(unsigned n, size_t mem, const char *what)
{
    struct yg_sorter *s = NULL;
    CHECK(yg__sorter_new(mem, NULL, &s) == YG_OK);
    if (!s)
        return 0;
    uint64_t x = 88172645463325252ull;
    char line[128];
    for (unsigned i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Untimed records sort last, as the hunt gives them INT64_MAX. */
        int64_t key = i % 97 == 0 ? INT64_MAX : (int64_t)(x % 1000) - 500;
        size_t len = make(line, sizeof line, key, i);
        if (yg__sorter_add(s, key, line, len) != YG_OK) {
            CHECK_MSG(0, "%s: add failed: %s", what, yg__sorter_error(s));
            break;
        }
    }
    char *out = NULL;
    size_t outn = 0;
    FILE *f = open_memstream(&out, &outn);
    CHECK_MSG(yg__sorter_finish(s, f) == YG_OK, "%s: finish: %s", what, yg__sorter_error(s));
    fclose(f);
    size_t runs = yg__sorter_runs(s);
    yg__sorter_free(s);
    /* Every record once, keys non-decreasing, ties in addition order. */
    unsigned count = 0, bad = 0;
    long long pk = 0;
    unsigned pi = 0;
    char *seen = calloc(n ? n : 1, 1);
    for (char *p = out, *e; p && p < out + outn; p = e + 1) {
        e = memchr(p, '\n', (size_t)(out + outn - p));
        if (!e)
            break;
        long long k;
        unsigned i;
        if (sscanf(p, "%lld %u", &k, &i) != 2 || i >= n || seen[i]) {
            bad++;
            continue;
        }
        seen[i] = 1;
        size_t want = make(line, sizeof line, k, i);
        if ((size_t)(e + 1 - p) != want || memcmp(p, line, want) != 0)
            bad++;
        if (count && (k < pk || (k == pk && i < pi)))
            bad++;
        pk = k;
        pi = i;
        count++;
    }
    CHECK_MSG(count == n && bad == 0, "%s: %u of %u records, %u out of order or damaged", what,
              count, n, bad);
    free(seen);
    free(out);
    return runs;
}

int main(void)
{
    CHECK(run(0, 0, "empty") == 0);
    CHECK(run(1, 0, "one record") == 0);
    /* 20,000 records fit in the default budget: no file. */
    CHECK(run(20000, 0, "in memory") == 0);
    /* 64 KiB: a few runs, one merge. */
    size_t r = run(20000, 64 << 10, "a few runs");
    CHECK_MSG(r > 2 && r <= YG_SORT_FAN_IN, "%zu runs", r);
    /* 8 KiB: more runs than one pass merges, so runs of runs are written. */
    r = run(20000, 8 << 10, "several passes");
    CHECK_MSG(r > YG_SORT_FAN_IN + 1, "%zu runs", r);
    /* A record larger than the whole budget is still taken. */
    struct yg_sorter *s = NULL;
    CHECK(yg__sorter_new(1024, NULL, &s) == YG_OK);
    static char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\n';
    CHECK(yg__sorter_add(s, 2, big, sizeof big) == YG_OK);
    CHECK(yg__sorter_add(s, 1, "a\n", 2) == YG_OK);
    char *out = NULL;
    size_t outn = 0;
    FILE *f = open_memstream(&out, &outn);
    CHECK(yg__sorter_finish(s, f) == YG_OK);
    fclose(f);
    CHECK(outn == 2 + sizeof big && out[0] == 'a' && out[2] == 'x');
    free(out);
    yg__sorter_free(s);
    /* A folder that cannot hold the runs is a clear error. */
    CHECK(yg__sorter_new(16, "/nonexistent-yagura-dir", &s) == YG_OK);
    yg_err e = YG_OK;
    for (int i = 0; i < 8 && !e; i++)
        e = yg__sorter_add(s, i, "record\n", 7);
    CHECK(e == YG_EIO && strstr(yg__sorter_error(s), "/nonexistent-yagura-dir"));
    yg__sorter_free(s);
    TAP_DONE();
}
