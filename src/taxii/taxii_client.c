/*
 * taxii_client.c - `yagura intel pull` and `--push`: a TAXII 2.1 client on
 * libcurl.
 *
 * Pulling is incremental and restartable.  The cursor of a partner is the
 * date added of the last object received (X-TAXII-Date-Added-Last), kept
 * in the state database under "taxii-pull:<partner>" and advanced only
 * after the page's objects are safely in a file (written to a temporary
 * name, synced, renamed).  A run that fails half-way resumes from the last
 * page stored; a page received twice is harmless (the indicator loader
 * keeps the latest version of each object).
 *
 * Real servers deviate from the specification (docs/taxii.md lists the
 * ones handled, from the MITRE ATT&CK server notes):
 *   - `more` true without `next`: continue with added_after = the last
 *     date added (section 3.5 allows this);
 *   - `next` ignored (the same page comes back): detected by the page's
 *     first and last ids, then paging falls back to added_after;
 *   - no X-TAXII-Date-Added headers, or JavaScript date strings in them:
 *     parsed when possible, otherwise the cursor is left unchanged and the
 *     run relies on `next`;
 *   - camelCase properties and collection ids that are not UUIDs: only the
 *     URL the configuration gives is used, so they do not matter;
 *   - rate limits (429) and 5xx: retried with exponential backoff,
 *     honouring Retry-After.
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "taxii/stix.h"
#include "core/log.h"
#include "core/uuid.h"

struct resp {
    struct yg_buf body;
    long status;
    char date_last[96];
    long retry_after;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    return yg_buf_add(&r->body, p, sz * n) == YG_OK ? sz * n : 0;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t len = sz * n;
    static const char dl[] = "x-taxii-date-added-last:";
    static const char ra[] = "retry-after:";
    if (len > sizeof dl - 1 && strncasecmp(p, dl, sizeof dl - 1) == 0) {
        const char *v = p + sizeof dl - 1;
        size_t vn = len - (sizeof dl - 1);
        while (vn && (*v == ' ' || *v == '\t')) {
            v++;
            vn--;
        }
        while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
            vn--;
        if (vn < sizeof r->date_last) {
            memcpy(r->date_last, v, vn);
            r->date_last[vn] = 0;
        }
    } else if (len > sizeof ra - 1 && strncasecmp(p, ra, sizeof ra - 1) == 0) {
        r->retry_after = strtol(p + sizeof ra - 1, NULL, 10);
    }
    return len;
}

/* Dates as JavaScript prints them ("Wed May 31 2017 21:30:18 GMT+0000
 * (Coordinated Universal Time)"), seen in one server's headers. */
static bool js_date(const char *s, int64_t *us)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char m[4], tz[16] = "";
    int d, y, h, mi, se;
    if (sscanf(s, "%*3s %3s %d %d %d:%d:%d %15s", m, &d, &y, &h, &mi, &se, tz) < 6)
        return false;
    for (int i = 0; i < 12; i++)
        if (!strcmp(m, mon[i])) {
            char iso[64];
            snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, i + 1, d, h, mi, se);
            if (!yg__taxii_time_parse(iso, us))
                return false;
            if (!strncmp(tz, "GMT", 3) && (tz[3] == '+' || tz[3] == '-') && strlen(tz) == 8) {
                int off = atoi(tz + 4);
                int64_t secs = (int64_t)(off / 100 * 60 + off % 100) * 60;
                *us += (tz[3] == '+' ? -secs : secs) * 1000000;
            }
            return true;
        }
    return false;
}

static void sleep_ms(uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* One request with retries.  Transport errors, 429 and 5xx are retried;
 * any other status is returned as is. */
static yg_err request(const struct yg_taxii_partner *p, const char *url, const char *body,
                      size_t bn, struct resp *r, struct yg_taxii_pull_stats *stats,
                      struct yg_errmsg *why)
{
    uint64_t backoff = YG_TAXII_PULL_BACKOFF_MS;
    for (unsigned attempt = 1;; attempt++) {
        CURL *c = curl_easy_init();
        if (!c)
            return YG_ENOMEM;
        struct curl_slist *h = NULL;
        h = curl_slist_append(h, "Accept: application/taxii+json;version=2.1");
        if (body)
            h = curl_slist_append(h, "Content-Type: application/taxii+json;version=2.1");
        char auth[2048];
        if (p->token) {
            snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->token);
            h = curl_slist_append(h, auth);
            OPENSSL_cleanse(auth, sizeof auth);
        }
        yg_buf_reset(&r->body);
        r->status = 0;
        r->date_last[0] = 0;
        r->retry_after = 0;
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "yagura-taxii-client/1");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)YG_TAXII_PULL_TIMEOUT_MS);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, p->verify ? 1L : 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, p->verify ? 2L : 0L);
        if (p->ca)
            curl_easy_setopt(c, CURLOPT_CAINFO, p->ca);
        if (p->user) {
            curl_easy_setopt(c, CURLOPT_USERNAME, p->user);
            curl_easy_setopt(c, CURLOPT_PASSWORD, p->password);
            curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        }
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)bn);
        }
        CURLcode cc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
        if (stats)
            stats->requests++;
        bool retry = cc != CURLE_OK || r->status == 429 || r->status >= 500;
        if (!retry)
            return YG_OK;
        if (attempt >= YG_TAXII_PULL_TRIES) {
            if (cc != CURLE_OK)
                yg__errmsg_set(why, "%s: %s (after %u attempts)", p->name, curl_easy_strerror(cc),
                               attempt);
            else
                yg__errmsg_set(why, "%s: HTTP %ld (after %u attempts)", p->name, r->status,
                               attempt);
            return YG_EIO;
        }
        if (stats)
            stats->retries++;
        uint64_t wait = backoff;
        if (r->retry_after > 0 && (uint64_t)r->retry_after * 1000 > wait)
            wait = (uint64_t)r->retry_after * 1000;
        if (wait > YG_TAXII_PULL_BACKOFF_MAX_MS)
            wait = YG_TAXII_PULL_BACKOFF_MAX_MS;
        yg__log(YG_LOG_WARNING, "taxii pull: %s: %s; retrying in %llu ms", p->name,
                cc != CURLE_OK ? curl_easy_strerror(cc) : "server busy or failing",
                (unsigned long long)wait);
        sleep_ms(wait);
        backoff *= 2;
    }
}

static yg_err url_escape(struct yg_buf *b, const char *s)
{
    static const char hx[] = "0123456789ABCDEF";
    yg_err err = YG_OK;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~')
            YG_TRY(yg_buf_addc(b, (char)ch));
        else
            YG_TRY(yg_buf_addf(b, "%%%c%c", hx[ch >> 4], hx[ch & 15]));
    }
done:
    return err;
}

static yg_err objects_url(const struct yg_taxii_partner *p, struct yg_buf *u)
{
    yg_err err = YG_OK;
    size_t n = strlen(p->url);
    YG_TRY(yg_buf_add(u, p->url, n));
    if (!n || p->url[n - 1] != '/')
        YG_TRY(yg_buf_addc(u, '/'));
    YG_TRY(yg_buf_add(u, "collections/", 12));
    YG_TRY(url_escape(u, p->collection));
    YG_TRY(yg_buf_add(u, "/objects/", 9));
done:
    return err;
}

struct cursor_find {
    const char *key;
    char val[128];
};

static void find_cursor(void *ud, const char *key, const char *val)
{
    struct cursor_find *f = ud;
    if (!strcmp(key, f->key))
        snprintf(f->val, sizeof f->val, "%s", val);
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0750) != 0 && errno != EEXIST ? -1 : 0;
}

/* Write the page's objects as a bundle file, atomically. */
static yg_err write_page(const char *dir, const char *text, const struct yg_tj *objs,
                         uint64_t page_no, struct yg_errmsg *why)
{
    char path[4200], tmp[4300];
    int64_t now = yg__taxii_now_us();
    snprintf(path, sizeof path, "%s/pull-%016lld-%06llu.json", dir, (long long)now,
             (unsigned long long)page_no);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    char u[37];
    yg_err err = yg__uuid5((const unsigned char *)"yagura-pull-page", path, strlen(path), u);
    if (err) {
        yg__errmsg_set(why, "%s: bundle id: %s", path, yg_strerror(err));
        return err;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        yg__errmsg_set(why, "%s: %s", tmp, strerror(errno));
        return YG_EIO;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return YG_EIO;
    }
    fprintf(f, "{\"type\":\"bundle\",\"id\":\"bundle--%s\",\"objects\":[", u);
    for (size_t i = 0; i < objs->n; i++) {
        const struct yg_tj *o = objs->kids[i];
        fprintf(f, "%s\n", i ? "," : "");
        fwrite(text + o->start, 1, o->end - o->start, f);
    }
    fprintf(f, "\n]}\n");
    bool ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        yg__errmsg_set(why, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return YG_EIO;
    }
    return YG_OK;
}

/* One pull's paging state. */
struct pull {
    const struct yg_taxii_partner *p;
    struct yg_store *st;
    struct resp r;
    struct yg_buf base, url;
    struct yg_arena a;
    struct yg_taxii_pull_stats *stats;
    struct yg_errmsg *why;
    /* cursor: what is stored, advanced page by page; query_after: the
     * added_after of the request chain that next continues, which must
     * stay the same along the chain (servers check it). */
    char dir[4096], key[300], cursor[128], query_after[128], next[1024];
    char prev_first[256], prev_last[256];
    bool use_next;
    unsigned limit;
    size_t prev_n;
    int64_t last_us;
};

/* The objects URL of the next request: limit, added_after, next. */
static yg_err page_url(struct pull *x)
{
    yg_err err = YG_OK;
    struct yg_buf *url = &x->url;
    yg_buf_reset(url);
    YG_TRY(yg_buf_add(url, x->base.p, x->base.n));
    YG_TRY(yg_buf_addf(url, "?limit=%u", x->limit));
    if (!(*x->next && x->use_next))
        snprintf(x->query_after, sizeof x->query_after, "%s", x->cursor);
    if (*x->query_after) {
        YG_TRY(yg_buf_add(url, "&added_after=", 13));
        YG_TRY(url_escape(url, x->query_after));
    }
    if (*x->next && x->use_next) {
        YG_TRY(yg_buf_add(url, "&next=", 6));
        YG_TRY(url_escape(url, x->next));
    }
    YG_TRY(yg_buf_addc(url, 0));
done:
    return err;
}

/* Request a page and read its envelope into *env. */
static yg_err fetch_page(struct pull *x, struct yg_tj **env)
{
    yg_err err = page_url(x);
    if (!err)
        err = request(x->p, x->url.p, NULL, 0, &x->r, x->stats, x->why);
    if (err)
        return err;
    if (x->r.status != 200) {
        yg__errmsg_set(x->why, "%s: HTTP %ld from the objects endpoint", x->p->name, x->r.status);
        return YG_EIO;
    }
    size_t eoff;
    const char *emsg;
    yg_arena_reset(&x->a);
    yg_err perr =
        yg__tj_parse(x->r.body.p ? x->r.body.p : "", x->r.body.n, &x->a, env, &eoff, &emsg);
    if (perr != YG_OK || (*env)->type != YG_TJ_OBJ) {
        /* The parser's reason too: a repeated key must be named. */
        if (perr != YG_OK)
            yg__errmsg_set(x->why, "%s: the response is not a JSON envelope (byte %zu: %s)",
                           x->p->name, eoff, emsg);
        else
            yg__errmsg_set(x->why, "%s: the response is not a JSON envelope", x->p->name);
        return YG_ESYNTAX;
    }
    return YG_OK;
}

/* What to do with a page that repeats the previous one. */
enum repeat { REP_AGAIN, REP_NEXT, REP_STOP };

/* A server that ignores next= sends the same page again. */
static yg_err on_repeat(struct pull *x, size_t n, enum repeat *what)
{
    if (x->use_next && *x->next) {
        yg__log(YG_LOG_WARNING, "taxii pull: %s: the server ignores next; paging by added_after",
                x->p->name);
        x->use_next = false;
        *what = REP_AGAIN;
        return YG_OK;
    }
    /* Paging by added_after with the cursor just before the last date
     * added, a page can come back whole when all its objects share one
     * date added (servers that stamp a whole POST with one time).  A
     * larger page gets past the group; when the server will not give one,
     * step past the date and say what may be missed. */
    if (n >= x->prev_n && x->limit < YG_TAXII_MAX_PAGE && n >= x->limit) {
        x->limit = x->limit * 2 < YG_TAXII_MAX_PAGE ? x->limit * 2 : YG_TAXII_MAX_PAGE;
        x->prev_n = n;
        *what = REP_AGAIN;
        return YG_OK;
    }
    if (x->last_us) {
        yg__log(YG_LOG_WARNING,
                "taxii pull: %s: more than %zu objects share one date added and the "
                "server gives no next: objects of that date beyond them are skipped",
                x->p->name, n);
        yg__taxii_time_fmt(x->last_us, x->cursor);
        x->prev_first[0] = x->prev_last[0] = 0;
        *what = REP_NEXT;
        return yg__store_ckpt_put(x->st, x->key, x->cursor);
    }
    yg__log(YG_LOG_WARNING, "taxii pull: %s: the server repeats the same page; stopping",
            x->p->name);
    *what = REP_STOP;
    return YG_OK;
}

/* The cursor is one microsecond before the last date added: objects added
 * in the same microsecond as the last one received but not yet delivered
 * are fetched next time (those delivered come again, which is harmless). */
static yg_err advance_cursor(struct pull *x)
{
    int64_t us;
    const char *dl = x->r.date_last;
    if (!*dl || !(yg__taxii_time_parse(dl, &us) || js_date(dl, &us)))
        return YG_OK;
    char ts[32];
    x->last_us = us;
    yg__taxii_time_fmt(us - 1, ts);
    /* Only forward: a server that sends an older date must not make us
     * fetch everything again. */
    int64_t cur;
    if (*x->cursor && yg__taxii_time_parse(x->cursor, &cur) && us - 1 <= cur)
        return YG_OK;
    snprintf(x->cursor, sizeof x->cursor, "%s", ts);
    return yg__store_ckpt_put(x->st, x->key, x->cursor);
}

/* Whether another page follows, and how to ask for it. */
static bool more_pages(struct pull *x, const struct yg_tj *env)
{
    const struct yg_tj *more = yg__tj_get(env, "more");
    const char *nx = yg__tj_str(env, "next");
    if (!(more && more->type == YG_TJ_BOOL && more->b))
        return false;
    if (nx && *nx && strlen(nx) < sizeof x->next && x->use_next) {
        snprintf(x->next, sizeof x->next, "%s", nx);
        return true;
    }
    /* more without next: section 3.5, page by added_after. */
    x->next[0] = 0;
    if (!*x->r.date_last) {
        yg__log(YG_LOG_WARNING,
                "taxii pull: %s: more is true but the server gave neither next nor "
                "X-TAXII-Date-Added-Last; stopping",
                x->p->name);
        return false;
    }
    return true;
}

/* Page through the collection from the stored cursor. */
static yg_err pull_pages(struct pull *x)
{
    yg_err err = YG_OK;
    for (uint64_t page = 0; page < YG_TAXII_PULL_MAX_PAGES; page++) {
        struct yg_tj *env;
        YG_TRY(fetch_page(x, &env));
        const struct yg_tj *objs = yg__tj_get(env, "objects");
        size_t n = objs && objs->type == YG_TJ_ARR ? objs->n : 0;
        if (n == 0)
            break;
        const char *fid = yg__tj_str(objs->kids[0], "id") ?: "";
        const char *lid = yg__tj_str(objs->kids[n - 1], "id") ?: "";
        if (page > 0 && !strcmp(fid, x->prev_first) && !strcmp(lid, x->prev_last)) {
            enum repeat what;
            YG_TRY(on_repeat(x, n, &what));
            if (what == REP_STOP)
                break;
            if (what == REP_AGAIN)
                page--;
            continue;
        }
        x->prev_n = n;
        snprintf(x->prev_first, sizeof x->prev_first, "%s", fid);
        snprintf(x->prev_last, sizeof x->prev_last, "%s", lid);
        YG_TRY(write_page(x->dir, x->r.body.p, objs, page, x->why));
        x->stats->pages++;
        x->stats->objects += n;
        YG_TRY(advance_cursor(x));
        if (!more_pages(x, env))
            break;
    }
done:
    return err;
}

yg_err yg__taxii_pull(const struct yg_taxii_partner *p, const char *state_path, const char *out_dir,
                      struct yg_taxii_pull_stats *stats, struct yg_errmsg *why)
{
    yg_err err = YG_OK;
    struct pull *x = yg_calloc(1, sizeof *x);
    if (!x)
        return YG_ENOMEM;
    x->p = p;
    x->stats = stats;
    x->why = why;
    x->use_next = !p->ignore_next;
    x->limit = p->page_size;
    memset(stats, 0, sizeof *stats);
    yg_buf_init(&x->r.body, YG_TAXII_PULL_MAX_RESPONSE);
    yg_buf_init(&x->base, 1u << 16);
    yg_buf_init(&x->url, 1u << 16);
    yg_arena_init(&x->a, 1u << 16, (size_t)YG_TAXII_PULL_MAX_RESPONSE * 4);
    why->msg[0] = 0;
    snprintf(x->dir, sizeof x->dir, "%s/%s", out_dir, p->name);
    if (mkdirs(x->dir) != 0) {
        yg__errmsg_set(why, "%s: %s", x->dir, strerror(errno));
        err = YG_EIO;
        goto done;
    }
    if (yg__store_open(state_path, &x->st) != YG_OK) {
        yg__errmsg_set(why, "%s", yg__store_errmsg(x->st));
        err = YG_EIO;
        goto done;
    }
    snprintf(x->key, sizeof x->key, "taxii-pull:%s", p->name);
    struct cursor_find cf = {x->key, ""};
    YG_TRY(yg__store_ckpt_each(x->st, find_cursor, &cf));
    snprintf(x->cursor, sizeof x->cursor, "%s", cf.val);
    snprintf(x->query_after, sizeof x->query_after, "%s", x->cursor);
    YG_TRY(objects_url(p, &x->base));
    err = pull_pages(x);
done:
    if (err == YG_EIO && !why->msg[0] && x->st)
        yg__errmsg_set(why, "%s", yg__store_errmsg(x->st));
    yg__store_close(x->st);
    yg_buf_free(&x->r.body);
    yg_buf_free(&x->base);
    yg_buf_free(&x->url);
    yg_arena_free(&x->a);
    yg_free(x);
    return err;
}

yg_err yg__taxii_push(const struct yg_taxii_partner *to, const char *bundle, size_t n,
                      char **status_json, struct yg_errmsg *why)
{
    struct yg_arena a;
    struct yg_buf env, url;
    struct resp r;
    yg_err err = YG_OK;
    *status_json = NULL;
    why->msg[0] = 0;
    yg_arena_init(&a, 1u << 16, (size_t)YG_TAXII_PULL_MAX_RESPONSE * 4);
    yg_buf_init(&env, YG_TAXII_MAX_CONTENT_LENGTH_CAP);
    yg_buf_init(&url, 1u << 16);
    yg_buf_init(&r.body, YG_TAXII_PULL_MAX_RESPONSE);
    struct yg_tj *b;
    size_t eoff;
    const char *emsg;
    if (yg__tj_parse(bundle, n, &a, &b, &eoff, &emsg) != YG_OK || !yg__tj_get(b, "objects") ||
        yg__tj_get(b, "objects")->type != YG_TJ_ARR) {
        yg__errmsg_set(why, "the bundle to push is not valid");
        err = YG_ESYNTAX;
        goto done;
    }
    const struct yg_tj *objs = yg__tj_get(b, "objects");
    YG_TRY(yg_buf_add(&env, "{\"objects\":", 11));
    YG_TRY(yg_buf_add(&env, bundle + objs->start, objs->end - objs->start));
    YG_TRY(yg_buf_addc(&env, '}'));
    YG_TRY(objects_url(to, &url));
    YG_TRY(yg_buf_addc(&url, 0));
    YG_TRY(request(to, url.p, env.p, env.n, &r, NULL, why));
    if (r.status != 202 && r.status != 200) {
        yg__errmsg_set(why, "%s: HTTP %ld: %.200s", to->name ? to->name : url.p, r.status,
                       r.body.p ? r.body.p : "");
        err = YG_EIO;
        goto done;
    }
    YG_TRY(yg_buf_addc(&r.body, 0));
    *status_json = yg_buf_take(&r.body, NULL);
done:
    yg_arena_free(&a);
    yg_buf_free(&env);
    yg_buf_free(&url);
    yg_buf_free(&r.body);
    return err;
}

long yg__taxii_status_failures(const char *status_json)
{
    struct yg_arena a;
    struct yg_tj *v;
    long n = -1;
    if (!status_json)
        return -1;
    yg_arena_init(&a, 4096, 64u << 20);
    if (yg__tj_parse(status_json, strlen(status_json), &a, &v, NULL, NULL) == YG_OK) {
        const struct yg_tj *f = yg__tj_get(v, "failure_count");
        if (f && f->type == YG_TJ_NUM)
            n = strtol(f->s, NULL, 10);
    }
    yg_arena_free(&a);
    return n;
}
