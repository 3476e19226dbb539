/*
 * core.h - memory, buffers, strings and hashing shared by every module.
 *
 * Allocation goes through yg_malloc() so tests can make any allocation fail
 * (yg__alloc_fail_after).  Per-event scratch lives in a yg_arena that is
 * reset after each event: nothing on the hot path calls malloc once the
 * arena has grown to the size of the largest event seen.
 */
#ifndef YG_CORE_H
#define YG_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

#include "yagura/error.h"
#include "yagura/limits.h"

#if defined(__GNUC__)
#define YG_NODISCARD __attribute__((warn_unused_result))
#define YG_LIKELY(x) __builtin_expect(!!(x), 1)
#define YG_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define YG_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define YG_NODISCARD
#define YG_LIKELY(x) (x)
#define YG_UNLIKELY(x) (x)
#define YG_PRINTF(a, b)
#endif

/* Propagate an error to the single exit label of the function. */
#define YG_TRY(x)                                                                                  \
    do {                                                                                           \
        err = (x);                                                                                 \
        if (err != YG_OK)                                                                          \
            goto done;                                                                             \
    } while (0)

/* ---- allocation ---------------------------------------------------- */
void *yg_malloc(size_t n);
void *yg_calloc(size_t n, size_t sz);
void *yg_realloc(void *p, size_t n);
void yg_free(void *p);
char *yg_strndup(const char *s, size_t n);
/* Test hook: fail the n-th allocation from now on (0 disables). */
void yg__alloc_fail_after(long n);

/* ---- string view ---------------------------------------------------- */
struct yg_str {
    const char *p;
    size_t n;
};
#define YG_STR_LIT(s) ((struct yg_str){(s), sizeof(s) - 1})

extern const unsigned char yg__lower[256];
static inline unsigned char yg_lc(unsigned char c)
{
    return yg__lower[c];
}
bool yg_str_ieq(const char *a, size_t an, const char *b, size_t bn);
/* Case-insensitive (ASCII) search of needle (already lowercase) in hay. */
const char *yg_memimem(const char *hay, size_t hn, const char *lneedle, size_t nn);

/* ---- hashing -------------------------------------------------------- */
uint64_t yg_hash(const void *p, size_t n);

/* ---- arena: bump allocation, reset per event ------------------------ */
struct yg_arena_block;
struct yg_arena {
    struct yg_arena_block *head; /* current block */
    struct yg_arena_block *free; /* blocks kept for reuse after reset */
    size_t block_size;
    size_t cap;  /* most bytes the arena may hold (0: no cap) */
    size_t used; /* bytes in blocks currently allocated */
};
void yg_arena_init(struct yg_arena *a, size_t block_size, size_t cap);
YG_NODISCARD void *yg_arena_alloc(struct yg_arena *a, size_t n);
char *yg_arena_strndup(struct yg_arena *a, const char *s, size_t n);
/* Give back all but the first keep bytes of p, the last allocation (of n
 * bytes); anything else is left as it is. */
void yg_arena_shrink(struct yg_arena *a, void *p, size_t n, size_t keep);
void yg_arena_reset(struct yg_arena *a);
void yg_arena_free(struct yg_arena *a);

/* ---- dynbuf: growable byte buffer with a cap (curl's "toobig") ------- */
struct yg_buf {
    char *p;
    size_t n, cap, toobig;
};
void yg_buf_init(struct yg_buf *b, size_t toobig);
YG_NODISCARD yg_err yg_buf_add(struct yg_buf *b, const void *p, size_t n);
YG_NODISCARD yg_err yg_buf_addc(struct yg_buf *b, char c);
YG_NODISCARD yg_err yg_buf_addf(struct yg_buf *b, const char *fmt, ...) YG_PRINTF(2, 3);
YG_NODISCARD yg_err yg_buf_reserve(struct yg_buf *b, size_t extra);
/* Append s as a JSON string literal, quotes included: the one JSON string
 * writer, with one UTF-8 policy (valid UTF-8 copied, every other byte and
 * every control character escaped; core/jsonstr.h). */
YG_NODISCARD yg_err yg_buf_add_json_str(struct yg_buf *b, const char *s, size_t n);
void yg_buf_reset(struct yg_buf *b);
void yg_buf_free(struct yg_buf *b);
/* Hand the bytes to the caller (NUL-terminated); the buffer is left empty. */
char *yg_buf_take(struct yg_buf *b, size_t *n);

/* ---- files ---------------------------------------------------------- */
/* Read a whole file (at most max bytes) into a NUL-terminated heap buffer. */
YG_NODISCARD yg_err yg_file_read(const char *path, size_t max, char **out, size_t *n);

#endif
