/* The compiled-database cache (src/match/dbcache.c): the entry header
 * reader on good, short, foreign, damaged and truncated bytes; a different
 * key for any change of the inputs (a literal, its flags, its id, the mode);
 * a second compile loading what the first wrote; a damaged entry rejected,
 * compiled again and rewritten; the folder created 0700 and refused when
 * group or others may write it; the size cap removing the least recently
 * used entries, and temporary files left by a crash removed. */
#include <dirent.h>
#include <fcntl.h>
#include <hs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "match/dbcache.h"
#include "tap.h"

static unsigned nwarn;
static char lastwarn[1024];
static void on_warn(void *ud, const char *msg)
{
    (void)ud;
    nwarn++;
    snprintf(lastwarn, sizeof lastwarn, "%s", msg);
}

static void header_cases(void)
{
    unsigned char key[YG_DBCACHE_KEY], other[YG_DBCACHE_KEY];
    memset(key, 0x5a, sizeof key);
    memset(other, 0x5b, sizeof other);
    const char blob[] = "serialized database bytes";
    size_t bl = sizeof blob - 1;
    unsigned char f[YG_DBCACHE_HEADER + sizeof blob];
    CHECK(yg__dbcache_header(key, (const unsigned char *)blob, bl, f));
    memcpy(f + YG_DBCACHE_HEADER, blob, bl);
    size_t n = YG_DBCACHE_HEADER + bl, got = 99;
    const char *why = NULL;
    const unsigned char *p = yg__dbcache_check(f, n, key, &got, &why);
    CHECK(p == f + YG_DBCACHE_HEADER && got == bl);
    /* Each way an entry can be wrong, and the reason given. */
    CHECK(!yg__dbcache_check(f, n, other, &got, &why) && strstr(why, "another key"));
    CHECK(!yg__dbcache_check(f, n - 1, key, &got, &why) && strstr(why, "truncated"));
    CHECK(!yg__dbcache_check(f, YG_DBCACHE_HEADER - 1, key, &got, &why) && strstr(why, "shorter"));
    CHECK(!yg__dbcache_check(f, 0, key, &got, &why) && got == 0);
    f[YG_DBCACHE_HEADER + 3] ^= 1;
    CHECK(!yg__dbcache_check(f, n, key, &got, &why) && strstr(why, "hash"));
    f[YG_DBCACHE_HEADER + 3] ^= 1;
    f[8] = 2; /* format version */
    CHECK(!yg__dbcache_check(f, n, key, &got, &why) && strstr(why, "version"));
    f[8] = 1;
    f[6] = '\n'; /* "\r\n" turned into "\n\n" */
    CHECK(!yg__dbcache_check(f, n, key, &got, &why) && strstr(why, "magic"));
    f[6] = '\r';
    f[48] ^= 0x80; /* a length that wraps past the file */
    CHECK(!yg__dbcache_check(f, n, key, &got, &why) && strstr(why, "length"));
    f[48] ^= 0x80;
    CHECK(yg__dbcache_check(f, n, key, &got, &why) != NULL);
}

/* A test's folder (from mkdtemp) and all in it. */
static void remove_tree(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static size_t count_entries(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strstr(de->d_name, ".hsdb") != NULL;
    if (d)
        closedir(d);
    return n;
}

/* One literal set through the cache; true when the database finds lit[0]. */
struct lits {
    const char *e[3];
    unsigned flags[3], ids[3];
    size_t lens[3];
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
                    void *ctx)
{
    (void)from, (void)to, (void)fl;
    *(unsigned *)ctx = id + 1;
    return 0;
}

static bool compile_scan(struct yg_dbcache *c, const struct lits *l, unsigned mode)
{
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    if (yg__dbcache_compile_lit_multi(c, l->e, l->flags, l->ids, l->lens, 3, mode, &db, &ce) !=
        HS_SUCCESS) {
        hs_free_compile_error(ce);
        return false;
    }
    hs_scratch_t *s = NULL;
    unsigned hit = 0;
    const char text[] = "...MIMIKATZ.exe...";
    bool ok = hs_alloc_scratch(db, &s) == HS_SUCCESS &&
              hs_scan(db, text, sizeof text - 1, 0, s, on_match, &hit) == HS_SUCCESS &&
              hit == l->ids[0] + 1;
    hs_free_scratch(s);
    hs_free_database(db);
    return ok;
}

static struct yg_dbcache_stats run(const char *dir, const struct lits *l, unsigned mode)
{
    struct yg_dbcache *c = yg__dbcache_new(dir, on_warn, NULL);
    CHECK(c != NULL);
    CHECK(compile_scan(c, l, mode));
    struct yg_dbcache_stats st;
    yg__dbcache_get_stats(c, &st);
    yg__dbcache_free(c);
    return st;
}

static void cache_cases(void)
{
    char base[] = "/tmp/yg-dbcache-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    char dir[256];
    snprintf(dir, sizeof dir, "%s/a/hs", base);
    struct lits l = {{"mimikatz", "psexec", "rundll32"},
                     {HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS},
                     {7, 8, 9},
                     {8, 6, 8}};
    struct yg_dbcache_stats st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.enabled && st.hits == 0 && st.compiled == 1 && st.written == 1);
    struct stat sb;
    CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 07777) == 0700);
    char parent[300];
    snprintf(parent, sizeof parent, "%s/a", base);
    CHECK(stat(parent, &sb) == 0 && (sb.st_mode & 07777) == 0700);
    CHECK(count_entries(dir) == 1);
    /* The same inputs: loaded, nothing written. */
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 1 && st.compiled == 0 && st.written == 0 && st.rejected == 0);
    /* Any change of the inputs is another key, so another entry. */
    size_t want = 1;
    l.ids[2] = 10;
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 0 && st.written == 1 && count_entries(dir) == ++want);
    l.flags[1] = 0;
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 0 && st.written == 1 && count_entries(dir) == ++want);
    l.e[2] = "rundll33";
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 0 && st.written == 1 && count_entries(dir) == ++want);
    l.lens[2] = 7; /* "rundll3": the same bytes up to the shorter length */
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 0 && st.written == 1 && count_entries(dir) == ++want);
    /* Another mode (streaming: compiled only, not scanned here). */
    struct yg_dbcache *c = yg__dbcache_new(dir, on_warn, NULL);
    hs_database_t *db = NULL;
    hs_compile_error_t *ce = NULL;
    CHECK(yg__dbcache_compile_lit_multi(c, l.e, l.flags, l.ids, l.lens, 3, HS_MODE_STREAM, &db,
                                        &ce) == HS_SUCCESS);
    hs_free_database(db);
    yg__dbcache_get_stats(c, &st);
    yg__dbcache_free(c);
    CHECK(st.hits == 0 && st.written == 1 && count_entries(dir) == ++want);
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 1 && count_entries(dir) == want);

    /* Damage every entry: each is rejected, compiled again and rewritten. */
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[600];
    while (d && (de = readdir(d))) {
        if (!strstr(de->d_name, ".hsdb"))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        FILE *f = fopen(path, "r+b");
        CHECK(f && fseek(f, YG_DBCACHE_HEADER + 40, SEEK_SET) == 0);
        int ch = fgetc(f);
        CHECK(fseek(f, YG_DBCACHE_HEADER + 40, SEEK_SET) == 0 && fputc(ch ^ 0x55, f) != EOF);
        fclose(f);
    }
    if (d)
        closedir(d);
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 0 && st.rejected == 1 && st.compiled == 1 && st.written == 1);
    st = run(dir, &l, HS_MODE_BLOCK);
    CHECK(st.hits == 1 && st.rejected == 0);

    /* A folder others may write is not used: one warning, compiled. */
    CHECK(chmod(dir, 0777) == 0);
    nwarn = 0;
    c = yg__dbcache_new(dir, on_warn, NULL);
    CHECK(compile_scan(c, &l, HS_MODE_BLOCK));
    CHECK(compile_scan(c, &l, HS_MODE_BLOCK));
    yg__dbcache_get_stats(c, &st);
    yg__dbcache_free(c);
    CHECK(st.hits == 0 && st.compiled == 2 && st.written == 0);
    CHECK_MSG(nwarn == 1 && strstr(lastwarn, "not safe"), "%u: %s", nwarn, lastwarn);
    CHECK(chmod(dir, 0700) == 0);

    /* A folder that cannot be created: one warning, compiled. */
    snprintf(path, sizeof path, "%s/file", base);
    FILE *f = fopen(path, "w");
    CHECK(f && fclose(f) == 0);
    snprintf(path, sizeof path, "%s/file/hs", base);
    nwarn = 0;
    st = run(path, &l, HS_MODE_BLOCK);
    CHECK(st.compiled == 1 && st.written == 0 && nwarn == 1 && strstr(lastwarn, "created"));

    /* No cache at all. */
    CHECK(compile_scan(NULL, &l, HS_MODE_BLOCK));
    remove_tree(base);
}

static bool exists(const char *dir, const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* The name of the one entry that is in dir and not in the names before. */
static void newest(const char *dir, char names[][128], size_t n, char *out)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    *out = 0;
    while (d && (de = readdir(d))) {
        bool known = false;
        for (size_t i = 0; i < n; i++)
            known |= !strcmp(names[i], de->d_name);
        if (!known && strstr(de->d_name, ".hsdb") && strlen(de->d_name) < 128)
            memcpy(out, de->d_name, strlen(de->d_name) + 1);
    }
    if (d)
        closedir(d);
}

/* Three literal sets under a cap that holds two entries: the least recently
 * used one goes, and a hit counts as a use. */
static void cap_cases(void)
{
    char dir[] = "/tmp/yg-dbcache-cap-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct lits l[3] = {
        {{"mimikatz", "aaaa", "bbbb"}, {HS_FLAG_CASELESS, 0, 0}, {1, 2, 3}, {8, 4, 4}},
        {{"mimikatz", "cccc", "dddd"}, {HS_FLAG_CASELESS, 0, 0}, {1, 2, 3}, {8, 4, 4}},
        {{"mimikatz", "eeee", "ffff"}, {HS_FLAG_CASELESS, 0, 0}, {1, 2, 3}, {8, 4, 4}}};
    char names[3][128];
    struct stat sb;
    for (int i = 0; i < 2; i++) {
        CHECK(run(dir, &l[i], HS_MODE_BLOCK).written == 1);
        newest(dir, names, (size_t)i, names[i]);
        CHECK(names[i][0] != 0);
    }
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, names[0]);
    CHECK(stat(p, &sb) == 0);
    uint64_t one = (uint64_t)sb.st_size;
    /* A temporary file of a crash long ago goes; one being written now stays. */
    snprintf(p, sizeof p, "%s/.tmp-1-0-old", dir);
    FILE *f = fopen(p, "w");
    CHECK(f && fclose(f) == 0);
    struct timespec old[2] = {{time(NULL) - 7200, 0}, {time(NULL) - 7200, 0}};
    CHECK(utimensat(AT_FDCWD, p, old, 0) == 0);
    snprintf(p, sizeof p, "%s/.tmp-1-0-new", dir);
    f = fopen(p, "w");
    CHECK(f && fclose(f) == 0);
    /* Both entries dated in the past, the first the older; then the first is
     * used again (its time becomes now), so the second is the least recently
     * used. */
    for (int i = 0; i < 2; i++) {
        struct timespec t[2] = {{time(NULL) - 3600 * (2 - i), 0}, {time(NULL) - 3600 * (2 - i), 0}};
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        CHECK(utimensat(AT_FDCWD, p, t, 0) == 0);
    }
    CHECK(run(dir, &l[0], HS_MODE_BLOCK).hits == 1);
    struct yg_dbcache *c = yg__dbcache_new(dir, on_warn, NULL);
    yg__dbcache_set_max_bytes(c, 2 * one + one / 2);
    CHECK(compile_scan(c, &l[2], HS_MODE_BLOCK));
    struct yg_dbcache_stats st;
    yg__dbcache_get_stats(c, &st);
    yg__dbcache_free(c);
    CHECK(st.written == 1 && count_entries(dir) == 2);
    CHECK_MSG(exists(dir, names[0]) && !exists(dir, names[1]), "least recently used removed");
    CHECK(!exists(dir, ".tmp-1-0-old") && exists(dir, ".tmp-1-0-new"));
    /* An entry larger than the cap is not written at all. */
    c = yg__dbcache_new(dir, on_warn, NULL);
    yg__dbcache_set_max_bytes(c, one / 2);
    CHECK(compile_scan(c, &l[1], HS_MODE_BLOCK));
    yg__dbcache_get_stats(c, &st);
    yg__dbcache_free(c);
    CHECK(st.written == 0 && st.compiled == 1 && count_entries(dir) == 2);
    remove_tree(dir);
}

static void default_dir(void)
{
    char buf[512];
    setenv("YAGURA_CACHE_DIR", "/x/cache", 1);
    setenv("XDG_CACHE_HOME", "/xdg", 1);
    setenv("HOME", "/home/u", 1);
    CHECK(!strcmp(yg__dbcache_default_dir(buf, sizeof buf), "/x/cache"));
    unsetenv("YAGURA_CACHE_DIR");
    CHECK(!strcmp(yg__dbcache_default_dir(buf, sizeof buf), "/xdg/yagura/hs"));
    setenv("XDG_CACHE_HOME", "relative", 1); /* not absolute: ignored, as XDG says */
    CHECK(!strcmp(yg__dbcache_default_dir(buf, sizeof buf), "/home/u/.cache/yagura/hs"));
    unsetenv("XDG_CACHE_HOME");
    CHECK(yg__dbcache_default_dir(buf, 8) == NULL);
    unsetenv("HOME");
    CHECK(yg__dbcache_default_dir(buf, sizeof buf) == NULL);
}

/* Threads scanning with one set of rules compile their log sources'
 * databases through the rules' cache at the same time: one compiles and
 * writes, the others load that entry, and every database works. */
struct racer {
    struct yg_dbcache *c;
    const struct lits *l;
    bool ok;
};

static void *race_one(void *arg)
{
    struct racer *r = arg;
    r->ok = compile_scan(r->c, r->l, HS_MODE_BLOCK);
    return NULL;
}

static void shared_cases(void)
{
    char base[] = "/tmp/yg-dbcache-XXXXXX";
    CHECK(mkdtemp(base) != NULL);
    struct lits l = {{"mimikatz", "sekurlsa", "lsadump"},
                     {HS_FLAG_CASELESS, HS_FLAG_CASELESS, HS_FLAG_CASELESS},
                     {3, 4, 5},
                     {8, 8, 7}};
    struct yg_dbcache *c = yg__dbcache_new(base, on_warn, NULL);
    CHECK(c != NULL);
    enum { N = 4 };
    pthread_t t[N];
    struct racer r[N];
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){c, &l, false};
        CHECK(pthread_create(&t[i], NULL, race_one, &r[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK_MSG(r[i].ok, "thread %d: database compiled or loaded, and it finds the literal", i);
    }
    struct yg_dbcache_stats st;
    yg__dbcache_get_stats(c, &st);
    CHECK_MSG(st.compiled == 1 && st.written == 1 && st.hits == N - 1,
              "one compile, %d loads: compiled %zu, written %zu, hits %zu", N - 1, st.compiled,
              st.written, st.hits);
    CHECK(count_entries(base) == 1);
    yg__dbcache_free(c);
    remove_tree(base);
}

int main(void)
{
    header_cases();
    cache_cases();
    cap_cases();
    shared_cases();
    default_dir();
    TAP_DONE();
}
