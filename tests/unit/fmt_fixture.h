/*
 * fmt_fixture.h - the harness shared by the line-decoder unit tests
 * (test_fmt_vpn.c, test_fmt_appliance.c): a decoded record read back
 * through the JSON scanner, sample files split into lines, the best sniff of
 * a line, and a check of every line of a sample.  Include after tap.h; the
 * including test defines nothing it needs.
 */
#ifndef YG_TEST_FMT_FIXTURE_H
#define YG_TEST_FMT_FIXTURE_H

#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

/* ---- a decoded record, read back through the JSON scanner --------------- */

#define MAXF 256

struct rec {
    char keys[MAXF][64];
    struct yg_val vals[MAXF];
    int nk, nleaf, dup;
    struct yg_arena a;
    struct yg_buf out;
    struct yg_logsrc ls;
    struct yg_decode_err e;
    yg_err err;
};

static int32_t rec_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct rec *r = ud;
    if (parent >= 0 || r->nk >= MAXF || kn >= 64)
        return -1;
    for (int i = 0; i < r->nk; i++)
        if (strlen(r->keys[i]) == kn && memcmp(r->keys[i], k, kn) == 0) {
            r->dup++;
            return i;
        }
    memcpy(r->keys[r->nk], k, kn);
    r->keys[r->nk][kn] = 0;
    r->vals[r->nk].p = NULL;
    return r->nk++;
}

static void rec_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct rec *r = ud;
    r->nleaf++;
    if (!r->vals[path].p)
        r->vals[path] = *v;
}

static void rec_init(struct rec *r)
{
    memset(r, 0, sizeof *r);
    yg_arena_init(&r->a, 4096, 0);
    yg_buf_init(&r->out, 0);
}

static void rec_free(struct rec *r)
{
    yg_arena_free(&r->a);
    yg_buf_free(&r->out);
}

/* Decode line with f into r; on success read the JSON back.  Returns the
 * decoder's result; a success whose output is not one flat JSON object of
 * strings fails a check. */
static yg_err dec(struct rec *r, const struct yg_linefmt *f, const char *line, size_t n)
{
    yg_buf_reset(&r->out);
    yg_arena_reset(&r->a);
    r->nk = r->nleaf = r->dup = 0;
    memset(&r->ls, 0, sizeof r->ls);
    r->e = (struct yg_decode_err){0, NULL};
    void *st = f->state_new ? f->state_new() : NULL;
    r->err = f->decode(st, line, n, &r->out, &r->ls, &r->e);
    if (f->state_free)
        f->state_free(st);
    if (r->err != YG_OK)
        return r->err;
    struct yg_json_sink s = {r, rec_key, rec_leaf, NULL};
    struct yg_json_err je = {0};
    size_t used = 0;
    yg_err je_err = yg__json_scan(r->out.p, r->out.n, &used, &s, &r->a, &je);
    CHECK_MSG(je_err == YG_OK && used == r->out.n && r->out.p[0] == '{',
              "%s: output is not one JSON object (%s at %zu): %.*s", f->name, je.msg ? je.msg : "",
              je.offset, (int)(r->out.n > 300 ? 300 : r->out.n), r->out.p);
    bool strings = true;
    for (int i = 0; i < r->nk; i++)
        strings &= r->vals[i].p != NULL && r->vals[i].type == YG_VT_STR;
    CHECK_MSG(strings && r->nleaf == r->nk && r->dup == 0,
              "%s: every field once and a string (%d keys, %d leaves, %d repeated)", f->name, r->nk,
              r->nleaf, r->dup);
    return YG_OK;
}

static const struct yg_val *field(struct rec *r, const char *k)
{
    for (int i = 0; i < r->nk; i++)
        if (!strcmp(r->keys[i], k))
            return &r->vals[i];
    return NULL;
}

/* Field k equals want (want NULL: k is absent). */
#define EQ(r, k, want) check_eq(r, k, want, __LINE__)
static void check_eq(struct rec *r, const char *k, const char *want, int line)
{
    const struct yg_val *v = field(r, k);
    tap_run++;
    bool ok = want ? v && v->n == strlen(want) && memcmp(v->p, want, v->n) == 0 : v == NULL;
    if (!ok) {
        tap_failed++;
        fprintf(stderr, "%s:%d: field %s = %s%.*s%s, want %s%s%s\n", __FILE__, line, k,
                v ? "\"" : "", v ? (int)v->n : 6, v ? v->p : "absent", v ? "\"" : "",
                want ? "\"" : "", want ? want : "absent", want ? "\"" : "");
    }
}

/* ---- sample files -------------------------------------------------------- */

struct lines {
    char *buf;
    size_t n;
    const char *p[256];
    size_t len[256];
    int count;
};

static bool read_lines(const char *path, struct lines *L)
{
    memset(L, 0, sizeof *L);
    if (yg_file_read(path, 1 << 24, &L->buf, &L->n) != YG_OK) {
        CHECK_MSG(false, "cannot read %s", path);
        return false;
    }
    size_t i = 0;
    while (i < L->n && L->count < 256) {
        const char *nl = memchr(L->buf + i, '\n', L->n - i);
        size_t e = nl ? (size_t)(nl - L->buf) : L->n;
        if (e > i) {
            L->p[L->count] = L->buf + i;
            L->len[L->count++] = e - i;
        }
        i = e + 1;
    }
    return true;
}

/* The format all linked sniffers would choose for a line (first wins a tie,
 * as in the hunt). */
static const struct yg_linefmt *best_sniff(const char *p, size_t n, int *score)
{
    const struct yg_linefmt *const *f = yg__formats_list(), *best = NULL;
    int bs = 0;
    for (; *f; f++) {
        int sc = (*f)->sniff ? (*f)->sniff(p, n) : 0;
        if (sc > bs) {
            bs = sc;
            best = *f;
        }
    }
    *score = bs;
    return best;
}

/* Decode every line of a sample; returns the number decoded (service NULL:
 * any). */
static int every_line(const char *file, const struct yg_linefmt *f, const char *product,
                      const char *service, struct lines *L, struct rec *r)
{
    int ok = 0;
    if (!read_lines(file, L))
        return 0;
    for (int i = 0; i < L->count; i++) {
        yg_err err = dec(r, f, L->p[i], L->len[i]);
        CHECK_MSG(err == YG_OK, "%s:%d: %s: col %zu: %s", file, i + 1, f->name, r->e.col,
                  r->e.msg ? r->e.msg : "");
        if (err)
            continue;
        ok++;
        CHECK_MSG(r->ls.product && !strcmp(r->ls.product, product) && r->ls.service &&
                      (!service || !strcmp(r->ls.service, service)),
                  "%s:%d: log source %s/%s", file, i + 1, r->ls.product ? r->ls.product : "-",
                  r->ls.service ? r->ls.service : "-");
        int score;
        const struct yg_linefmt *b = best_sniff(L->p[i], L->len[i], &score);
        CHECK_MSG(b == f && score >= 60, "%s:%d: detected as %s (%d), want %s", file, i + 1,
                  b ? b->name : "nothing", score, f->name);
    }
    return ok;
}

#endif
