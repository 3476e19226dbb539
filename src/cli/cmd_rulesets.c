/*
 * cmd_rulesets.c - `yagura rules install|update|list`: SigmaHQ rule sets as
 * managed content (docs/install.md, "Rule sets").
 *
 * A set is a folder NAME under the rule-set folder holding the source's
 * .yml/.yaml files with their relative paths, a RULESET file (name,
 * version, source, install time) and SHA256SUMS (sha256sum format, so
 * `sha256sum -c SHA256SUMS` checks it).  A new set is written to a hidden
 * folder beside the old one, compiled, and only when every rule loads is
 * it exchanged with the old one in one rename: a failed update leaves the
 * running set as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "cli/cmd_rulesets.h"
#include "core/installed.h"
#include "yagura/limits.h"
#include "yagura/yagura.h"

/* Files copied into one set at most: SigmaHQ's full tree is ~4000. */
#define SET_MAX_FILES 50000
#define SET_MAX_DEPTH 32

struct entry {
    char *rel;    /* path inside the set */
    char hex[65]; /* sha256 */
};

struct set {
    struct entry *v;
    size_t n, cap;
};

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].rel);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static bool set_add(struct set *s, const char *rel, const char *hex)
{
    if (s->n == s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 256;
        struct entry *t = realloc(s->v, nc * sizeof *t);
        if (!t)
            return false;
        s->v = t;
        s->cap = nc;
    }
    if (!(s->v[s->n].rel = strdup(rel)))
        return false;
    snprintf(s->v[s->n].hex, sizeof s->v[s->n].hex, "%s", hex);
    s->n++;
    return true;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->rel, ((const struct entry *)b)->rel);
}

static bool rule_name(const char *n)
{
    size_t l = strlen(n);
    return (l > 4 && strcasecmp(n + l - 4, ".yml") == 0) ||
           (l > 5 && strcasecmp(n + l - 5, ".yaml") == 0);
}

static void sha256_hex(const void *p, size_t n, char hex[65])
{
    unsigned char md[32];
    unsigned int ml = 0;
    EVP_Digest(p, n, md, &ml, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static bool mkdirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                return false;
            *s = '/';
        }
    return mkdir(p, 0755) == 0 || errno == EEXIST;
}

/* Write one rule file into the new set, its folders created. */
static bool put_file(const char *root, const char *rel, const void *data, size_t n, struct set *s)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", root, rel) >= sizeof path)
        return false;
    char *slash = strrchr(path, '/');
    *slash = 0;
    bool ok = mkdirs(path);
    *slash = '/';
    FILE *f = ok ? fopen(path, "wb") : NULL;
    if (!f)
        return false;
    ok = fwrite(data, 1, n, f) == n;
    ok = fclose(f) == 0 && ok;
    char hex[65];
    sha256_hex(data, n, hex);
    return ok && set_add(s, rel, hex);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static void rm_tree(const char *p)
{
    nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- reading a source ------------------------------------------------------ */

static bool read_whole(const char *path, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t cap = 65536, len = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + len, 1, cap - len, f)) > 0) {
        len += r;
        if (len > YG_MAX_RULE_FILE_BYTES)
            break;
        if (len == cap) {
            char *t = realloc(b, cap *= 2);
            if (!t) {
                free(b);
                b = NULL;
            }
            b = t;
        }
    }
    fclose(f);
    if (!b || len > YG_MAX_RULE_FILE_BYTES) {
        free(b);
        return false;
    }
    *out = b;
    *n = len;
    return true;
}

static bool copy_dir(const char *src, const char *rel, const char *dst, unsigned depth,
                     struct set *s, FILE *err)
{
    if (depth > SET_MAX_DEPTH)
        return true;
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s%s%s", src, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(err, "yagura rules: %s: cannot open: %s\n", dir, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *de;
    while (ok && (de = readdir(d))) {
        /* .git and other hidden entries are not rules. */
        if (de->d_name[0] == '.')
            continue;
        char r2[PATH_MAX], full[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >=
                sizeof r2 ||
            (size_t)snprintf(full, sizeof full, "%s/%s", src, r2) >= sizeof full ||
            lstat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            ok = copy_dir(src, r2, dst, depth + 1, s, err);
        else if (S_ISREG(st.st_mode) && rule_name(de->d_name)) {
            if (s->n >= SET_MAX_FILES) {
                fprintf(err, "yagura rules: %s: more than %d rule files\n", src, SET_MAX_FILES);
                ok = false;
                break;
            }
            char *text;
            size_t n;
            if (!read_whole(full, &text, &n)) {
                fprintf(err, "yagura rules: %s: cannot read (or larger than %u bytes)\n", full,
                        YG_MAX_RULE_FILE_BYTES);
                ok = false;
                break;
            }
            ok = put_file(dst, r2, text, n, s);
            free(text);
            if (!ok)
                fprintf(err, "yagura rules: cannot write %s/%s: %s\n", dst, r2, strerror(errno));
        }
    }
    closedir(d);
    return ok;
}

/* A member name that stays inside the set. */
static bool safe_member(const char *n)
{
    if (n[0] == '/' || strstr(n, "\\"))
        return false;
    for (const char *p = n; *p;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if ((l == 2 && p[0] == '.' && p[1] == '.') || (l && p[0] == '.'))
            return false;
        p += l + (e ? 1 : 0);
    }
    return true;
}

static bool copy_zip(const char *src, const char *dst, struct set *s, char *version, size_t vl,
                     FILE *err)
{
    int zerr = 0;
    zip_t *z = zip_open(src, ZIP_RDONLY, &zerr);
    if (!z) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        fprintf(err, "yagura rules: %s: not a readable zip archive: %s\n", src,
                zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return false;
    }
    bool ok = true;
    zip_int64_t n = zip_get_num_entries(z, 0);
    for (zip_int64_t i = 0; ok && i < n; i++) {
        zip_stat_t zs;
        if (zip_stat_index(z, (zip_uint64_t)i, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_NAME) ||
            !(zs.valid & ZIP_STAT_SIZE))
            continue;
        const char *base = strrchr(zs.name, '/');
        base = base ? base + 1 : zs.name;
        bool ver = !*version && strcasecmp(base, "version.txt") == 0;
        if (!rule_name(zs.name) && !ver)
            continue;
        if (!safe_member(zs.name)) {
            fprintf(err, "yagura rules: %s: member '%s' leaves the archive's folder: skipped\n",
                    src, zs.name);
            continue;
        }
        if (zs.size > YG_MAX_RULE_FILE_BYTES || s->n >= SET_MAX_FILES) {
            fprintf(err, "yagura rules: %s:%s: larger than %u bytes or more than %d files\n", src,
                    zs.name, YG_MAX_RULE_FILE_BYTES, SET_MAX_FILES);
            ok = false;
            break;
        }
        char *buf = malloc(zs.size ? zs.size : 1);
        zip_file_t *f = buf ? zip_fopen_index(z, (zip_uint64_t)i, 0) : NULL;
        ok = f && zip_fread(f, buf, zs.size) == (zip_int64_t)zs.size;
        if (f)
            zip_fclose(f);
        if (!ok)
            fprintf(err, "yagura rules: %s:%s: cannot read member\n", src, zs.name);
        else if (ver) {
            /* SigmaHQ release archives name their release in version.txt. */
            size_t l = zs.size < vl - 1 ? zs.size : vl - 1;
            memcpy(version, buf, l);
            version[l] = 0;
            version[strcspn(version, "\r\n")] = 0;
        } else if (!(ok = put_file(dst, zs.name, buf, zs.size, s)))
            fprintf(err, "yagura rules: cannot write %s/%s: %s\n", dst, zs.name, strerror(errno));
        free(buf);
    }
    zip_close(z);
    return ok;
}

/* The commit a git checkout is at, read from .git without running git. */
static bool git_version(const char *src, char *out, size_t ol)
{
    char p[PATH_MAX], line[256];
    snprintf(p, sizeof p, "%s/.git/HEAD", src);
    FILE *f = fopen(p, "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    line[strcspn(line, "\r\n")] = 0;
    char hash[64] = "";
    if (strncmp(line, "ref: ", 5) == 0) {
        const char *ref = line + 5;
        snprintf(p, sizeof p, "%s/.git/%s", src, ref);
        if ((f = fopen(p, "r"))) {
            if (fgets(hash, sizeof hash, f))
                hash[strcspn(hash, "\r\n")] = 0;
            fclose(f);
        } else {
            snprintf(p, sizeof p, "%s/.git/packed-refs", src);
            char pl[512];
            if ((f = fopen(p, "r"))) {
                while (fgets(pl, sizeof pl, f)) {
                    pl[strcspn(pl, "\r\n")] = 0;
                    char *sp = strchr(pl, ' ');
                    if (sp && strcmp(sp + 1, ref) == 0) {
                        *sp = 0;
                        snprintf(hash, sizeof hash, "%.63s", pl);
                        break;
                    }
                }
                fclose(f);
            }
        }
    } else
        snprintf(hash, sizeof hash, "%.63s", line);
    if (strlen(hash) < 12)
        return false;
    snprintf(out, ol, "git-%.12s", hash);
    return true;
}

/* ---- the set's metadata ---------------------------------------------------- */

static bool write_meta(const char *dir, const char *name, const char *version, const char *src,
                       struct set *s)
{
    char p[PATH_MAX];
    qsort(s->v, s->n, sizeof *s->v, cmp_entry);
    FILE *f = (size_t)snprintf(p, sizeof p, "%s/SHA256SUMS", dir) < sizeof p ? fopen(p, "w") : NULL;
    if (!f)
        return false;
    for (size_t i = 0; i < s->n; i++)
        fprintf(f, "%s  %s\n", s->v[i].hex, s->v[i].rel);
    bool ok = fclose(f) == 0;
    if (!ok || (size_t)snprintf(p, sizeof p, "%s/RULESET", dir) >= sizeof p || !(f = fopen(p, "w")))
        return false;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fprintf(f,
            "# Written by `yagura rules install`; SHA256SUMS lists every rule file.\n"
            "name: %s\nversion: %s\nsource: %s\ninstalled: %s\nfiles: %zu\n",
            name, version, src, when, s->n);
    return fclose(f) == 0;
}

/* A value of a set's RULESET file ("unknown" when it has none). */
static void meta_get(const char *set, const char *key, char *out, size_t ol)
{
    snprintf(out, ol, "%s", "-");
    char p[PATH_MAX], line[1024];
    snprintf(p, sizeof p, "%s/RULESET", set);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            char *v = line + kl + 1;
            v += strspn(v, " ");
            v[strcspn(v, "\r\n")] = 0;
            snprintf(out, ol, "%s", v);
            break;
        }
    fclose(f);
}

static void sums_load(const char *set, struct set *s)
{
    char p[PATH_MAX], line[PATH_MAX + 80];
    snprintf(p, sizeof p, "%s/SHA256SUMS", set);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (strlen(line) > 66 && line[64] == ' ' && line[65] == ' ') {
            line[64] = 0;
            set_add(s, line + 66, line);
        }
    }
    fclose(f);
    qsort(s->v, s->n, sizeof *s->v, cmp_entry);
}

/* ---- compiling a set ------------------------------------------------------- */

struct problems {
    size_t n;
    FILE *f;
};

static void on_problem(void *ud, const yg_diagnostic *d)
{
    struct problems *p = ud;
    p->n++;
    if (p->f)
        fprintf(p->f, "  %s:%u:%u: %s: %s\n", d->file, d->line, d->col,
                d->rule_id ? d->rule_id : "-", d->message);
}

/* Compile one set on its own: documents read and how many load; false when
 * the compiler itself fails. */
static bool set_compile(const char *path, FILE *problems, size_t *docs, size_t *loaded,
                        size_t *nproblems)
{
    yg_compiler *c;
    if (yg_compiler_create(&c, NULL))
        return false;
    struct problems p = {0, problems};
    yg_compiler_set_diag(c, on_problem, &p);
    (void)yg_compiler_add_path(c, path);
    yg_rules *r = NULL;
    yg_err e = yg_compiler_get_rules(c, &r);
    yg_compiler_destroy(c);
    if (e)
        return false;
    yg_rules_stats st;
    yg_rules_get_stats(r, &st);
    yg_rules_release(r);
    *docs = st.documents;
    *loaded = st.documents >= st.failed ? st.documents - st.failed : 0;
    *nproblems = p.n;
    return true;
}

/* ---- commands -------------------------------------------------------------- */

static void usage_manage(FILE *f)
{
    fprintf(f,
            "Usage: yagura rules install [options] SRC\n"
            "       yagura rules update [options] SRC\n"
            "       yagura rules list\n"
            "\n"
            "Install a rule set (a SigmaHQ release zip such as sigma_core.zip, a rule folder,\n"
            "or a git checkout of SigmaHQ, whose rules/ folder is taken) as a named set that\n"
            "`yagura hunt` and `yagura watch` run when no rules are given. The set is copied\n"
            "with its version and a SHA256SUMS file. It is refused when any of its rules fails\n"
            "to load (each problem is printed as FILE:LINE:COLUMN); an update keeps the\n"
            "previous set until the new one compiles, then reports the rules added, removed\n"
            "and changed. No network is used.\n"
            "\n"
            "Options:\n"
            "  -n, --name NAME        name of the set (default: the archive's or folder's name)\n"
            "      --set-version V    version recorded for the set (default: version.txt of a\n"
            "                         release archive, the commit of a git checkout, or the\n"
            "                         content checksum)\n"
            "  -q, --quiet            print only problems\n"
            "  -h, --help             this text\n"
            "\n"
            "Sets are written to $YAGURA_RULESETS_DIR when set, else to DATA/rulesets when the\n"
            "data folder is writable and not under /usr, else to /var/lib/yagura/rulesets;\n"
            "DATA/rulesets and that folder are both searched.\n"
            "Exit status: 0 done, 1 the set was refused (the previous set is kept), 2 error.\n");
}

/* Default set name: the archive's or folder's base name. */
static void default_name(const char *src, char *out, size_t ol)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", src);
    size_t l = strlen(tmp);
    while (l > 1 && tmp[l - 1] == '/')
        tmp[--l] = 0;
    const char *b = strrchr(tmp, '/');
    b = b ? b + 1 : tmp;
    snprintf(out, ol, "%s", b);
    l = strlen(out);
    if (l > 4 && strcasecmp(out + l - 4, ".zip") == 0)
        out[l - 4] = 0;
}

static bool valid_name(const char *n)
{
    if (!*n || *n == '.' || strlen(n) > 128)
        return false;
    for (const char *p = n; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '.'))
            return false;
    return true;
}

/* The rule files of src (a folder, a SigmaHQ checkout or a .zip) into tmp;
 * its version where it names one (a checkout's commit, a release's). */
static bool copy_source(const char *src, const struct stat *st, const char *tmp, struct set *s,
                        char *version, size_t vl, const char **kind)
{
    if (!S_ISDIR(st->st_mode)) {
        *kind = "archive";
        return copy_zip(src, tmp, s, version, vl, stderr);
    }
    /* A SigmaHQ checkout: its rules/ folder (what sigma_core.zip holds);
     * rules-emerging-threats and the others are installed as sets of
     * their own when wanted. */
    char sub[PATH_MAX];
    snprintf(sub, sizeof sub, "%s/rules", src);
    struct stat ss;
    bool checkout = stat(sub, &ss) == 0 && S_ISDIR(ss.st_mode);
    if (!git_version(src, version, vl))
        version[0] = 0;
    *kind = version[0] ? "git checkout" : "folder";
    return copy_dir(checkout ? sub : src, "", tmp, 0, s, stderr);
}

/* No version of its own: the checksum of every file's checksum. */
static void content_version(struct set *s, char *version, size_t vl)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_entry);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned ml = 0;
    EVP_DigestInit_ex(m, EVP_sha256(), NULL);
    for (size_t i = 0; i < s->n; i++) {
        EVP_DigestUpdate(m, s->v[i].hex, 64);
        EVP_DigestUpdate(m, s->v[i].rel, strlen(s->v[i].rel) + 1);
    }
    EVP_DigestFinal_ex(m, md, &ml);
    EVP_MD_CTX_free(m);
    snprintf(version, vl, "sha256-%02x%02x%02x%02x%02x%02x", md[0], md[1], md[2], md[3], md[4],
             md[5]);
}

/* What the update changes, also when it is refused: the broken rule is
 * then among the added or changed files named here. */
static void report_changes(const char *old, const struct set *s, const char *name,
                           const char *version, bool quiet)
{
    struct set prev = {0};
    sums_load(old, &prev);
    size_t added = 0, removed = 0, changed = 0, i = 0, j = 0;
    /* Both lists are sorted by path: one merge walk. */
    while (i < prev.n || j < s->n) {
        int cmp = i == prev.n ? 1 : j == s->n ? -1 : strcmp(prev.v[i].rel, s->v[j].rel);
        if (cmp < 0) {
            removed++;
            if (!quiet)
                printf("removed  %s\n", prev.v[i].rel);
            i++;
        } else if (cmp > 0) {
            added++;
            if (!quiet)
                printf("added    %s\n", s->v[j].rel);
            j++;
        } else {
            if (strcmp(prev.v[i].hex, s->v[j].hex) != 0) {
                changed++;
                if (!quiet)
                    printf("changed  %s\n", s->v[j].rel);
            }
            i++, j++;
        }
    }
    set_free(&prev);
    char oldver[128];
    meta_get(old, "version", oldver, sizeof oldver);
    if (!quiet)
        printf("%s: %s -> %s: %zu added, %zu removed, %zu changed, %zu unchanged\n", name, oldver,
               version, added, removed, changed, s->n - added - changed);
}

/* 0 if every rule of the new set loads, 1 if some do not, 2 on error. */
static int check_loads(const char *tmp, const char *verb, const char *name, const char *old,
                       size_t *loaded)
{
    size_t docs = 0, nprob = 0;
    if (!set_compile(tmp, stderr, &docs, loaded, &nprob)) {
        fprintf(stderr, "yagura rules %s: cannot compile %s\n", verb, tmp);
        return 2;
    }
    if (nprob || *loaded < docs || *loaded == 0) {
        fprintf(stderr, "yagura rules %s: %s refused: %zu of %zu rule(s) do not load (above)%s\n",
                verb, name, docs - *loaded, docs,
                old ? "; the installed set is kept and keeps running" : "");
        return 1;
    }
    return 0;
}

/* The old set (if it is in this folder) and the new one change places in
 * one step; a hunt that starts meanwhile sees one or the other, never a
 * half-written set. */
static int swap_in(const char *tmp, const char *dest, const char *verb)
{
    struct stat st;
    if (stat(dest, &st) == 0) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) != 0) {
            fprintf(stderr, "yagura rules %s: cannot replace %s: %s\n", verb, dest,
                    strerror(errno));
            return 2;
        }
    } else if (rename(tmp, dest) != 0) {
        fprintf(stderr, "yagura rules %s: cannot move %s to %s: %s\n", verb, tmp, dest,
                strerror(errno));
        return 2;
    }
    return 0;
}

/* The options and the set's name; 0 and *src on success, else the exit
 * status (-1: --help, exit 0). */
static int manage_args(int argc, char **argv, const char *verb, const char **src, char *name,
                       size_t nl, const char **version_opt, bool *quiet)
{
    static const struct option opts[] = {{"name", required_argument, 0, 'n'},
                                         {"set-version", required_argument, 0, 'V'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *name_opt = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name_opt = optarg; break;
        case 'V': *version_opt = optarg; break;
        case 'q': *quiet = true; break;
        case 'h': usage_manage(stdout); return -1;
        default: usage_manage(stderr); return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "yagura rules %s: expected one SRC (a .zip, a folder or a checkout)\n",
                verb);
        usage_manage(stderr);
        return 2;
    }
    *src = argv[optind];
    if (name_opt)
        snprintf(name, nl, "%s", name_opt);
    else
        default_name(*src, name, nl);
    if (!valid_name(name)) {
        fprintf(stderr,
                "yagura rules %s: '%s' is not a valid set name (letters, digits, _ - ., not "
                "starting with a dot; --name NAME)\n",
                verb, name);
        return 2;
    }
    return 0;
}

/* The installed set of that name (its path in locs), or NULL. */
static const char *installed_set(const struct yg_ruleset_loc *locs, size_t nloc, const char *name)
{
    const char *old = NULL;
    for (size_t i = 0; i < nloc; i++)
        if (strcmp(locs[i].name, name) == 0)
            old = locs[i].path;
    return old;
}

/* Copy, version, compare, check, then swap in: the set in tmp. */
static int install_set(const char *src, const struct stat *st, const char *tmp, const char *dest,
                       const char *name, const char *old, const char *version_opt, bool update,
                       bool quiet)
{
    const char *verb = update ? "update" : "install";
    struct set s = {0};
    char version[128] = "";
    const char *kind;
    bool ok = copy_source(src, st, tmp, &s, version, sizeof version, &kind);
    if (ok && s.n == 0) {
        fprintf(stderr, "yagura rules %s: %s holds no .yml or .yaml rule file\n", verb, src);
        ok = false;
    }
    if (ok && version_opt)
        snprintf(version, sizeof version, "%s", version_opt);
    if (ok && !version[0])
        content_version(&s, version, sizeof version);
    char abs_src[PATH_MAX];
    if (!realpath(src, abs_src))
        snprintf(abs_src, sizeof abs_src, "%s", src);
    if (ok && !write_meta(tmp, name, version, abs_src, &s)) {
        fprintf(stderr, "yagura rules %s: cannot write the metadata of %s: %s\n", verb, tmp,
                strerror(errno));
        ok = false;
    }
    if (ok && old)
        report_changes(old, &s, name, version, quiet);
    size_t loaded = 0;
    int status = ok ? check_loads(tmp, verb, name, old, &loaded) : 2;
    if (status == 0)
        status = swap_in(tmp, dest, verb);
    if (status == 0 && !quiet)
        printf("%s %s %s (%s, %zu rule file(s), %zu load) in %s\n",
               update && old ? "updated" : "installed", name, version, kind, s.n, loaded, dest);
    set_free(&s);
    return status;
}

static int manage(int argc, char **argv, bool update)
{
    const char *verb = update ? "update" : "install";
    const char *src = NULL, *version_opt = NULL;
    char name[256];
    bool quiet = false;
    int rc = manage_args(argc, argv, verb, &src, name, sizeof name, &version_opt, &quiet);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct stat st;
    if (stat(src, &st) != 0) {
        fprintf(stderr, "yagura rules %s: %s: %s\n", verb, src, strerror(errno));
        return 2;
    }
    const char *data = yg__data_dir();
    struct yg_ruleset_loc *locs = calloc(YG_MAX_RULESETS, sizeof *locs);
    if (!locs)
        return 2;
    const char *old = installed_set(locs, yg__rulesets_find(data, locs, YG_MAX_RULESETS), name);
    if (old && !update) {
        fprintf(stderr,
                "yagura rules install: a set named %s is installed (%s): use `yagura rules "
                "update`, or --name for another name\n",
                name, old);
        free(locs);
        return 2;
    }
    const char *dir = yg__rulesets_install_dir(data);
    char tmp[PATH_MAX], dest[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/.%s.new-%ld", dir, name, (long)getpid());
    snprintf(dest, sizeof dest, "%s/%s", dir, name);
    if (!mkdirs(dir) || (rm_tree(tmp), mkdir(tmp, 0755)) != 0) {
        fprintf(stderr,
                "yagura rules %s: cannot create %s: %s (set YAGURA_RULESETS_DIR to a "
                "writable folder)\n",
                verb, tmp, strerror(errno));
        free(locs);
        return 2;
    }
    int status = install_set(src, &st, tmp, dest, name, old, version_opt, update, quiet);
    rm_tree(tmp);
    free(locs);
    return status;
}

int yg_cli_rules_install(int argc, char **argv)
{
    return manage(argc, argv, false);
}

int yg_cli_rules_update(int argc, char **argv)
{
    return manage(argc, argv, true);
}

int yg_cli_rules_list(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage_manage(stdout);
        return 0;
    }
    if (argc > 1) {
        usage_manage(stderr);
        return 2;
    }
    const char *data = yg__data_dir();
    printf("%-24s %-24s %7s %7s  %s\n", "SET", "VERSION", "RULES", "LOAD", "PATH");
    char own[PATH_MAX];
    snprintf(own, sizeof own, "%s/rules", data);
    struct yg_ruleset_loc *locs = calloc(YG_MAX_RULESETS + 1, sizeof *locs);
    if (!locs)
        return 2;
    size_t n = 0;
    struct stat st;
    if (stat(own, &st) == 0) {
        snprintf(locs[0].name, sizeof locs[0].name, "(yagura)");
        snprintf(locs[0].path, sizeof locs[0].path, "%s", own);
        n = 1;
    }
    n += yg__rulesets_find(data, locs + n, YG_MAX_RULESETS);
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char ver[128];
        if (i == 0 && strcmp(locs[0].name, "(yagura)") == 0)
            snprintf(ver, sizeof ver, "%s", yg_version());
        else
            meta_get(locs[i].path, "version", ver, sizeof ver);
        size_t docs = 0, loaded = 0, np = 0;
        if (!set_compile(locs[i].path, NULL, &docs, &loaded, &np)) {
            printf("%-24s %-24s %7s %7s  %s\n", locs[i].name, ver, "?", "?", locs[i].path);
            status = 1;
            continue;
        }
        if (loaded < docs)
            status = 1;
        printf("%-24s %-24s %7zu %7zu  %s\n", locs[i].name, ver, docs, loaded, locs[i].path);
    }
    if (n == 0)
        printf("(none: no rules in %s and no set in %s/rulesets or %s)\n", data, data,
               yg__rulesets_var_dir());
    free(locs);
    return status;
}

/* For --version: the installed sets and their versions, one per line. */
void yg_cli_print_rulesets(FILE *f)
{
    const char *data = yg__data_dir();
    struct yg_ruleset_loc *locs = calloc(YG_MAX_RULESETS, sizeof *locs);
    if (!locs)
        return;
    size_t n = yg__rulesets_find(data, locs, YG_MAX_RULESETS);
    char own[PATH_MAX];
    snprintf(own, sizeof own, "%s/rules", data);
    struct stat st;
    fprintf(f, "rule sets:\n");
    if (stat(own, &st) == 0)
        fprintf(f, "  %-24s %-24s %s\n", "(yagura)", yg_version(), own);
    for (size_t i = 0; i < n; i++) {
        char ver[128];
        meta_get(locs[i].path, "version", ver, sizeof ver);
        fprintf(f, "  %-24s %-24s %s\n", locs[i].name, ver, locs[i].path);
    }
    if (n == 0)
        fprintf(f, "  (no SigmaHQ set installed: yagura rules install SRC)\n");
    free(locs);
}
