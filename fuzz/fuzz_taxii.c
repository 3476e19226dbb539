/* libFuzzer target: the TAXII request handler (src/taxii/taxii_server.c),
 * without sockets.  The input is a request as text:
 *
 *     METHOD PATH[?QUERY]\n
 *     Header: value\n        (Accept, Content-Type, Authorization; any order)
 *     \n
 *     body
 *
 * One server over a temporary database lives for the whole run, so POSTed
 * objects are there for later GETs, DELETEs and next tokens.  Every
 * response must be a complete one: a status, and a JSON body for anything
 * but HEAD.  Seeds: requests over the STIX examples in ../shared (see
 * fuzz/seeds.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "taxii/taxii.h"

static struct yg_taxii_server *srv;
static struct yg_taxii_cfg *cfg;

static void setup(void)
{
    char dir[] = "/tmp/yg-fuzz-taxii-XXXXXX", path[128];
    struct yg_errmsg why = {""};
    char *ph = NULL, *th = NULL;
    if (!mkdtemp(dir) || yg__taxii_hash_password("pw", &ph) != YG_OK ||
        yg__taxii_hash_token("token", &th) != YG_OK)
        abort();
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f,
            "taxii:\n  db: %s/t.db\n  max_content_length: 1MB\n  page_size: 5\n"
            "  api_roots:\n    - path: api1\n      collections:\n"
            "        - {id: 91a7b528-80eb-42ed-a74d-c6fbd5a26116, alias: g, tlp_ceiling: green}\n"
            "        - {id: 52892447-4d7e-4f70-b94d-d7f22742ff63, alias: r, tlp_ceiling: red}\n"
            "  users:\n"
            "    - {name: alice, password: \"%s\", tokens: [\"%s\"], read: [\"*\"], "
            "write: [\"*\"]}\n    - {name: bob, password: \"%s\", read: [g]}\n",
            dir, ph, th, ph);
    fclose(f);
    yg_free(ph);
    yg_free(th);
    if (yg__taxii_cfg_load(path, &cfg, &why) != YG_OK) {
        fprintf(stderr, "fuzz_taxii: %s\n", why.msg);
        abort();
    }
    if (yg__taxii_server_new(cfg, &srv) != YG_OK) {
        fprintf(stderr, "fuzz_taxii: %s\n", yg__taxii_server_errmsg(srv));
        abort();
    }
}

/* The next line of [*p, end) as a NUL-terminated copy in the arena. */
static char *line(struct yg_arena *a, const char **p, const char *end)
{
    const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));
    const char *e = nl ? nl : end;
    *p = nl ? nl + 1 : end;
    size_t n = (size_t)(e - s);
    if (n && s[n - 1] == '\r')
        n--;
    char *c = yg_arena_strndup(a, s, n);
    if (c && strlen(c) != n)
        c[0] = 0; /* an embedded NUL: the transport would not deliver it */
    return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!srv)
        setup();
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 26);
    const char *p = (const char *)data, *end = p + size;
    char *first = line(&a, &p, end);
    if (!first)
        goto out;
    struct yg_taxii_req rq = {0};
    char *sp = strchr(first, ' ');
    if (!sp)
        goto out;
    *sp = 0;
    rq.method = first;
    char *target = sp + 1, *q = strchr(target, '?');
    struct yg_taxii_arg *args = NULL;
    size_t nargs = 0;
    if (q) {
        *q++ = 0;
        if (yg__taxii_parse_query(q, strlen(q), &a, &args, &nargs) != YG_OK)
            goto out;
    }
    rq.path = target;
    rq.args = args;
    rq.nargs = nargs;
    while (p < end) {
        char *h = line(&a, &p, end);
        if (!h || !*h)
            break;
        char *colon = strchr(h, ':');
        if (!colon)
            continue;
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (!strcasecmp(h, "Accept"))
            rq.accept = v;
        else if (!strcasecmp(h, "Content-Type"))
            rq.content_type = v;
        else if (!strcasecmp(h, "Authorization"))
            rq.authorization = v;
    }
    rq.body = p;
    rq.body_len = (size_t)(end - p);
    rq.body_too_large = rq.body_len > cfg->max_content_length;
    struct yg_taxii_resp rs;
    yg__taxii_handle(srv, &rq, &rs);
    if (rs.status < 200 || rs.status > 599 || !rs.content_type)
        abort();
    if (rs.status != 500 && rs.body.n == 0)
        abort();
    yg_buf_free(&rs.body);
out:
    yg_arena_free(&a);
    return 0;
}
