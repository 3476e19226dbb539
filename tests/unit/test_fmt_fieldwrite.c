/*
 * How the line decoders write a field, at the edges of their fast paths:
 *
 * - yg__json_kv (an inline fast path for keys of 1 to 16 and values of 1 to
 *   32 printable bytes) writes exactly what a byte-by-byte JSON escaper
 *   writes, for every key and value length from 0 to 48 with a byte that
 *   needs escaping (or UTF-8, or DEL) at every position, after a comma or
 *   not, and refuses a field the buffer's cap cannot hold as yg_buf_reserve
 *   does;
 * - the key=value scanner and the SonicWall decoder find keys, values and
 *   the `id=` body at every offset of the sixteen-byte blocks they look at,
 *   keep the first of a repeated key (long keys too), and split addresses
 *   at up to three colons;
 * - the ASA decoder writes every syslog PRI as its decimal digits;
 * - the SonicWall and PIX/FWSM samples still decode line by line.
 *
 * Every string is passed in a buffer of exactly its size, so that a read
 * past its end shows under the sanitizers.
 */
#include "decode/format.h"
#include "decode/json.h"
#include "tap.h"

extern const struct yg_linefmt yg__fmt_asa, yg__fmt_sonicwall;

#define SAMPLES YG_SOURCE_DIR "/tests/appliances/"

#include "fmt_fixture.h"

/* ---- yg__json_kv against a reference escaper ------------------------------ */

/* The JSON string of s as the documented rules write it: printable ASCII
 * and DEL as is, `"` and `\` after a backslash, \n \r \t short, valid UTF-8
 * as is (only the two-byte sequence this test uses), any other byte as
 * \u00XX. */
static size_t ref_str(char *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            o[k++] = '\\';
            o[k++] = (char)c;
        } else if (c == '\n') {
            o[k++] = '\\';
            o[k++] = 'n';
        } else if (c >= 0x20 && c <= 0x7f) {
            o[k++] = (char)c;
        } else if (c == 0xC3 && i + 1 < n && (s[i + 1] & 0xC0) == 0x80) {
            o[k++] = (char)c;
            o[k++] = (char)s[++i];
        } else {
            memcpy(o + k, "\\u00", 4);
            o[k + 4] = hex[c >> 4];
            o[k + 5] = hex[c & 15];
            k += 6;
        }
    }
    o[k++] = '"';
    return k;
}

/* A fresh copy of s[0..n) in a buffer of exactly n bytes (one for n 0). */
static char *exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    memcpy(p, s, n);
    return p;
}

/* One field: yg__json_kv and the reference must agree.  With room, into a
 * buffer that has it (the inline path for short fields); without, into an
 * empty one (the buffer grows in yg__json_kv_any). */
static int kv_same1(const char *k, size_t kn, const char *v, size_t vn, bool first0, bool room)
{
    char *kx = exact(k, kn), *vx = exact(v, vn);
    struct yg_buf b;
    yg_buf_init(&b, 0);
    bool first = first0;
    yg_err err = room ? yg_buf_reserve(&b, 512) : YG_OK;
    if (!err)
        err = yg__json_kv(&b, &first, kx, kn, vx, vn);
    char want[1024];
    size_t w = 0;
    if (!first0)
        want[w++] = ',';
    w += ref_str(want + w, (const unsigned char *)k, kn);
    want[w++] = ':';
    w += ref_str(want + w, (const unsigned char *)v, vn);
    int ok = err == YG_OK && !first && b.n == w && memcmp(b.p, want, w) == 0 && b.p[b.n] == 0;
    if (!ok)
        fprintf(stderr, "kn %zu vn %zu first %d room %d: got %.*s want %.*s\n", kn, vn, first0,
                room, (int)b.n, b.p ? b.p : "", (int)w, want);
    yg_buf_free(&b);
    free(kx);
    free(vx);
    return ok;
}

static int kv_same(const char *k, size_t kn, const char *v, size_t vn, bool first0)
{
    return kv_same1(k, kn, v, vn, first0, true) & kv_same1(k, kn, v, vn, first0, false);
}

static void test_json_kv(void)
{
    /* Bytes that take each way out of the fast path, and two that do not. */
    static const char *const odd[] = {"\"",   "\\",       "\x01", "\n", "\x7f",
                                      "\xff", "\xc3\xa9", " ",    "~"};
    char k[64], v[64];
    int bad = 0, runs = 0;
    for (size_t kn = 0; kn <= 20; kn++)
        for (size_t vn = 0; vn <= 48; vn++) {
            for (size_t i = 0; i < kn; i++)
                k[i] = (char)('a' + i % 26);
            for (size_t i = 0; i < vn; i++)
                v[i] = (char)('A' + i % 26);
            runs++;
            bad += !kv_same(k, kn, v, vn, true) + !kv_same(k, kn, v, vn, false);
            for (size_t o = 0; o < sizeof odd / sizeof *odd; o++) {
                size_t ol = strlen(odd[o]);
                /* At every position of the value, then of the key. */
                for (size_t at = 0; at + ol <= vn; at++) {
                    char w[64];
                    memcpy(w, v, vn);
                    memcpy(w + at, odd[o], ol);
                    runs++;
                    bad += !kv_same(k, kn, w, vn, at & 1);
                }
                for (size_t at = 0; at + ol <= kn; at++) {
                    char w[64];
                    memcpy(w, k, kn);
                    memcpy(w + at, odd[o], ol);
                    runs++;
                    bad += !kv_same(w, kn, v, vn, at & 1);
                }
            }
        }
    CHECK_MSG(bad == 0, "%d of %d fields differ from the reference", bad, runs);

    /* The cap: a field one byte too large for the buffer's limit is refused
     * with YG_ELIMIT, nothing written; one byte more of limit and it is
     * written.  The reservation is that of yg_buf_reserve: key, value and 6
     * bytes (a comma, four quotes, the colon). */
    for (size_t vn = 1; vn <= 40; vn += 13) {
        memset(v, 'x', vn);
        char *vx = exact(v, vn);
        for (size_t extra = 0; extra <= 1; extra++) {
            struct yg_buf b;
            yg_buf_init(&b, 1 + (3 + vn + 6) - 1 + extra); /* after a `{` */
            bool first = true;
            CHECK(yg_buf_addc(&b, '{') == YG_OK);
            yg_err err = yg__json_kv(&b, &first, "abc", 3, vx, vn);
            CHECK_MSG(extra ? err == YG_OK && b.n == 1 + 3 + vn + 5
                            : err == YG_ELIMIT && b.n == 1 && first,
                      "vn %zu extra %zu: %d, %zu bytes", vn, extra, (int)err, b.n);
            yg_buf_free(&b);
        }
        /* A field that fills the allocation to its last byte (the NUL):
         * written in place, nothing past the end (the sanitizers watch). */
        struct yg_buf b;
        yg_buf_init(&b, 0);
        CHECK(yg_buf_reserve(&b, 200) == YG_OK);
        size_t cap = b.cap, before = cap - (vn + 7) - 1;
        while (b.n < before)
            CHECK(yg_buf_addc(&b, '.') == YG_OK);
        bool first = false;
        CHECK(yg__json_kv(&b, &first, "k", 1, vx, vn) == YG_OK && b.cap == cap && b.n == cap - 1 &&
              b.p[before] == ',' && b.p[b.n - 1] == '"' && b.p[b.n] == 0);
        yg_buf_free(&b);
        free(vx);
    }
}

/* ---- key=value scanning and SonicWall ------------------------------------ */

/* Decode a copy of s of exactly its length. */
static yg_err decx(struct rec *r, const struct yg_linefmt *f, const char *s)
{
    size_t n = strlen(s);
    char *x = exact(s, n);
    yg_err err = dec(r, f, x, n);
    free(x);
    return err;
}

static void test_sonicwall_edges(struct rec *r)
{
    /* The body after headers of every length: `id=` at every offset of the
     * sixteen-byte blocks and in the tail looked at byte by byte. */
    for (int h = 0; h <= 40; h++) {
        char line[160], hdr[64];
        memset(hdr, 'h', (size_t)h);
        hdr[h] = 0;
        snprintf(line, sizeof line, "%s%sid=firewall sn=1 m=%d", hdr, h ? " " : "", h);
        CHECK_MSG(yg__fmt_sonicwall.sniff(line, strlen(line)) > 0, "header %d: not sniffed", h);
        CHECK_MSG(decx(r, &yg__fmt_sonicwall, line) == YG_OK, "header %d: %s", h,
                  r->e.msg ? r->e.msg : "");
        char m[8];
        snprintf(m, sizeof m, "%d", h);
        EQ(r, "m", m);
        EQ(r, "syslog_header", h ? hdr : NULL);
    }
    /* `id=` inside a word, or without ` sn=` after it, does not start the
     * body; the next one that does, does. */
    CHECK(decx(r, &yg__fmt_sonicwall, "xid=a sn=2 id=b xsn=3 id=firewall sn=1") == YG_OK);
    EQ(r, "syslog_header", "xid=a sn=2 id=b xsn=3");
    EQ(r, "id", "firewall");
    CHECK(yg__fmt_sonicwall.sniff("aaaaaaaaaaaaaaaaaaaaxid=firewall sn=1", 37) == 0);

    /* Keys and values around sixteen bytes and at the end of the line; a
     * repeated key keeps its first value, long keys as short ones. */
    CHECK(decx(r, &yg__fmt_sonicwall,
               "id=x sn=1 k0123456789abcde=v1 k0123456789abcdef=v2 k0123456789abcdefg=v3 "
               "k0123456789abcdef=again v=0123456789abcdef0123456789abcdef "
               "k0123456789abcdefg=again msg=first msg=second last=0123456789abcdefX") == YG_OK);
    EQ(r, "k0123456789abcde", "v1");
    EQ(r, "k0123456789abcdef", "v2");
    EQ(r, "k0123456789abcdefg", "v3");
    EQ(r, "v", "0123456789abcdef0123456789abcdef");
    EQ(r, "msg", "first");
    EQ(r, "last", "0123456789abcdefX");
    /* Short tails: the value ends the line a few bytes after `=`. */
    CHECK(decx(r, &yg__fmt_sonicwall, "id=x sn=1 a=b") == YG_OK);
    EQ(r, "a", "b");
    CHECK(decx(r, &yg__fmt_sonicwall, "id=x sn=1 abcdefghijklmnopq") == YG_ESYNTAX && r->e.msg &&
          strstr(r->e.msg, "key=value"));

    /* Addresses: up to three colons split, four or more are an IPv6
     * address whole, empty parts are skipped; a field already written (here
     * src_ip given by the device) keeps its value. */
    CHECK(decx(r, &yg__fmt_sonicwall, "id=x sn=1 src=1.2.3.4:80:X1:web dst=fe80::1:2:3") == YG_OK);
    EQ(r, "src_ip", "1.2.3.4");
    EQ(r, "src_port", "80");
    EQ(r, "src_interface", "X1");
    EQ(r, "src_host", "web");
    EQ(r, "dst_ip", "fe80::1:2:3");
    EQ(r, "dst_port", NULL);
    CHECK(decx(r, &yg__fmt_sonicwall, "id=x sn=1 src_ip=9.9.9.9 src=1.2.3.4:5 dst=::X0: ") ==
          YG_OK);
    EQ(r, "src_ip", "9.9.9.9");
    EQ(r, "src_port", "5");
    EQ(r, "dst_ip", NULL);
    EQ(r, "dst_port", NULL);
    EQ(r, "dst_interface", "X0");
    EQ(r, "dst_host", NULL);
    CHECK(decx(r, &yg__fmt_sonicwall, "id=x sn=1 src= dst=a:b:c:d:e") == YG_OK);
    EQ(r, "src", "");
    EQ(r, "src_ip", NULL);
    EQ(r, "dst_ip", "a:b:c:d:e");
}

/* ---- ASA: the syslog PRI ------------------------------------------------- */

static void test_asa_pri(struct rec *r)
{
    static const char *const pri[] = {"0", "7", "9", "10", "99", "100", "166", "191"};
    for (size_t k = 0; k < sizeof pri / sizeof *pri; k++) {
        char line[160];
        snprintf(line, sizeof line,
                 "<%s>Mar 12 2008 10:02:08 pix01 : %%PIX-6-113004: AAA user authentication "
                 "Successful : server = 10.0.0.8 : user = alice",
                 pri[k]);
        CHECK_MSG(decx(r, &yg__fmt_asa, line) == YG_OK, "<%s>: %s", pri[k],
                  r->e.msg ? r->e.msg : "");
        EQ(r, "syslog_pri", pri[k]);
        EQ(r, "user", "alice");
    }
}

/* The samples of the two decoders changed here still decode whole. */
static void test_samples(struct rec *r)
{
    static struct lines L;
    CHECK(every_line(SAMPLES "sonicwall.log", &yg__fmt_sonicwall, "sonicwall", NULL, &L, r) == 15);
    free(L.buf);
    CHECK(every_line(SAMPLES "pix.log", &yg__fmt_asa, "cisco", "asa", &L, r) == 10);
    free(L.buf);
}

int main(void)
{
    static struct rec r;
    rec_init(&r);
    test_json_kv();
    test_samples(&r);
    test_sonicwall_edges(&r);
    test_asa_pri(&r);
    rec_free(&r);
    TAP_DONE();
}
