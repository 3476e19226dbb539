/*
 * intel.h - the indicator store's internals, shared by its loaders and by
 * the scanner.
 *
 * Storage is laid out for ten million indicators:
 *   - every string (normalised value, lookup key, id) lives in one growable
 *     byte array and is referred to by a 32-bit offset, never by its own
 *     allocation;
 *   - an indicator record is 20 bytes: key offset and length, value length,
 *     the index of its metadata, the offset of its id (0: derived), type;
 *   - metadata (source, TLP, confidence, validity, description, labels,
 *     file) is hash-consed: the million lines of one CSV feed share one;
 *   - per type, an open-addressing table of 64-bit slots, 32 bits of the
 *     key's hash and 32 bits of record index + 1; a hit is confirmed by
 *     comparing the key bytes.  Duplicates (same type and key from several
 *     sources) are separate slots of one probe sequence: a lookup reports
 *     every one.
 *
 * Lookup keys: addresses are binary, [family][prefix length][address masked
 * to it] (so a CIDR range is an exact key at its prefix length, and an
 * address is looked up once per prefix length present in the store, longest
 * first); the other types are their normalised text.
 */
#ifndef YG_INTEL_INTEL_H
#define YG_INTEL_INTEL_H

#include <stdatomic.h>

#include "core/core.h"
#include "core/errmsg.h"
#include "core/tjson.h"
#include "yagura/intel.h"

/* Kinds of event fields checked against the store (mappings/intel-fields.yml). */
enum yg_ifield_kind {
    YG_IF_IP,
    YG_IF_DOMAIN,
    YG_IF_URL,
    YG_IF_HASH,
    YG_IF_HASHES, /* Sysmon's "MD5=..,SHA256=..,IMPHASH=.." */
    YG_IF_EMAIL,
    YG_IF_USER_AGENT,
    YG_IF_HOST_OR_IP,
    YG_IF_NKINDS
};
/* Parse a kind name ("ip", "domain", ...); -1 if unknown. */
int yg__ifield_kind(const char *s);

struct yg_ioc_rec {
    uint32_t off;  /* key bytes, then (addresses) the value text */
    uint32_t meta; /* index into metas */
    uint32_t id;   /* offset of the id string, 0: derived (uuid5) */
    uint16_t klen, vlen;
    uint8_t type, sub; /* sub: hash kind (1 md5, 2 sha1, 3 sha256, 4 sha512) or address family */
};

struct yg_ioc_meta {
    const char *source, *tlp, *description, *labels_json, *file;
    int64_t valid_from, valid_until, first_seen, last_seen;
    int confidence;
    uint64_t hash;
};

struct yg_itab {
    uint64_t *slot; /* (hash >> 32) << 32 | (record + 1); 0: empty */
    size_t mask;
};

struct yg_intel {
    atomic_int refs;
    bool frozen;
    yg_intel_diag_cb diag;
    void *diag_ud;
    const char *default_tlp;
    /* level map: thresholds descending */
    int lvl_min[8];
    int lvl_level[8];
    unsigned nlvl;
    /* strings */
    char *str;
    size_t strn, strcap;
    /* records */
    struct yg_ioc_rec *rec;
    size_t nrec, reccap;
    /* metadata */
    struct yg_ioc_meta *meta;
    size_t nmeta, metacap;
    uint32_t *meta_hash; /* open addressing over meta index + 1 */
    size_t meta_hash_cap;
    struct yg_arena marena; /* metadata strings */
    /* per type lookup tables, built by freeze */
    struct yg_itab tab[YG_IOC_NTYPES];
    size_t ntype[YG_IOC_NTYPES];
    uint16_t minlen[YG_IOC_NTYPES], maxlen[YG_IOC_NTYPES];
    /* prefix lengths present: IPv4 (0..32) and IPv6 (0..128) */
    uint64_t plen4;
    uint64_t plen6[3];
    uint8_t plens4[33], plens6[129]; /* present lengths, longest first */
    bool any_until;                  /* some indicator has a valid_until */
    unsigned nplens4, nplens6;
    /* sources */
    const char **src_names;
    size_t *src_counts;
    size_t nsrc;
    yg_intel_stats st;
};

/* One indicator offered by a loader. */
struct yg_ioc_in {
    yg_ioc_type type;
    const char *value;
    size_t vn;
    const char *hash_kind; /* "md5", "sha1", ... as the source named it, or NULL */
    const char *id;        /* NULL: derived */
    size_t idn;
    const char *source, *tlp, *description, *labels_json, *file;
    int confidence; /* -1: unknown */
    int64_t valid_from, valid_until, first_seen, last_seen;
};
void yg__ioc_in_init(struct yg_ioc_in *x);

/* Store one indicator.  YG_ESYNTAX with *why set when the value is not one
 * of its type; YG_ENOMEM/YG_ELIMIT when the store is full. */
YG_NODISCARD yg_err yg__intel_add(struct yg_intel *in, const struct yg_ioc_in *x, const char **why);
/* Report a problem (counted by err: YG_EUNSUPPORTED in unsupported, others
 * in errors). */
void yg__intel_diag(struct yg_intel *in, const char *file, unsigned line, unsigned col,
                    const char *objid, yg_err err, const char *pattern, const char *fmt, ...)
    YG_PRINTF(8, 9);
/* Line and column (1-based) of byte off in buf. */
void yg__intel_linecol(const char *buf, size_t off, unsigned *line, unsigned *col);
/* "TLP:AMBER" etc. for a TLP name in any accepted spelling; NULL if not one. */
const char *yg__tlp_canon(const char *s, size_t n);
/* A STIX or MISP time to ms; false if not one. */
bool yg__intel_time(const char *s, size_t n, int64_t *ms);
/* Guess the type of a bare value (plain lists): false if none fits. */
bool yg__ioc_guess(const char *v, size_t n, yg_ioc_type *t);

/* Normalise an event value of a type into buf (cap bytes) as a lookup key;
 * returns the key length, 0 when the value cannot be one of the type. */
size_t yg__ioc_key(yg_ioc_type t, const char *v, size_t n, char *buf, size_t cap, uint8_t *sub);

/* Matching from the scanner: every indicator hit by an event value of the
 * given field kind.  fn is called with the record index; returns non-zero
 * to stop.  Validity is judged at at_ms (INT64_MIN: not judged). */
typedef int (*yg__ihit_fn)(void *ud, uint32_t rec);
size_t yg__intel_match(const struct yg_intel *in, enum yg_ifield_kind k, const char *v, size_t n,
                       int64_t at_ms, yg__ihit_fn fn, void *ud);
/* Whether any indicator of the kind's types is stored (cheap skip). */
bool yg__intel_has_kind(const struct yg_intel *in, enum yg_ifield_kind k);
/* A record as the public struct; id written to idbuf (>= 40 bytes) when
 * derived.  When it cannot be derived (core/uuid.h), id is "" and the
 * error is returned; every other member is set. */
YG_NODISCARD yg_err yg__intel_record(const struct yg_intel *in, uint32_t rec,
                                     yg_intel_indicator *out, char *idbuf);
/* Alert level (yg_level_t value) of a record. */
int yg__intel_level(const struct yg_intel *in, uint32_t rec);
/* A record's "intel" member for an alert: "intel":{...}. */
YG_NODISCARD yg_err yg__intel_alert_json(const struct yg_intel *in, uint32_t rec, struct yg_buf *b);

/* ---- loaders ---- */
struct yg_iload {
    struct yg_intel *in;
    const char *file;
    const char *buf;
    size_t len;
    const yg_intel_load_opts *o;
    const char *source; /* from the options, interned */
    const char *tlp;    /* from the options or the store's default */
    bool mapped;        /* buf is a private file mapping: read pages may be dropped */
};
/* Drop the pages of a mapped input before off from memory (they are read
 * once): a feed of ten million lines then costs no resident memory. */
void yg__iload_release(struct yg_iload *l, size_t off, size_t *done);
YG_NODISCARD yg_err yg__intel_load_stix(struct yg_iload *l);
YG_NODISCARD yg_err yg__intel_load_misp(struct yg_iload *l);
YG_NODISCARD yg_err yg__intel_load_csv(struct yg_iload *l);
YG_NODISCARD yg_err yg__intel_load_plain(struct yg_iload *l, const char *type);

/* ---- STIX patterns (intel_pattern.c) ---- */
struct yg_pat_ioc {
    yg_ioc_type type;
    const char *value; /* points into the pattern arena */
    size_t vn;
    const char *hash_kind;
};
struct yg_pat_result {
    struct yg_pat_ioc *iocs;
    size_t n;
    unsigned col;  /* 1-based column of the problem */
    char why[256]; /* syntax error or why it is not matchable */
    bool partial;  /* some comparisons were left out */
};
/* YG_OK with r->n >= 1; YG_ESYNTAX (malformed), YG_EUNSUPPORTED (valid but
 * nothing matchable, or FOLLOWEDBY/WITHIN/REPEATS/START), YG_ELIMIT. */
YG_NODISCARD yg_err yg__stix_pattern(const char *p, size_t n, struct yg_arena *a,
                                     struct yg_pat_result *r);

/* ---- field selection (intel_fields.c) ---- */
struct yg_ifield {
    const char *name;
    uint8_t kind;
};
struct yg_ifield_set {
    const char *product, *service, *category; /* NULL or "*": any */
    struct yg_ifield *f;
    size_t n;
};
struct yg_ifields {
    struct yg_arena a;
    struct yg_ifield_set *sets;
    size_t nsets;
    struct yg_errmsg why; /* yg__ifields_errmsg */
};
/* On failure the reason is yg__ifields_errmsg(fs); fs still needs
 * yg__ifields_free. */
YG_NODISCARD yg_err yg__ifields_load(struct yg_ifields *fs, const char *path);
/* Why the last yg__ifields_load on fs failed ("" if it did not). */
static inline const char *yg__ifields_errmsg(const struct yg_ifields *fs)
{
    return fs ? fs->why.msg : "out of memory";
}
void yg__ifields_free(struct yg_ifields *fs);
/* Whether a set applies to a log source (cats: categories of the event). */
bool yg__ifields_applies(const struct yg_ifield_set *s, const char *product, const char *service,
                         const char *const *cats, unsigned ncats);

#endif
