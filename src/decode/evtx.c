/*
 * evtx.c - Windows XML Event Log (EVTX) reader with its own BinXML decoder.
 *
 * An EVTX file is a 4 KiB file header followed by 64 KiB chunks.  Each chunk
 * has a 512-byte header (two CRC32s: one of the header, one of the records
 * area) and a run of event records.  A record is a 24-byte header (magic,
 * size, EventRecordID, timestamp), a BinXML fragment and a copy of the size.
 *
 * BinXML is XML as a token stream.  Element and attribute names are not
 * stored in the tokens but as references to a name string somewhere in the
 * chunk (by offset).  Almost every record is a single "template instance":
 * a reference, again by chunk offset, to a template definition (a BinXML
 * fragment with numbered substitution slots) followed by an array of typed
 * values that fill the slots.  A value may itself be a BinXML fragment that
 * holds another template instance (how UserData and some EventData look).
 *
 * The reader works in three steps per record:
 *
 *  1. compile: tokens are read once into a flat array of ops (struct op).
 *     Template definitions are compiled once per chunk and cached by their
 *     offset, together with the names they use (also cached by offset) and
 *     the strings written in them (Data Name keys are those).  Substitution
 *     values are measured and validated here and stay pointers into the
 *     chunk; BinXML values are compiled into fragments of their own.
 *  2. expand: the ops run like a tiny program, template instances jump into
 *     the cached template ops with their value array, and the result is a
 *     stream of open-element / close-element / text events.
 *  3. build: those events drive a small JSON tree that reproduces, quirk for
 *     quirk, how evtx_dump (evtx crate 0.8.5, which produced the reference
 *     renderings Yagura is tested against) turns XML into JSON: duplicate
 *     keys get "_1" suffixes, repeated text becomes a "#text" array, the
 *     Data element is keyed by its Name attribute, text of a parent that
 *     later gets a child ends up as "<child>_1".  Text lives in one scratch
 *     buffer already JSON-escaped, so serialising the tree is mostly memcpy.
 *
 * Every buffer (ops, values, nodes, text) is kept across records and chunks,
 * so steady state does no allocation.  Every read is checked against the
 * 64 KiB chunk (offsets are subtracted from the chunk size, never added),
 * template nesting and element depth stop at YG_MAX_BINXML_DEPTH, and a
 * per-record op budget stops templates that expand into each other without
 * end.
 *
 * Where Yagura departs from evtx_dump on purpose, it keeps more data or
 * trusts less: an unpaired UTF-16 surrogate becomes U+FFFD (evtx_dump drops
 * the record); chunks are skipped on a CRC32 mismatch (evtx_dump does not
 * check); a record with a bad signature or size is reported and the next
 * one searched for (evtx_dump stops reading the chunk); a template that
 * cannot be read fails only the records using it (evtx_dump gives up the
 * whole chunk).
 *
 * Format references: Joachim Metz, "Windows XML Event Log (EVTX) format"
 * (libevtx documentation) and the evtx crate's sources.
 */
#include "decode/evtx.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "core/timeparse.h"
#include "core/utf8.h"

#define FILE_HEADER_SIZE 4096u
#define CHUNK_SIZE 65536u
#define CHUNK_HEADER_SIZE 512u
#define RECORD_HEADER_SIZE 24u

/*
 * Ops one record may execute.  Templates can instantiate other templates,
 * so a few hundred bytes could otherwise describe an exponential amount of
 * work; real records use a few hundred ops.
 */
#define MAX_OPS_PER_RECORD (YG_MAX_EVENT_BYTES / 4u)
/* JSON nodes per record: each event field costs a few (key, attributes). */
#define MAX_NODES_PER_RECORD (YG_MAX_EVENT_FIELDS * 4u)
/* Text of all names cached for one chunk. */
#define MAX_NAME_TEXT (16u * 1024u * 1024u)
/*
 * Ops compiled for one chunk's templates or one record.  A chunk holds at
 * most 64 KiB of tokens, so real data stays well below; only templates that
 * overlap each other (hostile input) could go beyond.
 */
#define MAX_OPS_PER_SCOPE (2u * CHUNK_SIZE)

/* ---- little-endian loads ---------------------------------------------- */

static inline uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t ld64(const uint8_t *p)
{
    return (uint64_t)ld32(p) | ((uint64_t)ld32(p + 4) << 32);
}

/* ---- BinXML value types ------------------------------------------------ */

enum {
    VT_NULL = 0x00,
    VT_STRING = 0x01,
    VT_ANSI = 0x02,
    VT_I8 = 0x03,
    VT_U8 = 0x04,
    VT_I16 = 0x05,
    VT_U16 = 0x06,
    VT_I32 = 0x07,
    VT_U32 = 0x08,
    VT_I64 = 0x09,
    VT_U64 = 0x0a,
    VT_R32 = 0x0b,
    VT_R64 = 0x0c,
    VT_BOOL = 0x0d,
    VT_BINARY = 0x0e,
    VT_GUID = 0x0f,
    VT_SIZET = 0x10,
    VT_FILETIME = 0x11,
    VT_SYSTIME = 0x12,
    VT_SID = 0x13,
    VT_HEX32 = 0x14,
    VT_HEX64 = 0x15,
    VT_EVTHANDLE = 0x20,
    VT_BINXML = 0x21,
    VT_EVTXML = 0x23,
    VT_ARRAY = 0x80,
    /* Not in files: a string already decoded to escaped UTF-8 (entities). */
    VT_UTF8 = 0xfe,
    /* Not in files: a string of a template, decoded once per chunk into the
     * name text (evtx.ntext) with its hash, since Data Name keys are those. */
    VT_CACHED = 0xfd,
};

/* Whether t is a type byte evtx accepts (others make the record fail). */
static bool type_known(uint8_t t)
{
    if (t <= VT_HEX64 || t == VT_EVTHANDLE || t == VT_BINXML || t == VT_EVTXML)
        return true;
    return t >= (VT_ARRAY | VT_STRING) && t <= (VT_ARRAY | VT_HEX64);
}

/* Byte size of the fixed-size scalar types, 0 for the others. */
static uint32_t fixed_size(uint8_t t)
{
    switch (t) {
    case VT_I8:
    case VT_U8: return 1;
    case VT_I16:
    case VT_U16: return 2;
    case VT_I32:
    case VT_U32:
    case VT_R32:
    case VT_BOOL:
    case VT_HEX32: return 4;
    case VT_I64:
    case VT_U64:
    case VT_R64:
    case VT_FILETIME:
    case VT_HEX64: return 8;
    case VT_GUID:
    case VT_SYSTIME: return 16;
    }
    return 0;
}

/*
 * A value: its type and bytes inside the chunk.  For strings n is the byte
 * size of the UTF-16 units; for VT_BINXML `ops` is the first op of the
 * fragment compiled from it; for VT_CACHED `ops` is the text's offset in
 * evtx.ntext, n its length and h its hash.
 */
struct yv {
    const uint8_t *p;
    uint32_t n;
    uint32_t ops;
    uint32_t h;
    uint8_t t;
};

/* Types whose bytes hold an array (the two pseudo types are strings). */
static inline bool is_array(uint8_t t)
{
    return (t & VT_ARRAY) && t < VT_CACHED;
}

/* ---- ops ------------------------------------------------------------- */

enum {
    OP_END,         /* end of a compiled fragment */
    OP_JUMP,        /* a: op to continue at (skips a nested fragment) */
    OP_OPEN,        /* a: name; starts collecting an element's attributes */
    OP_ATTR,        /* a: name of the attribute whose value comes next */
    OP_CLOSE_START, /* the element's start tag is complete */
    OP_CLOSE_EMPTY, /* start tag complete and element closed at once */
    OP_CLOSE,       /* end tag */
    OP_VALUE,       /* v: a value written in the fragment itself */
    OP_SUBST,       /* idx: substitution slot; ignore: optional and typed NULL */
    OP_ENTITY,      /* a: name of an entity reference (&amp; and friends) */
    OP_TEMPLATE,    /* a: definition offset; values vals[b .. b+n) */
    OP_PI_DATA,     /* processing instruction: JSON has no place for it */
};

struct op {
    uint8_t kind;
    uint8_t ignore;
    uint16_t idx;
    uint32_t a, b, n;
    struct yv v;
};

/* Ops and values compiled from one scope: a chunk's templates or a record. */
struct scope {
    struct op *ops;
    uint32_t nops, capops;
    struct yv *vals;
    uint32_t nvals, capvals;
};

/* A template instance's values while its template runs. */
struct subst {
    const struct scope *sc;
    uint32_t first, count;
    uint32_t used; /* offset of its "already taken" flags in evtx.used */
};

struct name_ent {
    uint32_t off;  /* chunk offset of the name structure */
    uint32_t text; /* escaped UTF-8 in evtx.ntext */
    uint32_t len;
    uint32_t hash;
};

struct tmpl_ent {
    uint32_t off;  /* chunk offset of the template definition */
    uint32_t ops;  /* first op in evtx.tsc */
    yg_err status; /* YG_OK, or why the definition could not be compiled */
    const char *why;
};

/* ---- JSON tree --------------------------------------------------------- */

enum { JN_NULL, JN_OBJ, JN_ARR, JN_STR, JN_RAW };

/*
 * Keys live in one of three places; a key reference carries the place in
 * its top two bits so that the buffers may move while the tree is built.
 */
#define KEY_SCRATCH 0u
#define KEY_NAME (1u << 30)
#define KEY_STATIC (2u << 30)
#define KEY_OFF_MASK ((1u << 30) - 1u)

static const char static_keys[] = "#text#attributesDataName";
#define SK_TEXT (KEY_STATIC | 0u)
#define SK_TEXT_LEN 5u
#define SK_ATTRS (KEY_STATIC | 5u)
#define SK_ATTRS_LEN 11u
#define SK_DATA (KEY_STATIC | 16u)
#define SK_DATA_LEN 4u

struct jn {
    uint32_t key, klen, khash; /* member key (unused for array elements) */
    uint32_t s, slen;          /* JN_STR: escaped text; JN_RAW: JSON literal */
    int32_t first, last, next; /* members or elements; next sibling */
    int32_t parent;            /* object this is a member of, -1 if none */
    uint8_t t;
};

/*
 * Members are found through a hash table keyed by (parent, key) rather than
 * by walking the parent's list: EventData often has dozens of members and
 * every new element must prove its key absent.  Slots of earlier records
 * are told apart by a generation number, so the table is never cleared.
 */
struct mslot {
    uint32_t gen;
    int32_t node;
};

/* An open element: the key it is filed under and, once found, its node. */
struct frame {
    uint32_t key, klen, khash;
    int32_t node;
};

struct attr {
    uint32_t name;
    struct yv v;
};

struct evtx {
    const uint8_t *ck; /* current chunk, CHUNK_SIZE bytes */
    uint64_t ck_off;
    yg_evtx_record_fn rec;
    yg_evtx_diag_fn diag;
    void *ud;
    const char *why; /* reason for the last YG_ECORRUPT/YG_EUNSUPPORTED */

    /* Per chunk: names and templates by offset.  A slot holds an index into
     * the entry array; it is valid when the entry's offset matches, so the
     * slots never need clearing between chunks. */
    uint32_t *name_slot, *tmpl_slot;
    struct name_ent *names;
    uint32_t nnames, capnames;
    struct tmpl_ent *tmpls;
    uint32_t ntmpls, captmpls;
    struct yg_buf ntext;
    struct scope tsc;

    /* Per record. */
    struct scope rsc;
    struct yg_buf scratch;
    struct jn *nodes;
    uint32_t nnodes, capnodes;
    struct mslot *mtab;
    uint32_t mmask, mgen;
    struct frame stack[YG_MAX_BINXML_DEPTH];
    uint32_t depth;
    bool stale; /* a node was removed: frame.node caches may be wrong */
    bool eb_open, eb_pending;
    uint32_t eb_name, eb_attr;
    struct attr *attrs;
    uint32_t nattrs, capattrs;
    uint8_t *used;
    uint32_t nused, capused;
    uint32_t work;
    struct yg_buf out;
    char msg[192];
};

static yg_err bad(struct evtx *x, const char *why)
{
    x->why = why;
    return YG_ECORRUPT;
}

static yg_err unsupported(struct evtx *x, const char *why)
{
    x->why = why;
    return YG_EUNSUPPORTED;
}

/* Grow *p (elements of sz bytes) to hold need elements, at most max. */
static yg_err grow(void **p, uint32_t *cap, uint32_t need, size_t sz, uint32_t max)
{
    if (need <= *cap)
        return YG_OK;
    if (need > max)
        return YG_ELIMIT;
    uint32_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc = nc > max / 2 ? max : nc * 2;
    void *np = yg_realloc(*p, (size_t)nc * sz);
    if (!np)
        return YG_ENOMEM;
    *p = np;
    *cap = nc;
    return YG_OK;
}

static uint32_t hash_bytes(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* ---- text: UTF-16 and code page 1252 to escaped UTF-8 ------------------- */

static const char hexdig[] = "0123456789abcdef";
static const char hexup[] = "0123456789ABCDEF";

/* The JSON escape of an ASCII control, quote or backslash (serde_json's). */
static char *esc_ascii(char *o, unsigned c)
{
    o[0] = '\\';
    switch (c) {
    case '"': o[1] = '"'; return o + 2;
    case '\\': o[1] = '\\'; return o + 2;
    case '\b': o[1] = 'b'; return o + 2;
    case '\f': o[1] = 'f'; return o + 2;
    case '\n': o[1] = 'n'; return o + 2;
    case '\r': o[1] = 'r'; return o + 2;
    case '\t': o[1] = 't'; return o + 2;
    }
    o[1] = 'u';
    o[2] = '0';
    o[3] = '0';
    o[4] = hexdig[c >> 4];
    o[5] = hexdig[c & 15];
    return o + 6;
}

static char *put_cp(char *o, uint32_t c)
{
    if (c < 0x80) {
        if (c >= 0x20 && c != '"' && c != '\\')
            *o++ = (char)c;
        else
            o = esc_ascii(o, c);
    } else {
        o += yg__utf8_put(o, c);
    }
    return o;
}

/* Rust's char::is_whitespace for the BMP (all White_Space code points). */
static bool is_ws(uint32_t c)
{
    if (c <= 0x20)
        return c == 0x20 || (c >= 9 && c <= 13);
    if (c < 0x85)
        return false;
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
           c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Bytes put_cp writes for a whitespace code point (to undo trailing ones). */
static size_t ws_out_len(uint32_t c)
{
    if (c == ' ')
        return 1;
    if (c == 0x0b)
        return 6;
    if (c < 0x80)
        return 2;
    return c < 0x800 ? 2 : 3;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR_UTF16 1
#endif

/*
 * Append the escaped UTF-8 of the UTF-16LE string of n units at p: up to
 * the first NUL, without trailing whitespace (evtx trims both), unpaired
 * surrogates as U+FFFD.  When trim is false trailing whitespace is kept.
 */
static yg_err put_utf16(struct yg_buf *b, const uint8_t *p, size_t n, bool trim)
{
    yg_err err = yg_buf_reserve(b, n * 6);
    if (err)
        return err;
    char *o = b->p + b->n;
    size_t i = 0;
    while (i < n) {
#ifdef SWAR_UTF16
        /* Four plain ASCII units (no control, quote or backslash) at once. */
        while (n - i >= 4) {
            uint64_t v;
            memcpy(&v, p + 2 * i, 8);
            const uint64_t lo = 0x0001000100010001ull, hi = 0x8000800080008000ull;
            uint64_t q = v ^ (lo * '"'), s = v ^ (lo * '\\');
            if ((v & 0xff80ff80ff80ff80ull) || ((v - lo * 0x20) & hi) || ((q - lo) & ~q & hi) ||
                ((s - lo) & ~s & hi))
                break;
            o[0] = (char)v;
            o[1] = (char)(v >> 16);
            o[2] = (char)(v >> 32);
            o[3] = (char)(v >> 48);
            o += 4;
            i += 4;
        }
        if (i >= n)
            break;
#endif
        uint32_t c = ld16(p + 2 * i);
        if (c == 0)
            break;
        i++;
        if (c >= 0xd800 && c <= 0xdfff) {
            unsigned used;
            c = yg__utf16_join(c, i < n ? ld16(p + 2 * i) : 0, &used);
            i += used - 1;
        }
        o = put_cp(o, c);
    }
    if (trim) {
        /* Whitespace is all in the BMP, so walking back unit by unit works. */
        while (i > 0) {
            uint32_t c = ld16(p + 2 * (i - 1));
            if (!is_ws(c))
                break;
            o -= ws_out_len(c);
            i--;
        }
    }
    b->n = (size_t)(o - b->p);
    return YG_OK;
}

/* Windows-1252 to Unicode for 0x80..0x9f (WHATWG index: holes map to C1). */
static const uint16_t cp1252_hi[32] = {
    0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178};

/* An ANSI string: NUL bytes dropped (evtx prunes them), code page 1252. */
static yg_err put_ansi(struct yg_buf *b, const uint8_t *p, size_t n)
{
    yg_err err = yg_buf_reserve(b, n * 6);
    if (err)
        return err;
    char *o = b->p + b->n;
    for (size_t i = 0; i < n; i++) {
        uint32_t c = p[i];
        if (c == 0)
            continue;
        if (c >= 0x80 && c < 0xa0)
            c = cp1252_hi[c - 0x80];
        o = put_cp(o, c);
    }
    b->n = (size_t)(o - b->p);
    return YG_OK;
}

/* ---- numbers, times, identifiers ---------------------------------------- */

static char *put_u64(char *o, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

static char *put_i64(char *o, int64_t v)
{
    if (v < 0) {
        *o++ = '-';
        return put_u64(o, 0 - (uint64_t)v);
    }
    return put_u64(o, (uint64_t)v);
}

static char *put_hex(char *o, uint64_t v)
{
    char tmp[16];
    size_t n = 0;
    *o++ = '0';
    *o++ = 'x';
    do {
        tmp[n++] = hexdig[v & 15];
        v >>= 4;
    } while (v);
    while (n)
        *o++ = tmp[--n];
    return o;
}

static char *put_dec(char *o, uint32_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        o[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return o + width;
}

/*
 * Shortest decimal digits that read back as v (v finite and > 0): digits in
 * d (no dot), count returned, decimal exponent of the first digit in *e10.
 * as_float: round-trip through float, for Rust's Display of f32.
 */
static int shortest(double v, bool as_float, char d[24], int *e10)
{
    char buf[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        bool same = as_float ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v;
        if (!same && prec < 16)
            continue;
        int n = 0;
        const char *q = buf;
        for (; *q && *q != 'e'; q++)
            if (*q >= '0' && *q <= '9')
                d[n++] = *q;
        *e10 = *q == 'e' ? atoi(q + 1) : 0;
        while (n > 1 && d[n - 1] == '0')
            n--;
        return n;
    }
    return 0;
}

/* serde_json's rendering of an f64 (ryu's layout): 1.0, 0.001, 1e30, 1.5e-7. */
static char *put_f64_json(char *o, double v)
{
    if (v == 0) {
        if (signbit(v))
            *o++ = '-';
        memcpy(o, "0.0", 3);
        return o + 3;
    }
    if (v < 0) {
        *o++ = '-';
        v = -v;
    }
    char d[24];
    int e10, n = shortest(v, false, d, &e10);
    int kk = e10 + 1; /* 10^(kk-1) <= v < 10^kk */
    int k = kk - n;   /* v = digits * 10^k */
    if (k >= 0 && kk <= 16) {
        memcpy(o, d, (size_t)n);
        o += n;
        for (int i = 0; i < k; i++)
            *o++ = '0';
        memcpy(o, ".0", 2);
        return o + 2;
    }
    if (kk > 0 && kk <= 16) {
        memcpy(o, d, (size_t)kk);
        o += kk;
        *o++ = '.';
        memcpy(o, d + kk, (size_t)(n - kk));
        return o + (n - kk);
    }
    if (kk > -5 && kk <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -kk; i++)
            *o++ = '0';
        memcpy(o, d, (size_t)n);
        return o + n;
    }
    *o++ = d[0];
    if (n > 1) {
        *o++ = '.';
        memcpy(o, d + 1, (size_t)(n - 1));
        o += n - 1;
    }
    *o++ = 'e';
    return put_i64(o, kk - 1);
}

/* Rust's Display of a float: shortest digits, never an exponent. */
static char *put_float_display(char *o, double v, bool as_float)
{
    if (isnan(v)) {
        memcpy(o, "NaN", 3);
        return o + 3;
    }
    if (signbit(v)) {
        *o++ = '-';
        v = -v;
    }
    if (isinf(v)) {
        memcpy(o, "inf", 3);
        return o + 3;
    }
    if (v == 0) {
        *o++ = '0';
        return o;
    }
    char d[24];
    int e10, n = shortest(v, as_float, d, &e10);
    int kk = e10 + 1;
    if (kk <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -kk; i++)
            *o++ = '0';
        memcpy(o, d, (size_t)n);
        return o + n;
    }
    if (kk >= n) {
        memcpy(o, d, (size_t)n);
        o += n;
        for (int i = 0; i < kk - n; i++)
            *o++ = '0';
        return o;
    }
    memcpy(o, d, (size_t)kk);
    o += kk;
    *o++ = '.';
    memcpy(o, d + kk, (size_t)(n - kk));
    return o + (n - kk);
}

/* A UTC time split the way chrono prints it. */
struct tm_utc {
    int64_t year;
    unsigned mon, day, hour, min, sec;
    uint32_t nano; /* < 1e9; sec is 60 during a leap second */
};

/* Days since 1970-01-01 to a civil date. */
static void civil(int64_t z, struct tm_utc *t)
{
    yg__civil_from_days(z, &t->year, &t->mon, &t->day);
}

/* FILETIME: 100 ns ticks since 1601; evtx keeps whole microseconds. */
static void filetime_split(uint64_t ft, struct tm_utc *t)
{
    uint64_t us = ft / 10;
    uint64_t secs = us / 1000000u;
    t->nano = (uint32_t)(us % 1000000u) * 1000u;
    uint64_t days = secs / 86400u, sod = secs % 86400u;
    civil((int64_t)days - 134774, t); /* 1601-01-01 is day -134774 */
    t->hour = (unsigned)(sod / 3600);
    t->min = (unsigned)(sod / 60 % 60);
    t->sec = (unsigned)(sod % 60);
}

static bool leap_year(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* SYSTEMTIME: eight u16 fields; chrono rejects impossible dates and times. */
static bool systime_split(const uint8_t *p, struct tm_utc *t)
{
    unsigned y = ld16(p), mo = ld16(p + 2), d = ld16(p + 6), h = ld16(p + 8);
    unsigned mi = ld16(p + 10), s = ld16(p + 12), ms = ld16(p + 14);
    if (!(y | mo | d | h | mi | s | ms)) {
        *t = (struct tm_utc){1601, 1, 1, 0, 0, 0, 0};
        return true;
    }
    static const unsigned char mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1)
        return false;
    if (d > (unsigned)mdays[mo - 1] + (mo == 2 && leap_year(y)))
        return false;
    if (h >= 24 || mi >= 60 || s >= 60 || ms >= 2000 || (ms >= 1000 && s != 59))
        return false;
    t->year = y;
    t->mon = mo;
    t->day = d;
    t->hour = h;
    t->min = mi;
    t->sec = s;
    t->nano = ms * 1000000u;
    if (ms >= 1000) { /* chrono's leap second: shown as second 60 */
        t->sec = 60;
        t->nano -= 1000000000u;
    }
    return true;
}

enum dt_style {
    DT_FIXED6,  /* "%Y-%m-%dT%H:%M:%S%.6fZ": values rendered on their own */
    DT_RFC3339, /* chrono's serde form, fraction of 0/3/6/9 digits: arrays */
    DT_DISPLAY, /* chrono's Display, "... UTC": array values joined as text */
};

static char *put_time(char *o, const struct tm_utc *t, enum dt_style st)
{
    if (t->year >= 0 && t->year <= 9999) {
        o = put_dec(o, (uint32_t)t->year, 4);
    } else {
        *o++ = '+';
        o = put_i64(o, t->year);
    }
    *o++ = '-';
    o = put_dec(o, t->mon, 2);
    *o++ = '-';
    o = put_dec(o, t->day, 2);
    *o++ = st == DT_DISPLAY ? ' ' : 'T';
    o = put_dec(o, t->hour, 2);
    *o++ = ':';
    o = put_dec(o, t->min, 2);
    *o++ = ':';
    o = put_dec(o, t->sec, 2);
    if (st == DT_FIXED6) {
        *o++ = '.';
        o = put_dec(o, t->nano / 1000, 6);
    } else if (t->nano) {
        *o++ = '.';
        if (t->nano % 1000000 == 0)
            o = put_dec(o, t->nano / 1000000, 3);
        else if (t->nano % 1000 == 0)
            o = put_dec(o, t->nano / 1000, 6);
        else
            o = put_dec(o, t->nano, 9);
    }
    if (st == DT_DISPLAY) {
        memcpy(o, " UTC", 4);
        return o + 4;
    }
    *o++ = 'Z';
    return o;
}

static char *put_guid(char *o, const uint8_t *p)
{
    uint32_t d1 = ld32(p);
    for (int i = 7; i >= 0; i--)
        *o++ = hexup[(d1 >> (i * 4)) & 15];
    *o++ = '-';
    for (int k = 0; k < 2; k++) {
        uint32_t w = ld16(p + 4 + 2 * k);
        for (int i = 3; i >= 0; i--)
            *o++ = hexup[(w >> (i * 4)) & 15];
        *o++ = '-';
    }
    for (int i = 8; i < 16; i++) {
        if (i == 10)
            *o++ = '-';
        *o++ = hexup[p[i] >> 4];
        *o++ = hexup[p[i] & 15];
    }
    return o;
}

/*
 * SID: S-revision-authority-sub-sub...  The authority is printed the way
 * the winstructs crate computes it (low 16 bits of the first four bytes
 * XOR the last two, big-endian), which equals the real value for every
 * authority Windows uses (0..5, 15, 16).
 */
static char *put_sid(char *o, const uint8_t *p)
{
    unsigned cnt = p[1];
    uint32_t auth = ((uint32_t)p[4] << 8 | p[5]) ^ ((uint32_t)p[6] << 8 | p[7]);
    *o++ = 'S';
    *o++ = '-';
    o = put_u64(o, p[0]);
    *o++ = '-';
    o = put_u64(o, auth);
    for (unsigned i = 0; i < cnt; i++) {
        *o++ = '-';
        o = put_u64(o, ld32(p + 8 + 4 * i));
    }
    return o;
}

/* ---- values: measuring at compile time --------------------------------- */

/*
 * Bytes a value of type t occupies when read at pos with declared size sz,
 * checking that they are inside the chunk and well formed.  evtx reads a
 * fixed-size type in full whatever the declared size; the caller then moves
 * to max(pos + sz, pos + read), which is what evtx's reader does.
 */
static yg_err measure(struct evtx *x, uint8_t t, uint32_t pos, uint32_t sz, uint32_t *used)
{
    const uint8_t *ck = x->ck;
    uint32_t room = CHUNK_SIZE - pos; /* pos <= CHUNK_SIZE */
    uint32_t fs = fixed_size(t);
    if (fs) {
        if (room < fs)
            return bad(x, "value runs past the chunk");
        if (t == VT_SYSTIME) {
            struct tm_utc tm;
            if (!systime_split(ck + pos, &tm))
                return bad(x, "invalid SYSTEMTIME");
        }
        *used = fs;
        return YG_OK;
    }
    switch (t) {
    case VT_NULL: *used = 0; return YG_OK;
    case VT_STRING:
    case VT_ANSI:
    case VT_BINARY:
        if (room < sz)
            return bad(x, "value runs past the chunk");
        *used = t == VT_STRING ? sz & ~1u : sz;
        return YG_OK;
    case VT_SID:
        if (room < 8 || (room - 8) / 4 < ck[pos + 1])
            return bad(x, "SID runs past the chunk");
        *used = 8u + 4u * ck[pos + 1];
        return YG_OK;
    case VT_EVTHANDLE:
    case VT_EVTXML: return unsupported(x, "EvtHandle/EvtXml values are not rendered");
    }
    /* Arrays: elements are read while fewer than sz bytes have been read. */
    uint8_t et = (uint8_t)(t & ~VT_ARRAY);
    uint32_t n = 0;
    if (et == VT_STRING) {
        while (n < sz) {
            /* NUL-terminated UTF-16 strings, back to back. */
            for (;;) {
                if (room - n < 2)
                    return bad(x, "string array runs past the chunk");
                uint16_t c = ld16(ck + pos + n);
                n += 2;
                if (c == 0)
                    break;
            }
        }
        *used = n;
        return YG_OK;
    }
    uint32_t es = et == VT_SID ? 0 : fixed_size(et);
    if (et == VT_U8)
        es = 1;
    if (!es && et != VT_SID)
        return unsupported(x, "array type not rendered by evtx");
    while (n < sz) {
        uint32_t len = es;
        if (et == VT_SID) {
            if (room - n < 8 || (room - n - 8) / 4 < ck[pos + n + 1])
                return bad(x, "SID array runs past the chunk");
            len = 8u + 4u * ck[pos + n + 1];
        } else if (room - n < es) {
            return bad(x, "array runs past the chunk");
        } else if (et == VT_SYSTIME) {
            struct tm_utc tm;
            if (!systime_split(ck + pos + n, &tm))
                return bad(x, "invalid SYSTEMTIME");
        }
        n += len;
    }
    *used = n;
    return YG_OK;
}

/* ---- compile: tokens to ops --------------------------------------------- */

/*
 * Byte size of a string with a u16 character count.  evtx computes it in
 * 16-bit arithmetic, so counts of 0x8000 and more wrap; doing the same
 * keeps damaged records readable the way evtx_dump reads them.
 */
static inline uint32_t count_bytes(uint16_t count)
{
    return (2u * count) & 0xffffu;
}

static yg_err add_op(struct scope *sc, const struct op *o)
{
    yg_err err = grow((void **)&sc->ops, &sc->capops, sc->nops + 1, sizeof *o, MAX_OPS_PER_SCOPE);
    if (err)
        return err;
    sc->ops[sc->nops++] = *o;
    return YG_OK;
}

/*
 * The name at chunk offset off: a 6-byte link (next offset, hash), a u16
 * character count, the UTF-16 characters and a NUL.  Decoded once per
 * chunk.
 */
static yg_err name_get(struct evtx *x, uint32_t off, uint32_t *idx)
{
    if (off >= CHUNK_SIZE)
        return bad(x, "name offset outside the chunk");
    uint32_t i = x->name_slot[off];
    if (i < x->nnames && x->names[i].off == off) {
        *idx = i;
        return YG_OK;
    }
    if (CHUNK_SIZE - off < 8)
        return bad(x, "name runs past the chunk");
    uint32_t n = count_bytes(ld16(x->ck + off + 6)) / 2;
    if ((CHUNK_SIZE - off - 8) / 2 < n + 1)
        return bad(x, "name runs past the chunk");
    yg_err err =
        grow((void **)&x->names, &x->capnames, x->nnames + 1, sizeof *x->names, CHUNK_SIZE);
    if (err)
        return err;
    size_t start = x->ntext.n;
    if ((err = put_utf16(&x->ntext, x->ck + off + 8, n, true)))
        return err;
    struct name_ent *e = &x->names[x->nnames];
    e->off = off;
    e->text = (uint32_t)start;
    e->len = (uint32_t)(x->ntext.n - start);
    e->hash = hash_bytes(x->ntext.p + start, e->len);
    x->name_slot[off] = x->nnames;
    *idx = x->nnames++;
    return YG_OK;
}

/* A name reference token field: a chunk offset, the name itself following
 * inline when it is defined right here. */
static yg_err name_ref(struct evtx *x, uint32_t *pos, uint32_t *idx)
{
    uint32_t p = *pos;
    if (CHUNK_SIZE - p < 4)
        return bad(x, "name reference runs past the chunk");
    uint32_t off = ld32(x->ck + p);
    p += 4;
    if (off == p) {
        if (CHUNK_SIZE - p < 8)
            return bad(x, "name runs past the chunk");
        uint32_t skip = 10u + count_bytes(ld16(x->ck + p + 6));
        if (CHUNK_SIZE - p < skip)
            return bad(x, "name runs past the chunk");
        p += skip;
    }
    *pos = p;
    return name_get(x, off, idx);
}

/* How a fragment is read. */
enum frag {
    FRAG_RECORD,   /* a record's own stream */
    FRAG_TEMPLATE, /* a template definition */
    FRAG_VALUE,    /* a BinXML value: element starts lack the dependency id */
};

static yg_err compile_tokens(struct evtx *x, struct scope *sc, uint32_t *pos, uint32_t size,
                             bool bounded, enum frag kind, unsigned depth);

/* Compile one fragment into its own op range (ending in OP_END); *pos
 * moves past what was read. */
static yg_err compile_fragment(struct evtx *x, struct scope *sc, uint32_t *pos, uint32_t size,
                               bool bounded, enum frag kind, unsigned depth)
{
    yg_err err = compile_tokens(x, sc, pos, size, bounded, kind, depth);
    if (err)
        return err;
    struct op end = {.kind = OP_END};
    return add_op(sc, &end);
}

/*
 * A template instance: a definition offset (with the definition inline when
 * it is written here for the first time), then value descriptors (u16 size,
 * u8 type, u8 padding) and the values back to back.  BinXML values become
 * fragments of their own, each placed after a jump so the stream skips
 * them; the OP_TEMPLATE op follows them.  They are compiled right away, as
 * evtx reads them: a fragment that reads past its declared size moves the
 * following values along, and a broken one fails the record.
 */
static yg_err compile_instance(struct evtx *x, struct scope *sc, uint32_t *pos, unsigned depth)
{
    const uint8_t *ck = x->ck;
    uint32_t p = *pos;
    yg_err err;
    if (CHUNK_SIZE - p < 9)
        return bad(x, "template instance runs past the chunk");
    uint32_t def = ld32(ck + p + 5);
    p += 9;
    if (def == p) {
        if (CHUNK_SIZE - p < 24)
            return bad(x, "template definition runs past the chunk");
        uint32_t dsize = ld32(ck + p + 20);
        if (CHUNK_SIZE - p - 24 < dsize)
            return bad(x, "template definition runs past the chunk");
        p += 24 + dsize;
    }
    if (CHUNK_SIZE - p < 4)
        return bad(x, "template instance runs past the chunk");
    uint32_t count = ld32(ck + p);
    p += 4;
    if ((CHUNK_SIZE - p) / 4 < count)
        return bad(x, "substitution count exceeds the chunk");
    uint32_t first = sc->nvals;
    if ((err = grow((void **)&sc->vals, &sc->capvals, first + count, sizeof *sc->vals,
                    MAX_OPS_PER_SCOPE)))
        return err;
    sc->nvals = first + count; /* nested instances add theirs after */
    uint32_t desc = p;
    p += 4 * count;
    for (uint32_t i = 0; i < count; i++) {
        uint32_t sz = ld16(ck + desc + 4 * i);
        uint8_t t = ck[desc + 4 * i + 2];
        if (!type_known(t))
            return bad(x, "unknown substitution value type");
        if (t == VT_SIZET) {
            if (sz != 4 && sz != 8)
                return unsupported(x, "SizeT value that is neither 4 nor 8 bytes");
            t = sz == 4 ? VT_HEX32 : VT_HEX64;
        }
        uint32_t used, ops = 0;
        if (t == VT_BINXML) {
            uint32_t jump = sc->nops, q = p;
            struct op j = {.kind = OP_JUMP};
            if ((err = add_op(sc, &j)) ||
                (err = compile_fragment(x, sc, &q, sz, true, FRAG_VALUE, depth + 1)))
                return err;
            sc->ops[jump].a = sc->nops;
            ops = jump + 1;
            used = q - p;
        } else if ((err = measure(x, t, p, sz, &used))) {
            return err;
        }
        sc->vals[first + i] = (struct yv){.p = ck + p, .n = sz, .ops = ops, .t = t};
        uint32_t step = used > sz ? used : sz;
        if (CHUNK_SIZE - p < step)
            return bad(x, "value runs past the chunk");
        p += step;
    }
    struct op o = {.kind = OP_TEMPLATE, .a = def, .b = first, .n = count};
    if ((err = add_op(sc, &o)))
        return err;
    *pos = p;
    return YG_OK;
}

/* A value written in the token stream: a type byte and an unsized value. */
static yg_err compile_value(struct evtx *x, struct scope *sc, uint32_t *pos, unsigned depth)
{
    const uint8_t *ck = x->ck;
    uint32_t p = *pos;
    if (CHUNK_SIZE - p < 1)
        return bad(x, "value runs past the chunk");
    uint8_t t = ck[p++];
    if (!type_known(t))
        return bad(x, "unknown value type");
    struct op o = {.kind = OP_VALUE};
    o.v.t = t;
    o.v.p = ck + p;
    uint32_t fs = fixed_size(t);
    if (t == VT_BINXML) {
        /* An embedded fragment is spliced into the stream, as evtx does. */
        *pos = p;
        return compile_tokens(x, sc, pos, 0, false, FRAG_VALUE, depth + 1);
    } else if (t == VT_STRING) {
        if (CHUNK_SIZE - p < 2)
            return bad(x, "string runs past the chunk");
        uint32_t n = count_bytes(ld16(ck + p));
        p += 2;
        if (CHUNK_SIZE - p < n)
            return bad(x, "string runs past the chunk");
        size_t start = x->ntext.n;
        yg_err err = put_utf16(&x->ntext, ck + p, n / 2, true);
        if (err)
            return err;
        o.v.t = VT_CACHED;
        o.v.ops = (uint32_t)start;
        o.v.n = (uint32_t)(x->ntext.n - start);
        o.v.h = hash_bytes(x->ntext.p + start, o.v.n);
        p += n;
    } else if (t == VT_NULL) {
        o.v.n = 0;
    } else if (fs || t == VT_SID) {
        uint32_t used;
        yg_err err = measure(x, t, p, 0, &used);
        if (err)
            return err;
        o.v.n = used;
        p += used;
    } else {
        return unsupported(x, "unsized value of a type that needs a size");
    }
    *pos = p;
    return add_op(sc, &o);
}

/*
 * Read tokens at *pos until the end-of-stream token or, when bounded, until
 * size bytes are consumed.
 */
static yg_err compile_tokens(struct evtx *x, struct scope *sc, uint32_t *pos, uint32_t size,
                             bool bounded, enum frag kind, unsigned depth)
{
    const uint8_t *ck = x->ck;
    uint32_t start = *pos, p = *pos;
    yg_err err = YG_OK;
    if (depth > YG_MAX_BINXML_DEPTH)
        return bad(x, "BinXML values nested too deeply");
    while (!bounded || p - start < size) {
        if (p >= CHUNK_SIZE)
            return bad(x, "BinXML runs past the chunk");
        uint8_t tok = ck[p++];
        struct op o = {0};
        switch (tok) {
        case 0x00: /* end of stream */ *pos = p; return YG_OK;
        case 0x01:
        case 0x41: { /* open start element */
            bool has_dep = kind != FRAG_VALUE;
            for (int tries = 0;; tries++) {
                uint32_t q = p + (has_dep ? 2 : 0);
                if (CHUNK_SIZE - p < (has_dep ? 6u : 4u))
                    return bad(x, "element runs past the chunk");
                uint32_t data_size = ld32(ck + q);
                /* Some writers omit the dependency identifier where it
                 * belongs; a data size beyond the chunk gives that away.
                 * The size is not otherwise needed, and evtx does not look
                 * at it in template definitions. */
                if (data_size >= CHUNK_SIZE && kind != FRAG_TEMPLATE) {
                    if (!has_dep || tries)
                        return bad(x, "element data size exceeds the chunk");
                    has_dep = false;
                    continue;
                }
                p = q + 4;
                break;
            }
            o.kind = OP_OPEN;
            if ((err = name_ref(x, &p, &o.a)))
                return err;
            if (tok & 0x40) {
                if (CHUNK_SIZE - p < 4)
                    return bad(x, "element runs past the chunk");
                p += 4; /* attribute list size */
            }
            break;
        }
        case 0x02: o.kind = OP_CLOSE_START; break;
        case 0x03: o.kind = OP_CLOSE_EMPTY; break;
        case 0x04: o.kind = OP_CLOSE; break;
        case 0x05:
        case 0x45:
            if ((err = compile_value(x, sc, &p, depth)))
                return err;
            continue;
        case 0x06:
        case 0x46:
            o.kind = OP_ATTR;
            if ((err = name_ref(x, &p, &o.a)))
                return err;
            break;
        case 0x07:
        case 0x47: return unsupported(x, "CDATA section");
        case 0x08:
        case 0x48: return unsupported(x, "character reference");
        case 0x09:
        case 0x49:
            o.kind = OP_ENTITY;
            if ((err = name_ref(x, &p, &o.a)))
                return err;
            break;
        case 0x0a: { /* processing instruction target: alone it is ignored */
            uint32_t unused;
            if ((err = name_ref(x, &p, &unused)))
                return err;
            continue;
        }
        case 0x0b: { /* processing instruction data */
            if (CHUNK_SIZE - p < 2 || CHUNK_SIZE - p - 2 < count_bytes(ld16(ck + p)))
                return bad(x, "processing instruction runs past the chunk");
            p += 2u + count_bytes(ld16(ck + p));
            o.kind = OP_PI_DATA;
            break;
        }
        case 0x0c:
            if ((err = compile_instance(x, sc, &p, depth)))
                return err;
            continue;
        case 0x0d:
        case 0x0e:
            if (CHUNK_SIZE - p < 3)
                return bad(x, "substitution runs past the chunk");
            o.kind = OP_SUBST;
            o.idx = ld16(ck + p);
            if (!type_known(ck[p + 2]))
                return bad(x, "unknown substitution type");
            /* An optional substitution declared NULL is dropped outright. */
            o.ignore = tok == 0x0e && ck[p + 2] == VT_NULL;
            p += 3;
            break;
        case 0x0f: /* fragment header: major, minor, flags */
            if (CHUNK_SIZE - p < 3)
                return bad(x, "fragment header runs past the chunk");
            p += 3;
            continue;
        default: return bad(x, "unknown BinXML token");
        }
        if ((err = add_op(sc, &o)))
            return err;
    }
    *pos = p;
    return YG_OK;
}

/* The compiled ops of the template definition at chunk offset off. */
static yg_err template_get(struct evtx *x, uint32_t off, uint32_t *ops)
{
    if (off >= CHUNK_SIZE)
        return bad(x, "template offset outside the chunk");
    uint32_t i = x->tmpl_slot[off];
    if (i < x->ntmpls && x->tmpls[i].off == off) {
        struct tmpl_ent *e = &x->tmpls[i];
        x->why = e->why;
        *ops = e->ops;
        return e->status;
    }
    yg_err err =
        grow((void **)&x->tmpls, &x->captmpls, x->ntmpls + 1, sizeof *x->tmpls, CHUNK_SIZE);
    if (err)
        return err;
    /* Definition: next offset (4), GUID (16), data size (4), BinXML. */
    uint32_t first = x->tsc.nops;
    if (CHUNK_SIZE - off < 24)
        err = bad(x, "template definition runs past the chunk");
    else {
        uint32_t at = off + 24;
        err = compile_fragment(x, &x->tsc, &at, ld32(x->ck + off + 20), true, FRAG_TEMPLATE, 0);
    }
    if (err == YG_ENOMEM)
        return err;
    if (err)
        x->tsc.nops = first; /* drop the half-compiled ops */
    struct tmpl_ent *e = &x->tmpls[x->ntmpls];
    *e = (struct tmpl_ent){.off = off, .ops = first, .status = err, .why = err ? x->why : NULL};
    x->tmpl_slot[off] = x->ntmpls++;
    *ops = first;
    return err;
}

/* ---- JSON tree ----------------------------------------------------------- */

static inline const char *key_ptr(const struct evtx *x, uint32_t key)
{
    uint32_t off = key & KEY_OFF_MASK;
    switch (key & ~KEY_OFF_MASK) {
    case KEY_NAME: return x->ntext.p + off;
    case KEY_STATIC: return static_keys + off;
    }
    return x->scratch.p + off;
}

static uint32_t mslot_of(const struct evtx *x, int32_t parent, uint32_t kh)
{
    return (kh ^ ((uint32_t)parent * 0x9e3779b1u)) & x->mmask;
}

static void member_index(struct evtx *x, int32_t idx)
{
    const struct jn *n = &x->nodes[idx];
    uint32_t i = mslot_of(x, n->parent, n->khash);
    while (x->mtab[i].gen == x->mgen)
        i = (i + 1) & x->mmask;
    x->mtab[i] = (struct mslot){x->mgen, idx};
}

/*
 * Size the member table for capnodes nodes.  A node can be indexed twice
 * (when renamed to key_N), so four slots per node keep probes short and
 * the table never full.
 */
static yg_err mtab_fit(struct evtx *x)
{
    uint64_t want = 64;
    while (want < (uint64_t)x->capnodes * 4)
        want *= 2;
    if (x->mtab && want <= (uint64_t)x->mmask + 1)
        return YG_OK;
    struct mslot *t = yg_calloc((size_t)want, sizeof *t);
    if (!t)
        return YG_ENOMEM;
    yg_free(x->mtab);
    x->mtab = t;
    x->mmask = (uint32_t)want - 1;
    x->mgen = 1;
    for (uint32_t i = 0; i < x->nnodes; i++)
        if (x->nodes[i].parent >= 0)
            member_index(x, (int32_t)i);
    return YG_OK;
}

/* Forget every member: a new record starts. */
static void mtab_reset(struct evtx *x)
{
    if (++x->mgen == 0) {
        memset(x->mtab, 0, ((size_t)x->mmask + 1) * sizeof *x->mtab);
        x->mgen = 1;
    }
}

static yg_err node_new(struct evtx *x, int32_t *idx)
{
    if (x->nnodes == x->capnodes) {
        yg_err err = grow((void **)&x->nodes, &x->capnodes, x->nnodes + 1, sizeof *x->nodes,
                          MAX_NODES_PER_RECORD);
        if (err || (err = mtab_fit(x)))
            return err;
    }
    struct jn *n = &x->nodes[x->nnodes];
    memset(n, 0, sizeof *n);
    n->first = n->last = n->next = n->parent = -1;
    *idx = (int32_t)x->nnodes++;
    return YG_OK;
}

static void node_append(struct evtx *x, int32_t parent, int32_t child)
{
    struct jn *p = &x->nodes[parent];
    x->nodes[child].next = -1;
    if (p->last >= 0)
        x->nodes[p->last].next = child;
    else
        p->first = child;
    p->last = child;
}

static int32_t find_member(const struct evtx *x, int32_t obj, const char *k, uint32_t kn,
                           uint32_t kh)
{
    for (uint32_t i = mslot_of(x, obj, kh); x->mtab[i].gen == x->mgen; i = (i + 1) & x->mmask) {
        const struct jn *n = &x->nodes[x->mtab[i].node];
        if (n->parent == obj && n->khash == kh && n->klen == kn &&
            !memcmp(key_ptr(x, n->key), k, kn))
            return x->mtab[i].node;
    }
    return -1;
}

/* Make node idx, already keyed, the last member of obj. */
static void member_link(struct evtx *x, int32_t obj, int32_t idx)
{
    x->nodes[idx].parent = obj;
    node_append(x, obj, idx);
    member_index(x, idx);
}

/* Add a member under obj; its value is null until set. */
static yg_err member_add(struct evtx *x, int32_t obj, uint32_t key, uint32_t kn, uint32_t kh,
                         int32_t *idx)
{
    yg_err err = node_new(x, idx);
    if (err)
        return err;
    struct jn *n = &x->nodes[*idx];
    n->key = key;
    n->klen = kn;
    n->khash = kh;
    member_link(x, obj, *idx);
    return YG_OK;
}

/* Give node dst the value of node src (src keeps its key, loses nothing). */
static void node_take_value(struct evtx *x, int32_t dst, int32_t src)
{
    struct jn *d = &x->nodes[dst], *s = &x->nodes[src];
    d->t = s->t;
    d->s = s->s;
    d->slen = s->slen;
    d->first = s->first;
    d->last = s->last;
}

/* Make node idx null.  Members it had leave the tree: the member table
 * must no longer find them under it. */
static void node_set_null(struct evtx *x, int32_t idx)
{
    struct jn *n = &x->nodes[idx];
    if (n->t == JN_OBJ)
        for (int32_t c = n->first; c >= 0; c = x->nodes[c].next)
            x->nodes[c].parent = -1;
    n->t = JN_NULL;
    n->first = n->last = -1;
}

static bool node_is_placeholder(const struct jn *n)
{
    return n->t == JN_NULL || (n->t == JN_OBJ && n->first < 0);
}

/* Append to scratch what expr writes at o, at most max bytes. */
#define SCRATCH_PUT(x, max, expr)                                                                  \
    do {                                                                                           \
        yg_err e_ = yg_buf_reserve(&(x)->scratch, (max));                                          \
        if (e_)                                                                                    \
            return e_;                                                                             \
        char *o = (x)->scratch.p + (x)->scratch.n;                                                 \
        char *end_ = (expr);                                                                       \
        (x)->scratch.n = (size_t)(end_ - (x)->scratch.p);                                          \
    } while (0)

/*
 * Append the text of a scalar (or array element) of type t: its JSON form
 * when json is set (string contents escaped, numbers as literals), else the
 * form evtx's as_cow_str gives, which differs for floats and times.
 */
static yg_err put_scalar_text(struct evtx *x, uint8_t t, const uint8_t *p, uint32_t n, bool json,
                              enum dt_style dts)
{
    struct tm_utc tm;
    switch (t) {
    case VT_NULL: return YG_OK;
    case VT_UTF8: return yg_buf_add(&x->scratch, p, n);
    case VT_STRING: return put_utf16(&x->scratch, p, n / 2, true);
    case VT_ANSI: return put_ansi(&x->scratch, p, n);
    case VT_I8: SCRATCH_PUT(x, 4, put_i64(o, (int8_t)p[0])); return YG_OK;
    case VT_U8: SCRATCH_PUT(x, 3, put_u64(o, p[0])); return YG_OK;
    case VT_I16: SCRATCH_PUT(x, 6, put_i64(o, (int16_t)ld16(p))); return YG_OK;
    case VT_U16: SCRATCH_PUT(x, 5, put_u64(o, ld16(p))); return YG_OK;
    case VT_I32: SCRATCH_PUT(x, 11, put_i64(o, (int32_t)ld32(p))); return YG_OK;
    case VT_U32: SCRATCH_PUT(x, 10, put_u64(o, ld32(p))); return YG_OK;
    case VT_I64: SCRATCH_PUT(x, 20, put_i64(o, (int64_t)ld64(p))); return YG_OK;
    case VT_U64: SCRATCH_PUT(x, 20, put_u64(o, ld64(p))); return YG_OK;
    case VT_R32:
    case VT_R64: {
        double d;
        if (t == VT_R32) {
            float f;
            uint32_t u = ld32(p);
            memcpy(&f, &u, 4);
            d = f;
        } else {
            uint64_t u = ld64(p);
            memcpy(&d, &u, 8);
        }
        if (json)
            SCRATCH_PUT(x, 32, put_f64_json(o, d));
        else
            SCRATCH_PUT(x, 360, put_float_display(o, d, t == VT_R32));
        return YG_OK;
    }
    case VT_BOOL:
        return ld32(p) ? yg_buf_add(&x->scratch, "true", 4) : yg_buf_add(&x->scratch, "false", 5);
    case VT_BINARY: {
        yg_err err = yg_buf_reserve(&x->scratch, (size_t)n * 2);
        if (err)
            return err;
        char *o = x->scratch.p + x->scratch.n;
        for (uint32_t i = 0; i < n; i++) {
            *o++ = hexup[p[i] >> 4];
            *o++ = hexup[p[i] & 15];
        }
        x->scratch.n += (size_t)n * 2;
        return YG_OK;
    }
    case VT_GUID: SCRATCH_PUT(x, 36, put_guid(o, p)); return YG_OK;
    case VT_HEX32: SCRATCH_PUT(x, 10, put_hex(o, ld32(p))); return YG_OK;
    case VT_HEX64: SCRATCH_PUT(x, 18, put_hex(o, ld64(p))); return YG_OK;
    case VT_FILETIME:
        filetime_split(ld64(p), &tm);
        SCRATCH_PUT(x, 48, put_time(o, &tm, dts));
        return YG_OK;
    case VT_SYSTIME:
        systime_split(p, &tm); /* validated when compiled */
        SCRATCH_PUT(x, 48, put_time(o, &tm, dts));
        return YG_OK;
    case VT_SID: SCRATCH_PUT(x, 24 + 11 * (size_t)p[1], put_sid(o, p)); return YG_OK;
    }
    return unsupported(x, "value type not rendered");
}

/* JSON kind of a scalar: strings, raw literals (numbers, booleans), null. */
static uint8_t scalar_kind(uint8_t t, const uint8_t *p)
{
    switch (t) {
    case VT_NULL: return JN_NULL;
    case VT_I8:
    case VT_U8:
    case VT_I16:
    case VT_U16:
    case VT_I32:
    case VT_U32:
    case VT_I64:
    case VT_U64:
    case VT_BOOL: return JN_RAW;
    case VT_R32: {
        float f;
        uint32_t u = ld32(p);
        memcpy(&f, &u, 4);
        return isfinite(f) ? JN_RAW : JN_NULL; /* serde_json: NaN is null */
    }
    case VT_R64: {
        double d;
        uint64_t u = ld64(p);
        memcpy(&d, &u, 8);
        return isfinite(d) ? JN_RAW : JN_NULL;
    }
    }
    return JN_STR;
}

/* Size of one array element at p (arrays were measured when compiled). */
static uint32_t elem_size(uint8_t et, const uint8_t *p)
{
    if (et == VT_SID)
        return 8u + 4u * p[1];
    if (et == VT_STRING) {
        uint32_t n = 0;
        while (ld16(p + n))
            n += 2;
        return n + 2;
    }
    return et == VT_U8 ? 1 : fixed_size(et);
}

/* Set node idx to the JSON form of v. */
static yg_err node_set_value(struct evtx *x, int32_t idx, const struct yv *v)
{
    yg_err err = YG_OK;
    x->nodes[idx].first = x->nodes[idx].last = -1;
    if (is_array(v->t)) {
        uint8_t et = (uint8_t)(v->t & ~VT_ARRAY);
        x->nodes[idx].t = JN_ARR;
        for (uint32_t off = 0; off < v->n;) {
            const uint8_t *ep = v->p + off;
            uint32_t es = elem_size(et, ep);
            int32_t c;
            if ((err = node_new(x, &c)))
                return err;
            struct jn *n = &x->nodes[c];
            n->t = et == VT_STRING ? JN_STR : scalar_kind(et, ep);
            n->s = (uint32_t)x->scratch.n;
            if (et == VT_STRING)
                err = put_utf16(&x->scratch, ep, es / 2, false);
            else if (n->t != JN_NULL)
                err = put_scalar_text(x, et, ep, es, true, DT_RFC3339);
            if (err)
                return err;
            n = &x->nodes[c];
            n->slen = (uint32_t)(x->scratch.n - n->s);
            node_append(x, idx, c);
            off += es;
        }
        return YG_OK;
    }
    uint8_t k = scalar_kind(v->t, v->p);
    uint32_t s = (uint32_t)x->scratch.n;
    if (v->t == VT_CACHED)
        err = yg_buf_add(&x->scratch, x->ntext.p + v->ops, v->n);
    else if (k != JN_NULL)
        err = put_scalar_text(x, v->t, v->p, v->n, true, DT_FIXED6);
    if (err)
        return err;
    struct jn *n = &x->nodes[idx];
    n->t = k;
    n->s = s;
    n->slen = (uint32_t)(x->scratch.n - s);
    return YG_OK;
}

/* Append v as text (evtx's as_cow_str): arrays are joined with commas. */
static yg_err put_value_text(struct evtx *x, const struct yv *v)
{
    if (v->t == VT_CACHED)
        return yg_buf_add(&x->scratch, x->ntext.p + v->ops, v->n);
    if (!is_array(v->t))
        return put_scalar_text(x, v->t, v->p, v->n, false, DT_FIXED6);
    uint8_t et = (uint8_t)(v->t & ~VT_ARRAY);
    yg_err err;
    for (uint32_t off = 0; off < v->n;) {
        const uint8_t *ep = v->p + off;
        uint32_t es = elem_size(et, ep);
        if (off && (err = yg_buf_addc(&x->scratch, ',')))
            return err;
        if (et == VT_STRING)
            err = put_utf16(&x->scratch, ep, es / 2, false);
        else
            err = put_scalar_text(x, et, ep, es, false, DT_DISPLAY);
        if (err)
            return err;
        off += es;
    }
    return YG_OK;
}

/*
 * Resolve the open elements to nodes, creating what is missing the way
 * evtx's get_or_create_current_path does: a missing key becomes an empty
 * object, a null becomes an object, and a non-object value (text) is pushed
 * down under the key being looked for.
 */
static yg_err path_resolve(struct evtx *x, int32_t *out)
{
    int32_t v = 0;
    yg_err err;
    for (uint32_t i = 0; i < x->depth; i++) {
        struct frame *f = &x->stack[i];
        if (f->node >= 0 && !x->stale) {
            v = f->node;
            continue;
        }
        const char *k = key_ptr(x, f->key);
        int32_t c = x->nodes[v].t == JN_OBJ ? find_member(x, v, k, f->klen, f->khash) : -1;
        if (c < 0) {
            struct jn *n = &x->nodes[v];
            if (n->t == JN_OBJ || n->t == JN_NULL) {
                if (n->t == JN_NULL) {
                    n->t = JN_OBJ;
                    n->first = n->last = -1;
                }
                if ((err = member_add(x, v, f->key, f->klen, f->khash, &c)))
                    return err;
                x->nodes[c].t = JN_OBJ;
            } else {
                /* v holds text (or a number, an array): it becomes an object
                 * whose only member, under the key sought, is that value. */
                if ((err = node_new(x, &c)))
                    return err;
                struct jn *m = &x->nodes[c];
                m->key = f->key;
                m->klen = f->klen;
                m->khash = f->khash;
                node_take_value(x, c, v);
                n = &x->nodes[v];
                n->t = JN_OBJ;
                n->first = n->last = -1;
                member_link(x, v, c);
            }
        }
        f->node = c;
        v = c;
    }
    *out = v;
    return YG_OK;
}

static int32_t parent_node(const struct evtx *x)
{
    return x->depth >= 2 ? x->stack[x->depth - 2].node : 0;
}

static yg_err frame_push(struct evtx *x, uint32_t key, uint32_t kn, uint32_t kh)
{
    if (x->depth >= YG_MAX_BINXML_DEPTH)
        return bad(x, "elements nested too deeply");
    x->stack[x->depth++] = (struct frame){key, kn, kh, -1};
    return YG_OK;
}

/*
 * The value held under key in obj is about to be replaced by a new element
 * of the same name: keep it as key_1 (or the first free key_N), evtx's way
 * of representing repeated elements.
 */
static yg_err move_to_free_slot(struct evtx *x, int32_t obj, int32_t cur, int32_t *out)
{
    uint32_t kn = x->nodes[cur].klen, key = x->nodes[cur].key, kh = x->nodes[cur].khash;
    yg_err err;
    for (uint32_t slot = 1;; slot++) {
        size_t start = x->scratch.n;
        if ((err = yg_buf_reserve(&x->scratch, kn + 12)))
            return err;
        memcpy(x->scratch.p + start, key_ptr(x, key), kn);
        char *o = x->scratch.p + start + kn;
        *o++ = '_';
        o = put_u64(o, slot);
        uint32_t sn = (uint32_t)(o - (x->scratch.p + start));
        x->scratch.n = start + sn;
        uint32_t sh = hash_bytes(x->scratch.p + start, sn);
        if (find_member(x, obj, x->scratch.p + start, sn, sh) >= 0) {
            x->scratch.n = start;
            continue;
        }
        /* The old node, with its subtree, is renamed and goes last; a new
         * null node takes its key and its place. */
        int32_t fresh;
        if ((err = node_new(x, &fresh)))
            return err;
        struct jn *f = &x->nodes[fresh], *c = &x->nodes[cur];
        f->key = key;
        f->klen = kn;
        f->khash = kh;
        f->parent = obj;
        f->next = c->next;
        struct jn *o_ = &x->nodes[obj];
        if (o_->first == cur) {
            o_->first = fresh;
        } else {
            int32_t pr = o_->first;
            while (x->nodes[pr].next != cur)
                pr = x->nodes[pr].next;
            x->nodes[pr].next = fresh;
        }
        if (o_->last == cur)
            o_->last = fresh;
        member_index(x, fresh);
        c->key = KEY_SCRATCH | (uint32_t)start;
        c->klen = sn;
        c->khash = sh;
        member_link(x, obj, cur);
        for (uint32_t i = 0; i < x->depth; i++)
            if (x->stack[i].node == cur)
                x->stack[i].node = fresh;
        *out = fresh;
        return YG_OK;
    }
}

/* An element filed under key with no attributes (or a Data Name key). */
static yg_err open_plain(struct evtx *x, uint32_t key, uint32_t kn, uint32_t kh)
{
    yg_err err;
    int32_t cur;
    if ((err = frame_push(x, key, kn, kh)) || (err = path_resolve(x, &cur)))
        return err;
    if (node_is_placeholder(&x->nodes[cur])) {
        node_set_null(x, cur);
        return YG_OK;
    }
    return move_to_free_slot(x, parent_node(x), cur, &cur);
}

static yg_err open_with_attrs(struct evtx *x, uint32_t name)
{
    const struct name_ent *ne = &x->names[name];
    yg_err err;
    int32_t attrs = -1, cur;
    /* Attributes whose value is null are left out. */
    for (uint32_t i = 0; i < x->nattrs; i++) {
        const struct attr *a = &x->attrs[i];
        uint8_t k = is_array(a->v.t) ? JN_ARR : scalar_kind(a->v.t, a->v.p);
        if (k == JN_NULL)
            continue;
        if (attrs < 0) {
            if ((err = node_new(x, &attrs)))
                return err;
            struct jn *m = &x->nodes[attrs];
            m->t = JN_OBJ;
            m->key = SK_ATTRS;
            m->klen = SK_ATTRS_LEN;
            m->khash = hash_bytes("#attributes", SK_ATTRS_LEN);
        }
        const struct name_ent *an = &x->names[a->name];
        int32_t m = find_member(x, attrs, x->ntext.p + an->text, an->len, an->hash);
        if (m < 0 && (err = member_add(x, attrs, KEY_NAME | an->text, an->len, an->hash, &m)))
            return err;
        if ((err = node_set_value(x, m, &a->v)))
            return err;
    }
    if ((err = frame_push(x, KEY_NAME | ne->text, ne->len, ne->hash)) ||
        (err = path_resolve(x, &cur)))
        return err;
    if (attrs < 0) {
        node_set_null(x, cur);
        return YG_OK;
    }
    /* Only an object that is already there is kept (as key_N). */
    const struct jn *c = &x->nodes[cur];
    if (c->t == JN_OBJ && c->first >= 0 && (err = move_to_free_slot(x, parent_node(x), cur, &cur)))
        return err;
    struct jn *n = &x->nodes[cur];
    n->t = JN_OBJ;
    n->first = n->last = -1;
    member_link(x, cur, attrs);
    return YG_OK;
}

static bool name_is(const struct evtx *x, uint32_t name, const char *s, size_t n)
{
    const struct name_ent *e = &x->names[name];
    return e->len == n && !memcmp(x->ntext.p + e->text, s, n);
}

/* A start tag is complete: file the element into the tree. */
static yg_err json_open(struct evtx *x)
{
    uint32_t name = x->eb_name;
    if (name_is(x, name, "Data", 4)) {
        /* <Data Name="X">: keyed by X, other attributes dropped. */
        for (uint32_t i = 0; i < x->nattrs; i++) {
            if (!name_is(x, x->attrs[i].name, "Name", 4))
                continue;
            const struct yv *nv = &x->attrs[i].v;
            if (nv->t == VT_CACHED) /* the usual case: a string of the template */
                return open_plain(x, KEY_NAME | nv->ops, nv->n, nv->h);
            size_t start = x->scratch.n;
            yg_err err = put_value_text(x, &x->attrs[i].v);
            if (err)
                return err;
            uint32_t kn = (uint32_t)(x->scratch.n - start);
            return open_plain(x, KEY_SCRATCH | (uint32_t)start, kn,
                              hash_bytes(x->scratch.p + start, kn));
        }
        /* Without a Name the element is only noted on the path; its text
         * lands in "Data": {"#text": ...}. */
        return frame_push(x, SK_DATA, SK_DATA_LEN, hash_bytes("Data", 4));
    }
    if (!x->nattrs) {
        const struct name_ent *ne = &x->names[name];
        return open_plain(x, KEY_NAME | ne->text, ne->len, ne->hash);
    }
    return open_with_attrs(x, name);
}

static yg_err json_close(struct evtx *x)
{
    if (!x->depth)
        return bad(x, "end tag without an open element");
    x->depth--;
    return YG_OK;
}

/* Text inside the innermost open element. */
static yg_err json_text(struct evtx *x, const struct yv *v)
{
    int32_t cur;
    yg_err err;
    if ((err = path_resolve(x, &cur)))
        return err;
    struct jn *n = &x->nodes[cur];
    switch (n->t) {
    case JN_NULL: return node_set_value(x, cur, v);
    case JN_OBJ: {
        int32_t t = find_member(x, cur, "#text", SK_TEXT_LEN, hash_bytes("#text", SK_TEXT_LEN));
        if (t < 0) {
            if ((err = member_add(x, cur, SK_TEXT, SK_TEXT_LEN, hash_bytes("#text", SK_TEXT_LEN),
                                  &t)))
                return err;
            return node_set_value(x, t, v);
        }
        uint8_t tt = x->nodes[t].t;
        if (tt == JN_NULL)
            return node_set_value(x, t, v);
        if (tt == JN_ARR) {
            int32_t e;
            if ((err = node_new(x, &e)) || (err = node_set_value(x, e, v)))
                return err;
            node_append(x, t, e);
            return YG_OK;
        }
        if (tt != JN_STR)
            return unsupported(x, "text after a non-string #text");
        /* A second text: "#text" becomes [first, second].  evtx removes the
         * key with swap_remove (the last member takes its place) and adds
         * it back at the end. */
        int32_t prev_text, e, arr;
        if ((err = node_new(x, &prev_text)) || (err = node_new(x, &e)) ||
            (err = node_set_value(x, e, v)) || (err = node_new(x, &arr)))
            return err;
        node_take_value(x, prev_text, t);
        struct jn *o = &x->nodes[cur];
        int32_t before = -1, last = o->last;
        for (int32_t c = o->first; c != t; c = x->nodes[c].next)
            before = c;
        if (last == t) {
            if (before < 0)
                o->first = -1;
            else
                x->nodes[before].next = -1;
            o->last = before;
        } else {
            /* The last member moves into the removed one's place. */
            int32_t pl = t;
            while (x->nodes[pl].next != last)
                pl = x->nodes[pl].next;
            if (pl == t) {
                o->last = last;
            } else {
                x->nodes[pl].next = -1;
                o->last = pl;
                x->nodes[last].next = x->nodes[t].next;
            }
            if (before < 0)
                o->first = last;
            else
                x->nodes[before].next = last;
            if (pl == t)
                x->nodes[last].next = -1;
        }
        struct jn *a = &x->nodes[arr];
        a->key = SK_TEXT;
        a->klen = SK_TEXT_LEN;
        a->khash = hash_bytes("#text", SK_TEXT_LEN);
        a->t = JN_ARR;
        node_append(x, arr, prev_text);
        node_append(x, arr, e);
        x->nodes[t].parent = -1; /* out of the tree: no longer found */
        member_link(x, cur, arr);
        x->stale = true;
        return YG_OK;
    }
    case JN_STR: {
        /* Text after text is concatenated. */
        size_t start = x->scratch.n;
        struct jn old = *n;
        if ((err = yg_buf_reserve(&x->scratch, old.slen)))
            return err;
        memcpy(x->scratch.p + start, x->scratch.p + old.s, old.slen);
        x->scratch.n += old.slen;
        if ((err = put_value_text(x, v)))
            return err;
        n = &x->nodes[cur];
        n->s = (uint32_t)start;
        n->slen = (uint32_t)(x->scratch.n - start);
        return YG_OK;
    }
    case JN_ARR: {
        int32_t e;
        if ((err = node_new(x, &e)) || (err = node_set_value(x, e, v)))
            return err;
        node_append(x, cur, e);
        return YG_OK;
    }
    }
    return unsupported(x, "text after a number");
}

/* ---- expand: run the ops ------------------------------------------------- */

/* A value token: an attribute's value inside a start tag, else text. */
static yg_err model_value(struct evtx *x, const struct yv *v)
{
    if (x->eb_open) {
        /* A value with no attribute name waiting is dropped, as Windows
         * does. */
        if (!x->eb_pending)
            return YG_OK;
        yg_err err = grow((void **)&x->attrs, &x->capattrs, x->nattrs + 1, sizeof *x->attrs,
                          MAX_NODES_PER_RECORD);
        if (err)
            return err;
        x->attrs[x->nattrs++] = (struct attr){x->eb_attr, *v};
        x->eb_pending = false;
        return YG_OK;
    }
    return json_text(x, v);
}

/* &name; as text: the five XML entities and numeric character references. */
static yg_err entity_text(struct evtx *x, uint32_t name)
{
    const struct name_ent *e = &x->names[name];
    const char *s = x->ntext.p + e->text;
    static const struct {
        const char *name, *text;
    } ents[] = {{"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"apos", "'"}, {"quot", "\\\""}};
    struct yv v = {.t = VT_UTF8};
    char buf[8];
    for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
        if (strlen(ents[i].name) == e->len && !memcmp(s, ents[i].name, e->len)) {
            v.p = (const uint8_t *)ents[i].text;
            v.n = (uint32_t)strlen(ents[i].text);
            return json_text(x, &v);
        }
    }
    if (e->len >= 2 && s[0] == '#') {
        bool hex = s[1] == 'x';
        uint32_t cp = 0, i = hex ? 2 : 1;
        if (i >= e->len)
            return bad(x, "unknown entity reference");
        for (; i < e->len; i++) {
            unsigned c = (unsigned char)s[i], d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
                d = (c | 0x20) - 'a' + 10;
            else
                return bad(x, "unknown entity reference");
            cp = cp * (hex ? 16 : 10) + d;
            if (cp > 0x10ffff)
                return bad(x, "character reference out of range");
        }
        if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
            return bad(x, "character reference out of range");
        v.p = (const uint8_t *)buf;
        v.n = (uint32_t)(put_cp(buf, cp) - buf);
        return json_text(x, &v);
    }
    return bad(x, "unknown entity reference");
}

static yg_err expand(struct evtx *x, const struct scope *sc, uint32_t i, const struct subst *sub,
                     unsigned depth)
{
    yg_err err = YG_OK;
    if (depth > YG_MAX_BINXML_DEPTH)
        return bad(x, "templates nested too deeply");
    for (;;) {
        if (++x->work > MAX_OPS_PER_RECORD)
            return bad(x, "record expands to too much BinXML");
        /* Copied: compiling a template on first use may move sc->ops. */
        struct op o = sc->ops[i++];
        switch (o.kind) {
        case OP_END: return YG_OK;
        case OP_JUMP: i = o.a; break;
        case OP_OPEN:
            x->eb_open = true;
            x->eb_pending = false;
            x->eb_name = o.a;
            x->nattrs = 0;
            break;
        case OP_ATTR:
            if (!x->eb_open)
                return bad(x, "attribute outside a start tag");
            x->eb_attr = o.a;
            x->eb_pending = true;
            break;
        case OP_CLOSE_START:
        case OP_CLOSE_EMPTY:
            if (!x->eb_open)
                return bad(x, "start tag closed twice");
            x->eb_open = false;
            if ((err = json_open(x)))
                return err;
            if (o.kind == OP_CLOSE_EMPTY && (err = json_close(x)))
                return err;
            break;
        case OP_CLOSE:
            if ((err = json_close(x)))
                return err;
            break;
        case OP_VALUE:
            if ((err = model_value(x, &o.v)))
                return err;
            break;
        case OP_SUBST: {
            if (!sub)
                return bad(x, "substitution outside a template");
            if (o.ignore)
                break;
            /* Each value is handed out once; asking again yields null. */
            struct yv v = {.t = VT_NULL};
            if (o.idx < sub->count && !x->used[sub->used + o.idx]) {
                x->used[sub->used + o.idx] = 1;
                v = sub->sc->vals[sub->first + o.idx];
            }
            if (v.t == VT_BINXML)
                err = expand(x, sub->sc, v.ops, NULL, depth + 1);
            else
                err = model_value(x, &v);
            if (err)
                return err;
            break;
        }
        case OP_ENTITY:
            if ((err = entity_text(x, o.a)))
                return err;
            break;
        case OP_TEMPLATE: {
            uint32_t ops;
            if ((err = template_get(x, o.a, &ops)))
                return err;
            struct subst s = {sc, o.b, o.n, x->nused};
            if ((err = grow((void **)&x->used, &x->capused, x->nused + o.n, 1, UINT32_MAX / 2)))
                return err;
            if (o.n) {
                memset(x->used + x->nused, 0, o.n);
                x->nused += o.n;
            }
            err = expand(x, &x->tsc, ops, &s, depth + 1);
            x->nused = s.used;
            if (err)
                return err;
            break;
        }
        case OP_PI_DATA: return unsupported(x, "processing instruction");
        }
    }
}

/* ---- serialise ------------------------------------------------------------ */

/* Write node idx as JSON at o; room was reserved by serialise(). */
static char *ser(const struct evtx *x, int32_t idx, char *o)
{
    const struct jn *n = &x->nodes[idx];
    switch (n->t) {
    case JN_NULL: memcpy(o, "null", 4); return o + 4;
    case JN_RAW: memcpy(o, x->scratch.p + n->s, n->slen); return o + n->slen;
    case JN_STR:
        *o++ = '"';
        memcpy(o, x->scratch.p + n->s, n->slen);
        o += n->slen;
        *o++ = '"';
        return o;
    }
    bool obj = n->t == JN_OBJ;
    *o++ = obj ? '{' : '[';
    for (int32_t c = n->first; c >= 0; c = x->nodes[c].next) {
        const struct jn *m = &x->nodes[c];
        if (c != n->first)
            *o++ = ',';
        if (obj) {
            *o++ = '"';
            memcpy(o, key_ptr(x, m->key), m->klen);
            o += m->klen;
            *o++ = '"';
            *o++ = ':';
        }
        o = ser(x, c, o);
    }
    *o++ = obj ? '}' : ']';
    return o;
}

/* The record's JSON into evtx.out, reserved once: every node written costs
 * at most its key, its text and eight bytes of punctuation. */
static yg_err serialise(struct evtx *x)
{
    size_t need = 8;
    for (uint32_t i = 0; i < x->nnodes; i++)
        need += (size_t)x->nodes[i].klen + x->nodes[i].slen + 8;
    yg_err err = yg_buf_reserve(&x->out, need);
    if (err)
        return err;
    char *end = ser(x, 0, x->out.p);
    x->out.n = (size_t)(end - x->out.p);
    return YG_OK;
}

/* ---- records and chunks ---------------------------------------------------- */

static void report(struct evtx *x, uint64_t off, const char *fmt, ...) YG_PRINTF(3, 4);

static void report(struct evtx *x, uint64_t off, const char *fmt, ...)
{
    if (!x->diag)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    x->diag(x->ud, off, x->msg);
}

/* Render the record at chunk offset pos (size bytes, checked by caller). */
static yg_err render_record(struct evtx *x, uint32_t pos, uint32_t size)
{
    yg_err err;
    x->rsc.nops = x->rsc.nvals = 0;
    yg_buf_reset(&x->scratch);
    yg_buf_reset(&x->out);
    x->nnodes = 0;
    if (x->mtab)
        mtab_reset(x);
    x->depth = 0;
    x->stale = false;
    x->eb_open = x->eb_pending = false;
    x->nattrs = x->nused = x->work = 0;
    x->why = NULL;
    int32_t root;
    if ((err = node_new(x, &root)))
        return err;
    x->nodes[root].t = JN_OBJ;
    uint32_t at = pos + RECORD_HEADER_SIZE;
    if ((err = compile_fragment(x, &x->rsc, &at, size - 28u, true, FRAG_RECORD, 0)))
        return err;
    if ((err = expand(x, &x->rsc, 0, NULL, 0)))
        return err;
    if (x->depth)
        return bad(x, "record ends inside an element");
    return serialise(x);
}

/*
 * Whether a record header at pos is usable: signature, and a size that
 * holds a header and stays in the chunk.  The copy of the size at the end
 * is not required (evtx_dump ignores it) except when looking for the next
 * record after a bad one, where it tells real records from stray bytes.
 */
static bool record_ok(const uint8_t *ck, uint32_t pos, uint32_t end, bool strict)
{
    if (CHUNK_SIZE - pos < 28 || memcmp(ck + pos, "\x2a\x2a\0\0", 4))
        return false;
    uint32_t size = ld32(ck + pos + 4);
    if (size < 28 || size > CHUNK_SIZE - pos)
        return false;
    return !strict || (size <= end - pos && ld32(ck + pos + size - 4) == size);
}

static yg_err chunk_records(struct evtx *x)
{
    const uint8_t *ck = x->ck;
    uint32_t free_off = ld32(ck + 48);
    uint64_t last_id = ld64(ck + 32);
    x->nnames = x->ntmpls = 0;
    x->tsc.nops = x->tsc.nvals = 0;
    yg_buf_reset(&x->ntext);
    uint32_t pos = CHUNK_HEADER_SIZE;
    while (pos < free_off) {
        uint64_t roff = x->ck_off + pos;
        if (!record_ok(ck, pos, free_off, false)) {
            report(x, roff, "evtx: record at chunk offset %u has a bad signature or size", pos);
            /* Records are 8-byte aligned: look for the next sound one. */
            uint32_t next = pos + 8;
            while (next < free_off && !record_ok(ck, next, free_off, true))
                next += 8;
            pos = next;
            continue;
        }
        uint32_t size = ld32(ck + pos + 4);
        uint64_t id = ld64(ck + pos + 8);
        yg_err err = render_record(x, pos, size);
        if (err == YG_ENOMEM)
            return err;
        if (err == YG_OK) {
            if (x->rec)
                x->rec(x->ud, id, x->out.p, x->out.n);
        } else {
            report(x, roff, "evtx: record %llu skipped: %s", (unsigned long long)id,
                   x->why ? x->why : yg_strerror(err));
        }
        pos += size;
        /* evtx_dump stops at the chunk's last record: what follows is
         * space left over from older records. */
        if (id == last_id)
            break;
    }
    return YG_OK;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* Check a chunk's signature and checksums, then read its records. */
static yg_err chunk(struct evtx *x, const uint8_t *ck, uint64_t off, uint64_t number)
{
    x->ck = ck;
    x->ck_off = off;
    if (memcmp(ck, "ElfChnk", 8)) {
        /* Preallocated files end in zeroed chunks: nothing to report. */
        if (!all_zero(ck, CHUNK_SIZE))
            report(x, off, "evtx: chunk %llu skipped: bad signature", (unsigned long long)number);
        return YG_OK;
    }
    uint32_t flags = ld32(ck + 120);
    uint32_t free_off = ld32(ck + 48);
    if (!(flags & 4)) { /* flag 4: the writer kept no checksums */
        uLong crc = crc32(0, ck, 120);
        crc = crc32(crc, ck + 128, CHUNK_HEADER_SIZE - 128);
        if ((uint32_t)crc != ld32(ck + 124)) {
            report(x, off, "evtx: chunk %llu skipped: header CRC32 mismatch",
                   (unsigned long long)number);
            return YG_OK;
        }
    }
    if (free_off < CHUNK_HEADER_SIZE || free_off > CHUNK_SIZE) {
        report(x, off, "evtx: chunk %llu skipped: free space offset %u out of range",
               (unsigned long long)number, free_off);
        return YG_OK;
    }
    if (!(flags & 4)) {
        uLong crc = crc32(0, ck + CHUNK_HEADER_SIZE, free_off - CHUNK_HEADER_SIZE);
        if ((uint32_t)crc != ld32(ck + 52)) {
            report(x, off, "evtx: chunk %llu skipped: records CRC32 mismatch",
                   (unsigned long long)number);
            return YG_OK;
        }
    }
    return chunk_records(x);
}

static void evtx_free(struct evtx *x)
{
    yg_free(x->name_slot);
    yg_free(x->tmpl_slot);
    yg_free(x->names);
    yg_free(x->tmpls);
    yg_buf_free(&x->ntext);
    yg_free(x->tsc.ops);
    yg_free(x->tsc.vals);
    yg_free(x->rsc.ops);
    yg_free(x->rsc.vals);
    yg_buf_free(&x->scratch);
    yg_free(x->nodes);
    yg_free(x->mtab);
    yg_free(x->attrs);
    yg_free(x->used);
    yg_buf_free(&x->out);
}

yg_err yg_evtx_parse(const uint8_t *data, size_t len, yg_evtx_record_fn rec, yg_evtx_diag_fn diag,
                     void *ud)
{
    if (!data && len)
        return YG_EINVAL;
    if (len > YG_MAX_EVTX_BYTES)
        return YG_ELIMIT;
    if (len < 8 || memcmp(data, "ElfFile", 8))
        return YG_ESYNTAX;
    if (len < FILE_HEADER_SIZE)
        return YG_ECORRUPT;

    yg_err err = YG_OK;
    struct evtx x;
    memset(&x, 0, sizeof x);
    x.rec = rec;
    x.diag = diag;
    x.ud = ud;
    yg_buf_init(&x.ntext, MAX_NAME_TEXT);
    yg_buf_init(&x.scratch, YG_MAX_EVENT_BYTES);
    yg_buf_init(&x.out, YG_MAX_EVENT_BYTES);
    x.name_slot = yg_malloc(CHUNK_SIZE * sizeof *x.name_slot);
    x.tmpl_slot = yg_malloc(CHUNK_SIZE * sizeof *x.tmpl_slot);
    if (!x.name_slot || !x.tmpl_slot) {
        err = YG_ENOMEM;
        goto done;
    }
    /* Slots are validated against their entry, but must not be read
     * uninitialised. */
    memset(x.name_slot, 0xff, CHUNK_SIZE * sizeof *x.name_slot);
    memset(x.tmpl_slot, 0xff, CHUNK_SIZE * sizeof *x.tmpl_slot);

    /* The header's checksum covers its first 120 bytes.  evtx_dump does not
     * check it; a mismatch is worth a note, the chunks carry their own. */
    if ((uint32_t)crc32(0, data, 120) != ld32(data + 124))
        report(&x, 0, "evtx: file header CRC32 mismatch");

    /* Every whole chunk up to the end of the file is read, not just the
     * header's chunk count: a "dirty" file (not closed cleanly) has valid
     * chunks past it, and evtx_dump reads them too. */
    size_t off = FILE_HEADER_SIZE;
    uint64_t number = 0;
    for (; len - off >= CHUNK_SIZE; off += CHUNK_SIZE, number++)
        YG_TRY(chunk(&x, data + off, off, number));
    if (len > off && len - off >= 8 && !memcmp(data + off, "ElfChnk", 8))
        report(&x, off, "evtx: chunk %llu skipped: truncated (%zu of %u bytes)",
               (unsigned long long)number, len - off, CHUNK_SIZE);
done:
    evtx_free(&x);
    return err;
}
