/*
 * The web log decoders' fast paths against their definitions:
 *
 * - the inline helpers of fmt_net.h (yg__json_plain_copy, yg__find_byte,
 *   yg__copy_small) at every length from 0 to 64 and with a byte that needs
 *   the general writer at every position, reading only the string's own
 *   bytes and writing only the copy's;
 * - W3C and access log records whose fields carry such a byte at every
 *   position of every length from 1 to 48 give, byte for byte, the record
 *   built field by field with the general JSON writers (yg_buf_add_json_str,
 *   yg__json_str_unesc): the fields written in place, cs-uri-query's two
 *   values and the user agent's two spellings included;
 * - the access log's UTC date for every day 1 to 31 of every month of four
 *   years, at the day's edges, with zone offsets that move it to the day
 *   before or after or leave it: the calendar conversion of
 *   core/timeparse.c gives the same date and time;
 * - the nginx error log's client address and appended context found in one
 *   pass: every key at every offset, repeated keys (the first wins), a quote
 *   inside a quoted value.
 *
 * Every string is passed in a buffer of exactly its size, so that a read
 * past its end shows under the sanitizers.
 */
#include "core/timeparse.h"
#include "decode/fmt_net.h"
#include "tap.h"

extern const struct yg_linefmt yg__fmt_w3c, yg__fmt_combined;

/* A fresh copy of s[0..n) in a buffer of exactly n bytes (one for n 0). */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    return p;
}

/* Bytes that take the general writer (or an unescape), and two that do
 * not; none is a field separator. */
static const char *const odd[] = {"\"", "\\", "\x01", "\x7f", "\xff", "\xc3\xa9", "~", "+"};
#define NODD (sizeof odd / sizeof *odd)

/* Whether byte c needs the general writer. */
static bool needs_general(unsigned char c)
{
    return c < 0x20 || c >= 0x7f || c == '"' || c == '\\';
}

/* ---- fmt_net.h helpers ------------------------------------------------------ */

static void test_helpers(void)
{
    char s[80], o[96];
    int bad = 0, runs = 0;
    for (size_t n = 0; n <= 64; n++) {
        for (size_t i = 0; i < n; i++)
            s[i] = (char)('A' + i % 26);
        /* Plain: copied exactly, nothing written past the copy. */
        char *x = exact(s, n);
        memset(o, '#', sizeof o);
        char *e = yg__json_plain_copy(o, x, n);
        runs++;
        bad += !(e == o + n && memcmp(o, s, n) == 0 && o[n] == '#');
        memset(o, '#', sizeof o);
        yg__copy_small(o, x, n);
        runs++;
        bad += !(memcmp(o, s, n) == 0 && o[n] == '#');
        free(x);
        /* One byte that needs the general writer, at every position. */
        for (size_t at = 0; at < n; at++)
            for (int c = 0; c < 256; c++) {
                if (!needs_general((unsigned char)c) && c != 'a')
                    continue;
                char w[80];
                memcpy(w, s, n);
                w[at] = (char)c;
                x = exact(w, n);
                memset(o, '#', sizeof o);
                e = yg__json_plain_copy(o, x, n);
                runs++;
                if (c == 'a')
                    bad += !(e == o + n && memcmp(o, w, n) == 0 && o[n] == '#');
                else
                    bad += !(e == NULL && o[n] == '#');
                free(x);
            }
        /* yg__find_byte: the first ':' at or after each start, wherever it
         * is, and n when there is none. */
        for (size_t at = 0; at <= n; at++) {
            char w[80];
            memcpy(w, s, n);
            if (at < n)
                w[at] = ':';
            if (at + 3 < n)
                w[at + 3] = ':';
            x = exact(w, n);
            for (size_t from = 0; from <= n; from++) {
                size_t want = from;
                while (want < n && w[want] != ':')
                    want++;
                runs++;
                bad += yg__find_byte(x, from, n, ':') != want;
            }
            free(x);
        }
    }
    CHECK_MSG(bad == 0, "%d of %d helper results differ from the byte-at-a-time definition", bad,
              runs);
}

/* ---- W3C -------------------------------------------------------------------- */

/* Building the expected records and the lines cannot fail but for memory. */
#define MUST(x)                                                                                    \
    do {                                                                                           \
        if ((x) != YG_OK)                                                                          \
            abort();                                                                               \
    } while (0)

/* s as yg_buf_add_json_str writes it. */
static void gen_str(struct yg_buf *b, const char *s, size_t n)
{
    MUST(yg_buf_add_json_str(b, s, n));
}

/* The escaped body of s (no quotes). */
static void gen_body(struct yg_buf *b, const char *s, size_t n)
{
    MUST(yg__json_body(b, s, n));
}

static void add(struct yg_buf *b, const char *s)
{
    MUST(yg_buf_add(b, s, strlen(s)));
}

static void addn(struct yg_buf *b, const char *s, size_t n)
{
    MUST(yg_buf_add(b, s, n));
}

/* One W3C record, fields s-ip cs-uri-stem cs-uri-query cs(User-Agent), with
 * v as stem, query and user agent in turn: the decoder's output and the
 * record built with the general writers must be the same bytes. */
static int w3c_same(void *st, const char *v, size_t vn, int which)
{
    const char *stem = which == 0 ? v : "/a", *query = which == 1 ? v : "q=1",
               *ua = which == 2 ? v : "UA";
    size_t sn = which == 0 ? vn : 2, qn = which == 1 ? vn : 3, un = which == 2 ? vn : 2;
    struct yg_buf line, want, got;
    yg_buf_init(&line, 0);
    yg_buf_init(&want, 0);
    yg_buf_init(&got, 0);
    add(&line, "10.0.0.5 ");
    addn(&line, stem, sn);
    add(&line, " ");
    addn(&line, query, qn);
    add(&line, " ");
    addn(&line, ua, un);

    add(&want, "{\"s-ip\":\"10.0.0.5\",\"cs-uri-stem\":");
    gen_str(&want, stem, sn);
    add(&want, ",\"cs-user-agent\":");
    if (memchr(ua, '+', un)) {
        /* As logged, then with `+` as spaces. */
        char sp[64];
        for (size_t i = 0; i < un; i++)
            sp[i] = ua[i] == '+' ? ' ' : ua[i];
        add(&want, "[");
        gen_str(&want, ua, un);
        add(&want, ",");
        gen_str(&want, sp, un);
        add(&want, "]");
    } else {
        gen_str(&want, ua, un);
    }
    add(&want, ",\"cs-uri-query\":[\"");
    gen_body(&want, stem, sn);
    add(&want, "?");
    gen_body(&want, query, qn);
    add(&want, "\",");
    gen_str(&want, query, qn);
    add(&want, "]}");

    char *x = exact(line.p, line.n);
    struct yg_logsrc ls;
    struct yg_decode_err e;
    yg_err err = yg__fmt_w3c.decode(st, x, line.n, &got, &ls, &e);
    int ok = err == YG_OK && got.n == want.n && memcmp(got.p, want.p, want.n) == 0;
    if (!ok)
        fprintf(stderr, "w3c field %d, %zu bytes: %s\n got  %.*s\n want %.*s\n", which, vn,
                err ? e.msg : "", (int)got.n, got.p ? got.p : "", (int)want.n, want.p);
    free(x);
    yg_buf_free(&line);
    yg_buf_free(&want);
    yg_buf_free(&got);
    return ok;
}

static void test_w3c(void)
{
    void *st = yg__fmt_w3c.state_new();
    static const char fields[] = "#Fields: s-ip cs-uri-stem cs-uri-query cs(User-Agent)";
    struct yg_buf out;
    yg_buf_init(&out, 0);
    struct yg_logsrc ls;
    struct yg_decode_err e;
    CHECK(yg__fmt_w3c.decode(st, fields, sizeof fields - 1, &out, &ls, &e) == YG_EOF);
    yg_buf_free(&out);
    char v[64];
    int bad = 0, runs = 0;
    for (size_t vn = 1; vn <= 48; vn++) {
        for (size_t i = 0; i < vn; i++)
            v[i] = (char)('a' + i % 26);
        for (int which = 0; which < 3; which++) {
            runs++;
            bad += !w3c_same(st, v, vn, which);
            for (size_t o = 0; o < NODD; o++) {
                size_t ol = strlen(odd[o]);
                /* A quote first would make it a quoted field. */
                for (size_t at = odd[o][0] == '"'; at + ol <= vn; at++) {
                    char w[64];
                    memcpy(w, v, vn);
                    memcpy(w + at, odd[o], ol);
                    runs++;
                    bad += !w3c_same(st, w, vn, which);
                }
            }
        }
    }
    yg__fmt_w3c.state_free(st);
    CHECK_MSG(bad == 0, "%d of %d W3C records differ from the general writers' record", bad, runs);
}

/* ---- access log ------------------------------------------------------------- */

/* An access log record with v as the user, the request target's stem and
 * query, the referer and the user agent in turn. */
static int access_same(const char *v, size_t vn, int which)
{
    const char *user = which == 0 ? v : "frank", *stem = which == 1 ? v : "/a",
               *query = which == 2 ? v : "q=1", *ref = which == 3 ? v : "http://x/",
               *ua = which == 4 ? v : "UA";
    size_t un = which == 0 ? vn : 5, sn = which == 1 ? vn : 2, qn = which == 2 ? vn : 3,
           rn = which == 3 ? vn : 9, an = which == 4 ? vn : 2;
    struct yg_buf line, want, got;
    yg_buf_init(&line, 0);
    yg_buf_init(&want, 0);
    yg_buf_init(&got, 0);
    add(&line, "127.0.0.1 - ");
    addn(&line, user, un);
    add(&line, " [10/Oct/2000:13:55:36 -0700] \"GET ");
    addn(&line, stem, sn);
    add(&line, "?");
    addn(&line, query, qn);
    add(&line, " HTTP/1.1\" 200 2326 \"");
    addn(&line, ref, rn);
    add(&line, "\" \"");
    addn(&line, ua, an);
    add(&line, "\"");

    /* The target as one string, for cs-uri-query's first value. */
    char tgt[128];
    memcpy(tgt, stem, sn);
    tgt[sn] = '?';
    memcpy(tgt + sn + 1, query, qn);
#define UNESC(s, n) MUST(yg__json_str_unesc(&want, (s), (n), 0))
    add(&want, "{\"c-ip\":\"127.0.0.1\",\"cs-username\":");
    UNESC(user, un);
    add(&want, ",\"date\":\"2000-10-10\",\"time\":\"20:55:36\",\"cs-method\":\"GET\","
               "\"cs-uri-stem\":");
    UNESC(stem, sn);
    add(&want, ",\"cs-uri-query\":[");
    UNESC(tgt, sn + 1 + qn);
    add(&want, ",");
    UNESC(query, qn);
    add(&want, "],\"cs-version\":\"HTTP/1.1\",\"sc-status\":\"200\",\"sc-bytes\":\"2326\","
               "\"cs-referer\":");
    UNESC(ref, rn);
    add(&want, ",\"cs-user-agent\":");
    UNESC(ua, an);
    add(&want, "}");
#undef UNESC

    char *x = exact(line.p, line.n);
    struct yg_logsrc ls;
    struct yg_decode_err e;
    yg_err err = yg__fmt_combined.decode(NULL, x, line.n, &got, &ls, &e);
    int ok = err == YG_OK && got.n == want.n && memcmp(got.p, want.p, want.n) == 0;
    if (!ok)
        fprintf(stderr, "access field %d, %zu bytes: %s\n got  %.*s\n want %.*s\n", which, vn,
                err ? e.msg : "", (int)got.n, got.p ? got.p : "", (int)want.n, want.p);
    free(x);
    yg_buf_free(&line);
    yg_buf_free(&want);
    yg_buf_free(&got);
    return ok;
}

static void test_access(void)
{
    char v[64];
    int bad = 0, runs = 0;
    for (size_t vn = 1; vn <= 48; vn++) {
        for (size_t i = 0; i < vn; i++)
            v[i] = (char)('a' + i % 26);
        for (int which = 0; which < 5; which++) {
            runs++;
            bad += !access_same(v, vn, which);
            for (size_t o = 0; o < NODD; o++) {
                size_t ol = strlen(odd[o]);
                for (size_t at = 0; at + ol <= vn; at++) {
                    /* A quote ends a quoted field when a space follows, and
                     * a backslash escapes the closing quote when it is the
                     * last byte: neither tests the writer. */
                    if (odd[o][0] == '"' && which >= 3)
                        continue;
                    if (odd[o][0] == '\\' && which >= 3 && at + 1 == vn)
                        continue;
                    char w[64];
                    memcpy(w, v, vn);
                    memcpy(w + at, odd[o], ol);
                    runs++;
                    bad += !access_same(w, vn, which);
                }
            }
        }
    }
    CHECK_MSG(bad == 0, "%d of %d access log records differ from the general writers' record", bad,
              runs);
}

/* The access log's date and time in UTC against the calendar conversion. */
static void test_access_dates(void)
{
    static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const unsigned years[] = {1900, 2000, 2023, 2024};
    static const unsigned hms[][3] = {
        {0, 0, 0}, {0, 59, 59}, {12, 0, 0}, {23, 59, 59}, {23, 59, 60}};
    static const char *const zones[] = {"-9959", "-1200", "-0700", "-0001", "+0000",
                                        "+0001", "+0530", "+1400", "+9959"};
    struct yg_buf out;
    yg_buf_init(&out, 0);
    int bad = 0, runs = 0;
    for (size_t y = 0; y < sizeof years / sizeof *years; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= 31; d++)
                for (size_t t = 0; t < sizeof hms / sizeof *hms; t++)
                    for (size_t z = 0; z < sizeof zones / sizeof *zones; z++) {
                        char line[160];
                        int n = snprintf(line, sizeof line,
                                         "1.2.3.4 - - [%02u/%s/%04u:%02u:%02u:%02u %s] \"GET / "
                                         "HTTP/1.1\" 200 5",
                                         d, mon[m - 1], years[y], hms[t][0], hms[t][1], hms[t][2],
                                         zones[z]);
                        const char *zs = zones[z];
                        int64_t off = (zs[0] == '-' ? -1 : 1) *
                                      (int64_t)(((zs[1] - '0') * 10 + zs[2] - '0') * 3600 +
                                                ((zs[3] - '0') * 10 + zs[4] - '0') * 60);
                        int64_t secs = yg__days_from_civil(years[y], m, d) * 86400 +
                                       hms[t][0] * 3600 + hms[t][1] * 60 + hms[t][2] - off;
                        int64_t days = (secs >= 0 ? secs : secs - 86399) / 86400,
                                rem = secs - days * 86400, wy;
                        unsigned wm, wd;
                        yg__civil_from_days(days, &wy, &wm, &wd);
                        char want[96];
                        snprintf(want, sizeof want,
                                 "\"date\":\"%04d-%02u-%02u\",\"time\":\"%02d:%02d:%02d\"", (int)wy,
                                 wm, wd, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
                        char *x = exact(line, (size_t)n);
                        struct yg_logsrc ls;
                        struct yg_decode_err e;
                        yg_buf_reset(&out);
                        yg_err err = yg__fmt_combined.decode(NULL, x, (size_t)n, &out, &ls, &e);
                        runs++;
                        bool ok = err == YG_OK && strstr(out.p, want);
                        if (!ok)
                            fprintf(stderr, "%s: %s, want %s\n", line, err ? e.msg : out.p, want);
                        bad += !ok;
                        free(x);
                    }
    yg_buf_free(&out);
    CHECK_MSG(bad == 0, "%d of %d access log dates differ from the calendar conversion", bad, runs);
}

/* ---- nginx error log ---------------------------------------------------------- */

static int nginx_has(const char *line, const char *const *want)
{
    size_t n = strlen(line);
    char *x = exact(line, n);
    struct yg_buf out;
    yg_buf_init(&out, 0);
    struct yg_logsrc ls;
    struct yg_decode_err e;
    yg_err err = yg__fmt_combined.decode(NULL, x, n, &out, &ls, &e);
    int ok = err == YG_OK;
    for (size_t k = 0; ok && want[k]; k++)
        ok = strstr(out.p, want[k]) != NULL;
    if (!ok)
        fprintf(stderr, "%s\n -> %s\n", line, err ? e.msg : out.p);
    free(x);
    yg_buf_free(&out);
    return ok;
}

static void test_nginx(void)
{
    int bad = 0, runs = 0;
    for (size_t pad = 0; pad <= 40; pad++) {
        char fill[48];
        memset(fill, 'm', pad);
        /* A comma without a space, and a key cut short, before the real
         * ones, so that only a whole `, key` counts. */
        if (pad > 6)
            memcpy(fill + pad - 6, ",x, se", 6);
        fill[pad] = 0;
        char line[512];
        snprintf(line, sizeof line,
                 "2024/05/01 12:00:01 [error] 31#31: *7 %s, host: \"h1\"b\", client: 1.2.3.4, "
                 "server: s1, request: \"GET /x?y=1 HTTP/1.1\", upstream: \"http://u/\", "
                 "referrer: \"r1\", host: \"h2\", client: 5.6.7.8, server: s2",
                 fill);
        static const char *const want[] = {"\"c-ip\":\"1.2.3.4\"",       "\"server\":\"s1\"",
                                           "\"cs-method\":\"GET\"",      "\"cs-uri-stem\":\"/x\"",
                                           "\"upstream\":\"http://u/\"", "\"cs-host\":\"h1\\\"b\"",
                                           "\"cs-referer\":\"r1\"",      NULL};
        runs++;
        bad += !nginx_has(line, want);
        /* Each key alone at the end of the line. */
        static const char *const tail[][2] = {{", client: 9.9.9.9", "\"c-ip\":\"9.9.9.9\""},
                                              {", server: s9", "\"server\":\"s9\""},
                                              {", host: \"h9\"", "\"cs-host\":\"h9\""},
                                              {", referrer: \"r9\"", "\"cs-referer\":\"r9\""}};
        for (size_t k = 0; k < sizeof tail / sizeof *tail; k++) {
            snprintf(line, sizeof line, "2024/05/01 12:00:01 [error] 31#31: %s%s", fill,
                     tail[k][0]);
            const char *w[] = {tail[k][1], NULL};
            runs++;
            bad += !nginx_has(line, w);
        }
    }
    CHECK_MSG(bad == 0, "%d of %d nginx lines lost a field", bad, runs);
}

int main(void)
{
    test_helpers();
    test_w3c();
    test_access();
    test_access_dates();
    test_nginx();
    TAP_DONE();
}
