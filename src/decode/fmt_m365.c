/*
 * fmt_m365.c - Microsoft 365 Unified Audit Log records, and the JSON
 * flattener the Microsoft cloud decoders share (see fmt_m365.h).
 *
 * Input: one audit record per line, as the Office 365 Management Activity
 * API returns them (`CreationTime`, `Id`, `Operation`, `RecordType`,
 * `Workload`, `UserId`, `ClientIP`, `Parameters`, `ExtendedProperties`, ...),
 * as Microsoft Sentinel's OfficeActivity table exports them (`OfficeWorkload`,
 * `Client_IPAddress`, nested values as JSON strings), or with the keys
 * lowercased as some pipelines store them.
 *
 * Output: every field of the record under its dotted path, the pairs of
 * `Parameters` and the other {Name, Value} arrays as `Parameters.<Name>`,
 * and the names SigmaHQ's m365 rules use where the record has no field of
 * that name:
 *
 *   eventSource  the workload (Workload, or OfficeWorkload)
 *   eventName    the operation; for alert records also the alert's Name
 *   status       ResultStatus as `success` / `failure` (Succeeded, Success,
 *                True / Failed, Failure, False), other values as written;
 *                alert records (they report an alert that fired) `success`
 *   Payload      the whole record as received
 *   ClientIP     also from Client_IPAddress, ClientIPAddress, ActorIpAddress
 *   <Name>       each ExtendedProperties pair at the top level when the
 *                record has no field of that name (RequestType, UserAgent)
 *   UserDomain   `@<domain>` and `.<domain>` of UserId, for comparing an
 *                address with the acting user's domain (`fieldref|endswith`)
 *
 * Log source: product m365; service `exchange` for the Exchange workload,
 * `threat_management` for alert records (`threat_detection` when the
 * alert's Category is ThreatDetection), `audit` for every other workload.
 */
#include "decode/fmt_m365.h"

#include "core/jsonstr.h"
#include "core/utf8.h"
#include "decode/json.h"

/* ==== the flattener ===================================================== */

/* Keys that make an object a pair: one name key and value keys. */
enum { PK_NONE = 0, PK_NAME = 1, PK_VALUE = 2, PK_NEW = 3, PK_OLD = 4 };

/* Embedded JSON documents are flattened this many string levels deep. */
#define EMBED_DEPTH 2

struct path {
    int32_t parent, first_child, next_sibling;
    uint64_t kids;               /* key_bit of every child's key */
    uint32_t name_off, name_len; /* dotted name in c->names */
    uint32_t key_off, key_len;   /* the last key, inside the dotted name */
    int32_t field;               /* output field of the path's leaves, -1 */
    int32_t pend;                /* pending pair element (path as container), -1 */
    uint8_t pk;                  /* PK_* of the key */
};

/* The pair element being read inside one container. */
struct pend {
    int32_t container;
    uint8_t seen; /* 1 << PK_* of the keys met in this element */
    uint8_t has;  /* 1 << PK_* of the leaves stored below */
    struct yg_val v[5];
    int32_t vpath[5];
};

struct val {
    const char *p;
    uint32_t n;
    uint8_t type;
    int32_t next;
};

struct field {
    uint32_t name_off, name_len;
    int32_t first, last;
    bool pair; /* holds the value of a pair (`<path>.<name>`) */
};

struct yg_cloud {
    struct yg_arena arena; /* unescaped strings and computed values */
    char *names;           /* every dotted name of the record */
    size_t nnames, cnames;
    struct path *paths;
    size_t npaths, cpaths;
    struct pend *pends;
    size_t npends, cpends;
    struct val *vals;
    size_t nvals, cvals, nleafvals;
    struct field *fields;
    size_t nfields, cfields;
    int32_t *hash; /* field index by lowercased name, -1 empty */
    size_t chash;
    const char *doc;    /* the record being parsed (for positions) */
    int32_t root;       /* path under which keys of the root object go */
    int32_t root_first; /* first key of the record's root object */
    uint64_t root_kids; /* key_bit of every key of the root object */
    int depth;          /* embedded documents being parsed */
    yg_err err;         /* first allocation failure during a scan */
};

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    void *np = yg_realloc(*p, nc * elem);
    if (!np)
        return false;
    *p = np;
    *cap = nc;
    return true;
}

struct yg_cloud *yg__cloud_new(void)
{
    struct yg_cloud *c = yg_calloc(1, sizeof *c);
    if (c)
        yg_arena_init(&c->arena, 64 * 1024, 4 * (size_t)YG_MAX_EVENT_BYTES);
    return c;
}

void yg__cloud_free(struct yg_cloud *c)
{
    if (!c)
        return;
    yg_arena_free(&c->arena);
    yg_free(c->names);
    yg_free(c->paths);
    yg_free(c->pends);
    yg_free(c->vals);
    yg_free(c->fields);
    yg_free(c->hash);
    yg_free(c);
}

char *yg__cloud_scratch(struct yg_cloud *c, size_t n)
{
    return yg_arena_alloc(&c->arena, n ? n : 1);
}

static uint64_t name_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ yg_lc((unsigned char)s[i])) * 1099511628211ull;
    return h;
}

static const char *fname(const struct yg_cloud *c, const struct field *f)
{
    return c->names + f->name_off;
}

static bool in_names(const struct yg_cloud *c, const char *s)
{
    return c->names && (uintptr_t)s >= (uintptr_t)c->names &&
           (uintptr_t)s < (uintptr_t)c->names + c->cnames;
}

/* Append a (or a.b when b is not NULL) to the names buffer; returns the
 * offset, or -1.  a and b may point into the buffer itself: they are
 * rebased if it moves. */
static int64_t name_put(struct yg_cloud *c, const char *a, size_t an, const char *b, size_t bn)
{
    size_t need = an + (b ? bn + 1 : 0);
    bool ra = in_names(c, a), rb = b && in_names(c, b);
    size_t oa = ra ? (size_t)(a - c->names) : 0, ob = rb ? (size_t)(b - c->names) : 0;
    /* One byte more than needed, so the buffer exists even for empty names. */
    if (need > UINT32_MAX / 2 || !grow((void **)&c->names, &c->cnames, c->nnames + need + 1, 1))
        return -1;
    if (ra)
        a = c->names + oa;
    if (rb)
        b = c->names + ob;
    size_t off = c->nnames;
    if (an)
        memcpy(c->names + off, a, an);
    if (b) {
        /* An empty key still adds its dot: `a.` is not `a`. */
        c->names[off + an] = '.';
        if (bn)
            memcpy(c->names + off + an + 1, b, bn);
    }
    c->nnames += need;
    return (int64_t)off;
}

/* The field named s, whose name_hash is h; -1 when there is none. */
static int32_t field_find_h(const struct yg_cloud *c, const char *s, size_t n, uint64_t h)
{
    if (!c->chash)
        return -1;
    size_t mask = c->chash - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int32_t fi = c->hash[i];
        if (fi < 0)
            return -1;
        const struct field *f = &c->fields[fi];
        if (yg_str_ieq(fname(c, f), f->name_len, s, n))
            return fi;
    }
}

static int32_t field_find(const struct yg_cloud *c, const char *s, size_t n)
{
    return field_find_h(c, s, n, name_hash(s, n));
}

/* Index field fi, whose name_hash is h. */
static bool hash_insert(struct yg_cloud *c, int32_t fi, uint64_t h)
{
    if ((c->nfields + 1) * 2 > c->chash) {
        size_t nc = c->chash ? c->chash * 2 : 256;
        int32_t *nh = yg_malloc(nc * sizeof *nh);
        if (!nh)
            return false;
        for (size_t i = 0; i < nc; i++)
            nh[i] = -1;
        yg_free(c->hash);
        c->hash = nh;
        c->chash = nc;
        for (size_t f = 0; f < c->nfields; f++) {
            if ((int32_t)f == fi)
                continue;
            size_t j = name_hash(fname(c, &c->fields[f]), c->fields[f].name_len) & (nc - 1);
            while (c->hash[j] >= 0)
                j = (j + 1) & (nc - 1);
            c->hash[j] = (int32_t)f;
        }
    }
    size_t mask = c->chash - 1;
    size_t j = h & mask;
    while (c->hash[j] >= 0)
        j = (j + 1) & mask;
    c->hash[j] = fi;
    return true;
}

/* The field named by names[off..off+len), created if new; -1 on failure. */
static int32_t field_at(struct yg_cloud *c, size_t off, size_t len)
{
    /* Hashed once, for the lookup and for the insertion. */
    uint64_t h = name_hash(c->names + off, len);
    int32_t fi = field_find_h(c, c->names + off, len, h);
    if (fi >= 0)
        return fi;
    if (c->nfields >= 2 * (size_t)YG_MAX_EVENT_FIELDS)
        return -1;
    if (!grow((void **)&c->fields, &c->cfields, c->nfields + 1, sizeof *c->fields)) {
        c->err = YG_ENOMEM;
        return -1;
    }
    fi = (int32_t)c->nfields;
    c->fields[fi] = (struct field){(uint32_t)off, (uint32_t)len, -1, -1, false};
    c->nfields++;
    if (!hash_insert(c, fi, h)) {
        c->nfields--;
        c->err = YG_ENOMEM;
        return -1;
    }
    return fi;
}

/* The field named a (or a.b when b is not NULL), created if new; -1 on
 * failure. */
static int32_t field_named(struct yg_cloud *c, const char *a, size_t an, const char *b, size_t bn)
{
    if (!b) {
        int32_t fi = field_find(c, a, an);
        if (fi >= 0)
            return fi;
    }
    int64_t off = name_put(c, a, an, b, bn);
    if (off < 0) {
        c->err = YG_ENOMEM;
        return -1;
    }
    return field_at(c, (size_t)off, an + (b ? bn + 1 : 0));
}

/* Append a value to a field.  Leaf values of the record are capped at
 * YG_MAX_EVENT_FIELDS (the matcher keeps no more); computed values have an
 * allowance of their own so that the Sigma names survive a huge record. */
static void field_add(struct yg_cloud *c, int32_t fi, const char *p, size_t n, uint8_t type,
                      bool leaf, bool dedup)
{
    if (fi < 0 || n > UINT32_MAX)
        return;
    if (leaf ? c->nleafvals >= YG_MAX_EVENT_FIELDS : c->nvals - c->nleafvals >= YG_MAX_EVENT_FIELDS)
        return;
    if (dedup)
        for (int32_t v = c->fields[fi].first; v >= 0; v = c->vals[v].next)
            /* Values are written as text, so `"0"` and `0` are one value. */
            if (c->vals[v].n == n && (c->vals[v].type == YG_VT_NULL) == (type == YG_VT_NULL) &&
                memcmp(c->vals[v].p, p, n) == 0)
                return;
    if (!grow((void **)&c->vals, &c->cvals, c->nvals + 1, sizeof *c->vals)) {
        c->err = YG_ENOMEM;
        return;
    }
    int32_t vi = (int32_t)c->nvals++;
    c->nleafvals += leaf;
    c->vals[vi] = (struct val){p, (uint32_t)n, type, -1};
    struct field *f = &c->fields[fi];
    if (f->last >= 0)
        c->vals[f->last].next = vi;
    else
        f->first = vi;
    f->last = vi;
}

static uint8_t pair_kind(const char *k, size_t n)
{
    /* Every key of the record comes here: the lengths rule out most. */
    if (n != 3 && n != 4 && n != 5 && n != 8 && n != 11)
        return PK_NONE;
    if (yg_str_ieq(k, n, "name", 4) || yg_str_ieq(k, n, "key", 3) ||
        yg_str_ieq(k, n, "displayname", 11))
        return PK_NAME;
    if (yg_str_ieq(k, n, "value", 5))
        return PK_VALUE;
    if (yg_str_ieq(k, n, "newvalue", 8))
        return PK_NEW;
    if (yg_str_ieq(k, n, "oldvalue", 8))
        return PK_OLD;
    return PK_NONE;
}

/* Turn the element pending in a container into `<path>.<name>` fields. */
static void pend_flush(struct yg_cloud *c, struct pend *pd)
{
    const struct yg_val *nm = &pd->v[PK_NAME];
    if ((pd->has & (1u << PK_NAME)) && nm->n && nm->type != YG_VT_NULL && nm->type != YG_VT_OBJ) {
        const struct path *cp = &c->paths[pd->container];
        for (int k = PK_VALUE; k <= PK_OLD; k++) {
            if (!(pd->has & (1u << k)))
                continue;
            /* `<path>.<name>` for Value; `<path>.<name>.<NewValue|OldValue>`
             * (the key as written) for the old/new kind. */
            int64_t off = name_put(c, c->names + cp->name_off, cp->name_len, nm->p, nm->n);
            size_t len = cp->name_len + 1 + nm->n;
            if (off >= 0 && k != PK_VALUE) {
                const struct path *vp = &c->paths[pd->vpath[k]];
                int64_t o2 = name_put(c, c->names + off, len, c->names + vp->key_off, vp->key_len);
                off = o2;
                len += 1 + vp->key_len;
            }
            if (off < 0) {
                c->err = YG_ENOMEM;
                break;
            }
            int32_t fi = field_at(c, (size_t)off, len);
            if (fi >= 0)
                c->fields[fi].pair = true;
            field_add(c, fi, pd->v[k].p, pd->v[k].n, pd->v[k].type, true, false);
        }
    }
    pd->seen = pd->has = 0;
}

/* The scanner reports a failed arena allocation as a syntax error. */
static bool out_of_memory(const struct yg_json_err *je)
{
    return je->msg && strncmp(je->msg, "out of memory", 13) == 0;
}

static int32_t sink_key(void *ud, int32_t parent, const char *k, size_t kn);
static void sink_leaf(void *ud, int32_t path, const struct yg_val *v);

static int32_t check_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud, (void)parent, (void)k, (void)kn;
    return -2;
}

/* A string value holding a JSON document: flatten it below the string's
 * own path.  It is validated first, so a string that only looks like JSON
 * leaves no half-flattened fields behind. */
static void expand_embedded(struct yg_cloud *c, int32_t path, const struct yg_val *v)
{
    size_t i = 0;
    while (i < v->n && (v->p[i] == ' ' || v->p[i] == '\t' || v->p[i] == '\r' || v->p[i] == '\n'))
        i++;
    if (v->n - i < 2 || (v->p[i] != '{' && v->p[i] != '['))
        return;
    const struct yg_json_sink check = {c, check_key, NULL, NULL};
    const struct yg_json_sink sink = {c, sink_key, sink_leaf, NULL};
    struct yg_json_err je;
    size_t used;
    if (yg__json_scan(v->p, v->n, &used, &check, &c->arena, &je) != YG_OK) {
        if (out_of_memory(&je))
            c->err = YG_ENOMEM;
        return;
    }
    for (size_t j = used; j < v->n; j++)
        if (v->p[j] != ' ' && v->p[j] != '\t' && v->p[j] != '\r' && v->p[j] != '\n')
            return;
    int32_t saved = c->root;
    c->root = path;
    c->depth++;
    /* Validated above, so only a broken invariant could fail here. */
    if (yg__json_scan(v->p, v->n, &used, &sink, &c->arena, &je) != YG_OK && !c->err)
        c->err = YG_ECORRUPT;
    c->depth--;
    c->root = saved;
}

/* One bit from a key's length and three of its bytes: a parent whose
 * children's bits do not have it has no child of that key. */
static uint64_t key_bit(const char *k, size_t kn)
{
    const unsigned char *u = (const unsigned char *)k;
    uint32_t h = (uint32_t)kn;
    if (kn)
        h = ((h * 31 + u[0]) * 31 + u[kn - 1]) * 31 + u[kn / 2];
    return 1ull << ((h * 0x9E3779B1u) >> 26);
}

static int32_t sink_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct yg_cloud *c = ud;
    if (parent == -1)
        parent = c->root;
    /* Most keys are new in their object: the parent's key bits answer that
     * without walking every earlier key. */
    uint64_t bit = key_bit(k, kn);
    int32_t id = -1;
    if ((parent >= 0 ? c->paths[parent].kids : c->root_kids) & bit)
        id = parent >= 0 ? c->paths[parent].first_child : c->root_first;
    for (; id >= 0; id = c->paths[id].next_sibling) {
        const struct path *p = &c->paths[id];
        if (p->key_len == kn && memcmp(c->names + p->key_off, k, kn) == 0)
            goto found;
    }
    if (c->npaths >= YG_MAX_EVENT_FIELDS || kn > UINT32_MAX / 4)
        return -2;
    if (!grow((void **)&c->paths, &c->cpaths, c->npaths + 1, sizeof *c->paths)) {
        c->err = YG_ENOMEM;
        return -2;
    }
    int64_t off;
    if (parent >= 0)
        off = name_put(c, c->names + c->paths[parent].name_off, c->paths[parent].name_len, k, kn);
    else
        off = name_put(c, k, kn, NULL, 0);
    if (off < 0) {
        c->err = YG_ENOMEM;
        return -2;
    }
    id = (int32_t)c->npaths++;
    struct path *p = &c->paths[id];
    p->parent = parent;
    p->first_child = -1;
    p->kids = 0;
    p->next_sibling = parent >= 0 ? c->paths[parent].first_child : c->root_first;
    if (parent >= 0) {
        c->paths[parent].first_child = id;
        c->paths[parent].kids |= bit;
    } else {
        c->root_first = id;
        c->root_kids |= bit;
    }
    p->name_off = (uint32_t)off;
    p->name_len = (uint32_t)(parent >= 0 ? c->paths[parent].name_len + 1 + kn : kn);
    p->key_off = (uint32_t)(off + p->name_len - kn);
    p->key_len = (uint32_t)kn;
    p->field = -1;
    p->pend = -1;
    p->pk = pair_kind(k, kn);
found:
    if (c->paths[id].pk && parent >= 0) {
        struct path *cp = &c->paths[parent];
        if (cp->pend < 0) {
            if (!grow((void **)&c->pends, &c->cpends, c->npends + 1, sizeof *c->pends)) {
                c->err = YG_ENOMEM;
                return id;
            }
            cp->pend = (int32_t)c->npends++;
            c->pends[cp->pend] = (struct pend){.container = parent};
        }
        struct pend *pd = &c->pends[cp->pend];
        uint8_t bit = (uint8_t)(1u << c->paths[id].pk);
        /* A key met twice means the next array element has begun. */
        if (pd->seen & bit)
            pend_flush(c, pd);
        pd->seen |= bit;
    }
    return id;
}

static void sink_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct yg_cloud *c = ud;
    struct path *p = &c->paths[path];
    if (p->field < 0) {
        p->field = field_at(c, p->name_off, p->name_len);
        p = &c->paths[path];
    }
    field_add(c, p->field, v->p, v->n, v->type, true, false);
    if (p->pk && p->parent >= 0 && c->paths[p->parent].pend >= 0) {
        struct pend *pd = &c->pends[c->paths[p->parent].pend];
        pd->v[p->pk] = *v;
        pd->vpath[p->pk] = path;
        pd->has |= (uint8_t)(1u << p->pk);
    }
    if (v->type == YG_VT_STR && c->depth < EMBED_DEPTH)
        expand_embedded(c, path, v);
}

yg_err yg__cloud_parse(struct yg_cloud *c, const char *p, size_t n, struct yg_decode_err *e)
{
    yg_arena_reset(&c->arena);
    c->nnames = c->npaths = c->npends = c->nvals = c->nleafvals = c->nfields = 0;
    if (c->chash)
        memset(c->hash, 0xff, c->chash * sizeof *c->hash);
    c->root = c->root_first = -1;
    c->root_kids = 0;
    c->depth = 0;
    c->err = YG_OK;
    c->doc = p;
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    if (n > YG_MAX_EVENT_BYTES) {
        e->col = 1;
        e->msg = "record longer than YG_MAX_EVENT_BYTES";
        return YG_ESYNTAX;
    }
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] != '{') {
        e->col = i + 1;
        e->msg = i >= n ? "empty record (expected a JSON object)" : "expected a JSON object ('{')";
        return YG_ESYNTAX;
    }
    const struct yg_json_sink sink = {c, sink_key, sink_leaf, NULL};
    struct yg_json_err je;
    size_t used;
    yg_err err = yg__json_scan(p + i, n - i, &used, &sink, &c->arena, &je);
    if (err == YG_ESYNTAX && out_of_memory(&je))
        return YG_ENOMEM;
    if (err == YG_ESYNTAX || err == YG_ELIMIT) {
        e->col = i + je.offset + 1;
        e->msg = je.msg;
        return YG_ESYNTAX;
    }
    if (err)
        return err;
    for (size_t j = i + used; j < n; j++)
        if (p[j] != ' ' && p[j] != '\t' && p[j] != '\r' && p[j] != '\n') {
            e->col = j + 1;
            e->msg = "unexpected data after the JSON object";
            return YG_ESYNTAX;
        }
    for (size_t k = 0; k < c->npends; k++)
        pend_flush(c, &c->pends[k]);
    return c->err;
}

bool yg__cloud_get(struct yg_cloud *c, const char *name, struct yg_str *v)
{
    int32_t fi = field_find(c, name, strlen(name));
    if (fi < 0 || c->fields[fi].first < 0)
        return false;
    const struct val *x = &c->vals[c->fields[fi].first];
    v->p = x->p;
    v->n = x->n;
    return true;
}

bool yg__cloud_has(struct yg_cloud *c, const char *name)
{
    int32_t fi = field_find(c, name, strlen(name));
    return fi >= 0 && c->fields[fi].first >= 0;
}

bool yg__cloud_has_prefix(struct yg_cloud *c, const char *prefix)
{
    size_t pn = strlen(prefix);
    for (size_t f = 0; f < c->nfields; f++)
        if (c->fields[f].name_len > pn && yg_str_ieq(fname(c, &c->fields[f]), pn, prefix, pn) &&
            c->fields[f].first >= 0)
            return true;
    return false;
}

static void copy_values(struct yg_cloud *c, int32_t dst, int32_t src)
{
    if (dst < 0 || dst == src)
        return;
    /* dst and src differ, so appending to dst never extends src's chain. */
    for (int32_t v = c->fields[src].first; v >= 0; v = c->vals[v].next) {
        struct val x = c->vals[v];
        field_add(c, dst, x.p, x.n, x.type, false, true);
    }
}

yg_err yg__cloud_alias(struct yg_cloud *c, const char *dst, const char *src)
{
    size_t dn = strlen(dst), sn = strlen(src);
    if (yg_str_ieq(dst, dn, src, sn))
        return YG_OK;
    int32_t s = field_find(c, src, sn);
    if (s < 0 || c->fields[s].first < 0)
        return YG_OK;
    copy_values(c, field_named(c, dst, dn, NULL, 0), s);
    return c->err;
}

yg_err yg__cloud_alias_prefix(struct yg_cloud *c, const char *dstpfx, const char *srcpfx)
{
    size_t dn = strlen(dstpfx), sn = strlen(srcpfx);
    size_t nf = c->nfields; /* fields added here are not sources */
    for (size_t f = 0; f < nf; f++) {
        if (c->fields[f].name_len <= sn || !yg_str_ieq(fname(c, &c->fields[f]), sn, srcpfx, sn))
            continue;
        /* Build `<dstpfx><rest>` from offsets: the names buffer may move. */
        size_t roff = c->fields[f].name_off + sn, rlen = c->fields[f].name_len - sn;
        int64_t off = name_put(c, dstpfx, dn, NULL, 0);
        if (off < 0 || name_put(c, c->names + roff, rlen, NULL, 0) < 0)
            return c->err = YG_ENOMEM;
        copy_values(c, field_at(c, (size_t)off, dn + rlen), (int32_t)f);
        if (c->err)
            return c->err;
    }
    return c->err;
}

yg_err yg__cloud_collect(struct yg_cloud *c, const char *dst, const char *src)
{
    size_t dn = strlen(dst), sn = strlen(src);
    int32_t d = -1;
    size_t nf = c->nfields;
    /* A record that has the field already (a Sentinel column holding the
     * whole array as text) answers the name by itself. */
    if (yg__cloud_has(c, dst))
        return YG_OK;
    for (size_t f = 0; f < nf; f++) {
        const struct field *x = &c->fields[f];
        if (x->first < 0 || x->name_len < sn || !yg_str_ieq(fname(c, x), sn, src, sn) ||
            (x->name_len > sn && fname(c, x)[sn] != '.'))
            continue;
        if (d < 0 && (d = field_named(c, dst, dn, NULL, 0)) < 0)
            return c->err;
        copy_values(c, d, (int32_t)f);
    }
    return c->err;
}

yg_err yg__cloud_add(struct yg_cloud *c, const char *dst, const char *v, size_t vn)
{
    field_add(c, field_named(c, dst, strlen(dst), NULL, 0), v, vn, YG_VT_STR, false, true);
    return c->err;
}

yg_err yg__cloud_add_domain(struct yg_cloud *c, const char *dst, const char *src)
{
    struct yg_str s;
    if (!yg__cloud_get(c, src, &s))
        return YG_OK;
    const char *at = NULL;
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] == '@')
            at = s.p + i;
    if (!at || at + 1 >= s.p + s.n)
        return YG_OK;
    size_t dn = (size_t)(s.p + s.n - at); /* with the '@' */
    char *dot = yg__cloud_scratch(c, dn);
    if (!dot)
        return YG_ENOMEM;
    memcpy(dot, at, dn);
    dot[0] = '.';
    yg_err err = yg__cloud_add(c, dst, at, dn);
    return err ? err : yg__cloud_add(c, dst, dot, dn);
}

static yg_err emit_val(struct yg_buf *out, const struct val *v)
{
    if (v->type == YG_VT_NULL)
        return yg_buf_add(out, "null", 4);
    return yg_buf_add_json_str(out, v->p, v->n);
}

/* ---- the one-pass writer ----------------------------------------------- *
 * The record is written into space reserved once for all of it: a byte of a
 * string becomes at most 6 (\u00XX), so 6n plus quotes and separators bounds
 * the output.  With the room known, plain runs are stored sixteen bytes at a
 * time with no length-sized copy, and an escape costs two stores instead of
 * a reservation: the Payload field (the whole record, a quote every few
 * bytes) is most of the output.  Each string is written by
 * yg__json_body_at (core/jsonstr.h), the policy of yg_buf_add_json_str. */

static char *esc_str(char *o, const char *s, size_t n)
{
    *o++ = '"';
    o = yg__json_body_at(o, s, n);
    *o++ = '"';
    return o;
}

static char *emit_val_at(char *o, const struct val *v)
{
    if (v->type == YG_VT_NULL) {
        memcpy(o, "null", 4);
        return o + 4;
    }
    return esc_str(o, v->p, v->n);
}

/* The most bytes yg__cloud_emit can write for the record. */
static size_t emit_bound(const struct yg_cloud *c)
{
    size_t need = 2; /* {} */
    for (size_t f = 0; f < c->nfields; f++) {
        const struct field *x = &c->fields[f];
        if (x->first < 0)
            continue;
        need += 1 + 6 * (size_t)x->name_len + 2 + 1 + 2; /* , "name" : [] */
        for (int32_t v = x->first; v >= 0; v = c->vals[v].next)
            need += 1 + 6 * (size_t)c->vals[v].n + 4; /* , "value" or null */
    }
    return need;
}

/* Records whose bound is larger are written piece by piece: the output
 * buffer is kept by the caller, and six times a 4 MiB record would stay
 * reserved per thread.  Audit records are a few KiB. */
#define EMIT_FAST_MAX ((size_t)1 << 20)

/* One pass into space reserved once; false (and nothing written) when that
 * space is too large or cannot be had, for yg__cloud_emit to write piece by
 * piece. */
static bool emit_fast(struct yg_cloud *c, struct yg_buf *out)
{
    size_t bound = emit_bound(c);
    if (bound > EMIT_FAST_MAX || yg_buf_reserve(out, bound) != YG_OK)
        return false;
    char *o = out->p + out->n;
    bool first = true;
    *o++ = '{';
    for (size_t f = 0; f < c->nfields; f++) {
        const struct field *x = &c->fields[f];
        if (x->first < 0)
            continue;
        if (!first)
            *o++ = ',';
        first = false;
        o = esc_str(o, fname(c, x), x->name_len);
        *o++ = ':';
        if (c->vals[x->first].next < 0) {
            o = emit_val_at(o, &c->vals[x->first]);
            continue;
        }
        *o++ = '[';
        for (int32_t v = x->first; v >= 0; v = c->vals[v].next) {
            if (v != x->first)
                *o++ = ',';
            o = emit_val_at(o, &c->vals[v]);
        }
        *o++ = ']';
    }
    *o++ = '}';
    out->n = (size_t)(o - out->p);
    out->p[out->n] = 0;
    return true;
}

yg_err yg__cloud_emit(struct yg_cloud *c, struct yg_buf *out)
{
    yg_err err;
    if (emit_fast(c, out))
        return YG_OK;
    size_t n0 = out->n;
    bool first = true;
    YG_TRY(yg_buf_addc(out, '{'));
    for (size_t f = 0; f < c->nfields; f++) {
        const struct field *x = &c->fields[f];
        if (x->first < 0)
            continue;
        if (!first)
            YG_TRY(yg_buf_addc(out, ','));
        first = false;
        YG_TRY(yg_buf_add_json_str(out, fname(c, x), x->name_len));
        YG_TRY(yg_buf_addc(out, ':'));
        if (c->vals[x->first].next < 0) {
            YG_TRY(emit_val(out, &c->vals[x->first]));
            continue;
        }
        YG_TRY(yg_buf_addc(out, '['));
        for (int32_t v = x->first; v >= 0; v = c->vals[v].next) {
            if (v != x->first)
                YG_TRY(yg_buf_addc(out, ','));
            YG_TRY(emit_val(out, &c->vals[v]));
        }
        YG_TRY(yg_buf_addc(out, ']'));
    }
    YG_TRY(yg_buf_addc(out, '}'));
done:
    if (err)
        out->n = n0;
    return err;
}

/* ==== Microsoft 365 audit records ======================================= */

static bool val_is(const struct yg_str *s, const char *lit)
{
    return yg_str_ieq(s->p, s->n, lit, strlen(lit));
}

/* The status SigmaHQ's m365 rules test, from the record's ResultStatus. */
static const char *m365_status(const struct yg_str *rs)
{
    static const char *const ok[] = {"Succeeded", "Success", "True", "PartiallySucceeded"};
    static const char *const bad[] = {"Failed", "Failure", "False"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (val_is(rs, ok[i]))
            return "success";
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (val_is(rs, bad[i]))
            return "failure";
    return NULL;
}

yg_err yg__m365_decode_json(struct yg_cloud *c, const char *p, size_t n, struct yg_buf *out,
                            struct yg_logsrc *ls, struct yg_decode_err *e)
{
    yg_err err = yg__cloud_parse(c, p, n, e);
    if (err)
        return err;
    struct yg_str wl = {NULL, 0}, rs, cat;
    bool has_wl = yg__cloud_get(c, "Workload", &wl) || yg__cloud_get(c, "OfficeWorkload", &wl);
    struct yg_str rt = {NULL, 0};
    (void)yg__cloud_get(c, "RecordType", &rt);
    /* SecurityComplianceAlerts (record type 40) report an alert that fired. */
    bool alert =
        yg__cloud_has(c, "AlertId") || val_is(&rt, "40") || val_is(&rt, "SecurityComplianceAlerts");

    YG_TRY(yg__cloud_alias(c, "Workload", "OfficeWorkload"));
    YG_TRY(yg__cloud_alias(c, "eventSource", "Workload"));
    YG_TRY(yg__cloud_alias(c, "eventName", "Operation"));
    if (alert)
        YG_TRY(yg__cloud_alias(c, "eventName", "Name"));
    if (alert)
        YG_TRY(yg__cloud_add(c, "status", "success", 7));
    else if (yg__cloud_get(c, "ResultStatus", &rs)) {
        const char *st = m365_status(&rs);
        YG_TRY(st ? yg__cloud_add(c, "status", st, strlen(st))
                  : yg__cloud_alias(c, "status", "ResultStatus"));
    }
    YG_TRY(yg__cloud_add(c, "Payload", p, n));
    if (!yg__cloud_has(c, "ClientIP")) {
        static const char *const ips[] = {"Client_IPAddress", "ClientIPAddress", "ActorIpAddress"};
        for (size_t i = 0; i < sizeof ips / sizeof *ips && !yg__cloud_has(c, "ClientIP"); i++)
            YG_TRY(yg__cloud_alias(c, "ClientIP", ips[i]));
    }
    YG_TRY(yg__cloud_add_domain(c, "UserDomain", "UserId"));
    /* ExtendedProperties pairs by their bare name, as SigmaHQ's rules read
     * `RequestType`; a field of the record with that name wins. */
    {
        static const char pfx[] = "ExtendedProperties.";
        struct field tmp;
        size_t nf = c->nfields;
        for (size_t f = 0; f < nf; f++) {
            tmp = c->fields[f];
            if (!tmp.pair || tmp.name_len <= sizeof pfx - 1 ||
                !yg_str_ieq(fname(c, &tmp), sizeof pfx - 1, pfx, sizeof pfx - 1))
                continue;
            size_t off = tmp.name_off + sizeof pfx - 1, len = tmp.name_len - (sizeof pfx - 1);
            if (field_find(c, c->names + off, len) >= 0)
                continue;
            copy_values(c, field_at(c, off, len), (int32_t)f);
            YG_TRY(c->err);
        }
    }
    YG_TRY(yg__cloud_emit(c, out));
    ls->product = "m365";
    ls->category = NULL;
    if (alert)
        ls->service = yg__cloud_get(c, "Category", &cat) && val_is(&cat, "ThreatDetection")
                          ? "threat_detection"
                          : "threat_management";
    else if (has_wl && val_is(&wl, "Exchange"))
        ls->service = "exchange";
    else
        ls->service = "audit";
done:
    return err;
}

/* ---- format plumbing ---------------------------------------------------- */

int yg__m365_sniff_json(const char *p, size_t n)
{
    size_t w;
    const char *s = yg__json_sniff_head(p, n, true, 8192, &w);
    if (!s)
        return 0;
    bool op = yg_memimem(s, w, "\"operation\"", 11) != NULL;
    bool wl = yg_memimem(s, w, "\"workload\"", 10) != NULL;
    bool owl = yg_memimem(s, w, "\"officeworkload\"", 16) != NULL;
    bool rt = yg_memimem(s, w, "\"recordtype\"", 12) != NULL;
    bool ct = yg_memimem(s, w, "\"creationtime\"", 14) != NULL;
    if (op && (owl || (wl && (rt || ct))))
        return 90;
    if (op && rt && ct)
        return 80;
    return 0;
}

static int m365_sniff(const char *line, size_t n)
{
    return yg__m365_sniff_json(line, n);
}

static void *m365_state_new(void)
{
    return yg__cloud_new();
}

static void m365_state_free(void *st)
{
    yg__cloud_free(st);
}

static yg_err m365_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                          struct yg_logsrc *ls, struct yg_decode_err *e)
{
    return yg__m365_decode_json(st, line, n, out, ls, e);
}

const struct yg_linefmt yg__fmt_m365 = {
    .json_records = true,
    .name = "m365",
    .desc = "Microsoft 365 unified audit log records (Management Activity API or Sentinel "
            "OfficeActivity JSON, one per line)",
    .sniff = m365_sniff,
    .state_new = m365_state_new,
    .state_free = m365_state_free,
    .decode = m365_decode,
};
