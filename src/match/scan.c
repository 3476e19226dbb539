/*
 * scan.c - the per-thread scanner: decode, route, evaluate, report.
 *
 * For each event:
 *   1. the JSON scanner reports keys and leaves; keys are resolved through a
 *      path trie cached in the scanner, so each distinct path is turned into
 *      a Sigma field id once per scanner lifetime, not once per event;
 *   2. the event's log source (product, service, categories) is derived from
 *      its channel and event id, and the list of rules for that log source
 *      comes from a routing cache, so rules of other sources cost nothing;
 *   3. each candidate rule's tree is evaluated over the field table.
 *
 * Per-event memory comes from an arena reset after the event; the field
 * table and caches grow to the largest event and stay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/timeparse.h"
#include "decode/json.h"
#include "intel/intel.h"
#include "match/program.h"

/* A distinct path seen in events: its parent, its last key and what it
 * resolves to. */
struct path {
    int32_t parent;
    uint32_t klen;
    char *key;
    char *full;
    uint32_t fulllen;
    int32_t fid;
    uint8_t role; /* ROLE_* */
    uint64_t hash;
    int32_t next; /* the path whose key followed this one last time, or -1 */
    bool plain;   /* the key needs no JSON escape: it can be guessed */
};

enum {
    ROLE_NONE = 0,
    ROLE_CHANNEL = 1,
    ROLE_EVENTID = 2,
    ROLE_TIME = 4,
    ROLE_DATE = 8,
    ROLE_TOD = 16
};

/* A routed log source: service and categories of a (channel, event id). */
#define MAX_ROUTE_CATS 8
struct route {
    char *channel;
    char *eid;
    /* Routes of events whose decoder named the log source. */
    char *product, *lservice, *category;
    const char *service;
    const struct yg_wincat *cats[MAX_ROUTE_CATS];
    unsigned ncats;
    /* Rule lists per combination of satisfied `where` conditions. */
    uint32_t *rules[1u << MAX_ROUTE_CATS];
    uint32_t nrules[1u << MAX_ROUTE_CATS];
    /* The same set as a bitmap, and its "always" rules (prefilter.c). */
    uint8_t *member[1u << MAX_ROUTE_CATS];
    /* The prefilter databases of the set's atoms (prefilter.c). */
    struct yg_pf_route pf[1u << MAX_ROUTE_CATS];
    uint32_t *always[1u << MAX_ROUTE_CATS];
    uint32_t nalways[1u << MAX_ROUTE_CATS];
    char *ls_json[1u << MAX_ROUTE_CATS];
    bool built[1u << MAX_ROUTE_CATS];
    uint64_t events[1u << MAX_ROUTE_CATS]; /* coverage (yg_scanner_coverage) */
    /* Event fields checked against the indicators (intel-fields.yml). */
    struct ifl *ifl[1u << MAX_ROUTE_CATS];
    uint32_t nifl[1u << MAX_ROUTE_CATS];
};

struct ifl {
    int32_t fid;
    uint8_t kind; /* enum yg_ifield_kind */
    const char *name;
};

#define MAX_PATHS 65536u
#define MAX_ROUTES 4096u

struct yg_scanner {
    yg_rules *rs;
    struct yg_arena scratch;
    yg_level_t min_level;
    /* event field table */
    struct yg_field *f;
    uint32_t nf, fcap;
    int32_t *head; /* per fid */
    uint32_t *gen;
    uint32_t curgen;
    bool overflow;
    /* path trie */
    struct path *paths;
    uint32_t npaths, pcap;
    int32_t *phash;
    uint32_t phcap;
    /* The path of the event's previous key (-1: none yet), and the path of
     * the first key of the last event. */
    int32_t last_path, first_path;
    int32_t guess_from; /* last_path before guess_key assumed its guess */
    /* routing */
    struct route **routes;
    uint32_t nroutes;
    struct route *generic; /* events without a Windows channel */
    char *forced_ls_json;
    const char *forced_product, *forced_service, *forced_category;
    /* Log source given with the current event (yg_scanner_scan_json_as). */
    bool ev_ls;
    const char *ev_product, *ev_service, *ev_category;
    struct route **lsroutes;
    uint32_t nlsroutes;
    const char *last_ls_json;
    bool no_eval;
    /* current event */
    const struct yg_val *channel, *eventid, *time;
    struct yg_val chan_v, eid_v, time_v;
    int64_t time_ms;           /* s->time parsed (valid while s->time is set) */
    int64_t first_ms, last_ms; /* range of event times seen (yg_scanner_time_range) */
    bool have_range;
    const struct yg_val *date, *tod; /* the date_time pair of the mapping */
    struct yg_val date_v, tod_v;
    char date_time[32]; /* "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" built from the pair */
    void *re_scratch;
    void *pf_scratch;
    struct yg_pf_state pf;
    uint32_t *item_stamp; /* per item: event generation of the cached result */
    uint8_t *item_res;    /* ITEM_TRUE, ITEM_LIMIT */
    /* Regex limits: an item whose regex gave up is remembered as such in
     * the item cache, so every rule sharing it is charged, not only the
     * first to evaluate it. */
    bool rule_limited;         /* the rule being evaluated met such an item */
    const uint64_t *re_limits; /* the regex scratch's count of limits reached */
    uint64_t *re_limit;        /* per rule index, allocated on the first limit */
    uint64_t re_limit_total;
    bool pf_ok;      /* the prefilter decided for this event */
    uint32_t *gcand; /* an item's groups to visit (eval_values), rs->max_gindex */
    const char *doc; /* the current document's bytes */
    size_t doclen;
    bool doc_hides; /* an escape may hide an atom from the raw scan */
    struct yg_buf out;
    struct yg_buf iout; /* the "intel" member of an indicator hit */
    bool intel_wallclock;
    char err_msg[256];
    size_t err_off;
};

yg_err yg_scanner_create(yg_rules *rs, yg_scanner **out)
{
    struct yg_scanner *s = yg_calloc(1, sizeof *s);
    if (!s)
        return YG_ENOMEM;
    yg_rules_retain(rs);
    s->rs = rs;
    s->last_path = s->first_path = -1;
    yg_arena_init(&s->scratch, 1u << 16, YG_MAX_EVENT_BYTES * 4);
    s->head = yg_malloc((rs->nfields + 1) * sizeof *s->head);
    s->gen = yg_calloc(rs->nfields + 1, sizeof *s->gen);
    s->re_scratch = yg__re_scratch_new();
    s->re_limits = yg__re_scratch_limits_at(s->re_scratch);
    s->pf_scratch = yg__prefilter_scratch(rs);
    s->pf.stamp = yg_calloc(rs->nrules + 1, sizeof *s->pf.stamp);
    s->pf.mask = yg_calloc(rs->nrules + 1, 1);
    s->pf.cand = yg_calloc(rs->nrules + 1, sizeof *s->pf.cand);
    s->pf.seen = yg_calloc(rs->natoms + 1, sizeof *s->pf.seen);
    s->pf.hits = yg_calloc(rs->natoms + 1, sizeof *s->pf.hits);
    s->gcand = yg_calloc(rs->max_gindex + 1, sizeof *s->gcand);
    s->item_stamp = yg_calloc(rs->nitems + 1, sizeof *s->item_stamp);
    s->item_res = yg_calloc(rs->nitems + 1, 1);
    yg_buf_init(&s->out, YG_MAX_EVENT_BYTES * 2);
    yg_buf_init(&s->iout, YG_MAX_EVENT_BYTES);
    if (!s->head || !s->gen || !s->re_scratch || !s->pf.stamp || !s->pf.mask || !s->pf.cand ||
        !s->pf.seen || !s->pf.hits || !s->gcand || !s->item_stamp || !s->item_res ||
        (rs->natoms && !s->pf_scratch)) {
        yg_scanner_destroy(s);
        return YG_ENOMEM;
    }
    *out = s;
    return YG_OK;
}

static void free_route(struct route *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < (1u << MAX_ROUTE_CATS); i++) {
        yg_free(r->rules[i]);
        yg_free(r->ls_json[i]);
        yg_free(r->ifl[i]);
        yg_free(r->member[i]);
        yg_free(r->always[i]);
        yg__prefilter_route_free(&r->pf[i]);
    }
    yg_free(r->channel);
    yg_free(r->eid);
    yg_free(r->product);
    yg_free(r->lservice);
    yg_free(r->category);
    yg_free(r);
}

void yg_scanner_destroy(yg_scanner *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->npaths; i++) {
        yg_free(s->paths[i].key);
        yg_free(s->paths[i].full);
    }
    yg_free(s->paths);
    yg_free(s->phash);
    for (uint32_t i = 0; i < s->nroutes; i++)
        free_route(s->routes[i]);
    yg_free(s->routes);
    free_route(s->generic);
    for (uint32_t i = 0; i < s->nlsroutes; i++)
        free_route(s->lsroutes[i]);
    yg_free(s->lsroutes);
    yg_free(s->forced_ls_json);
    yg_free(s->f);
    yg_free(s->head);
    yg_free(s->gen);
    if (s->re_scratch)
        yg__re_scratch_free(s->re_scratch);
    yg__prefilter_scratch_free(s->pf_scratch);
    yg_free(s->pf.stamp);
    yg_free(s->pf.mask);
    yg_free(s->pf.cand);
    yg_free(s->pf.seen);
    yg_free(s->pf.hits);
    yg_free(s->gcand);
    yg_free(s->item_stamp);
    yg_free(s->item_res);
    yg_free(s->re_limit);
    yg_buf_free(&s->out);
    yg_buf_free(&s->iout);
    yg_arena_free(&s->scratch);
    if (s->rs)
        yg_rules_release(s->rs);
    yg_free(s);
}

void yg_scanner_set_min_level(yg_scanner *s, yg_level_t lvl)
{
    s->min_level = lvl;
}

yg_err yg_scanner_set_logsource(yg_scanner *s, const char *product, const char *service,
                                const char *category)
{
    /* The service sets it per record: keep the built route when nothing changed. */
    if (product == s->forced_product && service == s->forced_service &&
        category == s->forced_category)
        return YG_OK;
    free_route(s->generic);
    s->generic = NULL;
    s->forced_product = product;
    s->forced_service = service;
    s->forced_category = category;
    return YG_OK;
}

const char *yg_scanner_last_error(const yg_scanner *s, size_t *offset)
{
    if (offset)
        *offset = s->err_off;
    return s->err_msg;
}

/* ---- path resolution ------------------------------------------------- */

static uint64_t path_hash(int32_t parent, const char *k, size_t kn)
{
    return yg_hash(k, kn) ^ ((uint64_t)(uint32_t)parent * 0x9E3779B97F4A7C15ull);
}

static bool str_in(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* Does full start with prefix, where a `*` element matches one element?
 * Returns the length of full consumed, or 0. */
static size_t prefix_match(const char *full, const char *prefix)
{
    const char *f = full, *p = prefix;
    while (*p) {
        if (*p == '*') {
            while (*f && *f != '.')
                f++;
            p++;
            continue;
        }
        if (*f != *p)
            return 0;
        f++;
        p++;
    }
    return (size_t)(f - full);
}

/* Look a name up as written, then without spaces: Windows Defender and
 * other providers name their data "Source Name" where Sigma rules (and
 * SigmaHQ's field lists) say SourceName. */
static int32_t lookup_name(const struct yg_rules *rs, const char *name)
{
    size_t n = strlen(name);
    int32_t fid = yg__field_lookup(rs, name, n);
    if (fid >= 0 || !memchr(name, ' ', n) || n >= 256)
        return fid;
    char tmp[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (name[i] != ' ')
            tmp[k++] = name[i];
    return yg__field_lookup(rs, tmp, k);
}

static void resolve_path(struct yg_scanner *s, struct path *p)
{
    const struct yg_rules *rs = s->rs;
    const struct yg_mapping *m = &rs->map;
    /* `#text` carries the element's own value (evtx_dump). */
    if (p->parent >= 0 && strcmp(p->key, "#text") == 0) {
        p->fid = s->paths[p->parent].fid;
        p->role = s->paths[p->parent].role;
        return;
    }
    p->fid = lookup_name(rs, p->full);
    for (size_t i = 0; p->fid < 0 && i < m->naliases; i++)
        if (strcmp(p->full, m->alias_path[i]) == 0)
            p->fid = lookup_name(rs, m->alias_name[i]);
    for (size_t i = 0; p->fid < 0 && i < m->nprefixes; i++) {
        size_t used = prefix_match(p->full, m->prefixes[i]);
        if (used && p->full[used])
            p->fid = lookup_name(rs, p->full + used);
    }
    if (str_in(p->full, m->channel_paths, m->nchannel_paths))
        p->role |= ROLE_CHANNEL;
    if (str_in(p->full, m->eventid_paths, m->neventid_paths))
        p->role |= ROLE_EVENTID;
    if (str_in(p->full, m->time_paths, m->ntime))
        p->role |= ROLE_TIME;
    if (m->ndate_time == 2 && strcmp(p->full, m->date_time_paths[0]) == 0)
        p->role |= ROLE_DATE;
    if (m->ndate_time == 2 && strcmp(p->full, m->date_time_paths[1]) == 0)
        p->role |= ROLE_TOD;
}

static int32_t find_path(struct yg_scanner *s, int32_t parent, const char *k, size_t kn)
{
    uint64_t h = path_hash(parent, k, kn);
    if (s->phcap) {
        uint32_t mask = s->phcap - 1;
        for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
            int32_t id = s->phash[i];
            if (id < 0)
                break;
            struct path *p = &s->paths[id];
            if (p->hash == h && p->parent == parent && p->klen == kn && memcmp(p->key, k, kn) == 0)
                return id;
        }
    }
    /* A new path. Past the cap, paths are not cached: such events still
     * match on fields rules know via the slow resolution below. */
    if (s->npaths >= MAX_PATHS)
        return -2;
    if ((s->npaths + 1) * 2 > s->phcap) {
        uint32_t nc = s->phcap ? s->phcap * 2 : 1024;
        int32_t *nh = yg_malloc(nc * sizeof *nh);
        if (!nh)
            return -2;
        for (uint32_t i = 0; i < nc; i++)
            nh[i] = -1;
        for (uint32_t id = 0; id < s->npaths; id++) {
            uint32_t j = (uint32_t)s->paths[id].hash & (nc - 1);
            while (nh[j] >= 0)
                j = (j + 1) & (nc - 1);
            nh[j] = (int32_t)id;
        }
        yg_free(s->phash);
        s->phash = nh;
        s->phcap = nc;
    }
    if (s->npaths == s->pcap) {
        uint32_t nc = s->pcap ? s->pcap * 2 : 256;
        struct path *np = yg_realloc(s->paths, nc * sizeof *np);
        if (!np)
            return -2;
        s->paths = np;
        s->pcap = nc;
    }
    struct path *p = &s->paths[s->npaths];
    memset(p, 0, sizeof *p);
    p->next = -1;
    p->parent = parent;
    p->klen = (uint32_t)kn;
    p->hash = h;
    /* At least 16 bytes, zero-padded: the JSON scanner compares a guessed
     * key sixteen bytes at a time (decode/json.h). */
    p->key = yg_calloc(1, kn + 1 > 16 ? kn + 1 : 16);
    if (p->key)
        memcpy(p->key, k, kn);
    p->plain = true;
    for (size_t i = 0; i < kn; i++)
        if (k[i] == '"' || k[i] == '\\' || (unsigned char)k[i] < 0x20)
            p->plain = false;
    size_t pl = parent >= 0 ? s->paths[parent].fulllen : 0;
    p->full = yg_malloc(pl + kn + 2);
    if (!p->key || !p->full) {
        yg_free(p->key);
        yg_free(p->full);
        return -2;
    }
    if (parent >= 0) {
        memcpy(p->full, s->paths[parent].full, pl);
        p->full[pl++] = '.';
    }
    memcpy(p->full + pl, k, kn);
    p->full[pl + kn] = 0;
    p->fulllen = (uint32_t)(pl + kn);
    resolve_path(s, p);
    int32_t id = (int32_t)s->npaths++;
    uint32_t mask = s->phcap - 1;
    uint32_t j = (uint32_t)h & mask;
    while (s->phash[j] >= 0)
        j = (j + 1) & mask;
    s->phash[j] = id;
    return id;
}

/* The JSON scanner's guess of the next key (decode/json.h): the path that
 * followed the previous key last time, assumed taken. */
static int32_t guess_key(void *ud, int32_t parent, const char **k, size_t *kn)
{
    struct yg_scanner *s = ud;
    s->guess_from = s->last_path;
    int32_t c = s->last_path >= 0 ? s->paths[s->last_path].next : s->first_path;
    if (c < 0 || s->paths[c].parent != parent || !s->paths[c].plain)
        return -1;
    *k = s->paths[c].key;
    *kn = s->paths[c].klen;
    s->last_path = c;
    return c;
}

static int32_t on_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    struct yg_scanner *s = ud;
    s->last_path = s->guess_from; /* the guess, if any, was not taken */
    /* Records of one shape repeat their keys in the same order: the path
     * that followed the previous key last time is tried first, and taken
     * when it is this key under this parent, without hashing. */
    int32_t c = s->last_path >= 0 ? s->paths[s->last_path].next : s->first_path;
    if (c >= 0) {
        const struct path *p = &s->paths[c];
        if (p->parent == parent && p->klen == kn && memcmp(p->key, k, kn) == 0) {
            s->last_path = c;
            return c;
        }
    }
    int32_t id = find_path(s, parent, k, kn);
    if (id >= 0) {
        if (s->last_path >= 0)
            s->paths[s->last_path].next = id;
        else
            s->first_path = id;
    }
    s->last_path = id >= 0 ? id : -1;
    return id;
}

static void add_field(struct yg_scanner *s, int32_t fid, const char *key, uint32_t klen,
                      const struct yg_val *v)
{
    if (YG_UNLIKELY(s->nf == s->fcap)) {
        if (s->fcap >= YG_MAX_EVENT_FIELDS) {
            s->overflow = true;
            return;
        }
        uint32_t nc = s->fcap ? s->fcap * 2 : 64;
        struct yg_field *nf = yg_realloc(s->f, nc * sizeof *nf);
        if (!nf) {
            s->overflow = true;
            return;
        }
        s->f = nf;
        s->fcap = nc;
    }
    struct yg_field *f = &s->f[s->nf];
    f->key = key;
    f->klen = klen;
    f->fid = fid;
    f->v = *v;
    f->next = -1;
    if (fid >= 0) {
        /* Chain in order of appearance: keep a tail by walking (chains are short). */
        if (s->gen[fid] != s->curgen) {
            s->gen[fid] = s->curgen;
            s->head[fid] = (int32_t)s->nf;
        } else {
            int32_t t = s->head[fid];
            while (s->f[t].next >= 0)
                t = s->f[t].next;
            s->f[t].next = (int32_t)s->nf;
        }
    }
    s->nf++;
}

static void on_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct yg_scanner *s = ud;
    const struct path *p = &s->paths[path];
    if (p->role) {
        if ((p->role & ROLE_CHANNEL) && !s->channel) {
            s->chan_v = *v;
            s->channel = &s->chan_v;
        }
        if ((p->role & ROLE_EVENTID) && !s->eventid) {
            s->eid_v = *v;
            s->eventid = &s->eid_v;
        }
        /* The first time field whose value is a time: FortiGate's `time`
         * (a time of day alone) gives way to its `eventtime`. */
        int64_t t_ms;
        if ((p->role & ROLE_TIME) && !s->time && yg__time_parse(v->p, v->n, &t_ms)) {
            s->time_v = *v;
            s->time = &s->time_v;
            s->time_ms = t_ms;
        }
        if ((p->role & ROLE_DATE) && !s->date && v->n == 10) {
            s->date_v = *v;
            s->date = &s->date_v;
        }
        if ((p->role & ROLE_TOD) && !s->tod && v->n >= 8 && v->n <= 15) {
            s->tod_v = *v;
            s->tod = &s->tod_v;
        }
    }
    add_field(s, p->fid, p->full, p->fulllen, v);
}

static inline int32_t field_first(const struct yg_scanner *s, int32_t fid)
{
    return (fid >= 0 && s->gen[fid] == s->curgen) ? s->head[fid] : -1;
}

/* ---- routing --------------------------------------------------------- */

static bool ls_ok(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

static bool val_eq_str(const struct yg_val *v, const char *s)
{
    return v && yg_str_ieq(v->p, v->n, s, strlen(s));
}

/* The (field, kind) pairs of the log source checked against the
 * indicators: every intel-fields.yml entry that applies, kinds of which the
 * store holds indicators, each pair once. */
static yg_err build_intel(struct yg_scanner *s, struct route *r, unsigned bits, const char *product,
                          const char *service, const char *const *cats, unsigned nc)
{
    const struct yg_rules *rs = s->rs;
    if (!rs->intel || !rs->ifields)
        return YG_OK;
    size_t total = 0, k = 0;
    for (size_t i = 0; i < rs->ifields->nsets; i++)
        total += rs->ifields->sets[i].n;
    struct ifl *l = yg_malloc((total + 1) * sizeof *l);
    if (!l)
        return YG_ENOMEM;
    uint32_t n = 0;
    for (size_t i = 0; i < rs->ifields->nsets; i++) {
        const struct yg_ifield_set *set = &rs->ifields->sets[i];
        bool applies =
            (product || service || nc) && yg__ifields_applies(set, product, service, cats, nc);
        for (size_t j = 0; j < set->n; j++, k++) {
            if (!applies || !yg__intel_has_kind(rs->intel, set->f[j].kind) || rs->ifid[k] < 0)
                continue;
            bool dup = false;
            for (uint32_t m = 0; m < n && !dup; m++)
                dup = l[m].fid == rs->ifid[k] && l[m].kind == set->f[j].kind;
            if (!dup)
                l[n++] = (struct ifl){rs->ifid[k], set->f[j].kind, set->f[j].name};
        }
    }
    r->ifl[bits] = l;
    r->nifl[bits] = n;
    return YG_OK;
}

static yg_err build_rules(struct yg_scanner *s, struct route *r, unsigned bits, bool windows)
{
    const struct yg_rules *rs = s->rs;
    const char *cats[MAX_ROUTE_CATS + 1];
    unsigned nc = 0;
    for (unsigned i = 0; i < r->ncats; i++)
        if (!r->cats[i]->where_field || (bits & (1u << i)))
            cats[nc++] = r->cats[i]->category;
    const char *product = windows ? "windows" : s->forced_product;
    const char *service = windows ? r->service : s->forced_service;
    if (r->product || r->lservice || r->category) {
        product = r->product;
        service = r->lservice;
        if (r->category)
            cats[nc++] = r->category;
    } else if (!windows && s->forced_category) {
        cats[nc++] = s->forced_category;
    }
    uint32_t *list = yg_malloc((rs->nrules + 1) * sizeof *list);
    if (!list)
        return YG_ENOMEM;
    uint32_t n = 0;
    for (size_t i = 0; i < rs->nrules; i++) {
        if (rs->rules[i].builtin)
            continue;
        const struct yg_logsource *ls = &rs->rules[i].rule->ls;
        if (!product && !ls->product && !ls->service && !ls->category)
            continue;
        if (!ls_ok(ls->product, product) || !ls_ok(ls->service, service))
            continue;
        if (ls->category) {
            bool ok = false;
            for (unsigned c = 0; c < nc; c++)
                ok |= strcmp(cats[c], ls->category) == 0;
            if (!ok)
                continue;
        }
        if (!product && !service && !nc)
            continue;
        list[n++] = (uint32_t)i;
    }
    struct yg_buf b;
    yg_buf_init(&b, 1u << 16);
    yg_err err = yg_buf_addc(&b, '{');
    bool first = true;
    if (!err && product) {
        err = yg_buf_add(&b, "\"product\":", 10);
        if (!err)
            err = yg_buf_add_json_str(&b, product, strlen(product));
        first = false;
    }
    if (!err && service) {
        err = yg_buf_add(&b, first ? "\"service\":" : ",\"service\":", first ? 10 : 11);
        if (!err)
            err = yg_buf_add_json_str(&b, service, strlen(service));
        first = false;
    }
    if (!err && nc) {
        /* The most specific category is listed last in the mapping. */
        err = yg_buf_add(&b, first ? "\"category\":" : ",\"category\":", first ? 11 : 12);
        if (!err)
            err = yg_buf_add_json_str(&b, cats[nc - 1], strlen(cats[nc - 1]));
    }
    if (!err)
        err = yg_buf_addc(&b, '}');
    if (err) {
        yg_buf_free(&b);
        yg_free(list);
        return err;
    }
    uint8_t *member = yg_calloc((rs->nrules + 8) / 8, 1);
    uint32_t *always = yg_malloc((n + 1) * sizeof *always);
    if (!member || !always) {
        yg_free(member);
        yg_free(always);
        yg_buf_free(&b);
        yg_free(list);
        return YG_ENOMEM;
    }
    uint32_t na = 0;
    for (uint32_t i = 0; i < n; i++) {
        member[list[i] >> 3] |= (uint8_t)(1u << (list[i] & 7));
        if (rs->always[list[i]])
            always[na++] = list[i];
    }
    yg__prefilter_route(rs, list, n, &s->pf_scratch, &r->pf[bits]);
    r->member[bits] = member;
    r->always[bits] = always;
    r->nalways[bits] = na;
    r->ls_json[bits] = yg_buf_take(&b, NULL);
    r->rules[bits] = list;
    r->nrules[bits] = n;
    r->built[bits] = true;
    return build_intel(s, r, bits, product, service, cats, nc);
}

static bool str_eq_null(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = yg_strndup(s, strlen(s));
    if (!d)
        *oom = true;
    return d;
}

/* The route of a log source named by a decoder. */
static struct route *find_ls_route(struct yg_scanner *s)
{
    for (uint32_t i = 0; i < s->nlsroutes; i++) {
        struct route *r = s->lsroutes[i];
        if (str_eq_null(r->product, s->ev_product) && str_eq_null(r->lservice, s->ev_service) &&
            str_eq_null(r->category, s->ev_category))
            return r;
    }
    if (s->nlsroutes >= MAX_ROUTES)
        return NULL;
    struct route *r = yg_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    bool oom = false;
    r->product = dup_or_null(s->ev_product, &oom);
    r->lservice = dup_or_null(s->ev_service, &oom);
    r->category = dup_or_null(s->ev_category, &oom);
    if (s->nlsroutes % 16 == 0 && !oom) {
        struct route **nr = yg_realloc(s->lsroutes, (s->nlsroutes + 16) * sizeof *nr);
        if (!nr)
            oom = true;
        else
            s->lsroutes = nr;
    }
    if (oom) {
        free_route(r);
        return NULL;
    }
    s->lsroutes[s->nlsroutes++] = r;
    return r;
}

static struct route *find_route(struct yg_scanner *s)
{
    const struct yg_mapping *m = &s->rs->map;
    if (s->ev_ls)
        return find_ls_route(s);
    if (!s->channel) {
        if (!s->generic) {
            s->generic = yg_calloc(1, sizeof *s->generic);
            if (!s->generic)
                return NULL;
        }
        return s->generic;
    }
    const struct yg_val *ch = s->channel, *ei = s->eventid;
    for (uint32_t i = 0; i < s->nroutes; i++) {
        struct route *r = s->routes[i];
        if (strlen(r->channel) == ch->n && memcmp(r->channel, ch->p, ch->n) == 0 &&
            ((!ei && !r->eid[0]) ||
             (ei && strlen(r->eid) == ei->n && memcmp(r->eid, ei->p, ei->n) == 0)))
            return r;
    }
    if (s->nroutes >= MAX_ROUTES)
        return NULL;
    struct route *r = yg_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->channel = yg_strndup(ch->p, ch->n);
    r->eid = ei ? yg_strndup(ei->p, ei->n) : yg_strndup("", 0);
    if (!r->channel || !r->eid) {
        free_route(r);
        return NULL;
    }
    for (size_t i = 0; i < m->nchan; i++)
        if (yg_str_ieq(m->chan_names[i], strlen(m->chan_names[i]), ch->p, ch->n))
            r->service = m->chan_services[i];
    long long eid = ei ? strtoll(r->eid, NULL, 10) : -1;
    for (size_t i = 0; i < m->ncats && r->ncats < MAX_ROUTE_CATS; i++) {
        const struct yg_wincat *w = &m->cats[i];
        if (!yg_str_ieq(w->channel, strlen(w->channel), ch->p, ch->n))
            continue;
        for (size_t j = 0; j < w->nids; j++)
            if (w->ids[j] == eid) {
                r->cats[r->ncats++] = w;
                break;
            }
    }
    if (s->nroutes % 64 == 0) {
        struct route **nr = yg_realloc(s->routes, (s->nroutes + 64) * sizeof *nr);
        if (!nr) {
            free_route(r);
            return NULL;
        }
        s->routes = nr;
    }
    s->routes[s->nroutes++] = r;
    return r;
}

/* ---- evaluation ------------------------------------------------------ */

static bool group_test(struct yg_scanner *s, const struct yg_vmgroup *g, const struct yg_val *v)
{
    for (uint32_t i = 0; i < g->n; i++) {
        const struct yg_vm *vm = &g->v[i];
        /* The prefilter saw every atom in the document: a test whose atom
         * is absent cannot pass. */
        if (vm->atom_id && s->pf_ok && s->pf.seen[vm->atom_id - 1] != s->curgen)
            continue;
        if (vm->op == YG_VOP_NULL) {
            if (v->type == YG_VT_NULL)
                return true;
            continue;
        }
        if (yg__vm_test(vm, v, s->re_scratch))
            return true;
    }
    return false;
}

static void sort_u32(uint32_t *v, uint32_t n);

/* The groups of a long list the event can match, in order: those without
 * an atom and those whose atom the prefilter saw (the others are skipped by
 * eval_values all the same); their count, or -1 when walking every group is
 * cheaper (many atoms seen). */
static int64_t groups_to_visit(struct yg_scanner *s, const struct yg_item *it)
{
    const struct yg_pf_state *st = &s->pf;
    if (!it->gpairs || (uint64_t)st->nhits * 2 > it->ngroups)
        return -1;
    uint32_t *c = s->gcand, n = 0;
    for (uint32_t h = 0; h < st->nhits; h++) {
        uint32_t a = st->hits[h] + 1, lo = 0, hi = it->npairs;
        while (lo < hi) { /* the first pair of atom a */
            uint32_t mid = lo + (hi - lo) / 2;
            if (it->gpairs[mid].atom < a)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (; lo < it->npairs && it->gpairs[lo].atom == a; lo++)
            c[n++] = it->gpairs[lo].group;
    }
    sort_u32(c, n);
    /* Merge in the groups without an atom (sorted), from the end. */
    uint32_t total = n + it->nfree, i = n, j = it->nfree;
    for (uint32_t k = total; k-- > 0;)
        c[k] = (j == 0 || (i > 0 && c[i - 1] > it->gfree[j - 1])) ? c[--i] : it->gfree[--j];
    return total;
}

static bool eval_values(struct yg_scanner *s, const struct yg_item *it)
{
    int32_t first = field_first(s, it->fid);
    if (first < 0)
        return it->null_ok && !it->neq;
    /* Any of a long list: only the groups the event can match, in the same
     * order as the walk below, so the same tests run. */
    int64_t nv = s->pf_ok && !it->all ? groups_to_visit(s, it) : -1;
    if (nv >= 0) {
        bool gm = false;
        for (int64_t v = 0; v < nv && !gm; v++)
            for (int32_t k = first; k >= 0 && !gm; k = s->f[k].next)
                gm = group_test(s, &it->groups[s->gcand[v]], &s->f[k].v);
        return it->neq ? !gm : gm;
    }
    bool result = it->all;
    /* Long value lists: a group whose one test has an atom the prefilter did
     * not see cannot match any value (group_test would skip it too). */
    const uint32_t *gatom = s->pf_ok ? it->gatom : NULL;
    for (uint32_t gi = 0; gi < it->ngroups; gi++) {
        bool gm = false;
        bool absent = gatom && gatom[gi] && s->pf.seen[gatom[gi] - 1] != s->curgen;
        for (int32_t k = first; k >= 0 && !gm && !absent; k = s->f[k].next)
            gm = group_test(s, &it->groups[gi], &s->f[k].v);
        if (it->all && !gm) {
            result = false;
            break;
        }
        if (!it->all && gm) {
            result = true;
            break;
        }
    }
    return it->neq ? !result : result;
}

static bool eval_keyword(struct yg_scanner *s, const struct yg_item *it)
{
    bool result = it->all;
    for (uint32_t gi = 0; gi < it->ngroups; gi++) {
        bool gm = false;
        for (uint32_t k = 0; k < s->nf && !gm; k++) {
            uint8_t t = s->f[k].v.type;
            if (t == YG_VT_STR || t == YG_VT_NUM)
                gm = group_test(s, &it->groups[gi], &s->f[k].v);
        }
        if (it->all && !gm)
            return false;
        if (!it->all && gm)
            return true;
    }
    return result;
}

static bool eval_fieldref(struct yg_scanner *s, const struct yg_item *it)
{
    int32_t a = field_first(s, it->fid), b = field_first(s, it->ref_fid);
    if (a < 0 || b < 0)
        return false;
    bool any = false;
    for (int32_t i = a; i >= 0 && !any; i = s->f[i].next)
        for (int32_t j = b; j >= 0 && !any; j = s->f[j].next)
            any = yg__val_compare(it->ref_op, it->ref_cased, &s->f[i].v, &s->f[j].v);
    return it->neq ? !any : any;
}

static bool eval_item_uncached(struct yg_scanner *s, const struct yg_item *it)
{
    switch (it->kind) {
    case YG_I_EXISTS: return (field_first(s, it->fid) >= 0) == it->exists;
    case YG_I_NULL: {
        int32_t first = field_first(s, it->fid);
        bool isnull = first < 0;
        for (int32_t k = first; k >= 0 && !isnull; k = s->f[k].next)
            isnull = s->f[k].v.type == YG_VT_NULL;
        return it->neq ? !isnull : isnull;
    }
    case YG_I_KEYWORD: return eval_keyword(s, it);
    case YG_I_FIELDREF: return eval_fieldref(s, it);
    default: return eval_values(s, it);
    }
}

enum { ITEM_TRUE = 1, ITEM_LIMIT = 2 };

static bool eval_item(struct yg_scanner *s, const struct yg_item *it)
{
    if (s->item_stamp[it->id] == s->curgen) {
        if (s->item_res[it->id] & ITEM_LIMIT)
            s->rule_limited = true;
        return s->item_res[it->id] & ITEM_TRUE;
    }
    uint64_t lim = *s->re_limits;
    bool r = eval_item_uncached(s, it);
    bool limited = *s->re_limits != lim;
    s->item_stamp[it->id] = s->curgen;
    s->item_res[it->id] = (uint8_t)((r ? ITEM_TRUE : 0) | (limited ? ITEM_LIMIT : 0));
    if (limited)
        s->rule_limited = true;
    return r;
}

/* Rule ri could not be decided on this event: a regex of it gave up. */
static void note_limit(struct yg_scanner *s, uint32_t ri)
{
    s->re_limit_total++;
    if (!s->re_limit)
        s->re_limit = yg_calloc(s->rs->nrules + 1, sizeof *s->re_limit);
    if (s->re_limit && ri < s->rs->nrules)
        s->re_limit[ri]++;
}

const uint64_t *yg__scanner_regex_limits(const yg_scanner *s, size_t *nrules, uint64_t *total)
{
    *nrules = s ? s->rs->nrules : 0;
    *total = s ? s->re_limit_total : 0;
    return s ? s->re_limit : NULL;
}

static bool eval_node(struct yg_scanner *s, const struct yg_node *n)
{
    switch (n->kind) {
    case YG_N_ITEM: return eval_item(s, n->item);
    case YG_N_AND:
        for (uint32_t i = 0; i < n->n; i++)
            if (!eval_node(s, n->kids[i]))
                return false;
        return true;
    case YG_N_OR:
        for (uint32_t i = 0; i < n->n; i++)
            if (eval_node(s, n->kids[i]))
                return true;
        return false;
    case YG_N_NOT: return !eval_node(s, n->kids[0]);
    case YG_N_TRUE: return true;
    default: return false;
    }
}

bool yg__rule_eval(struct yg_scanner *s, const struct yg_crule *r)
{
    return eval_node(s, r->root);
}

/* Fields that satisfied positive items of the rule, for the alert. */
/* The fields already in `matched`: a field tested by several items (two
 * selections on CommandLine) is listed once, with its value. */
struct matched_seen {
    int32_t fid[YG_MAX_MATCHED_FIELDS];
    unsigned n;
};

static yg_err collect_matched(struct yg_scanner *s, const struct yg_node *n, struct yg_buf *b,
                              struct matched_seen *seen, unsigned depth)
{
    yg_err err = YG_OK;
    if (depth > 64)
        return YG_OK;
    switch (n->kind) {
    case YG_N_ITEM: {
        const struct yg_item *it = n->item;
        if (it->kind == YG_I_KEYWORD || it->kind == YG_I_EXISTS || !eval_item(s, it))
            return YG_OK;
        int32_t k = field_first(s, it->fid);
        if (k < 0)
            return YG_OK;
        /* One entry per field. */
        for (unsigned i = 0; i < seen->n; i++)
            if (seen->fid[i] == it->fid)
                return YG_OK;
        if (seen->n == YG_MAX_MATCHED_FIELDS)
            return YG_OK;
        if (seen->n)
            YG_TRY(yg_buf_addc(b, ','));
        seen->fid[seen->n++] = it->fid;
        YG_TRY(yg_buf_add_json_str(b, it->field, strlen(it->field)));
        YG_TRY(yg_buf_addc(b, ':'));
        const struct yg_val *v = &s->f[k].v;
        if (v->type == YG_VT_STR)
            YG_TRY(yg_buf_add_json_str(b, v->p, v->n));
        else
            YG_TRY(yg_buf_add(b, v->p, v->n));
        return YG_OK;
    }
    case YG_N_AND:
    case YG_N_OR:
        for (uint32_t i = 0; i < n->n; i++)
            YG_TRY(collect_matched(s, n->kids[i], b, seen, depth + 1));
        return YG_OK;
    default: return YG_OK;
    }
done:
    return err;
}

/* Copy fields under a category's aliases (Security 4688 NewProcessName ->
 * Image) so the rules' names find them. */
static void apply_aliases(struct yg_scanner *s, const struct yg_wincat *w)
{
    for (size_t i = 0; i < w->naliases; i++) {
        int32_t from = yg__field_lookup(s->rs, w->alias_from[i], strlen(w->alias_from[i]));
        int32_t to = yg__field_lookup(s->rs, w->alias_to[i], strlen(w->alias_to[i]));
        if (from < 0 || to < 0 || field_first(s, to) >= 0)
            continue;
        uint32_t limit = s->nf;
        for (int32_t k = field_first(s, from); k >= 0 && (uint32_t)k < limit; k = s->f[k].next) {
            struct yg_val v = s->f[k].v;
            add_field(s, to, w->alias_to[i], (uint32_t)strlen(w->alias_to[i]), &v);
        }
    }
}

/* Insertion sort: candidate lists are short. */
static void sort_u32(uint32_t *v, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i], j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* ---- indicators ---------------------------------------------------- */

struct ihit {
    struct yg_scanner *s;
    const struct route *r;
    unsigned bits;
    const struct ifl *f;
    const struct yg_val *v;
    yg_alert_cb cb;
    void *ud;
    bool stop;
    yg_err err;
};

static int on_intel_hit(void *ud, uint32_t rec)
{
    struct ihit *h = ud;
    struct yg_scanner *s = h->s;
    const struct yg_rules *rs = s->rs;
    int level = yg__intel_level(rs->intel, rec);
    if (level < (int)s->min_level)
        return 0;
    const struct yg_crule *cr = &rs->rules[rs->intel_rule[rs->intel->rec[rec].type]];
    yg_buf_reset(&s->out);
    yg_buf_reset(&s->iout);
    yg_err e = yg_buf_addc(&s->out, '{');
    if (!e)
        e = yg_buf_add_json_str(&s->out, h->f->name, strlen(h->f->name));
    if (!e)
        e = yg_buf_addc(&s->out, ':');
    if (!e)
        e = h->v->type == YG_VT_STR ? yg_buf_add_json_str(&s->out, h->v->p, h->v->n)
                                    : yg_buf_add(&s->out, h->v->p, h->v->n);
    if (!e)
        e = yg_buf_addc(&s->out, '}');
    if (!e)
        e = yg__intel_alert_json(rs->intel, rec, &s->iout);
    if (e) {
        h->err = e;
        return 1;
    }
    yg_alert a = {cr->rule->id,
                  cr->rule->title,
                  yg__level_name((enum yg_level)level),
                  level,
                  cr->tags_json,
                  cr->attack_json,
                  cr->rule->file,
                  s->out.p,
                  s->out.n,
                  h->r->ls_json[h->bits],
                  s->time ? s->time->p : "",
                  s->time ? s->time->n : 0,
                  s->doc,
                  s->doclen,
                  cr->index,
                  s->iout.p,
                  s->iout.n};
    if (h->cb && h->cb(h->ud, &a)) {
        h->stop = true;
        return 1;
    }
    return 0;
}

/* Look up each intel field's values: one hash probe per value (a domain:
 * per parent suffix; an address: per prefix length present). */
static yg_err run_intel(struct yg_scanner *s, const struct route *r, unsigned bits, yg_alert_cb cb,
                        void *ud)
{
    const struct yg_intel *in = s->rs->intel;
    int64_t at = INT64_MIN;
    bool at_known = false;
    struct ihit h = {s, r, bits, NULL, NULL, cb, ud, false, YG_OK};
    for (uint32_t i = 0; i < r->nifl[bits]; i++) {
        const struct ifl *f = &r->ifl[bits][i];
        for (int32_t k = field_first(s, f->fid); k >= 0; k = s->f[k].next) {
            const struct yg_val *v = &s->f[k].v;
            if (v->type != YG_VT_STR && v->type != YG_VT_NUM)
                continue;
            if (!at_known && in->any_until) {
                /* Validity at the event's time, else now. */
                struct timespec ts;
                if (s->intel_wallclock || !s->time ||
                    !yg__time_parse(s->time->p, s->time->n, &at)) {
                    clock_gettime(CLOCK_REALTIME, &ts);
                    at = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
                }
                at_known = true;
            }
            h.f = f;
            h.v = v;
            yg__intel_match(in, (enum yg_ifield_kind)f->kind, v->p, v->n, at, on_intel_hit, &h);
            if (h.err)
                return h.err;
            if (h.stop)
                return YG_OK;
        }
    }
    return YG_OK;
}

static yg_err run_rules(struct yg_scanner *s, yg_alert_cb cb, void *ud)
{
    struct route *r = find_route(s);
    if (!r)
        return YG_ENOMEM;
    unsigned bits = 0;
    for (unsigned i = 0; i < r->ncats; i++) {
        const struct yg_wincat *w = r->cats[i];
        if (w->where_field) {
            int32_t fid = yg__field_lookup(s->rs, w->where_field, strlen(w->where_field));
            int32_t k = field_first(s, fid);
            if (k >= 0 && val_eq_str(&s->f[k].v, w->where_value))
                bits |= 1u << i;
        }
        if (w->naliases)
            apply_aliases(s, w);
    }
    if (!r->built[bits]) {
        yg_err e = build_rules(s, r, bits, s->channel != NULL && !s->ev_ls);
        if (e)
            return e;
    }
    s->last_ls_json = r->ls_json[bits];
    r->events[bits]++;
    if (s->time) {
        if (!s->have_range || s->time_ms < s->first_ms)
            s->first_ms = s->time_ms;
        if (!s->have_range || s->time_ms > s->last_ms)
            s->last_ms = s->time_ms;
        s->have_range = true;
    }
    const yg_rules *rs = s->rs;
    if (s->no_eval || (!r->nrules[bits] && !r->nifl[bits]))
        return YG_OK; /* no rule for this log source: nothing to scan for */
    if (!r->nrules[bits])
        return run_intel(s, r, bits, cb, ud);
    s->pf.gen = s->curgen;
    s->pf_ok = yg__prefilter_scan(rs, s->pf_scratch, s->doc, s->doclen, s->doc_hides, &r->pf[bits],
                                  s->f, s->nf, &s->pf);
    /* Candidates: with a prefilter verdict, the route's "always" rules and
     * the prefilter's hits that belong to the route, in rule order so that
     * alerts come out in the same order whatever the prefilter did; without
     * one, every rule of the route. */
    const uint32_t *list = r->rules[bits];
    uint32_t nlist = r->nrules[bits];
    if (s->pf_ok) {
        const uint8_t *member = r->member[bits];
        uint32_t n = 0;
        for (uint32_t i = 0; i < s->pf.ncand; i++) {
            uint32_t c = s->pf.cand[i];
            if (member[c >> 3] & (1u << (c & 7)))
                s->pf.cand[n++] = c;
        }
        for (uint32_t i = 0; i < r->nalways[bits]; i++)
            s->pf.cand[n++] = r->always[bits][i];
        sort_u32(s->pf.cand, n);
        list = s->pf.cand;
        nlist = n;
    }
    for (uint32_t i = 0; i < nlist; i++) {
        uint32_t ri = list[i];
        const struct yg_crule *cr = &rs->rules[ri];
        if ((int)cr->rule->level < (int)s->min_level)
            continue;
        s->rule_limited = false;
        bool hit = eval_node(s, cr->root);
        if (s->rule_limited)
            note_limit(s, ri);
        if (!hit)
            continue;
        yg_buf_reset(&s->out);
        struct matched_seen seen;
        seen.n = 0;
        yg_err e = yg_buf_addc(&s->out, '{');
        if (!e)
            e = collect_matched(s, cr->root, &s->out, &seen, 0);
        if (!e)
            e = yg_buf_addc(&s->out, '}');
        if (e)
            return e;
        const struct yg_rule *rule = cr->rule;
        yg_alert a = {rule->id ? rule->id : "",
                      rule->title ? rule->title : "",
                      yg__level_name(rule->level),
                      (int)rule->level,
                      cr->tags_json,
                      cr->attack_json,
                      rule->file,
                      s->out.p,
                      s->out.n,
                      r->ls_json[bits],
                      s->time ? s->time->p : "",
                      s->time ? s->time->n : 0,
                      s->doc,
                      s->doclen,
                      ri,
                      NULL,
                      0};
        if (cb && cb(ud, &a))
            return YG_OK;
    }
    return r->nifl[bits] ? run_intel(s, r, bits, cb, ud) : YG_OK;
}

/* No time field, but a date and a time of day (W3C, access logs): join them
 * into one ISO 8601 time, in UTC as W3C logs are, if it parses. */
static void date_time_from_pair(struct yg_scanner *s)
{
    size_t n = s->date->n + 1 + s->tod->n;
    if (n + 2 > sizeof s->date_time)
        return;
    memcpy(s->date_time, s->date->p, s->date->n);
    s->date_time[s->date->n] = 'T';
    memcpy(s->date_time + s->date->n + 1, s->tod->p, s->tod->n);
    s->date_time[n++] = 'Z';
    s->date_time[n] = 0;
    int64_t t_ms;
    if (!yg__time_parse(s->date_time, n, &t_ms))
        return;
    s->time_v = *s->date;
    s->time_v.p = s->date_time;
    s->time_v.n = n;
    s->time = &s->time_v;
    s->time_ms = t_ms;
}

yg_err yg_scanner_scan_json_prefix(yg_scanner *s, const char *buf, size_t len, size_t *used,
                                   yg_alert_cb cb, void *ud)
{
    struct yg_json_sink sink = {s, on_key, on_leaf, guess_key};
    struct yg_json_err je;
    s->nf = 0;
    s->overflow = false;
    s->channel = s->eventid = s->time = NULL;
    s->date = s->tod = NULL;
    s->last_ls_json = NULL;
    if (++s->curgen == 0) {
        memset(s->gen, 0, (s->rs->nfields + 1) * sizeof *s->gen);
        memset(s->pf.stamp, 0, (s->rs->nrules + 1) * sizeof *s->pf.stamp);
        memset(s->pf.seen, 0, (s->rs->natoms + 1) * sizeof *s->pf.seen);
        memset(s->item_stamp, 0, (s->rs->nitems + 1) * sizeof *s->item_stamp);
        s->curgen = 1;
    }
    yg_arena_reset(&s->scratch);
    s->err_msg[0] = 0;
    s->last_path = s->guess_from = -1;
    size_t u = 0;
    yg_err e = yg__json_scan(buf, len, &u, &sink, &s->scratch, &je);
    if (used)
        *used = u;
    s->doc = buf;
    s->doclen = u;
    s->doc_hides = je.hides;
    if (e) {
        s->err_off = je.offset;
        snprintf(s->err_msg, sizeof s->err_msg, "%s", je.msg ? je.msg : yg_strerror(e));
        if (used)
            *used = je.offset;
        return e;
    }
    if (!s->time && s->date && s->tod)
        date_time_from_pair(s);
    return run_rules(s, cb, ud);
}

yg_err yg_scanner_scan_json(yg_scanner *s, const char *json, size_t len, yg_alert_cb cb, void *ud)
{
    size_t used = 0;
    yg_err e = yg_scanner_scan_json_prefix(s, json, len, &used, cb, ud);
    return e;
}

yg_err yg_scanner_scan_json_as(yg_scanner *s, const char *json, size_t len, const char *product,
                               const char *service, const char *category, yg_alert_cb cb, void *ud)
{
    size_t used = 0;
    /* A record that names no log source (plain text lines) takes the one
     * given for events that carry none (--logsource). */
    if (!product && !service && !category) {
        product = s->forced_product;
        service = s->forced_service;
        category = s->forced_category;
    }
    s->ev_ls = true;
    s->ev_product = product;
    s->ev_service = service;
    s->ev_category = category;
    /* The log source is known before parsing: when none of its rules can
     * run (or none are to run), the document need not be parsed at all. */
    struct route *r = find_ls_route(s);
    if (!r) {
        s->ev_ls = false;
        return YG_ENOMEM;
    }
    if (!r->built[0]) {
        yg_err be = build_rules(s, r, 0, false);
        if (be) {
            s->ev_ls = false;
            return be;
        }
    }
    s->last_ls_json = r->ls_json[0];
    if ((!r->nrules[0] && !r->nifl[0]) || s->no_eval) {
        r->events[0]++;
        s->ev_ls = false;
        return YG_OK;
    }
    yg_err e = yg_scanner_scan_json_prefix(s, json, len, &used, cb, ud);
    s->ev_ls = false;
    return e;
}

static void route_coverage(const struct route *r, yg_coverage_cb cb, void *ud)
{
    if (!r)
        return;
    for (unsigned b = 0; b < (1u << MAX_ROUTE_CATS); b++)
        if (r->built[b] && r->events[b])
            cb(ud, r->ls_json[b], r->events[b], r->nrules[b]);
}

bool yg_scanner_time_range(const yg_scanner *s, int64_t *first_ms, int64_t *last_ms)
{
    *first_ms = s->first_ms;
    *last_ms = s->last_ms;
    return s->have_range;
}

void yg_scanner_coverage(const yg_scanner *s, yg_coverage_cb cb, void *ud)
{
    for (uint32_t i = 0; i < s->nroutes; i++)
        route_coverage(s->routes[i], cb, ud);
    for (uint32_t i = 0; i < s->nlsroutes; i++)
        route_coverage(s->lsroutes[i], cb, ud);
    route_coverage(s->generic, cb, ud);
}

const char *yg_scanner_logsource_json(const yg_scanner *s)
{
    return s->last_ls_json ? s->last_ls_json : "{}";
}

void yg_scanner_set_intel_wallclock(yg_scanner *s, bool wallclock)
{
    s->intel_wallclock = wallclock;
}

void yg_scanner_set_eval(yg_scanner *s, bool eval)
{
    s->no_eval = !eval;
}

bool yg_scanner_field(const yg_scanner *s, const char *name, const char **v, size_t *n)
{
    int32_t fid = yg__field_lookup(s->rs, name, strlen(name));
    int32_t k = field_first(s, fid);
    if (k < 0 || s->f[k].v.type == YG_VT_NULL)
        return false;
    *v = s->f[k].v.p;
    *n = s->f[k].v.n;
    return true;
}
