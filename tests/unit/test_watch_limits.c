/* Limits of the service's inputs: the receive_buffer key of syslog-udp inputs
 * (src/watch/config.c) and the rate limit on warnings about skipped records
 * (src/core/log.c). */
#include <stdio.h>
#include <unistd.h>

#include "tap.h"
#include "watch/config.h"
#include "core/log.h"

static struct yg_config *parse(const char *text, char *why, size_t wl)
{
    struct yg_config *cfg = NULL;
    struct yg_errmsg e = {""};
    yg_err err = yg__config_parse(text, strlen(text), "test.yaml", &cfg, &e);
    snprintf(why, wl, "%s", e.msg);
    return err == YG_OK ? cfg : NULL;
}

static void test_receive_buffer(void)
{
    char why[512] = "";
    struct yg_config *cfg = parse("rules: [r]\nstate: s\ninputs:\n"
                                  "  - {name: u, type: syslog-udp, listen: ':514', "
                                  "receive_buffer: 16MB}\n"
                                  "  - {name: v, type: syslog-udp, listen: ':515'}\n",
                                  why, sizeof why);
    CHECK_MSG(cfg != NULL, "%s", why);
    if (cfg) {
        CHECK(cfg->inputs[0].receive_buffer == 16ull << 20);
        CHECK(cfg->inputs[1].receive_buffer == 0); /* the default */
        struct yg_buf b;
        yg_buf_init(&b, 0);
        CHECK(yg__config_render(cfg, &b) == YG_OK);
        CHECK(yg_buf_addc(&b, 0) == YG_OK);
        CHECK_MSG(b.p && strstr(b.p, "receive_buffer: 16MB\n"), "%s", b.p ? b.p : "");
        yg_buf_free(&b);
        yg__config_free(cfg);
    }
    static const struct {
        const char *input, *want;
    } bad[] = {
        {"{name: u, type: syslog-udp, listen: ':514', receive_buffer: 1KB}",
         "inputs[0].receive_buffer: line 4, column 65: must be at least 4096 bytes"},
        {"{name: u, type: syslog-udp, listen: ':514', receive_buffer: 2GB}",
         "inputs[0].receive_buffer: line 4, column 65: must be at most 1GB"},
        {"{name: u, type: syslog-udp, listen: ':514', receive_buffer: 4096}",
         "inputs[0].receive_buffer: line 4, column 65: expected a size such as 512KB, 100MB or "
         "1GB"},
        /* TCP has flow control: a sender waits instead of losing messages. */
        {"{name: t, type: syslog-tcp, listen: ':514', receive_buffer: 1MB}",
         "inputs[0].receive_buffer: line 4, column 49: not a key of a syslog-tcp input"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[512];
        snprintf(text, sizeof text, "rules: [r]\nstate: s\ninputs:\n  - %s\n", bad[i].input);
        why[0] = 0;
        cfg = parse(text, why, sizeof why);
        CHECK_MSG(cfg == NULL, "case %zu accepted", i);
        CHECK_MSG(strcmp(why, bad[i].want) == 0, "case %zu:\n  got  %s\n  want %s", i, why,
                  bad[i].want);
        yg__config_free(cfg);
    }
}

/* 25 skipped records in one window: 10 logged, then one line with the 15
 * others when the window is over; a new window logs again. */
static void test_log_limit(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    yg__log_set_fd(p[1]);
    yg__log_setup(YG_LOG_STDERR, YG_LOG_INFO, NULL);
    struct yg_log_limit l = {0};
    uint64_t t = 1000000, allowed = 0;
    for (int i = 0; i < 25; i++)
        if (yg__log_limit_allow(&l, "net", t + (uint64_t)i)) {
            allowed++;
            yg__log(YG_LOG_WARNING, "record %d skipped", i);
        }
    CHECK_MSG(allowed == YG_LOG_RECORD_BURST, "%llu", (unsigned long long)allowed);
    yg__log_limit_flush(&l, "net", t + 100, false); /* window not over: nothing */
    yg__log_limit_flush(&l, "net", t + YG_LOG_RECORD_WINDOW_MS, false);
    CHECK(yg__log_limit_allow(&l, "net", t + YG_LOG_RECORD_WINDOW_MS + 1));
    yg__log_limit_flush(&l, "net", t + YG_LOG_RECORD_WINDOW_MS + 2, true); /* nothing held */
    yg__log_set_fd(-1);
    close(p[1]);
    char out[8192];
    ssize_t n = read(p[0], out, sizeof out - 1);
    close(p[0]);
    out[n > 0 ? n : 0] = 0;
    int lines = 0;
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    CHECK_MSG(lines == (int)YG_LOG_RECORD_BURST + 1, "%d lines:\n%s", lines, out);
    CHECK_MSG(strstr(out, " warning net: 15 more skipped record(s) not logged (at most 10 logged "
                          "per 10 s; all are counted in yagura_dropped_total)\n"),
              "%s", out);
    CHECK(strstr(out, "record 9 skipped") && !strstr(out, "record 10 skipped"));
}

int main(void)
{
    test_receive_buffer();
    test_log_limit();
    TAP_DONE();
}
