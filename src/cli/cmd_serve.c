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
    fprintf(f,
            "Usage: yagura serve -c CONFIG [options]\n"
            "       yagura serve -c CONFIG --import COLLECTION FILE\n"
            "       yagura serve --hash-password < password.txt\n"
            "       yagura serve --new-token\n"
            "\n"
            "Serve the TAXII 2.1 API of the configuration's taxii: section (API roots,\n"
            "collections with TLP ceilings, users with per-collection rights, TLS); see\n"
            "docs/yagura-serve.md and docs/taxii.md.  `yagura watch` runs the same server\n"
            "when its configuration has taxii.listen.\n"
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

int yg_cli_serve(int argc, char **argv)
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
    const char *config = NULL, *listen = NULL, *port_file = NULL, *import = NULL,
               *metrics_addr = NULL;
    bool check = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': config = optarg; break;
        case O_LISTEN: listen = optarg; break;
        case O_PORTFILE: port_file = optarg; break;
        case O_METRICS: metrics_addr = optarg; break;
        case O_IMPORT: import = optarg; break;
        case O_CHECK: check = true; break;
        case O_HASH: {
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
        case O_TOKEN: {
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
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!config) {
        fprintf(stderr, "yagura serve: -c CONFIG is required\n");
        return 2;
    }
    if (import && optind + 1 != argc) {
        fprintf(stderr, "yagura serve: --import COLLECTION FILE takes one FILE\n");
        return 2;
    }
    if (!import && optind != argc) {
        fprintf(stderr, "yagura serve: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    yg__log_setup(YG_LOG_STDERR, YG_LOG_INFO, "yagura");
    char why[512] = "";
    struct yg_taxii_cfg *cfg = NULL;
    struct yg_taxii_server *srv = NULL;
    struct yg_taxii_http *http = NULL;
    struct yg_metrics *metrics = NULL;
    struct yg_http *mhttp = NULL;
    int rc = 2;
    if (yg__taxii_cfg_load(config, &cfg, why, sizeof why) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", why);
        goto done;
    }
    if (listen) {
        yg_free(cfg->listen);
        cfg->listen = yg_strndup(listen, strlen(listen));
    }
    if (!cfg->db || !cfg->nroots) {
        fprintf(stderr, "yagura serve: %s: taxii needs db and at least one api_roots entry\n",
                config);
        goto done;
    }
    if (yg__taxii_server_new(cfg, &srv) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", yg__taxii_server_errmsg(srv));
        goto done;
    }
    if (check) {
        if (yg__taxii_tls_check(cfg, why, sizeof why) != YG_OK) {
            fprintf(stderr, "yagura serve: %s\n", why);
            goto done;
        }
        printf("%s: the taxii section is valid (%zu API roots, %zu collections, %zu users)\n",
               config, cfg->nroots, cfg->ncolls, cfg->nusers);
        rc = 0;
        goto done;
    }
    if (import) {
        uint64_t added = 0, refused = 0;
        if (yg__taxii_import(srv, import, argv[optind], &added, &refused) != YG_OK) {
            fprintf(stderr, "yagura serve: --import: %s\n", yg__taxii_server_errmsg(srv));
            goto done;
        }
        fprintf(stderr, "yagura serve: %llu objects added, %llu refused\n",
                (unsigned long long)added, (unsigned long long)refused);
        rc = refused ? 1 : 0;
        goto done;
    }
    if (!cfg->listen) {
        fprintf(stderr, "yagura serve: %s: no taxii.listen (or --listen)\n", config);
        goto done;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (metrics_addr) {
        /* yg__http_start logs its reason (the address and the cause). */
        if (yg__metrics_new(&metrics) != YG_OK ||
            yg__http_start(metrics_addr, metrics, NULL, NULL, &mhttp) != YG_OK)
            goto done;
        yg__taxii_server_set_metrics(srv, metrics);
    }
    if (yg__taxii_http_start(srv, cfg, &http) != YG_OK) {
        fprintf(stderr, "yagura serve: %s\n", yg__taxii_server_errmsg(srv));
        goto done;
    }
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (!f || fprintf(f, "%u\n", yg__taxii_http_port(http)) < 0 || fclose(f) != 0) {
            fprintf(stderr, "yagura serve: --port-file: cannot write %s\n", port_file);
            goto done;
        }
    }
    while (!stop_flag)
        pause();
    yg__log(YG_LOG_INFO, "taxii: stopping");
    rc = 0;
done:
    yg__taxii_http_stop(http);
    yg__http_stop(mhttp);
    yg__metrics_free(metrics);
    yg__taxii_server_free(srv);
    yg__taxii_cfg_free(cfg);
    return rc;
}
