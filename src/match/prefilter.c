/*
 * prefilter.c - one multi-pattern scan decides which rules can match.
 *
 * Most rules cannot match most events.  For each rule the compiler derives a
 * necessary condition: a set of literals ("atoms") such that, if the rule
 * matches an event, at least one of them occurs (case-insensitively) in the
 * event's text.  The derivation follows the condition tree:
 *
 *   item  -> the atoms of its values (every value must have one; `all` may
 *            use any single value's atoms); neq, null, exists, fieldref
 *            have none
 *   and   -> the best atom set of any child (any one is necessary)
 *   or    -> the union of its children's sets (all must have one)
 *   not   -> none
 *
 * Rules without such a set ("always" rules) are evaluated on every event of
 * their log source.  All atoms of all rules go into one Hyperscan literal
 * database (the approach Suricata takes with its multi-pattern matcher), so
 * one pass over the raw event bytes yields the candidate rules.
 *
 * A database holds at most PF_DB_ATOMS atoms; a field (or the raw document)
 * with more gets several, scanned one after the other.  Hyperscan's compile
 * time grows faster than the number of literals it is given, so bounded
 * databases keep rule compilation linear in the number of rules.
 *
 * The scan runs over the JSON text of the event, so atoms are stored in
 * their JSON-escaped form (`\` as `\\`, `"` as `\"`).  A document that uses
 * `\u` or `\/` escapes could hide an atom from the raw scan; such documents
 * skip the prefilter and evaluate every rule of their source.
 */
#include <hs.h>
#include <stdio.h>
#include <stdlib.h>

#include "match/dbcache.h"
#include "match/program.h"

/* Atoms shorter than this match too often to be worth it. */
#define MIN_ATOM 4
/* Items with at least this many values get per-value atoms (see below). */
#define LONG_LIST 8
/* Fields with at least this many atoms get a database of their own. */
#define FIELD_DB_MIN 16
/* Most atoms in one Hyperscan database.  The whole SigmaHQ corpus needs at
 * most about 9,600 in one field, so it compiles to one database per field;
 * generated sets of tens of thousands of rules get several. */
#define PF_DB_ATOMS 16384u

/* The databases of one field or of the raw document (rs->hs_db, fid_db[f]). */
struct pf_dbs {
    size_t n;
    hs_database_t *db[];
};

/* A log source's own raw-document database and the atoms it was compiled
 * from (struct yg_rules: subs). */
struct pf_sub {
    uint64_t hash;
    uint32_t *ids;
    size_t n;
    struct pf_dbs *d;
};

/* An atom and the field it must occur in (-1: any field, for keywords). */
struct atomref {
    const char *p;
    size_t n;
    int32_t fid;
};

struct aset {
    struct atomref *a;
    size_t n;
    bool none; /* no necessary atom set */
};

struct pbuild {
    struct yg_str *v;
    size_t n, cap;
};

static size_t aset_min(const struct aset *s)
{
    size_t m = (size_t)-1;
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].n < m)
            m = s->a[i].n;
    return s->n ? m : 0;
}

/* Is a better than b as a filter? Longer shortest atom, then fewer atoms. */
static bool aset_better(const struct aset *a, const struct aset *b)
{
    if (a->none)
        return false;
    if (b->none)
        return true;
    size_t ma = aset_min(a), mb = aset_min(b);
    if (ma != mb)
        return ma > mb;
    return a->n < b->n;
}

static yg_err aset_add(struct aset *s, struct atomref atom)
{
    struct atomref *na = yg_realloc(s->a, (s->n + 1) * sizeof *na);
    if (!na)
        return YG_ENOMEM;
    s->a = na;
    s->a[s->n++] = atom;
    return YG_OK;
}

static void aset_free(struct aset *s)
{
    yg_free(s->a);
    s->a = NULL;
    s->n = 0;
}

static yg_err group_atoms(const struct yg_vmgroup *g, int32_t fid, struct aset *out)
{
    out->none = false;
    for (uint32_t i = 0; i < g->n; i++) {
        const struct yg_vm *vm = &g->v[i];
        if (vm->atom.n < MIN_ATOM) {
            out->none = true;
            return YG_OK;
        }
        yg_err e = aset_add(out, (struct atomref){vm->atom.p, vm->atom.n, fid});
        if (e)
            return e;
    }
    if (!out->n)
        out->none = true;
    return YG_OK;
}

static yg_err item_atoms(const struct yg_item *it, struct aset *out)
{
    memset(out, 0, sizeof *out);
    if (it->neq || it->null_ok || (it->kind != YG_I_VALUES && it->kind != YG_I_KEYWORD) ||
        !it->ngroups) {
        out->none = true;
        return YG_OK;
    }
    if (it->all) {
        /* Every value must match: any one value's atoms are necessary. */
        struct aset best = {NULL, 0, true};
        for (uint32_t g = 0; g < it->ngroups; g++) {
            struct aset s = {0};
            yg_err e = group_atoms(&it->groups[g], it->kind == YG_I_KEYWORD ? -1 : it->fid, &s);
            if (e) {
                aset_free(&s);
                aset_free(&best);
                return e;
            }
            if (aset_better(&s, &best)) {
                aset_free(&best);
                best = s;
            } else {
                aset_free(&s);
            }
        }
        *out = best;
        return YG_OK;
    }
    for (uint32_t g = 0; g < it->ngroups; g++) {
        struct aset s = {0};
        yg_err e = group_atoms(&it->groups[g], it->kind == YG_I_KEYWORD ? -1 : it->fid, &s);
        if (e || s.none) {
            aset_free(&s);
            aset_free(out);
            out->none = true;
            return e;
        }
        for (size_t i = 0; i < s.n; i++)
            if ((e = aset_add(out, s.a[i]))) {
                aset_free(&s);
                return e;
            }
        aset_free(&s);
    }
    return YG_OK;
}

/* A necessary condition in conjunctive form: every clause must have at
 * least one of its atoms in the event.  An empty CNF constrains nothing. */
#define MAX_CLAUSES 2
struct cnf {
    struct aset c[MAX_CLAUSES];
    unsigned n;
};

static void cnf_free(struct cnf *f)
{
    for (unsigned i = 0; i < f->n; i++)
        aset_free(&f->c[i]);
    f->n = 0;
}

/* Insert clause s (taking ownership), keeping the best MAX_CLAUSES. */
static void cnf_add(struct cnf *f, struct aset *s)
{
    if (s->none || !s->n) {
        aset_free(s);
        return;
    }
    unsigned pos = f->n;
    while (pos > 0 && aset_better(s, &f->c[pos - 1]))
        pos--;
    if (pos >= MAX_CLAUSES) {
        aset_free(s);
        return;
    }
    if (f->n == MAX_CLAUSES) {
        aset_free(&f->c[MAX_CLAUSES - 1]);
        f->n--;
    }
    memmove(&f->c[pos + 1], &f->c[pos], (f->n - pos) * sizeof f->c[0]);
    f->c[pos] = *s;
    f->n++;
    memset(s, 0, sizeof *s);
}

static yg_err node_cnf(const struct yg_node *n, struct cnf *out, unsigned depth)
{
    memset(out, 0, sizeof *out);
    yg_err e = YG_OK;
    if (depth > 256)
        return YG_OK;
    switch (n->kind) {
    case YG_N_ITEM: {
        struct aset s;
        if ((e = item_atoms(n->item, &s))) {
            aset_free(&s);
            return e;
        }
        cnf_add(out, &s);
        return YG_OK;
    }
    case YG_N_AND:
        /* Every child's clauses are necessary: keep the best of all. */
        for (uint32_t i = 0; i < n->n; i++) {
            struct cnf k;
            if ((e = node_cnf(n->kids[i], &k, depth + 1))) {
                cnf_free(&k);
                cnf_free(out);
                return e;
            }
            for (unsigned j = 0; j < k.n; j++)
                cnf_add(out, &k.c[j]);
        }
        return YG_OK;
    case YG_N_OR: {
        /* (A1 and A2) or (B1 and B2) implies (A1 or B1) and (A2 or B2):
         * clause j is the union of each child's clause j (or its last). */
        struct cnf kids[64];
        uint32_t nk = n->n;
        if (nk > 64)
            return YG_OK;
        unsigned maxc = MAX_CLAUSES;
        uint32_t done_k = 0;
        for (; done_k < nk; done_k++) {
            if ((e = node_cnf(n->kids[done_k], &kids[done_k], depth + 1)) || !kids[done_k].n) {
                done_k++;
                goto or_done;
            }
            if (kids[done_k].n < maxc)
                maxc = kids[done_k].n;
        }
        for (unsigned j = 0; j < maxc && !e; j++) {
            struct aset u = {0};
            for (uint32_t k = 0; k < nk && !e; k++) {
                const struct aset *c = &kids[k].c[j];
                for (size_t a = 0; a < c->n && !e; a++)
                    e = aset_add(&u, c->a[a]);
            }
            if (!e)
                cnf_add(out, &u);
            else
                aset_free(&u);
        }
    or_done:
        for (uint32_t k = 0; k < done_k; k++)
            cnf_free(&kids[k]);
        if (e)
            cnf_free(out);
        return e;
    }
    default: return YG_OK;
    }
}

/* ---- atom table --------------------------------------------------------- */

/* (rule, atom) pairs, in the order found. */
struct rawpairs {
    uint32_t (*p)[2];
    size_t n, cap;
};

static yg_err raw_pair(struct rawpairs *rp, size_t rule, uint32_t atom)
{
    if (rp->n == rp->cap) {
        size_t nc = rp->cap ? rp->cap * 2 : 1024;
        uint32_t(*np)[2] = yg_realloc(rp->p, nc * sizeof *np);
        if (!np)
            return YG_ENOMEM;
        rp->p = np;
        rp->cap = nc;
    }
    rp->p[rp->n][0] = (uint32_t)rule;
    rp->p[rp->n][1] = atom;
    rp->n++;
    return YG_OK;
}

struct atom_ent {
    int32_t db; /* field id of its database, or -1: the raw-document database */
    char *s;    /* lowercase; JSON-escaped in the raw-document database */
    size_t n;
    uint32_t *rules;
    size_t nrules, cap;
};

struct atom_tab {
    struct atom_ent *e;
    size_t n, cap;
    int32_t *hash;
    size_t hcap;
};

/* Add an atom (and the rule clause it serves, unless rule is NO_RULE);
 * *id receives its index. */
#define NO_RULE UINT32_MAX
static yg_err tab_add(struct atom_tab *t, int32_t db, const char *s, size_t n, uint32_t rule,
                      uint32_t *id)
{
    if ((t->n + 1) * 2 > t->hcap) {
        size_t nc = t->hcap ? t->hcap * 2 : 4096;
        int32_t *nh = yg_malloc(nc * sizeof *nh);
        if (!nh)
            return YG_ENOMEM;
        for (size_t i = 0; i < nc; i++)
            nh[i] = -1;
        for (size_t i = 0; i < t->n; i++) {
            size_t j = (yg_hash(t->e[i].s, t->e[i].n) ^ (uint32_t)t->e[i].db) & (nc - 1);
            while (nh[j] >= 0)
                j = (j + 1) & (nc - 1);
            nh[j] = (int32_t)i;
        }
        yg_free(t->hash);
        t->hash = nh;
        t->hcap = nc;
    }
    size_t j = (yg_hash(s, n) ^ (uint32_t)db) & (t->hcap - 1);
    while (t->hash[j] >= 0) {
        struct atom_ent *a = &t->e[t->hash[j]];
        if (a->db == db && a->n == n && memcmp(a->s, s, n) == 0)
            break;
        j = (j + 1) & (t->hcap - 1);
    }
    struct atom_ent *a;
    if (t->hash[j] >= 0) {
        a = &t->e[t->hash[j]];
        if (id)
            *id = (uint32_t)t->hash[j];
    } else {
        if (t->n == t->cap) {
            size_t nc = t->cap ? t->cap * 2 : 1024;
            struct atom_ent *ne = yg_realloc(t->e, nc * sizeof *ne);
            if (!ne)
                return YG_ENOMEM;
            t->e = ne;
            t->cap = nc;
        }
        a = &t->e[t->n];
        memset(a, 0, sizeof *a);
        if (!(a->s = yg_strndup(s, n)))
            return YG_ENOMEM;
        a->n = n;
        a->db = db;
        if (id)
            *id = (uint32_t)t->n;
        t->hash[j] = (int32_t)t->n++;
    }
    if (rule == NO_RULE)
        return YG_OK;
    if (a->nrules && a->rules[a->nrules - 1] == rule)
        return YG_OK;
    if (a->nrules == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 4;
        uint32_t *nr = yg_realloc(a->rules, nc * sizeof *nr);
        if (!nr)
            return YG_ENOMEM;
        a->rules = nr;
        a->cap = nc;
    }
    a->rules[a->nrules++] = rule;
    return YG_OK;
}

/* The atom as it appears inside a JSON string; false if it cannot appear
 * verbatim (control characters are always escaped in JSON). */
static bool json_escape_atom(const char *ap, size_t an, char *out, size_t *on, size_t cap)
{
    const struct yg_str sa = {ap, an}, *a = &sa;
    size_t k = 0;
    for (size_t i = 0; i < a->n; i++) {
        unsigned char c = (unsigned char)a->p[i];
        /* Control characters are always escaped in JSON; non-ASCII text may be
         * written as \u escapes, which the raw scan cannot see through. */
        if (c < 0x20 || c >= 0x80)
            return false;
        if (k + 2 > cap)
            return false;
        if (c == '\\' || c == '"')
            out[k++] = '\\';
        out[k++] = (char)c;
    }
    *on = k;
    return true;
}

/* Where an atom of field fid is looked for: the field's own database, or
 * (-1) the raw document. */
static int32_t atom_db(const struct yg_rules *rs, int32_t fid)
{
    return fid >= 0 && (size_t)fid < rs->nfid_db && rs->fid_db[fid] ? fid : -1;
}

/* Put an atom in the table in the form its database scans for. */
static yg_err add_atom(struct yg_rules *rs, struct atom_tab *t, const char *p, size_t n,
                       int32_t fid, uint32_t rule, uint32_t *id, bool *ok)
{
    char tmp[1024];
    size_t tn;
    int32_t db = atom_db(rs, fid);
    *ok = true;
    if (db >= 0) {
        /* Decoded field values: the atom as it is. */
        return tab_add(t, db, p, n, rule, id);
    }
    if (!json_escape_atom(p, n, tmp, &tn, sizeof tmp)) {
        *ok = false;
        return YG_OK;
    }
    return tab_add(t, -1, tmp, tn, rule, id);
}

/* The atoms of rule r's long value lists, each paired with r (an item
 * shared with an earlier rule has its atoms already: they count for r
 * too). */
static int gpair_cmp(const void *a, const void *b)
{
    const struct yg_gpair *x = a, *y = b;
    if (x->atom != y->atom)
        return x->atom < y->atom ? -1 : 1;
    return x->group < y->group ? -1 : x->group > y->group;
}

/* The item's groups by atom, and those without one (struct yg_item): the
 * evaluator then visits only the groups of the atoms an event holds. */
static yg_err index_groups(struct yg_rules *rs, struct yg_item *it)
{
    uint32_t np = 0;
    for (uint32_t g = 0; g < it->ngroups; g++)
        np += it->gatom[g] != 0;
    it->gpairs = yg_arena_alloc(&rs->perm, (np + 1) * sizeof *it->gpairs);
    it->gfree = yg_arena_alloc(&rs->perm, (it->ngroups - np + 1) * sizeof *it->gfree);
    if (!it->gpairs || !it->gfree)
        return YG_ENOMEM;
    it->npairs = it->nfree = 0;
    for (uint32_t g = 0; g < it->ngroups; g++) {
        if (it->gatom[g])
            it->gpairs[it->npairs++] = (struct yg_gpair){it->gatom[g], g};
        else
            it->gfree[it->nfree++] = g;
    }
    qsort(it->gpairs, it->npairs, sizeof *it->gpairs, gpair_cmp);
    if (it->ngroups > rs->max_gindex)
        rs->max_gindex = it->ngroups;
    return YG_OK;
}

static yg_err mark_vm_atoms(struct yg_rules *rs, size_t r, const struct yg_node *n,
                            struct atom_tab *t, struct rawpairs *rp, unsigned depth)
{
    yg_err err = YG_OK;
    if (depth > 256)
        return YG_OK;
    if (n->kind != YG_N_ITEM) {
        for (uint32_t i = 0; i < n->n && !err; i++)
            err = mark_vm_atoms(rs, r, n->kids[i], t, rp, depth + 1);
        return err;
    }
    struct yg_item *it = n->item;
    /* Only long value lists are worth it: each atom makes the scan slower. */
    if (it->ngroups < LONG_LIST)
        return YG_OK;
    int32_t fid = it->kind == YG_I_KEYWORD ? -1 : it->fid;
    bool shared = it->gatom != NULL; /* its atoms were added for an earlier rule */
    if (!shared && !(it->gatom = yg_arena_alloc(&rs->perm, it->ngroups * sizeof *it->gatom)))
        return YG_ENOMEM;
    for (uint32_t g = 0; g < it->ngroups && !err; g++)
        for (uint32_t i = 0; i < it->groups[g].n && !err; i++) {
            struct yg_vm *vm = &it->groups[g].v[i];
            uint32_t id;
            bool ok;
            if (vm->atom_id) {
                err = raw_pair(rp, r, vm->atom_id - 1);
                continue;
            }
            if (vm->atom.n < MIN_ATOM)
                continue;
            if (!(err = add_atom(rs, t, vm->atom.p, vm->atom.n, fid, NO_RULE, &id, &ok)) && ok) {
                vm->atom_id = id + 1;
                err = raw_pair(rp, r, id);
            }
        }
    /* A group of one test with an atom: the evaluator checks the atom first. */
    for (uint32_t g = 0; g < it->ngroups && !err && !shared; g++)
        it->gatom[g] = it->groups[g].n == 1 ? it->groups[g].v[0].atom_id : 0;
    if (!err && !shared)
        err = index_groups(rs, it);
    return err;
}

static void dbs_free(struct pf_dbs *d)
{
    for (size_t i = 0; d && i < d->n; i++)
        hs_free_database(d->db[i]);
    yg_free(d);
}

/* Compile the atoms idx[0..n) of one field or of the raw document into
 * databases of at most PF_DB_ATOMS atoms each. */
static yg_err compile_db(struct yg_dbcache *cache, const struct atom_tab *t, const uint32_t *idx,
                         size_t n, struct pf_dbs **out, struct yg_errmsg *why)
{
    *out = NULL;
    if (!n)
        return YG_OK;
    size_t nd = (n + PF_DB_ATOMS - 1) / PF_DB_ATOMS;
    struct pf_dbs *d = yg_calloc(1, sizeof *d + nd * sizeof *d->db);
    const char **exprs = yg_malloc(n * sizeof *exprs);
    unsigned *flags = yg_malloc(n * sizeof *flags);
    unsigned *ids = yg_malloc(n * sizeof *ids);
    size_t *lens = yg_malloc(n * sizeof *lens);
    yg_err err = YG_OK;
    if (!d || !exprs || !flags || !ids || !lens) {
        err = YG_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < n; k++) {
        exprs[k] = t->e[idx[k]].s;
        lens[k] = t->e[idx[k]].n;
        flags[k] = HS_FLAG_CASELESS;
        ids[k] = idx[k]; /* global atom index */
    }
    for (size_t at = 0; at < n; at += PF_DB_ATOMS) {
        unsigned m = (unsigned)(n - at < PF_DB_ATOMS ? n - at : PF_DB_ATOMS);
        hs_compile_error_t *ce = NULL;
        if (yg__dbcache_compile_lit_multi(cache, exprs + at, flags + at, ids + at, lens + at, m,
                                          HS_MODE_BLOCK, &d->db[d->n], &ce) != HS_SUCCESS) {
            yg__errmsg_set(why, "prefilter: %s",
                           ce && ce->message ? ce->message : "hs_compile failed");
            if (ce)
                hs_free_compile_error(ce);
            err = YG_EUNSUPPORTED;
            goto done;
        }
        d->n++;
    }
    *out = d;
    d = NULL;
done:
    dbs_free(d);
    yg_free(exprs);
    yg_free(flags);
    yg_free(ids);
    yg_free(lens);
    return err;
}

/* A rule's clauses whose literals can all be searched (a raw-document
 * literal must fit JSON-escaped) go into the table; a rule left without
 * any runs on every event of its log source. */
static yg_err rule_clauses(struct yg_rules *rs, struct atom_tab *t, struct cnf *f, size_t r,
                           struct rawpairs *rp)
{
    yg_err err = YG_OK;
    unsigned keep = 0;
    for (unsigned c = 0; c < f->n; c++) {
        bool ok = true;
        for (size_t i = 0; ok && i < f->c[c].n; i++) {
            char tmp[1024];
            size_t n;
            const struct atomref *a = &f->c[c].a[i];
            if (atom_db(rs, a->fid) < 0)
                ok = json_escape_atom(a->p, a->n, tmp, &n, sizeof tmp);
        }
        if (ok)
            f->c[keep++] = f->c[c];
        else
            aset_free(&f->c[c]);
    }
    f->n = keep;
    if (!f->n) {
        rs->always[r] = 1;
        rs->nalways++;
    }
    rs->nclauses[r] = (uint8_t)f->n;
    for (unsigned c = 0; c < f->n && !err; c++)
        for (size_t i = 0; i < f->c[c].n && !err; i++) {
            bool ok;
            const struct atomref *a = &f->c[c].a[i];
            uint32_t id;
            err = add_atom(rs, t, a->p, a->n, a->fid, (uint32_t)r << 2 | c, &id, &ok);
            if (!err && ok)
                err = raw_pair(rp, r, id);
        }
    return err;
}

/* Per atom, the rule clauses it serves: atom_rules[atom_off[i],
 * atom_off[i + 1]). */
static yg_err atom_index(struct yg_rules *rs, const struct atom_tab *t)
{
    rs->natoms = t->n;
    rs->atom_off = yg_malloc((t->n + 1) * sizeof *rs->atom_off);
    size_t total = 0;
    for (size_t i = 0; i < t->n; i++)
        total += t->e[i].nrules;
    rs->atom_rules = yg_malloc((total + 1) * sizeof *rs->atom_rules);
    if (!rs->atom_off || !rs->atom_rules)
        return YG_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++) {
        rs->atom_off[i] = (uint32_t)k;
        if (t->e[i].nrules) /* value-only atoms serve no rule clause */
            memcpy(rs->atom_rules + k, t->e[i].rules, t->e[i].nrules * sizeof(uint32_t));
        k += t->e[i].nrules;
    }
    rs->atom_off[t->n] = (uint32_t)k;
    return YG_OK;
}

/* Per rule, its atoms (from the pairs, by counting); each atom's database
 * (and a raw-document atom's text), and the number of atoms of each
 * database, kept for the log sources' databases (yg__prefilter_route). */
static yg_err raw_index(struct yg_rules *rs, const struct atom_tab *t, const struct rawpairs *rp)
{
    rs->ratom_off = yg_calloc(rs->nrules + 2, sizeof *rs->ratom_off);
    rs->ratom_ids = yg_malloc((rp->n + 1) * sizeof *rs->ratom_ids);
    rs->atom_s = yg_calloc(t->n + 1, sizeof *rs->atom_s);
    rs->atom_n = yg_calloc(t->n + 1, sizeof *rs->atom_n);
    rs->atom_dbf = yg_calloc(t->n + 1, sizeof *rs->atom_dbf);
    rs->db_natoms = yg_calloc(rs->nfid_db + 1, sizeof *rs->db_natoms);
    if (!rs->ratom_off || !rs->ratom_ids || !rs->atom_s || !rs->atom_n || !rs->atom_dbf ||
        !rs->db_natoms)
        return YG_ENOMEM;
    for (size_t i = 0; i < rp->n; i++)
        rs->ratom_off[rp->p[i][0] + 2]++;
    for (size_t r = 2; r < rs->nrules + 2; r++)
        rs->ratom_off[r] += rs->ratom_off[r - 1];
    for (size_t i = 0; i < rp->n; i++)
        rs->ratom_ids[rs->ratom_off[rp->p[i][0] + 1]++] = rp->p[i][1];
    /* ratom_off[r] is now where rule r's atoms start, ratom_off[r + 1] where they end. */
    for (size_t i = 0; i < t->n; i++) {
        rs->atom_dbf[i] = t->e[i].db;
        rs->db_natoms[t->e[i].db + 1]++;
        /* Only the raw document's databases are compiled per log source. */
        if (t->e[i].db >= 0)
            continue;
        char *c = yg_arena_alloc(&rs->perm, t->e[i].n + 1);
        if (!c)
            return YG_ENOMEM;
        memcpy(c, t->e[i].s, t->e[i].n + 1);
        rs->atom_s[i] = c;
        rs->atom_n[i] = (uint32_t)t->e[i].n;
    }
    return YG_OK;
}

/* The atoms grouped by database (raw document first, then by field id), in
 * atom order, by counting: one pass whatever the number of fields; then
 * each database compiled. */
static yg_err compile_dbs(struct yg_rules *rs, const struct atom_tab *t)
{
    yg_err err = YG_OK;
    size_t *byfield = yg_calloc(rs->nfields + 2, sizeof *byfield);
    uint32_t *order = yg_malloc((t->n + 1) * sizeof *order);
    if (!byfield || !order) {
        err = YG_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < t->n; i++)
        byfield[t->e[i].db + 2]++;
    for (size_t f = 1; f < rs->nfields + 2; f++)
        byfield[f] += byfield[f - 1];
    for (size_t i = 0; i < t->n; i++)
        order[byfield[t->e[i].db + 1]++] = (uint32_t)i;
    /* byfield[g] is now where group g (db + 1) ends: the raw document's atoms
     * are order[0, byfield[0]), field f's order[byfield[f], byfield[f + 1]). */
    struct pf_dbs *db;
    if ((err = compile_db(rs->dbcache, t, order, byfield[0], &db, &rs->why)))
        goto done;
    rs->hs_db = db;
    for (size_t f = 0; f < rs->nfields && !err; f++) {
        if (!rs->fid_db[f])
            continue;
        rs->fid_db[f] = NULL;
        if (!(err = compile_db(rs->dbcache, t, order + byfield[f], byfield[f + 1] - byfield[f], &db,
                               &rs->why)))
            rs->fid_db[f] = db;
    }
done:
    yg_free(byfield);
    yg_free(order);
    return err;
}

yg_err yg__prefilter_build(struct yg_rules *rs)
{
    yg_err err = YG_OK;
    struct atom_tab t = {0};
    struct rawpairs rp = {0};
    struct cnf *cnfs = NULL;
    size_t *per_fid = NULL;
    rs->always = yg_calloc(rs->nrules + 1, 1);
    rs->nclauses = yg_calloc(rs->nrules + 1, 1);
    cnfs = yg_calloc(rs->nrules + 1, sizeof *cnfs);
    per_fid = yg_calloc(rs->nfields + 1, sizeof *per_fid);
    rs->fid_db = yg_calloc(rs->nfields + 1, sizeof *rs->fid_db);
    /* Fields interned later (correlation group-by fields) have no database. */
    rs->nfid_db = rs->fid_db ? rs->nfields : 0;
    if (!rs->always || !rs->nclauses || !cnfs || !per_fid || !rs->fid_db) {
        err = YG_ENOMEM;
        goto done;
    }
    /* Pass 1: each rule's necessary clauses; count atoms per field. */
    for (size_t r = 0; r < rs->nrules; r++) {
        if ((err = node_cnf(rs->rules[r].root, &cnfs[r], 0)))
            goto done;
        for (unsigned c = 0; c < cnfs[r].n; c++)
            for (size_t i = 0; i < cnfs[r].c[c].n; i++)
                if (cnfs[r].c[c].a[i].fid >= 0)
                    per_fid[cnfs[r].c[c].a[i].fid]++;
    }
    /* Fields with many atoms get a database of their own, scanned over the
     * field's decoded values only: fewer patterns and fewer bytes per scan.
     * The rest are looked for in the raw document.  A non-null placeholder
     * marks the field until its database is compiled. */
    for (size_t f = 0; f < rs->nfields; f++)
        if (per_fid[f] >= FIELD_DB_MIN)
            rs->fid_db[f] = (void *)rs;
    /* Pass 2: the table. */
    for (size_t r = 0; r < rs->nrules && !err; r++)
        err = rule_clauses(rs, &t, &cnfs[r], r, &rp);
    /* The atoms of every value of long value lists go in too, so that the
     * evaluator skips a value whose atom is not in the event instead of
     * searching for it. */
    for (size_t r = 0; r < rs->nrules && !err; r++)
        err = mark_vm_atoms(rs, r, rs->rules[r].root, &t, &rp, 0);
    if (!err)
        err = atom_index(rs, &t);
    if (!err)
        err = raw_index(rs, &t, &rp);
    if (!err)
        err = compile_dbs(rs, &t);
done:
    if (cnfs)
        for (size_t r = 0; r < rs->nrules; r++)
            cnf_free(&cnfs[r]);
    yg_free(cnfs);
    yg_free(per_fid);
    if (err && rs->fid_db)
        for (size_t f = 0; f < rs->nfields; f++)
            if (rs->fid_db[f] == (void *)rs)
                rs->fid_db[f] = NULL;
    for (size_t i = 0; i < t.n; i++) {
        yg_free(t.e[i].s);
        yg_free(t.e[i].rules);
    }
    yg_free(t.e);
    yg_free(t.hash);
    yg_free(rp.p);
    return err;
}

void yg__prefilter_free(struct yg_rules *rs)
{
    for (size_t i = 0; i < rs->nsubs; i++) {
        dbs_free(rs->subs[i].d);
        yg_free(rs->subs[i].ids);
    }
    yg_free(rs->subs);
    dbs_free(rs->hs_db);
    for (size_t f = 0; rs->fid_db && f < rs->nfid_db; f++)
        if (rs->fid_db[f] && rs->fid_db[f] != (void *)rs)
            dbs_free(rs->fid_db[f]);
    yg_free(rs->fid_db);
    yg_free(rs->atom_off);
    yg_free(rs->atom_rules);
    yg_free(rs->always);
    yg_free(rs->nclauses);
    yg_free(rs->ratom_off);
    yg_free(rs->ratom_ids);
    yg_free(rs->atom_s);
    yg_free(rs->atom_n);
    yg_free(rs->atom_dbf);
    yg_free(rs->db_natoms);
}

/* Per scanner. */
struct pf_ctx {
    const struct yg_rules *rs;
    struct yg_pf_state *st;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *ud)
{
    (void)from, (void)to, (void)flags;
    struct pf_ctx *c = ud;
    const struct yg_rules *rs = c->rs;
    struct yg_pf_state *st = c->st;
    if (st->seen[id] != st->gen)
        st->hits[st->nhits++] = id;
    st->seen[id] = st->gen;
    for (uint32_t k = rs->atom_off[id]; k < rs->atom_off[id + 1]; k++) {
        uint32_t rc = rs->atom_rules[k], r = rc >> 2;
        if (st->stamp[r] != st->gen) {
            st->stamp[r] = st->gen;
            st->mask[r] = 0;
        }
        uint8_t before = st->mask[r];
        st->mask[r] |= (uint8_t)(1u << (rc & 3));
        /* Listed once, when its last clause is satisfied. */
        if (st->mask[r] != before && st->mask[r] == (uint8_t)((1u << rs->nclauses[r]) - 1))
            st->cand[st->ncand++] = r;
    }
    return 0;
}

static bool scan_dbs(const struct pf_dbs *d, const char *p, size_t n, void *scratch,
                     struct pf_ctx *c)
{
    for (size_t i = 0; i < d->n; i++)
        if (hs_scan(d->db[i], p, (unsigned)n, 0, scratch, on_match, c) != HS_SUCCESS)
            return false;
    return true;
}

bool yg__prefilter_scan(const struct yg_rules *rs, void *scratch, const char *p, size_t n,
                        bool hides, const struct yg_pf_route *pr, const struct yg_field *f,
                        uint32_t nf, struct yg_pf_state *st)
{
    st->ncand = st->nhits = 0;
    if (!scratch || (!rs->hs_db && !rs->natoms))
        return false;
    /* Atoms left out of a log source's databases stay unseen, even when in
     * the event: the caller evaluates only rules whose atoms they hold.  The
     * field databases scan decoded values, which escapes cannot hide an atom
     * from. */
    const void *raw = pr ? pr->raw : rs->hs_db;
    void *const *fdb = pr && pr->field ? pr->field : rs->fid_db;
    if (raw && hides)
        return false;
    struct pf_ctx c = {rs, st};
    if (raw && !scan_dbs(raw, p, n, scratch, &c))
        return false;
    for (uint32_t i = 0; i < nf; i++) {
        int32_t fid = f[i].fid;
        if (fid < 0 || (size_t)fid >= rs->nfid_db || !fdb[fid] || f[i].v.type == YG_VT_NULL ||
            f[i].v.type == YG_VT_OBJ)
            continue;
        if (!scan_dbs(fdb[fid], f[i].v.p, f[i].v.n, scratch, &c))
            return false;
    }
    return true;
}

/* A database of the atoms ids[0, n), *scratch grown to fit it; NULL if it
 * cannot be had (the caller keeps the whole database, always right). */
static struct pf_dbs *compile_subset(const struct yg_rules *rs, const uint32_t *ids, size_t n,
                                     void **scratch)
{
    const char **exprs = yg_malloc(n * sizeof *exprs);
    size_t *lens = yg_malloc(n * sizeof *lens);
    unsigned *flags = yg_malloc(n * sizeof *flags), *hid = yg_malloc(n * sizeof *hid);
    struct pf_dbs *d = yg_calloc(1, sizeof *d + sizeof *d->db);
    hs_compile_error_t *ce = NULL;
    if (!exprs || !lens || !flags || !hid || !d)
        goto fail;
    for (size_t k = 0; k < n; k++) {
        exprs[k] = rs->atom_s[ids[k]];
        lens[k] = rs->atom_n[ids[k]];
        flags[k] = HS_FLAG_CASELESS;
        hid[k] = ids[k]; /* the global atom index, as in the whole database */
    }
    if (yg__dbcache_compile_lit_multi(rs->dbcache, exprs, flags, hid, lens, (unsigned)n,
                                      HS_MODE_BLOCK, &d->db[0], &ce) != HS_SUCCESS) {
        if (ce)
            hs_free_compile_error(ce);
        goto fail;
    }
    d->n = 1;
    if (hs_alloc_scratch(d->db[0], (hs_scratch_t **)scratch) != HS_SUCCESS)
        goto fail;
    goto done;
fail:
    dbs_free(d);
    d = NULL;
done:
    yg_free(exprs);
    yg_free(lens);
    yg_free(flags);
    yg_free(hid);
    return d;
}

static bool grow_subs(struct yg_rules *rs)
{
    size_t nc = rs->subcap ? rs->subcap * 2 : 16;
    struct pf_sub *ns = yg_realloc(rs->subs, nc * sizeof *ns);
    if (!ns)
        return false;
    rs->subs = ns;
    rs->subcap = nc;
    return true;
}

/* The database of the atoms ids[0, n): the one another scanner of these
 * rules already has (log sources of one rule set give the same atom sets
 * in every thread), else compiled and kept for them; *scratch grown to fit
 * it.  The rules own it.  NULL when it cannot be had. */
static const struct pf_dbs *shared_subset(const struct yg_rules *rs, const uint32_t *ids, size_t n,
                                          void **scratch)
{
    /* The rules are shared and read-only but for this list, which sub_lock
     * guards. */
    struct yg_rules *w = (struct yg_rules *)rs;
    uint64_t h = yg_hash(ids, n * sizeof *ids);
    const struct pf_dbs *d = NULL;
    pthread_mutex_lock(&w->sub_lock);
    for (size_t i = 0; i < w->nsubs && !d; i++)
        if (w->subs[i].hash == h && w->subs[i].n == n &&
            memcmp(w->subs[i].ids, ids, n * sizeof *ids) == 0)
            d = w->subs[i].d;
    if (!d && (w->nsubs < w->subcap || grow_subs(w))) {
        uint32_t *copy = yg_malloc(n * sizeof *copy);
        struct pf_dbs *c = copy ? compile_subset(rs, ids, n, scratch) : NULL;
        if (c) {
            memcpy(copy, ids, n * sizeof *copy);
            w->subs[w->nsubs++] = (struct pf_sub){h, copy, n, c};
            d = c;
        } else {
            yg_free(copy);
        }
    }
    pthread_mutex_unlock(&w->sub_lock);
    for (size_t i = 0; d && i < d->n; i++)
        if (hs_alloc_scratch(d->db[i], (hs_scratch_t **)scratch) != HS_SUCCESS)
            return NULL;
    return d;
}

void yg__prefilter_route(const struct yg_rules *rs, const uint32_t *rules, uint32_t n,
                         void **scratch, struct yg_pf_route *out)
{
    memset(out, 0, sizeof *out);
    out->raw = rs->hs_db; /* until known otherwise: the whole databases */
    if (!rs->ratom_off || !rs->natoms)
        return;
    size_t ndb = rs->nfid_db + 1, total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += rs->ratom_off[rules[i] + 1] - rs->ratom_off[rules[i]];
    uint8_t *in = yg_calloc(rs->natoms / 8 + 1, 1);
    uint32_t *order = yg_malloc((total + 1) * sizeof *order);
    size_t *pos = yg_calloc(ndb + 1, sizeof *pos);
    void **field = yg_calloc(ndb, sizeof *field);
    uint8_t *own = yg_calloc(ndb, 1);
    if (!in || !order || !pos || !field || !own) {
        yg_free(field);
        yg_free(own);
        goto done;
    }
    /* The route's atoms, each once, grouped by database (0: the raw
     * document, f + 1: field f) by counting. */
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = rs->ratom_off[rules[i]]; j < rs->ratom_off[rules[i] + 1]; j++) {
            uint32_t a = rs->ratom_ids[j];
            if (in[a >> 3] & (1u << (a & 7)))
                continue;
            in[a >> 3] |= (uint8_t)(1u << (a & 7));
            pos[rs->atom_dbf[a] + 2]++;
        }
    for (size_t d = 2; d <= ndb; d++)
        pos[d] += pos[d - 1];
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = rs->ratom_off[rules[i]]; j < rs->ratom_off[rules[i] + 1]; j++) {
            uint32_t a = rs->ratom_ids[j];
            if (!(in[a >> 3] & (1u << (a & 7))))
                continue;
            in[a >> 3] &= (uint8_t) ~(1u << (a & 7));
            order[pos[rs->atom_dbf[a] + 1]++] = a;
        }
    /* pos[d] is now where database d's atoms end in order, pos[d - 1] (0
     * for d = 0) where they start. */
    out->raw = NULL;
    for (size_t d = 0; d < ndb; d++) {
        size_t from = d ? pos[d - 1] : 0, cnt = pos[d] - from;
        void *whole = d ? rs->fid_db[d - 1] : rs->hs_db;
        void *use = whole;
        if (!cnt || !whole)
            continue; /* no rule of the route looks there: not scanned */
        /* The raw document's: one of the route's atoms when they are at
         * most half of the whole one's (a database of most of them scans no
         * faster; a large one is slow to compile).  A field's: the whole
         * one (compiling subsets per log source cost more than they saved on
         * a 20 MB sample: about 300 million instructions per scanner to
         * save 2,200 per event). */
        if (d == 0 && cnt * 2 <= rs->db_natoms[d] && cnt <= PF_DB_ATOMS) {
            const struct pf_dbs *sub = shared_subset(rs, order + from, cnt, scratch);
            if (sub) {
                use = (void *)sub;
                own[d] = 1;
            }
        }
        if (d)
            field[d - 1] = use;
        else
            out->raw = use;
    }
    out->field = field;
    out->own = own;
    out->n = ndb;
done:
    yg_free(in);
    yg_free(order);
    yg_free(pos);
}

void yg__prefilter_route_free(struct yg_pf_route *pr)
{
    /* The databases are the rules' (shared_subset), not the route's. */
    yg_free(pr->field);
    yg_free(pr->own);
    memset(pr, 0, sizeof *pr);
}

void *yg__prefilter_scratch(const struct yg_rules *rs)
{
    hs_scratch_t *s = NULL;
    /* One scratch grown to fit every database. */
    for (size_t f = 0; f <= rs->nfid_db; f++) {
        const struct pf_dbs *d = f < rs->nfid_db ? (rs->fid_db ? rs->fid_db[f] : NULL) : rs->hs_db;
        for (size_t i = 0; d && i < d->n; i++)
            if (hs_alloc_scratch(d->db[i], &s) != HS_SUCCESS) {
                if (s)
                    hs_free_scratch(s);
                return NULL;
            }
    }
    return s;
}

void yg__prefilter_scratch_free(void *s)
{
    if (s)
        hs_free_scratch(s);
}
