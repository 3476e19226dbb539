/*
 * Web server and network sensor formats: W3C (IIS), Apache/nginx access
 * and error logs, Zeek TSV, Zeek JSON and Suricata EVE.
 *
 * Every line of the real samples in ../shared is decoded and re-read with
 * the JSON scanner; the Zeek TSV and JSON samples hold the same records,
 * so each TSV record is compared field by field with its JSON twin.
 * Hand-made lines follow the servers' documentation.  SigmaHQ's own rule
 * files are compiled and run over decoded events, so "the field holds what
 * the rule looks for" is tested by the rule firing.  Bad input (every
 * prefix of a record, NUL bytes, invalid UTF-8, lines over 64 KiB, wrong
 * column counts, unbalanced quotes, random mutations, allocation failures)
 * must give an error with a column and a reason, never a crash.
 */
#include <dirent.h>
#include <zlib.h>

#include "decode/fmt_net.h"
#include "decode/json.h"
#include "yagura/yagura.h"
#include "tap.h"

extern const struct yg_linefmt yg__fmt_w3c, yg__fmt_combined, yg__fmt_zeek, yg__fmt_zeek_json,
    yg__fmt_suricata;

#define MAXK 2048
#define MAXV 8192

/* One decoded record, re-read with the JSON scanner. */
struct doc {
    const struct yg_linefmt *f;
    void *st;
    yg_err err;
    struct yg_logsrc ls;
    struct yg_decode_err e;
    struct yg_buf out;
    struct yg_arena a;
    bool json_ok, flat;
    int nk, nv;
    struct yg_str k[MAXK];
    struct {
        int key;
        struct yg_str v;
    } v[MAXV];
};

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct doc *d = ud;
    if (parent != -1) {
        d->flat = false;
        return -1;
    }
    for (int i = 0; i < d->nk; i++)
        if (d->k[i].n == kn && !memcmp(d->k[i].p, k, kn))
            return i;
    if (d->nk == MAXK) {
        d->flat = false;
        return -1;
    }
    d->k[d->nk] = (struct yg_str){k, kn};
    return d->nk++;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct doc *d = ud;
    if (v->type == YG_VT_OBJ)
        return; /* `[]`: a key with no values */
    if (v->type != YG_VT_STR || d->nv == MAXV) {
        d->flat = false;
        return;
    }
    d->v[d->nv].key = path;
    d->v[d->nv++].v = (struct yg_str){v->p, v->n};
}

static struct doc *doc_new(const struct yg_linefmt *f)
{
    struct doc *d = calloc(1, sizeof *d);
    d->f = f;
    d->st = f->state_new ? f->state_new() : NULL;
    yg_buf_init(&d->out, 0);
    yg_arena_init(&d->a, 1 << 16, 0);
    return d;
}

static void doc_free(struct doc *d)
{
    if (d->f->state_free)
        d->f->state_free(d->st);
    yg_buf_free(&d->out);
    yg_arena_free(&d->a);
    free(d);
}

/* Decode one line; on success re-read the output as JSON. */
static yg_err dec(struct doc *d, const char *line, size_t n)
{
    yg_buf_reset(&d->out);
    yg_arena_reset(&d->a);
    memset(&d->ls, 0, sizeof d->ls);
    d->e = (struct yg_decode_err){0, NULL};
    d->nk = d->nv = 0;
    d->json_ok = false;
    d->flat = true;
    d->err = d->f->decode(d->st, line, n, &d->out, &d->ls, &d->e);
    if (d->err == YG_OK) {
        struct yg_json_sink s = {d, on_key, on_leaf, NULL};
        struct yg_json_err je;
        size_t used = 0;
        d->json_ok = d->out.n && d->out.p[0] == '{' &&
                     yg__json_scan(d->out.p, d->out.n, &used, &s, &d->a, &je) == YG_OK &&
                     used == d->out.n;
    }
    return d->err;
}

static yg_err decs(struct doc *d, const char *line)
{
    return dec(d, line, strlen(line));
}

/* The i-th value of key k, or NULL; *n gets its length. */
static const char *getv(const struct doc *d, const char *k, int i, size_t *n)
{
    for (int j = 0; j < d->nv; j++) {
        struct yg_str key = d->k[d->v[j].key];
        if (key.n == strlen(k) && !memcmp(key.p, k, key.n) && i-- == 0) {
            if (n)
                *n = d->v[j].v.n;
            return d->v[j].v.p;
        }
    }
    return NULL;
}

static int nvals(const struct doc *d, const char *k)
{
    int c = 0;
    while (getv(d, k, c, NULL))
        c++;
    return c;
}

static bool has_key(const struct doc *d, const char *k)
{
    for (int i = 0; i < d->nk; i++)
        if (d->k[i].n == strlen(k) && !memcmp(d->k[i].p, k, d->k[i].n))
            return true;
    return false;
}

/* Value i of k equals want (NULL: k has no value i). */
static bool is(const struct doc *d, const char *k, int i, const char *want)
{
    size_t n;
    const char *v = getv(d, k, i, &n);
    if (!want)
        return v == NULL;
    return v && n == strlen(want) && !memcmp(v, want, n);
}

static bool streq(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

#define CHECK_OK(d, line)                                                                          \
    CHECK_MSG(decs(d, line) == YG_OK && (d)->json_ok && (d)->flat,                                 \
              "%s: %s -> err %d (col %zu %s) %.*s", (d)->f->name, line, (d)->err, (d)->e.col,      \
              (d)->e.msg ? (d)->e.msg : "", (int)(d)->out.n, (d)->out.p ? (d)->out.p : "")

#define CHECK_FIELD(d, k, want)                                                                    \
    CHECK_MSG(is(d, k, 0, want), "%s: %s is not %s in %.*s", (d)->f->name, k,                      \
              want ? want : "absent", (int)(d)->out.n, (d)->out.p ? (d)->out.p : "")

/* A syntax error with a column inside the line (or just past it) and a
 * reason, and the output left as it was. */
#define CHECK_BAD(d, line, len)                                                                    \
    do {                                                                                           \
        yg_buf_reset(&(d)->out);                                                                   \
        CHECK(yg_buf_add(&(d)->out, "keep", 4) == YG_OK);                                          \
        struct yg_logsrc ls_ = {0};                                                                \
        (d)->e = (struct yg_decode_err){0, NULL};                                                  \
        yg_err e_ = (d)->f->decode((d)->st, line, len, &(d)->out, &ls_, &(d)->e);                  \
        CHECK_MSG(e_ == YG_ESYNTAX && (d)->e.msg && (d)->e.col >= 1 && (d)->e.col <= (len) + 1 &&  \
                      (d)->out.n == 4,                                                             \
                  "%s: %.*s -> err %d col %zu %s", (d)->f->name, (int)(len), line, e_, (d)->e.col, \
                  (d)->e.msg ? (d)->e.msg : "");                                                   \
    } while (0)

/* ---- reading the samples --------------------------------------------- */

/* The whole (gunzipped) file; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *n)
{
    gzFile g = gzopen(path, "rb");
    if (!g)
        return NULL;
    size_t cap = 1 << 20, len = 0;
    char *b = malloc(cap);
    int r;
    while ((r = gzread(g, b + len, (unsigned)(cap - len))) > 0) {
        len += (size_t)r;
        if (len == cap)
            b = realloc(b, cap *= 2);
    }
    gzclose(g);
    *n = len;
    return b;
}

/* Call fn for every line of path (the newline removed). */
static int for_lines(const char *path, void (*fn)(const char *line, size_t n, int no, void *ud),
                     void *ud)
{
    size_t n;
    char *b = slurp(path, &n);
    if (!b) {
        CHECK_MSG(0, "cannot read %s", path);
        return 0;
    }
    int no = 0;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(b + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - b) : n;
        fn(b + i, e - i, ++no, ud);
        i = e + 1;
    }
    free(b);
    return no;
}

/* Sorted names of the files in dir ending in suffix. */
static int list_dir(const char *dir, const char *suffix, char names[][128], int max)
{
    DIR *dp = opendir(dir);
    int k = 0;
    if (!dp)
        return 0;
    struct dirent *de;
    while ((de = readdir(dp)) && k < max) {
        size_t l = strlen(de->d_name), sl = strlen(suffix);
        if (l > sl && !strcmp(de->d_name + l - sl, suffix) && l < 128)
            strcpy(names[k++], de->d_name);
    }
    closedir(dp);
    qsort(names, (size_t)k, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    return k;
}

/* ---- whole samples ----------------------------------------------------- */

struct run {
    struct doc *d;
    const char *file, *want_product, *want_service;
    int ok, eof, bad, bad_ls, empty;
};

static void run_line(const char *line, size_t n, int no, void *ud)
{
    struct run *r = ud;
    if (!n) {
        r->empty++;
        return;
    }
    yg_err e = dec(r->d, line, n);
    if (e == YG_EOF) {
        r->eof++;
        return;
    }
    if (e != YG_OK || !r->d->json_ok || !r->d->flat) {
        if (r->bad++ < 5)
            fprintf(stderr, "%s:%d:%zu: %s (err %d, json %d, flat %d)\n", r->file, no, r->d->e.col,
                    r->d->e.msg ? r->d->e.msg : "", e, r->d->json_ok, r->d->flat);
        return;
    }
    r->ok++;
    if ((r->want_product && !streq(r->d->ls.product, r->want_product)) ||
        (r->want_service && !streq(r->d->ls.service, r->want_service)) ||
        (!r->want_service && streq(r->d->ls.service, "unknown"))) {
        if (r->bad_ls++ < 5)
            fprintf(stderr, "%s:%d: log source %s/%s\n", r->file, no,
                    r->d->ls.product ? r->d->ls.product : "-",
                    r->d->ls.service ? r->d->ls.service : "-");
    }
}

static int total_records;

static void test_zeek_tsv_samples(void)
{
    char dir[1024], names[64][128], path[10240];
    snprintf(dir, sizeof dir, "%s/logs/zed-sample-data/zeek-default", YG_SHARED_DIR);
    int nf = list_dir(dir, ".log.gz", names, 64);
    CHECK_MSG(nf == 17, "%d zeek-default files", nf);
    for (int i = 0; i < nf; i++) {
        char service[128];
        snprintf(service, sizeof service, "%.*s", (int)(strlen(names[i]) - 7), names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct run r = {doc_new(&yg__fmt_zeek), path, "zeek", service, 0, 0, 0, 0, 0};
        int lines = for_lines(path, run_line, &r);
        CHECK_MSG(r.bad == 0 && r.bad_ls == 0 && r.ok > 0 && r.eof == 9 &&
                      r.ok + r.eof + r.empty == lines,
                  "%s: %d ok, %d headers, %d bad, %d wrong log source of %d lines", names[i], r.ok,
                  r.eof, r.bad, r.bad_ls, lines);
        total_records += r.ok;
        doc_free(r.d);
    }
}

static void test_zeek_json_samples(void)
{
    char dir[1024], names[64][128], path[10240];
    snprintf(dir, sizeof dir, "%s/logs/zed-sample-data/zeek-json", YG_SHARED_DIR);
    int nf = list_dir(dir, ".json.gz", names, 64);
    CHECK_MSG(nf == 32, "%d zeek-json files", nf);
    for (int i = 0; i < nf; i++) {
        char service[128];
        snprintf(service, sizeof service, "%.*s", (int)(strlen(names[i]) - 8), names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct run r = {doc_new(&yg__fmt_zeek_json), path, "zeek", service, 0, 0, 0, 0, 0};
        int lines = for_lines(path, run_line, &r);
        CHECK_MSG(r.bad == 0 && r.bad_ls == 0 && r.ok > 0 && r.ok + r.empty == lines,
                  "%s: %d ok, %d bad, %d wrong log source of %d lines", names[i], r.ok, r.bad,
                  r.bad_ls, lines);
        total_records += r.ok;
        doc_free(r.d);
    }
}

/* OTRF: every log in one file, `@stream` names it, `_` scope separator. */
static void otrf_line(const char *line, size_t n, int no, void *ud)
{
    struct run *r = ud;
    run_line(line, n, no, ud);
    if (r->d->err != YG_OK)
        return;
    size_t sn;
    const char *s = getv(r->d, "@stream", 0, &sn);
    if (!s || !r->d->ls.service || strlen(r->d->ls.service) != sn ||
        memcmp(s, r->d->ls.service, sn) || has_key(r->d, "id_orig_h") ||
        has_key(r->d, "certificate_serial") ||
        (is(r->d, "@stream", 0, "conn") && !getv(r->d, "id.orig_h", 0, NULL))) {
        if (r->bad_ls++ < 5)
            fprintf(stderr, "%s:%d: stream/service or scoped names wrong: %.*s\n", r->file, no,
                    (int)r->d->out.n, r->d->out.p);
    }
}

static void test_otrf(void)
{
    static const char *const files[] = {"apt29_day1_zeek", "apt29_day2_zeek"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/logs/otrf-security-datasets/%s/combined_zeek.log",
                 YG_SHARED_DIR, files[i]);
        struct run r = {doc_new(&yg__fmt_zeek_json), path, "zeek", NULL, 0, 0, 0, 0, 0};
        int lines = for_lines(path, otrf_line, &r);
        CHECK_MSG(r.bad == 0 && r.bad_ls == 0 && r.ok + r.empty == lines && r.ok > 2000,
                  "%s: %d ok, %d bad, %d wrong of %d lines", files[i], r.ok, r.bad, r.bad_ls,
                  lines);
        total_records += r.ok;
        doc_free(r.d);
    }
    /* Field values of the first conn record of day 1. */
    struct doc *d = doc_new(&yg__fmt_zeek_json);
    CHECK_OK(d, "{\"@stream\":\"conn\",\"@system\":\"bobs.bigwheel.local\",\"@proc\":\"zeek\","
                "\"ts\":1588205199.82437,\"uid\":\"Cvf4XX17hSAgXDdGEd\",\"id_orig_h\":\"10.0.1.6\","
                "\"id_orig_p\":54243,\"id_resp_h\":\"10.0.0.4\",\"id_resp_p\":53,\"proto\":\"udp\","
                "\"service\":\"dns\",\"duration\":0.001528024673461914,\"orig_bytes\":39}");
    CHECK_FIELD(d, "id.orig_h", "10.0.1.6");
    CHECK_FIELD(d, "id.resp_p", "53");
    CHECK_FIELD(d, "ts", "1588205199.82437");
    CHECK_FIELD(d, "service", "dns");
    CHECK(streq(d->ls.product, "zeek") && streq(d->ls.service, "conn") && !d->ls.category);
    doc_free(d);
}

/* ---- Zeek TSV against Zeek JSON, record by record ------------------------ */

struct twin {
    char **lines;
    size_t *lens;
    int n, cap;
};

static void keep_line(const char *line, size_t n, int no, void *ud)
{
    (void)no;
    struct twin *t = ud;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->lines = realloc(t->lines, (size_t)t->cap * sizeof *t->lines);
        t->lens = realloc(t->lens, (size_t)t->cap * sizeof *t->lens);
    }
    t->lines[t->n] = malloc(n + 1);
    memcpy(t->lines[t->n], line, n);
    t->lines[t->n][n] = 0;
    t->lens[t->n++] = n;
}

static void twin_free(struct twin *t)
{
    for (int i = 0; i < t->n; i++)
        free(t->lines[i]);
    free(t->lines);
    free(t->lens);
}

/* Same values for key k in the TSV document a and the JSON document b.
 * TSV writes a set holding one empty string as #empty_field, exactly like
 * an empty set, so `[]` from TSV stands for `[""]` from JSON too. */
static bool same_values(const struct doc *a, const struct doc *b, const char *k)
{
    int na = nvals(a, k), nb = nvals(b, k);
    if (na == 0 && nb == 1 && has_key(a, k) && is(b, k, 0, ""))
        return true;
    if (na != nb || has_key(a, k) != has_key(b, k))
        return false;
    for (int i = 0; i < na; i++) {
        size_t la, lb;
        const char *va = getv(a, k, i, &la), *vb = getv(b, k, i, &lb);
        if (la != lb || memcmp(va, vb, la))
            return false;
    }
    return true;
}

static void test_zeek_twins(void)
{
    char dir[1024], names[64][128], path[10240];
    snprintf(dir, sizeof dir, "%s/logs/zed-sample-data/zeek-default", YG_SHARED_DIR);
    int nf = list_dir(dir, ".log.gz", names, 64), compared = 0;
    for (int i = 0; i < nf; i++) {
        struct twin tsv = {0}, js = {0};
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        for_lines(path, keep_line, &tsv);
        snprintf(path, sizeof path, "%s/logs/zed-sample-data/zeek-json/%.*s.json.gz", YG_SHARED_DIR,
                 (int)(strlen(names[i]) - 7), names[i]);
        for_lines(path, keep_line, &js);
        struct doc *a = doc_new(&yg__fmt_zeek), *b = doc_new(&yg__fmt_zeek_json);
        /* Columns to compare: not times, intervals or doubles, which the
         * two writers print with different precision. */
        char fields[256][64];
        bool cmp[256];
        memset(cmp, 1, sizeof cmp);
        int nfld = 0, mism = 0, j = 0;
        for (int l = 0; l < tsv.n; l++) {
            char *ln = tsv.lines[l];
            if (ln[0] == '#') {
                CHECK(dec(a, ln, tsv.lens[l]) == YG_EOF);
                bool types = !strncmp(ln, "#types\t", 7);
                if (!types && strncmp(ln, "#fields\t", 8))
                    continue;
                char copy[8192];
                snprintf(copy, sizeof copy, "%.*s", (int)tsv.lens[l], ln);
                int c = 0;
                for (char *tok = strtok(copy + (types ? 7 : 8), "\t"); tok && c < 256;
                     tok = strtok(NULL, "\t"), c++) {
                    if (types)
                        cmp[c] = !strstr(tok, "time") && !strstr(tok, "interval") &&
                                 !strstr(tok, "double");
                    else
                        snprintf(fields[c], 64, "%s", tok);
                }
                if (!types)
                    nfld = c;
                continue;
            }
            if (!tsv.lens[l])
                continue;
            if (j >= js.n)
                break;
            bool ok_a = dec(a, ln, tsv.lens[l]) == YG_OK;
            bool ok_b = dec(b, js.lines[j], js.lens[j]) == YG_OK;
            j++;
            if (!ok_a || !ok_b) {
                mism++;
                continue;
            }
            for (int c = 0; c < nfld; c++) {
                if (!cmp[c] || same_values(a, b, fields[c]))
                    continue;
                if (mism++ < 3)
                    fprintf(stderr, "%s record %d: %s differs:\n  tsv  %.*s\n  json %.*s\n",
                            names[i], j, fields[c], (int)a->out.n, a->out.p, (int)b->out.n,
                            b->out.p);
            }
            compared++;
        }
        CHECK_MSG(mism == 0 && j == js.n, "%s: %d differences, %d of %d records compared", names[i],
                  mism, j, js.n);
        doc_free(a);
        doc_free(b);
        twin_free(&tsv);
        twin_free(&js);
    }
    CHECK_MSG(compared > 100000, "%d records compared", compared);
}

/* ---- Zeek TSV by hand -------------------------------------------------- */

static void test_zeek_tsv(void)
{
    struct doc *d = doc_new(&yg__fmt_zeek);
    static const char *const hdr[] = {
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tdns",
        "#open\t2024-04-12-19-29-12",
        ("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tAA\t"
         "answers\tTTLs\trejected\tZ"),
        ("#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tbool\tvector[string]\t"
         "vector[interval]\tbool\tcount"),
    };
    for (size_t i = 0; i < sizeof hdr / sizeof *hdr; i++)
        CHECK_MSG(decs(d, hdr[i]) == YG_EOF, "%s -> %d %s", hdr[i], d->err,
                  d->e.msg ? d->e.msg : "");
    CHECK_OK(d,
             "1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100\t41772\t10.0.0.100\t53\tudp\t"
             "pool.minexmr.org\tF\tise.wrccdc.cpp.edu,134.71.3.16\t2230.000000,41830.000000\tF\t0");
    CHECK_FIELD(d, "ts", "1521911720.865716");
    CHECK_FIELD(d, "id.orig_h", "10.47.1.100");
    CHECK_FIELD(d, "AA", "false");
    CHECK_FIELD(d, "rejected", "false");
    CHECK(nvals(d, "answers") == 2 && is(d, "answers", 1, "134.71.3.16"));
    CHECK(nvals(d, "TTLs") == 2);
    CHECK(streq(d->ls.product, "zeek") && streq(d->ls.service, "dns") &&
          streq(d->ls.category, "dns"));
    /* Unset fields are left out, empty sets are [], escapes undone except
     * control bytes; an escaped set separator stays inside its element. */
    CHECK_OK(d, "1.000000\t-\t10.0.0.1\t1\t10.0.0.2\t53\tudp\ta\\x09b\\\\c\\x00\tT\t"
                "(empty)\ta\\x2cb,c\t-\t1");
    CHECK(!has_key(d, "uid") && has_key(d, "answers") && nvals(d, "answers") == 0);
    CHECK_FIELD(d, "query", "a\tb\\c\\x00");
    CHECK_FIELD(d, "AA", "true");
    CHECK(nvals(d, "TTLs") == 2 && is(d, "TTLs", 0, "a,b") && is(d, "TTLs", 1, "c"));
    CHECK_FIELD(d, "Z", "1");
    /* (empty) for a string is the empty string. */
    CHECK_OK(d, "1.0\tC\t1.1.1.1\t1\t2.2.2.2\t53\tudp\t(empty)\tT\t-\t-\t-\t0");
    CHECK(has_key(d, "query") && is(d, "query", 0, ""));
    /* Wrong column counts: where, and why. */
    const char *few = "1.0\tC\t1.1.1.1\t1\t2.2.2.2\t53\tudp";
    CHECK_BAD(d, few, strlen(few));
    CHECK(d->e.col == strlen(few) + 1 && strstr(d->e.msg, "fewer fields"));
    const char *many = "1.0\tC\t1.1.1.1\t1\t2.2.2.2\t53\tudp\tq\tT\t-\t-\t-\t0\textra";
    CHECK_BAD(d, many, strlen(many));
    CHECK(d->e.col == strlen(many) - 4 && strstr(d->e.msg, "more fields"));
    /* A bad #types line is refused and the columns stay strings. */
    CHECK(decs(d, "#types\ttime\tstring") == YG_ESYNTAX && d->e.msg);
    CHECK_OK(d, "1.0\tC\t1.1.1.1\t1\t2.2.2.2\t53\tudp\tq\tT\ta,b\t-\t-\t0");
    CHECK_FIELD(d, "AA", "T");
    CHECK_FIELD(d, "answers", "a,b");
    /* `#close`, comments: no record. */
    CHECK(decs(d, "#close\t2024-04-12-19-30-00") == YG_EOF);
    doc_free(d);

    /* Before any header: refused with a reason. */
    d = doc_new(&yg__fmt_zeek);
    const char *rec = "1521911720.865716\tCqKst53mF3det3eDV9\t10.47.1.100";
    CHECK_BAD(d, rec, strlen(rec));
    CHECK(strstr(d->e.msg, "#fields"));
    /* A custom separator (`|`), set separator and markers; a new
     * #separator line starts a new header. */
    CHECK(decs(d, "#separator \\x7c") == YG_EOF);
    CHECK(decs(d, "#set_separator|;") == YG_EOF);
    CHECK(decs(d, "#unset_field|NONE") == YG_EOF);
    CHECK(decs(d, "#empty_field|EMPTY") == YG_EOF);
    CHECK(decs(d, "#path|smb_mapping") == YG_EOF);
    CHECK(decs(d, "#fields|ts|path|tags|share_type") == YG_EOF);
    CHECK(decs(d, "#types|time|string|set[string]|string") == YG_EOF);
    CHECK_OK(d, "1.0|\\\\\\\\10.47.21.25\\\\ADMIN$|x;y\\x7cz|NONE");
    CHECK_FIELD(d, "path", "\\\\10.47.21.25\\ADMIN$");
    CHECK(is(d, "tags", 0, "x") && is(d, "tags", 1, "y|z"));
    CHECK(!has_key(d, "share_type") && streq(d->ls.service, "smb_mapping"));
    CHECK(decs(d, "#separator \\x09") == YG_EOF);
    CHECK_BAD(d, "1.0\tx", 5);
    /* Scope separator `_`: written with dots. */
    CHECK(decs(d, "#path\tx509") == YG_EOF);
    CHECK(decs(d, "#fields\tts\tcertificate_serial\tsan_dns") == YG_EOF);
    CHECK(decs(d, "#types\ttime\tstring\tvector[string]") == YG_EOF);
    CHECK_OK(d, "1.0\t8BB00EE\ta.example,b.example");
    CHECK_FIELD(d, "certificate.serial", "8BB00EE");
    CHECK(nvals(d, "san.dns") == 2 && streq(d->ls.service, "x509") && !d->ls.category);
    /* A log type Yagura does not list. */
    CHECK(decs(d, "#path\tmy_custom_log") == YG_EOF);
    CHECK_OK(d, "1.0\tx\ty");
    CHECK(streq(d->ls.service, "unknown"));
    /* Malformed headers. */
    CHECK(decs(d, "#separator ") == YG_EOF || d->err == YG_ESYNTAX);
    CHECK(decs(d, "#fields") == YG_ESYNTAX && d->e.msg);
    CHECK(decs(d, "#fields\ta\t\tb") == YG_ESYNTAX && d->e.col == 11);
    CHECK(decs(d, "#set_separator\t0123456789abcdefXYZ") == YG_ESYNTAX && d->e.msg);
    doc_free(d);
}

/* ---- Zeek JSON and Suricata by hand ---------------------------------------- */

static void test_json_formats(void)
{
    struct doc *d = doc_new(&yg__fmt_zeek_json);
    /* Nested id objects (a writer without flattening) and arrays. */
    CHECK_OK(d, "{\"_path\":\"http\",\"ts\":1.5,\"id\":{\"orig_h\":\"10.0.0.1\",\"orig_p\":5},"
                "\"method\":\"PUT\",\"resp_mime_types\":[\"application/x-dosexec\"],"
                "\"tags\":[],\"x\":null,\"ok\":true,\"n\":-1.5e3,\"o\":{}}");
    CHECK_FIELD(d, "id.orig_h", "10.0.0.1");
    CHECK_FIELD(d, "id.orig_p", "5");
    CHECK_FIELD(d, "resp_mime_types", "application/x-dosexec");
    CHECK(has_key(d, "tags") && nvals(d, "tags") == 0 && !has_key(d, "x") && !has_key(d, "o"));
    CHECK_FIELD(d, "ok", "true");
    CHECK_FIELD(d, "n", "-1.5e3");
    CHECK(streq(d->ls.service, "http") && !d->ls.category);
    /* Arrays stay arrays in the output text. */
    CHECK(strstr(d->out.p, "\"resp_mime_types\":[\"application/x-dosexec\"]") != NULL);
    /* No _path or @stream: service unknown; escapes copied as written. */
    CHECK_OK(d, "{\"ts\":1,\"uid\":\"C1\",\"path\":\"\\\\\\\\srv\\\\C$\",\"u\":\"\\u00e9\\/\"}");
    CHECK(streq(d->ls.service, "unknown") && streq(d->ls.product, "zeek"));
    CHECK_FIELD(d, "path", "\\\\srv\\C$");
    CHECK_FIELD(d, "u", "\xc3\xa9/");
    /* _path wins over @stream. */
    CHECK_OK(d, "{\"@stream\":\"conn\",\"_path\":\"dns\"}");
    CHECK(streq(d->ls.service, "dns") && streq(d->ls.category, "dns"));
    doc_free(d);

    d = doc_new(&yg__fmt_suricata);
    char path[1024];
    snprintf(path, sizeof path, "%s/logs/elastic-integrations/suricata/test-eve-6-0.log",
             YG_SHARED_DIR);
    struct run r = {d, path, "suricata", NULL, 0, 0, 0, 0, 0};
    int lines = for_lines(path, run_line, &r);
    CHECK_MSG(r.ok == 3 && r.ok + r.empty == lines && !r.bad && !r.bad_ls, "eve: %d ok of %d", r.ok,
              lines);
    total_records += r.ok;
    size_t n;
    char *b = slurp(path, &n);
    CHECK(b != NULL);
    if (b) {
        const char *nl = memchr(b, '\n', n);
        CHECK(dec(d, b, nl ? (size_t)(nl - b) : n) == YG_OK);
        CHECK_FIELD(d, "alert.signature", "GPL ATTACK_RESPONSE id check returned root");
        CHECK_FIELD(d, "alert.signature_id", "2100498");
        CHECK_FIELD(d, "http.hostname", "testmynids.org");
        CHECK_FIELD(d, "http.url", "/uid/index.html");
        CHECK_FIELD(d, "src_ip", "175.16.199.1");
        CHECK_FIELD(d, "ether.src_mac", "00:03:2d:3f:e5:63");
        CHECK_FIELD(d, "alert.metadata.created_at", "2010_09_23");
        CHECK_FIELD(d, "flow.start", "2021-01-22T23:28:38.673917+0100");
        CHECK(streq(d->ls.product, "suricata") && streq(d->ls.service, "alert") && !d->ls.category);
        free(b);
    }
    /* Arrays of objects repeat their key per element. */
    CHECK_OK(d, "{\"timestamp\":\"t\",\"event_type\":\"dns\",\"dns\":{\"type\":\"answer\","
                "\"rrname\":\"example.com\",\"answers\":[{\"rrname\":\"example.com\",\"rdata\":"
                "\"1.2.3.4\"},{\"rrname\":\"example.com\",\"rdata\":\"5.6.7.8\"}],"
                "\"grouped\":{\"A\":[\"1.2.3.4\",\"5.6.7.8\"]}}}");
    CHECK(nvals(d, "dns.answers.rdata") == 2 && is(d, "dns.answers.rdata", 1, "5.6.7.8"));
    CHECK(nvals(d, "dns.grouped.A") == 2);
    CHECK(streq(d->ls.service, "dns"));
    CHECK_OK(d, "{\"event_type\":\"new_thing\",\"a\":[1,[2,3],{\"b\":4},5]}");
    CHECK(streq(d->ls.service, "unknown") && nvals(d, "a") == 4 && is(d, "a.b", 0, "4"));
    doc_free(d);
}

/* ---- Apache and nginx -------------------------------------------------------- */

static void test_apache_error_sample(void)
{
    struct doc *d = doc_new(&yg__fmt_combined);
    char path[1024];
    snprintf(path, sizeof path, "%s/logs/loghub/Apache_2k.log", YG_SHARED_DIR);
    struct run r = {d, path, "apache", "apache", 0, 0, 0, 0, 0};
    int lines = for_lines(path, run_line, &r);
    CHECK_MSG(r.ok == 2000 && r.ok + r.empty == lines && !r.bad && !r.bad_ls,
              "Apache_2k: %d ok, %d bad of %d", r.ok, r.bad, lines);
    total_records += r.ok;
    CHECK_OK(d, "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok "
                "/etc/httpd/conf/workers2.properties");
    CHECK_FIELD(d, "date", "2005-12-04");
    CHECK_FIELD(d, "time", "04:47:44");
    CHECK_FIELD(d, "level", "notice");
    CHECK_FIELD(d, "message", "workerEnv.init() ok /etc/httpd/conf/workers2.properties");
    CHECK(streq(d->ls.product, "apache") && streq(d->ls.service, "apache") && !d->ls.category);
    CHECK_OK(d, "[Sun Dec 04 20:47:17 2005] [error] [client 81.199.21.119] Directory index "
                "forbidden by rule: /var/www/html/");
    CHECK_FIELD(d, "c-ip", "81.199.21.119");
    CHECK_FIELD(d, "c-port", NULL);
    CHECK_FIELD(d, "message", "Directory index forbidden by rule: /var/www/html/");
    /* Apache 2.4, as in httpd's "Log Files" documentation. */
    CHECK_OK(d, "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] "
                "[client 72.15.99.187] File does not exist: /usr/local/apache2/htdocs/favicon.ico");
    CHECK_FIELD(d, "time", "10:42:29.902022");
    CHECK_FIELD(d, "module", "core");
    CHECK_FIELD(d, "level", "error");
    CHECK_FIELD(d, "pid", "35708");
    CHECK_FIELD(d, "tid", "4328636416");
    CHECK_FIELD(d, "c-ip", "72.15.99.187");
    CHECK_OK(d, "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234] [client ::1:56789] "
                "AH00128: File does not exist: /var/www/x");
    CHECK_FIELD(d, "c-ip", "::1");
    CHECK_FIELD(d, "c-port", "56789");
    CHECK_FIELD(d, "code", "AH00128");
    CHECK_FIELD(d, "message", "File does not exist: /var/www/x");
    CHECK_OK(d, "[Mon Jan 01 00:00:00 2024] [notice] child pid 1 exit signal Segmentation "
                "fault (11)");
    /* nginx error log. */
    CHECK_OK(d, "2024/05/01 12:00:00 [alert] 1234#0: worker process 5678 exited on signal 6 "
                "(core dumped)");
    CHECK(streq(d->ls.product, "nginx") && streq(d->ls.service, "nginx"));
    CHECK_FIELD(d, "level", "alert");
    CHECK_FIELD(d, "pid", "1234");
    CHECK_FIELD(d, "message", "worker process 5678 exited on signal 6 (core dumped)");
    CHECK_OK(d, "2024/05/01 12:00:01 [error] 31#31: *7 open() \"/usr/share/nginx/html/x\" failed "
                "(2: No such file or directory), client: 172.17.0.1, server: localhost, request: "
                "\"GET /x HTTP/1.1\", host: \"localhost\"");
    CHECK_FIELD(d, "connection", "7");
    CHECK_FIELD(d, "c-ip", "172.17.0.1");
    /* Malformed error-log times. */
    CHECK_BAD(d, "[Sun Dec 04 04:47:44] [notice] x", 32u);
    CHECK_BAD(d, "[Sun Xyz 04 04:47:44 2005] [notice] x", 37u);
    CHECK_BAD(d, "[Sun Dec 04 04:47:44 2005] no level", 35u);
    CHECK_BAD(d, "2024/13/01 12:00:00 [error] x", 29u);
    doc_free(d);
}

static void test_access(void)
{
    struct doc *d = doc_new(&yg__fmt_combined);
    /* Apache httpd documentation, "Log Files", Common Log Format example. */
    CHECK_OK(d, "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" "
                "200 2326");
    CHECK_FIELD(d, "c-ip", "127.0.0.1");
    CHECK_FIELD(d, "cs-username", "frank");
    CHECK_FIELD(d, "date", "2000-10-10");
    CHECK_FIELD(d, "time", "20:55:36");
    CHECK_FIELD(d, "cs-method", "GET");
    CHECK_FIELD(d, "cs-uri-stem", "/apache_pb.gif");
    CHECK_FIELD(d, "cs-uri-query", "/apache_pb.gif");
    CHECK(nvals(d, "cs-uri-query") == 1);
    CHECK_FIELD(d, "cs-version", "HTTP/1.0");
    CHECK_FIELD(d, "sc-status", "200");
    CHECK_FIELD(d, "sc-bytes", "2326");
    CHECK(!has_key(d, "cs-referer") && !has_key(d, "cs-user-agent"));
    CHECK(streq(d->ls.category, "webserver") && !d->ls.product && !d->ls.service);
    /* The same documentation, Combined Log Format example. */
    CHECK_OK(d, "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" "
                "200 2326 \"http://www.example.com/start.html\" \"Mozilla/4.08 [en] (Win98; I "
                ";Nav)\"");
    CHECK_FIELD(d, "cs-referer", "http://www.example.com/start.html");
    CHECK_FIELD(d, "cs-user-agent", "Mozilla/4.08 [en] (Win98; I ;Nav)");
    /* Query: [whole target, query]; `-` user and size left out; UTC across
     * a year boundary. */
    CHECK_OK(d, "203.0.113.7 - - [31/Dec/2023:23:30:00 -0100] \"POST /a/b.php?x=1&y=%20 "
                "HTTP/1.1\" 404 - \"-\" \"curl/8.0\"");
    CHECK_FIELD(d, "date", "2024-01-01");
    CHECK_FIELD(d, "time", "00:30:00");
    CHECK(is(d, "cs-uri-query", 0, "/a/b.php?x=1&y=%20") && is(d, "cs-uri-query", 1, "x=1&y=%20"));
    CHECK_FIELD(d, "cs-uri-stem", "/a/b.php");
    CHECK(!has_key(d, "cs-username") && !has_key(d, "sc-bytes") && !has_key(d, "cs-referer"));
    CHECK_OK(d, "::1 - - [01/Jan/2024:00:00:00 +0900] \"GET / HTTP/2.0\" 200 1");
    CHECK_FIELD(d, "date", "2023-12-31");
    CHECK_FIELD(d, "time", "15:00:00");
    /* Escaped quotes and backslashes (Apache), \x22 (nginx), control bytes
     * kept as written, an unescaped quote inside a field (old Apache). */
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /q?a=\\\"b\\\"\\\\c HTTP/1.1\" 200 "
                "5 \"-\" \"Mozilla \\\"quoted\\\" \\x22n\\x5C \\x16\\x03 say \"hi\" there\"");
    CHECK(is(d, "cs-uri-query", 1, "a=\"b\"\\c"));
    CHECK_FIELD(d, "cs-user-agent", "Mozilla \"quoted\" \"n\\ \\x16\\x03 say \"hi\" there");
    /* A request line that is not METHOD target VERSION. */
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"\\x16\\x03\\x01\\x02\" 400 226");
    CHECK_FIELD(d, "request", "\\x16\\x03\\x01\\x02");
    CHECK(!has_key(d, "cs-method"));
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"-\" 408 -");
    CHECK(!has_key(d, "request") && !has_key(d, "cs-method"));
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /x y HTTP/1.1\" 200 1");
    CHECK_FIELD(d, "cs-uri-stem", "/x y");
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /old\" 200 1");
    CHECK_FIELD(d, "cs-uri-stem", "/old");
    CHECK(!has_key(d, "cs-version"));
    /* nginx `main`: X-Forwarded-For after the agent. */
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua\" "
                "\"198.51.100.1\"");
    CHECK_FIELD(d, "extra", "\"198.51.100.1\"");
    /* Unbalanced quotes and other damage: where and why. */
    const char *bad[] = {
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1 200 1",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"ref",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\" 200 1 \"-\" \"ua",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / HTTP/1.1\\\" 200 1",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] GET / HTTP/1.1 200 1",
        "1.2.3.4 - - [10/Foo/2000:13:55:36 +0000] \"GET /\" 200 1",
        "1.2.3.4 - - [10/Oct/2000:13:55:36] \"GET /\" 200 1",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /\" 20x 1",
        "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /\" 200 12a",
        "1.2.3.4 - -",
        "",
        " ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_BAD(d, bad[i], strlen(bad[i]));
    CHECK(decs(d, bad[0]) == YG_ESYNTAX && d->e.col == 42 && strstr(d->e.msg, "unbalanced"));
    CHECK(decs(d, bad[2]) == YG_ESYNTAX && strstr(d->e.msg, "user agent"));
    doc_free(d);
}

/* ---- W3C ----------------------------------------------------------------------- */

static void test_w3c(void)
{
    struct doc *d = doc_new(&yg__fmt_w3c);
    /* The directives IIS writes at the top of every log file. */
    static const char *const hdr[] = {
        "#Software: Microsoft Internet Information Services 10.0",
        "#Version: 1.0",
        "#Date: 2025-07-19 06:00:00",
        ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
         "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"),
    };
    for (size_t i = 0; i < 4; i++)
        CHECK(decs(d, hdr[i]) == YG_EOF);
    CHECK_OK(d, "2025-07-19 06:01:02 10.0.0.5 POST /_layouts/15/ToolPane.aspx "
                "DisplayMode=Edit&a=/ToolPane.aspx 443 - 203.0.113.9 "
                "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0 "
                "/_layouts/SignOut.aspx 200 0 0 15\r");
    CHECK_FIELD(d, "date", "2025-07-19");
    CHECK_FIELD(d, "time", "06:01:02");
    CHECK_FIELD(d, "s-ip", "10.0.0.5");
    CHECK_FIELD(d, "cs-method", "POST");
    CHECK_FIELD(d, "cs-uri-stem", "/_layouts/15/ToolPane.aspx");
    CHECK(
        is(d, "cs-uri-query", 0, "/_layouts/15/ToolPane.aspx?DisplayMode=Edit&a=/ToolPane.aspx") &&
        is(d, "cs-uri-query", 1, "DisplayMode=Edit&a=/ToolPane.aspx"));
    CHECK_FIELD(d, "s-port", "443");
    CHECK(!has_key(d, "cs-username"));
    CHECK_FIELD(d, "c-ip", "203.0.113.9");
    CHECK(is(d, "cs-user-agent", 1,
             "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0") &&
          is(d, "cs-user-agent", 0,
             "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64;+rv:120.0)+Gecko/20100101+Firefox/120.0"));
    CHECK_FIELD(d, "cs-referer", "/_layouts/SignOut.aspx");
    CHECK_FIELD(d, "sc-status", "200");
    CHECK_FIELD(d, "sc-win32-status", "0");
    CHECK_FIELD(d, "time-taken", "15");
    CHECK(streq(d->ls.product, "windows") && streq(d->ls.service, "iis") &&
          streq(d->ls.category, "webserver"));
    /* No query: the stem; a user agent without `+`: one value. */
    CHECK_OK(d, "2025-07-19 06:01:03 10.0.0.5 GET /owa/ - 443 CORP\\alice 203.0.113.9 curl/8.0 - "
                "302 0 0 1");
    CHECK_FIELD(d, "cs-uri-query", "/owa/");
    CHECK(nvals(d, "cs-uri-query") == 1 && nvals(d, "cs-user-agent") == 1);
    CHECK_FIELD(d, "cs-username", "CORP\\alice");
    /* Column count: where and why. */
    const char *few = "2025-07-19 06:01:03 10.0.0.5 GET /owa/";
    CHECK_BAD(d, few, strlen(few));
    CHECK(strstr(d->e.msg, "fewer"));
    const char *many = "2025-07-19 06:01:03 10.0.0.5 GET /owa/ - 443 - 1.2.3.4 ua - 302 0 0 1 x";
    CHECK_BAD(d, many, strlen(many));
    CHECK(d->e.col == strlen(many) && strstr(d->e.msg, "more"));
    /* A new #Fields (after a restart, other columns); a quoted field. */
    CHECK(decs(d, "#Software: Example httpd") == YG_EOF);
    CHECK(decs(d, "#Fields: date time c-ip cs-method cs-uri-stem cs(Cookie) x(Custom-Thing) "
                  "cs-host") == YG_EOF);
    CHECK_OK(d, "2025-07-19 06:01:04 198.51.100.2 GET /a \"sid=1; x=\"\"y\"\"\" v example.org");
    CHECK_FIELD(d, "cs-cookie", "sid=1; x=\"y\"");
    CHECK_FIELD(d, "x-custom-thing", "v");
    CHECK_FIELD(d, "cs-host", "example.org");
    CHECK_FIELD(d, "cs-uri-query", "/a");
    CHECK(streq(d->ls.category, "webserver") && !d->ls.product && !d->ls.service);
    CHECK_BAD(d, "2025-07-19 06:01:04 198.51.100.2 GET /a \"open v h", 49u);
    CHECK(strstr(d->e.msg, "unterminated"));
    CHECK_BAD(d, "2025-07-19 06:01:04 198.51.100.2 GET /a \"c\"x v h", 49u);
    CHECK(decs(d, "#Fields:") == YG_ESYNTAX && d->e.msg);
    doc_free(d);

    /* No directives: IIS's default fields, when the count fits. */
    d = doc_new(&yg__fmt_w3c);
    CHECK_OK(d, "2024-01-02 03:04:05 10.1.1.1 GET /remote/fgt_lang "
                "lang=/../../../..//////////dev/cmdb/sslvpn_websession 443 - 1.2.3.4 "
                "python-requests/2.31 - 200 0 0 3");
    CHECK(streq(d->ls.service, "iis"));
    CHECK(is(d, "cs-uri-query", 1, "lang=/../../../..//////////dev/cmdb/sslvpn_websession"));
    CHECK_OK(d, "2024-01-02 03:04:05 10.1.1.1 GET / - 80 - 1.2.3.4 ua 200 0 0 3");
    CHECK(!has_key(d, "cs-referer") && is(d, "sc-status", 0, "200"));
    const char *odd = "2024-01-02 03:04:05 10.1.1.1 GET / - 80";
    CHECK_BAD(d, odd, strlen(odd));
    CHECK(strstr(d->e.msg, "#Fields"));
    doc_free(d);
}

/* ---- SigmaHQ's rules over decoded events ----------------------------------------- */

struct hits {
    char ids[8][40];
    int n;
};

static int on_alert(void *ud, const yg_alert *a)
{
    struct hits *h = ud;
    if (h->n < 8)
        snprintf(h->ids[h->n++], 40, "%s", a->rule_id);
    return 0;
}

static bool fired(const struct hits *h, const char *id)
{
    for (int i = 0; i < h->n; i++)
        if (!strcmp(h->ids[i], id))
            return true;
    return false;
}

/* Decode line with f (after the header lines hdr) and run the rules. */
static struct hits run_rules(yg_scanner *s, const struct yg_linefmt *f, const char *const *hdr,
                             const char *line)
{
    struct hits h = {.n = 0};
    struct doc *d = doc_new(f);
    for (; hdr && *hdr; hdr++)
        CHECK(decs(d, *hdr) == YG_EOF);
    CHECK_OK(d, line);
    if (d->err == YG_OK)
        CHECK(yg_scanner_scan_json_as(s, d->out.p, d->out.n, d->ls.product, d->ls.service,
                                      d->ls.category, on_alert, &h) == YG_OK);
    doc_free(d);
    return h;
}

#define FORTI "a2e97350-4285-43f2-a63f-d0daff291738"
#define PULSE "2dbc10d7-a797-49a8-8776-49efa6442e60"
#define SP "48d053db-6a56-4866-b60d-0975647050ed"
#define VSPHERE "179ed852-0f9b-4009-93a7-68475910fd86"
#define SAP "94e12f41-6cb3-45c5-97b1-c783a7bf2e72"
#define SEGV "1da8ce0b-855d-4004-8860-7d64d42063b1"
#define NGX "59ec40bb-322e-40ab-808d-84fa690d7e56"
#define CS "7100f7e3-92ce-4584-b7b7-01b40d3d4118"
#define MINING "bf74135c-18e8-4a72-a926-0e4f47888c19"
#define SECDUMP "92dae1ed-1c9d-4eff-a567-33acbd95b00e"

static void test_rules(void)
{
    static const char *const files[] = {
        "rules-emerging-threats/2018/Exploits/CVE-2018-13379/"
        "web_cve_2018_13379_fortinet_preauth_read_exploit.yml",
        "rules-emerging-threats/2019/Exploits/CVE-2019-11510/"
        "web_cve_2019_11510_pulsesecure_exploit.yml",
        "rules-emerging-threats/2025/Exploits/CVE-2025-53770/"
        "web_win_iis_exploit_cve_2025_53770.yml",
        "rules-emerging-threats/2021/Exploits/CVE-2021-21972/"
        "web_cve_2021_21972_vsphere_unauth_rce_exploit.yml",
        "rules-emerging-threats/2025/Exploits/CVE-2025-31324/"
        "web_lnx_exploit_cve_2025_31324_sap_netviewer_webshell.yml",
        "rules/web/product/apache/web_apache_segfault.yml",
        "rules/web/product/nginx/web_nginx_core_dump.yml",
        "rules/network/zeek/zeek_default_cobalt_strike_certificate.yml",
        "rules/network/zeek/zeek_dns_mining_pools.yml",
        "rules/network/zeek/zeek_smb_converted_win_impacket_secretdump.yml",
    };
    yg_compiler *c;
    yg_rules *rules = NULL;
    yg_scanner *s = NULL;
    CHECK(yg_compiler_create(&c, NULL) == YG_OK);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/sigma/%s", YG_SHARED_DIR, files[i]);
        CHECK_MSG(yg_compiler_add_path(c, path) == YG_OK, "%s", path);
    }
    CHECK(yg_compiler_get_rules(c, &rules) == YG_OK);
    yg_compiler_destroy(c);
    yg_rules_stats st;
    yg_rules_get_stats(rules, &st);
    CHECK_MSG(st.detection == 10 && st.failed == 0, "%zu rules, %zu failed", st.detection,
              st.failed);
    CHECK(yg_scanner_create(rules, &s) == YG_OK);
    yg_rules_release(rules);

    /* FortiOS CVE-2018-13379, Pulse Connect Secure CVE-2019-11510 and
     * Ivanti Connect Secure CVE-2023-46805 requests, written the way
     * Apache's Combined Log Format records them. */
    struct hits h = run_rules(s, &yg__fmt_combined, NULL,
                              "198.51.100.23 - - [12/Aug/2019:10:00:00 +0000] \"GET "
                              "/remote/fgt_lang?lang=/../../../..//////////dev/cmdb/"
                              "sslvpn_websession HTTP/1.1\" 200 1145 \"-\" \"curl/7.64.0\"");
    CHECK_MSG(h.n == 1 && fired(&h, FORTI), "fortios: %d hits", h.n);
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "198.51.100.24 - - [24/Aug/2019:05:10:00 +0000] \"GET "
                  "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd?/dana/html5acc/"
                  "guacamole/ HTTP/1.1\" 200 2143 \"-\" \"Mozilla/5.0\"");
    CHECK_MSG(h.n == 1 && fired(&h, PULSE), "pulse: %d hits", h.n);
    /* The bare traversal fires too: the rule's `?` is Sigma's one-character
     * wildcard, matched here by the `.` before `/dana/html5acc/`. */
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "198.51.100.24 - - [24/Aug/2019:05:10:00 +0000] \"GET "
                  "/dana-na/../dana/html5acc/guacamole/../../../../../../etc/passwd HTTP/1.1\" 200 "
                  "2143");
    CHECK_MSG(h.n == 1 && fired(&h, PULSE), "pulse, bare: %d hits", h.n);
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "198.51.100.24 - - [24/Aug/2019:05:10:00 +0000] \"GET /dana/html5acc/guacamole/ "
                  "HTTP/1.1\" 200 2143");
    CHECK_MSG(h.n == 0, "pulse, plain page: %d hits", h.n);
    {
        struct doc *d = doc_new(&yg__fmt_combined);
        CHECK_OK(d, "198.51.100.25 - - [10/Jan/2024:12:00:00 +0000] \"GET "
                    "/api/v1/totp/user-backup-code/../../system/system-information HTTP/1.1\" 200 "
                    "712 \"-\" \"python-requests/2.31.0\"");
        CHECK_FIELD(d, "cs-uri-stem",
                    "/api/v1/totp/user-backup-code/../../system/system-information");
        CHECK_FIELD(d, "cs-uri-query",
                    "/api/v1/totp/user-backup-code/../../system/system-information");
        CHECK_FIELD(d, "cs-method", "GET");
        CHECK_FIELD(d, "sc-status", "200");
        doc_free(d);
    }
    /* Whole-target rules (exact cs-uri-query) and query rules
     * (cs-uri-query|startswith) both fire. */
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "198.51.100.26 - - [24/Feb/2021:00:00:00 +0000] \"POST "
                  "/ui/vropspluginui/rest/services/uploadova HTTP/1.1\" 500 10");
    CHECK_MSG(h.n == 1 && fired(&h, VSPHERE), "vsphere: %d hits", h.n);
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "198.51.100.27 - - [25/Apr/2025:00:00:00 +0000] \"GET "
                  "/irj/helper.jsp?cmd=whoami HTTP/1.1\" 200 10");
    CHECK_MSG(h.n == 1 && fired(&h, SAP), "sap: %d hits", h.n);
    /* IIS: SharePoint CVE-2025-53770 needs stem, query and referer. */
    static const char *const iis[] = {
        "#Software: Microsoft Internet Information Services 10.0",
        ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
         "cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"),
        NULL};
    h = run_rules(s, &yg__fmt_w3c, iis,
                  "2025-07-19 06:01:02 10.0.0.5 POST /_layouts/15/ToolPane.aspx "
                  "DisplayMode=Edit&a=/ToolPane.aspx 443 - 203.0.113.9 Mozilla/5.0+(X11) "
                  "/_layouts/SignOut.aspx 200 0 0 15");
    CHECK_MSG(h.n == 1 && fired(&h, SP), "sharepoint: %d hits", h.n);
    h = run_rules(s, &yg__fmt_w3c, iis,
                  "2025-07-19 06:01:02 10.0.0.5 GET /remote/fgt_lang "
                  "lang=/../../../..//////////dev/cmdb/sslvpn_websession 443 - 1.2.3.4 ua - 200 0 "
                  "0 15");
    CHECK_MSG(h.n == 1 && fired(&h, FORTI), "fortios over iis: %d hits", h.n);
    /* Error logs: keyword rules under service apache / nginx. */
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "[Sun Dec 04 07:18:00 2005] [notice] child pid 29716 exit signal Bus error (7)");
    CHECK_MSG(h.n == 0, "bus error: %d", h.n);
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "[Sun Dec 04 07:18:00 2005] [notice] child pid 29716 exit signal Segmentation "
                  "fault (11), possible coredump in /etc/httpd");
    CHECK_MSG(h.n == 1 && fired(&h, SEGV), "segfault: %d hits", h.n);
    h = run_rules(s, &yg__fmt_combined, NULL,
                  "2024/05/01 12:00:00 [alert] 1234#0: worker process 5678 exited on signal 6 "
                  "(core dumped)");
    CHECK_MSG(h.n == 1 && fired(&h, NGX), "nginx: %d hits", h.n);
    /* Zeek: TSV and the OTRF JSON spelling of the same certificate. */
    static const char *const x509[] = {"#separator \\x09", "#path\tx509",
                                       "#fields\tts\tid\tcertificate.serial",
                                       "#types\ttime\tstring\tstring", NULL};
    h = run_rules(s, &yg__fmt_zeek, x509, "1.0\tFx\t8BB00EE");
    CHECK_MSG(h.n == 1 && fired(&h, CS), "x509 tsv: %d hits", h.n);
    h = run_rules(
        s, &yg__fmt_zeek_json, NULL,
        "{\"@stream\":\"x509\",\"ts\":1.0,\"id\":\"Fx\",\"certificate_serial\":\"8BB00EE\"}");
    CHECK_MSG(h.n == 1 && fired(&h, CS), "x509 otrf: %d hits", h.n);
    static const char *const dns[] = {"#separator \\x09", "#path\tdns",
                                      "#fields\tts\tquery\trejected", "#types\ttime\tstring\tbool",
                                      NULL};
    h = run_rules(s, &yg__fmt_zeek, dns, "1.0\tpool.minexmr.org\tF");
    CHECK_MSG(h.n == 1 && fired(&h, MINING), "mining: %d hits", h.n);
    h = run_rules(s, &yg__fmt_zeek, dns, "1.0\tpool.minexmr.org\tT");
    CHECK_MSG(h.n == 0, "mining, rejected: %d hits", h.n);
    static const char *const smb[] = {"#separator \\x09", "#path\tsmb_files",
                                      "#fields\tts\tpath\tname", "#types\ttime\tstring\tstring",
                                      NULL};
    h = run_rules(s, &yg__fmt_zeek, smb,
                  "1.0\t\\\\\\\\10.0.0.1\\\\ADMIN$\tWindows\\\\SYSTEM32\\\\aBcDeFgH.tmp");
    CHECK_MSG(h.n == 1 && fired(&h, SECDUMP), "secretsdump: %d hits", h.n);
    yg_scanner_destroy(s);
}

/* ---- detection ------------------------------------------------------------------ */

static const struct yg_linefmt *best(const char *line)
{
    const struct yg_linefmt *const *f = yg__formats_list(), *b = NULL;
    int bs = 0;
    for (; *f; f++) {
        int sc = (*f)->sniff ? (*f)->sniff(line, strlen(line)) : 0;
        if (sc > bs) {
            bs = sc;
            b = *f;
        }
    }
    return bs >= 30 ? b : NULL;
}

static void test_sniff(void)
{
    static const struct {
        const char *line;
        const struct yg_linefmt *f;
    } cases[] = {
        {"#Software: Microsoft Internet Information Services 10.0", &yg__fmt_w3c},
        {"#Fields: date time s-ip cs-method", &yg__fmt_w3c},
        {"2024-01-02 03:04:05 10.1.1.1 GET / - 80 - 1.2.3.4 ua 200 0 0 3", &yg__fmt_w3c},
        {"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
         &yg__fmt_combined},
        {"[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", &yg__fmt_combined},
        {"2024/05/01 12:00:00 [alert] 1234#0: worker process exited", &yg__fmt_combined},
        {"#separator \\x09", &yg__fmt_zeek},
        {"#fields\tts\tuid", &yg__fmt_zeek},
        {"{\"_path\":\"dns\",\"ts\":\"2018-03-24T17:15:20.865716Z\"}", &yg__fmt_zeek_json},
        {"{\"@stream\":\"conn\",\"@system\":\"x\"}", &yg__fmt_zeek_json},
        {"{\"ts\":1.5,\"uid\":\"CqKst53\",\"id.orig_h\":\"10.0.0.1\"}", &yg__fmt_zeek_json},
        {"{\"timestamp\":\"2021-01-27T01:28:11.488362+0100\",\"flow_id\":1,\"event_type\":"
         "\"alert\"}",
         &yg__fmt_suricata},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const struct yg_linefmt *b = best(cases[i].line);
        CHECK_MSG(b == cases[i].f, "%s sniffed as %s", cases[i].line, b ? b->name : "nothing");
    }
    CHECK(yg__fmt_combined.sniff("{\"a\":1}", 7) == 0 && yg__fmt_zeek.sniff("hello", 5) == 0);
}

/* ---- hostile input ----------------------------------------------------------------- */

/* Decode line with f (fresh state, header lines first): any result but a
 * crash; success means valid flat JSON, failure a column and a reason. */
static int survived, failed_cleanly;

static void try_line(const struct yg_linefmt *f, const char *const *hdr, const char *line, size_t n)
{
    struct doc *d = doc_new(f);
    for (; hdr && *hdr; hdr++)
        (void)decs(d, *hdr);
    yg_buf_reset(&d->out);
    yg_err e = dec(d, line, n);
    if (e == YG_OK) {
        CHECK_MSG(d->json_ok && d->flat, "%s: %.*s -> invalid output %.*s", f->name, (int)n, line,
                  (int)d->out.n, d->out.p);
        survived++;
    } else if (e != YG_EOF) {
        CHECK_MSG(d->e.msg && d->e.col >= 1 && d->e.col <= n + 1 && d->out.n == 0,
                  "%s: err %d col %zu msg %s (n %zu)", f->name, e, d->e.col,
                  d->e.msg ? d->e.msg : "", n);
        failed_cleanly++;
    }
    doc_free(d);
}

static const char *const tsv_hdr[] = {"#separator \\x09", "#path\tconn",
                                      "#fields\tts\tuid\tid.orig_h\tservice\tok",
                                      "#types\ttime\tstring\taddr\tset[string]\tbool", NULL};
static const char *const w3c_hdr[] = {
    "#Software: Microsoft Internet Information Services 10.0",
    "#Fields: date time cs-method cs-uri-stem cs-uri-query c-ip cs(User-Agent) sc-status", NULL};

static const struct {
    const struct yg_linefmt *f;
    const char *const *hdr;
    const char *line;
} samples[] = {
    {&yg__fmt_combined, NULL,
     "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a?b=c HTTP/1.0\" 200 2326 "
     "\"http://r/\" \"Mozilla/4.08 [en] (Win98; I ;Nav)\""},
    {&yg__fmt_combined, NULL,
     "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client "
     "72.15.99.187:1234] AH00128: File does not exist"},
    {&yg__fmt_combined, NULL, "2024/05/01 12:00:00 [error] 31#31: *7 x, client: 1.2.3.4, y"},
    {&yg__fmt_w3c, w3c_hdr, "2025-07-19 06:01:02 GET /a b=1 1.2.3.4 Mozilla/5.0+(X11) 200"},
    {&yg__fmt_zeek, tsv_hdr, "1.5\tCabc\t10.0.0.1\tdns,http\tT"},
    {&yg__fmt_zeek_json, NULL,
     "{\"_path\":\"conn\",\"ts\":1.5,\"id\":{\"orig_h\":\"10.0.0.1\"},\"s\":[\"a\",\"b\"],"
     "\"e\":\"\\u00e9\\\"\"}"},
    {&yg__fmt_suricata, NULL,
     "{\"timestamp\":\"t\",\"event_type\":\"alert\",\"alert\":{\"signature\":\"x\",\"m\":"
     "{\"a\":[\"1\"]}},\"n\":[{\"b\":1},{\"b\":2}]}"},
};
#define NSAMPLES (sizeof samples / sizeof *samples)

static void test_hostile(void)
{
    char buf[4096];
    /* Every prefix of every sample: truncated lines. */
    for (size_t s = 0; s < NSAMPLES; s++) {
        size_t n = strlen(samples[s].line);
        for (size_t k = 0; k <= n; k++)
            try_line(samples[s].f, samples[s].hdr, samples[s].line, k);
    }
    /* A NUL byte and an invalid UTF-8 byte at every position. */
    for (size_t s = 0; s < NSAMPLES; s++) {
        size_t n = strlen(samples[s].line);
        for (size_t k = 0; k < n; k++) {
            memcpy(buf, samples[s].line, n);
            buf[k] = 0;
            try_line(samples[s].f, samples[s].hdr, buf, n);
            buf[k] = (char)0xC3;
            try_line(samples[s].f, samples[s].hdr, buf, n);
            buf[k] = (char)0xFF;
            try_line(samples[s].f, samples[s].hdr, buf, n);
        }
    }
    /* Invalid UTF-8 inside values is kept visible as \u00XX. */
    struct doc *d = doc_new(&yg__fmt_combined);
    CHECK_OK(d, "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /\xff\xc3( HTTP/1.1\" 200 1");
    CHECK(strstr(d->out.p, "/\\u00ff\\u00c3(") != NULL);
    doc_free(d);
    d = doc_new(&yg__fmt_suricata);
    CHECK_OK(d, "{\"event_type\":\"http\",\"u\":\"a\xff\xe2\x82\xac\"}");
    CHECK(strstr(d->out.p, "a\\u00ff\xe2\x82\xac") != NULL);
    const char nul[] = "{\"event_type\":\"http\",\"u\":\"a\0b\"}";
    CHECK_BAD(d, nul, sizeof nul - 1);
    CHECK(d->e.col == 28 && strstr(d->e.msg, "control"));
    /* JSON damage: where and why. */
    static const char *const badj[] = {
        "",
        "[1,2]",
        "{\"a\":1",
        "{\"a\":1}x",
        "{\"a\" 1}",
        "{\"a\":tru}",
        "{\"a\":\"\\q\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{a:1}",
        "{\"a\":[1,}",
        "{\"a\":{\"b\":1]}",
        "{\"a\":1,}",
        "\"str\"",
    };
    for (size_t i = 0; i < sizeof badj / sizeof *badj; i++)
        CHECK_BAD(d, badj[i], strlen(badj[i]));
    CHECK(decs(d, "{\"a\":1}x") == YG_ESYNTAX && d->e.col == 8);
    /* Nesting past YG_MAX_JSON_DEPTH. */
    char deep[1024];
    size_t dn = 0;
    for (int i = 0; i < 100; i++)
        dn += (size_t)snprintf(deep + dn, sizeof deep - dn, "{\"a\":");
    deep[dn++] = '1';
    for (int i = 0; i < 100; i++)
        deep[dn++] = '}';
    yg_buf_reset(&d->out);
    struct yg_logsrc ls;
    CHECK(d->f->decode(NULL, deep, dn, &d->out, &ls, &d->e) == YG_ELIMIT && d->e.msg &&
          d->out.n == 0);
    doc_free(d);

    /* Lines over 64 KiB decode whole (they are below the event limit). */
    size_t big = 70000;
    char *line = malloc(big + 512), *fill = malloc(big + 1);
    memset(fill, 'A', big);
    fill[big] = 0;
    d = doc_new(&yg__fmt_combined);
    int ln = snprintf(line, big + 512,
                      "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /%s HTTP/1.1\" 200 1", fill);
    CHECK(dec(d, line, (size_t)ln) == YG_OK && d->json_ok);
    size_t vn = 0;
    CHECK(getv(d, "cs-uri-stem", 0, &vn) && vn == big + 1);
    /* ... and a long line of garbage fails with a column. */
    CHECK_BAD(d, fill, big);
    doc_free(d);
    d = doc_new(&yg__fmt_zeek_json);
    ln = snprintf(line, big + 512, "{\"_path\":\"http\",\"uri\":\"/%s\"}", fill);
    CHECK(dec(d, line, (size_t)ln) == YG_OK && d->json_ok);
    doc_free(d);
    d = doc_new(&yg__fmt_zeek);
    for (const char *const *h = tsv_hdr; *h; h++)
        (void)decs(d, *h);
    ln = snprintf(line, big + 512, "1.0\tC\t1.1.1.1\t%s\tT", fill);
    CHECK(dec(d, line, (size_t)ln) == YG_OK && d->json_ok);
    doc_free(d);
    d = doc_new(&yg__fmt_w3c);
    for (const char *const *h = w3c_hdr; *h; h++)
        (void)decs(d, *h);
    ln = snprintf(line, big + 512, "2025-07-19 06:01:02 GET /%s - 1.2.3.4 ua 200", fill);
    CHECK(dec(d, line, (size_t)ln) == YG_OK && d->json_ok);
    doc_free(d);
    /* An output buffer with a small cap: a limit error, output untouched. */
    d = doc_new(&yg__fmt_combined);
    yg_buf_free(&d->out);
    yg_buf_init(&d->out, 1024);
    ln = snprintf(line, big + 512,
                  "1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET /%s HTTP/1.1\" 200 1", fill);
    CHECK(dec(d, line, (size_t)ln) == YG_ELIMIT && d->e.msg && d->out.n == 0);
    doc_free(d);
    free(line);
    free(fill);

    /* Random mutations of the samples, deterministic. */
    uint32_t seed = 12345;
    for (int round = 0; round < 30000; round++) {
        size_t s = (size_t)round % NSAMPLES, n = strlen(samples[s].line);
        memcpy(buf, samples[s].line, n);
        int edits = 1 + (int)((seed >> 8) % 4);
        for (int k = 0; k < edits; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 4) % n;
            static const char pool[] = "\"\\{}[]:, \t-+x?#0\xff\xc3";
            seed = seed * 1103515245u + 12345u;
            switch ((seed >> 16) % 3) {
            case 0: buf[at] = pool[(seed >> 20) % (sizeof pool - 1)]; break;
            case 1: memmove(buf + at, buf + at + 1, n - at - 1), n--; break;
            default:
                if (n + 1 < sizeof buf) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = pool[(seed >> 20) % (sizeof pool - 1)];
                    n++;
                }
            }
            if (!n)
                break;
        }
        /* Every format reads every mutation (formats see each other's
         * lines when detection guesses wrong). */
        for (size_t f = 0; f < NSAMPLES; f++)
            try_line(samples[f].f, samples[f].hdr, buf, n);
    }
    CHECK_MSG(survived > 1000 && failed_cleanly > 1000, "%d decoded, %d refused", survived,
              failed_cleanly);
}

/* The name tables are searched by bisection: every entry must be found. */
static void test_names(void)
{
    static const char *const logs[] = {
        "analyzer",
        "broker",
        "capture_loss",
        "cluster",
        "config",
        "conn",
        "conn_long",
        "dce_rpc",
        "dhcp",
        "dnp3",
        "dns",
        "dpd",
        "files",
        "ftp",
        "http",
        "intel",
        "irc",
        "kerberos",
        "known_certs",
        "known_devices",
        "known_hosts",
        "known_modbus",
        "known_services",
        "ldap",
        "ldap_search",
        "loaded_scripts",
        "modbus",
        "modbus_register_change",
        "mqtt_connect",
        "mqtt_publish",
        "mqtt_subscribe",
        "mysql",
        "netcontrol",
        "netcontrol_drop",
        "netcontrol_shunt",
        "notice",
        "notice_alarm",
        "ntlm",
        "ntp",
        "ocsp",
        "openflow",
        "packet_filter",
        "pe",
        "postgresql",
        "print",
        "quic",
        "radius",
        "rdp",
        "redis",
        "reporter",
        "rfb",
        "signatures",
        "sip",
        "smb_cmd",
        "smb_files",
        "smb_mapping",
        "smtp",
        "snmp",
        "socks",
        "software",
        "ssh",
        "ssl",
        "stats",
        "syslog",
        "telemetry",
        "traceroute",
        "tunnel",
        "unified2",
        "unknown_protocols",
        "websocket",
        "weird",
        "weird_stats",
        "x509",
    };
    for (size_t i = 0; i < sizeof logs / sizeof *logs; i++)
        CHECK_MSG(streq(yg__zeek_service(logs[i], strlen(logs[i])), logs[i]), "%s", logs[i]);
    CHECK(streq(yg__zeek_service("conn2", 5), "unknown") &&
          streq(yg__zeek_service("", 0), "unknown"));
    static const char *const scoped[][2] = {
        {"basic_constraints_ca", "basic_constraints.ca"},
        {"basic_constraints_path_len", "basic_constraints.path_len"},
        {"certificate_cn", "certificate.cn"},
        {"certificate_curve", "certificate.curve"},
        {"certificate_exponent", "certificate.exponent"},
        {"certificate_issuer", "certificate.issuer"},
        {"certificate_key_alg", "certificate.key_alg"},
        {"certificate_key_length", "certificate.key_length"},
        {"certificate_key_type", "certificate.key_type"},
        {"certificate_not_valid_after", "certificate.not_valid_after"},
        {"certificate_not_valid_before", "certificate.not_valid_before"},
        {"certificate_serial", "certificate.serial"},
        {"certificate_sig_alg", "certificate.sig_alg"},
        {"certificate_subject", "certificate.subject"},
        {"certificate_tbs_sig_alg", "certificate.tbs_sig_alg"},
        {"certificate_version", "certificate.version"},
        {"data_channel_orig_h", "data_channel.orig_h"},
        {"data_channel_passive", "data_channel.passive"},
        {"data_channel_resp_h", "data_channel.resp_h"},
        {"data_channel_resp_p", "data_channel.resp_p"},
        {"id_orig_h", "id.orig_h"},
        {"id_orig_p", "id.orig_p"},
        {"id_resp_h", "id.resp_h"},
        {"id_resp_p", "id.resp_p"},
        {"id_vlan", "id.vlan"},
        {"id_vlan_inner", "id.vlan_inner"},
        {"remote_location_city", "remote_location.city"},
        {"remote_location_country_code", "remote_location.country_code"},
        {"remote_location_latitude", "remote_location.latitude"},
        {"remote_location_longitude", "remote_location.longitude"},
        {"remote_location_region", "remote_location.region"},
        {"san_dns", "san.dns"},
        {"san_email", "san.email"},
        {"san_ip", "san.ip"},
        {"san_other_fields", "san.other_fields"},
        {"san_uri", "san.uri"},
        {"seen_indicator", "seen.indicator"},
        {"seen_indicator_type", "seen.indicator_type"},
        {"seen_node", "seen.node"},
        {"seen_where", "seen.where"},
        {"times_accessed", "times.accessed"},
        {"times_changed", "times.changed"},
        {"times_created", "times.created"},
        {"times_modified", "times.modified"},
        {"version_addl", "version.addl"},
        {"version_major", "version.major"},
        {"version_minor", "version.minor"},
        {"version_minor2", "version.minor2"},
        {"version_minor3", "version.minor3"},
    };
    for (size_t i = 0; i < sizeof scoped / sizeof *scoped; i++)
        CHECK_MSG(streq(yg__zeek_dotted(scoped[i][0], strlen(scoped[i][0])), scoped[i][1]), "%s",
                  scoped[i][0]);
    CHECK(!yg__zeek_dotted("id_orig", 7) && !yg__zeek_dotted("seen_bytes", 10) &&
          !yg__zeek_dotted("orig_bytes", 10));
    static const char *const eve[] = {
        "alert",     "anomaly", "arp",      "bittorrent_dht",
        "dcerpc",    "dhcp",    "dnp3",     "dns",
        "drop",      "enip",    "fileinfo", "flow",
        "frame",     "ftp",     "ftp_data", "http",
        "http2",     "ike",     "krb5",     "ldap",
        "modbus",    "mqtt",    "netflow",  "nfs",
        "pgsql",     "quic",    "rdp",      "rfb",
        "sip",       "smb",     "smtp",     "snmp",
        "ssh",       "stats",   "tftp",     "tls",
        "websocket",
    };
    struct doc *d = doc_new(&yg__fmt_suricata);
    for (size_t i = 0; i < sizeof eve / sizeof *eve; i++) {
        char line[128];
        snprintf(line, sizeof line, "{\"event_type\":\"%s\"}", eve[i]);
        CHECK_MSG(decs(d, line) == YG_OK && streq(d->ls.service, eve[i]), "%s", eve[i]);
    }
    doc_free(d);
}

/* yg__json_body escapes exactly as yg_buf_add_json_str does. */
static void test_escaping(void)
{
    struct yg_buf a, b;
    yg_buf_init(&a, 0);
    yg_buf_init(&b, 0);
    uint32_t seed = 7;
    char s[64];
    for (int round = 0; round < 20000; round++) {
        size_t n = round % 64;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16;
            /* Bias toward the interesting bytes. */
            s[i] = (char)(r % 4 == 0 ? 0x80 + r % 0x80 : r % 4 == 1 ? r % 0x20 : r);
        }
        yg_buf_reset(&a);
        yg_buf_reset(&b);
        CHECK(yg_buf_addc(&a, '"') == YG_OK && yg__json_body(&a, s, n) == YG_OK &&
              yg_buf_addc(&a, '"') == YG_OK);
        CHECK(yg_buf_add_json_str(&b, s, n) == YG_OK);
        CHECK_MSG(a.n == b.n && !memcmp(a.p, b.p, a.n), "round %d: %.*s vs %.*s", round, (int)a.n,
                  a.p, (int)b.n, b.p);
    }
    /* Log escapes: printable ones undone, the separator too, others kept. */
    yg_buf_reset(&a);
    static const char in[] = "a\\\\b\\\"c\\x41\\x09\\x00\\x7f\\q\\",
                      want[] = "\"a\\\\b\\\"cA\\t\\\\x00\\\\x7f\\\\q\\\\\"";
    CHECK(yg__json_str_unesc(&a, in, sizeof in - 1, '\t') == YG_OK);
    CHECK_MSG(a.n == sizeof want - 1 && !memcmp(a.p, want, a.n), "%.*s", (int)a.n, a.p);
    yg_buf_free(&a);
    yg_buf_free(&b);
}

/* Every allocation failing in turn: an error, never a crash or a leak. */
static void test_alloc_failure(void)
{
    const struct yg_linefmt *fs[] = {&yg__fmt_w3c, &yg__fmt_zeek};
    const char *const *hdrs[] = {w3c_hdr, tsv_hdr};
    const char *lines[] = {samples[3].line, samples[4].line};
    for (int f = 0; f < 2; f++) {
        for (long k = 1; k < 40; k++) {
            yg__alloc_fail_after(k);
            void *st = fs[f]->state_new();
            struct yg_buf out;
            yg_buf_init(&out, 0);
            struct yg_logsrc ls;
            struct yg_decode_err e;
            yg_err err = YG_OK;
            if (st) {
                for (const char *const *h = hdrs[f]; *h && (err == YG_OK || err == YG_EOF); h++)
                    err = fs[f]->decode(st, *h, strlen(*h), &out, &ls, &e);
                if (err == YG_OK || err == YG_EOF)
                    err = fs[f]->decode(st, lines[f], strlen(lines[f]), &out, &ls, &e);
                CHECK_MSG(err == YG_OK || err == YG_EOF || (err == YG_ENOMEM && e.msg) ||
                              err == YG_ESYNTAX,
                          "%s fail at %ld: %d", fs[f]->name, k, err);
                fs[f]->state_free(st);
            }
            yg_buf_free(&out);
            yg__alloc_fail_after(0);
        }
    }
    for (size_t s = 0; s < NSAMPLES; s++) {
        if (samples[s].hdr)
            continue;
        yg__alloc_fail_after(1);
        struct yg_buf out;
        yg_buf_init(&out, 0);
        struct yg_logsrc ls;
        struct yg_decode_err e = {0, NULL};
        yg_err err =
            samples[s].f->decode(NULL, samples[s].line, strlen(samples[s].line), &out, &ls, &e);
        yg__alloc_fail_after(0);
        CHECK_MSG(err == YG_ENOMEM && e.msg && out.n == 0, "%s: %d", samples[s].f->name, err);
        yg_buf_free(&out);
    }
}

int main(void)
{
    test_escaping();
    test_names();
    test_zeek_tsv();
    test_json_formats();
    test_access();
    test_w3c();
    test_apache_error_sample();
    test_zeek_tsv_samples();
    test_zeek_json_samples();
    test_otrf();
    test_zeek_twins();
    test_rules();
    test_sniff();
    test_hostile();
    test_alloc_failure();
    printf("%d real records decoded\n", total_records);
    TAP_DONE();
}
