/*
 * value.h - Sigma value modifiers, compiled into primitive value tests.
 *
 * A detection item `Field|mod1|mod2: value` goes through two steps:
 *
 *   1. yg__mods_parse() turns the modifier chain into a yg_mods set,
 *      rejecting unknown or contradictory chains with a reason.
 *   2. yg__value_compile() turns one rule value (a YAML scalar) under those
 *      modifiers into a small OR-group of yg_vm tests.  One value can yield
 *      several tests: windash permutations, the three base64offset shifts,
 *      expanded placeholders.  Encoding modifiers (wide, utf16*, base64*)
 *      apply left to right, as in pySigma; contains/startswith/endswith then
 *      place wildcards around the encoded string.
 *
 * yg__vm_test() runs one test against one event value.  List semantics
 * (OR, or AND under `all`), `exists`, `fieldref` resolution, absent fields
 * and `neq` over a whole item are the evaluator's business (match/eval.c);
 * this module only answers "does this value satisfy this test".
 *
 * Strings compare case-insensitively (ASCII folding) unless `cased`.
 * Every compiled object lives in the caller's permanent arena; PCRE2 code is
 * registered in yg_vm_pool so yg__vm_pool_free() can release it.
 */
#ifndef YG_MATCH_VALUE_H
#define YG_MATCH_VALUE_H

#include "core/core.h"
#include "core/errmsg.h"
#include "decode/event.h"
#include "core/yaml.h"

/* Modifier bits. */
enum {
    YG_MOD_CONTAINS = 1u << 0,
    YG_MOD_STARTSWITH = 1u << 1,
    YG_MOD_ENDSWITH = 1u << 2,
    YG_MOD_ALL = 1u << 3,
    YG_MOD_EXISTS = 1u << 4,
    YG_MOD_CASED = 1u << 5,
    YG_MOD_NEQ = 1u << 6,
    YG_MOD_WINDASH = 1u << 7,
    YG_MOD_RE = 1u << 8,
    YG_MOD_RE_I = 1u << 9,
    YG_MOD_RE_M = 1u << 10,
    YG_MOD_RE_S = 1u << 11,
    YG_MOD_BASE64 = 1u << 12,
    YG_MOD_BASE64OFFSET = 1u << 13,
    YG_MOD_UTF16LE = 1u << 14, /* also `wide` */
    YG_MOD_UTF16BE = 1u << 15,
    YG_MOD_UTF16 = 1u << 16,
    YG_MOD_LT = 1u << 17,
    YG_MOD_LTE = 1u << 18,
    YG_MOD_GT = 1u << 19,
    YG_MOD_GTE = 1u << 20,
    YG_MOD_CIDR = 1u << 21,
    YG_MOD_EXPAND = 1u << 22,
    YG_MOD_FIELDREF = 1u << 23,
    YG_MOD_MINUTE = 1u << 24,
    YG_MOD_HOUR = 1u << 25,
    YG_MOD_DAY = 1u << 26,
    YG_MOD_WEEK = 1u << 27,
    YG_MOD_MONTH = 1u << 28,
    YG_MOD_YEAR = 1u << 29,
};

struct yg_mods {
    uint32_t bits;
    /* Order matters for encodings: the chain as written, as YG_MOD_* bits. */
    uint32_t chain[16];
    unsigned nchain;
};

/* Kinds of primitive test. */
enum yg_vop {
    YG_VOP_EQ,       /* value equals pat */
    YG_VOP_PREFIX,   /* value starts with pat */
    YG_VOP_SUFFIX,   /* value ends with pat */
    YG_VOP_CONTAINS, /* value contains pat */
    YG_VOP_GLOB,     /* wildcard pattern: see glob[] */
    YG_VOP_RE,       /* PCRE2 regex */
    YG_VOP_CIDR,     /* value is an IP inside addr/bits */
    YG_VOP_NUM,      /* numeric comparison (cmp) of value (or time part) with num */
    YG_VOP_NULL,     /* value is JSON null (absent fields: evaluator) */
    YG_VOP_BOOL,     /* value is JSON boolean equal to num != 0, or the text true/false */
    YG_VOP_FIELDREF, /* value equals (per mods) the value of field `pat`: evaluator */
    YG_VOP_EXISTS,   /* field exists == (num != 0): evaluator */
};

enum yg_cmp { YG_CMP_EQ, YG_CMP_LT, YG_CMP_LTE, YG_CMP_GT, YG_CMP_GTE };

/* One segment of a wildcard pattern. */
struct yg_glob_seg {
    uint8_t kind;  /* 0: literal, 1: '*', 2: '?' */
    const char *p; /* literal bytes (lowercase unless cased) */
    uint32_t n;
};

struct yg_vm {
    uint8_t op;       /* enum yg_vop */
    uint8_t cased;    /* compare case-sensitively */
    uint8_t cmp;      /* enum yg_cmp for YG_VOP_NUM */
    uint8_t timepart; /* 0, or YG_MOD_MINUTE.. index: 1 minute,2 hour,3 day,4 week,5 month,6 year */
    uint8_t fam;      /* CIDR: 4 or 6 */
    uint8_t bits;     /* CIDR prefix length */
    uint8_t refop;    /* FIELDREF: YG_VOP_EQ, _PREFIX, _SUFFIX or _CONTAINS */
    uint8_t addr[16]; /* CIDR network address */
    const char *pat;  /* literal (lowercased unless cased) / fieldref name / regex source */
    uint32_t n;
    struct yg_glob_seg *glob;
    uint32_t nglob;
    void *re; /* pcre2_code * */
    double num;
    /* A literal the value must contain for this test to pass (lowercase,
     * decoded value bytes), used by the prefilter; n == 0 if none. */
    struct yg_str atom;
    /* 1 + index of the atom in the prefilter database, 0 if it has none
     * there (set by match/prefilter.c after compilation). */
    uint32_t atom_id;
};

/* OR-group of tests compiled from one rule value. */
struct yg_vmgroup {
    struct yg_vm *v;
    uint32_t n;
};

/* Placeholder values for `expand` (%name% -> list of strings). */
struct yg_placeholders;
/* Load from a YAML map `name: [values...]` (keys without %); NULL on error. */
YG_NODISCARD yg_err yg__placeholders_load(const char *path, struct yg_placeholders **out,
                                          struct yg_errmsg *why);
void yg__placeholders_free(struct yg_placeholders *ph);

/* Owner of compiled regexes. */
struct yg_vm_pool {
    void **re;
    size_t n, cap;
};
void yg__vm_pool_free(struct yg_vm_pool *pool);

/* names: the modifiers after the field name (for `Image|endswith|all`,
 * "endswith" and "all"). */
YG_NODISCARD yg_err yg__mods_parse(const struct yg_str *names, size_t n, struct yg_mods *out,
                                   struct yg_errmsg *why);

/*
 * Compile one value.  value is a YAML scalar (or NULL for an empty item).
 * ph may be NULL (then `expand` is reported unsupported with the placeholder
 * name).  perm receives every allocation; pool owns PCRE2 objects.
 */
YG_NODISCARD yg_err yg__value_compile(const struct yg_mods *m, const struct yg_ynode *value,
                                      const struct yg_placeholders *ph, struct yg_arena *perm,
                                      struct yg_vm_pool *pool, struct yg_vmgroup *out,
                                      struct yg_errmsg *why);

/* Scratch for regex matching; one per thread. */
void *yg__re_scratch_new(void);
void yg__re_scratch_free(void *md);
/* Where the scratch counts the regex matches that reached a PCRE2 limit
 * (match steps, depth, heap, JIT stack) and so counted as no match; NULL
 * for a NULL scratch.  The evaluator reads it around every item, without a
 * call. */
const uint64_t *yg__re_scratch_limits_at(const void *scratch);

/* Does v satisfy vm?  (Not for FIELDREF/EXISTS, which the evaluator does.) */
bool yg__vm_test(const struct yg_vm *vm, const struct yg_val *v, void *re_scratch);

/* Compare two event values for fieldref: equality (case-insensitive unless
 * cased), or prefix/suffix/contains of b within a per op. */
bool yg__val_compare(uint8_t op, bool cased, const struct yg_val *a, const struct yg_val *b);

#endif
