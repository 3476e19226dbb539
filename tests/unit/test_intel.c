/* The indicator store: STIX patterns (every example of the specification),
 * CIDR longest prefix, domain suffixes, URL normalisation, expiry, TLP
 * mapping, MISP to_ids, CSV errors with line:column, and intel hits through
 * the engine as alerts of the built-in rules. */
#include "tap.h"
#include "yagura/yagura.h"

#include "core/core.h"
#include "intel/intel.h"

/* ---- STIX patterns ---------------------------------------------------- */

struct want {
    yg_err err;
    size_t n;
    const char *first_value; /* of the first indicator */
    yg_ioc_type first_type;
};

/* One entry per line of stix21_pattern_spec_examples.txt, in order. */
static const struct want examples[] = {
    {YG_OK, 1, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", YG_IOC_HASH},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* MATCHES only */
    {YG_OK, 1, "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f", YG_IOC_HASH},
    {YG_OK, 3, "bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c", YG_IOC_HASH},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* FOLLOWEDBY ... WITHIN */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* user-account */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* artifact MATCHES */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* file:name AND parent directory */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* > */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* mime type, magic number */
    {YG_OK, 1, "203.0.113.33/32", YG_IOC_IP},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* REPEATS */
    {YG_OK, 1, "www.5z8.info", YG_IOC_DOMAIN},
    {YG_OK, 2, "http://example.com/foo", YG_IOC_URL},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* x509 */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* registry keys */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* file name/size/created */
    {YG_OK, 1, "jdoe@example.com", YG_IOC_EMAIL},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* x-usb-device */
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* FOLLOWEDBY */
    {YG_OK, 1, "2001:0db8:dead:beef:0000:0000:0000:0000/64", YG_IOC_IP},
    {YG_EUNSUPPORTED, 0, NULL, 0}, /* file, registry, process */
    {YG_OK, 1, "cead3f77f6cda6ec00f57d76c9a69faa", YG_IOC_HASH},
};

static void test_spec_examples(void)
{
    char *text;
    size_t len;
    yg_err e = yg_file_read(YG_SHARED_DIR "/spec/stix-taxii/stix21_pattern_spec_examples.txt",
                            1u << 20, &text, &len);
    CHECK(e == YG_OK);
    if (e)
        return;
    struct yg_arena a;
    yg_arena_init(&a, 1u << 14, 0);
    size_t i = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), i++) {
        struct yg_pat_result r;
        yg_arena_reset(&a);
        size_t n = strlen(line);
        e = yg__stix_pattern(line, n, &a, &r);
        CHECK_MSG(i < sizeof examples / sizeof *examples, "more examples than expected");
        if (i >= sizeof examples / sizeof *examples)
            break;
        const struct want *w = &examples[i];
        CHECK_MSG(e == w->err, "example %zu: %s: got %d (%s) want %d", i + 1, line, e, r.why,
                  w->err);
        if (e == YG_OK && w->err == YG_OK) {
            CHECK_MSG(r.n == w->n, "example %zu: %zu indicators, want %zu", i + 1, r.n, w->n);
            CHECK_MSG(r.n && r.iocs[0].type == w->first_type &&
                          strlen(w->first_value) == r.iocs[0].vn &&
                          !memcmp(r.iocs[0].value, w->first_value, r.iocs[0].vn),
                      "example %zu: first indicator %.*s", i + 1, r.n ? (int)r.iocs[0].vn : 0,
                      r.n ? r.iocs[0].value : "");
        }
        /* Every prefix parses or fails cleanly. */
        for (size_t k = 0; k < n; k++) {
            yg_arena_reset(&a);
            yg_err pe = yg__stix_pattern(line, k, &a, &r);
            CHECK(pe == YG_OK || pe == YG_ESYNTAX || pe == YG_EUNSUPPORTED || pe == YG_ELIMIT);
        }
    }
    CHECK(i == sizeof examples / sizeof *examples);
    yg_arena_free(&a);
    yg_free(text);
}

static void test_pattern_errors(void)
{
    static const struct {
        const char *p;
        yg_err err;
        unsigned col;
    } cases[] = {
        {"[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a69faa'", YG_ESYNTAX, 54},
        {"[ipv4-addr:value = ]", YG_ESYNTAX, 20},
        {"[ipv4-addr:value = '1.2.3.4'] BOGUS", YG_ESYNTAX, 31},
        {"ipv4-addr:value = '1.2.3.4'", YG_ESYNTAX, 1},
        {"[ipv4-addr:value = '1.2.3.4]", YG_ESYNTAX, 20},
        {"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]", YG_OK, 0},
        {"[ipv4-addr:value != '1.2.3.4']", YG_EUNSUPPORTED, 1},
        {"[domain-name:value LIKE '%.evil.com']", YG_EUNSUPPORTED, 1},
        {"[url:value = 'http://x.test/a'] START t'2016-01-01T00:00:00Z' STOP "
         "t'2016-02-01T00:00:00Z'",
         YG_EUNSUPPORTED, 1},
        {"[network-traffic:dst_ref.value = 'evil.example' AND network-traffic:dst_port = 443]",
         YG_OK, 0},
        {"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'EvilUA/1']",
         YG_OK, 0},
        {"[file:hashes.'SHA-1' = 'e888a552b00d810b5521002304d4f11bc249d8ed' /* c */]", YG_OK, 0},
    };
    struct yg_arena a;
    yg_arena_init(&a, 1u << 14, 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct yg_pat_result r;
        yg_arena_reset(&a);
        yg_err e = yg__stix_pattern(cases[i].p, strlen(cases[i].p), &a, &r);
        CHECK_MSG(e == cases[i].err, "%s: got %d (%s)", cases[i].p, e, r.why);
        if (cases[i].col)
            CHECK_MSG(r.col == cases[i].col, "%s: column %u, want %u (%s)", cases[i].p, r.col,
                      cases[i].col, r.why);
    }
    /* dst_ref holding a domain is a domain indicator; IN gives two. */
    struct yg_pat_result r;
    yg_arena_reset(&a);
    const char *p = "[network-traffic:dst_ref.value = 'evil.example']";
    CHECK(yg__stix_pattern(p, strlen(p), &a, &r) == YG_OK && r.n == 1 &&
          r.iocs[0].type == YG_IOC_DOMAIN);
    p = "[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]";
    CHECK(yg__stix_pattern(p, strlen(p), &a, &r) == YG_OK && r.n == 2);
    /* Depth limit: deep parentheses are refused, not a stack overflow. */
    char deep[4096];
    size_t k = 0;
    deep[k++] = '[';
    for (int i = 0; i < 1000; i++)
        deep[k++] = '(';
    deep[k] = 0;
    CHECK(yg__stix_pattern(deep, k, &a, &r) == YG_ELIMIT);
    yg_arena_free(&a);
}

/* ---- the store ------------------------------------------------------- */

struct diags {
    int n;
    unsigned line[16], col[16];
    yg_err err[16];
    char msg[16][256];
};

static void on_diag(void *ud, const yg_intel_diag *d)
{
    struct diags *g = ud;
    if (g->n < 16) {
        g->line[g->n] = d->line;
        g->col[g->n] = d->col;
        g->err[g->n] = d->err;
        snprintf(g->msg[g->n], sizeof g->msg[0], "%s", d->message);
    }
    g->n++;
}

struct hits {
    int n;
    char value[8][128], source[8][64], tlp[8][32], id[8][64];
};

static int on_hit(void *ud, const yg_intel_indicator *ind)
{
    struct hits *h = ud;
    if (h->n < 8) {
        snprintf(h->value[h->n], sizeof h->value[0], "%s", ind->value);
        snprintf(h->source[h->n], sizeof h->source[0], "%s", ind->source);
        snprintf(h->tlp[h->n], sizeof h->tlp[0], "%s", ind->tlp);
        snprintf(h->id[h->n], sizeof h->id[0], "%s", ind->id);
    }
    h->n++;
    return 0;
}

static int lookup(const yg_intel *in, yg_ioc_type t, const char *v, int64_t at, struct hits *h)
{
    memset(h, 0, sizeof *h);
    yg_intel_lookup(in, t, v, strlen(v), at, on_hit, h);
    return h->n;
}

static const char csv[] = "type,value,source,confidence,tlp,valid_until,id\n"
                          "ip,10.0.0.0/8,netfeed,60,green,,\n"
                          "ip,10.1.0.0/16,netfeed,70,amber,,\n"
                          "ip,198.51.100.7,netfeed,80,white,,ind-1\n"
                          "ipv6,2001:db8::/32,netfeed,,,,\n"
                          "domain,Example.COM.,dnsfeed,,red,,\n"
                          "domain,hxxp-not-a-domain/x,dnsfeed,,,,\n"
                          "url,HTTP://Evil.Example:80/path?q=1,urlfeed,,,,\n"
                          "md5,EA474E87F23CE6575057E76108665FFB,hashfeed,,,,\n"
                          "sha256,abcd,hashfeed,,,,\n"
                          "email,Bad.Actor@Evil.Example,mailfeed,,,,\n"
                          "user_agent,EvilUA/1.0,uafeed,,,,\n"
                          "ip,203.0.113.9,oldfeed,,,2020-01-01T00:00:00Z,\n"
                          "ip,203.0.113.10,netfeed,150,,,\n"
                          "registry,HKCU\\x,netfeed,,,,\n";

static void test_store(void)
{
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    struct diags g = {0};
    yg_intel_set_diag(in, on_diag, &g);
    CHECK(yg_intel_load_buffer(in, "t.csv", csv, sizeof csv - 1, NULL) == YG_OK);
    /* Errors with line and column: the bad domain (line 7 col 8), the short
     * hash (line 10 col 8), confidence 150 (line 14 col 25), the registry
     * type (line 15 col 1, unsupported). */
    CHECK_MSG(g.n == 4, "%d problems", g.n);
    CHECK(g.line[0] == 7 && g.col[0] == 8 && g.err[0] == YG_ESYNTAX);
    CHECK(g.line[1] == 10 && g.col[1] == 8);
    CHECK_MSG(g.line[2] == 14 && g.col[2] == 25, "%u:%u %s", g.line[2], g.col[2], g.msg[2]);
    CHECK(g.line[3] == 15 && g.col[3] == 1 && g.err[3] == YG_EUNSUPPORTED);
    CHECK(yg_intel_freeze(in) == YG_OK);
    CHECK(yg_intel_load_buffer(in, "late", "1.2.3.4\n", 8, NULL) == YG_ESTATE);
    yg_intel_stats st;
    yg_intel_get_stats(in, &st);
    CHECK(st.indicators == 10 && st.errors == 3 && st.unsupported == 1);
    CHECK(st.by_type[YG_IOC_IP] == 5 && st.cidr == 3 && st.expired == 1);
    struct hits h;
    /* Longest prefix first: the /16, then the /8. */
    CHECK(lookup(in, YG_IOC_IP, "10.1.2.3", INT64_MIN, &h) == 2);
    CHECK(!strcmp(h.value[0], "10.1.0.0/16") && !strcmp(h.value[1], "10.0.0.0/8"));
    CHECK(!strcmp(h.tlp[0], "TLP:AMBER") && !strcmp(h.tlp[1], "TLP:GREEN"));
    CHECK(lookup(in, YG_IOC_IP, "10.2.0.1", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_IP, "11.0.0.1", INT64_MIN, &h) == 0);
    CHECK(lookup(in, YG_IOC_IP, "198.51.100.7", INT64_MIN, &h) == 1 && !strcmp(h.id[0], "ind-1") &&
          !strcmp(h.tlp[0], "TLP:CLEAR") && !strcmp(h.source[0], "netfeed"));
    CHECK(lookup(in, YG_IOC_IP, "::ffff:198.51.100.7", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_IP, "2001:db8:1::5", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_IP, "2001:db9::5", INT64_MIN, &h) == 0);
    /* Domains: the name and its subdomains, case and trailing dot aside. */
    CHECK(lookup(in, YG_IOC_DOMAIN, "example.com", INT64_MIN, &h) == 1);
    CHECK(!strcmp(h.tlp[0], "TLP:RED") && !strcmp(h.value[0], "example.com"));
    CHECK(lookup(in, YG_IOC_DOMAIN, "A.B.EXAMPLE.com.", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_DOMAIN, "notexample.com", INT64_MIN, &h) == 0);
    CHECK(lookup(in, YG_IOC_DOMAIN, "example.com.evil", INT64_MIN, &h) == 0);
    /* URLs: scheme and host case, default port. */
    CHECK(lookup(in, YG_IOC_URL, "http://evil.example/path?q=1", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_URL, "http://EVIL.example:80/path?q=1#frag", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_URL, "http://evil.example/PATH?q=1", INT64_MIN, &h) == 0);
    CHECK(lookup(in, YG_IOC_HASH, "ea474e87f23ce6575057e76108665ffb", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_EMAIL, "Mallory <bad.actor@evil.example>", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_USER_AGENT, "EvilUA/1.0", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_USER_AGENT, "evilua/1.0", INT64_MIN, &h) == 0);
    /* Expiry: valid until 2020-01-01. */
    CHECK(lookup(in, YG_IOC_IP, "203.0.113.9", 1546300800000LL, &h) == 1); /* 2019 */
    CHECK(lookup(in, YG_IOC_IP, "203.0.113.9", 1609459200000LL, &h) == 0); /* 2021 */
    CHECK(lookup(in, YG_IOC_IP, "203.0.113.9", INT64_MIN, &h) == 1);
    /* A derived id is stable. */
    CHECK(lookup(in, YG_IOC_HASH, "EA474E87F23CE6575057E76108665FFB", INT64_MIN, &h) == 1);
    char id1[64];
    snprintf(id1, sizeof id1, "%s", h.id[0]);
    CHECK(!strncmp(id1, "indicator--", 11) && strlen(id1) == 47);
    lookup(in, YG_IOC_HASH, "ea474e87f23ce6575057e76108665ffb", INT64_MIN, &h);
    CHECK(!strcmp(id1, h.id[0]));
    yg_intel_release(in);
}

static const char stix[] =
    "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[\n"
    "{\"type\":\"indicator\",\"id\":\"indicator--a\",\"created_by_ref\":\"identity--x\","
    "\"pattern\":\"[ipv4-addr:value = '192.0.2.1']\",\"pattern_type\":\"stix\","
    "\"valid_from\":\"2024-01-01T00:00:00Z\",\"confidence\":75,"
    "\"object_marking_refs\":[\"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da\"]},\n"
    "{\"type\":\"indicator\",\"id\":\"indicator--b\",\"pattern\":\"[domain-name:value = "
    "'b.example']\",\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\","
    "\"object_marking_refs\":[\"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003\"]},\n"
    "{\"type\":\"indicator\",\"id\":\"indicator--c\",\"pattern\":\"[file:name = 'x.exe']\","
    "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"},\n"
    "{\"type\":\"indicator\",\"id\":\"indicator--d\",\"pattern\":\"[url:value = \","
    "\"pattern_type\":\"stix\",\"valid_from\":\"2024-01-01T00:00:00Z\"},\n"
    "{\"type\":\"indicator\",\"id\":\"indicator--e\",\"pattern\":\"[domain-name:value = "
    "'mark.example']\",\"pattern_type\":\"stix\",\"object_marking_refs\":[\"marking-definition--"
    "m\"]},\n"
    "{\"type\":\"marking-definition\",\"id\":\"marking-definition--m\",\"definition_type\":\"tlp\","
    "\"definition\":{\"tlp\":\"red\"}},\n"
    "{\"type\":\"identity\",\"id\":\"identity--x\",\"name\":\"Example CERT\"}]}\n";

static void test_stix(void)
{
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    struct diags g = {0};
    yg_intel_set_diag(in, on_diag, &g);
    CHECK(yg_intel_load_buffer(in, "b.json", stix, sizeof stix - 1, NULL) == YG_OK);
    CHECK(yg_intel_freeze(in) == YG_OK);
    CHECK_MSG(g.n == 2, "%d problems", g.n);
    CHECK(g.err[0] == YG_EUNSUPPORTED && g.line[0] == 4); /* file:name */
    CHECK(g.err[1] == YG_ESYNTAX && g.line[1] == 5);      /* unterminated pattern */
    struct hits h;
    /* The identity named after the indicator is the source; TLP 1.0 green. */
    CHECK(lookup(in, YG_IOC_IP, "192.0.2.1", INT64_MIN, &h) == 1);
    CHECK(!strcmp(h.source[0], "Example CERT") && !strcmp(h.tlp[0], "TLP:GREEN") &&
          !strcmp(h.id[0], "indicator--a"));
    CHECK(lookup(in, YG_IOC_DOMAIN, "b.example", INT64_MIN, &h) == 1 &&
          !strcmp(h.tlp[0], "TLP:AMBER+STRICT"));
    CHECK(lookup(in, YG_IOC_DOMAIN, "mark.example", INT64_MIN, &h) == 1 &&
          !strcmp(h.tlp[0], "TLP:RED"));
    yg_intel_release(in);
}

static const char misp[] =
    "{\"response\":[{\"Event\":{\"info\":\"test event\",\"threat_level_id\":\"1\","
    "\"Orgc\":{\"name\":\"Some CERT\"},\"Tag\":[{\"name\":\"tlp:green\"}],"
    "\"Attribute\":["
    "{\"type\":\"ip-dst\",\"value\":\"192.0.2.50\",\"to_ids\":true,\"uuid\":\"u-1\"},"
    "{\"type\":\"domain\",\"value\":\"quiet.example\",\"to_ids\":false,\"uuid\":\"u-2\"},"
    "{\"type\":\"domain|ip\",\"value\":\"pair.example|192.0.2.51\",\"to_ids\":true,"
    "\"uuid\":\"u-3\",\"Tag\":[{\"name\":\"tlp:amber\"}]},"
    "{\"type\":\"text\",\"value\":\"just words\",\"to_ids\":false,\"uuid\":\"u-4\"},"
    "{\"type\":\"md5\",\"value\":\"nothex\",\"to_ids\":true,\"uuid\":\"u-5\"}],"
    "\"Object\":[{\"Attribute\":[{\"type\":\"sha256\",\"to_ids\":true,\"uuid\":\"u-6\","
    "\"value\":\"2b0635ecdcac6c4a9dde337e76c6107012cd6511796b83603b4dbfbd8878ddd6\"}]}]}}]}";

static void test_misp(void)
{
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    struct diags g = {0};
    yg_intel_set_diag(in, on_diag, &g);
    CHECK(yg_intel_load_buffer(in, "m.json", misp, sizeof misp - 1, NULL) == YG_OK);
    CHECK(yg_intel_freeze(in) == YG_OK);
    yg_intel_stats st;
    yg_intel_get_stats(in, &st);
    CHECK_MSG(st.indicators == 4, "%zu", st.indicators);
    CHECK(st.skipped_not_ids == 1 && st.skipped_other == 1 && st.errors == 1 && g.n == 1);
    struct hits h;
    CHECK(lookup(in, YG_IOC_IP, "192.0.2.50", INT64_MIN, &h) == 1 &&
          !strcmp(h.source[0], "Some CERT") && !strcmp(h.tlp[0], "TLP:GREEN") &&
          !strcmp(h.id[0], "u-1"));
    CHECK(lookup(in, YG_IOC_DOMAIN, "quiet.example", INT64_MIN, &h) == 0);
    CHECK(lookup(in, YG_IOC_DOMAIN, "pair.example", INT64_MIN, &h) == 1 &&
          !strcmp(h.tlp[0], "TLP:AMBER"));
    CHECK(lookup(in, YG_IOC_IP, "192.0.2.51", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_HASH,
                 "2B0635ECDCAC6C4A9DDE337E76C6107012CD6511796B83603B4DBFBD8878DDD6", INT64_MIN,
                 &h) == 1);
    yg_intel_release(in);
}

static void test_plain_and_defaults(void)
{
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    CHECK(yg_intel_set_default_tlp(in, "tlp:bogus") == YG_EINVAL);
    CHECK(yg_intel_set_default_tlp(in, "white") == YG_OK);
    static const char list[] = "# Domains\nwww[.]ninesmn[.]com\n5.8.95[.]174\n\nhxxp://a.test/x\n";
    yg_intel_load_opts o = {0};
    o.source = "ESET";
    CHECK(yg_intel_load_buffer(in, "l.txt", list, sizeof list - 1, &o) == YG_OK);
    CHECK(yg_intel_freeze(in) == YG_OK);
    struct hits h;
    CHECK(lookup(in, YG_IOC_DOMAIN, "www.ninesmn.com", INT64_MIN, &h) == 1 &&
          !strcmp(h.tlp[0], "TLP:CLEAR") && !strcmp(h.source[0], "ESET"));
    CHECK(lookup(in, YG_IOC_IP, "5.8.95.174", INT64_MIN, &h) == 1);
    CHECK(lookup(in, YG_IOC_URL, "http://a.test/x", INT64_MIN, &h) == 1);
    yg_intel_release(in);
}

/* ---- through the engine ------------------------------------------------ */

struct alerts {
    int n;
    char title[4][96], extra[4][1024], matched[4][256];
    uint32_t idx[4];
};

static int on_alert(void *ud, const yg_alert *a)
{
    struct alerts *g = ud;
    if (g->n < 4) {
        snprintf(g->title[g->n], sizeof g->title[0], "%s", a->rule_title);
        snprintf(g->extra[g->n], sizeof g->extra[0], "%.*s", (int)a->extra_len,
                 a->extra_json ? a->extra_json : "");
        snprintf(g->matched[g->n], sizeof g->matched[0], "%.*s", (int)a->matched_len,
                 a->matched_json);
        g->idx[g->n] = a->rule_index;
    }
    g->n++;
    return 0;
}

static void test_engine(void)
{
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    static const char c[] = "type,value,source,tlp,valid_until\n"
                            "ip,192.0.2.66,feed,amber,\n"
                            "domain,evil.test,feed,red,\n"
                            "ip,192.0.2.77,feed,amber,2020-01-01\n";
    CHECK(yg_intel_load_buffer(in, "c.csv", c, sizeof c - 1, NULL) == YG_OK);
    CHECK(yg_intel_freeze(in) == YG_OK);
    yg_compiler *comp;
    CHECK(yg_compiler_create(&comp, YG_SOURCE_DIR) == YG_OK);
    CHECK(yg_compiler_add_intel(comp, in) == YG_OK);
    CHECK(yg_compiler_add_intel(comp, in) == YG_ESTATE);
    yg_intel_release(in);
    yg_rules *rules;
    CHECK(yg_compiler_get_rules(comp, &rules) == YG_OK);
    yg_compiler_destroy(comp);
    yg_rules_stats rs;
    yg_rules_get_stats(rules, &rs);
    CHECK(rs.builtin == 6 && rs.detection == 6);
    yg_scanner *s;
    CHECK(yg_scanner_create(rules, &s) == YG_OK);
    static const char ev[] =
        "{\"Event\":{\"System\":{\"EventID\":3,\"Channel\":\"Microsoft-Windows-Sysmon/"
        "Operational\","
        "\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"2024-03-01T00:00:00Z\"}}},"
        "\"EventData\":{\"SourceIp\":\"10.0.0.1\",\"DestinationIp\":\"192.0.2.66\","
        "\"DestinationHostname\":\"c2.EVIL.test\"}}}";
    struct alerts g = {0};
    CHECK(yg_scanner_scan_json(s, ev, sizeof ev - 1, on_alert, &g) == YG_OK);
    CHECK_MSG(g.n == 2, "%d alerts", g.n);
    CHECK(!strcmp(g.title[0], "Threat intelligence: ip indicator"));
    CHECK(!strcmp(g.matched[0], "{\"DestinationIp\":\"192.0.2.66\"}"));
    CHECK(strstr(g.extra[0], "\"intel\":{\"indicator_id\":\"indicator--") == g.extra[0]);
    CHECK(strstr(g.extra[0], "\"tlp\":\"TLP:AMBER\"") && strstr(g.extra[0], "\"source\":\"feed\""));
    CHECK(!strcmp(g.title[1], "Threat intelligence: domain indicator") &&
          strstr(g.extra[1], "\"tlp\":\"TLP:RED\""));
    CHECK(!strcmp(yg_rules_rule_id(rules, g.idx[0]), "53029179-8e5d-557c-8e4a-fdcf63c693fa"));
    /* Expired at the event's time (2024): no hit; an event of 2019 hits. */
    static const char old[] = "{\"Event\":{\"System\":{\"EventID\":3,\"Channel\":\"Microsoft-"
                              "Windows-Sysmon/Operational\","
                              "\"TimeCreated\":{\"#attributes\":{\"SystemTime\":\"%s\"}}},"
                              "\"EventData\":{\"DestinationIp\":\"192.0.2.77\"}}}";
    char buf[512];
    int n = snprintf(buf, sizeof buf, old, "2024-03-01T00:00:00Z");
    memset(&g, 0, sizeof g);
    CHECK(yg_scanner_scan_json(s, buf, (size_t)n, on_alert, &g) == YG_OK && g.n == 0);
    n = snprintf(buf, sizeof buf, old, "2019-03-01T00:00:00Z");
    CHECK(yg_scanner_scan_json(s, buf, (size_t)n, on_alert, &g) == YG_OK && g.n == 1);
    /* The service judges at the wall clock. */
    yg_scanner_set_intel_wallclock(s, true);
    memset(&g, 0, sizeof g);
    CHECK(yg_scanner_scan_json(s, buf, (size_t)n, on_alert, &g) == YG_OK && g.n == 0);
    /* min level above high: nothing. */
    yg_scanner_set_min_level(s, YG_LEVEL_CRIT);
    memset(&g, 0, sizeof g);
    CHECK(yg_scanner_scan_json(s, ev, sizeof ev - 1, on_alert, &g) == YG_OK && g.n == 0);
    yg_scanner_destroy(s);
    yg_rules_release(rules);
}

/* Times of indicators before 1970 are written on the day and second they
 * fall in (floored), like every other time the engine writes: -0.5 s is
 * 1969-12-31T23:59:59.500Z, not 1970-01-01T00:00:00.500Z. */
static void test_alert_times(void)
{
    static const char old[] = "type,value,valid_from\n"
                              "ip,192.0.2.9,1969-12-31T23:59:59.500Z\n";
    yg_intel *in;
    CHECK(yg_intel_create(&in) == YG_OK);
    CHECK(yg_intel_load_buffer(in, "old.csv", old, sizeof old - 1, NULL) == YG_OK);
    CHECK(yg_intel_freeze(in) == YG_OK);
    struct yg_buf b;
    yg_buf_init(&b, 0);
    CHECK(yg__intel_alert_json(in, 0, &b) == YG_OK && yg_buf_addc(&b, 0) == YG_OK);
    CHECK_MSG(b.p && strstr(b.p, "\"valid_from\":\"1969-12-31T23:59:59.500Z\""), "%s",
              b.p ? b.p : "(none)");
    yg_buf_free(&b);
    yg_intel_release(in);
}

int main(void)
{
    test_alert_times();
    test_spec_examples();
    test_pattern_errors();
    test_store();
    test_stix();
    test_misp();
    test_plain_and_defaults();
    test_engine();
    TAP_DONE();
}
