/*
 * compile.c - Sigma rules to the immutable program of program.h.
 *
 * Loading and compiling are separate steps: every document is loaded first
 * (filters and correlations refer to other rules by id or name), then
 * yg__compile_detections() compiles each detection rule on its own.  A rule
 * that fails is reported through the diagnostic callback with the line and
 * column of the offending node and left out; it never stops the others.
 * Correlation documents are loaded here but compiled by their own layer
 * (src/correlate/correlate_rules.c, yg_compiler_get_rules), which sits above
 * this one: the program only keeps the compiled set and its destructor.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <zip.h>

#include "core/strindex.h"
#include "core/installed.h"
#include "core/uuid.h"
#include "intel/intel.h"
#include "match/dbcache.h"
#include "match/pipeline.h"
#include "match/program.h"

struct yg_compiler {
    struct yg_arena arena; /* YAML trees and rules; handed to the program */
    struct yg_rule **docs;
    size_t ndocs, cap;
    yg_diag_cb cb;
    void *ud;
    bool spent;
    char *data_dir;
    size_t nfailed, ndocuments;
    struct yg_intel *intel;
    /* Noise control (yg_compiler_exclude / yg_compiler_set_level). */
    struct tune {
        char *id;
        int level; /* -1: exclude */
        bool used;
    } * tunes;
    size_t ntunes, tunecap;
    size_t nexcluded, nretuned;
    char *mappings[YG_MAX_MAPPING_OVERLAYS]; /* yg_compiler_add_mapping */
    size_t nmappings;
    char *pipelines[YG_MAX_PIPELINES]; /* yg_compiler_add_pipeline */
    size_t npipelines;
    struct yg_dbcache *dbcache; /* borrowed (yg__compiler_set_dbcache) */
};

static void emit(struct yg_compiler *c, const char *file, unsigned line, unsigned col,
                 const struct yg_rule *r, yg_err e, const char *fmt, ...) YG_PRINTF(7, 8);
static void emit(struct yg_compiler *c, const char *file, unsigned line, unsigned col,
                 const struct yg_rule *r, yg_err e, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!c->cb)
        return;
    yg_diagnostic d = {file, line, col, r ? r->id : NULL, r ? r->title : NULL, e, msg};
    c->cb(c->ud, &d);
}

void yg__compiler_set_dbcache(struct yg_compiler *c, struct yg_dbcache *cache)
{
    c->dbcache = cache;
}

size_t yg__compiler_docs(const struct yg_compiler *c, const struct yg_rule *const **docs)
{
    *docs = (const struct yg_rule *const *)c->docs;
    return c->ndocs;
}

void yg__compiler_diag(void *ud, const struct yg_diag *d)
{
    struct yg_compiler *c = ud;
    if (c->cb) {
        yg_diagnostic o = {d->file, d->line, d->col, d->rule_id, d->title, d->err, d->msg};
        c->cb(c->ud, &o);
    }
}

yg_err yg_compiler_create(yg_compiler **out, const char *data_dir)
{
    struct yg_compiler *c = yg_calloc(1, sizeof *c);
    if (!c)
        return YG_ENOMEM;
    yg_arena_init(&c->arena, 1u << 20, 0);
    if (!data_dir)
        data_dir = yg__data_dir();
    c->data_dir = yg_strndup(data_dir, strlen(data_dir));
    if (!c->data_dir) {
        yg_free(c);
        return YG_ENOMEM;
    }
    *out = c;
    return YG_OK;
}

void yg_compiler_set_diag(yg_compiler *c, yg_diag_cb cb, void *ud)
{
    c->cb = cb;
    c->ud = ud;
}

void yg_compiler_destroy(yg_compiler *c)
{
    if (!c)
        return;
    yg_arena_free(&c->arena);
    yg_free(c->docs);
    yg_free(c->data_dir);
    for (size_t i = 0; i < c->nmappings; i++)
        yg_free(c->mappings[i]);
    for (size_t i = 0; i < c->npipelines; i++)
        yg_free(c->pipelines[i]);
    for (size_t i = 0; i < c->ntunes; i++)
        yg_free(c->tunes[i].id);
    yg_free(c->tunes);
    if (c->intel)
        yg_intel_release(c->intel);
    yg_free(c);
}

yg_err yg_compiler_add_mapping(yg_compiler *c, const char *path)
{
    if (c->spent)
        return YG_ESTATE;
    if (c->nmappings == YG_MAX_MAPPING_OVERLAYS)
        return YG_ELIMIT;
    if (!(c->mappings[c->nmappings] = yg_strndup(path, strlen(path))))
        return YG_ENOMEM;
    c->nmappings++;
    return YG_OK;
}

yg_err yg_compiler_add_pipeline(yg_compiler *c, const char *path)
{
    if (c->spent)
        return YG_ESTATE;
    if (c->npipelines == YG_MAX_PIPELINES)
        return YG_ELIMIT;
    if (!(c->pipelines[c->npipelines] = yg_strndup(path, strlen(path))))
        return YG_ENOMEM;
    c->npipelines++;
    return YG_OK;
}

/* Rewrite every detection and filter rule through the pipelines; a rule a
 * pipeline fails (rule_failure, detection_item_failure, too many
 * alternatives) is reported and left out like any rule that does not
 * compile. */
static yg_err apply_pipelines(struct yg_compiler *c, size_t *nfailed)
{
    struct yg_pipeset *ps = NULL;
    struct yg_pipe_err pe;
    memset(&pe, 0, sizeof pe);
    yg_err e =
        yg__pipeset_load((const char *const *)c->pipelines, c->npipelines, &c->arena, &ps, &pe);
    if (e) {
        if (e != YG_ENOMEM)
            emit(c, pe.file ? pe.file : "<pipeline>", pe.line, pe.col, NULL, e, "pipeline: %s",
                 pe.msg);
        return e;
    }
    size_t k = 0;
    for (size_t i = 0; i < c->ndocs; i++) {
        struct yg_rule *r = c->docs[i];
        if (r->kind != YG_RULE_CORRELATION) {
            const struct yg_ynode *at = NULL;
            struct yg_errmsg why = {""};
            e = yg__pipeset_apply(ps, r, &c->arena, &at, &why);
            if (e == YG_ENOMEM)
                break;
            if (e) {
                /* %.767s: as long as the message was in its former 768 bytes. */
                emit(c, r->file, at ? at->line : r->line, at ? at->col : 1, r, e, "%.767s",
                     why.msg);
                (*nfailed)++;
                e = YG_OK;
                continue;
            }
        }
        c->docs[k++] = r;
    }
    if (!e)
        c->ndocs = k;
    yg__pipeset_free(ps);
    return e;
}

yg_err yg_compiler_add_intel(yg_compiler *c, yg_intel *intel)
{
    if (c->spent || c->intel)
        return YG_ESTATE;
    if (!intel || !intel->frozen)
        return YG_EINVAL;
    yg_intel_retain(intel);
    c->intel = intel;
    return YG_OK;
}

/* The built-in rules of the indicator types, after the Sigma rules: their
 * yg_rule documents live in the compiler's arena like any rule's, so the
 * correlation compile finds them by name.  The intel fields are interned so
 * the scanners decode them. */
static yg_err add_intel_rules(struct yg_compiler *c, struct yg_rules *rs)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mappings/intel-fields.yml", c->data_dir);
    rs->ifields = yg_calloc(1, sizeof *rs->ifields);
    if (!rs->ifields)
        return YG_ENOMEM;
    yg_err err = yg__ifields_load(rs->ifields, path);
    if (err) {
        yg__errmsg_set(&rs->why, "%.300s: %.200s", path, yg__ifields_errmsg(rs->ifields));
        return err;
    }
    size_t total = 0;
    for (size_t i = 0; i < rs->ifields->nsets; i++)
        total += rs->ifields->sets[i].n;
    rs->ifid = yg_malloc((total + 1) * sizeof *rs->ifid);
    if (!rs->ifid)
        return YG_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < rs->ifields->nsets; i++)
        for (size_t j = 0; j < rs->ifields->sets[i].n; j++)
            if ((rs->ifid[k++] = yg__field_intern(rs, rs->ifields->sets[i].f[j].name)) < 0)
                return YG_ENOMEM;
    static struct yg_node never = {YG_N_FALSE, 0, NULL, NULL};
    for (int t = 0; t < YG_IOC_NTYPES; t++) {
        struct yg_rule *r = yg_arena_alloc(&c->arena, sizeof *r);
        char name[64], title[96], uuid[37];
        if (!r)
            return YG_ENOMEM;
        memset(r, 0, sizeof *r);
        int nn = snprintf(name, sizeof name, "yagura-intel-%s", yg_ioc_type_name(t));
        yg_err err = yg__uuid5(yg__uuid_ns_url, name, (size_t)nn, uuid);
        if (err)
            return err;
        snprintf(name, sizeof name, "yagura_intel_%s", yg_ioc_type_name(t));
        snprintf(title, sizeof title, "Threat intelligence: %s indicator", yg_ioc_type_name(t));
        r->kind = YG_RULE_DETECTION;
        r->file = "<intel>";
        r->id = yg_arena_strndup(&c->arena, uuid, strlen(uuid));
        r->name = yg_arena_strndup(&c->arena, name, strlen(name));
        r->title = yg_arena_strndup(&c->arena, title, strlen(title));
        r->status = "stable";
        r->level = YG_LEVEL_HIGH;
        r->meta_json = NULL;
        if (!r->id || !r->name || !r->title)
            return YG_ENOMEM;
        struct yg_crule *cr = &rs->rules[rs->nrules];
        cr->rule = r;
        cr->root = &never;
        cr->index = (uint32_t)rs->nrules;
        cr->attack_json = "[]";
        cr->tags_json = "[\"intel\"]";
        cr->builtin = true;
        rs->intel_rule[t] = (uint32_t)rs->nrules;
        rs->nrules++;
        rs->nbuiltin++;
    }
    yg_intel_retain(c->intel);
    rs->intel = c->intel;
    return YG_OK;
}

static yg_err add_tune(struct yg_compiler *c, const char *id, int level)
{
    if (c->spent || c->ndocs)
        return YG_ESTATE; /* tuning applies as rules are added */
    if (c->ntunes == c->tunecap) {
        size_t nc = c->tunecap ? c->tunecap * 2 : 64;
        struct tune *nt = yg_realloc(c->tunes, nc * sizeof *nt);
        if (!nt)
            return YG_ENOMEM;
        c->tunes = nt;
        c->tunecap = nc;
    }
    char *d = yg_strndup(id, strlen(id));
    if (!d)
        return YG_ENOMEM;
    c->tunes[c->ntunes++] = (struct tune){d, level, false};
    return YG_OK;
}

yg_err yg_compiler_exclude(yg_compiler *c, const char *rule_id)
{
    return add_tune(c, rule_id, -1);
}

yg_err yg_compiler_set_level(yg_compiler *c, const char *rule_id, yg_level_t level)
{
    if ((int)level < YG_LEVEL_INFORMATIONAL || (int)level > YG_LEVEL_CRITICAL)
        return YG_EINVAL;
    return add_tune(c, rule_id, (int)level);
}

void yg_compiler_tuning_applied(const yg_compiler *c, size_t *excluded, size_t *retuned)
{
    *excluded = c->nexcluded;
    *retuned = c->nretuned;
}

/* Apply the exclusions and level changes to a rule being added: false
 * when the rule is excluded.  The last entry for an id wins. */
static bool apply_tuning(struct yg_compiler *c, struct yg_rule *r)
{
    if (!c->ntunes || !r->id)
        return true;
    for (size_t i = c->ntunes; i-- > 0;) {
        struct tune *t = &c->tunes[i];
        if (strcmp(t->id, r->id) != 0)
            continue;
        t->used = true;
        if (t->level < 0) {
            c->nexcluded++;
            return false;
        }
        r->level = (enum yg_level)t->level;
        c->nretuned++;
        return true;
    }
    return true;
}

static yg_err add_doc(struct yg_compiler *c, struct yg_rule *r)
{
    if (!apply_tuning(c, r))
        return YG_OK;
    if (c->ndocs == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 256;
        struct yg_rule **nd = yg_realloc(c->docs, nc * sizeof *nd);
        if (!nd)
            return YG_ENOMEM;
        c->docs = nd;
        c->cap = nc;
    }
    c->docs[c->ndocs++] = r;
    return YG_OK;
}

size_t yg_compiler_rule_count(const yg_compiler *c)
{
    return c->ndocs + c->nexcluded; /* an excluded rule was loaded, then left out */
}

yg_err yg_compiler_add_string(yg_compiler *c, const char *name, const char *text, size_t len)
{
    if (c->spent)
        return YG_ESTATE;
    struct yg_ydoc *docs;
    size_t nd;
    unsigned el = 0, ec = 0;
    struct yg_errmsg why = {""};
    const char *fname = yg_arena_strndup(&c->arena, name, strlen(name));
    if (!fname)
        return YG_ENOMEM;
    yg_err perr = yg__yaml_parse(text, len, &c->arena, &docs, &nd, &el, &ec, &why);
    if (perr == YG_ENOMEM)
        return perr;
    for (size_t i = 0; i < nd; i++) {
        struct yg_rule *r = NULL;
        c->ndocuments++;
        yg_err e = yg__rule_from_doc(&docs[i], fname, &c->arena, &r, yg__compiler_diag, c);
        if (e == YG_ENOMEM)
            return e;
        if (e) {
            c->nfailed++;
            continue;
        }
        if (r && add_doc(c, r))
            return YG_ENOMEM;
    }
    if (perr) {
        c->nfailed++;
        emit(c, fname, el, ec, NULL, perr, "%s", why.msg);
    }
    return YG_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool rule_ext(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && strcmp(n + l - 4, ".yml") == 0) || (l > 5 && strcmp(n + l - 5, ".yaml") == 0);
}

static yg_err add_file(struct yg_compiler *c, const char *path)
{
    char *text;
    size_t n;
    yg_err e = yg_file_read(path, YG_MAX_RULE_FILE_BYTES, &text, &n);
    if (e) {
        c->nfailed++;
        emit(c, path, 0, 0, NULL, e, "cannot read rule file: %s", yg_strerror(e));
        return e == YG_ENOMEM ? e : YG_OK;
    }
    e = yg_compiler_add_string(c, path, text, n);
    yg_free(text);
    return e;
}

static yg_err add_dir(struct yg_compiler *c, const char *path, unsigned depth)
{
    if (depth > 32)
        return YG_OK;
    DIR *d = opendir(path);
    if (!d) {
        emit(c, path, 0, 0, NULL, YG_EIO, "cannot open rule folder");
        return YG_EIO;
    }
    char **names = NULL;
    size_t nn = 0, cap = 0;
    struct dirent *de;
    yg_err err = YG_OK;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (nn == cap) {
            cap = cap ? cap * 2 : 64;
            char **t = yg_realloc(names, cap * sizeof *t);
            if (!t) {
                err = YG_ENOMEM;
                break;
            }
            names = t;
        }
        size_t pl = strlen(path), dl = strlen(de->d_name);
        names[nn] = yg_malloc(pl + dl + 2);
        if (!names[nn]) {
            err = YG_ENOMEM;
            break;
        }
        memcpy(names[nn], path, pl);
        names[nn][pl] = '/';
        memcpy(names[nn] + pl + 1, de->d_name, dl + 1);
        nn++;
    }
    closedir(d);
    /* Sorted, so rule order (and output order) never depends on the file system. */
    if (!err && nn)
        qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn && !err; i++) {
        struct stat st;
        if (stat(names[i], &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            err = add_dir(c, names[i], depth + 1);
        else if (S_ISREG(st.st_mode) && rule_ext(names[i]))
            err = add_file(c, names[i]);
        if (err == YG_EIO)
            err = YG_OK;
    }
    for (size_t i = 0; i < nn; i++)
        yg_free(names[i]);
    yg_free(names);
    return err;
}

static bool zip_ext(const char *n)
{
    size_t l = strlen(n);
    return l > 4 && strcasecmp(n + l - 4, ".zip") == 0;
}

static int cmp_zname(const void *a, const void *b)
{
    return strcmp(((const struct yg_str *)a)->p, ((const struct yg_str *)b)->p);
}

/* A rule archive, as SigmaHQ publishes its releases (sigma_core.zip, ...):
 * every .yml/.yaml member in name order, each reported as ARCHIVE:MEMBER.
 * Members are read with the same size cap as files; the archive as a whole
 * is capped too, so a zip bomb costs a bounded amount of memory and time. */
static yg_err add_zip(struct yg_compiler *c, const char *path)
{
    int zerr = 0;
    zip_t *z = zip_open(path, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        c->nfailed++;
        emit(c, path, 0, 0, NULL, YG_EIO, "cannot open rule archive: %s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return YG_EIO;
    }
    zip_int64_t nent = zip_get_num_entries(z, 0);
    struct yg_str *names = nent > 0 ? yg_calloc((size_t)nent, sizeof *names) : NULL;
    size_t nn = 0;
    yg_err err = nent > 0 && !names ? YG_ENOMEM : YG_OK;
    for (zip_int64_t i = 0; i < nent && !err; i++) {
        const char *nm = zip_get_name(z, (zip_uint64_t)i, 0);
        if (nm && rule_ext(nm))
            names[nn++] = (struct yg_str){nm, (size_t)i};
    }
    if (nn > 1)
        qsort(names, nn, sizeof *names, cmp_zname);
    size_t total = 0, loaded = 0;
    for (size_t i = 0; i < nn && !err; i++) {
        char label[4096];
        snprintf(label, sizeof label, "%s:%s", path, names[i].p);
        zip_stat_t zs;
        if (zip_stat_index(z, (zip_uint64_t)names[i].n, 0, &zs) != 0 ||
            !(zs.valid & ZIP_STAT_SIZE)) {
            c->nfailed++;
            emit(c, label, 0, 0, NULL, YG_EIO, "cannot read archive member");
            continue;
        }
        if (zs.size > YG_MAX_RULE_FILE_BYTES) {
            c->nfailed++;
            emit(c, label, 0, 0, NULL, YG_ELIMIT, "rule file over %u bytes; skipped",
                 (unsigned)YG_MAX_RULE_FILE_BYTES);
            continue;
        }
        if (total + zs.size > YG_MAX_RULE_ARCHIVE_BYTES || loaded >= YG_MAX_RULE_ARCHIVE_MEMBERS) {
            c->nfailed++;
            emit(c, path, 0, 0, NULL, YG_ELIMIT,
                 "rule archive over %u bytes or %u members: %zu member(s) not read",
                 (unsigned)YG_MAX_RULE_ARCHIVE_BYTES, (unsigned)YG_MAX_RULE_ARCHIVE_MEMBERS,
                 nn - i);
            break;
        }
        char *text = yg_malloc((size_t)zs.size + 1);
        zip_file_t *zf = text ? zip_fopen_index(z, (zip_uint64_t)names[i].n, 0) : NULL;
        zip_int64_t got = zf ? zip_fread(zf, text, zs.size) : -1;
        if (zf)
            zip_fclose(zf);
        if (!text) {
            err = YG_ENOMEM;
            break;
        }
        if (got < 0 || (zip_uint64_t)got != zs.size) {
            c->nfailed++;
            emit(c, label, 0, 0, NULL, YG_EIO, "cannot read archive member (corrupt archive?)");
            yg_free(text);
            continue;
        }
        text[got] = 0;
        total += (size_t)got;
        loaded++;
        err = yg_compiler_add_string(c, label, text, (size_t)got);
        yg_free(text);
    }
    if (!err && !nn) {
        c->nfailed++;
        emit(c, path, 0, 0, NULL, YG_ENOTFOUND, "rule archive holds no .yml or .yaml file");
    }
    yg_free(names);
    zip_discard(z);
    return err;
}

yg_err yg_compiler_add_path(yg_compiler *c, const char *path)
{
    if (c->spent)
        return YG_ESTATE;
    struct stat st;
    if (stat(path, &st) != 0) {
        emit(c, path, 0, 0, NULL, YG_ENOTFOUND, "no such rule file or folder");
        return YG_ENOTFOUND;
    }
    if (S_ISDIR(st.st_mode))
        return add_dir(c, path, 0);
    if (S_ISREG(st.st_mode) && zip_ext(path))
        return add_zip(c, path);
    return add_file(c, path);
}

/* ---- field interning ------------------------------------------------ */

int32_t yg__field_lookup(const struct yg_rules *rs, const char *name, size_t n)
{
    uint32_t id;
    return yg__htab_get(&rs->field_tab, name, n, &id) ? (int32_t)id : -1;
}

/* Field names are case-insensitive (core/htab.h, icase). */
static int32_t field_intern(struct yg_rules *rs, const char *name, size_t n)
{
    int32_t id = yg__field_lookup(rs, name, n);
    if (id >= 0)
        return id;
    if (rs->nfields == rs->field_cap) {
        size_t nc = rs->field_cap ? rs->field_cap * 2 : 256;
        char **nn = yg_realloc(rs->field_names, nc * sizeof *nn);
        if (!nn)
            return -1;
        rs->field_names = nn;
        rs->field_cap = nc;
    }
    char *copy = yg_arena_strndup(&rs->perm, name, n);
    if (!copy)
        return -1;
    rs->field_tab.icase = true;
    uint32_t v = (uint32_t)rs->nfields;
    bool added;
    if (yg__htab_add(&rs->field_tab, copy, n, &v, &added) != YG_OK)
        return -1;
    id = (int32_t)rs->nfields++;
    rs->field_names[id] = copy;
    return id;
}

int32_t yg__field_intern(struct yg_rules *rs, const char *name)
{
    return field_intern(rs, name, strlen(name));
}

/* ---- detection compilation ------------------------------------------ */

struct cctx {
    struct yg_compiler *c;
    struct yg_rules *rs;
    const struct yg_rule *r;
    bool failed;
};

static void cfail(struct cctx *x, const struct yg_ynode *at, yg_err e, const char *fmt, ...)
    YG_PRINTF(4, 5);
static void cfail(struct cctx *x, const struct yg_ynode *at, yg_err e, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!x->failed)
        emit(x->c, x->r->file, at ? at->line : x->r->line, at ? at->col : 1, x->r, e, "%s", msg);
    x->failed = true;
}

static struct yg_node *mknode(struct cctx *x, uint8_t kind, uint32_t n)
{
    struct yg_node *nd = yg_arena_alloc(&x->rs->perm, sizeof *nd);
    if (!nd)
        return NULL;
    memset(nd, 0, sizeof *nd);
    nd->kind = kind;
    nd->n = n;
    if (n) {
        nd->kids = yg_arena_alloc(&x->rs->perm, n * sizeof *nd->kids);
        if (!nd->kids)
            return NULL;
    }
    return nd;
}

/* ---- item sharing ----------------------------------------------------
 * SigmaHQ rules repeat the same tests (`Image|endswith: '\powershell.exe'`
 * is in hundreds of rules).  Identical items compile to one node with one
 * id, so the evaluator computes each at most once per event. */
struct yg_item_cache {
    char **keys;
    struct yg_node **nodes;
    size_t n, cap; /* open addressing, cap a power of two */
};

static yg_err item_key(const struct yg_ynode *key, const struct yg_ynode *val, struct yg_buf *b)
{
    yg_err err = YG_OK;
    const char *k = key ? key->s : "";
    size_t kl = key ? key->slen : 0;
    const char *bar = memchr(k, '|', kl);
    size_t fl = bar ? (size_t)(bar - k) : kl;
    for (size_t i = 0; i < fl; i++)
        YG_TRY(yg_buf_addc(b, (char)yg_lc((unsigned char)k[i])));
    YG_TRY(yg_buf_add(b, k + fl, kl - fl));
    YG_TRY(yg_buf_addc(b, '\x1f'));
    if (!val)
        return yg_buf_addc(b, '~');
    size_t nv = val->type == YG_Y_SEQ ? val->n : 1;
    YG_TRY(yg_buf_addc(b, val->type == YG_Y_SEQ ? '[' : '='));
    for (size_t i = 0; i < nv; i++) {
        const struct yg_ynode *v = val->type == YG_Y_SEQ ? val->items[i] : val;
        if (v->type != YG_Y_SCALAR)
            return YG_EINVAL;
        YG_TRY(yg_buf_addc(b, (char)('0' + v->skind)));
        YG_TRY(yg_buf_add(b, v->s, v->slen));
        YG_TRY(yg_buf_addc(b, '\x1e'));
    }
done:
    return err;
}

static struct yg_node **icache_slot(struct yg_item_cache *c, const char *key, size_t kn,
                                    size_t *idx)
{
    size_t mask = c->cap - 1;
    size_t i = yg_hash(key, kn) & mask;
    while (c->keys[i]) {
        if (strlen(c->keys[i]) == kn && memcmp(c->keys[i], key, kn) == 0)
            break;
        i = (i + 1) & mask;
    }
    *idx = i;
    return &c->nodes[i];
}

static yg_err icache_grow(struct yg_item_cache *c)
{
    size_t nc = c->cap ? c->cap * 2 : 8192;
    char **nk = yg_calloc(nc, sizeof *nk);
    struct yg_node **nn = yg_calloc(nc, sizeof *nn);
    if (!nk || !nn) {
        yg_free(nk);
        yg_free(nn);
        return YG_ENOMEM;
    }
    for (size_t i = 0; i < c->cap; i++) {
        if (!c->keys[i])
            continue;
        size_t j = yg_hash(c->keys[i], strlen(c->keys[i])) & (nc - 1);
        while (nk[j])
            j = (j + 1) & (nc - 1);
        nk[j] = c->keys[i];
        nn[j] = c->nodes[i];
    }
    yg_free(c->keys);
    yg_free(c->nodes);
    c->keys = nk;
    c->nodes = nn;
    c->cap = nc;
    return YG_OK;
}

static void icache_free(struct yg_item_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->cap; i++)
        yg_free(c->keys[i]);
    yg_free(c->keys);
    yg_free(c->nodes);
    yg_free(c);
}

static struct yg_node *compile_item_uncached(struct cctx *x, const struct yg_ynode *key,
                                             const struct yg_ynode *val);

static struct yg_node *compile_item(struct cctx *x, const struct yg_ynode *key,
                                    const struct yg_ynode *val)
{
    struct yg_item_cache *c = x->rs->icache;
    struct yg_buf b;
    yg_buf_init(&b, 1u << 22);
    if (!c || item_key(key, val, &b) != YG_OK) {
        yg_buf_free(&b);
        return compile_item_uncached(x, key, val);
    }
    if ((c->n + 1) * 2 > c->cap && icache_grow(c)) {
        yg_buf_free(&b);
        return NULL;
    }
    size_t idx;
    struct yg_node **slot = icache_slot(c, b.p, b.n, &idx);
    if (*slot) {
        yg_buf_free(&b);
        return *slot;
    }
    struct yg_node *nd = compile_item_uncached(x, key, val);
    /* Only successful items are shared; a failing one reports per rule. */
    if (nd && !x->failed) {
        c->keys[idx] = yg_buf_take(&b, NULL);
        c->nodes[idx] = nd;
        c->n++;
    }
    yg_buf_free(&b);
    return nd;
}

/* The modifiers of `field|mod|mod` into m; *fl: the field name's length
 * (0 for keywords).  false after reporting why. */
static bool item_mods(struct cctx *x, const struct yg_ynode *key, struct yg_mods *m, size_t *fl)
{
    const char *k = key ? key->s : "";
    size_t kl = key ? key->slen : 0;
    const char *bar = memchr(k, '|', kl);
    *fl = bar ? (size_t)(bar - k) : kl;
    struct yg_str mods[16];
    size_t nm = 0;
    while (bar) {
        const char *s = bar + 1;
        bar = memchr(s, '|', kl - (size_t)(s - k));
        size_t ml = bar ? (size_t)(bar - s) : kl - (size_t)(s - k);
        if (nm == 16) {
            cfail(x, key, YG_ELIMIT, "more than 16 modifiers on '%s'", k);
            return false;
        }
        mods[nm++] = (struct yg_str){s, ml};
    }
    struct yg_errmsg why = {""};
    yg_err e = yg__mods_parse(mods, nm, m, &why);
    if (e) {
        cfail(x, key, e, "field '%s': %.511s", k, why.msg);
        return false;
    }
    /* Keywords search the whole event: a plain keyword matches anywhere in a
     * value, as the specification's `event::clear` example needs. */
    const uint32_t positional = YG_MOD_CONTAINS | YG_MOD_STARTSWITH | YG_MOD_ENDSWITH | YG_MOD_RE |
                                YG_MOD_CIDR | YG_MOD_LT | YG_MOD_LTE | YG_MOD_GT | YG_MOD_GTE |
                                YG_MOD_EXISTS | YG_MOD_FIELDREF;
    if (!*fl && !(m->bits & positional) && m->nchain < 16) {
        m->chain[m->nchain++] = YG_MOD_CONTAINS;
        m->bits |= YG_MOD_CONTAINS;
    }
    return true;
}

/* A number among keywords is searched as its text (`200` in an access log
 * line), as pySigma does for keyword lists: a copy of val with numbers
 * made strings.  false when out of memory. */
static bool keyword_numbers_as_text(struct cctx *x, const struct yg_ynode **valp)
{
    const struct yg_ynode *val = *valp;
    size_t n = val->type == YG_Y_SEQ ? val->n : 1;
    struct yg_ynode *copy = yg_arena_alloc(&x->rs->perm, sizeof *copy);
    struct yg_ynode **items =
        val->type == YG_Y_SEQ ? yg_arena_alloc(&x->rs->perm, (n + 1) * sizeof *items) : NULL;
    if (!copy || (val->type == YG_Y_SEQ && !items))
        return false;
    *copy = *val;
    for (size_t i = 0; i < n && val->type == YG_Y_SEQ; i++) {
        const struct yg_ynode *v = val->items[i];
        items[i] = (struct yg_ynode *)v;
        if (v->type == YG_Y_SCALAR && (v->skind == YG_S_INT || v->skind == YG_S_FLOAT)) {
            struct yg_ynode *t = yg_arena_alloc(&x->rs->perm, sizeof *t);
            if (!t)
                return false;
            *t = *v;
            t->skind = YG_S_STR;
            items[i] = t;
        }
    }
    if (val->type == YG_Y_SEQ)
        copy->items = items;
    else if (copy->skind == YG_S_INT || copy->skind == YG_S_FLOAT)
        copy->skind = YG_S_STR;
    *valp = copy;
    return true;
}

/* One value of the item: its group of value tests (a field reference
 * makes the item compare two fields).  false after reporting why. */
static bool item_value(struct cctx *x, struct yg_item *it, const struct yg_mods *m,
                       const struct yg_ynode *key, const struct yg_ynode *v)
{
    const char *k = key ? key->s : "";
    struct yg_errmsg why = {""};
    if (v && v->type != YG_Y_SCALAR) {
        cfail(x, v, YG_ESYNTAX, "field '%s': list items must be plain values", k);
        return false;
    }
    yg_err e = yg__value_compile(m, v, x->rs->ph, &x->rs->perm, &x->rs->pool,
                                 &it->groups[it->ngroups], &why);
    if (e) {
        /* %.511s: as long as the message was in its former 512 bytes. */
        cfail(x, v ? v : key, e, "field '%s': %.511s", k, why.msg);
        return false;
    }
    struct yg_vmgroup *g = &it->groups[it->ngroups];
    if (g->n == 1 && g->v[0].op == YG_VOP_NULL) {
        it->null_ok = true;
    }
    if (g->n >= 1 && g->v[0].op == YG_VOP_FIELDREF) {
        it->kind = YG_I_FIELDREF;
        it->ref_fid = field_intern(x->rs, g->v[0].pat, g->v[0].n);
        it->ref_op = YG_VOP_EQ;
        if (m->bits & YG_MOD_CONTAINS)
            it->ref_op = YG_VOP_CONTAINS;
        else if (m->bits & YG_MOD_STARTSWITH)
            it->ref_op = YG_VOP_PREFIX;
        else if (m->bits & YG_MOD_ENDSWITH)
            it->ref_op = YG_VOP_SUFFIX;
        it->ref_cased = (m->bits & YG_MOD_CASED) != 0;
        it->neq = (m->bits & YG_MOD_NEQ) != 0;
    }
    it->ngroups++;
    return true;
}

static struct yg_node *item_node(struct cctx *x, struct yg_item *it)
{
    struct yg_node *nd = mknode(x, YG_N_ITEM, 0);
    if (nd)
        nd->item = it;
    return nd;
}

/* Compile `key: value` where key is `field|mod|mod` (field may be empty for
 * keyword modifiers). */
static struct yg_node *compile_item_uncached(struct cctx *x, const struct yg_ynode *key,
                                             const struct yg_ynode *val)
{
    const char *k = key ? key->s : "";
    struct yg_mods m;
    size_t fl;
    if (!item_mods(x, key, &m, &fl))
        return NULL;
    struct yg_item *it = yg_arena_alloc(&x->rs->perm, sizeof *it);
    if (!it)
        return NULL;
    memset(it, 0, sizeof *it);
    it->id = (uint32_t)x->rs->nitems++;
    it->field = key ? key->s : "";
    it->fid = -1;
    it->ref_fid = -1;
    if (fl) {
        it->fid = field_intern(x->rs, k, fl);
        if (it->fid < 0)
            return NULL;
        it->field = yg_arena_strndup(&x->rs->perm, k, fl);
    } else {
        it->kind = YG_I_KEYWORD;
    }
    it->all = (m.bits & YG_MOD_ALL) != 0;
    it->neq = (m.bits & YG_MOD_NEQ) != 0 && !(m.bits & YG_MOD_FIELDREF);

    if (val && val->type == YG_Y_MAP) {
        cfail(x, val, YG_ESYNTAX, "field '%s': a value can not be a map", k);
        return NULL;
    }
    if (!fl && val && (m.bits & YG_MOD_CONTAINS) && !keyword_numbers_as_text(x, &val))
        return NULL;
    size_t nv = !val ? 1 : val->type == YG_Y_SEQ ? val->n : 1;
    if (m.bits & YG_MOD_EXISTS) {
        if (!fl || !val || val->type != YG_Y_SCALAR || val->skind != YG_S_BOOL) {
            cfail(x, val ? val : key, YG_ESYNTAX, "'%s|exists' needs a field and true or false",
                  it->field);
            return NULL;
        }
        it->kind = YG_I_EXISTS;
        it->exists = val->s[0] == 't' || val->s[0] == 'T';
        return item_node(x, it);
    }
    if (nv == 0) {
        /* An empty list matches nothing (pySigma: no condition to satisfy). */
        return mknode(x, YG_N_FALSE, 0);
    }
    if ((m.bits & YG_MOD_ALL) && nv < 2 && !(m.bits & YG_MOD_WINDASH)) {
        /* The spec forbids it; pySigma accepts it; single value: same meaning. */
        it->all = false;
    }
    it->groups = yg_arena_alloc(&x->rs->perm, nv * sizeof *it->groups);
    if (!it->groups)
        return NULL;
    for (size_t i = 0; i < nv; i++)
        if (!item_value(x, it, &m, key, !val ? NULL : val->type == YG_Y_SEQ ? val->items[i] : val))
            return NULL;
    if (it->null_ok && it->ngroups == 1 && it->kind == YG_I_VALUES)
        it->kind = YG_I_NULL;
    return item_node(x, it);
}

static struct yg_node *compile_map(struct cctx *x, const struct yg_ynode *map)
{
    if (map->n == 0)
        return mknode(x, YG_N_TRUE, 0);
    struct yg_node *nd = map->n == 1 ? NULL : mknode(x, YG_N_AND, (uint32_t)map->n);
    if (map->n > 1 && !nd)
        return NULL;
    for (size_t i = 0; i < map->n; i++) {
        const struct yg_ynode *k = map->items[2 * i];
        if (k->type != YG_Y_SCALAR) {
            cfail(x, k, YG_ESYNTAX, "a field name must be a string");
            return NULL;
        }
        struct yg_node *it = compile_item(x, k, map->items[2 * i + 1]);
        if (!it)
            return NULL;
        if (map->n == 1)
            return it;
        nd->kids[i] = it;
    }
    return nd;
}

static struct yg_node *compile_search(struct cctx *x, const struct yg_ynode *v)
{
    if (!v)
        return mknode(x, YG_N_FALSE, 0);
    if (v->type == YG_Y_MAP)
        return compile_map(x, v);
    if (v->type == YG_Y_SCALAR)
        return compile_item(x, NULL, v);
    /* A list: maps OR'd, plain values form one keyword item. */
    size_t nmaps = 0, nscal = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type == YG_Y_MAP)
            nmaps++;
        else if (v->items[i]->type == YG_Y_SCALAR)
            nscal++;
        else {
            cfail(x, v->items[i], YG_ESYNTAX, "nested lists are not valid in a search");
            return NULL;
        }
    }
    if (nmaps == 0)
        return compile_item(x, NULL, v);
    struct yg_node *nd = mknode(x, YG_N_OR, (uint32_t)(nmaps + (nscal ? 1 : 0)));
    if (!nd)
        return NULL;
    uint32_t k = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->type != YG_Y_MAP)
            continue;
        if (!(nd->kids[k++] = compile_map(x, v->items[i])))
            return NULL;
    }
    if (nscal) {
        /* Mixed list: the scalars as one keyword item (rare, but valid). */
        struct yg_ynode tmp = *v;
        struct yg_ynode **items = yg_arena_alloc(&x->rs->perm, nscal * sizeof *items);
        if (!items)
            return NULL;
        tmp.n = 0;
        for (size_t i = 0; i < v->n; i++)
            if (v->items[i]->type == YG_Y_SCALAR)
                items[tmp.n++] = v->items[i];
        tmp.items = items;
        if (!(nd->kids[k++] = compile_item(x, NULL, &tmp)))
            return NULL;
    }
    return nd;
}

static struct yg_node *cond_to_node(struct cctx *x, const struct yg_cond *c,
                                    struct yg_node **searches)
{
    struct yg_node *nd;
    switch (c->op) {
    case YG_C_ID: return searches[c->id];
    case YG_C_NOT:
        nd = mknode(x, YG_N_NOT, 1);
        if (nd && !(nd->kids[0] = cond_to_node(x, c->a, searches)))
            return NULL;
        return nd;
    case YG_C_AND:
    case YG_C_OR:
        nd = mknode(x, c->op == YG_C_AND ? YG_N_AND : YG_N_OR, 2);
        if (!nd || !(nd->kids[0] = cond_to_node(x, c->a, searches)) ||
            !(nd->kids[1] = cond_to_node(x, c->b, searches)))
            return NULL;
        return nd;
    case YG_C_ONE_OF:
    case YG_C_ALL_OF:
        if (c->nids == 1)
            return searches[c->ids[0]];
        nd = mknode(x, c->op == YG_C_ALL_OF ? YG_N_AND : YG_N_OR, c->nids);
        if (!nd)
            return NULL;
        for (uint32_t i = 0; i < c->nids; i++)
            nd->kids[i] = searches[c->ids[i]];
        return nd;
    }
    return NULL;
}

/* Compile detection + conditions of r (detection rule or filter). */
static struct yg_node *compile_detection(struct cctx *x)
{
    const struct yg_ynode *det = x->r->detection;
    const char **names = yg_arena_alloc(&x->rs->perm, (det->n + 1) * sizeof *names);
    struct yg_node **searches = yg_arena_alloc(&x->rs->perm, (det->n + 1) * sizeof *searches);
    if (!names || !searches)
        return NULL;
    size_t ns = 0;
    for (size_t i = 0; i < det->n; i++) {
        const struct yg_ynode *k = det->items[2 * i];
        if (k->type != YG_Y_SCALAR) {
            cfail(x, k, YG_ESYNTAX, "a search identifier must be a string");
            return NULL;
        }
        if (!strcmp(k->s, "condition") || !strcmp(k->s, "timeframe") || !strcmp(k->s, "rules"))
            continue;
        names[ns] = k->s;
        if (!(searches[ns] = compile_search(x, det->items[2 * i + 1])))
            return NULL;
        ns++;
    }
    struct yg_node *root = NULL;
    for (size_t i = 0; i < x->r->nconditions; i++) {
        const struct yg_ynode *cn = x->r->conditions[i];
        struct yg_cond *cond;
        unsigned ecol = 0;
        struct yg_errmsg why = {""};
        yg_err e = yg__cond_parse(cn->s, cn->slen, names, ns, &x->rs->perm, &cond, &ecol, &why);
        if (e) {
            struct yg_ynode at = *cn;
            /* Point at the character when the condition is on one line. */
            if (!memchr(cn->s, '\n', cn->slen))
                at.col = cn->col + ecol - 1 + (cn->s[0] != 0 && cn->col ? 0 : 0);
            cfail(x, &at, e, "condition: %.511s", why.msg);
            return NULL;
        }
        struct yg_node *nd = cond_to_node(x, cond, searches);
        if (!nd)
            return NULL;
        if (!root) {
            root = nd;
        } else {
            struct yg_node *o = mknode(x, YG_N_OR, 2);
            if (!o)
                return NULL;
            o->kids[0] = root;
            o->kids[1] = nd;
            root = o;
        }
    }
    if (!root)
        cfail(x, x->r->detection, YG_ESYNTAX, "no condition");
    return root;
}

static const char *tags_to_json(struct yg_arena *a, const struct yg_rule *r, bool attack_only)
{
    struct yg_buf b;
    yg_buf_init(&b, 1u << 20);
    if (yg_buf_addc(&b, '['))
        goto oom;
    size_t k = 0;
    for (size_t i = 0; i < r->ntags; i++) {
        const char *t = r->tags[i];
        char tmp[64];
        size_t tl = strlen(t);
        if (attack_only) {
            /* attack.t1059.001 -> T1059.001; attack.g0045 -> G0045; attack.s0001. */
            if (tl < 9 || strncmp(t, "attack.", 7) != 0 || tl - 7 >= sizeof tmp)
                continue;
            char c0 = t[7];
            if (!(c0 == 't' || c0 == 'g' || c0 == 's') || t[8] < '0' || t[8] > '9')
                continue;
            for (size_t j = 7; j < tl; j++)
                tmp[j - 7] = (char)((t[j] >= 'a' && t[j] <= 'z') ? t[j] - 32 : t[j]);
            t = tmp;
            tl -= 7;
        }
        if ((k++ && yg_buf_addc(&b, ',')) || yg_buf_add_json_str(&b, t, tl))
            goto oom;
    }
    if (yg_buf_addc(&b, ']'))
        goto oom;
    const char *s = yg_arena_strndup(a, b.p, b.n);
    yg_buf_free(&b);
    return s;
oom:
    yg_buf_free(&b);
    return NULL;
}

static bool ls_field_ok(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

static bool filter_ls_applies(const struct yg_rule *f, const struct yg_rule *r)
{
    return ls_field_ok(f->ls.product, r->ls.product) &&
           ls_field_ok(f->ls.category, r->ls.category) && ls_field_ok(f->ls.service, r->ls.service);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* The field mapping (with its overlays), the placeholders and the
 * processing pipelines: what every rule compiles against. */
static yg_err load_mappings(yg_compiler *c, struct yg_rules *rs)
{
    yg_err err;
    char path[4096];
    snprintf(path, sizeof path, "%s/mappings/windows.yml", c->data_dir);
    /* %.511s: the message as long as it was when it came in 512 bytes. */
    if ((err = yg__mapping_load(rs, path))) {
        emit(c, path, 0, 0, NULL, err, "field mapping: %.511s", yg__rules_errmsg(rs));
        return err;
    }
    for (size_t i = 0; i < c->nmappings; i++)
        if ((err = yg__mapping_overlay(rs, c->mappings[i]))) {
            emit(c, c->mappings[i], 0, 0, NULL, err, "field mapping: %.511s", yg__rules_errmsg(rs));
            return err;
        }
    snprintf(path, sizeof path, "%s/mappings/placeholders.yml", c->data_dir);
    struct yg_errmsg why = {""};
    if ((err = yg__placeholders_load(path, &rs->ph, &why))) {
        emit(c, path, 0, 0, NULL, err, "placeholders: %.511s", why.msg);
        return err;
    }
    if (c->npipelines && (err = apply_pipelines(c, &rs->nfailed)))
        return err;
    return YG_OK;
}

/* Filters first, so they can be folded into the rules they name: each
 * filter document's tree in fnodes (NULL if it failed); *nfref: the
 * references of those that compiled. */
static void compile_filters(yg_compiler *c, struct yg_rules *rs, struct yg_node **fnodes,
                            size_t *nfref)
{
    for (size_t i = 0; i < c->ndocs; i++) {
        struct yg_rule *r = c->docs[i];
        if (r->kind != YG_RULE_FILTER)
            continue;
        struct cctx x = {c, rs, r, false};
        fnodes[i] = compile_detection(&x);
        if (x.failed || !fnodes[i]) {
            fnodes[i] = NULL;
            rs->nfailed++;
            continue;
        }
        *nfref += r->nfilter_rules;
    }
}

/* The filters naming the rule by id or name, each once, folded into its
 * tree in document order as `and not`. */
static yg_err fold_filters(struct cctx *x, const struct yg_strindex *fref, uint32_t *fcand,
                           struct yg_node *const *fnodes, struct yg_node **root)
{
    const struct yg_rule *r = x->r;
    size_t nc = 0, at;
    for (size_t k = yg__strindex_find(fref, r->id, &at); k; k--)
        fcand[nc++] = fref->e[at++].val;
    for (size_t k = yg__strindex_find(fref, r->name, &at); k; k--)
        fcand[nc++] = fref->e[at++].val;
    qsort(fcand, nc, sizeof *fcand, u32_cmp);
    for (size_t k = 0; k < nc; k++) {
        uint32_t j = fcand[k];
        if ((k && fcand[k - 1] == j) || !filter_ls_applies(x->c->docs[j], r))
            continue;
        struct yg_node *nt = mknode(x, YG_N_NOT, 1);
        struct yg_node *an = mknode(x, YG_N_AND, 2);
        if (!nt || !an)
            return YG_ENOMEM;
        nt->kids[0] = fnodes[j];
        an->kids[0] = *root;
        an->kids[1] = nt;
        *root = an;
    }
    return YG_OK;
}

/* Every detection rule, its filters folded in, into rs->rules. */
static yg_err compile_detections(yg_compiler *c, struct yg_rules *rs, struct yg_node **fnodes,
                                 size_t nfref)
{
    yg_err err = YG_OK;
    /* Which filters name which rules: every (reference, filter) pair in a
     * sorted index, so each rule finds the filters naming its id or name by
     * binary search instead of scanning every document (which made
     * compiling n rules cost n * n).  Per rule at most every reference
     * twice (its id and its name). */
    struct yg_strindex fref;
    uint32_t *fcand = yg_calloc(2 * nfref + 1, sizeof *fcand);
    if (yg__strindex_init(&fref, nfref) || !fcand) {
        err = YG_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < c->ndocs; i++)
        for (size_t k = 0; fnodes[i] && k < c->docs[i]->nfilter_rules; k++)
            yg__strindex_add(&fref, c->docs[i]->filter_rules[k], (uint32_t)i);
    yg__strindex_sort(&fref);
    for (size_t i = 0; i < c->ndocs; i++) {
        struct yg_rule *r = c->docs[i];
        if (r->kind != YG_RULE_DETECTION)
            continue;
        struct cctx x = {c, rs, r, false};
        struct yg_node *root = compile_detection(&x);
        if (x.failed || !root) {
            rs->nfailed++;
            continue;
        }
        if ((err = fold_filters(&x, &fref, fcand, fnodes, &root)))
            goto done;
        struct yg_crule *cr = &rs->rules[rs->nrules];
        cr->rule = r;
        cr->root = root;
        cr->index = (uint32_t)rs->nrules;
        cr->attack_json = tags_to_json(&rs->perm, r, true);
        cr->tags_json = tags_to_json(&rs->perm, r, false);
        if (!cr->attack_json || !cr->tags_json) {
            err = YG_ENOMEM;
            goto done;
        }
        rs->nrules++;
    }
done:
    yg__strindex_free(&fref);
    yg_free(fcand);
    return err;
}

/* Filters, then detection rules with their filters folded in. */
static yg_err compile_rules(yg_compiler *c, struct yg_rules *rs)
{
    size_t ndet = 0;
    for (size_t i = 0; i < c->ndocs; i++)
        ndet += c->docs[i]->kind == YG_RULE_DETECTION;
    rs->rules = yg_calloc(ndet + YG_IOC_NTYPES + 1, sizeof *rs->rules);
    struct yg_node **fnodes = yg_calloc(c->ndocs ? c->ndocs : 1, sizeof *fnodes);
    yg_err err = YG_ENOMEM;
    if (rs->rules && fnodes) {
        size_t nfref = 0;
        compile_filters(c, rs, fnodes, &nfref);
        err = compile_detections(c, rs, fnodes, nfref);
    }
    yg_free(fnodes);
    return err;
}

yg_err yg__compile_detections(yg_compiler *c, yg_rules **out)
{
    yg_err err = YG_OK;
    if (c->spent)
        return YG_ESTATE;
    c->spent = true;
    struct yg_rules *rs = yg_calloc(1, sizeof *rs);
    if (!rs)
        return YG_ENOMEM;
    atomic_init(&rs->refs, 1);
    pthread_mutex_init(&rs->sub_lock, NULL);
    yg_arena_init(&rs->perm, 1u << 20, 0);
    rs->nfailed = c->nfailed;
    if ((err = load_mappings(c, rs)))
        goto done;
    rs->icache = yg_calloc(1, sizeof *rs->icache);
    if (!rs->icache) {
        err = YG_ENOMEM;
        goto done;
    }
    if ((err = compile_rules(c, rs)))
        goto done;
    icache_free(rs->icache);
    rs->icache = NULL;
    rs->dbcache = c->dbcache;
    err = yg__prefilter_build(rs);
    rs->dbcache = NULL;
    if (err) {
        emit(c, "<prefilter>", 0, 0, NULL, err, "%.511s", yg__rules_errmsg(rs));
        goto done;
    }
    if (c->intel && (err = add_intel_rules(c, rs))) {
        emit(c, "<intel>", 0, 0, NULL, err, "intel fields: %s", yg__rules_errmsg(rs));
        goto done;
    }
    /* The rules point into the compiler's arena: the program takes it. */
    struct yg_arena *keep = yg_malloc(sizeof *keep);
    if (!keep) {
        err = YG_ENOMEM;
        goto done;
    }
    *keep = c->arena;
    yg_arena_init(&c->arena, 1u << 20, 0);
    rs->docs_arena = keep;
    rs->ndocuments = c->ndocuments;
    for (size_t i = 0; i < c->ndocs; i++) {
        rs->nfilters += c->docs[i]->kind == YG_RULE_FILTER;
    }
    *out = rs;
    return YG_OK;
done:
    yg_rules_release(rs);
    return err;
}

void yg_rules_get_stats(const yg_rules *r, yg_rules_stats *st)
{
    st->detection = r->nrules;
    st->failed = r->nfailed;
    st->correlation = r->ncorrelation;
    st->filters = r->nfilters;
    st->documents = r->ndocuments;
    st->prefilter_atoms = r->natoms;
    st->prefilter_always = r->nalways;
    st->builtin = r->nbuiltin;
}

const char *yg_rules_rule_id(const yg_rules *r, uint32_t i)
{
    return i < r->nrules && r->rules[i].rule->id ? r->rules[i].rule->id : "";
}

const char *yg_rules_rule_title(const yg_rules *r, uint32_t i)
{
    return i < r->nrules && r->rules[i].rule->title ? r->rules[i].rule->title : "";
}

void yg_rules_retain(yg_rules *r)
{
    atomic_fetch_add(&r->refs, 1);
}

void yg__rules_keep_dbcache(struct yg_rules *rs, struct yg_dbcache *cache)
{
    yg__dbcache_free(rs->dbcache);
    rs->dbcache = cache;
}

void yg_rules_release(yg_rules *r)
{
    if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
        return;
    yg__prefilter_free(r);
    yg__dbcache_free(r->dbcache);
    pthread_mutex_destroy(&r->sub_lock);
    icache_free(r->icache);
    if (r->intel)
        yg_intel_release(r->intel);
    if (r->ifields) {
        yg__ifields_free(r->ifields);
        yg_free(r->ifields);
    }
    yg_free(r->ifid);
    if (r->corr)
        r->corr_free(r->corr);
    yg__vm_pool_free(&r->pool);
    if (r->ph)
        yg__placeholders_free(r->ph);
    if (r->docs_arena) {
        yg_arena_free(r->docs_arena);
        yg_free(r->docs_arena);
    }
    yg_arena_free(&r->perm);
    yg_free(r->rules);
    yg_free(r->field_names);
    yg__htab_free(&r->field_tab);
    yg_free(r);
}
