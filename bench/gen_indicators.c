/*
 * gen_indicators.c - a deterministic feed of N indicators as CSV, for
 * bench/run_intel_bench.sh.
 *
 * The mix is that of a large commercial feed: 40 % addresses (a twentieth
 * of them IPv6, one in a hundred a /24 or /16 range), 25 % domains, 10 %
 * URLs, 20 % file hashes (MD5, SHA-1, SHA-256 alike), 3 % e-mail addresses,
 * 2 % user agents; eight sources, four TLPs, five confidence values.  The
 * output is a pure function of N and the seed (one splitmix64 stream).
 *
 * Usage: gen_indicators -n N [--seed S] -o FILE
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t st;

static uint64_t next(void)
{
    uint64_t z = (st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void label(char *o, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        o[i] = (char)('a' + next() % 26);
    o[n] = 0;
}

static void hex(char *o, unsigned n)
{
    static const char h[] = "0123456789abcdef";
    for (unsigned i = 0; i < n; i++)
        o[i] = h[next() & 15];
    o[n] = 0;
}

static void domain(char *o)
{
    static const char *const tld[] = {"com", "net", "org", "info", "biz", "jp", "ru", "xyz"};
    char l[24];
    label(l, 6 + (unsigned)(next() % 9));
    sprintf(o, "%s.%s", l, tld[next() % 8]);
}

int main(int argc, char **argv)
{
    uint64_t n = 0, seed = 1;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-n") && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: gen_indicators -n N [--seed S] -o FILE\n");
            return 2;
        }
    }
    if (!n || !out) {
        fprintf(stderr, "usage: gen_indicators -n N [--seed S] -o FILE\n");
        return 2;
    }
    FILE *f = fopen(out, "w");
    if (!f) {
        perror(out);
        return 1;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    st = seed;
    static const char *const src[] = {"feed-alpha", "feed-bravo", "feed-charlie", "feed-delta",
                                      "feed-echo",  "feed-fox",   "feed-golf",    "feed-hotel"};
    static const char *const tlp[] = {"clear", "green", "amber", "red"};
    static const int conf[] = {30, 50, 70, 85, 95};
    fputs("type,value,source,confidence,tlp\n", f);
    char v[256], d[64];
    for (uint64_t i = 0; i < n; i++) {
        unsigned r = (unsigned)(next() % 100);
        const char *type;
        if (r < 40) {
            type = "ip";
            uint64_t x = next();
            unsigned k = (unsigned)(x % 100);
            if (k < 5)
                sprintf(v, "2001:db8:%x:%x::%x", (unsigned)(x >> 8) & 0xffff,
                        (unsigned)(x >> 24) & 0xffff, (unsigned)(x >> 40) & 0xffff);
            else if (k < 6)
                sprintf(v, "%u.%u.%u.0/%u", (unsigned)(x >> 8) & 255, (unsigned)(x >> 16) & 255,
                        (unsigned)(x >> 24) & 255, (x >> 40) & 1 ? 24 : 16);
            else
                sprintf(v, "%u.%u.%u.%u", (unsigned)(x >> 8) & 255, (unsigned)(x >> 16) & 255,
                        (unsigned)(x >> 24) & 255, (unsigned)(x >> 32) & 255);
        } else if (r < 65) {
            type = "domain";
            domain(v);
        } else if (r < 75) {
            type = "url";
            char p[16];
            domain(d);
            label(p, 10);
            sprintf(v, "http://%s/%s/%" PRIu64 ".php", d, p, next() % 1000);
        } else if (r < 95) {
            static const unsigned len[] = {32, 40, 64};
            static const char *const nm[] = {"md5", "sha1", "sha256"};
            unsigned k = (unsigned)(next() % 3);
            type = nm[k];
            hex(v, len[k]);
        } else if (r < 98) {
            type = "email";
            char u[16];
            domain(d);
            hex(u, 8);
            sprintf(v, "user%s@%s", u, d);
        } else {
            type = "user_agent";
            sprintf(v, "Mozilla/5.0 (compatible; Bot%" PRIu64 "/1.%u)", next() % 100000,
                    (unsigned)(next() % 10));
        }
        fprintf(f, "%s,%s,%s,%d,%s\n", type, v, src[next() % 8], conf[next() % 5], tlp[next() % 4]);
    }
    if (fclose(f) != 0) {
        perror(out);
        return 1;
    }
    return 0;
}
