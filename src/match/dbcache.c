/*
 * dbcache.c - compiled Hyperscan databases kept on disk between runs (see
 * dbcache.h; the file format is described there).
 *
 * Hyperscan runs a database as bytecode, so a cache entry is trusted no more
 * than the folder it is in: the folder must belong to the effective user and
 * not be writable by group or others (it is created 0700), and is opened
 * once, without following a symbolic link, with every entry then reached
 * relative to that descriptor, so the folder checked is the folder read.  An
 * entry must be a regular file of the same owner, not writable by group or
 * others, whose header names the key it was looked up by and the length and
 * SHA-256 of what follows; only then is it given to hs_deserialize_database.
 * Anything else (a damaged or truncated file, another key, another owner or
 * mode, a database Hyperscan refuses) is counted as rejected: the database is
 * compiled and the entry written again.
 *
 * Entries are written to a temporary file of the folder and renamed into
 * place, so another process reading the same key sees the old entry, the new
 * one or none, never half of one.  Nothing here fails a compile: a folder that
 * cannot be created or written (a full disk, a read-only file system) is
 * reported once through the warning callback and the databases are compiled
 * as without a cache.  The folder holds at most YG_HS_CACHE_MAX_BYTES of
 * entries: before writing, the least recently used go (a hit touches its
 * file's time), and temporary files older than YG_HS_CACHE_TMP_AGE_S (left by
 * a process that died while writing) are removed.
 */
#include "match/dbcache.h"

#include <dirent.h>
#include <hs.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "yagura/limits.h"

static const unsigned char MAGIC[8] = {'Y', 'G', 'H', 'S', 'D', 'B', '\r', '\n'};
#define SUFFIX ".hsdb"
#define NAME_LEN (2 * YG_DBCACHE_KEY + sizeof SUFFIX - 1)

/* An entry of the folder, for the size cap. */
struct entry {
    char name[NAME_LEN + 1];
    uint64_t size;
    int64_t mtime_ns;
};

struct yg_dbcache {
    /* The rules keep the cache while they run, and every scanning thread
     * compiles its log sources' databases through it: one at a time, so
     * that a database one thread compiled the next finds in the folder. */
    pthread_mutex_t lock;
    char *dir;
    int dirfd;   /* -1 until opened */
    bool broken; /* the folder is not used (already reported) */
    bool warned;
    void (*warn)(void *ud, const char *msg);
    void *ud;
    hs_platform_info_t plat;
    /* The folder's entries, read at the first write. */
    struct entry *ents;
    size_t nents;
    bool listed;
    uint64_t total, max_bytes; /* max_bytes: YG_HS_CACHE_MAX_BYTES but in tests */
    unsigned tmp_seq;
    struct yg_dbcache_stats st;
};

static void warn(struct yg_dbcache *c, const char *fmt, ...) YG_PRINTF(2, 3);
static void warn(struct yg_dbcache *c, const char *fmt, ...)
{
    if (c->warned || !c->warn)
        return;
    c->warned = true;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->warn(c->ud, msg);
}

/* ---- the default folder --------------------------------------------------- */

const char *yg__dbcache_default_dir(char *buf, size_t n)
{
    const char *v = getenv("YAGURA_CACHE_DIR");
    int k = -1;
    if (v && *v)
        k = snprintf(buf, n, "%s", v);
    else if ((v = getenv("XDG_CACHE_HOME")) && v[0] == '/')
        k = snprintf(buf, n, "%s/yagura/hs", v);
    else if ((v = getenv("HOME")) && *v)
        k = snprintf(buf, n, "%s/.cache/yagura/hs", v);
    return k > 0 && (size_t)k < n ? buf : NULL;
}

/* ---- the file format --------------------------------------------------------- */

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static bool sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned len = 0;
    return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32;
}

bool yg__dbcache_header(const unsigned char key[YG_DBCACHE_KEY], const unsigned char *blob,
                        size_t bloblen, unsigned char out[YG_DBCACHE_HEADER])
{
    memcpy(out, MAGIC, 8);
    put_u32(out + 8, YG_DBCACHE_VERSION);
    put_u32(out + 12, 0);
    memcpy(out + 16, key, YG_DBCACHE_KEY);
    put_u64(out + 48, bloblen);
    return sha256(blob, bloblen, out + 56);
}

const unsigned char *yg__dbcache_check(const unsigned char *p, size_t n,
                                       const unsigned char key[YG_DBCACHE_KEY], size_t *bloblen,
                                       const char **why)
{
    unsigned char h[32];
    *bloblen = 0;
    if (n < YG_DBCACHE_HEADER)
        *why = "shorter than its header";
    else if (memcmp(p, MAGIC, 8) != 0)
        *why = "not a cache entry (magic)";
    else if (get_u32(p + 8) != YG_DBCACHE_VERSION || get_u32(p + 12) != 0)
        *why = "another format version";
    else if (memcmp(p + 16, key, YG_DBCACHE_KEY) != 0)
        *why = "the entry of another key";
    else if (get_u64(p + 48) != n - YG_DBCACHE_HEADER)
        *why = "length does not match the file (truncated?)";
    else if (!sha256(p + YG_DBCACHE_HEADER, n - YG_DBCACHE_HEADER, h))
        *why = "cannot hash (out of memory)";
    else if (memcmp(h, p + 56, 32) != 0)
        *why = "damaged (hash mismatch)";
    else {
        *bloblen = n - YG_DBCACHE_HEADER;
        return p + YG_DBCACHE_HEADER;
    }
    return NULL;
}

/* ---- the key ----------------------------------------------------------------- */

static bool key_add(EVP_MD_CTX *m, const void *p, size_t n)
{
    return EVP_DigestUpdate(m, p, n) == 1;
}

static bool key_u64(EVP_MD_CTX *m, uint64_t v)
{
    unsigned char b[8];
    put_u64(b, v);
    return key_add(m, b, 8);
}

/* SHA-256 over everything the database is compiled from, each part
 * length-prefixed so that no two different inputs give the same byte
 * stream: the format version, Hyperscan's version string, the platform, the
 * mode, and each literal's id, flags and bytes, in order. */
static bool make_key(const struct yg_dbcache *c, const char *const *exprs, const unsigned *flags,
                     const unsigned *ids, const size_t *lens, unsigned n, unsigned mode,
                     unsigned char key[YG_DBCACHE_KEY])
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    const char *ver = hs_version();
    unsigned len = 0;
    bool ok = m && EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && key_add(m, "yagura-hsdb", 11) &&
              key_u64(m, YG_DBCACHE_VERSION) && key_u64(m, strlen(ver)) &&
              key_add(m, ver, strlen(ver)) && key_u64(m, c->plat.tune) &&
              key_u64(m, c->plat.cpu_features) && key_u64(m, c->plat.reserved1) &&
              key_u64(m, c->plat.reserved2) && key_u64(m, mode) && key_u64(m, n);
    for (unsigned i = 0; ok && i < n; i++)
        ok = key_u64(m, ids[i]) && key_u64(m, flags[i]) && key_u64(m, lens[i]) &&
             key_add(m, exprs[i], lens[i]);
    ok = ok && EVP_DigestFinal_ex(m, key, &len) == 1 && len == YG_DBCACHE_KEY;
    EVP_MD_CTX_free(m);
    return ok;
}

static void key_name(const unsigned char key[YG_DBCACHE_KEY], char out[NAME_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < YG_DBCACHE_KEY; i++) {
        out[2 * i] = hex[key[i] >> 4];
        out[2 * i + 1] = hex[key[i] & 15];
    }
    memcpy(out + 2 * YG_DBCACHE_KEY, SUFFIX, sizeof SUFFIX);
}

/* ---- the folder -------------------------------------------------------------- */

struct yg_dbcache *yg__dbcache_new(const char *dir, void (*warn_cb)(void *ud, const char *msg),
                                   void *ud)
{
    struct yg_dbcache *c = yg_calloc(1, sizeof *c);
    if (!c || !(c->dir = yg_strndup(dir, strlen(dir)))) {
        yg_free(c);
        return NULL;
    }
    pthread_mutex_init(&c->lock, NULL);
    c->dirfd = -1;
    c->warn = warn_cb;
    c->ud = ud;
    c->st.enabled = true;
    c->max_bytes = YG_HS_CACHE_MAX_BYTES;
    return c;
}

void yg__dbcache_set_max_bytes(struct yg_dbcache *c, uint64_t max_bytes)
{
    c->max_bytes = max_bytes;
}

void yg__dbcache_free(struct yg_dbcache *c)
{
    if (!c)
        return;
    if (c->dirfd >= 0)
        close(c->dirfd);
    pthread_mutex_destroy(&c->lock);
    yg_free(c->ents);
    yg_free(c->dir);
    yg_free(c);
}

void yg__dbcache_get_stats(struct yg_dbcache *c, struct yg_dbcache_stats *out)
{
    if (c) {
        pthread_mutex_lock(&c->lock);
        *out = c->st;
        pthread_mutex_unlock(&c->lock);
    } else {
        memset(out, 0, sizeof *out);
    }
}

/* The folder and its missing parents, each created 0700. */
static int make_dirs(const char *dir)
{
    size_t n = strlen(dir);
    char *p = yg_strndup(dir, n);
    if (!p)
        return ENOMEM;
    int e = 0;
    for (size_t i = 1; i <= n && !e; i++) {
        if (p[i] != '/' && p[i] != 0)
            continue;
        char was = p[i];
        p[i] = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            e = errno;
        p[i] = was;
    }
    yg_free(p);
    return e;
}

static bool open_dir(struct yg_dbcache *c)
{
    if (c->dirfd >= 0 || c->broken)
        return c->dirfd >= 0;
    c->broken = true;
    int e = make_dirs(c->dir);
    if (e) {
        warn(c, "cache folder %s cannot be created: %s; rules compiled without it", c->dir,
             strerror(e));
        return false;
    }
    int fd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        warn(c, "cache folder %s cannot be opened: %s; rules compiled without it", c->dir,
             strerror(errno));
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (sb.st_uid != geteuid() || (sb.st_mode & (S_IWGRP | S_IWOTH))) {
        warn(c,
             "cache folder %s is not safe (owner uid %u, mode %04o; it must belong to uid %u "
             "and not be writable by group or others): not used",
             c->dir, (unsigned)sb.st_uid, (unsigned)(sb.st_mode & 07777), (unsigned)geteuid());
        close(fd);
        return false;
    }
    if (hs_populate_platform(&c->plat) != HS_SUCCESS) {
        close(fd);
        return false;
    }
    c->dirfd = fd;
    c->broken = false;
    return true;
}

/* The whole of an entry file, if it is safe to read: a regular file of the
 * effective user, not writable by group or others, no larger than the cap.
 * NULL when there is none (ENOENT) or it is not safe (counted rejected). */
static unsigned char *read_entry(struct yg_dbcache *c, const char *name, size_t *n)
{
    /* O_NONBLOCK: a FIFO put in place of an entry must not hang the open
     * (it is then refused as not a regular file). */
    int fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno != ENOENT)
            c->st.rejected++;
        return NULL;
    }
    struct stat sb;
    unsigned char *p = NULL;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
        (sb.st_mode & (S_IWGRP | S_IWOTH)) || (uint64_t)sb.st_size > c->max_bytes ||
        !(p = yg_malloc((size_t)sb.st_size + 1)))
        goto fail;
    size_t got = 0;
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, p + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto fail;
        got += (size_t)r;
    }
    /* Least recently used goes first: a hit counts as a use.  A read-only
     * cache cannot record it, which changes nothing else. */
    (void)futimens(fd, NULL);
    close(fd);
    *n = got;
    return p;
fail:
    c->st.rejected++;
    yg_free(p);
    close(fd);
    return NULL;
}

static hs_database_t *load(struct yg_dbcache *c, const unsigned char key[YG_DBCACHE_KEY])
{
    char name[NAME_LEN + 1];
    key_name(key, name);
    size_t n = 0;
    unsigned char *p = read_entry(c, name, &n);
    if (!p)
        return NULL;
    const char *why;
    size_t bl;
    const unsigned char *blob = yg__dbcache_check(p, n, key, &bl, &why);
    hs_database_t *db = NULL;
    if (!blob || hs_deserialize_database((const char *)blob, bl, &db) != HS_SUCCESS) {
        db = NULL;
        c->st.rejected++;
    }
    yg_free(p);
    return db;
}

/* ---- the size cap ------------------------------------------------------------ */

static bool is_entry_name(const char *s)
{
    size_t n = strlen(s);
    if (n != NAME_LEN || strcmp(s + 2 * YG_DBCACHE_KEY, SUFFIX) != 0)
        return false;
    for (size_t i = 0; i < 2 * YG_DBCACHE_KEY; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

/* The entries of the folder and their total size; temporary files left by
 * a crash are removed.  Once per cache, at its first write. */
static void list_entries(struct yg_dbcache *c)
{
    c->listed = true;
    int fd = dup(c->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    size_t cap = 0;
    struct dirent *de;
    time_t now = time(NULL);
    while ((de = readdir(d))) {
        struct stat sb;
        if (fstatat(c->dirfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(sb.st_mode))
            continue;
        if (!strncmp(de->d_name, ".tmp-", 5)) {
            if (now - sb.st_mtim.tv_sec > (time_t)YG_HS_CACHE_TMP_AGE_S)
                (void)unlinkat(c->dirfd, de->d_name, 0);
            continue;
        }
        if (!is_entry_name(de->d_name))
            continue;
        if (c->nents == cap) {
            size_t nc = cap ? 2 * cap : 64;
            struct entry *ne = yg_realloc(c->ents, nc * sizeof *ne);
            if (!ne)
                break;
            c->ents = ne;
            cap = nc;
        }
        struct entry *e = &c->ents[c->nents++];
        memcpy(e->name, de->d_name, NAME_LEN + 1);
        e->size = (uint64_t)sb.st_size;
        e->mtime_ns = mtime_ns(&sb);
        c->total += e->size;
    }
    closedir(d);
}

/* Room for an entry of size bytes under name: the least recently used
 * entries go until the folder fits the cap with it.  False when it never
 * could. */
static bool make_room(struct yg_dbcache *c, const char *name, uint64_t size)
{
    if (size > c->max_bytes)
        return false;
    if (!c->listed)
        list_entries(c);
    for (size_t i = 0; i < c->nents; i++)
        if (!strcmp(c->ents[i].name, name)) { /* replaced by the new one */
            c->total -= c->ents[i].size;
            c->ents[i] = c->ents[--c->nents];
            break;
        }
    while (c->total + size > c->max_bytes && c->nents) {
        size_t old = 0;
        for (size_t i = 1; i < c->nents; i++)
            if (c->ents[i].mtime_ns < c->ents[old].mtime_ns)
                old = i;
        (void)unlinkat(c->dirfd, c->ents[old].name, 0);
        c->total -= c->ents[old].size;
        c->ents[old] = c->ents[--c->nents];
    }
    return true;
}

/* Remember a written entry for the cap (when it cannot be, the next run
 * counts it). */
static void add_listed(struct yg_dbcache *c, const char *name, uint64_t size)
{
    struct entry *ne = yg_realloc(c->ents, (c->nents + 1) * sizeof *ne);
    if (!ne)
        return;
    c->ents = ne;
    struct entry *e = &c->ents[c->nents++];
    memcpy(e->name, name, NAME_LEN + 1);
    e->size = size;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    e->mtime_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    c->total += size;
}

static bool write_all(int fd, const void *p, size_t n)
{
    const char *s = p;
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        s += w;
        n -= (size_t)w;
    }
    return true;
}

/* Write the entry of key: a temporary file of the folder, renamed into
 * place. */
static void store(struct yg_dbcache *c, const unsigned char key[YG_DBCACHE_KEY],
                  const hs_database_t *db)
{
    char *bytes = NULL;
    size_t len = 0;
    unsigned char hdr[YG_DBCACHE_HEADER];
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    char name[NAME_LEN + 1], tmp[64];
    key_name(key, name);
    snprintf(tmp, sizeof tmp, ".tmp-%ld-%u-%lx", (long)getpid(), c->tmp_seq++,
             (unsigned long)time(NULL));
    int fd = -1;
    int e = 0;
    if (!yg__dbcache_header(key, (const unsigned char *)bytes, len, hdr) ||
        !make_room(c, name, YG_DBCACHE_HEADER + (uint64_t)len))
        goto done;
    errno = 0;
    fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 || fchmod(fd, 0600) != 0 || !write_all(fd, hdr, sizeof hdr) ||
        !write_all(fd, bytes, len)) {
        e = errno ? errno : EIO;
        goto done;
    }
    int cr = close(fd);
    fd = -1;
    if (cr != 0 || renameat(c->dirfd, tmp, c->dirfd, name) != 0) {
        e = errno ? errno : EIO;
        goto done;
    }
    c->st.written++;
    add_listed(c, name, YG_DBCACHE_HEADER + (uint64_t)len);
done:
    if (fd >= 0)
        close(fd);
    if (e) {
        (void)unlinkat(c->dirfd, tmp, 0);
        warn(c, "cache folder %s cannot be written: %s; the next run compiles again", c->dir,
             strerror(e));
    }
    free(bytes); /* Hyperscan's default allocator is malloc */
}

int yg__dbcache_compile_lit_multi(struct yg_dbcache *c, const char *const *exprs,
                                  const unsigned *flags, const unsigned *ids, const size_t *lens,
                                  unsigned n, unsigned mode, hs_database_t **db,
                                  hs_compile_error_t **err)
{
    if (!c)
        return hs_compile_lit_multi(exprs, flags, ids, lens, n, mode, NULL, db, err);
    pthread_mutex_lock(&c->lock);
    unsigned char key[YG_DBCACHE_KEY];
    bool keyed = open_dir(c) && make_key(c, exprs, flags, ids, lens, n, mode, key);
    hs_error_t r = HS_SUCCESS;
    if (keyed && (*db = load(c, key))) {
        c->st.hits++;
    } else {
        /* The platform the key names is the one compiled for. */
        r = hs_compile_lit_multi(exprs, flags, ids, lens, n, mode, keyed ? &c->plat : NULL, db,
                                 err);
        c->st.compiled++;
        if (r == HS_SUCCESS && keyed)
            store(c, key, *db);
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}
