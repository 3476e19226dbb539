/*
 * confcheck.h - checking a configuration's YAML tree, key by key.
 *
 * The service configuration (watch/config.c) and the TAXII section
 * (taxii/taxii_config.c) are both checked this way, so that both say the
 * same thing about the same mistake.  The tree (core/yaml.h) keeps the line
 * and column of every node; a checker walks it with the key path of the
 * current node in hand ("sinks[2].headers.Authorization"), so a complaint
 * reads "KEYPATH: line L, column C: what was expected".  Each mapping is
 * first checked against the keys it may hold (an unknown key is an error,
 * with the nearest allowed key suggested when it is one or two edits away:
 * a misspelt optional key would otherwise silently fall back to its
 * default), then each known key is read with a getter for its type.
 *
 * Messages quote key names and keywords but never a value from the file:
 * passwords, tokens, webhook headers and URLs live in these files, and a
 * message that quoted "whatever was there" would leak them into logs on the
 * first typo.  A message says what was found by its kind only (describe).
 *
 * Every function here that fails writes the message into why (which may be
 * NULL: the message is dropped) and returns YG_EINVAL, or YG_ENOMEM when a
 * copy could not be made; a key that is absent leaves *out as it was (the
 * caller's default) unless it is required.
 */
#ifndef YG_CORE_CONFCHECK_H
#define YG_CORE_CONFCHECK_H

#include "core/errmsg.h"
#include "core/yaml.h"

/* Longest key path kept for messages, with its NUL; a longer one is cut
 * (paths only label messages). */
#define YG_CC_KEYPATH_MAX 256

/* "KP: line L, column C: " and the formatted text into why, at node n (line
 * 1, column 1 when n is NULL); no "KP: " when kp is empty.  Returns
 * YG_EINVAL, so that a checker can `return yg__cc_fail(...)`. */
yg_err yg__cc_fail(struct yg_errmsg *why, const char *kp, const struct yg_ynode *n, const char *fmt,
                   ...) YG_PRINTF(4, 5);

/* What a node is, for "found ..." ("a sequence", "true/false", "a number"),
 * never its text. */
const char *yg__cc_describe(const struct yg_ynode *n);

/* dst = parent.key (key alone when parent is empty), or parent[i]; dst may
 * be parent. */
void yg__cc_key(char dst[YG_CC_KEYPATH_MAX], const char *parent, const char *key);
void yg__cc_index(char dst[YG_CC_KEYPATH_MAX], const char *parent, size_t i);

/* The word of the NULL-terminated list words nearest to s, when other than
 * s and at most two edits away, letter case aside (so "Memory" finds
 * "memory"), else NULL. */
const char *yg__cc_nearest(const char *s, const char *const *words);
bool yg__cc_in_list(const char *s, const char *const *words);

/*
 * map must be a mapping whose keys are plain strings from allowed (NULL
 * terminated), each at most once.  elsewhere (may be NULL) lists keys valid
 * in sibling variants of the mapping (other input types), named variant,
 * for a better message than "unknown key".
 */
yg_err yg__cc_check_map(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                        const char *const *allowed, const char *const *elsewhere,
                        const char *variant);

/* "KP.key: ...: required key is missing", at the mapping that lacks it. */
yg_err yg__cc_missing(struct yg_errmsg *why, const char *kp, const struct yg_ynode *map,
                      const char *key);

/* A string scalar (numbers are taken as written, so `user: 1000` works) into
 * a copy (yg_free); empty strings and NUL bytes are refused. */
YG_NODISCARD yg_err yg__cc_want_str(struct yg_errmsg *why, const char *kp, const struct yg_ynode *v,
                                    char **out);

/*
 * The getters read key of map (kp is the path of map).  get_str: a string
 * as want_str.  get_word: one of the NULL-terminated words, its index into
 * *out; expect lists them for the message ("udp, tcp").  get_bool: true or
 * false.  get_uint: a whole number from lo to hi.  get_duration (ms) and
 * get_size (bytes, core/confval.h) from min to max; when expect is given
 * ("a duration from 1s to 7d"), every failure says "expected EXPECT",
 * otherwise the form is shown and the bound that was crossed.
 * get_hostport: host:port (core/confval.h), a copy as written; need_host
 * refuses ":port", port_zero accepts port 0 (a listener the system gives a
 * port).  get_seq: a sequence (what names it: "a sequence of sinks"), the
 * node itself into *out, NULL when absent.
 */
YG_NODISCARD yg_err yg__cc_get_str(struct yg_errmsg *why, const char *kp,
                                   const struct yg_ynode *map, const char *key, bool required,
                                   char **out);
YG_NODISCARD yg_err yg__cc_get_word(struct yg_errmsg *why, const char *kp,
                                    const struct yg_ynode *map, const char *key,
                                    const char *const *words, const char *expect, int *out);
YG_NODISCARD yg_err yg__cc_get_bool(struct yg_errmsg *why, const char *kp,
                                    const struct yg_ynode *map, const char *key, bool *out);
YG_NODISCARD yg_err yg__cc_get_uint(struct yg_errmsg *why, const char *kp,
                                    const struct yg_ynode *map, const char *key, unsigned lo,
                                    unsigned hi, unsigned *out);
YG_NODISCARD yg_err yg__cc_get_duration(struct yg_errmsg *why, const char *kp,
                                        const struct yg_ynode *map, const char *key,
                                        uint64_t min_ms, uint64_t max_ms, const char *expect,
                                        uint64_t *out);
YG_NODISCARD yg_err yg__cc_get_size(struct yg_errmsg *why, const char *kp,
                                    const struct yg_ynode *map, const char *key, uint64_t min,
                                    uint64_t max, const char *expect, uint64_t *out);
YG_NODISCARD yg_err yg__cc_get_hostport(struct yg_errmsg *why, const char *kp,
                                        const struct yg_ynode *map, const char *key, bool required,
                                        bool need_host, bool port_zero, char **out);
YG_NODISCARD yg_err yg__cc_get_seq(struct yg_errmsg *why, const char *kp,
                                   const struct yg_ynode *map, const char *key, const char *what,
                                   const struct yg_ynode **out);

/* Every item of the sequence seq (at kp) a string as want_str, into a new
 * array of seq->n copies (at least one slot); *n counts those made, also
 * when an item fails, so that the caller frees what there is. */
YG_NODISCARD yg_err yg__cc_strs(struct yg_errmsg *why, const char *kp, const struct yg_ynode *seq,
                                char ***out, size_t *n);

#endif
