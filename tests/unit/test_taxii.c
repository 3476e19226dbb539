/*
 * test_taxii.c - the TAXII request handler without sockets: routing,
 * media types, authentication, rights, the TLP ceiling, paging and next
 * tokens, POST and status, DELETE; the JSON tree; TLP and time helpers;
 * failed-login limits and the timing of logins of unknown users.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "core/yaml.h"
#include "taxii/taxii.h"
#include "tap.h"

#define C_G "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
#define C_R "52892447-4d7e-4f70-b94d-d7f22742ff63"
#define TLP_GREEN "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
#define TLP_RED "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"

static struct yg_taxii_server *srv;
static struct yg_taxii_cfg *cfg;
static char auth_alice[128], auth_bob[128], bearer[128];
static const char *peer; /* client address of req() */

static struct yg_taxii_resp req(const char *method, const char *path, const char *query,
                                const char *auth, const char *body)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 24);
    struct yg_taxii_arg *args = NULL;
    size_t nargs = 0;
    if (query && yg__taxii_parse_query(query, strlen(query), &a, &args, &nargs) != YG_OK)
        abort();
    struct yg_taxii_req rq = {.method = method,
                              .path = path,
                              .args = args,
                              .nargs = nargs,
                              .accept = "application/taxii+json;version=2.1",
                              .content_type = body ? "application/taxii+json;version=2.1" : NULL,
                              .authorization = auth,
                              .body = body,
                              .body_len = body ? strlen(body) : 0,
                              .peer = peer};
    struct yg_taxii_resp rs;
    yg__taxii_handle(srv, &rq, &rs);
    yg_arena_free(&a);
    yg_buf_addc(&rs.body, 0) == YG_OK ? (void)rs.body.n-- : (void)0;
    return rs;
}

static unsigned status(const char *method, const char *path, const char *query, const char *auth,
                       const char *body)
{
    struct yg_taxii_resp rs = req(method, path, query, auth, body);
    unsigned s = rs.status;
    yg_buf_free(&rs.body);
    return s;
}

static char *obj(int i, const char *marking)
{
    static char b[1024];
    snprintf(
        b, sizeof b,
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"indicator--%08x-0000-4000-8000-"
        "000000000000\",\"created\":\"2024-01-01T00:00:00Z\",\"modified\":\"2024-01-01T00:00:00Z\","
        "\"pattern\":\"[ipv4-addr:value = '10.0.0.1']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-01-01T00:00:00Z\"%s%s%s}",
        i, marking ? ",\"object_marking_refs\":[\"" : "", marking ? marking : "",
        marking ? "\"]" : "");
    return b;
}

static void test_json(void)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 20);
    struct yg_tj *v;
    const char *doc = " {\"a\": [1, -2.5e3, true, null], \"b\": \"x\\u00e9\\ud83d\\ude00\\n\"} ";
    CHECK(yg__tj_parse(doc, strlen(doc), &a, &v, NULL, NULL) == YG_OK);
    CHECK(v->type == YG_TJ_OBJ && v->n == 2);
    CHECK(yg__tj_get(v, "a")->n == 4);
    CHECK(strcmp(yg__tj_str(v, "b"), "x\xc3\xa9\xf0\x9f\x98\x80\n") == 0);
    CHECK(memcmp(doc + yg__tj_get(v, "a")->start, "[1", 2) == 0);
    const char *bad[] = {"{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "[1] x", "tru", "\"a", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(yg__tj_parse(bad[i], strlen(bad[i]), &a, &v, NULL, NULL) == YG_ESYNTAX, "%s",
                  bad[i]);
    char deep[200];
    memset(deep, '[', sizeof deep);
    CHECK(yg__tj_parse(deep, sizeof deep, &a, &v, NULL, NULL) == YG_ELIMIT);
    yg_arena_free(&a);
}

static void test_helpers(void)
{
    int l;
    CHECK(yg__tlp_parse("TLP:AMBER+STRICT", &l) && l == YG_TLP_AMBER_STRICT);
    CHECK(yg__tlp_parse("white", &l) && l == YG_TLP_CLEAR);
    CHECK(!yg__tlp_parse("purple", &l));
    CHECK(yg__tlp_of_marking(TLP_RED) == YG_TLP_RED);
    CHECK(yg__tlp_of_marking("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed") ==
          YG_TLP_RED);
    CHECK(yg__tlp_of_marking("marking-definition--00000000-0000-4000-8000-000000000000") ==
          YG_TLP_NONE);
    int64_t us, us2;
    CHECK(yg__taxii_time_parse("2024-01-02T03:04:05.123456Z", &us));
    char t[32];
    yg__taxii_time_fmt(us, t);
    CHECK(strcmp(t, "2024-01-02T03:04:05.123456Z") == 0);
    CHECK(yg__taxii_time_parse("2024-01-02T05:04:05.123456+02:00", &us2) && us2 == us);
    CHECK(yg__taxii_time_parse("2024-01-02T03:04:05Z", &us2) && us2 < us);
    CHECK(!yg__taxii_time_parse("2024-13-02T03:04:05Z", &us2));
    CHECK(!yg__taxii_time_parse("yesterday", &us2));
    char *h = NULL;
    CHECK(yg__taxii_hash_password("pw", &h) == YG_OK && yg__taxii_password_hash_ok(h));
    CHECK(yg__taxii_check_password(h, "pw", 2) && !yg__taxii_check_password(h, "pW", 2));
    yg_free(h);
}

static void setup(const char *dir)
{
    char *ph = NULL, *th = NULL;
    if (yg__taxii_hash_password("pw", &ph) != YG_OK || yg__taxii_hash_token("tok123", &th) != YG_OK)
        abort();
    char yaml[4096], path[512];
    struct yg_errmsg why = {""};
    snprintf(
        yaml, sizeof yaml,
        "taxii:\n  db: %s/t.db\n  max_content_length: 8KB\n  page_size: 3\n"
        "  api_roots:\n    - path: api1\n      collections:\n"
        "        - {id: " C_G ", alias: g, tlp_ceiling: green}\n"
        "        - {id: " C_R ", alias: r, tlp_ceiling: red}\n"
        "  users:\n"
        "    - {name: alice, password: \"%s\", tokens: [\"%s\"], read: [\"*\"], write: [\"*\"]}\n"
        "    - {name: bob, password: \"%s\", read: [g]}\n",
        dir, ph, th, ph);
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    yg_free(ph);
    yg_free(th);
    if (yg__taxii_cfg_load(path, &cfg, &why) != YG_OK) {
        fprintf(stderr, "setup: %s\n", why.msg);
        abort();
    }
    if (yg__taxii_server_new(cfg, &srv) != YG_OK) {
        fprintf(stderr, "setup: %s\n", yg__taxii_server_errmsg(srv));
        abort();
    }
    snprintf(auth_alice, sizeof auth_alice, "Basic YWxpY2U6cHc="); /* alice:pw */
    snprintf(auth_bob, sizeof auth_bob, "Basic Ym9iOnB3");         /* bob:pw */
    snprintf(bearer, sizeof bearer, "Bearer tok123");
}

/* The taxii: section of text read, or NULL with why the reason (the YAML
 * itself must parse); yg__taxii_cfg_free frees it. */
static struct yg_taxii_cfg *cfg_read(const char *text, struct yg_errmsg *why)
{
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 20);
    struct yg_ydoc *docs;
    size_t nd;
    unsigned el, ec;
    struct yg_errmsg ywhy = {""};
    struct yg_taxii_cfg *c = NULL;
    CHECK(yg__yaml_parse(text, strlen(text), &a, &docs, &nd, &el, &ec, &ywhy) == YG_OK);
    if (yg__taxii_cfg_read(yg__ymap_get(docs[0].root, "taxii"), &c, why) != YG_OK) {
        yg__taxii_cfg_free(c);
        c = NULL;
    }
    yg_arena_free(&a);
    return c;
}

/* Whether the taxii: section of text reads; why the reason when not. */
static bool cfg_reads(const char *text, struct yg_errmsg *why)
{
    struct yg_taxii_cfg *c = cfg_read(text, why);
    yg__taxii_cfg_free(c);
    return c != NULL;
}

static void test_config_errors(void)
{
    static const char *const bad[] = {
        "taxii: {unknown: 1}\n",
        "taxii: {api_roots: [{path: a, collections: [{id: not-a-uuid}]}]}\n",
        "taxii: {users: [{name: x, password: plain}]}\n",
        "taxii: {api_roots: [{path: a}], users: [{name: x, tokens: [\"sha256$00\"]}]}\n",
        "taxii: {api_roots: [{path: a, collections: [{id: " C_G "}]}], users: [{name: x, tokens: "
        "[\"sha256$0000000000000000000000000000000000000000000000000000000000000000\"], read: "
        "[nope]}]}\n",
        "taxii: {unmarked_tlp: purple}\n",
        /* publish: a collection of the server, a level, durations of 1 s or more */
        "taxii: {api_roots: [{path: a, collections: [{id: " C_G ", alias: g}]}],"
        " publish: {collection: g}}\n",
        "taxii: {listen: 127.0.0.1:1, db: x.db, api_roots: [{path: a, collections: [{id: " C_G
        ", alias: g}]}], publish: {collection: nope}}\n",
        "taxii: {listen: 127.0.0.1:1, db: x.db, api_roots: [{path: a, collections: [{id: " C_G
        ", alias: g}]}], publish: {collection: g, min_level: urgent}}\n",
        "taxii: {listen: 127.0.0.1:1, db: x.db, api_roots: [{path: a, collections: [{id: " C_G
        ", alias: g}]}], publish: {collection: g, interval: 10ms}}\n",
        "taxii: {listen: 127.0.0.1:1, db: x.db, api_roots: [{path: a, collections: [{id: " C_G
        ", alias: g}]}], publish: {collection: g, every: 1m}}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct yg_errmsg why = {""};
        CHECK_MSG(!cfg_reads(bad[i], &why) && strstr(why.msg, "taxii") && strstr(why.msg, "line"),
                  "%zu: %s", i, why.msg);
    }
    /* The checker of the whole configuration file (core/confcheck.h), so the
     * same mistakes read as they do in the rest of the file. */
    static const struct {
        const char *text, *want;
    } same[] = {
        {"taxii: {pubilsh: {}}\n",
         "taxii.pubilsh: line 1, column 9: unknown key (did you mean \"publish\"?)"},
        {"taxii:\n  db: a\n  db: b\n",
         "taxii.db: line 3, column 3: duplicate key (first at line 2)"},
        {"taxii: {title: [x]}\n",
         "taxii.title: line 1, column 16: expected a string, found a sequence"},
        {"taxii: {users: {}}\n",
         "taxii.users: line 1, column 16: expected a list, found a mapping"},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        struct yg_errmsg why = {""};
        CHECK_MSG(!cfg_reads(same[i].text, &why) && strcmp(why.msg, same[i].want) == 0, "%zu: %s",
                  i, why.msg);
    }
    /* and a good publish section */
    const char *good = "taxii: {listen: 127.0.0.1:1, db: x.db, api_roots: [{path: a, collections: "
                       "[{id: " C_G ", alias: g}]}], publish: {collection: g, min_level: high, "
                       "interval: 30s, window: 2d}}\n";
    struct yg_errmsg why = {""};
    struct yg_taxii_cfg *c = cfg_read(good, &why);
    CHECK_MSG(c != NULL, "%s", why.msg);
    CHECK(c && !strcmp(c->publish_coll, "g") && !strcmp(c->publish_min_level, "high") &&
          c->publish_interval_ms == 30000 && c->publish_window_ms == 2ull * 86400 * 1000);
    yg__taxii_cfg_free(c);
}

static void test_server(void)
{
    /* Authentication and routing. */
    struct yg_taxii_resp rs = req("GET", "/taxii2/", NULL, NULL, NULL);
    CHECK(rs.status == 401 && rs.www_authenticate && strstr(rs.body.p, "\"http_status\":\"401\""));
    yg_buf_free(&rs.body);
    CHECK(status("GET", "/taxii2/", NULL, "Basic YWxpY2U6eHg=", NULL) == 401);
    CHECK(status("GET", "/taxii2/", NULL, "Bearer nope", NULL) == 401);
    CHECK(status("GET", "/taxii2/", NULL, bearer, NULL) == 200);
    CHECK(status("GET", "/taxii2/", NULL, auth_alice, NULL) == 200);
    CHECK(status("GET", "/nope/", NULL, auth_alice, NULL) == 404);
    CHECK(status("POST", "/taxii2/", NULL, auth_alice, "{}") == 405);
    CHECK(status("GET", "/api1/", NULL, auth_alice, NULL) == 200);
    CHECK(status("GET", "/api1/collections/", NULL, auth_alice, NULL) == 200);
    CHECK(status("GET", "/api1/collections/" C_R "/", NULL, auth_bob, NULL) == 404);
    CHECK(status("GET", "/api1/collections/r/objects/", NULL, auth_bob, NULL) == 404);
    CHECK(status("GET", "/api1/collections//objects/", NULL, auth_alice, NULL) == 404);
    /* Add objects: green ones to g, a red one refused there. */
    char env[8192];
    int o = snprintf(env, sizeof env, "{\"objects\":[");
    for (int i = 0; i < 7; i++)
        o += snprintf(env + o, sizeof env - (size_t)o, "%s%s", i ? "," : "",
                      obj(i, i == 6 ? TLP_RED : TLP_GREEN));
    snprintf(env + o, sizeof env - (size_t)o, "]}");
    rs = req("POST", "/api1/collections/g/objects/", NULL, auth_alice, env);
    CHECK(rs.status == 202 && strstr(rs.body.p, "\"success_count\":6") &&
          strstr(rs.body.p, "\"failure_count\":1"));
    char sid[64] = "";
    const char *p = strstr(rs.body.p, "\"id\":\"");
    if (p)
        snprintf(sid, 37, "%s", p + 6);
    yg_buf_free(&rs.body);
    char spath[128];
    snprintf(spath, sizeof spath, "/api1/status/%s/", sid);
    CHECK(status("GET", spath, NULL, auth_alice, NULL) == 200);
    CHECK(status("GET", spath, NULL, auth_bob, NULL) == 404); /* not bob's */
    CHECK(status("POST", "/api1/collections/g/objects/", NULL, auth_bob, env) == 403);
    CHECK(status("POST", "/api1/collections/g/objects/", NULL, auth_alice, "{\"objects\":[") ==
          400);
    CHECK(status("POST", "/api1/collections/g/objects/", NULL, auth_alice, "[]") == 422);
    /* Paging: page_size 3 caps limit; next walks; tokens are bound. */
    rs = req("GET", "/api1/collections/g/objects/", "limit=100", auth_alice, NULL);
    CHECK(rs.status == 200 && strstr(rs.body.p, "\"more\":true") && rs.date_first[0] &&
          rs.date_last[0]);
    char next[128] = "";
    p = strstr(rs.body.p, "\"next\":\"");
    if (p)
        snprintf(next, sizeof next, "%.*s", (int)strcspn(p + 8, "\""), p + 8);
    yg_buf_free(&rs.body);
    char q[256];
    snprintf(q, sizeof q, "next=%s", next);
    rs = req("GET", "/api1/collections/g/objects/", q, auth_alice, NULL);
    CHECK(rs.status == 200 && strstr(rs.body.p, "\"more\":false") &&
          strstr(rs.body.p, "indicator--00000005"));
    yg_buf_free(&rs.body);
    CHECK(status("GET", "/api1/collections/g/objects/", q, auth_bob, NULL) == 400);
    CHECK(status("GET", "/api1/collections/g/manifest/", q, auth_alice, NULL) == 400);
    CHECK(status("GET", "/api1/collections/r/objects/", q, auth_alice, NULL) == 400);
    next[strlen(next) - 1] ^= 1;
    snprintf(q, sizeof q, "next=%s", next);
    CHECK(status("GET", "/api1/collections/g/objects/", q, auth_alice, NULL) == 400);
    CHECK(status("GET", "/api1/collections/g/objects/", "limit=1&limit=2", auth_alice, NULL) ==
          400);
    CHECK(status("GET", "/api1/collections/g/objects/", "match[version]=all,last", auth_alice,
                 NULL) == 400);
    /* The red object never leaves through g. */
    rs = req("GET", "/api1/collections/g/objects/indicator--00000006-0000-4000-8000-000000000000/",
             NULL, auth_alice, NULL);
    CHECK(rs.status == 404);
    yg_buf_free(&rs.body);
    /* Objects by id, versions, delete. */
    CHECK(status("GET",
                 "/api1/collections/g/objects/indicator--00000001-0000-4000-8000-000000000000/",
                 NULL, bearer, NULL) == 200);
    CHECK(status("GET",
                 "/api1/collections/g/objects/indicator--00000001-0000-4000-8000-000000000000/"
                 "versions/",
                 NULL, bearer, NULL) == 200);
    CHECK(status("DELETE",
                 "/api1/collections/g/objects/indicator--00000001-0000-4000-8000-000000000000/",
                 NULL, auth_bob, NULL) == 403);
    CHECK(status("DELETE",
                 "/api1/collections/g/objects/indicator--00000001-0000-4000-8000-000000000000/",
                 NULL, auth_alice, NULL) == 200);
    CHECK(status("GET",
                 "/api1/collections/g/objects/indicator--00000001-0000-4000-8000-000000000000/",
                 NULL, auth_alice, NULL) == 404);
    /* Media types. */
    struct yg_taxii_req rq = {
        .method = "GET", .path = "/api1/", .accept = "text/html", .authorization = auth_alice};
    yg__taxii_handle(srv, &rq, &rs);
    CHECK(rs.status == 406);
    yg_buf_free(&rs.body);
    rq.path = "/api1/collections/g/objects/";
    rq.accept = "application/stix+json;version=2.1";
    yg__taxii_handle(srv, &rq, &rs);
    CHECK(rs.status == 200 && strncmp(rs.content_type, "application/stix+json", 21) == 0);
    yg_buf_free(&rs.body);
    rq.method = "POST";
    rq.content_type = "application/json";
    rq.body = env;
    rq.body_len = strlen(env);
    rq.accept = NULL;
    yg__taxii_handle(srv, &rq, &rs);
    CHECK(rs.status == 415);
    yg_buf_free(&rs.body);
    rq.content_type = "application/taxii+json;version=2.1";
    rq.body_too_large = true;
    yg__taxii_handle(srv, &rq, &rs);
    CHECK(rs.status == 413);
    yg_buf_free(&rs.body);
}

/* One object held as STIX 2.0 and 2.1: without match[spec_version] only the
 * 2.1 copy is served (TAXII 2.1, 3.4.2); the filter selects either. */
static void test_spec_versions(void)
{
    const char *id = "indicator--0000abcd-0000-4000-8000-000000000000";
    char env[2048];
    snprintf(
        env, sizeof env,
        "{\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.0\",\"id\":\"%s\","
        "\"created\":\"2024-02-01T00:00:00Z\",\"modified\":\"2024-02-01T00:00:00Z\","
        "\"pattern\":\"[ipv4-addr:value = '10.0.0.2']\",\"valid_from\":\"2024-02-01T00:00:00Z\","
        "\"labels\":[\"malicious-activity\"],\"object_marking_refs\":[\"" TLP_GREEN "\"]},"
        "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
        "\"created\":\"2024-02-01T00:00:00Z\",\"modified\":\"2024-02-02T00:00:00Z\","
        "\"pattern\":\"[ipv4-addr:value = '10.0.0.2']\",\"pattern_type\":\"stix\","
        "\"valid_from\":\"2024-02-01T00:00:00Z\",\"object_marking_refs\":[\"" TLP_GREEN "\"]}]}",
        id, id);
    struct yg_taxii_resp rs = req("POST", "/api1/collections/g/objects/", NULL, auth_alice, env);
    CHECK(rs.status == 202);
    yg_buf_free(&rs.body);
    char q[256];
    snprintf(q, sizeof q, "match[id]=%s&match[version]=all", id);
    rs = req("GET", "/api1/collections/g/objects/", q, auth_alice, NULL);
    CHECK(rs.status == 200 && strstr(rs.body.p, "\"spec_version\":\"2.1\"") &&
          !strstr(rs.body.p, "\"spec_version\":\"2.0\""));
    yg_buf_free(&rs.body);
    snprintf(q, sizeof q, "match[id]=%s&match[version]=all&match[spec_version]=2.0", id);
    rs = req("GET", "/api1/collections/g/objects/", q, auth_alice, NULL);
    CHECK(rs.status == 200 && strstr(rs.body.p, "\"spec_version\":\"2.0\"") &&
          !strstr(rs.body.p, "\"spec_version\":\"2.1\""));
    yg_buf_free(&rs.body);
    snprintf(q, sizeof q, "match[id]=%s&match[version]=all&match[spec_version]=2.0,2.1", id);
    rs = req("GET", "/api1/collections/g/objects/", q, auth_alice, NULL);
    CHECK(rs.status == 200 && strstr(rs.body.p, "\"spec_version\":\"2.0\"") &&
          strstr(rs.body.p, "\"spec_version\":\"2.1\""));
    yg_buf_free(&rs.body);
}

/* The TLP ceiling cannot be passed with a repeated name: GREEN first, RED
 * second is refused as a whole, naming the key, and nothing is stored. */
static void test_duplicate_keys(void)
{
    const char *id = "indicator--0000dddd-0000-4000-8000-000000000000";
    char env[2048];
    snprintf(env, sizeof env,
             "{\"objects\":[{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"%s\","
             "\"created\":\"2024-03-01T00:00:00Z\",\"modified\":\"2024-03-01T00:00:00Z\","
             "\"pattern\":\"[ipv4-addr:value = '10.0.0.3']\",\"pattern_type\":\"stix\","
             "\"valid_from\":\"2024-03-01T00:00:00Z\",\"object_marking_refs\":[\"" TLP_GREEN
             "\"],\"object_marking_refs\":[\"" TLP_RED "\"]}]}",
             id);
    struct yg_taxii_resp rs = req("POST", "/api1/collections/g/objects/", NULL, auth_alice, env);
    CHECK_MSG(rs.status == 400 && strstr(rs.body.p, "duplicate key 'object_marking_refs'"), "%u %s",
              rs.status, rs.body.p);
    yg_buf_free(&rs.body);
    char q[256];
    snprintf(q, sizeof q, "match[id]=%s", id);
    rs = req("GET", "/api1/collections/g/objects/", q, auth_alice, NULL);
    CHECK(!strstr(rs.body.p ? rs.body.p : "", id));
    yg_buf_free(&rs.body);
    /* Imported files: a bundle, and JSON lines whose second line repeats a
     * key, are refused naming it. */
    uint64_t added = 0, refused = 0;
    char bundle[2048];
    snprintf(bundle, sizeof bundle, "{\"type\":\"bundle\",%s", strstr(env, "\"objects\""));
    CHECK(yg__taxii_import_buffer(srv, "g", bundle, strlen(bundle), &added, &refused) ==
              YG_ESYNTAX &&
          strstr(yg__taxii_server_errmsg(srv), "duplicate key 'object_marking_refs'"));
    char path[] = "/tmp/yg-test-taxii-dup-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    if (!f)
        return;
    char *objs = strstr(env, "[") + 1;
    fprintf(f, "%s\n%.*s\n", obj(77, TLP_GREEN), (int)(strlen(objs) - 2), objs);
    fclose(f);
    yg_err e = yg__taxii_import(srv, "g", path, &added, &refused);
    const char *why = yg__taxii_server_errmsg(srv);
    CHECK_MSG(e == YG_ESYNTAX && strstr(why, ":2: byte ") &&
                  strstr(why, "duplicate key 'object_marking_refs'"),
              "%d %s", e, why);
    unlink(path);
}

/* "pbkdf2-sha256$iter$salt$hash" of pw, made here rather than with
 * yg__taxii_hash_password so that the test can use fewer iterations. */
static void make_hash(const char *pw, unsigned iter, char *out, size_t n)
{
    static const unsigned char salt[16] = "0123456789abcdef";
    unsigned char h[32];
    if (PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, sizeof salt, (int)iter, EVP_sha256(), sizeof h,
                          h) != 1)
        abort();
    int o = snprintf(out, n, "pbkdf2-sha256$%u$", iter);
    for (size_t i = 0; i < sizeof salt; i++)
        o += snprintf(out + o, n - (size_t)o, "%02x", salt[i]);
    out[o++] = '$';
    for (size_t i = 0; i < sizeof h; i++)
        o += snprintf(out + o, n - (size_t)o, "%02x", h[i]);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void basic(char *out, size_t n, const char *user, const char *pw)
{
    char plain[256];
    unsigned char b64[400];
    int pl = snprintf(plain, sizeof plain, "%s:%s", user, pw);
    EVP_EncodeBlock(b64, (const unsigned char *)plain, pl);
    snprintf(out, n, "Basic %s", b64);
}

static void test_logins(const char *dir)
{
    struct yg_taxii_server *keep_srv = srv;
    struct yg_taxii_cfg *c2 = NULL;
    struct yg_taxii_server *s2 = NULL;
    char h[256], *th = NULL, yaml[4096], path[512];
    struct yg_errmsg why = {""};
    make_hash("pw", 50000, h, sizeof h);
    if (yg__taxii_hash_token("tok-erin", &th) != YG_OK)
        abort();
    snprintf(yaml, sizeof yaml,
             "taxii:\n  db: %s/logins.db\n"
             "  api_roots:\n    - path: api1\n      collections:\n"
             "        - {id: " C_G ", alias: g}\n"
             "  users:\n"
             "    - {name: carol, password: \"%s\", read: [g]}\n"
             "    - {name: erin, password: \"%s\", tokens: [\"%s\"], read: [g]}\n",
             dir, h, h, th);
    yg_free(th);
    snprintf(path, sizeof path, "%s/logins.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(yaml, f);
    fclose(f);
    if (yg__taxii_cfg_load(path, &c2, &why) != YG_OK) {
        fprintf(stderr, "test_logins: %s\n", why.msg);
        abort();
    }
    if (yg__taxii_server_new(c2, &s2) != YG_OK) {
        fprintf(stderr, "test_logins: %s\n", yg__taxii_server_errmsg(s2));
        abort();
    }
    srv = s2;
    char a_carol_bad[512], a_carol[512], a_nosuch[512], a_erin_bad[512], a_erin[512], addr[64];
    basic(a_carol_bad, sizeof a_carol_bad, "carol", "wrong");
    basic(a_carol, sizeof a_carol, "carol", "pw");
    basic(a_nosuch, sizeof a_nosuch, "nosuch", "wrong");
    basic(a_erin_bad, sizeof a_erin_bad, "erin", "wrong");
    basic(a_erin, sizeof a_erin, "erin", "pw");
    unsigned fails = 0;

    /* An unknown user takes as long as a wrong password of a known one:
     * both run PBKDF2 (the unknown one against the dummy hash). */
    double tk[9], tu[9];
    for (int i = 0; i < 9; i++) {
        snprintf(addr, sizeof addr, "198.51.100.%d", i);
        peer = addr;
        double t0 = now_s();
        CHECK(status("GET", "/taxii2/", NULL, a_carol_bad, NULL) == 401);
        double t1 = now_s();
        CHECK(status("GET", "/taxii2/", NULL, a_nosuch, NULL) == 401);
        tu[i] = now_s() - t1;
        tk[i] = t1 - t0;
        fails += 2;
    }
    qsort(tk, 9, sizeof *tk, cmp_d);
    qsort(tu, 9, sizeof *tu, cmp_d);
    CHECK_MSG(tu[4] > 0.5 * tk[4] && tu[4] < 2 * tk[4],
              "median login time: unknown user %.2f ms, wrong password %.2f ms", tu[4] * 1e3,
              tk[4] * 1e3);

    /* Per address: YG_TAXII_LOGIN_FAILURES_PER_ADDRESS failures, then 429
     * with Retry-After, even for the right password; tokens still work;
     * other addresses are not affected. */
    peer = "192.0.2.1";
    for (unsigned i = 0; i < YG_TAXII_LOGIN_FAILURES_PER_ADDRESS; i++, fails++)
        CHECK(status("GET", "/taxii2/", NULL, a_erin_bad, NULL) == 401);
    struct yg_taxii_resp rs = req("GET", "/taxii2/", NULL, a_erin_bad, NULL);
    CHECK(rs.status == 429 && rs.retry_after >= 1 && rs.retry_after <= YG_TAXII_LOGIN_WINDOW_S &&
          strstr(rs.body.p, "\"http_status\":\"429\""));
    yg_buf_free(&rs.body);
    CHECK(status("GET", "/taxii2/", NULL, a_erin, NULL) == 429);
    CHECK(status("GET", "/taxii2/", NULL, "Bearer tok-erin", NULL) == 200);
    CHECK(status("GET", "/taxii2/", NULL, "Bearer nope", NULL) == 401);
    peer = "192.0.2.2";
    CHECK(status("GET", "/taxii2/", NULL, a_erin, NULL) == 200);

    /* Per account, over many addresses: carol has 9 failures above. */
    for (unsigned i = 9; i < YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT; i++, fails++) {
        snprintf(addr, sizeof addr, "203.0.113.%u", i);
        peer = addr;
        CHECK(status("GET", "/taxii2/", NULL, a_carol_bad, NULL) == 401);
    }
    peer = "203.0.113.200";
    CHECK(status("GET", "/taxii2/", NULL, a_carol, NULL) == 429);
    /* erin, limited the same way, still works where she logged in before. */
    for (unsigned i = 10; i < YG_TAXII_LOGIN_FAILURES_PER_ACCOUNT; i++, fails++) {
        snprintf(addr, sizeof addr, "203.0.113.%u", 100 + i);
        peer = addr;
        CHECK(status("GET", "/taxii2/", NULL, a_erin_bad, NULL) == 401);
    }
    peer = "203.0.113.201";
    CHECK(status("GET", "/taxii2/", NULL, a_erin, NULL) == 429);
    peer = "192.0.2.2";
    CHECK(status("GET", "/taxii2/", NULL, a_erin, NULL) == 200);

    CHECK_MSG(yg__taxii_login_failures(s2, "password") == fails, "%llu password failures, not %u",
              (unsigned long long)yg__taxii_login_failures(s2, "password"), fails);
    CHECK(yg__taxii_login_failures(s2, "token") == 1);
    CHECK(yg__taxii_login_failures(s2, "limited") == 4);
    peer = NULL;
    srv = keep_srv;
    yg__taxii_server_free(s2);
    yg__taxii_cfg_free(c2);
}

/* The server's calls keep their error message on the server
 * (yg__taxii_server_errmsg), as SQLite does on a connection: set by a
 * failed call, cleared by the next one that succeeds. */
static void test_errmsg(void)
{
    CHECK(!strcmp(yg__taxii_server_errmsg(NULL), "out of memory"));
    /* A failed open still gives a handle, holding the reason. */
    struct yg_taxii_cfg nodb = *cfg;
    nodb.db = NULL;
    struct yg_taxii_server *s = NULL;
    CHECK(yg__taxii_server_new(&nodb, &s) == YG_EINVAL && s != NULL);
    CHECK_MSG(!strcmp(yg__taxii_server_errmsg(s), "taxii.db: no database file configured"), "%s",
              yg__taxii_server_errmsg(s));
    yg__taxii_server_free(s);
    /* So does the store's, with the path first; the server passes it on. */
    struct yg_taxii_store *st = NULL;
    CHECK(yg__taxii_store_open("/nonexistent/dir/t.db", &st) != YG_OK && st != NULL);
    CHECK_MSG(!strcmp(yg__taxii_store_errmsg(st),
                      "/nonexistent/dir/t.db: opening the database: unable to open database file"),
              "%s", yg__taxii_store_errmsg(st));
    yg__taxii_store_close(st);
    CHECK(!strcmp(yg__taxii_store_errmsg(NULL), "out of memory"));
    char nosuch[] = "/nonexistent/dir/t.db";
    nodb.db = nosuch;
    CHECK(yg__taxii_server_new(&nodb, &s) != YG_OK && s != NULL);
    CHECK_MSG(!strcmp(yg__taxii_server_errmsg(s),
                      "/nonexistent/dir/t.db: opening the database: unable to open database file"),
              "%s", yg__taxii_server_errmsg(s));
    yg__taxii_server_free(s);

    uint64_t added = 0, refused = 0;
    const char *empty = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[]}";
    CHECK(yg__taxii_import_buffer(srv, "nosuch", empty, strlen(empty), &added, &refused) ==
          YG_ENOTFOUND);
    CHECK_MSG(
        !strcmp(yg__taxii_server_errmsg(srv), "nosuch: no such collection in the configuration"),
        "%s", yg__taxii_server_errmsg(srv));
    CHECK(yg__taxii_import_buffer(srv, "g", empty, strlen(empty), &added, &refused) == YG_OK);
    CHECK_MSG(!strcmp(yg__taxii_server_errmsg(srv), ""), "%s", yg__taxii_server_errmsg(srv));
    /* A syntax error names where it is and what was expected. */
    CHECK(yg__taxii_import_buffer(srv, "g", "{\"objects\" []}", 14, &added, &refused) ==
          YG_ESYNTAX);
    CHECK_MSG(
        !strcmp(yg__taxii_server_errmsg(srv), "bundle: byte 11: expected ':' after a member name"),
        "%s", yg__taxii_server_errmsg(srv));
    CHECK(yg__taxii_import(srv, "g", "/nonexistent/x.json", &added, &refused) == YG_EIO);
    CHECK_MSG(strstr(yg__taxii_server_errmsg(srv), "/nonexistent/x.json: No such file"), "%s",
              yg__taxii_server_errmsg(srv));
    /* The transport's start reports on the server too. */
    struct yg_taxii_cfg badlisten = *cfg;
    char nohostport[] = "no port here";
    badlisten.listen = nohostport;
    struct yg_taxii_http *h = NULL;
    CHECK(yg__taxii_http_start(srv, &badlisten, &h) == YG_EINVAL && h == NULL);
    CHECK_MSG(!strcmp(yg__taxii_server_errmsg(srv), "taxii.listen: expected host:port"), "%s",
              yg__taxii_server_errmsg(srv));
}

int main(void)
{
    char dir[] = "/tmp/yg-test-taxii-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    test_json();
    test_helpers();
    test_config_errors();
    setup(dir);
    test_server();
    test_spec_versions();
    test_duplicate_keys();
    test_errmsg();
    test_logins(dir);
    yg__taxii_server_free(srv);
    yg__taxii_cfg_free(cfg);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        return 1;
    TAP_DONE();
}
