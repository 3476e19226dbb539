/*
 * test_store.c - the SQLite state store: schema creation and reopening,
 * alert dedup, checkpoints, blobs, transactions, alert ids, allocation
 * failures and damaged files.
 */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "tap.h"

static char dir[256];
/* The allocation-failure sweep creates a database some 12,000 times; each
 * creation syncs the file several times, which on a disk is most of the
 * test's time.  The sweep checks what a failed allocation leaves behind, not
 * durability, so its files live on a tmpfs (where a sync costs nothing) when
 * /dev/shm is one.  The other tests keep their files on the ordinary file
 * system, so reopening after close still goes through real syncs. */
static char fastdir[256];

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void remove_db(const char *p)
{
    char w[512];
    unlink(p);
    snprintf(w, sizeof w, "%s-wal", p);
    unlink(w);
    snprintf(w, sizeof w, "%s-shm", p);
    unlink(w);
    snprintf(w, sizeof w, "%s-journal", p);
    unlink(w);
}

static struct yg_alert_row make_row(char id[33], const char *rule, const char *rec)
{
    yg__alert_id(rule, rec, id);
    return (struct yg_alert_row){.id = id,
                                 .rule_id = rule,
                                 .rule_title = "Test rule",
                                 .level = "high",
                                 .event_time = "2026-01-02T03:04:05Z",
                                 .source = "/var/log/x.log",
                                 .record_id = rec,
                                 .json = "{\"rule\":\"x\"}"};
}

struct ckpts {
    int n;
    char keys[8][32], vals[8][64];
};

static void collect(void *ud, const char *k, const char *v)
{
    struct ckpts *c = ud;
    if (c->n < 8) {
        snprintf(c->keys[c->n], sizeof c->keys[0], "%s", k);
        snprintf(c->vals[c->n], sizeof c->vals[0], "%s", v);
    }
    c->n++;
}

static void test_alert_id(void)
{
    /* SipHash-2-4 reference vectors (key 00..0f; messages 00, 00 01, ...). */
    unsigned char msg[16];
    for (int i = 0; i < 16; i++)
        msg[i] = (unsigned char)i;
    uint64_t k0 = 0x0706050403020100ull, k1 = 0x0f0e0d0c0b0a0908ull;
    CHECK(yg__siphash24(k0, k1, msg, 0) == 0x726fdb47dd0e0e31ull);
    CHECK(yg__siphash24(k0, k1, msg, 1) == 0x74f839c593dc67fdull);
    CHECK(yg__siphash24(k0, k1, msg, 8) == 0x93f5f5799a932462ull);
    CHECK(yg__siphash24(k0, k1, msg, 15) == 0xa129ca6149be45e5ull);

    char a[33], b[33], c[33], d[33];
    yg__alert_id("rule-1", "1:2:abc:100", a);
    yg__alert_id("rule-1", "1:2:abc:100", b);
    CHECK(strlen(a) == 32 && strcmp(a, b) == 0);
    for (int i = 0; i < 32; i++)
        CHECK((a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'));
    yg__alert_id("rule-1", "1:2:abc:101", c);
    CHECK(strcmp(a, c) != 0);
    /* The NUL separator keeps ("ab", "c") apart from ("a", "bc"). */
    yg__alert_id("ab", "c", c);
    yg__alert_id("a", "bc", d);
    CHECK(strcmp(c, d) != 0);
    /* The id is frozen: this value must never change between versions. */
    yg__alert_id("", "", c);
    CHECK_MSG(strcmp(c, "ab8fba559f547337f97cd8973825f69a") == 0, "got %s", c);
    yg__alert_id("rule-1", "1:2:abc:100", c);
    CHECK_MSG(strcmp(c, "5f65d81dacf306e222f0cae39981ef9b") == 0, "got %s", c);
    /* Long inputs cross many 8-byte blocks of the streamed hash. */
    char longr[200];
    memset(longr, 'r', sizeof longr - 1);
    longr[sizeof longr - 1] = 0;
    yg__alert_id(longr, longr, c);
    longr[150] = 's';
    yg__alert_id(longr, longr + 1, d);
    CHECK(strcmp(c, d) != 0);
    /* Many ids, no collision in their first 64 bits. */
    enum { N = 2000 };
    static char ids[N][33];
    char rec[32];
    for (int i = 0; i < N; i++) {
        snprintf(rec, sizeof rec, "0:0:f:%d", i);
        yg__alert_id("r", rec, ids[i]);
    }
    int dup = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            dup += memcmp(ids[i], ids[j], 16) == 0 || memcmp(ids[i] + 16, ids[j] + 16, 16) == 0;
    CHECK(dup == 0);
}

static void test_basic(void)
{
    char p[512];
    path_of(p, sizeof p, "basic.db");
    remove_db(p);
    struct yg_store *st = NULL;
    CHECK_MSG(yg__store_open(p, &st) == YG_OK, "%s", yg__store_errmsg(st));
    if (!st)
        return;
    char id[33];
    struct yg_alert_row r = make_row(id, "rule-a", "1:1:x:0");
    bool ins = false;
    CHECK(yg__store_alert(st, &r, &ins) == YG_OK && ins);
    CHECK(yg__store_alert(st, &r, &ins) == YG_OK && !ins);
    char id2[33];
    struct yg_alert_row r2 = make_row(id2, "rule-b", "1:1:x:0");
    CHECK(yg__store_alert(st, &r2, &ins) == YG_OK && ins);
    uint64_t n = 0;
    CHECK(yg__store_alert_count(st, &n) == YG_OK && n == 2);

    /* Invalid rows are refused with a message. */
    struct yg_alert_row bad = r;
    bad.id = "short";
    CHECK(yg__store_alert(st, &bad, &ins) == YG_EINVAL && !ins);
    CHECK(strstr(yg__store_errmsg(st), "id") != NULL);

    CHECK(yg__store_ckpt_put(st, "file:/a", "1:2:f:10") == YG_OK);
    CHECK(yg__store_ckpt_put(st, "file:/b", "1:3:f:0") == YG_OK);
    CHECK(yg__store_ckpt_put(st, "file:/a", "1:2:f:20") == YG_OK);
    struct ckpts c = {0};
    CHECK(yg__store_ckpt_each(st, collect, &c) == YG_OK);
    CHECK(c.n == 2);
    CHECK(strcmp(c.keys[0], "file:/a") == 0 && strcmp(c.vals[0], "1:2:f:20") == 0);
    CHECK(strcmp(c.keys[1], "file:/b") == 0 && strcmp(c.vals[1], "1:3:f:0") == 0);

    unsigned char blob[300];
    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (unsigned char)(i * 7);
    CHECK(yg__store_blob_put(st, "corr", blob, sizeof blob) == YG_OK);
    CHECK(yg__store_blob_put(st, "empty", NULL, 0) == YG_OK);
    void *bp = NULL;
    size_t bn = 0;
    CHECK(yg__store_blob_get(st, "corr", &bp, &bn) == YG_OK);
    CHECK(bn == sizeof blob && bp && memcmp(bp, blob, bn) == 0);
    yg_free(bp);
    CHECK(yg__store_blob_get(st, "empty", &bp, &bn) == YG_OK && bn == 0);
    yg_free(bp);
    CHECK(yg__store_blob_get(st, "nope", &bp, &bn) == YG_ENOTFOUND && !bp && bn == 0);
    blob[0] ^= 0xff;
    CHECK(yg__store_blob_put(st, "corr", blob, 10) == YG_OK);
    CHECK(yg__store_blob_get(st, "corr", &bp, &bn) == YG_OK && bn == 10 &&
          memcmp(bp, blob, 10) == 0);
    yg_free(bp);

    /* Transactions: nesting is refused, commit without begin too. */
    CHECK(yg__store_commit(st) == YG_ESTATE);
    CHECK(yg__store_begin(st) == YG_OK);
    CHECK(yg__store_begin(st) == YG_ESTATE);
    char id3[33];
    struct yg_alert_row r3 = make_row(id3, "rule-c", "9");
    CHECK(yg__store_alert(st, &r3, &ins) == YG_OK && ins);
    CHECK(yg__store_ckpt_put(st, "file:/a", "1:2:f:30") == YG_OK);
    CHECK(yg__store_commit(st) == YG_OK);
    yg__store_rollback(st); /* nothing open: no effect */
    yg__store_close(st);

    /* Reopen: everything is there, schema is not recreated. */
    st = NULL;
    CHECK_MSG(yg__store_open(p, &st) == YG_OK, "%s", yg__store_errmsg(st));
    if (!st)
        return;
    CHECK(yg__store_alert_count(st, &n) == YG_OK && n == 3);
    CHECK(yg__store_alert(st, &r3, &ins) == YG_OK && !ins);
    memset(&c, 0, sizeof c);
    CHECK(yg__store_ckpt_each(st, collect, &c) == YG_OK);
    CHECK(c.n == 2 && strcmp(c.vals[0], "1:2:f:30") == 0);
    CHECK(yg__store_blob_get(st, "corr", &bp, &bn) == YG_OK && bn == 10);
    yg_free(bp);

    /* A rolled-back transaction leaves nothing behind. */
    CHECK(yg__store_begin(st) == YG_OK);
    char id4[33];
    struct yg_alert_row r4 = make_row(id4, "rule-d", "10");
    CHECK(yg__store_alert(st, &r4, &ins) == YG_OK && ins);
    CHECK(yg__store_ckpt_put(st, "file:/a", "rolled-back") == YG_OK);
    CHECK(yg__store_ckpt_put(st, "file:/new", "rolled-back") == YG_OK);
    CHECK(yg__store_blob_put(st, "corr2", "x", 1) == YG_OK);
    yg__store_rollback(st);
    CHECK(yg__store_alert_count(st, &n) == YG_OK && n == 3);
    memset(&c, 0, sizeof c);
    CHECK(yg__store_ckpt_each(st, collect, &c) == YG_OK);
    CHECK(c.n == 2 && strcmp(c.vals[0], "1:2:f:30") == 0);
    CHECK(yg__store_blob_get(st, "corr2", &bp, &bn) == YG_ENOTFOUND);
    /* Closing with a transaction open rolls it back. */
    CHECK(yg__store_begin(st) == YG_OK);
    CHECK(yg__store_alert(st, &r4, &ins) == YG_OK && ins);
    yg__store_close(st);
    st = NULL;
    CHECK(yg__store_open(p, &st) == YG_OK);
    if (st) {
        CHECK(yg__store_alert_count(st, &n) == YG_OK && n == 3);
        yg__store_close(st);
    }
    remove_db(p);
}

static void test_corrupt(void)
{
    char p[512], why[512] = "";
    path_of(p, sizeof p, "corrupt.db");
    remove_db(p);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    for (int i = 0; i < 4096; i++)
        fputc("not a database "[i % 15], f);
    fclose(f);
    struct yg_store *st = NULL;
    /* A failed open still gives a handle, holding the reason. */
    yg_err e = yg__store_open(p, &st);
    CHECK(e == YG_ECORRUPT && st != NULL);
    snprintf(why, sizeof why, "%s", yg__store_errmsg(st));
    CHECK_MSG(strstr(why, "not a database") != NULL && strstr(why, p) != NULL, "%s", why);
    yg__store_close(st);
    st = NULL;
    remove_db(p);

    /* A directory where the file should be. */
    path_of(p, sizeof p, "missing-dir/sub/x.db");
    e = yg__store_open(p, &st);
    CHECK(e != YG_OK && st != NULL);
    snprintf(why, sizeof why, "%s", yg__store_errmsg(st));
    CHECK_MSG(strstr(why, "unable to open") != NULL && strstr(why, p) != NULL, "%s", why);
    yg__store_close(st);
    st = NULL;

    /* A schema newer than this build is refused, not downgraded. */
    path_of(p, sizeof p, "newer.db");
    remove_db(p);
    CHECK(yg__store_open(p, &st) == YG_OK);
    yg__store_close(st);
    st = NULL;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "sqlite3 '%s' 'UPDATE schema_version SET version = 99' 2>/dev/null",
             p);
    if (system(cmd) == 0) {
        e = yg__store_open(p, &st);
        CHECK(e == YG_EUNSUPPORTED && st != NULL);
        snprintf(why, sizeof why, "%s", yg__store_errmsg(st));
        CHECK_MSG(strstr(why, "version 99") != NULL, "%s", why);
        yg__store_close(st);
    }
    remove_db(p);
}

/* A write that meets a damaged page names the cause and the file. */
static void test_write_failure_cause(void)
{
    char p[512];
    path_of(p, sizeof p, "damaged.db");
    remove_db(p);
    struct yg_store *st = NULL;
    CHECK(yg__store_open(p, &st) == YG_OK);
    if (!st)
        return;
    CHECK(yg__store_cause(st)[0] == 0);
    char id[33], rec[32];
    bool ins;
    CHECK(yg__store_begin(st) == YG_OK);
    for (int i = 0; i < 2000; i++) {
        snprintf(rec, sizeof rec, "1:%d:x:0", i);
        struct yg_alert_row r = make_row(id, "rule-a", rec);
        CHECK(yg__store_alert(st, &r, &ins) == YG_OK);
    }
    CHECK(yg__store_commit(st) == YG_OK);
    yg__store_close(st);
    /* Every page after the schema's first 40 is overwritten: the alerts'
     * leaves, not the pages the schema lives on. */
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL);
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    CHECK(size > 80 * 4096);
    fseek(f, 40 * 4096, SEEK_SET);
    for (long i = 40 * 4096; i < size; i++)
        fputc(0x5a, f);
    fclose(f);
    st = NULL;
    CHECK_MSG(yg__store_open(p, &st) == YG_OK, "%s", yg__store_errmsg(st));
    if (!st)
        return;
    yg_err e = YG_OK;
    CHECK(yg__store_begin(st) == YG_OK);
    for (int i = 0; i < 200 && !e; i++) {
        snprintf(rec, sizeof rec, "2:%d:x:0", i);
        struct yg_alert_row r = make_row(id, "rule-b", rec);
        e = yg__store_alert(st, &r, &ins);
    }
    if (!e)
        e = yg__store_commit(st);
    yg__store_rollback(st);
    char want[600];
    snprintf(want, sizeof want, "database corrupt: %s", p);
    CHECK_MSG(e == YG_ECORRUPT && strcmp(yg__store_cause(st), want) == 0, "%s: '%s'",
              yg_strerror(e), yg__store_cause(st));
    yg__store_close(st);
    remove_db(p);
}

/* One full cycle of store use; returns YG_OK or the first error. */
static yg_err cycle(const char *p)
{
    yg_err err = YG_OK;
    struct yg_store *st = NULL;
    void *bp = NULL;
    size_t bn;
    bool ins;
    uint64_t n;
    struct ckpts c = {0};
    char id[33];
    struct yg_alert_row r = make_row(id, "rule-a", "1:1:x:0");
    YG_TRY(yg__store_open(p, &st));
    YG_TRY(yg__store_begin(st));
    YG_TRY(yg__store_alert(st, &r, &ins));
    YG_TRY(yg__store_ckpt_put(st, "k", "v"));
    YG_TRY(yg__store_blob_put(st, "b", "blob", 4));
    YG_TRY(yg__store_commit(st));
    YG_TRY(yg__store_blob_get(st, "b", &bp, &bn));
    YG_TRY(yg__store_ckpt_each(st, collect, &c));
    YG_TRY(yg__store_alert_count(st, &n));
    if (n != 1 || bn != 4 || memcmp(bp, "blob", 4) != 0 || c.n != 1)
        err = YG_EIO;
done:
    yg_free(bp);
    if (st)
        yg__store_rollback(st);
    yg__store_close(st);
    return err;
}

/* The handle keeps the message of its last call: a failure names its cause,
 * the next success clears it (store.h). */
static void test_errmsg(void)
{
    CHECK(!strcmp(yg__store_errmsg(NULL), "out of memory"));
    char p[512];
    path_of(p, sizeof p, "errmsg.db");
    remove_db(p);
    struct yg_store *st = NULL;
    CHECK_MSG(yg__store_open(p, &st) == YG_OK, "%s", yg__store_errmsg(st));
    if (!st)
        return;
    CHECK_MSG(!strcmp(yg__store_errmsg(st), ""), "%s", yg__store_errmsg(st));
    CHECK(yg__store_commit(st) == YG_ESTATE);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), "no transaction is open"), "%s", yg__store_errmsg(st));
    CHECK(yg__store_begin(st) == YG_OK);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), ""), "%s", yg__store_errmsg(st));
    void *bp = NULL;
    size_t bn = 0;
    CHECK(yg__store_blob_get(st, "absent", &bp, &bn) == YG_ENOTFOUND);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), "no blob named absent"), "%s", yg__store_errmsg(st));
    CHECK(yg__store_ckpt_put(st, "k", "v") == YG_OK);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), ""), "%s", yg__store_errmsg(st));
    CHECK(yg__store_begin(st) == YG_ESTATE);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), "a transaction is already open"), "%s",
              yg__store_errmsg(st));
    CHECK(yg__store_commit(st) == YG_OK);
    CHECK_MSG(!strcmp(yg__store_errmsg(st), ""), "%s", yg__store_errmsg(st));
    yg_free(bp);
    yg__store_close(st);
    remove_db(p);
}

static void test_alloc_failures(void)
{
    char p[512];
    snprintf(p, sizeof p, "%s/oom.db", fastdir);
    int failed = 0, ok_after = 0, bad = 0;
    /* YG_STORE_ALLOC_STRIDE=k fails every k-th allocation only; without it
     * every allocation fails in turn (stride 1, about a minute of CPU).  The
     * suite sweeps with a stride (tests/CMakeLists.txt). */
    long stride = 1;
    const char *s = getenv("YG_STORE_ALLOC_STRIDE");
    if (s && atol(s) > 0)
        stride = atol(s);
    /* Fail each allocation in turn (SQLite's included) until a whole
     * cycle runs past the injected failure many times in a row. */
    for (long i = 1; i < 20000 && ok_after < 50; i += stride) {
        remove_db(p);
        yg__alloc_fail_after(i);
        yg_err e = cycle(p);
        yg__alloc_fail_after(0);
        if (e == YG_OK) {
            ok_after++;
        } else {
            ok_after = 0;
            failed++;
            /* Out of memory, or SQLite's report of what it could not do
             * because of it: never a crash, never silent success. */
            if (e != YG_ENOMEM && e != YG_EIO && e != YG_ECORRUPT && e != YG_ESTATE)
                bad++;
        }
        /* After any failure the same file must open and work. */
        if (e != YG_OK && cycle(p) != YG_OK)
            bad++;
    }
    CHECK(failed > 50);
    CHECK(ok_after >= 50);
    CHECK(bad == 0);
    remove_db(p);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/yg-test-store-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    struct statfs sf;
    snprintf(fastdir, sizeof fastdir, "/dev/shm/yg-test-store-XXXXXX");
    if (statfs("/dev/shm", &sf) != 0 || sf.f_type != TMPFS_MAGIC || !mkdtemp(fastdir))
        snprintf(fastdir, sizeof fastdir, "%s", dir);
    test_alert_id();
    test_basic();
    test_corrupt();
    test_write_failure_cause();
    test_errmsg();
    test_alloc_failures();
    rmdir(fastdir);
    rmdir(dir);
    TAP_DONE();
}
