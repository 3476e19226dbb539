/*
 * cmd_serve.c - `yagura serve`: the TAXII 2.1 server of a configuration
 * file's `taxii:` section, on its own (docs/yagura-serve.md).  Argument
 * parsing only; the server is src/taxii.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_share.h"
#include "console/console.h"
#include "http/http.h"
#include "taxii/taxii.h"
#include "core/log.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: yagura serve -c CONFIG [options]\n"
               "       yagura serve -c CONFIG --import COLLECTION FILE\n"
               "       yagura serve --hash-password < password.txt\n"
               "       yagura serve --new-token\n"
               "\n"
               "Serve the TAXII 2.1 API of the configuration's taxii: section (API roots,\n"
               "collections with TLP ceilings, users with per-collection rights, TLS); see\n"
               "docs/yagura-serve.md and docs/taxii.md.  `yagura watch` runs the same server\n"
               "when its configuration has taxii.listen.  With taxii.console, the web console\n"
               "is served under /console/ on the same address (docs/console.md).\n"
               "\n"
               "Options:\n"
               "  -c, --config FILE        the configuration file (its taxii: section is used)\n"
               "      --listen ADDR        listen on ADDR (host:port, port 0: any free port)\n"
               "                           instead of taxii.listen\n"
               "      --port-file FILE     write the bound port to FILE once serving\n"
               "      --metrics ADDR       serve /metrics (failed logins) and /healthz on ADDR\n"
               "      --import COLL FILE   add the objects of FILE (STIX bundle, TAXII envelope\n"
               "                           or JSON lines of objects; - for standard input) to\n"
               "                           collection COLL (id or alias), then exit\n"
               "      --check              check the configuration, the TLS certificate and key,\n"
               "                           and open the database, then exit\n"
               "      --hash-password      read a password from standard input, print its hash\n"
               "                           for taxii.users[].password\n"
               "      --new-token          print a new API token and its hash for\n"
               "                           taxii.users[].tokens\n"
               "  -h, --help               this text\n"
               "\n"
               "Exit status: 0 clean stop (SIGTERM or SIGINT) or command done, 1 some imported\n"
               "objects were refused, 2 configuration or start-up error.\n");
}

/* --hash-password: a password from standard input, its hash on standard
 * output. */
static int hash_password(void)
{
    char line[4096];
    if (!fgets(line, sizeof line, stdin)) {
        fprintf(stderr, "yagura serve: --hash-password: no password on standard input\n");
        return 2;
    }
    line[strcspn(line, "\r\n")] = 0;
    char *h = NULL;
    if (!*line || yg__taxii_hash_password(line, &h) != YG_OK) {
        fprintf(stderr, "yagura serve: --hash-password: empty password or no hash\n");
        return 2;
    }
    printf("%s\n", h);
    yg_free(h);
    memset(line, 0, sizeof line);
    return 0;
}

static int new_token(void)
{
    char *t = NULL, *h = NULL;
    if (yg__taxii_new_token(&t) != YG_OK || yg__taxii_hash_token(t, &h) != YG_OK) {
        fprintf(stderr, "yagura serve: --new-token: no random bytes\n");
        return 2;
    }
    printf("token: %s\nhash:  %s\n", t, h);
    yg_free(t);
    yg_free(h);
    return 0;
}

struct serve_args {
    const char *config, *listen, *port_file, *import, *import_file, *metrics_addr;
    bool check;
};

/* The options; -1 to go on, else the exit status. */
static int serve_parse(int argc, char **argv, struct serve_args *a)
{
    enum { O_LISTEN = 256, O_PORTFILE, O_IMPORT, O_CHECK, O_HASH, O_TOKEN, O_METRICS };
    static const struct option opts[] = {{"config", required_argument, 0, 'c'},
                                         {"listen", required_argument, 0, O_LISTEN},
                                         {"port-file", required_argument, 0, O_PORTFILE},
                                         {"metrics", required_argument, 0, O_METRICS},
                                         {"import", required_argument, 0, O_IMPORT},
                                         {"check", no_argument, 0, O_CHECK},
                                         {"hash-password", no_argument, 0, O_HASH},
                                         {"new-token", no_argument, 0, O_TOKEN},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a->config = optarg; break;
        case O_LISTEN: a->listen = optarg; break;
        case O_PORTFILE: a->port_file = optarg; break;
        case O_METRICS: a->metrics_addr = optarg; break;
        case O_IMPORT: a->import = optarg; break;
        case O_CHECK: a->check = true; break;
        case O_HASH: return hash_password();
        case O_TOKEN: return new_token();
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!a->config) {
        fprintf(stderr, "yagura serve: -c CONFIG is required\n");
        return 2;
    }
    if (a->import && optind + 1 != argc) {
        fprintf(stderr, "yagura serve: --import COLLECTION FILE takes one FILE\n");
        return 2;
    }
    if (!a->import && optind != argc) {
        fprintf(stderr, "yagura serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    a->import_file = a->import ? argv[optind] : NULL;
    return -1;
}

/* What the server holds. */
struct serve {
    struct yg_taxii_cfg *cfg;
    struct yg_taxii_server *srv;
    struct yg_taxii_http *http;
    struct yg_metrics *metrics;
    struct yg_http *mhttp;
    struct yg_console *console; /* taxii.console: the web console */
};

/* The taxii section and the server over its database. */
static bool serve_open(const struct serve_args *a, struct serve *s)
{
    struct yg_errmsg why = {""};
    /* %.511s: as long as the message was in its former 512 bytes. */
    if (yg__taxii_cfg_load(a->config, &s->cfg, &why) != YG_OK) {
        fprintf(stderr, "yagura serve: %.511s\n", why.msg);
        return false;
    }
    if (a->listen) {
        yg_free(s->cfg->listen);
        s->cfg->listen = yg_strndup(a->listen, strlen(a->listen));
    }
    if (!s->cfg->db || !s->cfg->nroots) {
        fprintf(stderr, "yagura serve: %s: taxii needs db and at least one api_roots entry\n",
                a->config);
        return false;
    }
    if (yg__taxii_server_new(s->cfg, &s->srv) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", yg__taxii_server_errmsg(s->srv));
        return false;
    }
    return true;
}

static int serve_check(const struct serve_args *a, struct serve *s)
{
    struct yg_errmsg why = {""};
    if (yg__taxii_tls_check(s->cfg, &why) != YG_OK ||
        yg__console_check(s->cfg, s->cfg->state, &why) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", why.msg);
        return 2;
    }
    printf("%s: the taxii section is valid (%zu API roots, %zu collections, %zu users)\n",
           a->config, s->cfg->nroots, s->cfg->ncolls, s->cfg->nusers);
    return 0;
}

static int serve_import(const struct serve_args *a, struct serve *s)
{
    uint64_t added = 0, refused = 0;
    if (yg__taxii_import(s->srv, a->import, a->import_file, &added, &refused) != YG_OK) {
        fprintf(stderr, "yagura serve: --import: %s\n", yg__taxii_server_errmsg(s->srv));
        return 2;
    }
    fprintf(stderr, "yagura serve: %llu objects added, %llu refused\n", (unsigned long long)added,
            (unsigned long long)refused);
    return refused ? 1 : 0;
}

/* Serve until SIGTERM or SIGINT. */
static int serve_run(const struct serve_args *a, struct serve *s)
{
    if (!s->cfg->listen) {
        fprintf(stderr, "yagura serve: %s: no taxii.listen (or --listen)\n", a->config);
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (a->metrics_addr) {
        /* yg__http_start logs its reason (the address and the cause). */
        if (yg__metrics_new(&s->metrics) != YG_OK ||
            yg__http_start(a->metrics_addr, s->metrics, NULL, NULL, &s->mhttp) != YG_OK)
            return 2;
        yg__taxii_server_set_metrics(s->srv, s->metrics);
    }
    if (s->cfg->console && yg__console_new(s->cfg, s->cfg->state, &s->console) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", yg__console_errmsg(s->console));
        return 2;
    }
    if (yg__taxii_http_start_app(s->srv, s->cfg, s->console ? yg__console_app(s->console) : NULL,
                                 &s->http) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", yg__taxii_server_errmsg(s->srv));
        return 2;
    }
    if (a->port_file) {
        FILE *f = fopen(a->port_file, "w");
        if (!f || fprintf(f, "%u\n", yg__taxii_http_port(s->http)) < 0 || fclose(f) != 0) {
            fprintf(stderr, "yagura serve: --port-file: cannot write %s\n", a->port_file);
            return 2;
        }
    }
    while (!stop_flag)
        pause();
    yg__log(YG_LOG_INFO, "taxii: stopping");
    return 0;
}

int yg_cli_serve(int argc, char **argv)
{
    struct serve_args a;
    memset(&a, 0, sizeof a);
    int rc = serve_parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    yg__log_setup(YG_LOG_STDERR, YG_LOG_INFO, "yagura");
    struct serve s;
    memset(&s, 0, sizeof s);
    rc = 2;
    if (serve_open(&a, &s))
        rc = a.check ? serve_check(&a, &s) : a.import ? serve_import(&a, &s) : serve_run(&a, &s);
    yg__taxii_http_stop(s.http);
    yg__console_free(s.console);
    yg__http_stop(s.mhttp);
    yg__metrics_free(s.metrics);
    yg__taxii_server_free(s.srv);
    yg__taxii_cfg_free(s.cfg);
    return rc;
}
