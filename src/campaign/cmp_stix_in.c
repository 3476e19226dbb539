/*
 * cmp_stix_in.c - incidents from partners' STIX 2.1 bundles.
 *
 * STIX 2.1 gives an `incident` almost no properties of its own, so what an
 * incident is made of is found around it:
 *   - a report whose object_refs name exactly one incident (what
 *     `yagura incidents export` writes): everything else it refers to;
 *   - relationships with the incident at one end: the other end (`targets`
 *     an identity: the victim);
 *   - from those, one step further: a sighting's indicator, observed data
 *     and where_sighted_refs (the victim); observed data's objects.
 * Each object found adds features: SCOs (addresses, domains, URLs, file
 * and certificate hashes, e-mail addresses), indicator patterns (through
 * the intel layer's pattern reader) and the indicator itself as an
 * intelligence source, malware and tool names, ATT&CK ids of attack
 * patterns, CVEs of vulnerabilities, and ATT&CK or CVE labels.  The time
 * span comes from sightings and observed data, else the incident's
 * `created`.  An object given in several versions counts in its latest.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "campaign/cmp_int.h"
#include "core/timeparse.h"
#include "core/tjson.h"
#include "intel/intel.h"

/* One object read, and where from. */
struct bobj {
    const struct yg_tj *o;
    const char *text; /* its file's text (o->start, o->end are offsets in it) */
    const char *file;
};

struct bctx {
    struct yg_cmp_set *s;
    const char *name; /* the file of the incident being read */
    struct bobj *all; /* every object of every file of this load */
    size_t nall, capall;
    char **texts; /* the files' texts, kept while the trees refer to them */
    size_t ntexts, captexts;
    struct yg_arena *pa;      /* the parse */
    const struct yg_tj **obj; /* latest version of each id */
    const struct bobj **src;  /* and where it was read */
    size_t nobj;
    struct yg_htab ids; /* id -> index in obj */
    uint32_t *mark;     /* per object: the incident that last visited it, + 1 */
    size_t *queue;
    size_t nq, capq;
    const char *victim; /* best victim identity id so far */
    int victim_rank;    /* 3 targets, 2 where sighted, 1 created_by */
};

static bool parse_time(const struct yg_tj *o, const char *key, int64_t *ms)
{
    const char *v = yg__tj_str(o, key);
    return v && yg__time_parse(v, strlen(v), ms);
}

static const struct yg_tj *by_id(struct bctx *b, const char *id)
{
    uint32_t v;
    return id && yg__htab_get(&b->ids, id, strlen(id), &v) ? b->obj[v] : NULL;
}

static yg_err push(struct bctx *b, const char *id, uint32_t stamp)
{
    uint32_t v;
    if (!id || !yg__htab_get(&b->ids, id, strlen(id), &v) || b->mark[v] == stamp)
        return YG_OK;
    b->mark[v] = stamp;
    if (b->nq == b->capq) {
        size_t cap = b->capq ? b->capq * 2 : 64;
        size_t *nq = yg_realloc(b->queue, cap * sizeof *nq);
        if (!nq)
            return YG_ENOMEM;
        b->queue = nq, b->capq = cap;
    }
    b->queue[b->nq++] = v;
    return YG_OK;
}

static void victim(struct bctx *b, const char *id, int rank)
{
    const struct yg_tj *o = by_id(b, id);
    const char *t = yg__tj_str(o, "type");
    if (!t || strcmp(t, "identity"))
        return;
    /* The strongest statement wins; among equals the smallest id, so the order of objects
     * in the bundle does not decide. */
    if (rank > b->victim_rank || (rank == b->victim_rank && strcmp(id, b->victim) < 0))
        b->victim = id, b->victim_rank = rank;
}

static yg_err refs(struct bctx *b, const struct yg_tj *o, const char *key, uint32_t stamp)
{
    const struct yg_tj *k;
    for (size_t i = 0; (k = yg__tj_kid(yg__tj_get(o, key), YG_TJ_ARR, i)); i++)
        if (k->type == YG_TJ_STR) {
            yg_err err = push(b, k->s, stamp);
            if (err)
                return err;
        }
    return YG_OK;
}

static yg_err ext_refs(struct bctx *b, struct cmp_raw *r, const struct yg_tj *o, bool tech)
{
    const struct yg_tj *e;
    for (size_t i = 0; (e = yg__tj_kid(yg__tj_get(o, "external_references"), YG_TJ_ARR, i)); i++) {
        const char *src = yg__tj_str(e, "source_name"), *x = yg__tj_str(e, "external_id");
        if (!src || !x)
            continue;
        if ((tech && !strcmp(src, "mitre-attack")) || (!tech && !strcmp(src, "cve"))) {
            yg_err err = yg__cmp_tag(b->s, r, x);
            if (err)
                return err;
        }
    }
    return YG_OK;
}

static yg_err labels(struct bctx *b, struct cmp_raw *r, const struct yg_tj *o)
{
    const struct yg_tj *e;
    for (size_t i = 0; (e = yg__tj_kid(yg__tj_get(o, "labels"), YG_TJ_ARR, i)); i++)
        if (e->type == YG_TJ_STR) {
            yg_err err = yg__cmp_tag(b->s, r, e->s);
            if (err)
                return err;
        }
    return YG_OK;
}

static yg_err pattern(struct bctx *b, struct cmp_raw *r, const struct yg_tj *o)
{
    const char *pt = yg__tj_str(o, "pattern_type"), *p = yg__tj_str(o, "pattern");
    const char *id = yg__tj_str(o, "id");
    /* A Sigma indicator is a detection rule every organisation may run: it says nothing
     * about who attacked. */
    if (!p || (pt && strcmp(pt, "stix")))
        return YG_OK;
    struct yg_pat_result pr;
    memset(&pr, 0, sizeof pr);
    if (yg__stix_pattern(p, strlen(p), b->pa, &pr) != YG_OK) {
        yg__cmp_warn(b->s, "%s: %s: pattern not read: %s", b->name, id ? id : "?", pr.why);
        return YG_OK;
    }
    static const enum yg_cmp_kind map[YG_IOC_NTYPES] = {YG_CMPF_IP,   YG_CMPF_DOMAIN, YG_CMPF_URL,
                                                        YG_CMPF_HASH, YG_CMPF_EMAIL,  YG_CMPF_N};
    for (size_t i = 0; i < pr.n; i++) {
        enum yg_cmp_kind k = map[pr.iocs[i].type];
        if (k != YG_CMPF_N) {
            yg_err err = yg__cmp_feat(b->s, r, k, pr.iocs[i].value, pr.iocs[i].vn);
            if (err)
                return err;
        }
    }
    return id ? yg__cmp_feat(b->s, r, YG_CMPF_INTEL, id, strlen(id)) : YG_OK;
}

static yg_err hashes(struct bctx *b, struct cmp_raw *r, const struct yg_tj *o, enum yg_cmp_kind k)
{
    const struct yg_tj *h = yg__tj_get(o, "hashes"), *e;
    for (size_t i = 0; (e = yg__tj_kid(h, YG_TJ_OBJ, i)); i++)
        if (e->type == YG_TJ_STR) {
            yg_err err = yg__cmp_feat(b->s, r, k, e->s, e->sn);
            if (err)
                return err;
        }
    return YG_OK;
}

/* The features one object adds to r; stamp: for the objects it leads to. */
static yg_err object(struct bctx *b, struct cmp_raw *r, const struct yg_tj *o, uint32_t stamp)
{
    const char *t = yg__tj_str(o, "type"), *v = yg__tj_str(o, "value");
    int64_t a, z;
    yg_err err = YG_OK;
    if (!t)
        return YG_OK;
    if (!strcmp(t, "sighting") || !strcmp(t, "observed-data")) {
        bool s = t[1] == 'i';
        if (parse_time(o, s ? "first_seen" : "first_observed", &a)) {
            if (!parse_time(o, s ? "last_seen" : "last_observed", &z) || z < a)
                z = a;
            yg__cmp_span(r, a, z);
        }
        if (s) {
            const struct yg_tj *w;
            for (size_t i = 0; (w = yg__tj_kid(yg__tj_get(o, "where_sighted_refs"), YG_TJ_ARR, i));
                 i++)
                if (w->type == YG_TJ_STR)
                    victim(b, w->s, 2);
            err = push(b, yg__tj_str(o, "sighting_of_ref"), stamp);
            if (!err)
                err = refs(b, o, "observed_data_refs", stamp);
        } else {
            err = refs(b, o, "object_refs", stamp);
        }
    } else if (!strcmp(t, "indicator")) {
        err = pattern(b, r, o);
        if (!err)
            err = labels(b, r, o);
    } else if (!strcmp(t, "malware") || !strcmp(t, "tool")) {
        const char *n = yg__tj_str(o, "name");
        err = n ? yg__cmp_feat(b->s, r, YG_CMPF_MALWARE, n, strlen(n)) : YG_OK;
    } else if (!strcmp(t, "attack-pattern")) {
        err = ext_refs(b, r, o, true);
    } else if (!strcmp(t, "vulnerability")) {
        const char *n = yg__tj_str(o, "name");
        err = n ? yg__cmp_tag(b->s, r, n) : YG_OK;
        if (!err)
            err = ext_refs(b, r, o, false);
    } else if (!strcmp(t, "identity")) {
        victim(b, yg__tj_str(o, "id"), 1);
    } else if (!strcmp(t, "ipv4-addr") || !strcmp(t, "ipv6-addr")) {
        err = v ? yg__cmp_feat(b->s, r, YG_CMPF_IP, v, strlen(v)) : YG_OK;
    } else if (!strcmp(t, "domain-name")) {
        err = v ? yg__cmp_feat(b->s, r, YG_CMPF_DOMAIN, v, strlen(v)) : YG_OK;
    } else if (!strcmp(t, "url")) {
        err = v ? yg__cmp_feat(b->s, r, YG_CMPF_URL, v, strlen(v)) : YG_OK;
    } else if (!strcmp(t, "email-addr")) {
        err = v ? yg__cmp_feat(b->s, r, YG_CMPF_EMAIL, v, strlen(v)) : YG_OK;
    } else if (!strcmp(t, "file")) {
        err = hashes(b, r, o, YG_CMPF_HASH);
    } else if (!strcmp(t, "x509-certificate")) {
        err = hashes(b, r, o, YG_CMPF_CERT);
        const char *sn = yg__tj_str(o, "serial_number");
        char buf[300];
        if (!err && sn && strlen(sn) < 256) {
            snprintf(buf, sizeof buf, "serial:%s", sn);
            err = yg__cmp_feat(b->s, r, YG_CMPF_CERT, buf, strlen(buf));
        }
    }
    return err;
}

struct pair {
    size_t inc, obj;
};

static int pair_cmp(const void *x, const void *y)
{
    const struct pair *a = x, *b = y;
    if (a->inc != b->inc)
        return a->inc < b->inc ? -1 : 1;
    return a->obj < b->obj ? -1 : a->obj > b->obj;
}

static bool is_type(const struct yg_tj *o, const char *t)
{
    const char *v = yg__tj_str(o, "type");
    return v && !strcmp(v, t);
}

static bool is_incident_ref(struct bctx *b, const char *id, size_t *idx)
{
    uint32_t v;
    if (!id || strncmp(id, "incident--", 10) || !yg__htab_get(&b->ids, id, strlen(id), &v))
        return false;
    *idx = v;
    return true;
}

/* What leads to each incident: reports on it alone, relationships at it. */
static yg_err links_of(struct bctx *b, struct pair **out, size_t *nout)
{
    struct pair *p = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < b->nobj; i++) {
        const struct yg_tj *o = b->obj[i];
        size_t hit[2], nh = 0, x;
        if (is_type(o, "report")) {
            const struct yg_tj *k;
            for (size_t j = 0; (k = yg__tj_kid(yg__tj_get(o, "object_refs"), YG_TJ_ARR, j)); j++)
                if (k->type == YG_TJ_STR && is_incident_ref(b, k->s, &x) && nh < 2)
                    hit[nh++] = x;
            if (nh != 1)
                continue; /* a report on several incidents does not say what belongs to which */
        } else if (is_type(o, "relationship")) {
            if (is_incident_ref(b, yg__tj_str(o, "source_ref"), &x))
                hit[nh++] = x;
            if (is_incident_ref(b, yg__tj_str(o, "target_ref"), &x))
                hit[nh++] = x;
        }
        for (size_t j = 0; j < nh; j++) {
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                struct pair *np = yg_realloc(p, cap * sizeof *np);
                if (!np) {
                    yg_free(p);
                    return YG_ENOMEM;
                }
                p = np;
            }
            p[n++] = (struct pair){hit[j], i};
        }
    }
    if (n)
        qsort(p, n, sizeof *p, pair_cmp);
    *out = p, *nout = n;
    return YG_OK;
}

/* A relationship or report leading from incident inc: what it adds. */
static yg_err lead(struct bctx *b, const struct yg_tj *o, const char *inc, uint32_t stamp)
{
    if (is_type(o, "report"))
        return refs(b, o, "object_refs", stamp);
    const char *src = yg__tj_str(o, "source_ref"), *dst = yg__tj_str(o, "target_ref");
    const char *other = src && !strcmp(src, inc) ? dst : src;
    const char *rt = yg__tj_str(o, "relationship_type");
    if (rt && !strcmp(rt, "targets"))
        victim(b, other, 3);
    return push(b, other, stamp);
}

/* The victim found: the organisation's name (the inventory's when it knows
 * the identity) and its sectors (the identity's, else the inventory's). */
static yg_err set_victim(struct bctx *b, struct cmp_raw *r)
{
    const struct yg_tj *id = by_id(b, b->victim), *e;
    const char *name = yg__tj_str(id, "name");
    const struct cmp_org *o = yg__cmp_org_by_name(b->s, name);
    if (name)
        r->org = o ? o->name : yg_arena_strndup(&b->s->a, name, strlen(name));
    for (size_t i = 0; (e = yg__tj_kid(yg__tj_get(id, "sectors"), YG_TJ_ARR, i)); i++)
        if (e->type == YG_TJ_STR && yg__cmp_feat(b->s, r, YG_CMPF_SECTOR, e->s, e->sn))
            return YG_ENOMEM;
    return YG_OK;
}

static yg_err one_incident(struct bctx *b, size_t idx, const struct pair *p, size_t np)
{
    const struct yg_tj *o = b->obj[idx];
    const char *id = yg__tj_str(o, "id"), *name = yg__tj_str(o, "name");
    b->name = b->src[idx]->file;
    uint32_t stamp = (uint32_t)idx + 1;
    struct cmp_raw *r = yg__cmp_raw_new(b->s, id, b->name);
    if (!r)
        return YG_ENOMEM;
    if (name)
        r->name = yg_arena_strndup(&b->s->a, name, strlen(name));
    int64_t t;
    if (parse_time(o, "created", &t))
        r->created_ms = t;
    b->nq = 0, b->victim = NULL, b->victim_rank = 0;
    b->mark[idx] = stamp;
    victim(b, yg__tj_str(o, "created_by_ref"), 1);
    yg_err err = labels(b, r, o);
    if (!err)
        err = ext_refs(b, r, o, true);
    if (!err)
        err = ext_refs(b, r, o, false);
    for (size_t i = 0; !err && i < np; i++)
        err = lead(b, b->obj[p[i].obj], id, stamp);
    /* Objects reached lead one step further (a sighting to its indicator and
     * observed data, observed data to its SCOs), not beyond. */
    for (size_t i = 0; !err && i < b->nq; i++)
        err = object(b, r, b->obj[b->queue[i]], stamp);
    if (!err && b->victim)
        err = set_victim(b, r);
    if (!err)
        err = yg__cmp_inventory_sectors(b->s, r);
    if (r->first_ms == INT64_MAX && r->created_ms != INT64_MAX)
        r->first_ms = r->last_ms = r->created_ms;
    if (!err && r->first_ms == INT64_MAX) {
        yg__cmp_warn(b->s, "%s: %s: no time (no sighting, observed data or created): left out",
                     b->name, id);
        b->s->nraw--;
        for (int k = 0; k < YG_CMPF_N; k++)
            yg_free(r->f[k].v);
    }
    if (err == YG_ENOMEM)
        yg__cmp_fail(b->s, "%s: out of memory", b->name);
    return err;
}

/* Index the objects by id, keeping each id's latest version. */
static yg_err index_objects(struct bctx *b)
{
    b->obj = yg_calloc(b->nall ? b->nall : 1, sizeof *b->obj);
    b->src = yg_calloc(b->nall ? b->nall : 1, sizeof *b->src);
    b->mark = yg_calloc(b->nall ? b->nall : 1, sizeof *b->mark);
    if (!b->obj || !b->src || !b->mark)
        return YG_ENOMEM;
    for (size_t i = 0; i < b->nall; i++) {
        const struct bobj *x = &b->all[i];
        const char *id = yg__tj_str(x->o, "id");
        uint32_t v = (uint32_t)b->nobj;
        bool added;
        if (yg__htab_add(&b->ids, id, strlen(id), &v, &added))
            return YG_ENOMEM;
        if (added) {
            b->src[b->nobj] = x;
            b->obj[b->nobj++] = x->o;
            continue;
        }
        /* The latest version wins; between two of the same version, the smaller text, so
         * that the order of the objects and files never decides. */
        const struct bobj *p = b->src[v];
        const char *m1 = yg__tj_str(p->o, "modified"), *m2 = yg__tj_str(x->o, "modified");
        int c = m1 && m2 ? strcmp(m2, m1) : (m2 != NULL) - (m1 != NULL);
        if (!c) {
            size_t n1 = p->o->end - p->o->start, n2 = x->o->end - x->o->start;
            c = memcmp(p->text + p->o->start, x->text + x->o->start, n1 < n2 ? n1 : n2);
            c = c ? c : (n1 > n2) - (n1 < n2);
        }
        if (c > 0)
            b->obj[v] = x->o, b->src[v] = x;
    }
    return YG_OK;
}

/* Every incident of the objects read. */
static yg_err incidents(struct bctx *b)
{
    struct pair *p = NULL;
    size_t np = 0;
    yg_err err = index_objects(b);
    if (!err)
        err = links_of(b, &p, &np);
    if (err == YG_ENOMEM)
        yg__cmp_fail(b->s, "%s: out of memory", b->name);
    for (size_t i = 0, j = 0; !err && i < b->nobj; i++) {
        if (!is_type(b->obj[i], "incident"))
            continue;
        while (j < np && p[j].inc < i)
            j++;
        size_t k = j;
        while (k < np && p[k].inc == i)
            k++;
        err = one_incident(b, i, p ? p + j : NULL, k - j);
    }
    yg_free(p);
    return err;
}

/* Parse one file's text (kept by the caller until the load ends) and add its objects. */
static yg_err parse_file(struct bctx *b, const char *name, const char *buf, size_t n)
{
    struct yg_tjp pp = {.p = buf, .len = n, .a = b->pa, .max_nodes = YG_INTEL_MAX_JSON_NODES};
    struct yg_tj *root = NULL;
    yg_err err = yg__tj_value(&pp, &root);
    if (!err) {
        yg__tj_ws(&pp);
        if (pp.pos != pp.len)
            pp.err = "content after the bundle", pp.err_off = pp.pos, err = YG_ESYNTAX;
    }
    if (err) {
        unsigned line, col;
        yg__tj_errpos(&pp, &line, &col);
        yg__cmp_fail(b->s, "%s:%u:%u: %s", name, line, col, pp.err ? pp.err : "invalid JSON");
        return err;
    }
    const struct yg_tj *arr = yg__tj_get(root, "objects");
    if (root->type != YG_TJ_OBJ || !arr || arr->type != YG_TJ_ARR) {
        yg__cmp_fail(b->s, "%s: not a STIX bundle (expected an object with an objects array)",
                     name);
        return YG_ESYNTAX;
    }
    const char *file = yg_arena_strndup(b->pa, name, strlen(name));
    if (!file)
        return YG_ENOMEM;
    for (size_t i = 0; i < arr->n; i++) {
        const struct yg_tj *o = arr->kids[i];
        if (!yg__tj_str(o, "id") || !yg__tj_str(o, "type")) {
            yg__cmp_warn(b->s, "%s: object %zu has no type or id: skipped", name, i + 1);
            continue;
        }
        if (b->nall == b->capall) {
            size_t cap = b->capall ? b->capall * 2 : 256;
            struct bobj *na = yg_realloc(b->all, cap * sizeof *na);
            if (!na) {
                yg__cmp_fail(b->s, "%s: out of memory", name);
                return YG_ENOMEM;
            }
            b->all = na, b->capall = cap;
        }
        b->all[b->nall++] = (struct bobj){o, buf, file};
    }
    return YG_OK;
}

static void bctx_free(struct bctx *b)
{
    yg__htab_free(&b->ids);
    yg_free(b->obj);
    yg_free(b->src);
    yg_free(b->mark);
    yg_free(b->queue);
    yg_free(b->all);
    for (size_t i = 0; i < b->ntexts; i++)
        yg_free(b->texts[i]);
    yg_free(b->texts);
    yg_arena_free(b->pa);
}

yg_err yg__cmp_load_bundle_mem(struct yg_cmp_set *s, const char *name, const char *buf, size_t n)
{
    struct yg_arena pa;
    yg_arena_init(&pa, 1u << 16, 0);
    struct bctx b = {.s = s, .name = name, .pa = &pa};
    yg_err err = parse_file(&b, name, buf, n);
    if (!err)
        err = incidents(&b);
    bctx_free(&b);
    return err;
}

static int name_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Read one bundle file into the load. */
static yg_err read_file(struct bctx *b, const char *path)
{
    char *text = NULL;
    size_t n = 0;
    yg_err err = yg_file_read(path, YG_CMP_MAX_BUNDLE, &text, &n);
    if (err) {
        yg__cmp_fail(b->s, "%s: %s", path,
                     err == YG_ELIMIT ? "larger than 512 MB (the limit)" : "cannot read the file");
        return err;
    }
    if (b->ntexts == b->captexts) {
        size_t cap = b->captexts ? b->captexts * 2 : 16;
        char **nt = yg_realloc(b->texts, cap * sizeof *nt);
        if (!nt) {
            yg_free(text);
            yg__cmp_fail(b->s, "%s: out of memory", path);
            return YG_ENOMEM;
        }
        b->texts = nt, b->captexts = cap;
    }
    b->texts[b->ntexts++] = text;
    return parse_file(b, path, text, n);
}

/* Every *.json file under dir, in name order, depth first. */
static yg_err read_dir(struct bctx *b, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) {
        yg__cmp_fail(b->s, "%s: cannot open the folder", dir);
        return YG_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    yg_err err = YG_OK;
    struct dirent *de;
    while (!err && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = yg_realloc(names, cap * sizeof *nn);
            if (!nn) {
                err = YG_ENOMEM;
                break;
            }
            names = nn;
        }
        if (!(names[n] = yg_strndup(de->d_name, strlen(de->d_name))))
            err = YG_ENOMEM;
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; !err && i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = strlen(names[i]);
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 8)
            err = read_dir(b, path, depth + 1);
        else if (S_ISREG(st.st_mode) && len > 5 && !strcmp(names[i] + len - 5, ".json"))
            err = read_file(b, path);
    }
    for (size_t i = 0; i < n; i++)
        yg_free(names[i]);
    yg_free(names);
    if (err == YG_ENOMEM)
        yg__cmp_fail(b->s, "%s: out of memory", dir);
    return err;
}

/* A file, or a folder read as one: its bundles may refer to each other's objects (the pages
 * `yagura intel pull` writes cut a collection anywhere). */
yg_err yg__cmp_load_bundle(struct yg_cmp_set *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        yg__cmp_fail(s, "%s: no such file or folder", path);
        return YG_ENOTFOUND;
    }
    struct yg_arena pa;
    yg_arena_init(&pa, 1u << 16, 0);
    struct bctx b = {.s = s, .name = path, .pa = &pa};
    yg_err err = S_ISDIR(st.st_mode) ? read_dir(&b, path, 0) : read_file(&b, path);
    if (!err)
        err = incidents(&b);
    bctx_free(&b);
    return err;
}
