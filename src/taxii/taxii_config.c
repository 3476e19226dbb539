/*
 * taxii_config.c - the `taxii:` section of the configuration file
 * (docs/taxii.md), shared by `yagura watch`, `yagura serve` and
 * `yagura intel pull|export`.
 *
 * Checking is as strict as watch/config.c: unknown keys, wrong types,
 * duplicate names, a right naming an unknown collection, a password that
 * is not a PBKDF2 hash are errors naming the key path and position.  No
 * message quotes a value: partner passwords and tokens live here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/yaml.h"
#include "taxii/taxii.h"
#include "core/confval.h"

#define KP 256

struct cc {
    char *why;
    size_t wl;
};

static yg_err fail(struct cc *c, const char *kp, const struct yg_ynode *n, const char *fmt, ...)
    YG_PRINTF(4, 5);
static yg_err fail(struct cc *c, const char *kp, const struct yg_ynode *n, const char *fmt, ...)
{
    if (!c->why || !c->wl)
        return YG_EINVAL;
    int o =
        snprintf(c->why, c->wl, "%s: line %u, column %u: ", kp, n ? n->line : 1, n ? n->col : 1);
    if (o >= 0 && (size_t)o < c->wl) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why + o, c->wl - (size_t)o, fmt, ap);
        va_end(ap);
    }
    return YG_EINVAL;
}

static void kp_key(char *d, const char *parent, const char *key)
{
    if (snprintf(d, KP, "%s%s%s", parent, *parent ? "." : "", key) >= KP)
        d[KP - 1] = 0;
}

static void kp_idx(char *d, const char *parent, size_t i)
{
    if (snprintf(d, KP, "%s[%zu]", parent, i) >= KP)
        d[KP - 1] = 0;
}

static yg_err check_map(struct cc *c, const char *kp, const struct yg_ynode *m,
                        const char *const *allowed)
{
    if (m->type != YG_Y_MAP)
        return fail(c, kp, m, "expected a mapping");
    for (size_t i = 0; i < m->n; i++) {
        const struct yg_ynode *k = m->items[2 * i];
        char sub[KP];
        if (k->type != YG_Y_SCALAR)
            return fail(c, kp, k, "keys must be plain strings");
        kp_key(sub, kp, k->s);
        bool ok = false;
        for (size_t j = 0; allowed[j]; j++)
            ok |= strcmp(allowed[j], k->s) == 0;
        if (!ok)
            return fail(c, sub, k, "unknown key");
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->items[2 * j]->s, k->s) == 0)
                return fail(c, sub, k, "duplicate key");
    }
    return YG_OK;
}

static yg_err want_str(struct cc *c, const char *kp, const struct yg_ynode *v, char **out)
{
    if (v->type != YG_Y_SCALAR || v->skind == YG_S_NULL || v->skind == YG_S_BOOL)
        return fail(c, kp, v, "expected a string");
    if (v->slen == 0 || memchr(v->s, 0, v->slen))
        return fail(c, kp, v, "must be a non-empty string without NUL bytes");
    *out = yg_strndup(v->s, v->slen);
    return *out ? YG_OK : YG_ENOMEM;
}

static yg_err get_str(struct cc *c, const char *kp, const struct yg_ynode *m, const char *key,
                      bool required, char **out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[KP];
    kp_key(sub, kp, key);
    if (!v)
        return required ? fail(c, sub, m, "required key is missing") : YG_OK;
    return want_str(c, sub, v, out);
}

static yg_err get_bool(struct cc *c, const char *kp, const struct yg_ynode *m, const char *key,
                       bool *out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[KP];
    kp_key(sub, kp, key);
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SCALAR || v->skind != YG_S_BOOL)
        return fail(c, sub, v, "expected true or false");
    *out = v->s[0] == 't' || v->s[0] == 'T';
    return YG_OK;
}

static yg_err get_uint(struct cc *c, const char *kp, const struct yg_ynode *m, const char *key,
                       unsigned lo, unsigned hi, unsigned *out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[KP];
    kp_key(sub, kp, key);
    if (!v)
        return YG_OK;
    char *end;
    unsigned long x = v->type == YG_Y_SCALAR && v->skind == YG_S_INT ? strtoul(v->s, &end, 10) : 0;
    if (v->type != YG_Y_SCALAR || v->skind != YG_S_INT || *end || x < lo || x > hi)
        return fail(c, sub, v, "expected a whole number from %u to %u", lo, hi);
    *out = (unsigned)x;
    return YG_OK;
}

static yg_err get_tlp(struct cc *c, const char *kp, const struct yg_ynode *m, const char *key,
                      int *out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[KP];
    kp_key(sub, kp, key);
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SCALAR || !yg__tlp_parse(v->s, out))
        return fail(c, sub, v, "expected clear, white, green, amber, amber+strict or red");
    return YG_OK;
}

static yg_err get_seq(struct cc *c, const char *kp, const struct yg_ynode *m, const char *key,
                      const struct yg_ynode **out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[KP];
    kp_key(sub, kp, key);
    *out = NULL;
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SEQ)
        return fail(c, sub, v, "expected a list");
    *out = v;
    return YG_OK;
}

static bool path_word(const char *s0)
{
    const char *s = s0;
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == '_' || *s == '.'))
            return false;
    return strcmp(s0, "taxii2") != 0;
}

static bool uuid_ok(const char *u)
{
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char ch = u[i];
        if (i == 8 || i == 13 || i == 18 || i == 23
                ? ch != '-'
                : !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return true;
}

long yg__taxii_cfg_coll(const struct yg_taxii_cfg *c, const char *s)
{
    for (size_t i = 0; i < c->ncolls; i++)
        if (strcmp(c->colls[i].id, s) == 0 ||
            (c->colls[i].alias && strcmp(c->colls[i].alias, s) == 0))
            return (long)i;
    return -1;
}

static yg_err read_roots(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_root[] = {"path", "title", "description", "collections", NULL};
    static const char *const k_col[] = {"id", "alias", "title", "description", "tlp_ceiling", NULL};
    const struct yg_ynode *roots;
    yg_err err = YG_OK;
    YG_TRY(get_seq(c, "taxii", m, "api_roots", &roots));
    if (!roots)
        return YG_OK;
    size_t total = 0;
    for (size_t i = 0; i < roots->n; i++) {
        const struct yg_ynode *cols = yg__ymap_get(roots->items[i], "collections");
        total += cols && cols->type == YG_Y_SEQ ? cols->n : 0;
    }
    if (total > YG_TAXII_MAX_COLLECTIONS)
        return fail(c, "taxii.api_roots", roots, "more than %u collections",
                    YG_TAXII_MAX_COLLECTIONS);
    t->roots = yg_calloc(roots->n ? roots->n : 1, sizeof *t->roots);
    t->colls = yg_calloc(total ? total : 1, sizeof *t->colls);
    if (!t->roots || !t->colls)
        return YG_ENOMEM;
    for (size_t i = 0; i < roots->n; i++) {
        char kp[KP];
        kp_idx(kp, "taxii.api_roots", i);
        const struct yg_ynode *r = roots->items[i];
        YG_TRY(check_map(c, kp, r, k_root));
        struct yg_taxii_root *rt = &t->roots[t->nroots++];
        YG_TRY(get_str(c, kp, r, "path", true, &rt->path));
        if (!path_word(rt->path)) {
            char sub[KP];
            kp_key(sub, kp, "path");
            return fail(c, sub, yg__ymap_get(r, "path"),
                        "expected one path segment of letters, digits, '-', '_' or '.'");
        }
        for (size_t j = 0; j + 1 < t->nroots; j++)
            if (strcmp(t->roots[j].path, rt->path) == 0)
                return fail(c, kp, r, "an API root of this path is already configured");
        YG_TRY(get_str(c, kp, r, "title", false, &rt->title));
        YG_TRY(get_str(c, kp, r, "description", false, &rt->description));
        const struct yg_ynode *cols;
        YG_TRY(get_seq(c, kp, r, "collections", &cols));
        for (size_t k = 0; cols && k < cols->n; k++) {
            char ckp[KP], sub[KP];
            if (snprintf(ckp, sizeof ckp, "%s.collections[%zu]", kp, k) >= KP)
                ckp[KP - 1] = 0;
            const struct yg_ynode *cn = cols->items[k];
            YG_TRY(check_map(c, ckp, cn, k_col));
            struct yg_taxii_collection *col = &t->colls[t->ncolls++];
            col->root = t->nroots - 1;
            col->tlp_ceiling = YG_TLP_GREEN;
            YG_TRY(get_str(c, ckp, cn, "id", true, &col->id));
            kp_key(sub, ckp, "id");
            if (!uuid_ok(col->id))
                return fail(c, sub, yg__ymap_get(cn, "id"), "expected a lowercase UUID");
            YG_TRY(get_str(c, ckp, cn, "alias", false, &col->alias));
            YG_TRY(get_str(c, ckp, cn, "title", false, &col->title));
            YG_TRY(get_str(c, ckp, cn, "description", false, &col->description));
            YG_TRY(get_tlp(c, ckp, cn, "tlp_ceiling", &col->tlp_ceiling));
            for (size_t j = 0; j + 1 < t->ncolls; j++) {
                const struct yg_taxii_collection *o = &t->colls[j];
                if (strcmp(o->id, col->id) == 0 ||
                    (col->alias && (strcmp(o->id, col->alias) == 0 ||
                                    (o->alias && strcmp(o->alias, col->alias) == 0))))
                    return fail(c, ckp, cn,
                                "a collection of this id or alias is already configured");
            }
        }
    }
done:
    return err;
}

static yg_err read_rights(struct cc *c, const char *kp, const struct yg_taxii_cfg *t,
                          const struct yg_ynode *u, const char *key, bool *rights)
{
    const struct yg_ynode *l;
    yg_err err = YG_OK;
    char sub[KP];
    kp_key(sub, kp, key);
    YG_TRY(get_seq(c, kp, u, key, &l));
    for (size_t i = 0; l && i < l->n; i++) {
        const struct yg_ynode *v = l->items[i];
        char ikp[KP];
        kp_idx(ikp, sub, i);
        if (v->type != YG_Y_SCALAR)
            return fail(c, ikp, v, "expected a collection id or alias, or \"*\"");
        if (strcmp(v->s, "*") == 0) {
            for (size_t k = 0; k < t->ncolls; k++)
                rights[k] = true;
            continue;
        }
        long ci = yg__taxii_cfg_coll(t, v->s);
        if (ci < 0)
            return fail(c, ikp, v, "no collection of this id or alias is configured");
        rights[ci] = true;
    }
done:
    return err;
}

/* taxii.users[].console: viewer or analyst; the console logs in by password. */
static yg_err read_role(struct cc *c, const char *kp, const struct yg_ynode *u,
                        struct yg_taxii_user *us)
{
    const struct yg_ynode *v = yg__ymap_get(u, "console");
    char sub[KP];
    kp_key(sub, kp, "console");
    if (!v)
        return YG_OK;
    if (v->type == YG_Y_SCALAR && strcmp(v->s, "viewer") == 0)
        us->console_role = YG_CONSOLE_VIEWER;
    else if (v->type == YG_Y_SCALAR && strcmp(v->s, "analyst") == 0)
        us->console_role = YG_CONSOLE_ANALYST;
    else
        return fail(c, sub, v, "expected viewer or analyst");
    if (!us->password_hash)
        return fail(c, sub, v, "the console logs in with a password: this user has none");
    return YG_OK;
}

/* taxii.console.campaigns: more partners' bundles and the inventory of the
 * campaign pages. */
static yg_err read_console_campaigns(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_cmp[] = {"inputs", "organisations", NULL};
    const char *kp = "taxii.console.campaigns";
    yg_err err = check_map(c, kp, m, k_cmp);
    const struct yg_ynode *l = NULL;
    if (!err)
        err = get_str(c, kp, m, "organisations", false, &t->console_cmp_orgs);
    if (!err)
        err = get_seq(c, kp, m, "inputs", &l);
    if (err || !l)
        return err;
    if (!(t->console_cmp_inputs = yg_calloc(l->n ? l->n : 1, sizeof *t->console_cmp_inputs)))
        return YG_ENOMEM;
    for (size_t i = 0; !err && i < l->n; i++) {
        char sub[KP];
        kp_idx(sub, "taxii.console.campaigns.inputs", i);
        err = want_str(c, sub, l->items[i], &t->console_cmp_inputs[i]);
        if (!err)
            t->nconsole_cmp_inputs++;
    }
    return err;
}

/* taxii.console: session expiry and the organisation inventory. */
static yg_err read_console(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *con)
{
    yg_err err = YG_OK;
    static const char *const k_con[] = {"session_idle", "session_max", "organisations", "campaigns",
                                        NULL};
    t->console = true;
    if (con->type == YG_Y_SCALAR && con->skind == YG_S_BOOL) {
        t->console = con->s[0] == 't' || con->s[0] == 'T';
        return YG_OK;
    }
    YG_TRY(check_map(c, "taxii.console", con, k_con));
    YG_TRY(get_str(c, "taxii.console", con, "organisations", false, &t->console_orgs));
    const struct yg_ynode *cmp = yg__ymap_get(con, "campaigns");
    if (cmp)
        YG_TRY(read_console_campaigns(c, t, cmp));
    static const char *const k_dur[] = {"session_idle", "session_max"};
    uint64_t *dst[] = {&t->console_idle_ms, &t->console_max_ms};
    for (size_t i = 0; i < 2; i++) {
        const struct yg_ynode *d = yg__ymap_get(con, k_dur[i]);
        char sub[KP];
        kp_key(sub, "taxii.console", k_dur[i]);
        if (d && (d->type != YG_Y_SCALAR || !yg__parse_duration_ms(d->s, dst[i]) ||
                  *dst[i] < 1000 || *dst[i] > 7ull * 86400 * 1000))
            return fail(c, sub, d, "expected a duration from 1s to 7d (30m, 12h)");
    }
    if (t->console_idle_ms > t->console_max_ms)
        return fail(c, "taxii.console.session_idle", yg__ymap_get(con, "session_idle"),
                    "longer than session_max");
done:
    return err;
}

static yg_err read_users(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_user[] = {"name",  "password", "tokens", "read",
                                         "write", "console",  NULL};
    const struct yg_ynode *users;
    yg_err err = YG_OK;
    YG_TRY(get_seq(c, "taxii", m, "users", &users));
    if (!users)
        return YG_OK;
    if (users->n > YG_TAXII_MAX_USERS)
        return fail(c, "taxii.users", users, "more than %u users", YG_TAXII_MAX_USERS);
    t->users = yg_calloc(users->n ? users->n : 1, sizeof *t->users);
    if (!t->users)
        return YG_ENOMEM;
    for (size_t i = 0; i < users->n; i++) {
        char kp[KP], sub[KP];
        kp_idx(kp, "taxii.users", i);
        const struct yg_ynode *u = users->items[i];
        YG_TRY(check_map(c, kp, u, k_user));
        struct yg_taxii_user *us = &t->users[t->nusers++];
        us->can_read = yg_calloc(t->ncolls ? t->ncolls : 1, sizeof(bool));
        us->can_write = yg_calloc(t->ncolls ? t->ncolls : 1, sizeof(bool));
        if (!us->can_read || !us->can_write)
            return YG_ENOMEM;
        YG_TRY(get_str(c, kp, u, "name", true, &us->name));
        if (strchr(us->name, ':'))
            return fail(c, kp, u, "a user name cannot contain ':' (HTTP Basic)");
        for (size_t j = 0; j + 1 < t->nusers; j++)
            if (strcmp(t->users[j].name, us->name) == 0)
                return fail(c, kp, u, "a user of this name is already configured");
        YG_TRY(get_str(c, kp, u, "password", false, &us->password_hash));
        kp_key(sub, kp, "password");
        if (us->password_hash && !yg__taxii_password_hash_ok(us->password_hash))
            return fail(c, sub, yg__ymap_get(u, "password"),
                        "expected a hash made by yagura serve --hash-password "
                        "(pbkdf2-sha256$iterations$salt$hash)");
        const struct yg_ynode *toks;
        YG_TRY(get_seq(c, kp, u, "tokens", &toks));
        if (toks && toks->n) {
            us->tokens = yg_calloc(toks->n, sizeof *us->tokens);
            if (!us->tokens)
                return YG_ENOMEM;
            kp_key(sub, kp, "tokens");
            for (size_t k = 0; k < toks->n; k++) {
                char tkp[KP];
                kp_idx(tkp, sub, k);
                YG_TRY(want_str(c, tkp, toks->items[k], &us->tokens[us->ntokens]));
                us->ntokens++;
                if (!yg__taxii_token_hash_ok(us->tokens[k]))
                    return fail(c, tkp, toks->items[k],
                                "expected a hash made by yagura serve --new-token (sha256$hex)");
            }
        }
        if (!us->password_hash && !us->ntokens)
            return fail(c, kp, u, "a user needs a password or a token");
        YG_TRY(read_rights(c, kp, t, u, "read", us->can_read));
        YG_TRY(read_rights(c, kp, t, u, "write", us->can_write));
        YG_TRY(read_role(c, kp, u, us));
    }
done:
    return err;
}

static yg_err read_partners(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_p[] = {"name",      "url",         "collection", "user",
                                      "password",  "token",       "ca",         "verify",
                                      "page_size", "ignore_next", NULL};
    const struct yg_ynode *ps;
    yg_err err = YG_OK;
    YG_TRY(get_seq(c, "taxii", m, "partners", &ps));
    if (!ps)
        return YG_OK;
    t->partners = yg_calloc(ps->n ? ps->n : 1, sizeof *t->partners);
    if (!t->partners)
        return YG_ENOMEM;
    for (size_t i = 0; i < ps->n; i++) {
        char kp[KP];
        kp_idx(kp, "taxii.partners", i);
        const struct yg_ynode *p = ps->items[i];
        YG_TRY(check_map(c, kp, p, k_p));
        struct yg_taxii_partner *pt = &t->partners[t->npartners++];
        pt->verify = true;
        pt->page_size = 1000;
        YG_TRY(get_str(c, kp, p, "name", true, &pt->name));
        if (!path_word(pt->name))
            return fail(c, kp, p, "a partner name is letters, digits, '-', '_' or '.'");
        for (size_t j = 0; j + 1 < t->npartners; j++)
            if (strcmp(t->partners[j].name, pt->name) == 0)
                return fail(c, kp, p, "a partner of this name is already configured");
        YG_TRY(get_str(c, kp, p, "url", true, &pt->url));
        if (strncmp(pt->url, "http://", 7) != 0 && strncmp(pt->url, "https://", 8) != 0)
            return fail(c, kp, p, "url must be an http:// or https:// API root URL");
        YG_TRY(get_str(c, kp, p, "collection", true, &pt->collection));
        YG_TRY(get_str(c, kp, p, "user", false, &pt->user));
        YG_TRY(get_str(c, kp, p, "password", false, &pt->password));
        YG_TRY(get_str(c, kp, p, "token", false, &pt->token));
        YG_TRY(get_str(c, kp, p, "ca", false, &pt->ca));
        YG_TRY(get_bool(c, kp, p, "verify", &pt->verify));
        YG_TRY(get_bool(c, kp, p, "ignore_next", &pt->ignore_next));
        YG_TRY(get_uint(c, kp, p, "page_size", 1, YG_TAXII_MAX_PAGE, &pt->page_size));
        if (!!pt->user != !!pt->password)
            return fail(c, kp, p, "user and password go together");
    }
done:
    return err;
}

/* taxii.publish: the collection the service's sightings go to, and how
 * often and how far back. */
static yg_err read_publish(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *pub)
{
    yg_err err = YG_OK;
    static const char *const k_pub[] = {"collection", "min_level", "interval", "window", NULL};
    static const char *const levels[] = {"informational", "low", "medium", "high", "critical"};
    YG_TRY(check_map(c, "taxii.publish", pub, k_pub));
    YG_TRY(get_str(c, "taxii.publish", pub, "collection", true, &t->publish_coll));
    if (yg__taxii_cfg_coll(t, t->publish_coll) < 0)
        return fail(c, "taxii.publish.collection", yg__ymap_get(pub, "collection"),
                    "not a collection of api_roots");
    YG_TRY(get_str(c, "taxii.publish", pub, "min_level", false, &t->publish_min_level));
    if (t->publish_min_level) {
        bool ok = false;
        for (size_t i = 0; i < 5; i++)
            ok |= strcmp(levels[i], t->publish_min_level) == 0;
        if (!ok)
            return fail(c, "taxii.publish.min_level", yg__ymap_get(pub, "min_level"),
                        "expected informational, low, medium, high or critical");
    }
    static const char *const k_dur[] = {"interval", "window"};
    uint64_t *dst[] = {&t->publish_interval_ms, &t->publish_window_ms};
    for (size_t i = 0; i < 2; i++) {
        const struct yg_ynode *d = yg__ymap_get(pub, k_dur[i]);
        char sub[KP];
        kp_key(sub, "taxii.publish", k_dur[i]);
        if (d && (d->type != YG_Y_SCALAR || !yg__parse_duration_ms(d->s, dst[i]) || *dst[i] < 1000))
            return fail(c, sub, d, "expected a duration of at least 1s (30s, 5m, 7d)");
    }
done:
    return err;
}

/* taxii.listen (host:port) and taxii.tls. */
static yg_err read_listen(struct cc *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    yg_err err = YG_OK;
    const struct yg_ynode *v = yg__ymap_get(m, "listen");
    if (v) {
        char host[256];
        unsigned port;
        if (v->type != YG_Y_SCALAR || !yg__parse_hostport(v->s, host, sizeof host, &port, true))
            return fail(c, "taxii.listen", v, "expected host:port");
        YG_TRY(want_str(c, "taxii.listen", v, &t->listen));
    }
    const struct yg_ynode *tls = yg__ymap_get(m, "tls");
    if (tls) {
        static const char *const k_tls[] = {"cert", "key", NULL};
        YG_TRY(check_map(c, "taxii.tls", tls, k_tls));
        YG_TRY(get_str(c, "taxii.tls", tls, "cert", true, &t->cert));
        YG_TRY(get_str(c, "taxii.tls", tls, "key", true, &t->key));
    }
done:
    return err;
}

yg_err yg__taxii_cfg_read(const struct yg_ynode *m, struct yg_taxii_cfg **out,
                          struct yg_errmsg *why)
{
    static const char *const k_taxii[] = {"listen",
                                          "tls",
                                          "db",
                                          "title",
                                          "description",
                                          "contact",
                                          "public_url",
                                          "max_content_length",
                                          "page_size",
                                          "unmarked_tlp",
                                          "api_roots",
                                          "users",
                                          "partners",
                                          "pull_dir",
                                          "identity_name",
                                          "export_tlp",
                                          "publish",
                                          "console",
                                          NULL};
    struct cc c = {why ? why->msg : NULL, why ? sizeof why->msg : 0};
    yg_err err = YG_OK;
    *out = NULL;
    struct yg_taxii_cfg *t = yg_calloc(1, sizeof *t);
    if (!t)
        return YG_ENOMEM;
    t->max_content_length = YG_TAXII_MAX_CONTENT_LENGTH;
    t->page_size = YG_TAXII_DEFAULT_PAGE;
    t->unmarked_tlp = YG_TLP_AMBER;
    t->export_tlp = YG_TLP_AMBER;
    t->publish_interval_ms = 60000;
    t->publish_window_ms = 7ull * 86400 * 1000;
    t->console_idle_ms = 30ull * 60 * 1000;
    t->console_max_ms = 12ull * 3600 * 1000;
    YG_TRY(check_map(&c, "taxii", m, k_taxii));
    YG_TRY(read_listen(&c, t, m));
    YG_TRY(get_str(&c, "taxii", m, "db", false, &t->db));
    YG_TRY(get_str(&c, "taxii", m, "title", false, &t->title));
    YG_TRY(get_str(&c, "taxii", m, "description", false, &t->description));
    YG_TRY(get_str(&c, "taxii", m, "contact", false, &t->contact));
    YG_TRY(get_str(&c, "taxii", m, "public_url", false, &t->public_url));
    const struct yg_ynode *v = yg__ymap_get(m, "max_content_length");
    if (v) {
        uint64_t n;
        if (v->type != YG_Y_SCALAR || !yg__parse_size(v->s, &n) || n < 1024 ||
            n > YG_TAXII_MAX_CONTENT_LENGTH_CAP) {
            err = fail(&c, "taxii.max_content_length", v, "expected a size from 1KB to 1GB");
            goto done;
        }
        t->max_content_length = n;
    }
    YG_TRY(get_uint(&c, "taxii", m, "page_size", 1, YG_TAXII_MAX_PAGE, &t->page_size));
    YG_TRY(get_tlp(&c, "taxii", m, "unmarked_tlp", &t->unmarked_tlp));
    YG_TRY(get_tlp(&c, "taxii", m, "export_tlp", &t->export_tlp));
    YG_TRY(get_str(&c, "taxii", m, "pull_dir", false, &t->pull_dir));
    YG_TRY(get_str(&c, "taxii", m, "identity_name", false, &t->identity_name));
    YG_TRY(read_roots(&c, t, m));
    YG_TRY(read_users(&c, t, m));
    YG_TRY(read_partners(&c, t, m));
    const struct yg_ynode *pub = yg__ymap_get(m, "publish");
    if (pub)
        YG_TRY(read_publish(&c, t, pub));
    const struct yg_ynode *con = yg__ymap_get(m, "console");
    if (con)
        YG_TRY(read_console(&c, t, con));
    if (t->console && !t->listen) {
        err =
            fail(&c, "taxii.console", con, "the console needs the server (listen, db, api_roots)");
        goto done;
    }
    if (t->publish_coll && !t->listen) {
        err = fail(&c, "taxii.publish", pub, "publishing needs the server (listen, db, api_roots)");
        goto done;
    }
    if (t->listen && (!t->db || !t->nroots)) {
        err = fail(&c, "taxii", m, "a server (listen) needs db and at least one api_roots entry");
        goto done;
    }
    *out = t;
    t = NULL;
done:
    yg__taxii_cfg_free(t);
    return err;
}

yg_err yg__taxii_cfg_load(const char *path, struct yg_taxii_cfg **out, struct yg_errmsg *why)
{
    char *text = NULL;
    size_t n = 0;
    struct yg_arena a;
    struct yg_ydoc *docs = NULL;
    size_t ndocs = 0;
    unsigned el = 0, ec = 0;
    struct yg_errmsg ywhy = {""};
    *out = NULL;
    yg_err err = yg_file_read(path, YG_MAX_CONFIG_BYTES, &text, &n);
    if (err) {
        yg__errmsg_set(why, "%s: cannot read it (%s)", path, yg_strerror(err));
        return err == YG_ENOTFOUND ? YG_EIO : err;
    }
    yg_arena_init(&a, 16384, 16u * YG_MAX_CONFIG_BYTES);
    err = yg__yaml_parse(text, n, &a, &docs, &ndocs, &el, &ec, &ywhy);
    if (err) {
        yg__errmsg_set(why, "%s: line %u, column %u: %s", path, el, ec,
                       err == YG_EUNSUPPORTED ? "YAML aliases are not accepted" : ywhy.msg);
        err = YG_ESYNTAX;
        goto done;
    }
    const struct yg_ynode *t =
        ndocs == 1 && docs[0].root ? yg__ymap_get(docs[0].root, "taxii") : NULL;
    if (!t) {
        yg__errmsg_set(why, "%s: no taxii section", path);
        err = YG_ENOTFOUND;
        goto done;
    }
    struct yg_errmsg sub = {""};
    err = yg__taxii_cfg_read(t, out, &sub);
    if (err) {
        /* %.399s: as long as the message was in its former 400 bytes. */
        yg__errmsg_set(why, "%s: %.399s", path, sub.msg);
        goto done;
    }
    const struct yg_ynode *sv = yg__ymap_get(docs[0].root, "state");
    if (sv && sv->type == YG_Y_SCALAR && sv->slen) {
        (*out)->state = yg_strndup(sv->s, sv->slen);
        if (!(*out)->state)
            err = YG_ENOMEM;
    }
done:
    yg_arena_free(&a);
    yg_free(text);
    return err;
}

void yg__taxii_cfg_free(struct yg_taxii_cfg *t)
{
    if (!t)
        return;
    yg_free(t->publish_coll);
    yg_free(t->publish_min_level);
    yg_free(t->console_orgs);
    yg_free(t->console_cmp_orgs);
    for (size_t i = 0; i < t->nconsole_cmp_inputs; i++)
        yg_free(t->console_cmp_inputs[i]);
    yg_free(t->console_cmp_inputs);
    for (size_t i = 0; i < t->nroots; i++) {
        yg_free(t->roots[i].path);
        yg_free(t->roots[i].title);
        yg_free(t->roots[i].description);
    }
    yg_free(t->roots);
    for (size_t i = 0; i < t->ncolls; i++) {
        yg_free(t->colls[i].id);
        yg_free(t->colls[i].alias);
        yg_free(t->colls[i].title);
        yg_free(t->colls[i].description);
    }
    yg_free(t->colls);
    for (size_t i = 0; i < t->nusers; i++) {
        struct yg_taxii_user *u = &t->users[i];
        yg_free(u->name);
        yg_free(u->password_hash);
        for (size_t k = 0; k < u->ntokens; k++)
            yg_free(u->tokens[k]);
        yg_free(u->tokens);
        yg_free(u->can_read);
        yg_free(u->can_write);
    }
    yg_free(t->users);
    for (size_t i = 0; i < t->npartners; i++) {
        struct yg_taxii_partner *p = &t->partners[i];
        yg_free(p->name);
        yg_free(p->url);
        yg_free(p->collection);
        yg_free(p->user);
        if (p->password) {
            volatile char *z = p->password;
            while (*z)
                *z++ = 0;
        }
        yg_free(p->password);
        if (p->token) {
            volatile char *z = p->token;
            while (*z)
                *z++ = 0;
        }
        yg_free(p->token);
        yg_free(p->ca);
    }
    yg_free(t->partners);
    yg_free(t->listen);
    yg_free(t->cert);
    yg_free(t->key);
    yg_free(t->db);
    yg_free(t->title);
    yg_free(t->description);
    yg_free(t->contact);
    yg_free(t->public_url);
    yg_free(t->pull_dir);
    yg_free(t->state);
    yg_free(t->identity_name);
    yg_free(t);
}
