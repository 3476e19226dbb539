/*
 * analyst.c - the keyed tables the analyst's commands count into, the
 * query of `yagura search` as a Sigma rule, and `hunt --pivots` (see
 * analyst.h).
 */
#include "engine/analyst.h"

#include <stdlib.h>
#include <string.h>

/* ---- keyed table ------------------------------------------------------- */

/* Index every row again (after the rows moved). */
static yg_err an_reindex(struct yg_an_table *t)
{
    yg__htab_clear(&t->index);
    for (size_t i = 0; i < t->n; i++) {
        uint32_t r = (uint32_t)i;
        bool added;
        yg_err err = yg__htab_add(&t->index, t->rows[i].key, strlen(t->rows[i].key), &r, &added);
        if (err)
            return err;
    }
    return YG_OK;
}

struct yg_an_row *yg__an_get(struct yg_an_table *t, const char *key, size_t kn)
{
    uint32_t ri;
    if (yg__htab_get(&t->index, key, kn, &ri))
        return &t->rows[ri];
    /* Past the limit every new key counts as "(other)", the one row allowed
     * beyond it. */
    if (t->n >= YG_AN_MAX_KEYS && !(kn == 7 && memcmp(key, "(other)", 7) == 0))
        return yg__an_get(t, "(other)", 7);
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        struct yg_an_row *nr = yg_realloc(t->rows, nc * sizeof *nr);
        if (!nr) {
            t->oom = true;
            return NULL;
        }
        t->rows = nr;
        t->cap = nc;
    }
    char *k = yg_strndup(key, kn);
    bool added;
    ri = (uint32_t)t->n;
    /* The key is the row's own copy, which lives as long as the row. */
    if (!k || yg__htab_add(&t->index, k, kn, &ri, &added)) {
        yg_free(k);
        t->oom = true;
        return NULL;
    }
    struct yg_an_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    r->key = k;
    r->first_ms = INT64_MAX;
    r->last_ms = INT64_MIN;
    return r;
}

static int an_cmp(const void *a, const void *b)
{
    const struct yg_an_row *x = a, *y = b;
    uint64_t nx = x->n[0] + x->n[1], ny = y->n[0] + y->n[1];
    if (nx != ny)
        return nx > ny ? -1 : 1;
    return strcmp(x->key, y->key);
}

void yg__an_sort(struct yg_an_table *t)
{
    if (t->n)
        qsort(t->rows, t->n, sizeof *t->rows, an_cmp);
    if (an_reindex(t))
        t->oom = true;
}

void yg__an_free(struct yg_an_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        yg_free(t->rows[i].key);
    yg_free(t->rows);
    yg__htab_free(&t->index);
    memset(t, 0, sizeof *t);
}

void yg__an_time(struct yg_an_row *r, const struct yg_alert_time *t)
{
    if (!t || !t->timed) {
        r->untimed++;
        return;
    }
    if (t->ms < r->first_ms)
        r->first_ms = t->ms;
    if (t->ms > r->last_ms)
        r->last_ms = t->ms;
}

struct yg_str yg__an_leaf(const struct yg_cols *c, const char *name)
{
    size_t n = strlen(name);
    for (uint32_t i = 0; i < c->nleaves; i++)
        if (c->leaf[i].nn == n && memcmp(c->leaf[i].name, name, n) == 0)
            return (struct yg_str){c->leaf[i].v, c->leaf[i].vn};
    /* Decoders that flatten nested records name leaves by their dotted
     * path (`properties.status.errorCode`, `log.Operation`). */
    for (uint32_t i = 0; i < c->nleaves; i++) {
        const struct yg_cols_leaf *l = &c->leaf[i];
        if (l->nn > n && l->name[l->nn - n - 1] == '.' && memcmp(l->name + l->nn - n, name, n) == 0)
            return (struct yg_str){l->v, l->vn};
    }
    return (struct yg_str){"", 0};
}

/* ---- search ------------------------------------------------------------ */

/* A YAML single-quoted scalar: nothing is special inside but the quote. */
static yg_err add_sq(struct yg_buf *b, const char *s, size_t n)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addc(b, '\''));
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' || s[i] == '\r')
            return YG_EINVAL;
        YG_TRY(yg_buf_addc(b, s[i]));
        if (s[i] == '\'')
            YG_TRY(yg_buf_addc(b, '\''));
    }
    YG_TRY(yg_buf_addc(b, '\''));
done:
    return err;
}

yg_err yg__search_rule(const struct yg_search_term *t, size_t n, struct yg_buf *yaml,
                       struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    if (!n) {
        yg__errmsg_set(why, "nothing to search for (give -k, -e or -w)");
        return YG_EINVAL;
    }
    /* A fixed id: every search alert names the same rule, which says what
     * it is.  Levels do not apply; informational keeps --min-level out. */
    YG_TRY(yg_buf_addf(yaml, "title: yagura search\n"
                             "id: 1f3c2a9e-5d7b-4c1e-9a0f-7b2d3e4c5a61\n"
                             "status: experimental\n"
                             "description: events that match every term of the query\n"
                             "level: informational\n"
                             "logsource: {}\n"
                             "detection:\n"));
    for (size_t i = 0; i < n; i++) {
        const char *s = t[i].text;
        YG_TRY(yg_buf_addf(yaml, "    q%zu:\n", i));
        if (t[i].kind == YG_SEARCH_KEYWORD) {
            YG_TRY(yg_buf_add(yaml, "        - ", 10));
            err = add_sq(yaml, s, strlen(s));
        } else if (t[i].kind == YG_SEARCH_REGEX) {
            YG_TRY(yg_buf_add(yaml, "        '|re': ", 15));
            err = add_sq(yaml, s, strlen(s));
        } else {
            const char *eq = strchr(s, '=');
            if (!eq || eq == s || *s == '|') {
                yg__errmsg_set(why, "'%s': expected FIELD=VALUE or FIELD|modifier=VALUE", s);
                return YG_EINVAL;
            }
            YG_TRY(yg_buf_add(yaml, "        ", 8));
            YG_TRY(add_sq(yaml, s, (size_t)(eq - s)));
            YG_TRY(yg_buf_add(yaml, ": ", 2));
            err = add_sq(yaml, eq + 1, strlen(eq + 1));
        }
        if (err == YG_EINVAL) {
            yg__errmsg_set(why, "'%s': a search term is one line", s);
            return err;
        }
        YG_TRY(yg_buf_addc(yaml, '\n'));
    }
    YG_TRY(yg_buf_add(yaml, "    condition: all of q*\n", 25));
done:
    if (err && err != YG_EINVAL)
        yg__errmsg_set(why, "%s", yg_strerror(err));
    return err;
}

/* ---- pivots ------------------------------------------------------------ */

static const char *const LEVELS[] = {"(none)", "informational", "low",
                                     "medium", "high",          "critical"};

void yg__pivots_init(struct yg_pivots *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    yg__cols_init(&p->cols);
}

void yg__pivots_free(struct yg_pivots *p)
{
    yg__cols_free(&p->cols);
    yg__an_free(&p->rows);
    pthread_mutex_destroy(&p->mu);
}

static void pivot_add(struct yg_pivots *p, int level, const char *kind, struct yg_str v)
{
    /* "-" and "0.0.0.0" are how Windows says "none". */
    if (!v.n || (v.n == 1 && v.p[0] == '-') || (v.n == 7 && !memcmp(v.p, "0.0.0.0", 7)))
        return;
    char key[600];
    int k =
        snprintf(key, sizeof key, "%d\t%s\t%.*s", level, kind, (int)(v.n > 512 ? 512 : v.n), v.p);
    if (k <= 0)
        return;
    for (int i = 0; i < k; i++)
        if (key[i] == '\n' || key[i] == '\r')
            key[i] = ' ';
    struct yg_an_row *r = yg__an_get(&p->rows, key, (size_t)k < sizeof key ? (size_t)k : 0);
    if (r)
        r->n[0]++;
}

/* Hashes as Sysmon writes them ("SHA256=..,MD5=..") or one per field. */
static void pivot_hashes(struct yg_pivots *p, int level, struct yg_str v)
{
    size_t i = 0;
    while (i < v.n) {
        size_t j = i;
        while (j < v.n && v.p[j] != ',')
            j++;
        const char *eq = memchr(v.p + i, '=', j - i);
        const char *s = eq ? eq + 1 : v.p + i;
        pivot_add(p, level, "hash", (struct yg_str){s, (size_t)(v.p + j - s)});
        i = j + 1;
    }
}

void yg__pivots_hook(void *ud, const yg_alert *a, const struct yg_alert_time *t, const char *file)
{
    (void)t;
    (void)file;
    struct yg_pivots *p = ud;
    int lv = a->level_num < 0 ? 0 : a->level_num > 5 ? 5 : a->level_num;
    pthread_mutex_lock(&p->mu);
    if (yg__cols_fill(&p->cols, a, 0)) {
        p->err = YG_ENOMEM;
    } else {
        const struct yg_cols *c = &p->cols;
        static const char *const accounts[] = {"TargetUserName",
                                               "SubjectUserName",
                                               "User",
                                               "user",
                                               "UserId",
                                               "srcuser",
                                               "userPrincipalName",
                                               "properties.userPrincipalName",
                                               NULL};
        for (const char *const *n = accounts; *n; n++)
            pivot_add(p, lv, "account", yg__an_leaf(c, *n));
        pivot_add(p, lv, "computer", c->computer);
        pivot_add(p, lv, "address", c->src_ip);
        pivot_add(p, lv, "address", c->dst_ip);
        static const char *const procs[] = {"Image", "ParentImage", "NewProcessName", "ProcessName",
                                            NULL};
        for (const char *const *n = procs; *n; n++)
            pivot_add(p, lv, "process", yg__an_leaf(c, *n));
        static const char *const hashes[] = {"Hashes", "Hash", "md5",    "sha1",    "sha256",
                                             "MD5",    "SHA1", "SHA256", "Imphash", NULL};
        for (const char *const *n = hashes; *n; n++)
            pivot_hashes(p, lv, yg__an_leaf(c, *n));
        if (p->rows.oom)
            p->err = YG_ENOMEM;
    }
    pthread_mutex_unlock(&p->mu);
}

/* A pivot key's parts; false for "(other)" (past YG_AN_MAX_KEYS). */
static bool pivot_split(const char *key, int *lv, struct yg_str *kind, const char **val)
{
    const char *t1 = strchr(key, '\t');
    const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t2)
        return false;
    *lv = atoi(key);
    *kind = (struct yg_str){t1 + 1, (size_t)(t2 - t1 - 1)};
    *val = t2 + 1;
    return *lv >= 0 && *lv <= 5;
}

static int pivot_cmp(const void *a, const void *b)
{
    const struct yg_an_row *x = a, *y = b;
    int lx = -1, ly = -1;
    struct yg_str kx = {"", 0}, ky = {"", 0};
    const char *vx = "", *vy = "";
    bool okx = pivot_split(x->key, &lx, &kx, &vx), oky = pivot_split(y->key, &ly, &ky, &vy);
    /* Higher level first, then kind, then most alerts, then value. */
    if (okx != oky)
        return okx ? -1 : 1;
    if (lx != ly)
        return ly - lx;
    int c = memcmp(kx.p, ky.p, kx.n < ky.n ? kx.n : ky.n);
    if (c || kx.n != ky.n)
        return c ? c : kx.n < ky.n ? -1 : 1;
    if (x->n[0] != y->n[0])
        return x->n[0] > y->n[0] ? -1 : 1;
    return strcmp(vx, vy);
}

yg_err yg__pivots_write(struct yg_pivots *p, FILE *out)
{
    if (p->err)
        return p->err;
    if (p->rows.n)
        qsort(p->rows.rows, p->rows.n, sizeof *p->rows.rows, pivot_cmp);
    /* One section per level and kind, each value on a line of its own, so
     * that a section feeds `yagura search -k` or a grep list unchanged. */
    int cur_lv = -1;
    char cur_kind[32] = "";
    for (size_t i = 0; i < p->rows.n; i++) {
        int lv;
        struct yg_str kind;
        const char *val;
        if (!pivot_split(p->rows.rows[i].key, &lv, &kind, &val))
            continue;
        if (lv != cur_lv || strlen(cur_kind) != kind.n || memcmp(cur_kind, kind.p, kind.n) != 0) {
            fprintf(out, "%s# %s: %.*s\n", cur_lv < 0 ? "" : "\n", LEVELS[lv], (int)kind.n, kind.p);
            cur_lv = lv;
            snprintf(cur_kind, sizeof cur_kind, "%.*s", (int)kind.n, kind.p);
        }
        fprintf(out, "%s\n", val);
    }
    return ferror(out) ? YG_EIO : YG_OK;
}
