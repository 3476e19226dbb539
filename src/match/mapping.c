/*
 * mapping.c - load the field and log-source mapping file (docs/mappings.md).
 *
 * The file is data users can read and extend: which channel is which Sigma
 * service, which (channel, event id) pairs form a Sigma category, and how
 * source paths are shortened to Sigma field names.
 */
#include <stdio.h>
#include <stdlib.h>

#include "match/program.h"

static const char *dup_s(struct yg_rules *rs, const struct yg_ynode *n)
{
    return n && n->type == YG_Y_SCALAR ? yg_arena_strndup(&rs->perm, n->s, n->slen) : NULL;
}

/* A list of scalars into an arena array. */
static yg_err str_list(struct yg_rules *rs, const struct yg_ynode *n, const char ***out,
                       size_t *nout, const char *what)
{
    *out = NULL;
    *nout = 0;
    if (!n)
        return YG_OK;
    if (n->type != YG_Y_SEQ) {
        yg__errmsg_set(&rs->why, "line %u: '%s' must be a list", n->line, what);
        return YG_ESYNTAX;
    }
    *out = yg_arena_alloc(&rs->perm, (n->n + 1) * sizeof(char *));
    if (!*out)
        return YG_ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        if (!((*out)[i] = dup_s(rs, n->items[i]))) {
            yg__errmsg_set(&rs->why, "line %u: '%s' items must be strings", n->items[i]->line,
                           what);
            return YG_ESYNTAX;
        }
    }
    *nout = n->n;
    return YG_OK;
}

/* A map of scalar -> scalar into two arrays. */
static yg_err str_map(struct yg_rules *rs, const struct yg_ynode *n, const char ***k,
                      const char ***v, size_t *nout, const char *what)
{
    *k = *v = NULL;
    *nout = 0;
    if (!n)
        return YG_OK;
    if (n->type != YG_Y_MAP) {
        yg__errmsg_set(&rs->why, "line %u: '%s' must be a map", n->line, what);
        return YG_ESYNTAX;
    }
    *k = yg_arena_alloc(&rs->perm, (n->n + 1) * sizeof(char *));
    *v = yg_arena_alloc(&rs->perm, (n->n + 1) * sizeof(char *));
    if (!*k || !*v)
        return YG_ENOMEM;
    for (size_t i = 0; i < n->n; i++) {
        (*k)[i] = dup_s(rs, n->items[2 * i]);
        (*v)[i] = dup_s(rs, n->items[2 * i + 1]);
        if (!(*k)[i] || !(*v)[i]) {
            yg__errmsg_set(&rs->why, "line %u: '%s' entries must be strings", n->items[2 * i]->line,
                           what);
            return YG_ESYNTAX;
        }
    }
    *nout = n->n;
    return YG_OK;
}

static yg_err load_into(struct yg_rules *rs, const char *path, struct yg_mapping *m);

yg_err yg__mapping_load(struct yg_rules *rs, const char *path)
{
    return load_into(rs, path, &rs->map);
}

/* base's items after overlay's: lookups take the first match, so the
 * overlay's entries win and the base's still apply to everything else. */
static yg_err join(struct yg_rules *rs, const char ***base, size_t *nb, const char **ov, size_t no)
{
    if (!no)
        return YG_OK;
    const char **v = yg_arena_alloc(&rs->perm, (no + *nb + 1) * sizeof *v);
    if (!v)
        return YG_ENOMEM;
    for (size_t i = 0; i < no; i++)
        v[i] = ov[i];
    for (size_t i = 0; i < *nb; i++)
        v[no + i] = (*base)[i];
    *base = v;
    *nb += no;
    return YG_OK;
}

yg_err yg__mapping_overlay(struct yg_rules *rs, const char *path)
{
    struct yg_mapping o;
    memset(&o, 0, sizeof o);
    yg_err err = load_into(rs, path, &o);
    if (err)
        return err;
    struct yg_mapping *m = &rs->map;
    size_t n;
    /* Both arrays of a map grow together. */
    n = m->nchan;
    YG_TRY(join(rs, &m->chan_names, &n, o.chan_names, o.nchan));
    YG_TRY(join(rs, &m->chan_services, &m->nchan, o.chan_services, o.nchan));
    n = m->naliases;
    YG_TRY(join(rs, &m->alias_path, &n, o.alias_path, o.naliases));
    YG_TRY(join(rs, &m->alias_name, &m->naliases, o.alias_name, o.naliases));
    YG_TRY(join(rs, &m->prefixes, &m->nprefixes, o.prefixes, o.nprefixes));
    YG_TRY(join(rs, &m->time_paths, &m->ntime, o.time_paths, o.ntime));
    YG_TRY(join(rs, &m->channel_paths, &m->nchannel_paths, o.channel_paths, o.nchannel_paths));
    YG_TRY(join(rs, &m->eventid_paths, &m->neventid_paths, o.eventid_paths, o.neventid_paths));
    if (o.ndate_time) {
        m->date_time_paths = o.date_time_paths;
        m->ndate_time = o.ndate_time;
    }
    if (o.ncats) {
        struct yg_wincat *c = yg_arena_alloc(&rs->perm, (o.ncats + m->ncats + 1) * sizeof *c);
        if (!c)
            return YG_ENOMEM;
        memcpy(c, o.cats, o.ncats * sizeof *c);
        if (m->ncats)
            memcpy(c + o.ncats, m->cats, m->ncats * sizeof *c);
        m->cats = c;
        m->ncats += o.ncats;
    }
done:
    return err;
}

static yg_err load_into(struct yg_rules *rs, const char *path, struct yg_mapping *m)
{
    char *text = NULL;
    size_t n;
    yg_err err = yg_file_read(path, YG_MAX_RULE_FILE_BYTES, &text, &n);
    if (err) {
        yg__errmsg_set(&rs->why, "cannot read %s: %s", path, yg_strerror(err));
        return err;
    }
    struct yg_arena tmp;
    yg_arena_init(&tmp, 1u << 16, 0);
    struct yg_ydoc *docs;
    size_t nd;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    err = yg__yaml_parse(text, n, &tmp, &docs, &nd, &el, &ec, &ywhy);
    if (err) {
        yg__errmsg_set(&rs->why, "%s:%u:%u: %s", path, el, ec, ywhy.msg);
        goto done;
    }
    if (nd != 1 || !docs[0].root || docs[0].root->type != YG_Y_MAP) {
        yg__errmsg_set(&rs->why, "%s: expected one YAML map", path);
        err = YG_ESYNTAX;
        goto done;
    }
    const struct yg_ynode *root = docs[0].root;
    const struct yg_ynode *win = yg__ymap_get(root, "windows");
    const struct yg_ynode *fl = yg__ymap_get(root, "fields");
    YG_TRY(str_list(rs, yg__ymap_get(win, "channel_fields"), &m->channel_paths, &m->nchannel_paths,
                    "channel_fields"));
    YG_TRY(str_list(rs, yg__ymap_get(win, "event_id_fields"), &m->eventid_paths, &m->neventid_paths,
                    "event_id_fields"));
    YG_TRY(str_map(rs, yg__ymap_get(win, "services"), &m->chan_names, &m->chan_services, &m->nchan,
                   "services"));
    YG_TRY(str_list(rs, yg__ymap_get(fl, "prefixes"), &m->prefixes, &m->nprefixes, "prefixes"));
    YG_TRY(str_map(rs, yg__ymap_get(fl, "aliases"), &m->alias_path, &m->alias_name, &m->naliases,
                   "aliases"));
    YG_TRY(str_list(rs, yg__ymap_get(fl, "time"), &m->time_paths, &m->ntime, "time"));
    YG_TRY(str_list(rs, yg__ymap_get(fl, "date_time"), &m->date_time_paths, &m->ndate_time,
                    "date_time"));
    if (m->ndate_time != 0 && m->ndate_time != 2) {
        yg__errmsg_set(&rs->why, "fields.date_time: expected two paths, a date and a time of day");
        err = YG_ESYNTAX;
        goto done;
    }

    const struct yg_ynode *cats = yg__ymap_get(win, "categories");
    if (cats && cats->type == YG_Y_SEQ) {
        m->cats = yg_arena_alloc(&rs->perm, (cats->n + 1) * sizeof *m->cats);
        if (!m->cats) {
            err = YG_ENOMEM;
            goto done;
        }
        for (size_t i = 0; i < cats->n; i++) {
            const struct yg_ynode *c = cats->items[i];
            struct yg_wincat *w = &m->cats[m->ncats];
            memset(w, 0, sizeof *w);
            w->category = dup_s(rs, yg__ymap_get(c, "category"));
            w->channel = dup_s(rs, yg__ymap_get(c, "channel"));
            const struct yg_ynode *ids = yg__ymap_get(c, "event_ids");
            if (!w->category || !w->channel || !ids || ids->type != YG_Y_SEQ) {
                yg__errmsg_set(&rs->why, "%s:%u: a category needs category, channel and event_ids",
                               path, c->line);
                err = YG_ESYNTAX;
                goto done;
            }
            w->ids = yg_arena_alloc(&rs->perm, (ids->n + 1) * sizeof *w->ids);
            if (!w->ids) {
                err = YG_ENOMEM;
                goto done;
            }
            for (size_t j = 0; j < ids->n; j++) {
                if (ids->items[j]->type != YG_Y_SCALAR || ids->items[j]->skind != YG_S_INT) {
                    yg__errmsg_set(&rs->why, "%s:%u: event_ids must be integers", path,
                                   ids->items[j]->line);
                    err = YG_ESYNTAX;
                    goto done;
                }
                w->ids[w->nids++] = strtoll(ids->items[j]->s, NULL, 10);
            }
            const struct yg_ynode *wh = yg__ymap_get(c, "where");
            if (wh && wh->type == YG_Y_MAP && wh->n == 1) {
                w->where_field = dup_s(rs, wh->items[0]);
                w->where_value = dup_s(rs, wh->items[1]);
                if (w->where_field && yg__field_intern(rs, w->where_field) < 0) {
                    err = YG_ENOMEM;
                    goto done;
                }
            } else if (wh) {
                yg__errmsg_set(&rs->why, "%s:%u: 'where' must be a map of one field", path,
                               wh->line);
                err = YG_ESYNTAX;
                goto done;
            }
            YG_TRY(str_map(rs, yg__ymap_get(c, "fields"), &w->alias_from, &w->alias_to,
                           &w->naliases, "fields"));
            for (size_t j = 0; j < w->naliases; j++)
                if (yg__field_intern(rs, w->alias_from[j]) < 0 ||
                    yg__field_intern(rs, w->alias_to[j]) < 0) {
                    err = YG_ENOMEM;
                    goto done;
                }
            m->ncats++;
        }
    }
done:
    yg_arena_free(&tmp);
    yg_free(text);
    return err;
}
