/*
 * out_webhook.c - each alert POSTed as JSON to an HTTP(S) endpoint, with a
 * disk spool so that no alert is lost while the endpoint is down.
 *
 * write() puts the alert in a file of the spool directory, named
 * <16 hex sequence>-<alert id>.json so that a directory listing sorts in
 * write order, and queues the name.  A worker thread POSTs the queued files
 * in order with libcurl (easy interface, connect and total timeouts) and
 * removes a file once the endpoint answers 2xx.  Anything else is retried
 * after an exponentially growing delay, except a 4xx other than 408 and
 * 429: the endpoint refuses that alert, so resending cannot help; the file
 * is renamed to *.rejected for an operator and the alert counted dropped.
 *
 * flush() makes the spool durable: it fsyncs the files written since the
 * last flush that are still there (the others were delivered) and the
 * directory.  When it returns, every written alert is delivered or in the
 * spool, which is the sink's half of the at-least-once contract.
 *
 * When the sink is created, files already in the spool (a previous run
 * stopped before delivering them) are queued first.  A file written but
 * never flushed may be empty or cut short after a crash; such a file is
 * removed rather than sent, which is safe because its alert was not flushed
 * and so its record's checkpoint was not stored: the record is replayed.
 */
#include "output/sendq.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "yagura/version.h"

struct item {
    struct yg_sendq_item link; /* in the queue, or the list of unsynced files */
    char name[];               /* file name inside the spool directory */
};

struct webhook {
    struct yg_sink base;
    char *url, *dir;
    struct curl_slist *headers;
    unsigned timeout_ms, connect_ms;
    uint64_t seq;
    char *path; /* scratch: dir + "/" + name */
    size_t pathcap;

    struct yg_sendq q; /* to deliver, in order */
    /* Items written since the last flush (caller thread only). */
    struct yg_sendq_item *unsynced;
    CURL *curl;  /* worker only */
    char *wpath; /* worker's scratch path */
};

static struct item *item_new(const char *name)
{
    size_t n = strlen(name);
    struct item *it = yg_malloc(sizeof *it + n + 1);
    if (!it)
        return NULL;
    it->link.next = NULL;
    memcpy(it->name, name, n + 1);
    return it;
}

/* libcurl progress callback: abort a transfer in flight when stopping. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    struct webhook *w = ud;
    return __atomic_load_n(&w->q.stop, __ATOMIC_RELAXED) ? 1 : 0;
}

/* The endpoint's answer body is not needed; discard it. */
static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    (void)p, (void)ud;
    return sz * n;
}

static bool looks_complete(const char *p, size_t n)
{
    while (n && (p[n - 1] == '\n' || p[n - 1] == ' ' || p[n - 1] == '\r' || p[n - 1] == '\t'))
        n--;
    return n >= 2 && p[0] == '{' && p[n - 1] == '}';
}

static enum yg_send_outcome post_one(void *ud, struct yg_sendq_item *it)
{
    struct webhook *w = ud;
    const char *name = ((struct item *)it)->name;
    snprintf(w->wpath, w->pathcap, "%s/%s", w->dir, name);
    char *body = NULL;
    size_t n = 0;
    yg_err err = yg_file_read(w->wpath, YG_MAX_EVENT_BYTES * 2, &body, &n);
    if (err != YG_OK) {
        int e = errno;
        struct stat sb;
        if (stat(w->wpath, &sb) != 0 && errno == ENOENT)
            return YG_SEND_GONE;
        yg__sendq_error(&w->q, "reading %s: %s", w->wpath, strerror(e));
        return YG_SEND_RETRY;
    }
    if (!looks_complete(body, n)) {
        yg_free(body);
        (void)unlink(w->wpath);
        yg__sendq_error(&w->q, "removed damaged spool file %s (%zu bytes)", name, n);
        YG_SINK_COUNT(&w->base, failed, 1);
        return YG_SEND_GONE;
    }
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(w->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    CURLcode rc = curl_easy_perform(w->curl);
    yg_free(body);
    long code = 0;
    curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
    if (rc != CURLE_OK) {
        yg__sendq_error(&w->q, "POST to %s: %s", w->url, curl_easy_strerror(rc));
        return YG_SEND_RETRY;
    }
    if (code >= 200 && code < 300) {
        if (unlink(w->wpath) != 0 && errno != ENOENT)
            yg__sendq_error(&w->q, "removing delivered spool file %s: %s", name, strerror(errno));
        return YG_SEND_OK;
    }
    yg__sendq_error(&w->q, "endpoint %s answered HTTP %ld", w->url, code);
    if (code >= 400 && code < 500 && code != 408 && code != 429) {
        char *rej = yg_malloc(strlen(w->wpath) + 10);
        if (rej) {
            snprintf(rej, strlen(w->wpath) + 10, "%s.rejected", w->wpath);
            (void)rename(w->wpath, rej);
            yg_free(rej);
        }
        return YG_SEND_REJECTED;
    }
    return YG_SEND_RETRY;
}

static yg_err write_file(struct webhook *w, const char *path, const char *p, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        goto fail;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            (void)unlink(path);
            errno = e;
            goto fail;
        }
        p += k;
        n -= (size_t)k;
    }
    if (close(fd) != 0)
        goto fail;
    return YG_OK;
fail:
    snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: spooling to %s: %s", w->base.name,
             path, strerror(errno));
    return YG_EIO;
}

static yg_err webhook_write(struct yg_sink *s, const struct yg_alert_row *row)
{
    struct webhook *w = (struct webhook *)s;
    yg_err err = YG_OK;
    char name[96];
    snprintf(name, sizeof name, "%016" PRIx64 "-%.32s.json", w->seq, row->id ? row->id : "");
    struct item *q = item_new(name), *u = item_new(name);
    if (!q || !u) {
        snprintf(s->why, sizeof s->why, "webhook sink %s: out of memory", s->name);
        err = YG_ENOMEM;
        goto done;
    }
    snprintf(w->path, w->pathcap, "%s/%s", w->dir, name);
    YG_TRY(write_file(w, w->path, row->json, strlen(row->json)));
    w->seq++;
    YG_SINK_COUNT(s, spooled, 1);
    u->link.next = w->unsynced;
    w->unsynced = &u->link;
    u = NULL;
    yg__sendq_push(&w->q, &q->link);
    q = NULL;
done:
    if (err != YG_OK)
        YG_SINK_COUNT(s, failed, 1);
    yg_free(q);
    yg_free(u);
    return err;
}

static yg_err webhook_flush(struct yg_sink *s)
{
    struct webhook *w = (struct webhook *)s;
    yg_err err = YG_OK;
    bool any = w->unsynced != NULL;
    while (w->unsynced) {
        struct item *u = (struct item *)w->unsynced;
        snprintf(w->path, w->pathcap, "%s/%s", w->dir, u->name);
        int fd = open(w->path, O_RDONLY | O_CLOEXEC);
        /* ENOENT: delivered and removed since it was written. */
        if (fd < 0 && errno != ENOENT) {
            snprintf(s->why, sizeof s->why, "webhook sink %s: opening %s: %s", s->name, w->path,
                     strerror(errno));
            err = YG_EIO;
            break;
        }
        if (fd >= 0) {
            int rc = fsync(fd);
            int e = errno;
            close(fd);
            if (rc != 0) {
                snprintf(s->why, sizeof s->why, "webhook sink %s: syncing %s: %s", s->name, w->path,
                         strerror(e));
                err = YG_EIO;
                break;
            }
        }
        w->unsynced = u->link.next;
        yg_free(u);
    }
    if (err == YG_OK && any) {
        int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || fsync(dfd) != 0) {
            snprintf(s->why, sizeof s->why, "webhook sink %s: syncing %s: %s", s->name, w->dir,
                     strerror(errno));
            err = YG_EIO;
        }
        if (dfd >= 0)
            close(dfd);
    }
    if (err == YG_OK) {
        pthread_mutex_lock(&w->q.mu);
        if (w->q.err[0] && w->q.qlen)
            snprintf(s->why, sizeof s->why, "webhook sink %s: %zu alerts spooled (%.150s)", s->name,
                     w->q.qlen, w->q.err);
        pthread_mutex_unlock(&w->q.mu);
    }
    if (err != YG_OK)
        YG_SINK_COUNT(s, failed, 1);
    return err;
}

uint64_t yg__out_webhook_pending(struct yg_sink *s)
{
    return yg__sendq_pending(&((struct webhook *)s)->q);
}

static void free_list(struct yg_sendq_item *it)
{
    while (it) {
        struct yg_sendq_item *n = it->next;
        yg_free(it);
        it = n;
    }
}

static void webhook_destroy(struct yg_sink *s)
{
    struct webhook *w = (struct webhook *)s;
    if (w->path)
        (void)webhook_flush(s);
    yg__sendq_stop(&w->q);
    /* Undelivered alerts stay in the spool for the next start. */
    free_list(yg__sendq_destroy(&w->q));
    free_list(w->unsynced);
    if (w->curl)
        curl_easy_cleanup(w->curl);
    curl_slist_free_all(w->headers);
    yg_free(w->url);
    yg_free(w->dir);
    yg_free(w->path);
    yg_free(w->wpath);
    yg_free(s->name);
    yg_free(w);
}

static const struct yg_sink_ops webhook_ops = {
    .kind = "webhook",
    .write = webhook_write,
    .flush = webhook_flush,
    .reopen = NULL,
    .destroy = webhook_destroy,
};

static bool is_spool_name(const char *n)
{
    size_t l = strlen(n);
    if (l < 22 || strcmp(n + l - 5, ".json") != 0 || n[16] != '-')
        return false;
    for (int i = 0; i < 16; i++)
        if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
            return false;
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Queue the files a previous run left, oldest first, and continue the
 * sequence after the newest. */
static yg_err load_spool(struct webhook *w)
{
    yg_err err = YG_OK;
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(w->dir);
    if (!d) {
        snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: opening the spool %s: %s",
                 w->base.name, w->dir, strerror(errno));
        return YG_EIO;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!is_spool_name(de->d_name))
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = yg_realloc(names, nc * sizeof *names);
            if (!nn)
                goto nomem;
            names = nn;
            cap = nc;
        }
        names[n] = yg_strndup(de->d_name, strlen(de->d_name));
        if (!names[n])
            goto nomem;
        n++;
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        struct item *it = item_new(names[i]);
        if (!it)
            goto nomem;
        yg__sendq_push(&w->q, &it->link);
        uint64_t seq = strtoull(names[i], NULL, 16);
        if (seq >= w->seq)
            w->seq = seq + 1;
        YG_SINK_COUNT(&w->base, spooled, 1);
    }
    goto done;
nomem:
    snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: out of memory", w->base.name);
    err = YG_ENOMEM;
done:
    closedir(d);
    for (size_t i = 0; i < n; i++)
        yg_free(names[i]);
    yg_free(names);
    return err;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;
static void curl_setup(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static yg_err setup_curl(struct webhook *w, const struct yg_webhook_opts *o)
{
    w->curl = curl_easy_init();
    if (!w->curl)
        goto nomem;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    if (!h)
        goto nomem;
    w->headers = h;
    /* No "Expect: 100-continue" round trip for small bodies. */
    if (!(h = curl_slist_append(w->headers, "Expect:")))
        goto nomem;
    for (const char *const *p = o->headers; p && *p; p++)
        if (!(h = curl_slist_append(w->headers, *p)))
            goto nomem;
    CURL *c = w->curl;
    curl_easy_setopt(c, CURLOPT_URL, w->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, w->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "yagura/" YG_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)w->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)w->connect_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, w);
    /* Redirects could turn the POST into a GET and lose the alert. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    return YG_OK;
nomem:
    snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: out of memory", w->base.name);
    return YG_ENOMEM;
}

yg_err yg__out_webhook_new(const char *name, const struct yg_webhook_opts *o, struct yg_sink **out)
{
    yg_err err = YG_OK;
    *out = NULL;
    if (!o->url || !*o->url || !o->spool_dir || !*o->spool_dir)
        return yg__sink_failed(out, YG_EINVAL,
                               "webhook sink %s: url and spool directory are required", name);
    pthread_once(&curl_once, curl_setup);
    if (curl_init_rc != CURLE_OK)
        return yg__sink_failed(out, YG_EIO, "webhook sink %s: initialising libcurl: %s", name,
                               curl_easy_strerror(curl_init_rc));
    if (mkdir(o->spool_dir, 0700) != 0 && errno != EEXIST)
        return yg__sink_failed(out, YG_EIO, "webhook sink %s: creating the spool %s: %s", name,
                               o->spool_dir, strerror(errno));
    struct webhook *w = yg_calloc(1, sizeof *w);
    if (!w)
        return yg__sink_failed(out, YG_ENOMEM, "webhook sink %s: out of memory", name);
    w->base.ops = &webhook_ops;
    w->timeout_ms = o->timeout_ms ? o->timeout_ms : YG_SINK_WEBHOOK_TIMEOUT_MS;
    w->connect_ms = o->connect_timeout_ms ? o->connect_timeout_ms : YG_SINK_WEBHOOK_CONNECT_MS;
    yg__sendq_init(&w->q, &w->base, o->backoff_min_ms, o->backoff_max_ms);
    w->pathcap = strlen(o->spool_dir) + 128;
    w->base.name = yg_strndup(name, strlen(name));
    w->url = yg_strndup(o->url, strlen(o->url));
    w->dir = yg_strndup(o->spool_dir, strlen(o->spool_dir));
    w->path = yg_malloc(w->pathcap);
    w->wpath = yg_malloc(w->pathcap);
    if (!w->base.name || !w->url || !w->dir || !w->path || !w->wpath) {
        snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: out of memory", name);
        err = YG_ENOMEM;
        goto done;
    }
    YG_TRY(setup_curl(w, o));
    YG_TRY(load_spool(w));
    int rc = yg__sendq_start(&w->q, post_one, w);
    if (rc != 0) {
        snprintf(w->base.why, sizeof w->base.why, "webhook sink %s: starting its thread: %s", name,
                 strerror(rc));
        err = YG_ENOMEM;
        goto done;
    }
done:
    if (err != YG_OK) {
        /* The half-built sink goes; its message moves to the handle the
         * caller gets (sink.h). */
        err = yg__sink_failed(out, err, "%s", w->base.why);
        webhook_destroy(&w->base);
        return err;
    }
    *out = &w->base;
    return YG_OK;
}
