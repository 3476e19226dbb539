/*
 * taxii_server.c - the TAXII 2.1 request handler (docs/taxii.md).
 *
 * yg__taxii_handle takes a request that the transport has already cut into
 * method, path, decoded query arguments, four headers and a body, and
 * writes a complete response.  It never touches a socket, which is what
 * lets tests/unit/test_taxii.c and fuzz/fuzz_taxii.c drive it directly.
 *
 * The checks run in a fixed order so that nothing is revealed to a client
 * that could not see it: authentication (401), the route (404), the method
 * (405), the Accept header (406), the collection and the user's rights on
 * it (404 when they have none, 403 when they lack the one needed), then the
 * request itself (400, 413, 415, 422).  A collection's TLP ceiling is a
 * condition of every query (taxii_store.c), not a filter applied to rows
 * afterwards, so counts, `more`, manifests and versions never see what the
 * collection does not serve.
 *
 * Paging: a page is fetched with limit+1 rows; the extra row says whether
 * there is more.  `next` names the last row delivered (date added and seq)
 * and carries an HMAC over the endpoint path, the user and that cursor, so
 * it cannot be forged, edited, or replayed against another collection or
 * by another user.
 */
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "http/http.h"
#include "taxii/taxii.h"
#include "core/log.h"

#define CT_TAXII "application/taxii+json;version=2.1"
#define CT_STIX "application/stix+json;version=2.1"
#define AUTH_CACHE 64u

struct auth_cache_ent {
    unsigned char key[32];
    long user; /* -1: empty */
};

/* Failed logins counted per client address or account name (see
 * yg_taxii_login in taxii.h); key 0: free. */
struct limit_ent {
    uint64_t key;
    int64_t window_end; /* monotonic seconds */
    unsigned count;
};
#define LIMIT_PROBE 8u

enum { F_PASSWORD, F_TOKEN, F_LIMITED, F_BUSY, NFAIL };

struct yg_taxii_server {
    const struct yg_taxii_cfg *cfg;
    struct yg_taxii_store *st;
    pthread_mutex_t mu;  /* the store: requests are handled one at a time */
    pthread_mutex_t amu; /* logins: the cache and the failure table */
    struct auth_cache_ent cache[AUTH_CACHE];
    unsigned cache_next;
    struct limit_ent lim[YG_TAXII_LOGIN_TABLE];
    char *dummy; /* the hash unknown users are checked against */
    _Atomic uint64_t nfail[NFAIL];
    struct yg_metric *m_fail[NFAIL];
    char errmsg[512]; /* why the last failed call failed (taxii.h) */
};

const char *yg__taxii_server_errmsg(const struct yg_taxii_server *s)
{
    return s ? s->errmsg : "out of memory";
}

void yg__taxii_server_seterr(struct yg_taxii_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof s->errmsg, fmt, ap);
    va_end(ap);
}

yg_err yg__taxii_server_new(const struct yg_taxii_cfg *c, struct yg_taxii_server **out)
{
    /* Allocated first, so that every failure after this one has a handle
     * to keep its message on (sqlite3_open does the same). */
    struct yg_taxii_server *s = yg_calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return YG_ENOMEM;
    s->cfg = c;
    for (size_t i = 0; i < AUTH_CACHE; i++)
        s->cache[i].user = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->amu, NULL);
    if (!c->db) {
        yg__taxii_server_seterr(s, "taxii.db: no database file configured");
        return YG_EINVAL;
    }
    /* The dummy takes the iteration count of the first configured
     * password, which is every password's when yagura made them. */
    const char *like = NULL;
    for (size_t i = 0; i < c->nusers && !like; i++)
        like = c->users[i].password_hash;
    yg_err err = yg__taxii_dummy_hash(like, &s->dummy);
    if (err) {
        yg__taxii_server_seterr(s, "taxii: cannot make a password hash (no random bytes)");
        return err;
    }
    if ((err = yg__taxii_store_open(c->db, &s->st))) {
        yg__taxii_server_seterr(s, "%s", yg__taxii_store_errmsg(s->st));
        yg__taxii_store_close(s->st);
        s->st = NULL;
    }
    return err;
}

void yg__taxii_server_free(struct yg_taxii_server *s)
{
    if (!s)
        return;
    yg__taxii_store_close(s->st);
    OPENSSL_cleanse(s->cache, sizeof s->cache);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->amu);
    yg_free(s->dummy);
    yg_free(s);
}

struct yg_taxii_store *yg__taxii_server_store(struct yg_taxii_server *s)
{
    return s->st;
}

/* ---- responses ---------------------------------------------------------- */

static const char *reason(unsigned st)
{
    switch (st) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

/* A TAXII error resource (section 3.6.1).  description never quotes
 * request data beyond names of parameters. */
static yg_err fail(struct yg_taxii_resp *rs, unsigned status, const char *description)
{
    yg_err err = YG_OK;
    rs->status = status;
    rs->content_type = CT_TAXII;
    rs->date_first[0] = rs->date_last[0] = 0;
    yg_buf_reset(&rs->body);
    YG_TRY(yg_buf_add(&rs->body, "{\"title\":", 9));
    const char *t = reason(status);
    YG_TRY(yg_buf_add_json_str(&rs->body, t, strlen(t)));
    YG_TRY(yg_buf_add(&rs->body, ",\"description\":", 15));
    YG_TRY(yg_buf_add_json_str(&rs->body, description, strlen(description)));
    YG_TRY(yg_buf_addf(&rs->body, ",\"http_status\":\"%u\"}", status));
done:
    return err;
}

yg_err yg__taxii_error(struct yg_taxii_resp *rs, unsigned status, const char *description)
{
    return fail(rs, status, description);
}

void yg__taxii_resp_init(struct yg_taxii_resp *rs)
{
    memset(rs, 0, sizeof *rs);
    yg_buf_init(&rs->body, (size_t)YG_TAXII_MAX_PAGE_BYTES * 2 + (1u << 20));
    rs->content_type = CT_TAXII;
}

static yg_err put_str(struct yg_buf *b, const char *key, const char *val, bool comma)
{
    yg_err err = YG_OK;
    if (!val)
        return YG_OK;
    if (comma)
        YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(yg_buf_add_json_str(b, key, strlen(key)));
    YG_TRY(yg_buf_addc(b, ':'));
    YG_TRY(yg_buf_add_json_str(b, val, strlen(val)));
done:
    return err;
}

/* ---- media types ---------------------------------------------------------- */

enum { MT_NONE = 0, MT_TAXII = 1, MT_STIX = 2 };

static bool span_ieq(const char *p, size_t n, const char *w)
{
    return yg_str_ieq(p, n, w, strlen(w));
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

/* One media range "type/sub;p=v;..." -> MT_* it admits, given whether
 * stix+json is acceptable here.  q=0 refuses; a version other than 2.1
 * refuses. */
static int media_range(const char *p, size_t n, bool stix_ok)
{
    const char *semi = memchr(p, ';', n);
    size_t tn = semi ? (size_t)(semi - p) : n;
    const char *t = p;
    trim(&t, &tn);
    bool ver_ok = true;
    while (semi) {
        const char *q = semi + 1;
        size_t rest = n - (size_t)(q - p);
        semi = memchr(q, ';', rest);
        size_t pn = semi ? (size_t)(semi - q) : rest;
        trim(&q, &pn);
        if (pn > 8 && span_ieq(q, 8, "version=")) {
            const char *v = q + 8;
            size_t vn = pn - 8;
            if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') {
                v++;
                vn -= 2;
            }
            if (!span_ieq(v, vn, "2.1"))
                ver_ok = false;
        } else if (pn >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            if (strtod(q + 2, NULL) <= 0.0 && (q[2] == '0'))
                return MT_NONE;
        }
    }
    if (span_ieq(t, tn, "*/*") || span_ieq(t, tn, "application/*"))
        return MT_TAXII;
    if (span_ieq(t, tn, "application/taxii+json"))
        return ver_ok ? MT_TAXII : MT_NONE;
    if (span_ieq(t, tn, "application/stix+json") && stix_ok)
        return ver_ok ? MT_STIX : MT_NONE;
    return MT_NONE;
}

/* The media type of the response, or MT_NONE (406).  No Accept header at
 * all is taken as TAXII (clients must send one; refusing those that do not
 * would help nobody). */
static int negotiate(const char *accept, bool stix_ok)
{
    if (!accept || !*accept)
        return MT_TAXII;
    const char *p = accept;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        int m = media_range(p, n, stix_ok);
        if (m)
            return m;
        if (!c)
            return MT_NONE;
        p = c + 1;
    }
}

static bool content_type_ok(const char *ct)
{
    return ct && media_range(ct, strlen(ct), true) != MT_NONE &&
           !span_ieq(ct, strcspn(ct, ";"), "*/*") &&
           !span_ieq(ct, strcspn(ct, ";"), "application/*");
}

/* ---- authentication -------------------------------------------------------- */

static long find_user(const struct yg_taxii_cfg *c, const char *name, size_t n)
{
    for (size_t i = 0; i < c->nusers; i++)
        if (strlen(c->users[i].name) == n && memcmp(c->users[i].name, name, n) == 0)
            return (long)i;
    return -1;
}

static long auth_bearer(struct yg_taxii_server *s, const char *tok)
{
    char *h = NULL;
    long ok = -1;
    if (!*tok || strlen(tok) > 1024 || yg__taxii_hash_token(tok, &h) != YG_OK)
        return -1;
    size_t hl = strlen(h);
    for (size_t i = 0; i < s->cfg->nusers; i++)
        for (size_t k = 0; k < s->cfg->users[i].ntokens; k++) {
            const char *t = s->cfg->users[i].tokens[k];
            if (strlen(t) == hl && CRYPTO_memcmp(t, h, hl) == 0 && ok < 0)
                ok = (long)i;
        }
    yg_free(h);
    return ok;
}

/* ---- failed logins ----------------------------------------------------------- */

static const char *const fail_reasons[NFAIL] = {"password", "token", "limited", "busy"};

static void count_failure(struct yg_taxii_server *s, int why)
{
    /* Under amu: the series may be set while requests are served. */
    pthread_mutex_lock(&s->amu);
    atomic_fetch_add(&s->nfail[why], 1);
    yg__metric_inc(s->m_fail[why]);
    pthread_mutex_unlock(&s->amu);
}

void yg__taxii_server_set_metrics(struct yg_taxii_server *s, struct yg_metrics *m)
{
    if (yg__metrics_declare(m, YG_M_TAXII_LOGIN_FAILURES, YG_METRIC_COUNTER,
                            "Failed TAXII logins, by reason.") != YG_OK)
        return;
    pthread_mutex_lock(&s->amu);
    for (int i = 0; i < NFAIL; i++) {
        const char *lab[] = {"reason", fail_reasons[i], NULL};
        s->m_fail[i] = yg__metrics_get(m, YG_M_TAXII_LOGIN_FAILURES, lab);
        yg__metric_add(s->m_fail[i], (double)atomic_load(&s->nfail[i]));
    }
    pthread_mutex_unlock(&s->amu);
}

uint64_t yg__taxii_login_failures(struct yg_taxii_server *s, const char *reason)
{
    for (int i = 0; i < NFAIL; i++)
        if (strcmp(reason, fail_reasons[i]) == 0)
            return atomic_load(&s->nfail[i]);
    return 0;
}

static int64_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

/* Keys of the failure table are MACs, so that nobody can choose an
 * address or name colliding with another one's entry. */
static uint64_t limit_key(struct yg_taxii_server *s, char kind, const char *p, size_t n)
{
    unsigned char msg[4097], mac[32];
    unsigned ml = 0;
    uint64_t k = 0;
    if (n > sizeof msg - 1)
        n = sizeof msg - 1;
    msg[0] = (unsigned char)kind;
    memcpy(msg + 1, p, n);
    if (HMAC(EVP_sha256(), yg__taxii_store_secret(s->st), 32, msg, n + 1, mac, &ml))
        memcpy(&k, mac, sizeof k);
    OPENSSL_cleanse(msg, n + 1);
    return k | 1; /* 0 marks a free entry */
}

/* The entry of key, or (create) a free one taken for it: in the probe
 * window, an empty entry or else the one whose window ends first.  Under
 * s->amu. */
static struct limit_ent *limit_get(struct yg_taxii_server *s, uint64_t key, bool create)
{
    struct limit_ent *victim = NULL;
    for (size_t i = 0; i < LIMIT_PROBE; i++) {
        struct limit_ent *e = &s->lim[(key + i) % YG_TAXII_LOGIN_TABLE];
        if (e->key == key)
            return e;
        if (!victim || (victim->key && (!e->key || e->window_end < victim->window_end)))
            victim = e;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    victim->key = key;
    return victim;
}

/* Seconds until key may try again, 0 when it may now.  Under s->amu. */
static unsigned limit_wait(struct yg_taxii_server *s, uint64_t key, unsigned limit, int64_t now)
{
    struct limit_ent *e = key ? limit_get(s, key, false) : NULL;
    if (e && e->count >= limit && now < e->window_end)
        return (unsigned)(e->window_end - now);
    return 0;
}

/* Count a failure of key; true when it just reached the limit.  Under
 * s->amu. */
static bool limit_fail(struct yg_taxii_server *s, uint64_t key, unsigned limit, int64_t now)
{
    if (!key)
        return false;
    struct limit_ent *e = limit_get(s, key, true);
    if (now >= e->window_end) {
        e->count = 0;
        e->window_end = now + YG_TAXII_LOGIN_WINDOW_S;
    }
    return ++e->count == limit;
}

/* A failed login that cost no password check (a malformed header). */
static void fail_cheap(struct yg_taxii_server *s, struct yg_taxii_login *l)
{
    pthread_mutex_lock(&s->amu);
    bool a = limit_fail(s, l->addr_key, YG_TAXII_LOGIN_FAILURES_PER_ADDRESS, mono_s());
    pthread_mutex_unlock(&s->amu);
    count_failure(s, F_PASSWORD);
    if (a)
        yg__log(YG_LOG_WARNING,
                "taxii: %u failed logins from %s within %u s: its password logins are refused "
                "(429) for the rest of that time",
                YG_TAXII_LOGIN_FAILURES_PER_ADDRESS, *l->peer ? l->peer : "an unknown address",
                YG_TAXII_LOGIN_WINDOW_S);
}

bool yg__taxii_login_start(struct yg_taxii_server *s, const char *auth, const char *peer,
                           struct yg_taxii_login *l)
{
    memset(l, 0, sizeof *l);
    l->user = l->cand = -1;
    snprintf(l->peer, sizeof l->peer, "%s", peer ? peer : "");
    if (!auth)
        return false;
    while (*auth == ' ')
        auth++;
    if (strncasecmp(auth, "Bearer ", 7) == 0) {
        const char *p = auth + 7;
        while (*p == ' ')
            p++;
        if ((l->user = auth_bearer(s, p)) < 0)
            count_failure(s, F_TOKEN);
        return false;
    }
    if (strncasecmp(auth, "Basic ", 6) != 0)
        return false;
    const char *cred = auth + 6;
    while (*cred == ' ')
        cred++;
    size_t cl = strlen(cred);
    int64_t now = mono_s();
    l->addr_key = limit_key(s, 'a', l->peer, strlen(l->peer));
    pthread_mutex_lock(&s->amu);
    unsigned wait = limit_wait(s, l->addr_key, YG_TAXII_LOGIN_FAILURES_PER_ADDRESS, now);
    pthread_mutex_unlock(&s->amu);
    if (wait) {
        l->status = 429;
        l->retry_after = wait;
        count_failure(s, F_LIMITED);
        return false;
    }
    if (cl == 0 || cl > 4096) {
        fail_cheap(s, l);
        return false;
    }
    /* Verified credentials are remembered by their MAC with the address
     * they came from: PBKDF2 is slow on purpose, and a client paging
     * through a collection sends the same header with every request. */
    unsigned char key[32], msg[sizeof l->peer + 4096];
    unsigned kl = 0;
    size_t pl = strlen(l->peer) + 1;
    memcpy(msg, l->peer, pl);
    memcpy(msg + pl, cred, cl);
    bool mac_ok =
        HMAC(EVP_sha256(), yg__taxii_store_secret(s->st), 32, msg, pl + cl, key, &kl) != NULL;
    OPENSSL_cleanse(msg, pl + cl);
    if (!mac_ok)
        return false;
    pthread_mutex_lock(&s->amu);
    for (size_t i = 0; i < AUTH_CACHE && l->user < 0; i++)
        if (s->cache[i].user >= 0 && CRYPTO_memcmp(s->cache[i].key, key, 32) == 0)
            l->user = s->cache[i].user;
    pthread_mutex_unlock(&s->amu);
    if (l->user >= 0)
        return false;
    unsigned char dec[3 * 4096 / 4 + 4];
    int dn = EVP_DecodeBlock(dec, (const unsigned char *)cred, (int)cl);
    /* EVP_DecodeBlock counts padding as zero bytes. */
    if (dn >= 0 && cl >= 1 && cred[cl - 1] == '=')
        dn--;
    if (dn >= 0 && cl >= 2 && cred[cl - 2] == '=')
        dn--;
    const unsigned char *colon = dn > 0 ? memchr(dec, ':', (size_t)dn) : NULL;
    if (!colon) {
        OPENSSL_cleanse(dec, sizeof dec);
        fail_cheap(s, l);
        return false;
    }
    size_t nl = (size_t)(colon - dec);
    l->acct_key = limit_key(s, 'u', (const char *)dec, nl);
    pthread_mutex_lock(&s->amu);
    wait = limit_wait(s, l->acct_key, YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT, now);
    pthread_mutex_unlock(&s->amu);
    if (wait) {
        OPENSSL_cleanse(dec, sizeof dec);
        l->status = 429;
        l->retry_after = wait;
        count_failure(s, F_LIMITED);
        return false;
    }
    l->cand = find_user(s->cfg, (const char *)dec, nl);
    l->pwn = (size_t)dn - nl - 1;
    l->pw = yg_malloc(l->pwn + 1);
    if (l->pw)
        memcpy(l->pw, colon + 1, l->pwn);
    OPENSSL_cleanse(dec, sizeof dec);
    if (!l->pw) {
        l->status = 503;
        l->retry_after = 1;
        return false;
    }
    memcpy(l->key, key, sizeof key);
    l->pending = true;
    return true;
}

void yg__taxii_login_finish(struct yg_taxii_server *s, struct yg_taxii_login *l)
{
    if (!l->pending)
        return;
    const struct yg_taxii_user *u = l->cand >= 0 ? &s->cfg->users[l->cand] : NULL;
    bool known = u && u->password_hash;
    /* An unknown user, or one without a password, is checked against the
     * dummy hash: the answer must take as long as a wrong password of a
     * known user, or its timing would tell which names exist. */
    bool ok = yg__taxii_check_password(known ? u->password_hash : s->dummy, l->pw, l->pwn) && known;
    OPENSSL_cleanse(l->pw, l->pwn);
    yg_free(l->pw);
    l->pw = NULL;
    l->pending = false;
    bool a = false, b = false;
    pthread_mutex_lock(&s->amu);
    if (ok) {
        struct auth_cache_ent *e = &s->cache[s->cache_next++ % AUTH_CACHE];
        memcpy(e->key, l->key, 32);
        e->user = l->cand;
        l->user = l->cand;
    } else {
        int64_t now = mono_s();
        a = limit_fail(s, l->addr_key, YG_TAXII_LOGIN_FAILURES_PER_ADDRESS, now);
        b = limit_fail(s, l->acct_key, YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT, now);
    }
    pthread_mutex_unlock(&s->amu);
    OPENSSL_cleanse(l->key, sizeof l->key);
    if (ok)
        return;
    count_failure(s, F_PASSWORD);
    if (a)
        yg__log(YG_LOG_WARNING,
                "taxii: %u failed logins from %s within %u s: its password logins are refused "
                "(429) for the rest of that time",
                YG_TAXII_LOGIN_FAILURES_PER_ADDRESS, *l->peer ? l->peer : "an unknown address",
                YG_TAXII_LOGIN_WINDOW_S);
    /* Only configured names are written to the log: any other is text a
     * client chose. */
    if (b)
        yg__log(YG_LOG_WARNING,
                "taxii: %u failed logins for %s%s within %u s: password logins for it are refused "
                "(429) for the rest of that time, except from addresses where it logged in before",
                YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT, u ? "user " : "an account not configured",
                u ? u->name : "", YG_TAXII_LOGIN_WINDOW_S);
}

void yg__taxii_login_clear(struct yg_taxii_login *l)
{
    if (l->pw) {
        OPENSSL_cleanse(l->pw, l->pwn);
        yg_free(l->pw);
        l->pw = NULL;
    }
    l->pending = false;
    OPENSSL_cleanse(l->key, sizeof l->key);
}

/* ---- next tokens -------------------------------------------------------------- */

static void token_mac(struct yg_taxii_server *s, const char *path, const char *user, int64_t added,
                      int64_t seq, char hex[33])
{
    char msg[YG_TAXII_MAX_URL_BYTES + 512];
    int n = snprintf(msg, sizeof msg, "next\n%s\n%s\n%lld\n%lld", path, user, (long long)added,
                     (long long)seq);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    unsigned char mac[32];
    unsigned ml = 0;
    static const char hx[] = "0123456789abcdef";
    if (!HMAC(EVP_sha256(), yg__taxii_store_secret(s->st), 32, (unsigned char *)msg, (size_t)n, mac,
              &ml))
        memset(mac, 0, sizeof mac);
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = hx[mac[i] >> 4];
        hex[2 * i + 1] = hx[mac[i] & 15];
    }
    hex[32] = 0;
}

static bool token_parse(struct yg_taxii_server *s, const char *tok, const char *path,
                        const char *user, int64_t *added, int64_t *seq)
{
    char *e1, *e2;
    if (!tok || *tok < '0' || *tok > '9')
        return false;
    long long a = strtoll(tok, &e1, 10);
    if (*e1 != '.' || e1[1] < '0' || e1[1] > '9')
        return false;
    long long q = strtoll(e1 + 1, &e2, 10);
    if (*e2 != '.' || strlen(e2 + 1) != 32)
        return false;
    char want[33];
    token_mac(s, path, user, a, q, want);
    if (CRYPTO_memcmp(want, e2 + 1, 32) != 0)
        return false;
    *added = a;
    *seq = q;
    return true;
}

/* ---- request arguments --------------------------------------------------------- */

struct filters {
    const char *added_after, *limit, *next;
    const char *m_id, *m_type, *m_version, *m_spec;
};

/* Split a comma-separated list in the arena (no empty items). */
static bool split_list(struct yg_arena *a, const char *v, const char ***out, size_t *n)
{
    size_t cnt = 1;
    for (const char *p = v; *p; p++)
        cnt += *p == ',';
    if (cnt > YG_TAXII_MAX_MATCH_VALUES)
        return false;
    const char **l = yg_arena_alloc(a, cnt * sizeof *l);
    if (!l)
        return false;
    size_t k = 0;
    const char *p = v;
    for (;;) {
        const char *c = strchr(p, ',');
        size_t len = c ? (size_t)(c - p) : strlen(p);
        if (len == 0)
            return false;
        l[k] = yg_arena_strndup(a, p, len);
        if (!l[k])
            return false;
        k++;
        if (!c)
            break;
        p = c + 1;
    }
    *out = l;
    *n = k;
    return true;
}

/* Fill q from the filters; on a bad value write the 400 and return false. */
struct ctx {
    struct yg_taxii_server *s;
    const struct yg_taxii_req *rq;
    struct yg_taxii_resp *rs;
    struct yg_arena *a;
    long user;
    const char *uname;
    int mt;
    long coll;
    struct filters f;
    yg_err err;
};

static bool bad(struct ctx *c, unsigned st, const char *msg)
{
    c->err = fail(c->rs, st, msg);
    return false;
}

static bool read_args(struct ctx *c)
{
    static const struct {
        const char *k;
        size_t off;
    } known[] = {
        {"added_after", offsetof(struct filters, added_after)},
        {"limit", offsetof(struct filters, limit)},
        {"next", offsetof(struct filters, next)},
        {"match[id]", offsetof(struct filters, m_id)},
        {"match[type]", offsetof(struct filters, m_type)},
        {"match[version]", offsetof(struct filters, m_version)},
        {"match[spec_version]", offsetof(struct filters, m_spec)},
    };
    memset(&c->f, 0, sizeof c->f);
    for (size_t i = 0; i < c->rq->nargs; i++) {
        const struct yg_taxii_arg *g = &c->rq->args[i];
        if (!g->key)
            continue;
        for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
            if (strcmp(g->key, known[k].k) != 0)
                continue;
            const char **slot = (const char **)((char *)&c->f + known[k].off);
            if (*slot)
                return bad(c, 400, "a query parameter is given more than once");
            *slot = g->val ? g->val : "";
        }
    }
    return true;
}

static bool build_q(struct ctx *c, struct yg_taxii_q *q, bool allow_version, const char *path)
{
    const struct yg_taxii_collection *col = &c->s->cfg->colls[c->coll];
    memset(q, 0, sizeof *q);
    q->coll = col->id;
    q->tlp_max = col->tlp_ceiling;
    q->unmarked_ok = c->s->cfg->unmarked_tlp <= col->tlp_ceiling;
    unsigned page = c->s->cfg->page_size;
    q->limit = page;
    if (c->f.limit) {
        char *end;
        const char *l = c->f.limit;
        if (*l < '1' || *l > '9' || strlen(l) > 12)
            return bad(c, 400, "limit must be a positive integer");
        unsigned long long v = strtoull(l, &end, 10);
        if (*end || v == 0)
            return bad(c, 400, "limit must be a positive integer");
        q->limit = v < page ? (unsigned)v : page;
    }
    if (c->f.added_after) {
        if (!yg__taxii_time_parse(c->f.added_after, &q->after_us))
            return bad(c, 400, "added_after must be an RFC 3339 timestamp");
        q->has_after = true;
    }
    if (c->f.next) {
        if (!token_parse(c->s, c->f.next, path, c->uname, &q->cur_added, &q->cur_seq))
            return bad(c, 400, "next is not a value this server gave for this request");
        q->has_cursor = true;
    }
    const char **l;
    size_t n;
    if (c->f.m_id) {
        if (!split_list(c->a, c->f.m_id, &l, &n))
            return bad(c, 400, "match[id] must be a comma-separated list of STIX ids");
        q->ids = l;
        q->nids = n;
    }
    if (c->f.m_type) {
        if (!split_list(c->a, c->f.m_type, &l, &n))
            return bad(c, 400, "match[type] must be a comma-separated list of types");
        q->types = l;
        q->ntypes = n;
    }
    if (c->f.m_spec) {
        if (!split_list(c->a, c->f.m_spec, &l, &n))
            return bad(c, 400, "match[spec_version] must be a comma-separated list");
        for (size_t i = 0; i < n; i++)
            if (strcmp(l[i], "2.0") != 0 && strcmp(l[i], "2.1") != 0)
                return bad(c, 400, "match[spec_version] values are 2.0 and 2.1");
        q->specs = l;
        q->nspecs = n;
    }
    if (c->f.m_version && allow_version) {
        if (!split_list(c->a, c->f.m_version, &l, &n))
            return bad(c, 400, "match[version] must be a comma-separated list");
        int64_t *vk = yg_arena_alloc(c->a, n * sizeof *vk);
        if (!vk)
            return bad(c, 500, "out of memory");
        for (size_t i = 0; i < n; i++) {
            unsigned bit = 0;
            if (strcmp(l[i], "last") == 0)
                bit = YG_TAXII_V_LAST;
            else if (strcmp(l[i], "first") == 0)
                bit = YG_TAXII_V_FIRST;
            else if (strcmp(l[i], "all") == 0)
                bit = YG_TAXII_V_ALL;
            else if (!yg__taxii_time_parse(l[i], &vk[q->nvkeys++]))
                return bad(c, 400, "match[version] values are last, first, all or timestamps");
            if (bit & q->vmodes)
                return bad(c, 400, "match[version] repeats a value");
            q->vmodes |= bit;
        }
        if ((q->vmodes & YG_TAXII_V_ALL) && n > 1)
            return bad(c, 400, "match[version]=all cannot be combined with other values");
        q->vkeys = vk;
    }
    return true;
}

/* ---- pages ----------------------------------------------------------------------- */

enum page_kind { PAGE_OBJECTS, PAGE_MANIFEST, PAGE_VERSIONS };

struct page {
    struct ctx *c;
    enum page_kind kind;
    unsigned limit, n;
    bool more;
    int64_t first_added, last_added, last_seq;
    struct yg_buf *b;
    yg_err err;
};

static bool page_row(void *ud, const struct yg_taxii_row *r)
{
    struct page *p = ud;
    if (p->n == p->limit || (p->n > 0 && p->b->n > YG_TAXII_MAX_PAGE_BYTES)) {
        p->more = true;
        return false;
    }
    yg_err err = YG_OK;
    char da[32];
    yg__taxii_time_fmt(r->added, da);
    if (p->n)
        YG_TRY(yg_buf_addc(p->b, ','));
    switch (p->kind) {
    case PAGE_OBJECTS: YG_TRY(yg_buf_add(p->b, r->json, r->jn)); break;
    case PAGE_MANIFEST:
        YG_TRY(yg_buf_addc(p->b, '{'));
        YG_TRY(put_str(p->b, "id", r->id, false));
        YG_TRY(put_str(p->b, "date_added", da, true));
        YG_TRY(put_str(p->b, "version", *r->version ? r->version : da, true));
        YG_TRY(put_str(p->b, "media_type", CT_STIX, true));
        YG_TRY(yg_buf_addc(p->b, '}'));
        break;
    case PAGE_VERSIONS:
        YG_TRY(yg_buf_add_json_str(p->b, *r->version ? r->version : da,
                                   strlen(*r->version ? r->version : da)));
        break;
    }
    if (p->n == 0)
        p->first_added = r->added;
    p->last_added = r->added;
    p->last_seq = r->seq;
    p->n++;
done:
    p->err = err;
    return err == YG_OK;
}

/* Run q and write the envelope, manifest or versions resource. */
static yg_err serve_page(struct ctx *c, struct yg_taxii_q *q, enum page_kind kind, const char *path,
                         bool not_found_if_empty)
{
    yg_err err = YG_OK;
    struct yg_buf items;
    yg_buf_init(&items, (size_t)YG_TAXII_MAX_PAGE_BYTES * 2);
    struct page p = {.c = c, .kind = kind, .limit = q->limit, .b = &items};
    unsigned want = q->limit;
    q->limit = want + 1;
    err = yg__taxii_store_query(c->s->st, q, page_row, &p);
    if (!err)
        err = p.err;
    if (err) {
        yg_buf_free(&items);
        return fail(c->rs, 500, "the object store failed");
    }
    if (p.n == 0 && not_found_if_empty) {
        yg_buf_free(&items);
        return fail(c->rs, 404, "no such object in this collection");
    }
    struct yg_buf *b = &c->rs->body;
    c->rs->status = 200;
    c->rs->content_type = kind == PAGE_OBJECTS && c->mt == MT_STIX ? CT_STIX : CT_TAXII;
    YG_TRY(yg_buf_addf(b, "{\"more\":%s", p.more ? "true" : "false"));
    if (p.more) {
        char mac[33];
        token_mac(c->s, path, c->uname, p.last_added, p.last_seq, mac);
        YG_TRY(yg_buf_addf(b, ",\"next\":\"%lld.%lld.%s\"", (long long)p.last_added,
                           (long long)p.last_seq, mac));
    }
    if (p.n) {
        YG_TRY(yg_buf_addf(b, kind == PAGE_VERSIONS ? ",\"versions\":[" : ",\"objects\":["));
        YG_TRY(yg_buf_add(b, items.p, items.n));
        YG_TRY(yg_buf_addc(b, ']'));
        yg__taxii_time_fmt(p.first_added, c->rs->date_first);
        yg__taxii_time_fmt(p.last_added, c->rs->date_last);
    }
    YG_TRY(yg_buf_addc(b, '}'));
done:
    yg_buf_free(&items);
    return err;
}

/* ---- object facts and POST ------------------------------------------------------- */

static bool uuid_form(const char *u)
{
    if (strlen(u) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char ch = u[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (ch != '-')
                return false;
        } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                     (ch >= 'A' && ch <= 'F'))) {
            return false;
        }
    }
    return true;
}

static bool stix_type_form(const char *t, size_t n)
{
    if (n < 3 || n > 250)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9') || t[i] == '-'))
            return false;
    return true;
}

static int max_tlp(const struct yg_tj *o)
{
    int lvl = YG_TLP_NONE;
    const struct yg_tj *refs = yg__tj_get(o, "object_marking_refs");
    if (refs && refs->type == YG_TJ_ARR)
        for (size_t i = 0; i < refs->n; i++)
            if (refs->kids[i]->type == YG_TJ_STR) {
                int l = yg__tlp_of_marking(refs->kids[i]->s);
                if (l > lvl)
                    lvl = l;
            }
    const struct yg_tj *gm = yg__tj_get(o, "granular_markings");
    if (gm && gm->type == YG_TJ_ARR)
        for (size_t i = 0; i < gm->n; i++) {
            int l = yg__tlp_of_marking(yg__tj_str(gm->kids[i], "marking_ref"));
            if (l > lvl)
                lvl = l;
        }
    return lvl;
}

yg_err yg__taxii_obj_facts(const struct yg_tj *v, struct yg_taxii_obj *o, const char **why)
{
    memset(o, 0, sizeof *o);
    *why = NULL;
    if (v->type != YG_TJ_OBJ) {
        *why = "not a JSON object";
        return YG_EINVAL;
    }
    const char *id = yg__tj_str(v, "id"), *type = yg__tj_str(v, "type");
    if (!id || !type) {
        *why = "an object needs a type and an id";
        return YG_EINVAL;
    }
    const char *dd = strstr(id, "--");
    if (!dd || (size_t)(dd - id) != strlen(type) || memcmp(id, type, strlen(type)) != 0 ||
        !stix_type_form(type, strlen(type)) || !uuid_form(dd + 2)) {
        *why = "the id is not <type>--<UUID> of the object's type";
        return YG_EINVAL;
    }
    o->id = id;
    o->type = type;
    const struct yg_tj *sv = yg__tj_get(v, "spec_version");
    if (sv && (sv->type != YG_TJ_STR || (strcmp(sv->s, "2.1") != 0 && strcmp(sv->s, "2.0") != 0))) {
        *why = "spec_version must be 2.0 or 2.1";
        return YG_EUNSUPPORTED;
    }
    o->spec = sv ? sv->s : "2.1";
    const char *ver = yg__tj_str(v, "modified");
    if (!ver)
        ver = yg__tj_str(v, "created");
    o->version = ver ? ver : "";
    if (ver && !yg__taxii_time_parse(ver, &o->vkey)) {
        *why = "modified or created is not an RFC 3339 timestamp";
        return YG_EINVAL;
    }
    if (ver && o->vkey == 0)
        o->vkey = 1; /* 0 means "unversioned" */
    o->tlp = max_tlp(v);
    return YG_OK;
}

/* JSON text without insignificant whitespace. */
static yg_err compact(struct yg_buf *b, const char *p, size_t n)
{
    yg_err err = yg_buf_reserve(b, n + 1);
    if (err)
        return err;
    bool in = false, esc = false;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (in) {
            if (esc)
                esc = false;
            else if (ch == '\\')
                esc = true;
            else if (ch == '"')
                in = false;
        } else if (ch == '"') {
            in = true;
        } else if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
            continue;
        }
        b->p[b->n++] = ch;
    }
    b->p[b->n] = 0;
    return YG_OK;
}

static void uuid4(char out[37])
{
    unsigned char r[16];
    if (RAND_bytes(r, sizeof r) != 1)
        memset(r, 0, sizeof r);
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0],
             r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13],
             r[14], r[15]);
}

struct detail {
    bool dup; /* the same version was already there */
    const char *id, *version, *msg;
};

/* Add one parsed object to a collection (in the caller's transaction). */
static yg_err add_one(struct yg_taxii_server *s, const struct yg_taxii_collection *col,
                      const char *text, const struct yg_tj *v, struct yg_buf *tmp, struct detail *d,
                      bool *ok)
{
    struct yg_taxii_obj o;
    const char *why = NULL;
    *ok = false;
    memset(d, 0, sizeof *d);
    if (yg__taxii_obj_facts(v, &o, &why) != YG_OK) {
        d->id = v->type == YG_TJ_OBJ ? yg__tj_str(v, "id") : NULL;
        d->msg = why;
        return YG_OK;
    }
    d->id = o.id;
    d->version = o.version;
    int eff = o.tlp == YG_TLP_NONE ? s->cfg->unmarked_tlp : o.tlp;
    if (eff > col->tlp_ceiling) {
        d->msg = "marked above the TLP ceiling of this collection";
        return YG_OK;
    }
    yg_buf_reset(tmp);
    yg_err err = compact(tmp, text + v->start, v->end - v->start);
    if (err)
        return err;
    o.json = tmp->p;
    o.jn = tmp->n;
    bool dup;
    err = yg__taxii_store_add(s->st, col->id, &o, &dup);
    if (err)
        return err;
    d->dup = dup;
    *ok = true;
    return YG_OK;
}

static yg_err put_details(struct yg_buf *b, const char *key, const struct detail *d, size_t n,
                          bool with_msg)
{
    yg_err err = YG_OK;
    if (!n)
        return YG_OK;
    YG_TRY(yg_buf_addf(b, ",\"%s\":[", key));
    for (size_t i = 0; i < n; i++) {
        YG_TRY(yg_buf_add(b, i ? ",{" : "{", i ? 2 : 1));
        YG_TRY(put_str(b, "id", d[i].id ? d[i].id : "", false));
        YG_TRY(put_str(b, "version", d[i].version ? d[i].version : "", true));
        if (with_msg && d[i].msg)
            YG_TRY(put_str(b, "message", d[i].msg, true));
        YG_TRY(yg_buf_addc(b, '}'));
    }
    YG_TRY(yg_buf_addc(b, ']'));
done:
    return err;
}

static yg_err post_objects(struct ctx *c, const char *root)
{
    const struct yg_taxii_collection *col = &c->s->cfg->colls[c->coll];
    const struct yg_taxii_req *rq = c->rq;
    if (!content_type_ok(rq->content_type))
        return fail(c->rs, 415, "POST bodies must be application/taxii+json;version=2.1");
    if (rq->body_too_large || rq->body_len > c->s->cfg->max_content_length)
        return fail(c->rs, 413, "the body is larger than max_content_length");
    struct yg_tj *env;
    size_t eoff;
    const char *emsg;
    yg_err err = yg__tj_parse(rq->body ? rq->body : "", rq->body_len, c->a, &env, &eoff, &emsg);
    if (err == YG_ENOMEM)
        return fail(c->rs, 500, "out of memory");
    if (err) {
        char m[160];
        snprintf(m, sizeof m, "the body is not valid JSON (byte %zu: %s)", eoff, emsg);
        return fail(c->rs, 400, m);
    }
    const struct yg_tj *objs = yg__tj_get(env, "objects");
    if (env->type != YG_TJ_OBJ || (objs && objs->type != YG_TJ_ARR))
        return fail(c->rs, 422,
                    "the body is not a TAXII envelope (an object with an objects list)");
    size_t n = objs ? objs->n : 0;
    if (n > YG_TAXII_MAX_OBJECTS_PER_POST)
        return fail(c->rs, 413, "too many objects in one envelope");
    struct detail *ok = yg_calloc(n ? n : 1, sizeof *ok), *bad = yg_calloc(n ? n : 1, sizeof *bad);
    size_t nok = 0, nbad = 0;
    struct yg_buf tmp, *b = &c->rs->body;
    yg_buf_init(&tmp, YG_TAXII_MAX_CONTENT_LENGTH_CAP);
    if (!ok || !bad) {
        err = YG_ENOMEM;
        goto done;
    }
    int64_t now = yg__taxii_now_us();
    YG_TRY(yg__taxii_store_begin(c->s->st));
    for (size_t i = 0; i < n; i++) {
        struct detail d;
        bool good;
        err = add_one(c->s, col, rq->body, objs->kids[i], &tmp, &d, &good);
        if (err) {
            yg__taxii_store_rollback(c->s->st);
            goto done;
        }
        if (good)
            ok[nok++] = d;
        else
            bad[nbad++] = d;
    }
    err = yg__taxii_store_commit(c->s->st);
    if (err) {
        yg__taxii_store_rollback(c->s->st);
        goto done;
    }
    char sid[37], ts[32];
    uuid4(sid);
    yg__taxii_time_fmt(now, ts);
    yg_buf_reset(b);
    YG_TRY(yg_buf_addf(b,
                       "{\"id\":\"%s\",\"status\":\"complete\",\"request_timestamp\":\"%s\","
                       "\"total_count\":%zu,\"success_count\":%zu,\"failure_count\":%zu,"
                       "\"pending_count\":0",
                       sid, ts, n, nok, nbad));
    YG_TRY(put_details(b, "successes", ok, nok, false));
    YG_TRY(put_details(b, "failures", bad, nbad, true));
    YG_TRY(yg_buf_addc(b, '}'));
    YG_TRY(yg_buf_addc(b, 0));
    b->n--;
    YG_TRY(yg__taxii_store_status_put(c->s->st, sid, root, c->uname, b->p));
    c->rs->status = 202;
    c->rs->content_type = CT_TAXII;
done:
    yg_free(ok);
    yg_free(bad);
    yg_buf_free(&tmp);
    if (err)
        return fail(c->rs, 500, "the object store failed");
    return YG_OK;
}

/* ---- resources ------------------------------------------------------------------------ */

static yg_err discovery(struct ctx *c)
{
    const struct yg_taxii_cfg *cf = c->s->cfg;
    struct yg_buf *b = &c->rs->body;
    yg_err err = YG_OK;
    char url[1024];
    YG_TRY(yg_buf_addc(b, '{'));
    YG_TRY(put_str(b, "title", cf->title ? cf->title : "Yagura TAXII server", false));
    YG_TRY(put_str(b, "description", cf->description, true));
    YG_TRY(put_str(b, "contact", cf->contact, true));
    for (size_t i = 0; i < cf->nroots; i++) {
        const char *base = cf->public_url ? cf->public_url : "";
        size_t bl = strlen(base);
        while (bl && base[bl - 1] == '/')
            bl--;
        snprintf(url, sizeof url, "%.*s/%s/", (int)bl, base, cf->roots[i].path);
        if (i == 0)
            YG_TRY(put_str(b, "default", url, true));
        YG_TRY(yg_buf_add(b, i ? "," : ",\"api_roots\":[", i ? 1 : 14));
        YG_TRY(yg_buf_add_json_str(b, url, strlen(url)));
    }
    if (cf->nroots)
        YG_TRY(yg_buf_addc(b, ']'));
    YG_TRY(yg_buf_addc(b, '}'));
    c->rs->status = 200;
done:
    return err;
}

static yg_err api_root(struct ctx *c, size_t r)
{
    const struct yg_taxii_root *rt = &c->s->cfg->roots[r];
    struct yg_buf *b = &c->rs->body;
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addc(b, '{'));
    YG_TRY(put_str(b, "title", rt->title ? rt->title : rt->path, false));
    YG_TRY(put_str(b, "description", rt->description, true));
    YG_TRY(yg_buf_addf(b, ",\"versions\":[\"" CT_TAXII "\"],\"max_content_length\":%llu}",
                       (unsigned long long)c->s->cfg->max_content_length));
    c->rs->status = 200;
done:
    return err;
}

static yg_err put_collection(struct ctx *c, size_t i)
{
    const struct yg_taxii_collection *col = &c->s->cfg->colls[i];
    const struct yg_taxii_user *u = &c->s->cfg->users[c->user];
    struct yg_buf *b = &c->rs->body;
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addc(b, '{'));
    YG_TRY(put_str(b, "id", col->id, false));
    YG_TRY(put_str(b, "title", col->title ? col->title : col->id, true));
    YG_TRY(put_str(b, "description", col->description, true));
    YG_TRY(put_str(b, "alias", col->alias, true));
    YG_TRY(yg_buf_addf(b, ",\"can_read\":%s,\"can_write\":%s,\"media_types\":[\"" CT_STIX "\"]}",
                       u->can_read[i] ? "true" : "false", u->can_write[i] ? "true" : "false"));
done:
    return err;
}

static bool visible(const struct ctx *c, size_t i)
{
    const struct yg_taxii_user *u = &c->s->cfg->users[c->user];
    return u->can_read[i] || u->can_write[i];
}

static yg_err collections(struct ctx *c, size_t r)
{
    struct yg_buf *b = &c->rs->body;
    yg_err err = YG_OK;
    size_t n = 0;
    YG_TRY(yg_buf_addc(b, '{'));
    for (size_t i = 0; i < c->s->cfg->ncolls; i++) {
        if (c->s->cfg->colls[i].root != r || !visible(c, i))
            continue;
        YG_TRY(yg_buf_add(b, n ? "," : "\"collections\":[", n ? 1 : 15));
        YG_TRY(put_collection(c, i));
        n++;
    }
    if (n)
        YG_TRY(yg_buf_addc(b, ']'));
    YG_TRY(yg_buf_addc(b, '}'));
    c->rs->status = 200;
done:
    return err;
}

static yg_err status_res(struct ctx *c, size_t r, const char *id)
{
    char *json = NULL;
    yg_err err =
        yg__taxii_store_status_get(c->s->st, id, c->s->cfg->roots[r].path, c->uname, &json);
    if (err == YG_ENOTFOUND)
        return fail(c->rs, 404, "no such status resource");
    if (err)
        return fail(c->rs, 500, "the object store failed");
    err = yg_buf_add(&c->rs->body, json, strlen(json));
    yg_free(json);
    c->rs->status = 200;
    return err;
}

static yg_err delete_object(struct ctx *c, const char *oid)
{
    struct yg_taxii_q q;
    if (!build_q(c, &q, true, ""))
        return c->err;
    if (!q.vmodes && !q.nvkeys)
        q.vmodes = YG_TAXII_V_ALL; /* DELETE without match[version]: every version */
    const char *ids[1] = {oid};
    q.ids = ids;
    q.nids = 1;
    q.has_cursor = q.has_after = false;
    uint64_t n = 0;
    if (yg__taxii_store_delete(c->s->st, &q, &n) != YG_OK)
        return fail(c->rs, 500, "the object store failed");
    if (n == 0)
        return fail(c->rs, 404, "no such object in this collection");
    c->rs->status = 200;
    return YG_OK;
}

/* ---- routing ------------------------------------------------------------------------- */

#define MAX_SEGS 8

static size_t split_path(char *p, char **seg)
{
    size_t n = 0;
    char *s = p;
    while (*s == '/')
        s++;
    while (*s && n < MAX_SEGS) {
        seg[n++] = s;
        char *sl = strchr(s, '/');
        if (!sl)
            return n;
        *sl = 0;
        s = sl + 1;
        if (*s == '/')
            return MAX_SEGS + 1; /* empty segment */
    }
    return *s ? MAX_SEGS + 1 : n;
}

static yg_err route(struct ctx *c)
{
    const struct yg_taxii_req *rq = c->rq;
    const struct yg_taxii_cfg *cf = c->s->cfg;
    struct yg_taxii_resp *rs = c->rs;
    char *path = yg_arena_strndup(c->a, rq->path, strlen(rq->path));
    char *seg[MAX_SEGS];
    if (!path)
        return fail(rs, 500, "out of memory");
    size_t n = split_path(path, seg);
    if (n == 0 || n > MAX_SEGS)
        return fail(rs, 404, "no such resource");
    bool get = strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
    bool post = strcmp(rq->method, "POST") == 0, del = strcmp(rq->method, "DELETE") == 0;

    if (n == 1 && strcmp(seg[0], "taxii2") == 0) {
        if (!get) {
            rs->allow_get = true;
            return fail(rs, 405, "discovery accepts GET only");
        }
        if (!(c->mt = negotiate(rq->accept, false)))
            return fail(rs, 406, "this resource is application/taxii+json;version=2.1");
        return discovery(c);
    }
    long r = -1;
    for (size_t i = 0; i < cf->nroots; i++)
        if (strcmp(seg[0], cf->roots[i].path) == 0)
            r = (long)i;
    if (r < 0)
        return fail(rs, 404, "no such resource");
    bool objects = n >= 4 && strcmp(seg[1], "collections") == 0 && strcmp(seg[3], "objects") == 0;
    bool versions = n == 6 && objects && strcmp(seg[5], "versions") == 0;
    bool known = n == 1 || (n == 3 && strcmp(seg[1], "status") == 0) ||
                 (n == 2 && strcmp(seg[1], "collections") == 0) ||
                 (n == 3 && strcmp(seg[1], "collections") == 0) ||
                 (n == 4 && strcmp(seg[1], "collections") == 0 &&
                  (objects || strcmp(seg[3], "manifest") == 0)) ||
                 (n == 5 && objects) || versions;
    if (!known)
        return fail(rs, 404, "no such resource");
    /* Methods. */
    if (n == 4 && objects) {
        if (!get && !post) {
            rs->allow_get_post = true;
            return fail(rs, 405, "objects accepts GET and POST");
        }
    } else if (n == 5) {
        if (!get && !del) {
            rs->allow_get_delete = true;
            return fail(rs, 405, "an object accepts GET and DELETE");
        }
    } else if (!get) {
        rs->allow_get = true;
        return fail(rs, 405, "this resource accepts GET only");
    }
    bool envelope = objects && !versions && !post && !del;
    if (!(c->mt = negotiate(rq->accept, envelope)))
        return fail(rs, 406,
                    envelope ? "objects are application/taxii+json;version=2.1 or "
                               "application/stix+json;version=2.1"
                             : "this resource is application/taxii+json;version=2.1");
    if (n == 1)
        return api_root(c, (size_t)r);
    if (n == 2)
        return collections(c, (size_t)r);
    if (strcmp(seg[1], "status") == 0)
        return status_res(c, (size_t)r, seg[2]);
    /* A collection, by id or alias, in this API root and visible to the user. */
    long ci = yg__taxii_cfg_coll(cf, seg[2]);
    if (ci < 0 || cf->colls[ci].root != (size_t)r || !visible(c, (size_t)ci))
        return fail(rs, 404, "no such collection");
    c->coll = ci;
    const struct yg_taxii_user *u = &cf->users[c->user];
    if (n == 3) {
        yg_err err = put_collection(c, (size_t)ci);
        rs->status = 200;
        return err;
    }
    if (post && !u->can_write[ci])
        return fail(rs, 403, "no write access to this collection");
    if (del && (!u->can_write[ci] || !u->can_read[ci]))
        return fail(rs, 403, "deleting needs read and write access to this collection");
    if (!post && !u->can_read[ci])
        return fail(rs, 403, "no read access to this collection");
    if (!read_args(c))
        return c->err;
    if (post)
        return post_objects(c, cf->roots[r].path);
    /* next tokens are bound to this exact resource: canonical path of the
     * collection (by id, whatever the client used) and object. */
    char canon[YG_TAXII_MAX_URL_BYTES + 128];
    snprintf(canon, sizeof canon, "/%s/collections/%s/%s/%s%s", cf->roots[r].path, cf->colls[ci].id,
             seg[3], n >= 5 ? seg[4] : "", versions ? "/versions" : "");
    if (del)
        return delete_object(c, seg[4]);
    struct yg_taxii_q q;
    if (!build_q(c, &q, !versions, canon))
        return c->err;
    if (n >= 5) {
        const char **ids = yg_arena_alloc(c->a, sizeof *ids);
        if (!ids)
            return fail(rs, 500, "out of memory");
        ids[0] = seg[4];
        q.ids = ids;
        q.nids = 1;
        if (versions)
            q.vmodes = YG_TAXII_V_ALL;
        return serve_page(c, &q, versions ? PAGE_VERSIONS : PAGE_OBJECTS, canon, true);
    }
    return serve_page(c, &q, strcmp(seg[3], "manifest") == 0 ? PAGE_MANIFEST : PAGE_OBJECTS, canon,
                      false);
}

void yg__taxii_handle(struct yg_taxii_server *s, const struct yg_taxii_req *rq,
                      struct yg_taxii_resp *rs)
{
    yg__taxii_resp_init(rs);
    struct yg_arena a;
    yg_arena_init(&a, 8192, (size_t)YG_TAXII_MAX_CONTENT_LENGTH_CAP * 4);
    struct ctx c = {.s = s, .rq = rq, .rs = rs, .a = &a, .coll = -1};
    yg_err err;
    /* Without a login from the transport, log in here, password check
     * included, before taking the store's lock. */
    struct yg_taxii_login own;
    const struct yg_taxii_login *lg = rq->login;
    if (!lg) {
        if (yg__taxii_login_start(s, rq->authorization, rq->peer, &own))
            yg__taxii_login_finish(s, &own);
        lg = &own;
    }
    pthread_mutex_lock(&s->mu);
    if (!rq->method || !rq->path || strlen(rq->path) > YG_TAXII_MAX_URL_BYTES) {
        err = fail(rs, 404, "no such resource");
        goto done;
    }
    if (lg->status) {
        if (lg->status == 503)
            count_failure(s, F_BUSY);
        rs->retry_after = lg->retry_after;
        err = fail(rs, lg->status,
                   lg->status == 429 ? "too many failed logins from this address or for this "
                                       "account; retry after the seconds in Retry-After"
                                     : "too many logins are being checked; retry later");
        goto done;
    }
    c.user = lg->user;
    if (c.user < 0) {
        rs->www_authenticate = true;
        err = fail(rs, 401, "authentication is required (HTTP Basic or a bearer API token)");
        goto done;
    }
    c.uname = s->cfg->users[c.user].name;
    err = route(&c);
done:
    pthread_mutex_unlock(&s->mu);
    if (lg == &own)
        yg__taxii_login_clear(&own);
    yg_arena_free(&a);
    if (err) {
        /* Only memory can fail here: answer 500 with what fits. */
        yg_buf_reset(&rs->body);
        rs->status = 500;
        rs->date_first[0] = rs->date_last[0] = 0;
    }
}

/* ---- query strings ---------------------------------------------------------------------- */

static size_t unescape(const char *s, size_t n, char *d)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            d[o++] = ' ';
        } else if (s[i] == '%' && n - i > 2 && isxdigit((unsigned char)s[i + 1]) &&
                   isxdigit((unsigned char)s[i + 2])) {
            char h[3] = {s[i + 1], s[i + 2], 0};
            d[o++] = (char)strtol(h, NULL, 16);
            i += 2;
        } else {
            d[o++] = s[i];
        }
    }
    d[o] = 0;
    return o;
}

yg_err yg__taxii_parse_query(const char *q, size_t n, struct yg_arena *a,
                             struct yg_taxii_arg **args, size_t *nargs)
{
    size_t cnt = 1;
    for (size_t i = 0; i < n; i++)
        cnt += q[i] == '&';
    struct yg_taxii_arg *v = yg_arena_alloc(a, cnt * sizeof *v);
    if (!v)
        return YG_ENOMEM;
    size_t k = 0, i = 0;
    while (i < n) {
        const char *amp = memchr(q + i, '&', n - i);
        size_t e = amp ? (size_t)(amp - q) : n;
        if (e > i) {
            const char *eq = memchr(q + i, '=', e - i);
            size_t kl = eq ? (size_t)(eq - q) - i : e - i;
            char *key = yg_arena_alloc(a, kl + 1), *val;
            size_t vl = eq ? e - (size_t)(eq - q) - 1 : 0;
            val = yg_arena_alloc(a, vl + 1);
            if (!key || !val)
                return YG_ENOMEM;
            unescape(q + i, kl, key);
            unescape(eq ? eq + 1 : "", vl, val);
            v[k].key = key;
            v[k].val = val;
            k++;
        }
        i = e + 1;
    }
    *args = v;
    *nargs = k;
    return YG_OK;
}

/* ---- import ---------------------------------------------------------------------------- */

struct import_ctx {
    struct yg_taxii_server *s;
    const struct yg_taxii_collection *col;
    struct yg_buf tmp;
    uint64_t added, refused, dups, in_tx;
};

static yg_err import_value(struct import_ctx *ic, const char *text, const struct yg_tj *v)
{
    struct detail d;
    bool ok;
    yg_err err = YG_OK;
    if (ic->in_tx == 0)
        YG_TRY(yg__taxii_store_begin(ic->s->st));
    YG_TRY(add_one(ic->s, ic->col, text, v, &ic->tmp, &d, &ok));
    ic->dups += ok && d.dup;
    if (ok)
        ic->added++;
    else
        ic->refused++;
    /* Large imports commit in batches: one transaction per object would
     * cost a WAL sync each, one for everything would hold the lock. */
    if (++ic->in_tx == 50000) {
        YG_TRY(yg__taxii_store_commit(ic->s->st));
        ic->in_tx = 0;
    }
done:
    return err;
}

/* A bundle or envelope read whole: every member of its `objects`. */
static yg_err import_whole(struct import_ctx *ic, struct yg_arena *a, const char *name,
                           const char *text, size_t len)
{
    struct yg_tj *v;
    size_t eoff;
    const char *emsg;
    yg_err err = YG_OK;
    yg_arena_reset(a);
    err = yg__tj_parse(text, len, a, &v, &eoff, &emsg);
    if (err) {
        yg__taxii_server_seterr(ic->s, "%s: byte %zu: %s", name, eoff, emsg);
        return err;
    }
    const struct yg_tj *objs = yg__tj_get(v, "objects");
    if (!objs || objs->type != YG_TJ_ARR) {
        yg__taxii_server_seterr(ic->s, "%s: not a STIX bundle, a TAXII envelope or JSON lines",
                                name);
        return YG_ESYNTAX;
    }
    for (size_t i = 0; i < objs->n; i++)
        YG_TRY(import_value(ic, text, objs->kids[i]));
done:
    return err;
}

/* After a failed import: nothing of it stays, and the message says why
 * (the store's own for a database error). */
static void import_failed(struct yg_taxii_server *s, yg_err err)
{
    yg__taxii_store_rollback(s->st);
    if (err == YG_EIO)
        yg__taxii_server_seterr(s, "%s", yg__taxii_store_errmsg(s->st));
    else if (err == YG_ENOMEM && !s->errmsg[0])
        yg__taxii_server_seterr(s, "out of memory");
}

yg_err yg__taxii_import_buffer(struct yg_taxii_server *s, const char *coll, const char *text,
                               size_t len, uint64_t *added, uint64_t *refused)
{
    s->errmsg[0] = 0;
    long ci = yg__taxii_cfg_coll(s->cfg, coll);
    if (ci < 0) {
        yg__taxii_server_seterr(s, "%s: no such collection in the configuration", coll);
        return YG_ENOTFOUND;
    }
    struct import_ctx ic = {.s = s, .col = &s->cfg->colls[ci]};
    yg_buf_init(&ic.tmp, YG_TAXII_MAX_CONTENT_LENGTH_CAP);
    struct yg_arena a;
    yg_arena_init(&a, 1u << 16, (size_t)YG_TAXII_MAX_CONTENT_LENGTH_CAP * 4);
    pthread_mutex_lock(&s->mu);
    yg_err err = import_whole(&ic, &a, "bundle", text, len);
    if (!err && ic.in_tx)
        err = yg__taxii_store_commit(s->st);
    if (err)
        import_failed(s, err);
    pthread_mutex_unlock(&s->mu);
    *added = ic.added - ic.dups;
    *refused = ic.refused;
    yg_buf_free(&ic.tmp);
    yg_arena_free(&a);
    return err;
}

yg_err yg__taxii_import(struct yg_taxii_server *s, const char *coll, const char *path,
                        uint64_t *added, uint64_t *refused)
{
    s->errmsg[0] = 0;
    long ci = yg__taxii_cfg_coll(s->cfg, coll);
    if (ci < 0) {
        yg__taxii_server_seterr(s, "%s: no such collection in the configuration", coll);
        return YG_ENOTFOUND;
    }
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        yg__taxii_server_seterr(s, "%s: %s", path, strerror(errno));
        return YG_EIO;
    }
    struct import_ctx ic = {.s = s, .col = &s->cfg->colls[ci]};
    yg_buf_init(&ic.tmp, YG_TAXII_MAX_CONTENT_LENGTH_CAP);
    struct yg_arena a;
    yg_arena_init(&a, 1u << 16, (size_t)YG_TAXII_MAX_CONTENT_LENGTH_CAP * 4);
    struct yg_buf doc;
    yg_buf_init(&doc, YG_TAXII_MAX_CONTENT_LENGTH_CAP);
    yg_err err = YG_OK;
    char *line = NULL;
    size_t cap = 0;
    ssize_t ln;
    uint64_t lineno = 0;
    bool jsonl = true;
    pthread_mutex_lock(&s->mu);
    /* JSON lines of objects are imported as they are read; anything else
     * (a pretty-printed bundle or envelope) is read whole first. */
    while ((ln = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (jsonl) {
            size_t k = 0;
            while (k < (size_t)ln && isspace((unsigned char)line[k]))
                k++;
            if (k == (size_t)ln)
                continue;
            struct yg_tj *v;
            size_t eoff;
            const char *emsg;
            yg_arena_reset(&a);
            yg_err perr = yg__tj_parse(line, (size_t)ln, &a, &v, &eoff, &emsg);
            if (perr == YG_OK && v->type == YG_TJ_OBJ && !yg__tj_get(v, "objects")) {
                err = import_value(&ic, line, v);
                if (err)
                    goto done;
                continue;
            }
            if ((ic.added || ic.refused) && perr != YG_OK) {
                yg__taxii_server_seterr(s, "%s:%llu: byte %zu: %s", path,
                                        (unsigned long long)lineno, eoff, emsg);
                err = YG_ESYNTAX;
                goto done;
            }
            if (ic.added || ic.refused) {
                yg__taxii_server_seterr(s, "%s:%llu: not a JSON object", path,
                                        (unsigned long long)lineno);
                err = YG_ESYNTAX;
                goto done;
            }
            jsonl = false;
        }
        err = yg_buf_add(&doc, line, (size_t)ln);
        if (err) {
            yg__taxii_server_seterr(s, "%s: too large to import whole (use JSON lines)", path);
            goto done;
        }
    }
    if (!jsonl)
        YG_TRY(import_whole(&ic, &a, path, doc.p ? doc.p : "", doc.n));
    if (ic.in_tx)
        err = yg__taxii_store_commit(s->st);
done:
    if (err)
        import_failed(s, err);
    pthread_mutex_unlock(&s->mu);
    *added = ic.added;
    *refused = ic.refused;
    free(line);
    if (f != stdin)
        fclose(f);
    yg_buf_free(&doc);
    yg_buf_free(&ic.tmp);
    yg_arena_free(&a);
    return err;
}
