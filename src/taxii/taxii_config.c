/*
 * taxii_config.c - the `taxii:` section of the configuration file
 * (docs/taxii.md), shared by `yagura watch`, `yagura serve` and
 * `yagura intel pull|export`.
 *
 * Checking is the one of watch/config.c (core/confcheck.h): unknown keys
 * (with the nearest allowed key suggested), wrong types, duplicate names, a
 * right naming an unknown collection, a password that is not a PBKDF2 hash
 * are errors naming the key path and position.  No message quotes a value:
 * partner passwords and tokens live here.
 */
#include "core/confcheck.h"
#include "core/yaml.h"
#include "taxii/taxii.h"

static yg_err get_tlp(struct yg_errmsg *c, const char *kp, const struct yg_ynode *m,
                      const char *key, int *out)
{
    const struct yg_ynode *v = yg__ymap_get(m, key);
    char sub[YG_CC_KEYPATH_MAX];
    yg__cc_key(sub, kp, key);
    if (!v)
        return YG_OK;
    if (v->type != YG_Y_SCALAR || !yg__tlp_parse(v->s, out))
        return yg__cc_fail(c, sub, v, "expected clear, white, green, amber, amber+strict or red");
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

static yg_err read_roots(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_root[] = {"path", "title", "description", "collections", NULL};
    static const char *const k_col[] = {"id", "alias", "title", "description", "tlp_ceiling", NULL};
    const struct yg_ynode *roots;
    yg_err err = YG_OK;
    YG_TRY(yg__cc_get_seq(c, "taxii", m, "api_roots", "a list", &roots));
    if (!roots)
        return YG_OK;
    size_t total = 0;
    for (size_t i = 0; i < roots->n; i++) {
        const struct yg_ynode *cols = yg__ymap_get(roots->items[i], "collections");
        total += cols && cols->type == YG_Y_SEQ ? cols->n : 0;
    }
    if (total > YG_TAXII_MAX_COLLECTIONS)
        return yg__cc_fail(c, "taxii.api_roots", roots, "more than %u collections",
                           YG_TAXII_MAX_COLLECTIONS);
    t->roots = yg_calloc(roots->n ? roots->n : 1, sizeof *t->roots);
    t->colls = yg_calloc(total ? total : 1, sizeof *t->colls);
    if (!t->roots || !t->colls)
        return YG_ENOMEM;
    for (size_t i = 0; i < roots->n; i++) {
        char kp[YG_CC_KEYPATH_MAX];
        yg__cc_index(kp, "taxii.api_roots", i);
        const struct yg_ynode *r = roots->items[i];
        YG_TRY(yg__cc_check_map(c, kp, r, k_root, NULL, NULL));
        struct yg_taxii_root *rt = &t->roots[t->nroots++];
        YG_TRY(yg__cc_get_str(c, kp, r, "path", true, &rt->path));
        if (!path_word(rt->path)) {
            char sub[YG_CC_KEYPATH_MAX];
            yg__cc_key(sub, kp, "path");
            return yg__cc_fail(c, sub, yg__ymap_get(r, "path"),
                               "expected one path segment of letters, digits, '-', '_' or '.'");
        }
        for (size_t j = 0; j + 1 < t->nroots; j++)
            if (strcmp(t->roots[j].path, rt->path) == 0)
                return yg__cc_fail(c, kp, r, "an API root of this path is already configured");
        YG_TRY(yg__cc_get_str(c, kp, r, "title", false, &rt->title));
        YG_TRY(yg__cc_get_str(c, kp, r, "description", false, &rt->description));
        const struct yg_ynode *cols;
        YG_TRY(yg__cc_get_seq(c, kp, r, "collections", "a list", &cols));
        for (size_t k = 0; cols && k < cols->n; k++) {
            char ckp[YG_CC_KEYPATH_MAX], sub[YG_CC_KEYPATH_MAX];
            yg__cc_key(ckp, kp, "collections");
            yg__cc_index(ckp, ckp, k);
            const struct yg_ynode *cn = cols->items[k];
            YG_TRY(yg__cc_check_map(c, ckp, cn, k_col, NULL, NULL));
            struct yg_taxii_collection *col = &t->colls[t->ncolls++];
            col->root = t->nroots - 1;
            col->tlp_ceiling = YG_TLP_GREEN;
            YG_TRY(yg__cc_get_str(c, ckp, cn, "id", true, &col->id));
            yg__cc_key(sub, ckp, "id");
            if (!uuid_ok(col->id))
                return yg__cc_fail(c, sub, yg__ymap_get(cn, "id"), "expected a lowercase UUID");
            YG_TRY(yg__cc_get_str(c, ckp, cn, "alias", false, &col->alias));
            YG_TRY(yg__cc_get_str(c, ckp, cn, "title", false, &col->title));
            YG_TRY(yg__cc_get_str(c, ckp, cn, "description", false, &col->description));
            YG_TRY(get_tlp(c, ckp, cn, "tlp_ceiling", &col->tlp_ceiling));
            for (size_t j = 0; j + 1 < t->ncolls; j++) {
                const struct yg_taxii_collection *o = &t->colls[j];
                if (strcmp(o->id, col->id) == 0 ||
                    (col->alias && (strcmp(o->id, col->alias) == 0 ||
                                    (o->alias && strcmp(o->alias, col->alias) == 0))))
                    return yg__cc_fail(c, ckp, cn,
                                       "a collection of this id or alias is already configured");
            }
        }
    }
done:
    return err;
}

static yg_err read_rights(struct yg_errmsg *c, const char *kp, const struct yg_taxii_cfg *t,
                          const struct yg_ynode *u, const char *key, bool *rights)
{
    const struct yg_ynode *l;
    yg_err err = YG_OK;
    char sub[YG_CC_KEYPATH_MAX];
    yg__cc_key(sub, kp, key);
    YG_TRY(yg__cc_get_seq(c, kp, u, key, "a list", &l));
    for (size_t i = 0; l && i < l->n; i++) {
        const struct yg_ynode *v = l->items[i];
        char ikp[YG_CC_KEYPATH_MAX];
        yg__cc_index(ikp, sub, i);
        if (v->type != YG_Y_SCALAR)
            return yg__cc_fail(c, ikp, v, "expected a collection id or alias, or \"*\"");
        if (strcmp(v->s, "*") == 0) {
            for (size_t k = 0; k < t->ncolls; k++)
                rights[k] = true;
            continue;
        }
        long ci = yg__taxii_cfg_coll(t, v->s);
        if (ci < 0)
            return yg__cc_fail(c, ikp, v, "no collection of this id or alias is configured");
        rights[ci] = true;
    }
done:
    return err;
}

/* taxii.users[].console: viewer or analyst; the console logs in by password. */
static yg_err read_role(struct yg_errmsg *c, const char *kp, const struct yg_ynode *u,
                        struct yg_taxii_user *us)
{
    const struct yg_ynode *v = yg__ymap_get(u, "console");
    char sub[YG_CC_KEYPATH_MAX];
    yg__cc_key(sub, kp, "console");
    if (!v)
        return YG_OK;
    if (v->type == YG_Y_SCALAR && strcmp(v->s, "viewer") == 0)
        us->console_role = YG_CONSOLE_VIEWER;
    else if (v->type == YG_Y_SCALAR && strcmp(v->s, "analyst") == 0)
        us->console_role = YG_CONSOLE_ANALYST;
    else
        return yg__cc_fail(c, sub, v, "expected viewer or analyst");
    if (!us->password_hash)
        return yg__cc_fail(c, sub, v, "the console logs in with a password: this user has none");
    return YG_OK;
}

/* taxii.console.campaigns: more partners' bundles and the inventory of the
 * campaign pages. */
static yg_err read_console_campaigns(struct yg_errmsg *c, struct yg_taxii_cfg *t,
                                     const struct yg_ynode *m)
{
    static const char *const k_cmp[] = {"inputs", "organisations", NULL};
    const char *kp = "taxii.console.campaigns";
    yg_err err = yg__cc_check_map(c, kp, m, k_cmp, NULL, NULL);
    const struct yg_ynode *l = NULL;
    if (!err)
        err = yg__cc_get_str(c, kp, m, "organisations", false, &t->console_cmp_orgs);
    if (!err)
        err = yg__cc_get_seq(c, kp, m, "inputs", "a list", &l);
    if (err || !l)
        return err;
    return yg__cc_strs(c, "taxii.console.campaigns.inputs", l, &t->console_cmp_inputs,
                       &t->nconsole_cmp_inputs);
}

/* taxii.console: session expiry and the organisation inventory. */
static yg_err read_console(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *con)
{
    yg_err err = YG_OK;
    static const char *const k_con[] = {"session_idle", "session_max", "organisations", "campaigns",
                                        NULL};
    t->console = true;
    if (con->type == YG_Y_SCALAR && con->skind == YG_S_BOOL) {
        t->console = con->s[0] == 't' || con->s[0] == 'T';
        return YG_OK;
    }
    YG_TRY(yg__cc_check_map(c, "taxii.console", con, k_con, NULL, NULL));
    YG_TRY(yg__cc_get_str(c, "taxii.console", con, "organisations", false, &t->console_orgs));
    const struct yg_ynode *cmp = yg__ymap_get(con, "campaigns");
    if (cmp)
        YG_TRY(read_console_campaigns(c, t, cmp));
    static const char session[] = "a duration from 1s to 7d (30m, 12h)";
    YG_TRY(yg__cc_get_duration(c, "taxii.console", con, "session_idle", 1000, 7ull * 86400 * 1000,
                               session, &t->console_idle_ms));
    YG_TRY(yg__cc_get_duration(c, "taxii.console", con, "session_max", 1000, 7ull * 86400 * 1000,
                               session, &t->console_max_ms));
    if (t->console_idle_ms > t->console_max_ms)
        return yg__cc_fail(c, "taxii.console.session_idle", yg__ymap_get(con, "session_idle"),
                           "longer than session_max");
done:
    return err;
}

static yg_err read_users(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_user[] = {"name",  "password", "tokens", "read",
                                         "write", "console",  NULL};
    const struct yg_ynode *users;
    yg_err err = YG_OK;
    YG_TRY(yg__cc_get_seq(c, "taxii", m, "users", "a list", &users));
    if (!users)
        return YG_OK;
    if (users->n > YG_TAXII_MAX_USERS)
        return yg__cc_fail(c, "taxii.users", users, "more than %u users", YG_TAXII_MAX_USERS);
    t->users = yg_calloc(users->n ? users->n : 1, sizeof *t->users);
    if (!t->users)
        return YG_ENOMEM;
    for (size_t i = 0; i < users->n; i++) {
        char kp[YG_CC_KEYPATH_MAX], sub[YG_CC_KEYPATH_MAX];
        yg__cc_index(kp, "taxii.users", i);
        const struct yg_ynode *u = users->items[i];
        YG_TRY(yg__cc_check_map(c, kp, u, k_user, NULL, NULL));
        struct yg_taxii_user *us = &t->users[t->nusers++];
        us->can_read = yg_calloc(t->ncolls ? t->ncolls : 1, sizeof(bool));
        us->can_write = yg_calloc(t->ncolls ? t->ncolls : 1, sizeof(bool));
        if (!us->can_read || !us->can_write)
            return YG_ENOMEM;
        YG_TRY(yg__cc_get_str(c, kp, u, "name", true, &us->name));
        if (strchr(us->name, ':'))
            return yg__cc_fail(c, kp, u, "a user name cannot contain ':' (HTTP Basic)");
        for (size_t j = 0; j + 1 < t->nusers; j++)
            if (strcmp(t->users[j].name, us->name) == 0)
                return yg__cc_fail(c, kp, u, "a user of this name is already configured");
        YG_TRY(yg__cc_get_str(c, kp, u, "password", false, &us->password_hash));
        yg__cc_key(sub, kp, "password");
        if (us->password_hash && !yg__taxii_password_hash_ok(us->password_hash))
            return yg__cc_fail(c, sub, yg__ymap_get(u, "password"),
                               "expected a hash made by yagura serve --hash-password "
                               "(pbkdf2-sha256$iterations$salt$hash)");
        const struct yg_ynode *toks;
        YG_TRY(yg__cc_get_seq(c, kp, u, "tokens", "a list", &toks));
        if (toks) {
            yg__cc_key(sub, kp, "tokens");
            YG_TRY(yg__cc_strs(c, sub, toks, &us->tokens, &us->ntokens));
            for (size_t k = 0; k < toks->n; k++) {
                char tkp[YG_CC_KEYPATH_MAX];
                yg__cc_index(tkp, sub, k);
                if (!yg__taxii_token_hash_ok(us->tokens[k]))
                    return yg__cc_fail(
                        c, tkp, toks->items[k],
                        "expected a hash made by yagura serve --new-token (sha256$hex)");
            }
        }
        if (!us->password_hash && !us->ntokens)
            return yg__cc_fail(c, kp, u, "a user needs a password or a token");
        YG_TRY(read_rights(c, kp, t, u, "read", us->can_read));
        YG_TRY(read_rights(c, kp, t, u, "write", us->can_write));
        YG_TRY(read_role(c, kp, u, us));
    }
done:
    return err;
}

static yg_err read_partners(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    static const char *const k_p[] = {"name",      "url",         "collection", "user",
                                      "password",  "token",       "ca",         "verify",
                                      "page_size", "ignore_next", NULL};
    const struct yg_ynode *ps;
    yg_err err = YG_OK;
    YG_TRY(yg__cc_get_seq(c, "taxii", m, "partners", "a list", &ps));
    if (!ps)
        return YG_OK;
    t->partners = yg_calloc(ps->n ? ps->n : 1, sizeof *t->partners);
    if (!t->partners)
        return YG_ENOMEM;
    for (size_t i = 0; i < ps->n; i++) {
        char kp[YG_CC_KEYPATH_MAX];
        yg__cc_index(kp, "taxii.partners", i);
        const struct yg_ynode *p = ps->items[i];
        YG_TRY(yg__cc_check_map(c, kp, p, k_p, NULL, NULL));
        struct yg_taxii_partner *pt = &t->partners[t->npartners++];
        pt->verify = true;
        pt->page_size = 1000;
        YG_TRY(yg__cc_get_str(c, kp, p, "name", true, &pt->name));
        if (!path_word(pt->name))
            return yg__cc_fail(c, kp, p, "a partner name is letters, digits, '-', '_' or '.'");
        for (size_t j = 0; j + 1 < t->npartners; j++)
            if (strcmp(t->partners[j].name, pt->name) == 0)
                return yg__cc_fail(c, kp, p, "a partner of this name is already configured");
        YG_TRY(yg__cc_get_str(c, kp, p, "url", true, &pt->url));
        if (strncmp(pt->url, "http://", 7) != 0 && strncmp(pt->url, "https://", 8) != 0)
            return yg__cc_fail(c, kp, p, "url must be an http:// or https:// API root URL");
        YG_TRY(yg__cc_get_str(c, kp, p, "collection", true, &pt->collection));
        YG_TRY(yg__cc_get_str(c, kp, p, "user", false, &pt->user));
        YG_TRY(yg__cc_get_str(c, kp, p, "password", false, &pt->password));
        YG_TRY(yg__cc_get_str(c, kp, p, "token", false, &pt->token));
        YG_TRY(yg__cc_get_str(c, kp, p, "ca", false, &pt->ca));
        YG_TRY(yg__cc_get_bool(c, kp, p, "verify", &pt->verify));
        YG_TRY(yg__cc_get_bool(c, kp, p, "ignore_next", &pt->ignore_next));
        YG_TRY(yg__cc_get_uint(c, kp, p, "page_size", 1, YG_TAXII_MAX_PAGE, &pt->page_size));
        if (!!pt->user != !!pt->password)
            return yg__cc_fail(c, kp, p, "user and password go together");
    }
done:
    return err;
}

/* taxii.publish: the collection the service's sightings go to, and how
 * often and how far back. */
static yg_err read_publish(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *pub)
{
    yg_err err = YG_OK;
    static const char *const k_pub[] = {"collection", "min_level", "interval", "window", NULL};
    static const char *const levels[] = {"informational", "low",      "medium",
                                         "high",          "critical", NULL};
    YG_TRY(yg__cc_check_map(c, "taxii.publish", pub, k_pub, NULL, NULL));
    YG_TRY(yg__cc_get_str(c, "taxii.publish", pub, "collection", true, &t->publish_coll));
    if (yg__taxii_cfg_coll(t, t->publish_coll) < 0)
        return yg__cc_fail(c, "taxii.publish.collection", yg__ymap_get(pub, "collection"),
                           "not a collection of api_roots");
    int lvl = -1;
    YG_TRY(yg__cc_get_word(c, "taxii.publish", pub, "min_level", levels,
                           "informational, low, medium, high, critical", &lvl));
    if (lvl >= 0 && !(t->publish_min_level = yg_strndup(levels[lvl], strlen(levels[lvl]))))
        return YG_ENOMEM;
    static const char often[] = "a duration of at least 1s (30s, 5m, 7d)";
    YG_TRY(yg__cc_get_duration(c, "taxii.publish", pub, "interval", 1000, UINT64_MAX, often,
                               &t->publish_interval_ms));
    YG_TRY(yg__cc_get_duration(c, "taxii.publish", pub, "window", 1000, UINT64_MAX, often,
                               &t->publish_window_ms));
done:
    return err;
}

/* taxii.listen (host:port) and taxii.tls. */
static yg_err read_listen(struct yg_errmsg *c, struct yg_taxii_cfg *t, const struct yg_ynode *m)
{
    yg_err err = YG_OK;
    /* Port 0: the system picks one (the server logs it). */
    YG_TRY(yg__cc_get_hostport(c, "taxii", m, "listen", false, false, true, &t->listen));
    const struct yg_ynode *tls = yg__ymap_get(m, "tls");
    if (tls) {
        static const char *const k_tls[] = {"cert", "key", NULL};
        YG_TRY(yg__cc_check_map(c, "taxii.tls", tls, k_tls, NULL, NULL));
        YG_TRY(yg__cc_get_str(c, "taxii.tls", tls, "cert", true, &t->cert));
        YG_TRY(yg__cc_get_str(c, "taxii.tls", tls, "key", true, &t->key));
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
    YG_TRY(yg__cc_check_map(why, "taxii", m, k_taxii, NULL, NULL));
    YG_TRY(read_listen(why, t, m));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "db", false, &t->db));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "title", false, &t->title));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "description", false, &t->description));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "contact", false, &t->contact));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "public_url", false, &t->public_url));
    YG_TRY(yg__cc_get_size(why, "taxii", m, "max_content_length", 1024,
                           YG_TAXII_MAX_CONTENT_LENGTH_CAP, "a size from 1KB to 1GB",
                           &t->max_content_length));
    YG_TRY(yg__cc_get_uint(why, "taxii", m, "page_size", 1, YG_TAXII_MAX_PAGE, &t->page_size));
    YG_TRY(get_tlp(why, "taxii", m, "unmarked_tlp", &t->unmarked_tlp));
    YG_TRY(get_tlp(why, "taxii", m, "export_tlp", &t->export_tlp));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "pull_dir", false, &t->pull_dir));
    YG_TRY(yg__cc_get_str(why, "taxii", m, "identity_name", false, &t->identity_name));
    YG_TRY(read_roots(why, t, m));
    YG_TRY(read_users(why, t, m));
    YG_TRY(read_partners(why, t, m));
    const struct yg_ynode *pub = yg__ymap_get(m, "publish");
    if (pub)
        YG_TRY(read_publish(why, t, pub));
    const struct yg_ynode *con = yg__ymap_get(m, "console");
    if (con)
        YG_TRY(read_console(why, t, con));
    if (t->console && !t->listen) {
        err = yg__cc_fail(why, "taxii.console", con,
                          "the console needs the server (listen, db, api_roots)");
        goto done;
    }
    if (t->publish_coll && !t->listen) {
        err = yg__cc_fail(why, "taxii.publish", pub,
                          "publishing needs the server (listen, db, api_roots)");
        goto done;
    }
    if (t->listen && (!t->db || !t->nroots)) {
        err = yg__cc_fail(why, "taxii", m,
                          "a server (listen) needs db and at least one api_roots entry");
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
