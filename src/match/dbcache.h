/*
 * dbcache.h - compiled Hyperscan databases of the prefilter kept on disk
 * between runs (dbcache.c; docs/yagura-hunt.md, "The compiled database
 * cache").
 *
 * Compiling the literal databases is most of the time `yagura hunt` takes
 * to start with the whole SigmaHQ corpus; a database compiled once is
 * serialized to a file named by a hash of everything that went into it
 * (Hyperscan's version, the target platform, the mode, every literal with
 * its flags and id) and loaded from there the next time.  A file that is
 * missing, damaged, of another owner or mode, or refused by Hyperscan is
 * ignored: the database is compiled and the file written again.
 */
#ifndef YG_MATCH_DBCACHE_H
#define YG_MATCH_DBCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

struct yg_dbcache;
/* Hyperscan's types by their struct names (hs_database_t, hs_compile_error_t),
 * so that the headers including this one (the hunt's, the detector's) do not
 * need Hyperscan's include path. */
struct hs_database;
struct hs_compile_error;

/* What one compile did with the cache. */
struct yg_dbcache_stats {
    bool enabled;    /* a cache folder was given */
    size_t hits;     /* databases loaded from the cache */
    size_t compiled; /* databases compiled (no entry, or one that was rejected) */
    size_t written;  /* entries written */
    size_t rejected; /* entries found but not used (see yg__dbcache_check, owner, mode) */
};

/* The default cache folder: $YAGURA_CACHE_DIR, else $XDG_CACHE_HOME/yagura/hs
 * (an absolute XDG_CACHE_HOME only, as the XDG specification says), else
 * $HOME/.cache/yagura/hs; NULL when none of them is set (or buf is too
 * small). */
const char *yg__dbcache_default_dir(char *buf, size_t n);

/* A cache over the folder dir, created (0700, with missing parents) on first
 * use.  warn (may be NULL) hears at most once why the cache could not be used
 * or written; the compile goes on without it.  NULL when out of memory. */
struct yg_dbcache *yg__dbcache_new(const char *dir, void (*warn)(void *ud, const char *msg),
                                   void *ud);
void yg__dbcache_free(struct yg_dbcache *c);
/* The size cap of the folder's entries (YG_HS_CACHE_MAX_BYTES unless a test
 * sets a smaller one). */
void yg__dbcache_set_max_bytes(struct yg_dbcache *c, uint64_t max_bytes);
void yg__dbcache_get_stats(struct yg_dbcache *c, struct yg_dbcache_stats *out);

/* hs_compile_lit_multi through the cache (c NULL: no cache): the database
 * from the cache entry of these inputs, else compiled and the entry
 * written.  Returns Hyperscan's hs_error_t. */
int yg__dbcache_compile_lit_multi(struct yg_dbcache *c, const char *const *exprs,
                                  const unsigned *flags, const unsigned *ids, const size_t *lens,
                                  unsigned n, unsigned mode, struct hs_database **db,
                                  struct hs_compile_error **err);

/*
 * An entry is one file, <64 hex digits of the key>.hsdb, of a header of
 * YG_DBCACHE_HEADER bytes and the serialized database (the blob):
 *
 *   0  magic "YGHSDB\r\n"          8 bytes (\r\n: a file mangled as text fails)
 *   8  format version, 1           u32 little-endian
 *  12  reserved, 0                 u32
 *  16  key                         32 bytes (SHA-256 of the inputs)
 *  48  blob length                 u64 little-endian
 *  56  SHA-256 of the blob         32 bytes
 *  88  blob
 */
#define YG_DBCACHE_KEY 32
#define YG_DBCACHE_HEADER 88
#define YG_DBCACHE_VERSION 1u
/* Check the bytes of an entry against the key it was looked up by: magic,
 * version, key, blob length against the file's and the blob's hash.  The
 * blob (its length in *bloblen), or NULL with *why saying what is wrong. */
const unsigned char *yg__dbcache_check(const unsigned char *p, size_t n,
                                       const unsigned char key[YG_DBCACHE_KEY], size_t *bloblen,
                                       const char **why);
/* Write the header of an entry for a blob into out; false when the blob
 * cannot be hashed (out of memory). */
bool yg__dbcache_header(const unsigned char key[YG_DBCACHE_KEY], const unsigned char *blob,
                        size_t bloblen, unsigned char out[YG_DBCACHE_HEADER]);

#endif
