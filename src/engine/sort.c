/*
 * sort.c - external merge sort of rendered alerts (see sort.h).
 *
 * A run file is a sequence of records: key (int64), sequence (uint64),
 * length (uint32), then the bytes, in the machine's byte order (a run lives
 * only for the duration of one hunt on one machine).
 */
#include "engine/sort.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

struct rec {
    int64_t key;
    uint64_t seq;
    size_t off;
    uint32_t len;
};

struct yg_sorter {
    size_t mem;
    char dir[512];
    struct yg_buf data; /* the bytes of the held records */
    struct rec *r;
    size_t nr, rcap;
    uint64_t seq;
    FILE **runs;
    size_t nruns, runcap, total_runs;
    char err[1100];
};

yg_err yg__sorter_new(size_t mem, const char *dir, struct yg_sorter **out)
{
    struct yg_sorter *s = yg_calloc(1, sizeof *s);
    if (!s)
        return YG_ENOMEM;
    s->mem = mem ? mem : YG_SORT_MEM_DEFAULT;
    if (!dir || !*dir)
        dir = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s", dir && *dir ? dir : "/tmp");
    yg_buf_init(&s->data, 0);
    *out = s;
    return YG_OK;
}

size_t yg__sorter_runs(const struct yg_sorter *s)
{
    return s->total_runs;
}

const char *yg__sorter_error(const struct yg_sorter *s)
{
    return s->err;
}

static int rec_cmp(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static FILE *new_run(struct yg_sorter *s)
{
    char path[600];
    snprintf(path, sizeof path, "%s/yagura-sort-XXXXXX", s->dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        snprintf(s->err, sizeof s->err, "cannot create a sort file in %s: %s", s->dir,
                 strerror(errno));
        return NULL;
    }
    /* Unlinked at once: the run goes away with the process, whatever
     * happens to it. */
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        snprintf(s->err, sizeof s->err, "cannot open a sort file: %s", strerror(errno));
    }
    return f;
}

static yg_err push_run(struct yg_sorter *s, FILE *f)
{
    if (s->nruns == s->runcap) {
        size_t nc = s->runcap ? s->runcap * 2 : 16;
        FILE **nv = yg_realloc(s->runs, nc * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        s->runs = nv;
        s->runcap = nc;
    }
    s->runs[s->nruns++] = f;
    s->total_runs++;
    return YG_OK;
}

static yg_err write_rec(struct yg_sorter *s, FILE *f, int64_t key, uint64_t seq, const char *p,
                        uint32_t len)
{
    if (fwrite(&key, sizeof key, 1, f) != 1 || fwrite(&seq, sizeof seq, 1, f) != 1 ||
        fwrite(&len, sizeof len, 1, f) != 1 || (len && fwrite(p, 1, len, f) != len)) {
        snprintf(s->err, sizeof s->err, "cannot write a sort file in %s: %s", s->dir,
                 strerror(errno));
        return YG_EIO;
    }
    return YG_OK;
}

/* The held records, sorted, to a new run. */
static yg_err spill(struct yg_sorter *s)
{
    if (!s->nr)
        return YG_OK;
    qsort(s->r, s->nr, sizeof *s->r, rec_cmp);
    FILE *f = new_run(s);
    if (!f)
        return YG_EIO;
    yg_err err = YG_OK;
    for (size_t i = 0; !err && i < s->nr; i++)
        err = write_rec(s, f, s->r[i].key, s->r[i].seq, s->data.p + s->r[i].off, s->r[i].len);
    if (!err && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)) {
        snprintf(s->err, sizeof s->err, "cannot write a sort file: %s", strerror(errno));
        err = YG_EIO;
    }
    if (!err)
        err = push_run(s, f);
    if (err) {
        fclose(f);
        return err;
    }
    s->nr = 0;
    s->data.n = 0;
    return YG_OK;
}

yg_err yg__sorter_add(struct yg_sorter *s, int64_t key, const char *p, size_t n)
{
    if (n > UINT32_MAX)
        return YG_ELIMIT;
    if (s->nr && s->data.n + n + (s->nr + 1) * sizeof *s->r > s->mem) {
        yg_err e = spill(s);
        if (e)
            return e;
    }
    if (s->nr == s->rcap) {
        size_t nc = s->rcap ? s->rcap * 2 : 4096;
        struct rec *nv = yg_realloc(s->r, nc * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        s->r = nv;
        s->rcap = nc;
    }
    size_t off = s->data.n;
    yg_err e = yg_buf_add(&s->data, p, n);
    if (e)
        return e;
    s->r[s->nr++] = (struct rec){key, s->seq++, off, (uint32_t)n};
    return YG_OK;
}

/* ---- merging -------------------------------------------------------------- */

struct reader {
    FILE *f;
    int64_t key;
    uint64_t seq;
    struct yg_buf b;
};

/* Next record of r; false at the end of its run. */
static bool next_rec(struct yg_sorter *s, struct reader *r, yg_err *err)
{
    uint32_t len;
    if (fread(&r->key, sizeof r->key, 1, r->f) != 1)
        return false;
    if (fread(&r->seq, sizeof r->seq, 1, r->f) != 1 || fread(&len, sizeof len, 1, r->f) != 1) {
        snprintf(s->err, sizeof s->err, "a sort file is truncated");
        *err = YG_EIO;
        return false;
    }
    yg_buf_reset(&r->b);
    if (yg_buf_reserve(&r->b, len)) {
        *err = YG_ENOMEM;
        return false;
    }
    if (len && fread(r->b.p, 1, len, r->f) != len) {
        snprintf(s->err, sizeof s->err, "a sort file is truncated");
        *err = YG_EIO;
        return false;
    }
    r->b.n = len;
    return true;
}

static bool rd_less(const struct reader *x, const struct reader *y)
{
    return x->key != y->key ? x->key < y->key : x->seq < y->seq;
}

static void sift_down(struct reader **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && rd_less(h[l], h[m]))
            m = l;
        if (l + 1 < n && rd_less(h[l + 1], h[m]))
            m = l + 1;
        if (m == i)
            return;
        struct reader *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

/* Merge runs[0..k) into `to` (a run file when out_run, else the output:
 * records without their headers). */
static yg_err merge(struct yg_sorter *s, FILE **runs, size_t k, FILE *to, bool out_run)
{
    yg_err err = YG_OK;
    struct reader *rd = yg_calloc(k, sizeof *rd);
    struct reader **heap = yg_calloc(k, sizeof *heap);
    size_t n = 0;
    if (!rd || !heap) {
        err = YG_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < k && !err; i++) {
        rd[i].f = runs[i];
        yg_buf_init(&rd[i].b, 0);
        if (next_rec(s, &rd[i], &err))
            heap[n++] = &rd[i];
    }
    for (size_t i = n / 2; i-- > 0;)
        sift_down(heap, n, i);
    while (n && !err) {
        struct reader *r = heap[0];
        if (out_run)
            err = write_rec(s, to, r->key, r->seq, r->b.p, (uint32_t)r->b.n);
        else if (r->b.n && fwrite(r->b.p, 1, r->b.n, to) != r->b.n) {
            snprintf(s->err, sizeof s->err, "cannot write the output: %s", strerror(errno));
            err = YG_EIO;
        }
        if (err)
            break;
        if (!next_rec(s, r, &err))
            heap[0] = heap[--n];
        sift_down(heap, n, 0);
    }
done:
    for (size_t i = 0; rd && i < k; i++)
        yg_buf_free(&rd[i].b);
    yg_free(rd);
    yg_free(heap);
    return err;
}

yg_err yg__sorter_finish(struct yg_sorter *s, FILE *out)
{
    yg_err err = YG_OK;
    if (!s->nruns) {
        /* Everything fits in memory: no file at all. */
        if (s->nr)
            qsort(s->r, s->nr, sizeof *s->r, rec_cmp);
        for (size_t i = 0; i < s->nr; i++)
            if (s->r[i].len &&
                fwrite(s->data.p + s->r[i].off, 1, s->r[i].len, out) != s->r[i].len) {
                snprintf(s->err, sizeof s->err, "cannot write the output: %s", strerror(errno));
                return YG_EIO;
            }
        s->nr = 0;
        s->data.n = 0;
        return YG_OK;
    }
    YG_TRY(spill(s));
    /* The held bytes are no longer needed while merging. */
    yg_buf_free(&s->data);
    yg_buf_init(&s->data, 0);
    size_t first = 0;
    while (s->nruns - first > YG_SORT_FAN_IN) {
        FILE *f = new_run(s);
        if (!f)
            return YG_EIO;
        err = merge(s, s->runs + first, YG_SORT_FAN_IN, f, true);
        if (!err && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0))
            err = YG_EIO;
        if (!err)
            err = push_run(s, f);
        else
            fclose(f);
        for (size_t i = first; i < first + YG_SORT_FAN_IN; i++) {
            fclose(s->runs[i]);
            s->runs[i] = NULL;
        }
        first += YG_SORT_FAN_IN;
        YG_TRY(err);
    }
    err = merge(s, s->runs + first, s->nruns - first, out, false);
    for (size_t i = first; i < s->nruns; i++) {
        fclose(s->runs[i]);
        s->runs[i] = NULL;
    }
    s->nruns = 0;
done:
    return err;
}

void yg__sorter_free(struct yg_sorter *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nruns; i++)
        if (s->runs[i])
            fclose(s->runs[i]);
    yg_free(s->runs);
    yg_free(s->r);
    yg_buf_free(&s->data);
    yg_free(s);
}
