/*
 * rulesets.c - rule paths on the command line and the installed rule sets
 * (see rulesets.h).
 */
#include "cli/rulesets.h"

#include "core/installed.h"
#include "yagura/yagura.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Walk caps: a rule folder is recognised from its first entries. */
#define WALK_MAX_ENTRIES 20000
#define WALK_MAX_DEPTH 16

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcasecmp(s + n - k, suf) == 0;
}

static bool is_rule_file(const char *name)
{
    return ends_with(name, ".yml") || ends_with(name, ".yaml");
}

/* Files a rule repository carries besides rules. */
static bool is_doc_file(const char *name)
{
    return ends_with(name, ".md") || ends_with(name, ".txt") || ends_with(name, ".json") ||
           strncasecmp(name, "LICENSE", 7) == 0 || strncasecmp(name, "README", 6) == 0 ||
           strncasecmp(name, "CHANGELOG", 9) == 0 || name[0] == '.';
}

struct walk {
    size_t rules, others, entries;
};

static void walk_dir(const char *path, unsigned depth, struct walk *w)
{
    if (depth > WALK_MAX_DEPTH || w->others || w->entries >= WALK_MAX_ENTRIES)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) && !w->others && w->entries < WALK_MAX_ENTRIES) {
        if (de->d_name[0] == '.')
            continue;
        w->entries++;
        char sub[PATH_MAX];
        if (snprintf(sub, sizeof sub, "%s/%s", path, de->d_name) >= (int)sizeof sub)
            continue;
        struct stat st;
        if (lstat(sub, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            walk_dir(sub, depth + 1, w);
        else if (!S_ISREG(st.st_mode))
            continue;
        else if (is_rule_file(de->d_name))
            w->rules++;
        else if (!is_doc_file(de->d_name))
            w->others++;
    }
    closedir(d);
}

bool yg_cli_is_rule_folder(const char *path, size_t *nrules)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return false;
    struct walk w = {0, 0, 0};
    walk_dir(path, 0, &w);
    if (nrules)
        *nrules = w.rules;
    return w.rules > 0 && w.others == 0;
}

/* 1: a rule file or rule folder; 2: a folder with neither rules nor logs
 * (documentation only, as SigmaHQ's rules-dfir can be); 0: anything else. */
static int rule_path_kind(const char *p)
{
    struct stat st;
    if (stat(p, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return is_rule_file(p) ? 1 : 0;
    if (!S_ISDIR(st.st_mode))
        return 0;
    struct walk w = {0, 0, 0};
    walk_dir(p, 0, &w);
    return w.others ? 0 : w.rules ? 1 : 2;
}

char **yg_cli_regroup_rules(int *argc, char **argv, FILE *err, bool quiet)
{
    int n = *argc;
    /* At most one extra "-r" per argument. */
    char **out = malloc(sizeof *out * (size_t)(2 * n + 1));
    if (!out)
        return NULL;
    int k = 0;
    bool after_rules = false, done = false;
    for (int i = 0; i < n; i++) {
        const char *a = argv[i];
        if (done) {
            out[k++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            done = true;
            out[k++] = argv[i];
            continue;
        }
        if (strcmp(a, "-r") == 0 || strcmp(a, "--rules") == 0) {
            out[k++] = argv[i];
            if (i + 1 < n)
                out[k++] = argv[++i];
            after_rules = true;
            continue;
        }
        if ((strncmp(a, "-r", 2) == 0 && a[2]) || strncmp(a, "--rules=", 8) == 0) {
            out[k++] = argv[i];
            after_rules = true;
            continue;
        }
        int kind = after_rules && a[0] != '-' ? rule_path_kind(a) : 0;
        if (kind == 1) {
            if (!quiet && err)
                fprintf(err, "yagura: %s follows -r and holds Sigma rules: read as rules\n", a);
            out[k++] = "-r";
            out[k++] = argv[i];
            continue;
        }
        if (kind == 2) {
            if (!quiet && err)
                fprintf(err, "yagura: %s follows -r and holds no rule and no log: skipped\n", a);
            continue;
        }
        after_rules = false;
        out[k++] = argv[i];
    }
    out[k] = NULL;
    *argc = k;
    return out;
}

const char *yg_cli_data_dir(void)
{
    return yg__data_dir();
}

size_t yg_cli_default_rules(const char **paths, size_t max, FILE *err, bool quiet)
{
    static char *pool[YG_MAX_RULESETS + 1];
    for (size_t i = 0; i < sizeof pool / sizeof *pool; i++) {
        free(pool[i]);
        pool[i] = NULL;
    }
    if (max > sizeof pool / sizeof *pool)
        max = sizeof pool / sizeof *pool;
    int own = 0;
    const char *dd = yg_cli_data_dir();
    size_t n = yg__installed_rules(dd, pool, max, &own);
    for (size_t i = 0; i < n; i++)
        paths[i] = pool[i];
    if (!quiet && err) {
        fprintf(err, "yagura: no -r given: running the installed rule sets:\n");
        for (size_t i = 0; i < n; i++)
            fprintf(err, "  %s\n", paths[i]);
        if (n == (size_t)own)
            fprintf(err,
                    "yagura: warning: no SigmaHQ rule set is installed in %s/rulesets or %s: "
                    "only Yagura's own rules run, so most Windows, Linux and cloud events are not "
                    "checked; install one with `yagura rules install sigma_core.zip` (a SigmaHQ "
                    "release, folder or git checkout) or give -r PATH\n",
                    dd, yg__rulesets_var_dir());
    }
    return n;
}

/* ---- noise control files ---------------------------------------------------- */

/* The line without its comment and surrounding blanks. */
static char *trim_line(char *l)
{
    char *h = strchr(l, '#');
    if (h)
        *h = 0;
    while (*l == ' ' || *l == '\t')
        l++;
    size_t n = strlen(l);
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r' || l[n - 1] == '\n'))
        l[--n] = 0;
    return l;
}

static size_t token_len(const char *s, const char *stops)
{
    size_t n = 0;
    while (s[n] && !strchr(stops, s[n]))
        n++;
    return n;
}

typedef bool (*line_fn)(struct yg_compiler *c, const char *path, unsigned ln, char *line,
                        char *orig, FILE *err);

static bool each_line(struct yg_compiler *c, const char *path, FILE *err, line_fn fn)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
        return false;
    }
    char buf[4096];
    unsigned ln = 0;
    bool ok = true;
    while (fgets(buf, sizeof buf, f)) {
        ln++;
        if (!strchr(buf, '\n') && !feof(f)) {
            fprintf(err, "%s:%u:1: line longer than %zu bytes\n", path, ln, sizeof buf - 1);
            ok = false;
            int ch;
            while ((ch = fgetc(f)) != EOF && ch != '\n')
                ;
            continue;
        }
        char *l = trim_line(buf);
        if (*l && !fn(c, path, ln, l, buf, err))
            ok = false;
    }
    fclose(f);
    return ok;
}

static bool exclusion_line(struct yg_compiler *c, const char *path, unsigned ln, char *l,
                           char *orig, FILE *err)
{
    (void)path, (void)ln, (void)orig, (void)err;
    l[token_len(l, ", \t")] = 0;
    if (strcmp(l, "id") == 0)
        return true; /* a CSV header */
    return yg_compiler_exclude(c, l) == YG_OK;
}

static bool tuning_line(struct yg_compiler *c, const char *path, unsigned ln, char *l, char *orig,
                        FILE *err)
{
    size_t idl = token_len(l, ",: \t");
    char *rest = l + idl;
    while (*rest == ',' || *rest == ':' || *rest == ' ' || *rest == '\t')
        rest++;
    char sep = l[idl];
    l[idl] = 0;
    if (strcmp(l, "id") == 0)
        return true; /* Hayabusa's header: id,new_level */
    static const char *const names[] = {"informational", "low", "medium", "high", "critical"};
    for (int i = 0; i < 5; i++)
        if (*rest && strcasecmp(rest, names[i]) == 0)
            return yg_compiler_set_level(c, l, (yg_level_t)(i + 1)) == YG_OK;
    fprintf(err,
            "%s:%u:%zu: expected `id,level` or `id: level` with a level of informational, low, "
            "medium, high or critical%s%s\n",
            path, ln, (size_t)(rest - orig) + 1, sep ? ", got " : "", sep ? rest : "");
    return false;
}

bool yg_cli_load_exclusions(struct yg_compiler *c, const char *path, FILE *err)
{
    return each_line(c, path, err, exclusion_line);
}

bool yg_cli_load_level_tuning(struct yg_compiler *c, const char *path, FILE *err)
{
    return each_line(c, path, err, tuning_line);
}
