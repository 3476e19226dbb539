/*
 * confcheck.c - key paths, key checking and typed getters over the YAML
 * tree of a configuration file (confcheck.h).
 */
#include "core/confcheck.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/confval.h"

yg_err yg__cc_fail(struct yg_errmsg *why, const char *kp, const struct yg_ynode *n, const char *fmt,
                   ...)
{
    if (!why)
        return YG_EINVAL;
    unsigned line = n ? n->line : 1, col = n ? n->col : 1;
    int o = *kp ? snprintf(why->msg, sizeof why->msg, "%s: line %u, column %u: ", kp, line, col)
                : snprintf(why->msg, sizeof why->msg, "line %u, column %u: ", line, col);
    if (o >= 0 && (size_t)o < sizeof why->msg) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why->msg + o, sizeof why->msg - (size_t)o, fmt, ap);
        va_end(ap);
    }
    return YG_EINVAL;
}

const char *yg__cc_describe(const struct yg_ynode *n)
{
    if (n->type == YG_Y_SEQ)
        return "a sequence";
    if (n->type == YG_Y_MAP)
        return "a mapping";
    switch (n->skind) {
    case YG_S_INT:
    case YG_S_FLOAT: return "a number";
    case YG_S_BOOL: return "true/false";
    case YG_S_NULL: return "nothing (null)";
    case YG_S_STR: break;
    }
    return "a string";
}

/* parent, then sep and s, cut at YG_CC_KEYPATH_MAX; built aside so that dst
 * may be parent. */
static void kp_join(char *dst, const char *parent, const char *sep, const char *s)
{
    char tmp[YG_CC_KEYPATH_MAX];
    size_t o = 0;
    const char *parts[] = {parent, sep, s};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(parts[i]);
        if (n > sizeof tmp - 1 - o)
            n = sizeof tmp - 1 - o;
        memcpy(tmp + o, parts[i], n);
        o += n;
    }
    tmp[o] = 0;
    memcpy(dst, tmp, o + 1);
}

void yg__cc_key(char dst[YG_CC_KEYPATH_MAX], const char *parent, const char *key)
{
    kp_join(dst, parent, *parent ? "." : "", key);
}

void yg__cc_index(char dst[YG_CC_KEYPATH_MAX], const char *parent, size_t i)
{
    char num[32];
    snprintf(num, sizeof num, "[%zu]", i);
    kp_join(dst, parent, "", num);
}

/* Levenshtein distance, letter case aside, or a large number for long
 * strings (keys are short; anything longer than 63 bytes is nowhere near an
 * allowed key). */
static unsigned edit_distance(const char *a, const char *b)
{
    size_t an = strlen(a), bn = strlen(b);
    if (an > 63 || bn > 63)
        return 99;
    unsigned row[64];
    for (size_t j = 0; j <= bn; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= an; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= bn; j++) {
            unsigned up = row[j];
            unsigned best =
                diag + (yg_lc((unsigned char)a[i - 1]) != yg_lc((unsigned char)b[j - 1]));
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[bn];
}

const char *yg__cc_nearest(const char *s, const char *const *words)
{
    const char *best = NULL;
    unsigned bd = 3;
    for (; *words; words++) {
        /* A word that differs only in letter case is 0 edits away, and the
         * best suggestion there is ("Memory": "memory"). */
        unsigned d = strcmp(s, *words) ? edit_distance(s, *words) : 99;
        if (d < bd) {
            bd = d;
            best = *words;
        }
    }
    return best;
}

bool yg__cc_in_list(const char *s, const char *const *words)
{
    for (; *words; words++)
        if (strcmp(s, *words) == 0)
            return true;
    return false;
}

yg_err yg__cc_check_map(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                        const char *const *allowed, const char *const *elsewhere,
                        const char *variant)
{
    if (map->type != YG_Y_MAP)
        return yg__cc_fail(why, kp, map, "expected a mapping, found %s", yg__cc_describe(map));
    for (size_t i = 0; i < map->n; i++) {
        const struct yg_ynode *k = map->items[2 * i];
        char sub[YG_CC_KEYPATH_MAX];
        if (k->type != YG_Y_SCALAR)
            return yg__cc_fail(why, kp, k, "keys must be plain strings, found %s",
                               yg__cc_describe(k));
        yg__cc_key(sub, kp, k->s);
        if (!yg__cc_in_list(k->s, allowed)) {
            if (elsewhere && yg__cc_in_list(k->s, elsewhere))
                return yg__cc_fail(why, sub, k, "not a key of a %s input", variant);
            const char *near = yg__cc_nearest(k->s, allowed);
            if (near)
                return yg__cc_fail(why, sub, k, "unknown key (did you mean \"%s\"?)", near);
            return yg__cc_fail(why, sub, k, "unknown key");
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(map->items[2 * j]->s, k->s) == 0)
                return yg__cc_fail(why, sub, k, "duplicate key (first at line %u)",
                                   map->items[2 * j]->line);
    }
    return YG_OK;
}

yg_err yg__cc_missing(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                      const char *key)
{
    char sub[YG_CC_KEYPATH_MAX];
    yg__cc_key(sub, kp, key);
    return yg__cc_fail(why, sub, map, "required key is missing");
}

yg_err yg__cc_want_str(struct yg_errmsg *why, const char *kp, const struct yg_ynode *v, char **out)
{
    if (v->type != YG_Y_SCALAR || v->skind == YG_S_NULL || v->skind == YG_S_BOOL)
        return yg__cc_fail(why, kp, v, "expected a string, found %s", yg__cc_describe(v));
    if (v->slen == 0)
        return yg__cc_fail(why, kp, v, "must not be empty");
    if (memchr(v->s, 0, v->slen))
        return yg__cc_fail(why, kp, v, "contains a NUL byte");
    *out = yg_strndup(v->s, v->slen);
    return *out ? YG_OK : YG_ENOMEM;
}

/* The value of key in map, with its key path in sub; NULL when absent. */
static const struct yg_ynode *value(const struct yg_ynode *map, const char *kp, const char *key,
                                    char sub[YG_CC_KEYPATH_MAX])
{
    const struct yg_ynode *v = yg__ymap_get(map, key);
    if (v)
        yg__cc_key(sub, kp, key);
    return v;
}

yg_err yg__cc_get_str(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                      const char *key, bool required, char **out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return required ? yg__cc_missing(why, kp, map, key) : YG_OK;
    return yg__cc_want_str(why, sub, v, out);
}

yg_err yg__cc_get_word(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                       const char *key, const char *const *words, const char *expect, int *out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SCALAR || v->skind != YG_S_STR)
        return yg__cc_fail(why, sub, v, "expected one of %s, found %s", expect, yg__cc_describe(v));
    for (int i = 0; words[i]; i++)
        if (strcmp(v->s, words[i]) == 0) {
            *out = i;
            return YG_OK;
        }
    /* The suggestion is an allowed word, never the value itself. */
    const char *near = yg__cc_nearest(v->s, words);
    if (near)
        return yg__cc_fail(why, sub, v, "expected one of %s (did you mean \"%s\"?)", expect, near);
    return yg__cc_fail(why, sub, v, "expected one of %s", expect);
}

yg_err yg__cc_get_bool(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                       const char *key, bool *out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SCALAR || v->skind != YG_S_BOOL)
        return yg__cc_fail(why, sub, v, "expected true or false, found %s", yg__cc_describe(v));
    *out = v->s[0] == 't' || v->s[0] == 'T';
    return YG_OK;
}

yg_err yg__cc_get_uint(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                       const char *key, unsigned lo, unsigned hi, unsigned *out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return YG_OK;
    /* strtoul would take "-1" as a huge number and "0x10" as 0 then "x10":
     * only plain decimal digits pass. */
    char *end = NULL;
    errno = 0;
    unsigned long x = v->type == YG_Y_SCALAR && v->skind == YG_S_INT && v->s[0] != '-'
                          ? strtoul(v->s, &end, 10)
                          : 0;
    if (!end || *end || errno || x < lo || x > hi)
        return yg__cc_fail(why, sub, v, "expected a whole number from %u to %u", lo, hi);
    *out = (unsigned)x;
    return YG_OK;
}

/* The check of a number parsed by parse (a duration or a size) against
 * min..max; form and unit word the messages when the caller gave no
 * expect. */
static yg_err get_quantity(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                           const char *key, bool (*parse)(const char *, uint64_t *),
                           const char *form, const char *unit, uint64_t min, uint64_t max,
                           const char *expect, uint64_t *out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return YG_OK;
    uint64_t x = 0;
    bool ok = v->type == YG_Y_SCALAR && parse(v->s, &x);
    if (expect && (!ok || x < min || x > max))
        return yg__cc_fail(why, sub, v, "expected %s", expect);
    if (!ok)
        return yg__cc_fail(why, sub, v, "expected %s", form);
    if (x < min)
        return yg__cc_fail(why, sub, v, "must be at least %llu %s", (unsigned long long)min, unit);
    if (x > max)
        return yg__cc_fail(why, sub, v, "must be at most %llu %s", (unsigned long long)max, unit);
    *out = x;
    return YG_OK;
}

yg_err yg__cc_get_duration(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                           const char *key, uint64_t min_ms, uint64_t max_ms, const char *expect,
                           uint64_t *out)
{
    return get_quantity(why, kp, map, key, yg__parse_duration_ms,
                        "a duration such as 500ms, 5s, 5m, 1h or 1d", "ms", min_ms, max_ms, expect,
                        out);
}

yg_err yg__cc_get_size(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                       const char *key, uint64_t min, uint64_t max, const char *expect,
                       uint64_t *out)
{
    return get_quantity(why, kp, map, key, yg__parse_size, "a size such as 512KB, 100MB or 1GB",
                        "bytes", min, max, expect, out);
}

yg_err yg__cc_get_hostport(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                           const char *key, bool required, bool need_host, bool port_zero,
                           char **out)
{
    char sub[YG_CC_KEYPATH_MAX], host[256];
    unsigned port;
    const struct yg_ynode *v = value(map, kp, key, sub);
    if (!v)
        return required ? yg__cc_missing(why, kp, map, key) : YG_OK;
    if (v->type != YG_Y_SCALAR || v->skind != YG_S_STR ||
        !yg__parse_hostport(v->s, host, sizeof host, &port, port_zero) || (need_host && !*host))
        return yg__cc_fail(why, sub, v, "expected host:port");
    *out = yg_strndup(v->s, v->slen);
    return *out ? YG_OK : YG_ENOMEM;
}

yg_err yg__cc_get_seq(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                      const char *key, const char *what, const struct yg_ynode **out)
{
    char sub[YG_CC_KEYPATH_MAX];
    const struct yg_ynode *v = value(map, kp, key, sub);
    *out = NULL;
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SEQ)
        return yg__cc_fail(why, sub, v, "expected %s, found %s", what, yg__cc_describe(v));
    *out = v;
    return YG_OK;
}

yg_err yg__cc_strs(struct yg_errmsg *why, const char *kp, const struct yg_ynode *seq, char ***out,
                   size_t *n)
{
    *n = 0;
    *out = yg_calloc(seq->n ? seq->n : 1, sizeof **out);
    if (!*out)
        return YG_ENOMEM;
    for (size_t i = 0; i < seq->n; i++) {
        char sub[YG_CC_KEYPATH_MAX];
        yg__cc_index(sub, kp, i);
        yg_err err = yg__cc_want_str(why, sub, seq->items[i], &(*out)[i]);
        if (err)
            return err;
        ++*n;
    }
    return YG_OK;
}
