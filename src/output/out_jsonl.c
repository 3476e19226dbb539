/*
 * out_jsonl.c - alerts as JSON lines appended to a file.
 *
 * The file rotates by size on its own (alerts.jsonl -> alerts.jsonl.1 ->
 * ... -> alerts.jsonl.<keep>, the oldest removed), or is reopened after an
 * external tool (logrotate) moved it, when the service gets SIGHUP and
 * calls reopen().  flush() is an fdatasync of the file, plus an fsync of
 * the directory when a rotation or creation changed its entries, so a
 * flushed alert survives a power loss under the name it was written to.
 */
#include "output/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

struct jsonl {
    struct yg_sink base;
    char *path, *dir;
    char *from, *to; /* scratch for rotated names: path + ".<n>" */
    size_t namecap;
    uint64_t max_bytes, size;
    unsigned keep;
    int fd;
    bool unsynced, dir_dirty;
    struct yg_buf line;
};

static yg_err sys_fail(struct jsonl *j, const char *what, const char *path)
{
    int e = errno;
    snprintf(j->base.why, sizeof j->base.why, "%s %s: %s", what, path, strerror(e));
    YG_SINK_COUNT(&j->base, failed, 1);
    return YG_EIO;
}

static yg_err open_file(struct jsonl *j)
{
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (j->fd < 0)
        return sys_fail(j, "opening", j->path);
    struct stat sb;
    if (fstat(j->fd, &sb) != 0) {
        yg_err err = sys_fail(j, "reading the size of", j->path);
        close(j->fd);
        j->fd = -1;
        return err;
    }
    j->size = (uint64_t)sb.st_size;
    /* The file may have just been created. */
    j->dir_dirty = true;
    return YG_OK;
}

static void close_file(struct jsonl *j)
{
    if (j->fd >= 0) {
        if (j->unsynced)
            (void)fdatasync(j->fd);
        close(j->fd);
    }
    j->fd = -1;
    j->unsynced = false;
}

/* Shift path.(keep-1) -> path.keep ... path -> path.1.  A missing file in
 * the chain is normal (fewer rotations so far). */
static yg_err rotate(struct jsonl *j)
{
    /* The rotated file keeps its alerts durable without a later flush. */
    close_file(j);
    if (j->keep == 0) {
        if (unlink(j->path) != 0 && errno != ENOENT)
            return sys_fail(j, "removing", j->path);
    } else {
        for (unsigned i = j->keep; i >= 1; i--) {
            if (i == 1)
                snprintf(j->from, j->namecap, "%s", j->path);
            else
                snprintf(j->from, j->namecap, "%s.%u", j->path, i - 1);
            snprintf(j->to, j->namecap, "%s.%u", j->path, i);
            if (rename(j->from, j->to) != 0 && errno != ENOENT)
                return sys_fail(j, "rotating", j->from);
        }
    }
    j->dir_dirty = true;
    return open_file(j);
}

static yg_err write_all(struct jsonl *j, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(j->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return sys_fail(j, "writing", j->path);
        }
        p += w;
        n -= (size_t)w;
        j->size += (uint64_t)w;
    }
    return YG_OK;
}

/* The alert JSON with its deterministic id as the first member, so that a
 * consumer can drop the copies a replay after a crash writes again
 * (docs/sinks.md).  Alerts of rules carry no "id" member of their own;
 * correlation alerts already begin with it and are written as they are. */
static yg_err add_with_id(struct yg_buf *b, const struct yg_alert_row *row, size_t n)
{
    const char *p = row->json;
    size_t i = 1;
    if (!row->id || !row->id[0] || n < 2 || p[0] != '{')
        return yg_buf_add(b, p, n);
    while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
        i++;
    if (n - i >= 5 && memcmp(p + i, "\"id\"", 4) == 0) {
        size_t k = i + 4;
        while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\n' || p[k] == '\r'))
            k++;
        if (k < n && p[k] == ':')
            return yg_buf_add(b, p, n);
    }
    yg_err err = YG_OK;
    YG_TRY(yg_buf_add(b, "{\"id\":", 6));
    YG_TRY(yg_buf_add_json_str(b, row->id, strlen(row->id)));
    if (i < n && p[i] != '}')
        YG_TRY(yg_buf_addc(b, ','));
    YG_TRY(yg_buf_add(b, p + 1, n - 1));
done:
    return err;
}

static yg_err jsonl_write(struct yg_sink *s, const struct yg_alert_row *row)
{
    struct jsonl *j = (struct jsonl *)s;
    yg_err err = YG_OK;
    size_t n = strlen(row->json);
    yg_buf_reset(&j->line);
    YG_TRY(add_with_id(&j->line, row, n));
    /* One alert, one line: a raw line break can only be whitespace between
     * JSON tokens (inside strings it would be invalid JSON anyway). */
    for (size_t i = 0; i < j->line.n; i++)
        if (j->line.p[i] == '\n' || j->line.p[i] == '\r')
            j->line.p[i] = ' ';
    YG_TRY(yg_buf_addc(&j->line, '\n'));
    if (j->fd < 0)
        YG_TRY(open_file(j));
    if (j->max_bytes && j->size > 0 && j->size + j->line.n > j->max_bytes)
        YG_TRY(rotate(j));
    YG_TRY(write_all(j, j->line.p, j->line.n));
    j->unsynced = true;
    YG_SINK_COUNT(s, written, 1);
done:
    if (err == YG_ENOMEM)
        snprintf(s->why, sizeof s->why, "%s: out of memory", j->path);
    return err;
}

static yg_err jsonl_flush(struct yg_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    if (j->fd >= 0 && j->unsynced) {
        if (fdatasync(j->fd) != 0)
            return sys_fail(j, "syncing", j->path);
        j->unsynced = false;
    }
    if (j->dir_dirty) {
        int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
            return sys_fail(j, "opening the directory", j->dir);
        int rc = fsync(dfd);
        close(dfd);
        if (rc != 0)
            return sys_fail(j, "syncing the directory", j->dir);
        j->dir_dirty = false;
    }
    return YG_OK;
}

static yg_err jsonl_reopen(struct yg_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    close_file(j);
    return open_file(j);
}

static void jsonl_destroy(struct yg_sink *s)
{
    struct jsonl *j = (struct jsonl *)s;
    (void)jsonl_flush(s);
    close_file(j);
    yg_buf_free(&j->line);
    yg_free(j->path);
    yg_free(j->dir);
    yg_free(j->from);
    yg_free(j->to);
    yg_free(s->name);
    yg_free(j);
}

static const struct yg_sink_ops jsonl_ops = {
    .kind = "jsonl",
    .write = jsonl_write,
    .flush = jsonl_flush,
    .reopen = jsonl_reopen,
    .destroy = jsonl_destroy,
};

yg_err yg__out_jsonl_new(const char *name, const struct yg_jsonl_opts *o, struct yg_sink **out)
{
    yg_err err = YG_OK;
    *out = NULL;
    if (!o->path || !*o->path)
        return yg__sink_failed(out, YG_EINVAL, "jsonl sink %s: no path", name);
    struct jsonl *j = yg_calloc(1, sizeof *j);
    if (!j)
        goto nomem;
    j->fd = -1;
    j->base.ops = &jsonl_ops;
    j->max_bytes = o->max_bytes;
    j->keep = o->keep;
    yg_buf_init(&j->line, YG_MAX_EVENT_BYTES * 2);
    size_t pl = strlen(o->path);
    j->namecap = pl + 16;
    j->base.name = yg_strndup(name, strlen(name));
    j->path = yg_strndup(o->path, pl);
    j->from = yg_malloc(j->namecap);
    j->to = yg_malloc(j->namecap);
    const char *slash = strrchr(o->path, '/');
    j->dir = slash ? yg_strndup(o->path, slash == o->path ? 1 : (size_t)(slash - o->path))
                   : yg_strndup(".", 1);
    if (!j->base.name || !j->path || !j->from || !j->to || !j->dir)
        goto nomem;
    err = open_file(j);
    if (err != YG_OK) {
        err = yg__sink_failed(out, err, "jsonl sink %s: %s", name, j->base.why);
        jsonl_destroy(&j->base);
        return err;
    }
    *out = &j->base;
    return YG_OK;
nomem:
    if (j)
        jsonl_destroy(&j->base);
    return yg__sink_failed(out, YG_ENOMEM, "jsonl sink %s: out of memory", name);
}
