/*
 * intel_fields.c - which event fields are checked against the indicators
 * (mappings/intel-fields.yml, documented in docs/intel.md).
 *
 *   intel_fields:
 *     - logsource: {product: windows, service: sysmon}
 *       fields: {DestinationIp: ip, QueryName: domain, Hashes: hashes}
 *
 * Each entry applies to the events of the log sources it names (a missing
 * key or "*" matches any; values may hold * and ? wildcards); every entry
 * that applies contributes its fields.  The scanner resolves the list once
 * per routed log source, so the cost per event is the lookups themselves.
 */
#include <fnmatch.h>
#include <stdio.h>

#include "intel/intel.h"
#include "core/yaml.h"

static const char *sdup(struct yg_arena *a, const struct yg_ynode *n)
{
    return n && n->type == YG_Y_SCALAR ? yg_arena_strndup(a, n->s, n->slen) : NULL;
}

yg_err yg__ifields_load(struct yg_ifields *fs, const char *path)
{
    memset(fs, 0, sizeof *fs);
    yg_arena_init(&fs->a, 1u << 14, 0);
    char *text;
    size_t len;
    yg_err e = yg_file_read(path, YG_MAX_CONFIG_BYTES, &text, &len);
    if (e) {
        yg__errmsg_set(&fs->why, "cannot read: %s", yg_strerror(e));
        return e;
    }
    struct yg_ydoc *docs;
    size_t nd;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    e = yg__yaml_parse(text, len, &fs->a, &docs, &nd, &el, &ec, &ywhy);
    yg_free(text);
    if (e) {
        yg__errmsg_set(&fs->why, "line %u column %u: %.255s", el, ec, ywhy.msg);
        return e;
    }
    const struct yg_ynode *root = nd ? docs[0].root : NULL;
    const struct yg_ynode *list = yg__ymap_get(root, "intel_fields");
    if (!list || list->type != YG_Y_SEQ) {
        yg__errmsg_set(&fs->why, "'intel_fields' (a list) expected at the top");
        return YG_ESYNTAX;
    }
    fs->sets = yg_arena_alloc(&fs->a, (list->n + 1) * sizeof *fs->sets);
    if (!fs->sets)
        return YG_ENOMEM;
    for (size_t i = 0; i < list->n; i++) {
        const struct yg_ynode *ent = list->items[i];
        const struct yg_ynode *ls = yg__ymap_get(ent, "logsource");
        const struct yg_ynode *fl = yg__ymap_get(ent, "fields");
        if (!fl || fl->type != YG_Y_MAP || (ls && ls->type != YG_Y_MAP)) {
            yg__errmsg_set(&fs->why,
                           "line %u: an entry needs 'fields' (a map of field: kind) and "
                           "optionally 'logsource' (a map)",
                           ent->line);
            return YG_ESYNTAX;
        }
        if (fl->n > YG_INTEL_MAX_FIELDS) {
            yg__errmsg_set(&fs->why, "line %u: more fields than YG_INTEL_MAX_FIELDS", fl->line);
            return YG_ELIMIT;
        }
        struct yg_ifield_set *s = &fs->sets[fs->nsets];
        memset(s, 0, sizeof *s);
        s->product = sdup(&fs->a, yg__ymap_get(ls, "product"));
        s->service = sdup(&fs->a, yg__ymap_get(ls, "service"));
        s->category = sdup(&fs->a, yg__ymap_get(ls, "category"));
        s->f = yg_arena_alloc(&fs->a, (fl->n + 1) * sizeof *s->f);
        if (!s->f)
            return YG_ENOMEM;
        for (size_t k = 0; k < fl->n; k++) {
            const struct yg_ynode *kn = fl->items[2 * k], *vn = fl->items[2 * k + 1];
            int kind = vn && vn->type == YG_Y_SCALAR ? yg__ifield_kind(vn->s) : -1;
            if (kind < 0 || kn->type != YG_Y_SCALAR) {
                yg__errmsg_set(
                    &fs->why,
                    "line %u: field '%s': the kind must be one of ip, domain, url, hash, "
                    "hashes, email, user_agent, host_or_ip",
                    vn ? vn->line : kn->line, kn->s ? kn->s : "?");
                return YG_ESYNTAX;
            }
            s->f[k].name = sdup(&fs->a, kn);
            s->f[k].kind = (uint8_t)kind;
        }
        s->n = fl->n;
        fs->nsets++;
    }
    return YG_OK;
}

void yg__ifields_free(struct yg_ifields *fs)
{
    yg_arena_free(&fs->a);
    memset(fs, 0, sizeof *fs);
}

static bool pat_ok(const char *pat, const char *have)
{
    if (!pat || !strcmp(pat, "*"))
        return true;
    return have && fnmatch(pat, have, 0) == 0;
}

bool yg__ifields_applies(const struct yg_ifield_set *s, const char *product, const char *service,
                         const char *const *cats, unsigned ncats)
{
    if (!pat_ok(s->product, product) || !pat_ok(s->service, service))
        return false;
    if (!s->category || !strcmp(s->category, "*"))
        return true;
    for (unsigned i = 0; i < ncats; i++)
        if (cats[i] && fnmatch(s->category, cats[i], 0) == 0)
            return true;
    return false;
}
