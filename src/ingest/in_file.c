/*
 * in_file.c - tailing every file that matches a glob.
 *
 * A file is known by its device and inode, not by its name: names are
 * what rotation changes.  Each tracked file keeps its descriptor open, so
 * its inode cannot be reused while we read it, and a file renamed away or
 * deleted can still be read to its end.
 *
 * Rotation kinds and how each is seen:
 *  - rename (app.log -> app.log.1, new app.log): the glob's path now names
 *    another inode.  The old file becomes "detached" and is read to its end
 *    first; the new file waits behind it (both report under the same
 *    checkpoint key, whose value must move forward in one file at a time).
 *    The old file is let go once drained and either the new file has data
 *    (a writer only writes there after closing the old one) or it has not
 *    grown for rotate_wait.
 *  - copy-truncate: same inode, size below what was read: read again from 0.
 *  - truncate and rewrite past our offset: caught by the fingerprint (the
 *    first 256 bytes as we read them), compared on every rescan.
 *  - delete and re-create: like rename; the deleted file is read to its end.
 *  - new files matching the glob: found by the rescan, read from 0.
 *
 * Checkpoints are "file:<path>" -> "<dev>:<ino>:<offset>:<fingerprint>",
 * the offset being just past the record handed out and the fingerprint a
 * hash of the file's first min(256, offset) bytes.  Because the hashed
 * length is derived from the offset, the check on restore is exact even
 * for files shorter than 256 bytes, and a line's record id is the same
 * however often it is replayed.  On restore a checkpoint is matched by
 * inode (the file may have been renamed meanwhile, even out of the glob:
 * the directory of its path is searched), then by fingerprint: a reused
 * inode with other content is read from 0.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/inotify.h>
#endif

#include "ingest/ingest.h"

#define FP_BYTES 256u

struct tfile {
    char *path; /* the name it has now (or had last) */
    char *key;  /* "file:<path it was found under>" */
    int fd;
    uint64_t dev, ino;
    uint64_t rd;          /* file offset read up to */
    uint64_t size, nlink; /* from the last fstat */
    struct yg_lines lines;
    bool numbered; /* read from offset 0, so line numbers are known */
    unsigned char head[FP_BYTES];
    size_t head_n;      /* first bytes of the file, as read */
    bool detached;      /* its key's path names another file now, or none */
    bool seen;          /* matched by the latest glob */
    bool finished;      /* handed out its last record; removed on the next call */
    uint64_t grown;     /* when it last grew (ms) */
    struct tfile *prev; /* detached predecessor under the same key, read first */
};

struct ckpt {
    char *path;
    uint64_t dev, ino, off, fp;
    bool valid, used;
};

struct in_file {
    struct yg_input in;
    char *glob;
    bool start_at_end;
    unsigned rescan_ms, rotate_wait_ms;
    uint64_t last_scan;
    bool scanned, dirty;
    struct tfile **files;
    size_t nfiles, cap;
    size_t cursor;
    struct ckpt *ck;
    size_t nck;
    char *readbuf;
    struct yg_buf val, id;
    struct yg_wake wake;
    int ino_fd;      /* inotify descriptor, or -1 */
    char *watch_dir; /* directory watched (the glob's, when it has no wildcard) */
    bool watching;
};

static uint64_t fp_of(const unsigned char *p, size_t n)
{
    return yg_hash(p, n < FP_BYTES ? n : FP_BYTES);
}

static void tfile_free(struct tfile *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    yg__lines_free(&f->lines);
    yg_free(f->path);
    yg_free(f->key);
    yg_free(f);
}

/* Start reading f at off (0 on truncation or new content). */
static void tfile_reset(struct tfile *f, uint64_t off, bool skip_partial)
{
    yg__lines_free(&f->lines);
    yg__lines_init(&f->lines, YG_MAX_EVENT_BYTES, off);
    f->lines.skipping = skip_partial;
    f->rd = off;
    f->numbered = off == 0;
    ssize_t r = 0;
    size_t want = off < FP_BYTES ? (size_t)off : FP_BYTES;
    if (want)
        r = pread(f->fd, f->head, want, 0);
    f->head_n = r > 0 ? (size_t)r : 0;
}

static struct tfile *find_inode(struct in_file *fi, uint64_t dev, uint64_t ino)
{
    for (size_t i = 0; i < fi->nfiles; i++)
        if (fi->files[i]->dev == dev && fi->files[i]->ino == ino && !fi->files[i]->finished)
            return fi->files[i];
    return NULL;
}

/* The newest file under key: the one a new file at that path follows. */
static struct tfile *last_with_key(struct in_file *fi, const char *key)
{
    for (size_t i = fi->nfiles; i-- > 0;)
        if (!fi->files[i]->finished && strcmp(fi->files[i]->key, key) == 0)
            return fi->files[i];
    return NULL;
}

static bool ckpt_has_path(struct in_file *fi, const char *path)
{
    for (size_t i = 0; i < fi->nck; i++)
        if (strcmp(fi->ck[i].path, path) == 0)
            return true;
    return false;
}

/* Does the file behind fd still start with the bytes a checkpoint hashed? */
static bool ckpt_fits(const struct ckpt *c, int fd, uint64_t size)
{
    if (!c->valid || size < c->off)
        return false;
    unsigned char head[FP_BYTES];
    size_t want = c->off < FP_BYTES ? (size_t)c->off : FP_BYTES;
    ssize_t r = want ? pread(fd, head, want, 0) : 0;
    return r == (ssize_t)want && fp_of(head, want) == c->fp;
}

/* A checkpoint for this inode whose fingerprint still fits, or NULL; of
 * several (the file was renamed within the glob), the furthest. */
static struct ckpt *ckpt_for(struct in_file *fi, int fd, const struct stat *st)
{
    struct ckpt *best = NULL;
    for (size_t i = 0; i < fi->nck; i++) {
        struct ckpt *c = &fi->ck[i];
        if (c->used || !c->valid || c->dev != (uint64_t)st->st_dev ||
            c->ino != (uint64_t)st->st_ino)
            continue;
        if (ckpt_fits(c, fd, (uint64_t)st->st_size) && (!best || c->off > best->off))
            best = c;
    }
    for (size_t i = 0; best && i < fi->nck; i++)
        if (fi->ck[i].dev == best->dev && fi->ck[i].ino == best->ino)
            fi->ck[i].used = true;
    return best;
}

YG_NODISCARD static yg_err add_file(struct in_file *fi, const char *path, const char *keypath,
                                    int fd, const struct stat *st, struct tfile **out)
{
    yg_err err = YG_OK;
    struct tfile *f = NULL;
    if (fi->nfiles >= YG_MAX_TAILED_FILES) {
        fi->in.errors++;
        close(fd);
        return YG_ELIMIT;
    }
    if (fi->nfiles == fi->cap) {
        size_t nc = fi->cap ? fi->cap * 2 : 8;
        struct tfile **nf = yg_realloc(fi->files, nc * sizeof *nf);
        if (!nf) {
            close(fd);
            return YG_ENOMEM;
        }
        fi->files = nf;
        fi->cap = nc;
    }
    f = yg_calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        return YG_ENOMEM;
    }
    f->fd = fd;
    f->dev = (uint64_t)st->st_dev;
    f->ino = (uint64_t)st->st_ino;
    f->size = (uint64_t)st->st_size;
    f->nlink = (uint64_t)st->st_nlink;
    f->grown = yg__now_ms();
    yg__lines_init(&f->lines, YG_MAX_EVENT_BYTES, 0);
    f->path = yg_strndup(path, strlen(path));
    size_t kl = strlen(keypath);
    f->key = yg_malloc(kl + 6);
    if (!f->path || !f->key) {
        err = YG_ENOMEM;
        goto done;
    }
    memcpy(f->key, "file:", 5);
    memcpy(f->key + 5, keypath, kl + 1);
    fi->files[fi->nfiles++] = f;
    *out = f;
    f = NULL;
done:
    tfile_free(f);
    return err;
}

/* Where a file found by the glob starts. */
static void place_new(struct in_file *fi, struct tfile *f, int fd, const struct stat *st)
{
    struct ckpt *c = ckpt_for(fi, fd, st);
    if (c) {
        tfile_reset(f, c->off, false);
        return;
    }
    if (!fi->scanned && fi->start_at_end && !ckpt_has_path(fi, f->path)) {
        uint64_t end = (uint64_t)st->st_size;
        char last = '\n';
        if (end > 0 && pread(fd, &last, 1, (off_t)(end - 1)) != 1)
            last = '\n';
        /* Starting inside a line would hand out its tail as a record. */
        tfile_reset(f, end, last != '\n');
        return;
    }
    tfile_reset(f, 0, false);
}

static void drop_watch(struct in_file *fi);
static void try_watch(struct in_file *fi);

static void rescan(struct in_file *fi)
{
    glob_t g;
    memset(&g, 0, sizeof g);
    int gr = glob(fi->glob, 0, NULL, &g);
    for (size_t i = 0; i < fi->nfiles; i++)
        fi->files[i]->seen = false;
    for (size_t i = 0; gr == 0 && i < g.gl_pathc; i++) {
        const char *p = g.gl_pathv[i];
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        struct tfile *f = find_inode(fi, (uint64_t)st.st_dev, (uint64_t)st.st_ino);
        if (f) {
            f->seen = true;
            if (strcmp(f->path, p) != 0) {
                char *np = yg_strndup(p, strlen(p));
                if (np) {
                    yg_free(f->path);
                    f->path = np;
                }
            }
            continue;
        }
        int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            continue;
        /* The descriptor's identity, in case the name moved since stat. */
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
            find_inode(fi, (uint64_t)st.st_dev, (uint64_t)st.st_ino)) {
            close(fd);
            continue;
        }
        struct tfile *nf = NULL;
        if (add_file(fi, p, p, fd, &st, &nf) != YG_OK)
            continue;
        nf->seen = true;
        /* A new inode under a key already in use: the path was rotated. */
        for (size_t j = fi->nfiles - 1; j-- > 0;) {
            struct tfile *o = fi->files[j];
            if (!o->finished && strcmp(o->key, nf->key) == 0) {
                o->detached = true;
                nf->prev = o;
                break;
            }
        }
        place_new(fi, nf, fd, &st);
    }
    globfree(&g);
    /* Files whose path no longer names them were rotated away. */
    for (size_t i = 0; i < fi->nfiles; i++) {
        struct tfile *f = fi->files[i];
        struct stat st;
        if (f->detached || f->seen)
            continue;
        if (stat(f->path, &st) != 0 || (uint64_t)st.st_dev != f->dev ||
            (uint64_t)st.st_ino != f->ino)
            f->detached = true;
    }
    if (!fi->scanned) {
        fi->scanned = true;
        /* Checkpoints of files rotated away while we were down: look for the
         * inode next to its old path, and read it on before the new file. */
        for (size_t i = 0; i < fi->nck; i++) {
            struct ckpt *c = &fi->ck[i];
            if (c->used || !c->valid)
                continue;
            char *slash = strrchr(c->path, '/');
            char *dir =
                slash ? yg_strndup(c->path, (size_t)(slash - c->path) + 1) : yg_strndup(".", 1);
            DIR *d = dir ? opendir(dir) : NULL;
            struct dirent *de;
            while (d && (de = readdir(d)) != NULL) {
                struct stat st;
                /* d_ino is not compared: overlay filesystems report another. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode) ||
                    (uint64_t)st.st_dev != c->dev || (uint64_t)st.st_ino != c->ino)
                    continue;
                int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
                if (fd < 0)
                    break;
                if (fstat(fd, &st) != 0 || !ckpt_fits(c, fd, (uint64_t)st.st_size)) {
                    close(fd);
                    break;
                }
                struct tfile *succ = NULL;
                char *key = yg_malloc(strlen(c->path) + 6);
                if (key) {
                    memcpy(key, "file:", 5);
                    strcpy(key + 5, c->path);
                    succ = last_with_key(fi, key);
                    yg_free(key);
                }
                struct tfile *nf = NULL;
                if (add_file(fi, c->path, c->path, fd, &st, &nf) == YG_OK) {
                    tfile_reset(nf, c->off, false);
                    nf->detached = true;
                    if (succ)
                        succ->prev = nf;
                    c->used = true;
                }
                break;
            }
            if (d)
                closedir(d);
            yg_free(dir);
        }
    }
}

/* Read what is new in f, within one read budget.  Returns true if more
 * is left to read (the next service should not wait). */
static bool pump(struct in_file *fi, struct tfile *f, bool check_fp, uint64_t now)
{
    struct stat st;
    if (f->fd < 0 || f->finished || fstat(f->fd, &st) != 0)
        return false;
    check_fp |= (uint64_t)st.st_size != f->size;
    f->size = (uint64_t)st.st_size;
    f->nlink = (uint64_t)st.st_nlink;
    if (f->size < f->rd) {
        /* copy-truncate: the same inode starts over. */
        tfile_reset(f, 0, false);
    } else if (check_fp && f->head_n > 0) {
        unsigned char now_head[FP_BYTES];
        ssize_t r = pread(f->fd, now_head, f->head_n, 0);
        if (r != (ssize_t)f->head_n || memcmp(now_head, f->head, f->head_n) != 0)
            tfile_reset(f, 0, false); /* truncated and written past our offset */
    }
    size_t budget = YG_INGEST_READ_CHUNK;
    while (f->rd < f->size && budget > 0) {
        size_t room = yg__lines_room(&f->lines);
        if (room == 0)
            return true; /* records wait to be taken */
        uint64_t left = f->size - f->rd;
        size_t want = budget < room ? budget : room;
        if (left < want)
            want = (size_t)left;
        ssize_t r = pread(f->fd, fi->readbuf, want, (off_t)f->rd);
        if (r <= 0) {
            if (r < 0)
                fi->in.errors++;
            return false;
        }
        if (yg__lines_push(&f->lines, fi->readbuf, (size_t)r) != YG_OK) {
            fi->in.errors++;
            return false;
        }
        if (f->head_n < FP_BYTES && f->rd == f->head_n) {
            size_t k = FP_BYTES - f->head_n;
            if (k > (size_t)r)
                k = (size_t)r;
            memcpy(f->head + f->head_n, fi->readbuf, k);
            f->head_n += k;
        }
        f->rd += (uint64_t)r;
        f->grown = now;
        budget -= (size_t)r;
    }
    return f->rd < f->size;
}

static void remove_finished(struct in_file *fi)
{
    size_t w = 0;
    for (size_t i = 0; i < fi->nfiles; i++) {
        struct tfile *f = fi->files[i];
        if (!f->finished) {
            fi->files[w++] = f;
            continue;
        }
        for (size_t j = 0; j < fi->nfiles; j++)
            if (fi->files[j]->prev == f)
                fi->files[j]->prev = NULL;
        tfile_free(f);
    }
    fi->nfiles = w;
    if (fi->cursor >= w)
        fi->cursor = 0;
}

static void drain_inotify(struct in_file *fi)
{
#ifdef __linux__
    if (fi->ino_fd < 0)
        return;
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t r;
    while ((r = read(fi->ino_fd, ev, sizeof ev)) > 0) {
        for (char *p = ev; p < ev + r;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE))
                fi->dirty = true;
            if (e->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
                fi->watching = false; /* the directory went away: watch again later */
            p += sizeof *e + e->len;
        }
    }
    if (!fi->watching)
        drop_watch(fi);
#else
    (void)fi;
#endif
}

static yg_err file_service(struct yg_input *in)
{
    struct in_file *fi = (struct in_file *)in;
    uint64_t now = yg__now_ms();
    yg__wake_drain(&fi->wake);
    drain_inotify(fi);
    remove_finished(fi);
    /* Events from inotify only shorten the wait, never below 100 ms, so a
     * directory that churns cannot make us expand the glob in a loop. */
    uint64_t since = now - fi->last_scan;
    bool scan = !fi->scanned || since >= fi->rescan_ms || (fi->dirty && since >= 100);
    if (scan) {
        fi->dirty = false;
        fi->last_scan = now;
        if (!fi->watching)
            try_watch(fi);
        rescan(fi);
    }
    bool more = false;
    for (size_t i = 0; i < fi->nfiles; i++)
        more |= pump(fi, fi->files[i], scan, now);
    if (more)
        yg__wake_set(&fi->wake);
    return YG_OK;
}

/* Is this rotated-away file done: read to its end, and either its
 * successor has data (the writer moved on) or it is idle for rotate_wait? */
static bool let_go(struct in_file *fi, struct tfile *f, uint64_t now)
{
    if (!f->detached || f->rd < f->size)
        return false;
    for (size_t i = 0; i < fi->nfiles; i++)
        if (fi->files[i]->prev == f && fi->files[i]->size > 0)
            return true;
    return now - f->grown >= fi->rotate_wait_ms;
}

static yg_err emit(struct in_file *fi, struct tfile *f, const char *msg, size_t len,
                   struct yg_record *rec)
{
    yg_err err = YG_OK;
    uint64_t fp = fp_of(f->head, f->lines.end < f->head_n ? (size_t)f->lines.end : f->head_n);
    yg_buf_reset(&fi->val);
    yg_buf_reset(&fi->id);
    YG_TRY(yg_buf_addf(&fi->val, "%" PRIu64 ":%" PRIu64 ":%" PRIu64 ":%016" PRIx64, f->dev, f->ino,
                       f->lines.end, fp));
    YG_TRY(yg_buf_addf(&fi->id, "%" PRIu64 ":%" PRIu64 ":%016" PRIx64 ":%" PRIu64, f->dev, f->ino,
                       fp, f->lines.start));
    rec->data = msg;
    rec->len = len;
    rec->source = f->path;
    rec->line = f->numbered ? f->lines.line - 1 : 0;
    rec->ckpt_key = f->key;
    rec->ckpt_val = fi->val.p;
    rec->record_id = fi->id.p;
    fi->in.records++;
    fi->in.bytes += len;
done:
    return err;
}

static yg_err file_next(struct yg_input *in, struct yg_record *rec)
{
    struct in_file *fi = (struct in_file *)in;
    uint64_t now = yg__now_ms();
    remove_finished(fi);
    for (size_t k = 0; k < fi->nfiles; k++) {
        size_t i = (fi->cursor + k) % fi->nfiles;
        struct tfile *f = fi->files[i];
        if (f->prev || f->finished)
            continue;
        const char *msg;
        size_t len;
        uint64_t errs = f->lines.errors;
        yg_err r = yg__lines_next(&f->lines, &msg, &len);
        if (f->lines.errors != errs) {
            fi->in.dropped += f->lines.errors - errs;
            snprintf(fi->in.drop_why, sizeof fi->in.drop_why,
                     "%s: a line longer than %u bytes was skipped near line %llu", f->path,
                     (unsigned)YG_MAX_EVENT_BYTES, (unsigned long long)f->lines.line);
        }
        if (r == YG_OK) {
            fi->cursor = i;
            return emit(fi, f, msg, len, rec);
        }
        if (!let_go(fi, f, now))
            continue;
        if (f->seen) {
            /* Renamed to another name the glob matches: it stays tailed,
             * now under its own name. */
            char *key = yg_malloc(strlen(f->path) + 6);
            if (!key)
                return YG_ENOMEM;
            memcpy(key, "file:", 5);
            strcpy(key + 5, f->path);
            yg_free(f->key);
            f->key = key;
            f->detached = false;
            for (size_t j = 0; j < fi->nfiles; j++)
                if (fi->files[j]->prev == f)
                    fi->files[j]->prev = NULL;
            continue;
        }
        /* The writer is gone: an unterminated last line is complete now. */
        f->finished = true;
        if (yg__lines_flush(&f->lines, &msg, &len) == YG_OK) {
            fi->cursor = i;
            return emit(fi, f, msg, len, rec);
        }
        k = (size_t)-1; /* its successor may be free to go: look again */
        remove_finished(fi);
        if (fi->nfiles == 0)
            break;
    }
    return YG_EOF;
}

static int file_pollfds(struct yg_input *in, struct pollfd *fds, int max)
{
    struct in_file *fi = (struct in_file *)in;
    int n = yg__wake_pollfd(&fi->wake, fds, max);
    if (fi->ino_fd >= 0 && n < max) {
        fds[n].fd = fi->ino_fd;
        fds[n].events = POLLIN;
        fds[n].revents = 0;
        n++;
    }
    return n;
}

static yg_err file_restore(struct yg_input *in, const char *key, const char *val)
{
    struct in_file *fi = (struct in_file *)in;
    /* Every checkpoint is offered to every input: take only ours. */
    if (!key || !val || strncmp(key, "file:", 5) != 0 || fnmatch(fi->glob, key + 5, FNM_PATHNAME))
        return YG_OK;
    struct ckpt c = {0};
    char *end;
    const char *p = val;
    c.dev = strtoull(p, &end, 10);
    c.valid = end != p && *end == ':';
    if (c.valid) {
        p = end + 1;
        c.ino = strtoull(p, &end, 10);
        c.valid = end != p && *end == ':';
    }
    if (c.valid) {
        p = end + 1;
        c.off = strtoull(p, &end, 10);
        c.valid = end != p && *end == ':';
    }
    if (c.valid) {
        p = end + 1;
        c.fp = strtoull(p, &end, 16);
        c.valid = end != p && *end == 0;
    }
    /* A damaged value still says the path was being read: its file is then
     * read from the start (at least once) rather than from its end. */
    if (!c.valid)
        in->errors++;
    struct ckpt *nc = yg_realloc(fi->ck, (fi->nck + 1) * sizeof *nc);
    if (!nc)
        return YG_ENOMEM;
    fi->ck = nc;
    c.path = yg_strndup(key + 5, strlen(key + 5));
    if (!c.path)
        return YG_ENOMEM;
    fi->ck[fi->nck++] = c;
    return YG_OK;
}

static void drop_watch(struct in_file *fi)
{
#ifdef __linux__
    if (fi->ino_fd >= 0)
        close(fi->ino_fd);
#endif
    fi->ino_fd = -1;
    fi->watching = false;
}

/* inotify on the glob's directory only wakes the service early; polling
 * with the rescan interval works the same without it. */
static void try_watch(struct in_file *fi)
{
#ifdef __linux__
    if (!fi->watch_dir)
        return;
    if (fi->ino_fd < 0)
        fi->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fi->ino_fd < 0)
        return;
    if (inotify_add_watch(fi->ino_fd, fi->watch_dir,
                          IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY |
                              IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) >= 0)
        fi->watching = true;
#else
    (void)fi;
#endif
}

static void file_destroy(struct yg_input *in)
{
    struct in_file *fi = (struct in_file *)in;
    if (!fi)
        return;
    for (size_t i = 0; i < fi->nfiles; i++)
        tfile_free(fi->files[i]);
    for (size_t i = 0; i < fi->nck; i++)
        yg_free(fi->ck[i].path);
    drop_watch(fi);
    yg__wake_close(&fi->wake);
    yg_free(fi->ck);
    yg_free(fi->files);
    yg_free(fi->readbuf);
    yg_buf_free(&fi->val);
    yg_buf_free(&fi->id);
    yg_free(fi->watch_dir);
    yg_free(fi->glob);
    yg_free(fi->in.name);
    yg_free(fi);
}

static const struct yg_input_ops file_ops = {
    .kind = "file",
    .pollfds = file_pollfds,
    .service = file_service,
    .next = file_next,
    .restore = file_restore,
    .destroy = file_destroy,
};

void yg__in_file_set_timing(struct yg_input *in, unsigned rescan_ms, unsigned rotate_wait_ms)
{
    if (!in || in->ops != &file_ops)
        return;
    struct in_file *fi = (struct in_file *)in;
    fi->rescan_ms = rescan_ms;
    fi->rotate_wait_ms = rotate_wait_ms;
}

yg_err yg__in_file_new(const char *name, const char *glob, bool start_at_end, struct yg_input **out)
{
    yg_err err = YG_OK;
    struct in_file *fi = NULL;
    if (!name || !glob || !*glob)
        return yg__input_failed(out, YG_EINVAL, "%s", "");
    fi = yg_calloc(1, sizeof *fi);
    if (!fi)
        return yg__input_failed(out, YG_ENOMEM, "%s", "");
    fi->in.ops = &file_ops;
    fi->ino_fd = -1;
    fi->wake.rd = fi->wake.wr = -1;
    fi->start_at_end = start_at_end;
    fi->rescan_ms = 1000;
    fi->rotate_wait_ms = 5000;
    yg_buf_init(&fi->val, 256);
    yg_buf_init(&fi->id, 256);
    fi->in.name = yg_strndup(name, strlen(name));
    fi->glob = yg_strndup(glob, strlen(glob));
    fi->readbuf = yg_malloc(YG_INGEST_READ_CHUNK);
    if (!fi->in.name || !fi->glob || !fi->readbuf) {
        err = YG_ENOMEM;
        goto done;
    }
    const char *slash = strrchr(glob, '/');
    size_t dl = slash ? (size_t)(slash - glob) : 0;
    if (!slash || dl == 0) {
        fi->watch_dir = yg_strndup(slash ? "/" : ".", 1);
    } else if (!memchr(glob, '*', dl) && !memchr(glob, '?', dl) && !memchr(glob, '[', dl)) {
        fi->watch_dir = yg_strndup(glob, dl);
    }
    YG_TRY(yg__wake_open(&fi->wake));
    *out = &fi->in;
    fi = NULL;
done:
    file_destroy(fi ? &fi->in : NULL);
    return err ? yg__input_failed(out, err, "%s", "") : YG_OK;
}
