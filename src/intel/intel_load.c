/*
 * intel_load.c - files and folders of intelligence, format detection.
 *
 * A file's format is told by its content: JSON with an "Event" or
 * "response" member is MISP, other JSON is STIX; text whose first record is
 * a header naming a type and a value column is CSV; anything else is a
 * plain list (type from --type, from the extension .md5/.sha1/.sha256/
 * .sha512, or guessed per line).  A folder holding manifest.json is a MISP
 * feed: the events it lists (<uuid>.json) are loaded.  Other folders are
 * searched recursively for *.json, *.csv, *.txt, *.ioc, *.md5, *.sha1,
 * *.sha256, *.sha512 (hidden entries skipped), in name order.
 *
 * Files are mapped, not read: a ten-million-line feed costs page cache, not
 * heap.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intel/intel.h"

bool yg__csv_has_header(const char *b, size_t len);

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && yg_str_ieq(s + n - m, m, suf, m);
}

static const char *ext_type(const char *path)
{
    if (ends_with(path, ".md5"))
        return "md5";
    if (ends_with(path, ".sha1"))
        return "sha1";
    if (ends_with(path, ".sha256"))
        return "sha256";
    if (ends_with(path, ".sha512"))
        return "sha512";
    return NULL;
}

/* The last two components of a path: "volexity-2024-01-10/iocs.csv". */
static const char *default_source(const char *path, char *buf, size_t cap)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    size_t i = n, slashes = 0;
    while (i > 0) {
        if (path[i - 1] == '/' && ++slashes == 2)
            break;
        i--;
    }
    snprintf(buf, cap, "%.*s", (int)(n - i), path + i);
    return buf;
}

void yg__iload_release(struct yg_iload *l, size_t off, size_t *done)
{
    if (!l->mapped || off < *done + (64u << 20))
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t end = off & ~(page - 1);
    if (end > *done)
        (void)madvise((char *)l->buf + *done, end - *done, MADV_DONTNEED);
    *done = end;
}

static yg_err load_mem(struct yg_intel *in, const char *name, const char *buf, size_t len,
                       const yg_intel_load_opts *o, bool mapped)
{
    if (in->frozen)
        return YG_ESTATE;
    char srcbuf[512];
    struct yg_iload l = {in, name, buf, len, o, NULL, NULL, mapped};
    l.source = o && o->source ? o->source : default_source(name, srcbuf, sizeof srcbuf);
    l.tlp = o && o->tlp ? yg__tlp_canon(o->tlp, strlen(o->tlp)) : NULL;
    if (o && o->tlp && !l.tlp)
        return YG_EINVAL;
    in->st.files++;
    const char *fmt = o ? o->format : NULL;
    const char *ptype = o ? o->plain_type : NULL;
    if (!fmt) {
        size_t i = 0;
        if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
            i = 3;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
            i++;
        if (i < len && (buf[i] == '{' || buf[i] == '[')) {
            size_t look = len - i < 65536 ? len - i : 65536;
            fmt = memmem(buf + i, look, "\"Event\"", 7) || memmem(buf + i, look, "\"response\"", 10)
                      ? "misp"
                      : "stix";
        } else if (!ptype && yg__csv_has_header(buf, len)) {
            fmt = "csv";
        } else {
            fmt = "plain";
        }
    }
    if (!ptype)
        ptype = ext_type(name);
    if (!strcmp(fmt, "stix"))
        return yg__intel_load_stix(&l);
    if (!strcmp(fmt, "misp"))
        return yg__intel_load_misp(&l);
    if (!strcmp(fmt, "csv"))
        return yg__intel_load_csv(&l);
    if (!strcmp(fmt, "plain"))
        return yg__intel_load_plain(&l, ptype);
    return YG_EINVAL;
}

yg_err yg_intel_load_buffer(yg_intel *in, const char *name, const char *buf, size_t len,
                            const yg_intel_load_opts *o)
{
    return load_mem(in, name, buf, len, o, false);
}

static yg_err load_file(struct yg_intel *in, const char *path, const yg_intel_load_opts *o)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        in->st.files++;
        yg__intel_diag(in, path, 0, 0, NULL, YG_EIO, NULL, "cannot read: %s", strerror(e));
        return e == ENOENT ? YG_ENOTFOUND : YG_EIO;
    }
    if ((unsigned long long)st.st_size > YG_INTEL_MAX_FILE_BYTES) {
        close(fd);
        in->st.files++;
        yg__intel_diag(in, path, 0, 0, NULL, YG_ELIMIT, NULL,
                       "file larger than YG_INTEL_MAX_FILE_BYTES");
        return YG_OK;
    }
    if (st.st_size == 0) {
        close(fd);
        return load_mem(in, path, "", 0, o, false);
    }
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) {
        in->st.files++;
        yg__intel_diag(in, path, 0, 0, NULL, YG_EIO, NULL, "cannot map: %s", strerror(errno));
        return YG_EIO;
    }
    (void)madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
    yg_err e = load_mem(in, path, m, (size_t)st.st_size, o, true);
    munmap(m, (size_t)st.st_size);
    return e;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool intel_ext(const char *n)
{
    static const char *const ex[] = {".json", ".csv",  ".txt",    ".ioc",
                                     ".md5",  ".sha1", ".sha256", ".sha512"};
    for (size_t i = 0; i < sizeof ex / sizeof *ex; i++)
        if (ends_with(n, ex[i]))
            return true;
    return false;
}

/* Provenance and licence notes kept beside intelligence files. */
static bool is_doc(const char *n)
{
    static const char *const pre[] = {"readme",  "license", "licence",  "source",
                                      "copying", "notice",  "changelog"};
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++)
        if (!strncasecmp(n, pre[i], strlen(pre[i])))
            return true;
    return false;
}

/* A MISP feed folder: the events listed in manifest.json. */
static yg_err load_feed(struct yg_intel *in, const char *dir, const char *manifest,
                        const yg_intel_load_opts *o)
{
    char *buf;
    size_t n;
    yg_err e = yg_file_read(manifest, YG_MAX_CONFIG_BYTES * 64, &buf, &n);
    if (e) {
        in->st.files++;
        yg__intel_diag(in, manifest, 0, 0, NULL, e, NULL, "cannot read the feed manifest");
        return YG_OK;
    }
    struct yg_arena a;
    yg_arena_init(&a, 1u << 14, 0);
    struct yg_tjp pp = {buf, n, 0, &a, 0, YG_INTEL_MAX_JSON_NODES, NULL, 0};
    struct yg_tj *root;
    e = yg__tj_value(&pp, &root);
    if (e || root->type != YG_TJ_OBJ) {
        unsigned line = 0, col = 0;
        if (e)
            yg__intel_linecol(buf, pp.err_off, &line, &col);
        in->st.files++;
        yg__intel_diag(in, manifest, line, col, NULL, YG_ESYNTAX, NULL, "feed manifest: %s",
                       e ? (pp.err ? pp.err : yg_strerror(e))
                         : "an object of event uuids expected");
        e = e == YG_ENOMEM ? e : YG_OK;
    } else {
        for (size_t ki = 0; ki < root->n && !e; ki++) {
            const char *key = root->keys[ki];
            size_t keyn = strlen(key);
            bool ok = keyn >= 32 && keyn <= 40;
            for (size_t i = 0; i < keyn && ok; i++)
                ok = (key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f') ||
                     (key[i] >= 'A' && key[i] <= 'F') || key[i] == '-';
            if (!ok) {
                unsigned line, col;
                yg__intel_linecol(buf, root->kids[ki]->start, &line, &col);
                yg__intel_diag(in, manifest, line, col, NULL, YG_ESYNTAX, NULL,
                               "'%.*s' is not an event uuid", (int)(keyn > 64 ? 64 : keyn), key);
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%.*s.json", dir, (int)keyn, key);
            yg_err fe = load_file(in, path, o);
            if (fe == YG_ENOMEM)
                e = fe;
        }
    }
    yg_arena_free(&a);
    yg_free(buf);
    return e;
}

static yg_err load_dir(struct yg_intel *in, const char *path, const yg_intel_load_opts *o,
                       unsigned depth)
{
    if (depth > YG_INTEL_MAX_DIR_DEPTH)
        return YG_OK;
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s/manifest.json", path);
    if (access(manifest, R_OK) == 0)
        return load_feed(in, path, manifest, o);
    DIR *d = opendir(path);
    if (!d) {
        in->st.files++;
        yg__intel_diag(in, path, 0, 0, NULL, YG_EIO, NULL, "cannot open folder: %s",
                       strerror(errno));
        return YG_EIO;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    yg_err err = YG_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            char **nn = yg_realloc(names, nc * sizeof *nn);
            if (!nn) {
                err = YG_ENOMEM;
                break;
            }
            names = nn;
            cap = nc;
        }
        if (!(names[n] = yg_strndup(de->d_name, strlen(de->d_name)))) {
            err = YG_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && !err; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        yg_err e = YG_OK;
        if (S_ISDIR(st.st_mode))
            e = load_dir(in, full, o, depth + 1);
        else if (S_ISREG(st.st_mode) && intel_ext(names[i]) && !is_doc(names[i]))
            e = load_file(in, full, o);
        if (e == YG_ENOMEM || e == YG_ESTATE)
            err = e;
    }
    for (size_t i = 0; i < n; i++)
        yg_free(names[i]);
    yg_free(names);
    return err;
}

yg_err yg_intel_load_path(yg_intel *in, const char *path, const yg_intel_load_opts *o)
{
    if (in->frozen)
        return YG_ESTATE;
    if (o && o->tlp && !yg__tlp_canon(o->tlp, strlen(o->tlp)))
        return YG_EINVAL;
    struct stat st;
    if (stat(path, &st) != 0) {
        in->st.files++;
        yg__intel_diag(in, path, 0, 0, NULL, YG_EIO, NULL, "cannot read: %s", strerror(errno));
        return errno == ENOENT ? YG_ENOTFOUND : YG_EIO;
    }
    if (S_ISDIR(st.st_mode))
        return load_dir(in, path, o, 0);
    return load_file(in, path, o);
}
