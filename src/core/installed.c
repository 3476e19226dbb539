/*
 * installed.c - the data folder and the installed rule sets (installed.h).
 */
#include "core/installed.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef YG_SOURCE_DIR
#define YG_SOURCE_DIR "."
#endif

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *yg__data_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("YAGURA_DATA_DIR");
    if (env && *env && is_dir(env)) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    /* Relocatable: an installed tree (bin/ and share/yagura/) works wherever
     * it is copied, without the build's paths. */
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            char cand[PATH_MAX];
            if (snprintf(cand, sizeof cand, "%s/../share/yagura", exe) < (int)sizeof cand &&
                is_dir(cand) && realpath(cand, dir))
                return dir;
        }
    }
    snprintf(dir, sizeof dir, "%s", YG_SOURCE_DIR);
    return dir;
}

const char *yg__rulesets_var_dir(void)
{
    const char *env = getenv("YAGURA_RULESETS_DIR");
    return env && *env ? env : "/var/lib/yagura/rulesets";
}

const char *yg__rulesets_install_dir(const char *data_dir)
{
    static char dir[PATH_MAX];
    const char *env = getenv("YAGURA_RULESETS_DIR");
    if (env && *env)
        return env;
    snprintf(dir, sizeof dir, "%s/rulesets", data_dir);
    if (strncmp(data_dir, "/usr/", 5) != 0 &&
        (access(dir, W_OK) == 0 || (!is_dir(dir) && access(data_dir, W_OK) == 0)))
        return dir;
    return yg__rulesets_var_dir();
}

static bool ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcasecmp(s + n - k, suf) == 0;
}

static int cmp_loc(const void *a, const void *b)
{
    return strcmp(((const struct yg_ruleset_loc *)a)->name,
                  ((const struct yg_ruleset_loc *)b)->name);
}

static size_t scan(const char *dir, struct yg_ruleset_loc *out, size_t n, size_t max)
{
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *de;
    while ((de = readdir(d))) {
        /* Hidden entries are the temporary and previous copies of an update. */
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        struct stat st;
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= sizeof p ||
            stat(p, &st) != 0 ||
            !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && ends_with(p, ".zip"))) ||
            strlen(de->d_name) >= sizeof out->name)
            continue;
        size_t i = 0;
        while (i < n && strcmp(out[i].name, de->d_name) != 0)
            i++;
        if (i == n) {
            if (n == max)
                continue;
            n++;
        }
        snprintf(out[i].name, sizeof out[i].name, "%s", de->d_name);
        snprintf(out[i].path, sizeof out[i].path, "%s", p);
    }
    closedir(d);
    return n;
}

size_t yg__rulesets_find(const char *data_dir, struct yg_ruleset_loc *out, size_t max)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/rulesets", data_dir);
    size_t n = scan(dir, out, 0, max);
    const char *var = yg__rulesets_var_dir();
    char a[PATH_MAX], b[PATH_MAX];
    if (!(realpath(dir, a) && realpath(var, b) && strcmp(a, b) == 0))
        n = scan(var, out, n, max);
    qsort(out, n, sizeof *out, cmp_loc);
    return n;
}

size_t yg__installed_rules(const char *data_dir, char **paths, size_t max, int *own)
{
    size_t n = 0;
    *own = 0;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/rules", data_dir);
    if (max && is_dir(p) && (paths[n] = strdup(p))) {
        n++;
        *own = 1;
    }
    struct yg_ruleset_loc *locs = calloc(YG_MAX_RULESETS, sizeof *locs);
    if (!locs)
        return n;
    size_t ns = yg__rulesets_find(data_dir, locs, YG_MAX_RULESETS);
    for (size_t i = 0; i < ns && n < max; i++)
        if ((paths[n] = strdup(locs[i].path)))
            n++;
    free(locs);
    return n;
}
