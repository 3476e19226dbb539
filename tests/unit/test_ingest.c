/*
 * test_ingest.c - the inputs of `yagura watch`: the RFC 6587 framer and
 * the line splitter on hand-made streams cut at every byte, file tailing
 * through every kind of rotation and across restarts from checkpoints, and
 * syslog over real UDP, TCP and TLS sockets on 127.0.0.1 and ::1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ingest/input.h"
#include "tap.h"

/* ---- helpers ---------------------------------------------------------------- */

struct rec {
    char *data, *key, *val, *id, *source;
    uint64_t line;
};
struct recs {
    struct rec r[256];
    int n;
};

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}
static char *dups(const char *s)
{
    return s ? dupn(s, strlen(s)) : NULL;
}

static void recs_free(struct recs *rs)
{
    for (int i = 0; i < rs->n; i++) {
        free(rs->r[i].data);
        free(rs->r[i].key);
        free(rs->r[i].val);
        free(rs->r[i].id);
        free(rs->r[i].source);
    }
    rs->n = 0;
}

/* One service call, then every record it made ready. */
static int drain(struct yg_input *in, struct recs *rs)
{
    int got = 0;
    CHECK(in->ops->service(in) == YG_OK);
    struct yg_record r;
    yg_err e;
    while ((e = in->ops->next(in, &r)) == YG_OK && rs->n < 256) {
        struct rec *x = &rs->r[rs->n++];
        x->data = dupn(r.data, r.len);
        x->key = dups(r.ckpt_key);
        x->val = dups(r.ckpt_val);
        x->id = dups(r.record_id);
        x->source = dups(r.source);
        x->line = r.line;
        got++;
    }
    CHECK(e == YG_EOF || e == YG_OK);
    return got;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Keep polling (as the service loop does) until n records or ms pass. */
static void drain_for(struct yg_input *in, struct recs *rs, int n, unsigned ms)
{
    uint64_t end = now_ms() + ms;
    while (rs->n < n && now_ms() < end) {
        struct pollfd fds[64];
        int k = in->ops->pollfds(in, fds, 64);
        (void)poll(fds, (nfds_t)k, 50);
        drain(in, rs);
    }
}

static void drain_until(struct yg_input *in, struct recs *rs, int n)
{
    drain_for(in, rs, n, 5000);
}

static bool has(struct recs *rs, const char *s)
{
    for (int i = 0; i < rs->n; i++)
        if (strcmp(rs->r[i].data, s) == 0)
            return true;
    return false;
}

/* The records' texts joined with '|', for order checks. */
static const char *joined(struct recs *rs)
{
    static char b[8192];
    b[0] = 0;
    for (int i = 0; i < rs->n; i++) {
        if (i)
            strcat(b, "|");
        strncat(b, rs->r[i].data, 200);
    }
    return b;
}

static char dir[64];

static char *pth(const char *name)
{
    static char b[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(b[k], sizeof b[k], "%s/%s", dir, name);
    return b[k];
}

static void put(const char *name, const char *mode, const char *s)
{
    FILE *f = fopen(pth(name), mode);
    CHECK(f != NULL);
    if (!f)
        return;
    fputs(s, f);
    fclose(f);
}

static struct yg_input *file_input(bool at_end, unsigned rotate_wait)
{
    struct yg_input *in = NULL;
    char g[256];
    snprintf(g, sizeof g, "%s/*.log", dir);
    CHECK(yg__in_file_new("files", g, at_end, &in) == YG_OK);
    yg__in_file_set_timing(in, 0, rotate_wait);
    return in;
}

static void clean_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -f %s/*", dir);
    CHECK(system(cmd) == 0);
}

/* ---- framer ---------------------------------------------------------------- */

/* Push stream in two pieces cut at `cut` (and one byte at a time when cut
 * is SIZE_MAX); collect messages joined with '|'. */
static void frame_run(const char *s, size_t n, size_t max, size_t cut, char *out, uint64_t *errs)
{
    struct yg_framer f;
    yg__frame_init(&f, max);
    out[0] = 0;
    size_t i = 0;
    while (i < n) {
        /* The first piece ends at cut (one byte at a time for SIZE_MAX);
         * every push is kept within the room the framer offers, as the
         * socket reader does. */
        size_t end = cut == SIZE_MAX ? i + 1 : (i < cut ? cut : n);
        if (end > n)
            end = n;
        while (i < end) {
            size_t k = end - i, room = yg__frame_room(&f);
            if (k > room)
                k = room;
            CHECK(yg__frame_push(&f, s + i, k) == YG_OK);
            i += k;
            const char *m;
            size_t ml;
            while (yg__frame_next(&f, &m, &ml) == YG_OK) {
                if (out[0])
                    strcat(out, "|");
                strncat(out, m, ml);
            }
        }
    }
    *errs = f.errors;
    yg__frame_free(&f);
}

static void test_framer(void)
{
    static const char s[] = "13 <13>hi there!<14>line one\n"
                            "<15>crlf\r\n"
                            "\n"
                            "4 abcd"
                            "2 \n\n"
                            "2024-01-01 not a count\n"
                            "10 <1>counted";
    const char *want =
        "<13>hi there!|<14>line one|<15>crlf|abcd|\n\n|2024-01-01 not a count|<1>counted";
    size_t n = sizeof s - 1;
    char out[512];
    uint64_t errs;
    int bad = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        frame_run(s, n, 100, cut, out, &errs);
        if (strcmp(out, want) != 0 || errs != 0) {
            bad++;
            fprintf(stderr, "cut %zu: %s\n", cut, out);
        }
    }
    CHECK(bad == 0);
    frame_run(s, n, 100, SIZE_MAX, out, &errs);
    CHECK(strcmp(out, want) == 0);

    /* Oversize: a count above the cap is skipped by count; a long line up
     * to its newline; both counted, and what follows is intact. */
    static const char o[] = "25 aaaaaaaaaaaaaaaaaaaaaaaaa"
                            "3 abc"
                            "<1>this line is far too long\n"
                            "<2>ok\n"
                            "99999999999 x\n";
    n = sizeof o - 1;
    bad = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        frame_run(o, n, 10, cut, out, &errs);
        /* 11 digits are no count: the last one is a line, and too long. */
        if (strcmp(out, "abc|<2>ok") != 0 || errs != 3) {
            bad++;
            fprintf(stderr, "oversize cut %zu: %s errs %llu\n", cut, out, (unsigned long long)errs);
        }
    }
    CHECK(bad == 0);
    frame_run(o, n, 10, SIZE_MAX, out, &errs);
    CHECK(strcmp(out, "abc|<2>ok") == 0 && errs == 3);

    /* Room: a full buffer of complete messages refuses more until taken. */
    struct yg_framer f;
    yg__frame_init(&f, 4);
    size_t room = yg__frame_room(&f);
    CHECK(room >= 4 && room < 64);
    char big[64];
    memset(big, 'x', sizeof big);
    CHECK(yg__frame_push(&f, big, room + 1) == YG_ELIMIT);
    CHECK(yg__frame_push(&f, "1 a1 b1 c", 9) == YG_OK);
    const char *m;
    size_t ml;
    CHECK(yg__frame_next(&f, &m, &ml) == YG_OK && ml == 1 && m[0] == 'a');
    yg__frame_free(&f);
}

static void test_lines(void)
{
    static const char s[] = "one\r\ntwo\n\nfour\nfi";
    size_t n = sizeof s - 1;
    int bad = 0;
    for (size_t cut = 0; cut <= n; cut++) {
        struct yg_lines l;
        yg__lines_init(&l, 64, 100);
        char out[128] = "";
        uint64_t last_line = 0, last_end = 0;
        for (int part = 0; part < 2; part++) {
            size_t a = part ? cut : 0, b = part ? n : cut;
            CHECK(yg__lines_push(&l, s + a, b - a) == YG_OK);
            const char *m;
            size_t ml;
            while (yg__lines_next(&l, &m, &ml) == YG_OK) {
                strncat(out, m, ml);
                strcat(out, "|");
                last_line = l.line - 1;
                last_end = l.end;
            }
        }
        const char *m;
        size_t ml;
        CHECK(yg__lines_flush(&l, &m, &ml) == YG_OK && ml == 2);
        if (strcmp(out, "one|two||four|") != 0 || last_line != 4 || last_end != 115)
            bad++;
        yg__lines_free(&l);
    }
    CHECK(bad == 0);
    /* A line over the cap is skipped and counted; numbering goes on. */
    struct yg_lines l;
    yg__lines_init(&l, 4, 0);
    CHECK(yg__lines_push(&l, "abcdef", 6) == YG_OK);
    const char *m;
    size_t ml;
    CHECK(yg__lines_next(&l, &m, &ml) == YG_EOF && l.errors == 1);
    CHECK(yg__lines_push(&l, "gh\nok\n", 6) == YG_OK);
    CHECK(yg__lines_next(&l, &m, &ml) == YG_OK && ml == 2 && memcmp(m, "ok", 2) == 0);
    CHECK(l.line - 1 == 2 && l.start == 9 && l.end == 12);
    yg__lines_free(&l);
}

/* ---- files ------------------------------------------------------------------- */

static void test_file_basic(void)
{
    clean_dir();
    put("a.log", "w", "l1\nl2\npart");
    struct yg_input *in = file_input(false, 60000);
    struct recs rs = {0};
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "l1|l2") == 0);
    CHECK(rs.n == 2 && rs.r[0].line == 1 && rs.r[1].line == 2);
    char want_key[300];
    snprintf(want_key, sizeof want_key, "file:%s", pth("a.log"));
    CHECK(rs.n == 2 && strcmp(rs.r[1].key, want_key) == 0);
    struct stat st;
    stat(pth("a.log"), &st);
    char pre[128];
    snprintf(pre, sizeof pre, "%llu:%llu:", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    CHECK(rs.n == 2 && strncmp(rs.r[1].val, pre, strlen(pre)) == 0);
    CHECK(rs.n == 2 && strstr(rs.r[1].val + strlen(pre), "6:") == rs.r[1].val + strlen(pre));
    /* record id ends in the offset of the line's start */
    CHECK(rs.n == 2 && strncmp(rs.r[1].id, pre, strlen(pre)) == 0 &&
          strcmp(strrchr(rs.r[1].id, ':'), ":3") == 0);
    /* a partial line waits for its end */
    recs_free(&rs);
    CHECK(drain(in, &rs) == 0);
    put("a.log", "a", "ial\nl4\n");
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "partial|l4") == 0 && rs.n == 2 && rs.r[0].line == 3);
    recs_free(&rs);
    /* a new file matching the glob, and one that does not match */
    put("b.log", "w", "b1\n");
    put("b.txt", "w", "nope\n");
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "b1") == 0);
    recs_free(&rs);
    /* a line longer than the cap is reported and skipped */
    FILE *f = fopen(pth("a.log"), "a");
    for (unsigned i = 0; i < YG_MAX_EVENT_BYTES / 64 + 2; i++)
        fputs("0123456789012345678901234567890123456789012345678901234567890123", f);
    fputs("\nafter\n", f);
    fclose(f);
    uint64_t dropped = in->dropped, errors = in->errors;
    for (int i = 0; i < 40 && rs.n == 0; i++)
        drain(in, &rs);
    CHECK(strcmp(joined(&rs), "after") == 0);
    /* Counted once (the service's dropped metric adds errors), and said. */
    CHECK(in->dropped == dropped + 1 && in->errors == errors);
    CHECK_MSG(strstr(in->drop_why, "a.log: a line longer than 4194304 bytes") != NULL, "%s",
              in->drop_why);
    CHECK(rs.n == 1 && rs.r[0].line == 6);
    recs_free(&rs);
    in->ops->destroy(in);
}

static void test_file_rename(void)
{
    clean_dir();
    put("a.log", "w", "x1\n");
    struct yg_input *in = file_input(false, 60000);
    struct recs rs = {0};
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "x1") == 0);
    recs_free(&rs);
    /* The writer keeps its descriptor across the rename, as loggers do
     * until told to reopen. */
    int w = open(pth("a.log"), O_WRONLY | O_APPEND);
    CHECK(rename(pth("a.log"), pth("a.log.1")) == 0);
    CHECK(write(w, "x2\n", 3) == 3);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "x2") == 0);
    recs_free(&rs);
    /* New file appears, empty: the old one is still read. */
    put("a.log", "w", "");
    CHECK(write(w, "x3\n", 3) == 3);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "x3") == 0);
    recs_free(&rs);
    /* Old gets its last line and the new file its first in the same
     * instant: the old is read to its end first. */
    CHECK(write(w, "x4\nx5", 5) == 5);
    close(w);
    put("a.log", "a", "y1\ny2\n");
    drain(in, &rs);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "x4|x5|y1|y2") == 0);
    CHECK(rs.n == 4 && rs.r[2].line == 1);
    /* Both under the same key, the value moving to the new inode. */
    CHECK(rs.n == 4 && strcmp(rs.r[1].key, rs.r[2].key) == 0);
    CHECK(rs.n == 4 && strcmp(rs.r[1].val, rs.r[2].val) != 0);
    recs_free(&rs);
    put("a.log", "a", "y3\n");
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "y3") == 0);
    recs_free(&rs);
    in->ops->destroy(in);
}

static void test_file_truncate_delete(void)
{
    clean_dir();
    put("c.log", "w", "c1\nc2\n");
    struct yg_input *in = file_input(false, 60000);
    struct recs rs = {0};
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "c1|c2") == 0);
    recs_free(&rs);
    /* copy-truncate, then a shorter line */
    CHECK(truncate(pth("c.log"), 0) == 0);
    put("c.log", "a", "c3\n");
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "c3") == 0 && rs.n == 1 && rs.r[0].line == 1);
    recs_free(&rs);
    /* truncated and rewritten past our offset: caught by the fingerprint */
    put("c.log", "w", "rewritten-longer\nr2\n");
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "rewritten-longer|r2") == 0);
    recs_free(&rs);

    /* delete while the writer still writes, then re-create */
    int w = open(pth("c.log"), O_WRONLY | O_APPEND);
    CHECK(unlink(pth("c.log")) == 0);
    CHECK(write(w, "d1\n", 3) == 3);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "d1") == 0);
    recs_free(&rs);
    CHECK(write(w, "d2\n", 3) == 3);
    close(w);
    put("c.log", "w", "e1\n");
    drain(in, &rs);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "d2|e1") == 0);
    recs_free(&rs);
    in->ops->destroy(in);

    /* Deleted with no successor: let go after rotate_wait, its unterminated
     * last line handed out as complete. */
    clean_dir();
    put("g.log", "w", "g1\n");
    in = file_input(false, 0);
    drain(in, &rs);
    recs_free(&rs);
    w = open(pth("g.log"), O_WRONLY | O_APPEND);
    CHECK(unlink(pth("g.log")) == 0);
    CHECK(write(w, "g2\ng-tail", 9) == 9);
    close(w);
    drain(in, &rs);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "g2|g-tail") == 0);
    recs_free(&rs);
    CHECK(drain(in, &rs) == 0);
    in->ops->destroy(in);
}

static void test_file_start_at_end(void)
{
    clean_dir();
    put("s.log", "w", "old1\nold2\nhal");
    struct yg_input *in = file_input(true, 60000);
    struct recs rs = {0};
    CHECK(drain(in, &rs) == 0);
    put("s.log", "a", "f\nnew\n");
    put("t.log", "w", "t1\n"); /* appeared later: read from its start */
    drain(in, &rs);
    CHECK(has(&rs, "new") && has(&rs, "t1") && rs.n == 2);
    CHECK(!has(&rs, "f") && !has(&rs, "half"));
    recs_free(&rs);
    in->ops->destroy(in);
}

/* Checkpoints as the service stores them: the last value per key after the
 * first `upto` records. */
struct ckpts {
    char key[8][300], val[8][128];
    int n;
};
static void ckpts_take(struct ckpts *c, struct recs *rs, int upto)
{
    for (int i = 0; i < upto && i < rs->n; i++) {
        int k = 0;
        while (k < c->n && strcmp(c->key[k], rs->r[i].key) != 0)
            k++;
        if (k == c->n) {
            snprintf(c->key[k], sizeof c->key[k], "%s", rs->r[i].key);
            c->n++;
        }
        snprintf(c->val[k], sizeof c->val[k], "%s", rs->r[i].val);
    }
}
static struct yg_input *restored(struct ckpts *c, bool at_end)
{
    struct yg_input *in = file_input(at_end, 60000);
    CHECK(in->ops->restore(in, "syslog:x", "whatever") == YG_OK); /* not ours */
    for (int k = 0; k < c->n; k++)
        CHECK(in->ops->restore(in, c->key[k], c->val[k]) == YG_OK);
    return in;
}

static void test_file_restore(void)
{
    clean_dir();
    put("r.log", "w", "r1\nr2\nr3\nr4\n");
    struct yg_input *in = file_input(false, 60000);
    struct recs rs = {0};
    drain(in, &rs);
    CHECK(rs.n == 4);
    /* Crash after the alerts of r2 were stored: r3 and r4 come again. */
    struct ckpts c = {0};
    ckpts_take(&c, &rs, 2);
    char id_r3[128];
    snprintf(id_r3, sizeof id_r3, "%s", rs.n == 4 ? rs.r[2].id : "");
    in->ops->destroy(in);
    recs_free(&rs);
    put("r.log", "a", "r5\n");
    in = restored(&c, true); /* start_at_end does not apply: it has a checkpoint */
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "r3|r4|r5") == 0);
    CHECK(rs.n == 3 && strcmp(rs.r[0].id, id_r3) == 0); /* same record, same id */
    CHECK(rs.n == 3 && rs.r[0].line == 0);              /* resumed: number unknown */
    c.n = 0;
    ckpts_take(&c, &rs, rs.n);
    in->ops->destroy(in);
    recs_free(&rs);

    /* Rotated while down: the rest of the old file, then the new one. */
    put("r.log", "a", "r6\nr7\n");
    CHECK(rename(pth("r.log"), pth("r.log.1")) == 0);
    put("r.log", "w", "n1\n");
    in = restored(&c, true);
    drain(in, &rs);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "r6|r7|n1") == 0);
    c.n = 0;
    ckpts_take(&c, &rs, rs.n);
    in->ops->destroy(in);
    recs_free(&rs);

    /* Nothing new: nothing repeated. */
    in = restored(&c, false);
    CHECK(drain(in, &rs) == 0 && drain(in, &rs) == 0);
    in->ops->destroy(in);

    /* Same inode, other content (truncated and rewritten while down): the
     * fingerprint no longer fits, so it is read from 0. */
    put("r.log", "w", "different content\nz2\n");
    in = restored(&c, true);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "different content|z2") == 0);
    in->ops->destroy(in);
    recs_free(&rs);

    /* A forged fingerprint for the right inode and offset: also from 0. */
    struct stat st;
    stat(pth("r.log"), &st);
    c.n = 1;
    snprintf(c.key[0], sizeof c.key[0], "file:%s", pth("r.log"));
    snprintf(c.val[0], sizeof c.val[0], "%llu:%llu:18:00000000deadbeef",
             (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
    in = restored(&c, true);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "different content|z2") == 0);
    in->ops->destroy(in);
    recs_free(&rs);
    /* The right one resumes at 18 ("z2" only); a damaged one reads from 0. */
    in = file_input(true, 60000);
    CHECK(in->ops->restore(in, c.key[0], "1:2:x") == YG_OK);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "different content|z2") == 0 && in->errors == 1);
    c.n = 0;
    ckpts_take(&c, &rs, 1);
    in->ops->destroy(in);
    recs_free(&rs);
    in = restored(&c, false);
    drain(in, &rs);
    CHECK(strcmp(joined(&rs), "z2") == 0);
    in->ops->destroy(in);
    recs_free(&rs);
}

/* ---- syslog ------------------------------------------------------------------ */

static int connect_to(const char *host, int port)
{
    bool v6 = strchr(host, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int r;
    if (v6) {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
        inet_pton(AF_INET6, host, &a.sin6_addr);
        r = connect(fd, (struct sockaddr *)&a, sizeof a);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        inet_pton(AF_INET, host, &a.sin_addr);
        r = connect(fd, (struct sockaddr *)&a, sizeof a);
    }
    if (r != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            _exit(3);
        p += w;
        n -= (size_t)w;
    }
}

static void test_udp(const char *bind_addr, const char *host)
{
    struct yg_input *in = NULL;
    CHECK(yg__in_syslog_udp_new("udp", bind_addr, &in) == YG_OK);
    if (!in)
        return;
    int port = yg__in_syslog_port(in);
    CHECK(port > 0);
    bool v6 = strchr(host, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        sl = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        inet_pton(AF_INET, host, &a->sin_addr);
        sl = sizeof *a;
    }
    const char *msgs[] = {"<13>one", "<14>two\n", "5 <15>three is not framed"};
    for (int i = 0; i < 3; i++)
        CHECK(sendto(fd, msgs[i], strlen(msgs[i]), 0, (struct sockaddr *)&ss, sl) > 0);
    struct recs rs = {0};
    drain_until(in, &rs, 3);
    CHECK(strcmp(joined(&rs), "<13>one|<14>two|5 <15>three is not framed") == 0);
    CHECK(rs.n == 3 && rs.r[0].key == NULL && rs.r[0].val == NULL && rs.r[0].id &&
          strcmp(rs.r[0].id, rs.r[1].id) != 0);
    char want[64];
    snprintf(want, sizeof want, v6 ? "syslog-udp:[%s]:" : "syslog-udp:%s:", host);
    CHECK(rs.n == 3 && strncmp(rs.r[0].source, want, strlen(want)) == 0);
    recs_free(&rs);
    close(fd);
    in->ops->destroy(in);
}

/* A child sends `chunks` on a fresh connection, one write each. */
static pid_t tcp_child(const char *host, int port, const char **chunks, int n)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = connect_to(host, port);
    if (fd < 0)
        _exit(2);
    for (int i = 0; i < n; i++) {
        send_all(fd, chunks[i], strlen(chunks[i]));
        usleep(2000);
    }
    close(fd);
    _exit(0);
}

static void test_tcp(const char *bind_addr, const char *host)
{
    struct yg_input *in = NULL;
    CHECK(yg__in_syslog_tcp_new("tcp", bind_addr, &in) == YG_OK);
    if (!in)
        return;
    int port = yg__in_syslog_port(in);
    const char *a[] = {"10 <13>a-one!", "<13>a-t", "wo\n6 <13>a3", "\n"};
    const char *b[] = {"<14>b-one\r\n12 <14>b-two-", "ok\n"};
    pid_t pa = tcp_child(host, port, a, 4);
    pid_t pb = tcp_child(host, port, b, 2);
    struct recs rs = {0};
    drain_until(in, &rs, 5);
    int st;
    waitpid(pa, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    waitpid(pb, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    drain(in, &rs);
    CHECK(rs.n == 5);
    CHECK(has(&rs, "<13>a-one!") && has(&rs, "<13>a-two") && has(&rs, "<13>a3") &&
          has(&rs, "<14>b-one") && has(&rs, "<14>b-two-ok"));
    /* per connection, order is kept */
    int i1 = -1, i2 = -1;
    for (int i = 0; i < rs.n; i++) {
        if (!strcmp(rs.r[i].data, "<13>a-one!"))
            i1 = i;
        if (!strcmp(rs.r[i].data, "<13>a3"))
            i2 = i;
    }
    CHECK(i1 >= 0 && i1 < i2);
    char want[64];
    snprintf(want, sizeof want, strchr(host, ':') ? "syslog-tcp:[%s]:" : "syslog-tcp:%s:", host);
    CHECK(rs.n > 0 && strncmp(rs.r[0].source, want, strlen(want)) == 0 && !rs.r[0].key);
    recs_free(&rs);

    /* Oversize: a counted message over the cap and an endless line, each
     * skipped and counted, with the connection still usable after. */
    uint64_t dropped = in->dropped, errors = in->errors;
    pid_t pc = fork();
    if (pc == 0) {
        int fd = connect_to(host, port);
        if (fd < 0)
            _exit(2);
        char hdr[32];
        size_t big = YG_MAX_EVENT_BYTES + 100;
        snprintf(hdr, sizeof hdr, "%zu ", big);
        send_all(fd, hdr, strlen(hdr));
        char *blk = malloc(65536);
        memset(blk, 'q', 65536);
        for (size_t left = big; left;) {
            size_t k = left < 65536 ? left : 65536;
            send_all(fd, blk, k);
            left -= k;
        }
        send_all(fd, "<1>after-counted\n", 17);
        send_all(fd, "<2>", 3);
        for (size_t left = big; left;) {
            size_t k = left < 65536 ? left : 65536;
            send_all(fd, blk, k);
            left -= k;
        }
        send_all(fd, "\n<3>after-line\n", 15);
        free(blk);
        close(fd);
        _exit(0);
    }
    drain_until(in, &rs, 2);
    waitpid(pc, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK(strcmp(joined(&rs), "<1>after-counted|<3>after-line") == 0);
    CHECK(in->dropped == dropped + 2 && in->errors == errors);
    CHECK_MSG(strstr(in->drop_why, "a message longer than 4194304 bytes") != NULL, "%s",
              in->drop_why);
    recs_free(&rs);
    in->ops->destroy(in);
}

/* ---- TLS ------------------------------------------------------------------------ */

static bool make_cert(const char *crt, const char *key)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    bool ok = pk && x;
    if (ok) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_set_pubkey(x, pk);
        X509_NAME *nm = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                                   -1, 0);
        X509_set_issuer_name(x, nm);
        ok = X509_sign(x, pk, EVP_sha256()) > 0;
    }
    FILE *f = ok ? fopen(crt, "w") : NULL;
    ok = f && PEM_write_X509(f, x);
    if (f)
        fclose(f);
    f = ok ? fopen(key, "w") : NULL;
    ok = f && PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
    if (f)
        fclose(f);
    X509_free(x);
    EVP_PKEY_free(pk);
    return ok;
}

static void test_tls(const char *bind_addr, const char *host)
{
    char crt[256], key[256];
    snprintf(crt, sizeof crt, "%s", pth("srv.crt"));
    snprintf(key, sizeof key, "%s", pth("srv.key"));
    CHECK(make_cert(crt, key));
    struct yg_input *in = NULL;
    /* A missing key file is refused; the handle handed out says why. */
    CHECK(yg__in_syslog_tls_new("tls", bind_addr, crt, "/nonexistent/key", &in) != YG_OK && in);
    CHECK_MSG(!strcmp(yg__input_errmsg(in),
                      "tls key /nonexistent/key: cannot read it: No such file or directory"),
              "%s", yg__input_errmsg(in));
    in->ops->destroy(in);
    CHECK(yg__in_syslog_tls_new("tls", bind_addr, crt, NULL, &in) == YG_EINVAL && in);
    CHECK(!strcmp(yg__input_errmsg(in), "tls: cert and key are both needed"));
    in->ops->destroy(in);
    CHECK(yg__in_syslog_udp_new("udp", "no-port-here", &in) == YG_EINVAL && in);
    CHECK_MSG(!strcmp(yg__input_errmsg(in), "listen: 'no-port-here' is not HOST:PORT"), "%s",
              yg__input_errmsg(in));
    in->ops->destroy(in);
    CHECK(yg__in_file_new("files", "", false, &in) == YG_EINVAL && in);
    CHECK(!strcmp(yg__input_errmsg(in), ""));
    in->ops->destroy(in);
    CHECK(!strcmp(yg__input_errmsg(NULL), "out of memory"));
    CHECK(yg__in_syslog_tls_new("tls", bind_addr, crt, key, &in) == YG_OK);
    if (!in)
        return;
    int port = yg__in_syslog_port(in);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = connect_to(host, port);
        SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (fd < 0 || !ctx || SSL_CTX_load_verify_locations(ctx, crt, NULL) != 1)
            _exit(2);
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, "localhost");
        if (SSL_connect(ssl) != 1)
            _exit(3);
        const char *m[] = {"17 <13>tls message 1", "17 <13>tls mes", "sage 2<14>tls line\n"};
        for (int i = 0; i < 3; i++) {
            if (SSL_write(ssl, m[i], (int)strlen(m[i])) <= 0)
                _exit(4);
            usleep(2000);
        }
        SSL_shutdown(ssl);
        SSL_free(ssl);
        SSL_CTX_free(ctx);
        close(fd);
        _exit(0);
    }
    /* And a client that speaks plain TCP to it is dropped, not fatal. */
    int plain = connect_to(host, port);
    CHECK(plain >= 0);
    send_all(plain, "<13>not tls\n", 12);
    struct recs rs = {0};
    drain_until(in, &rs, 3);
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_MSG(strcmp(joined(&rs), "<13>tls message 1|<13>tls message 2|<14>tls line") == 0, "%s",
              joined(&rs));
    char want[64];
    snprintf(want, sizeof want, strchr(host, ':') ? "syslog-tls:[%s]:" : "syslog-tls:%s:", host);
    CHECK(rs.n > 0 && strncmp(rs.r[0].source, want, strlen(want)) == 0);
    recs_free(&rs);
    close(plain);
    drain_for(in, &rs, 1, 300);
    CHECK(rs.n == 0 && in->errors >= 1);
    in->ops->destroy(in);
}

static void test_fd(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct yg_input *in = NULL;
    CHECK(yg__in_fd_new("stdin", p[0], &in) == YG_OK);
    const char *text = "s1\n{\"a\":1}\r\n12 not framed\nlast";
    send_all(p[1], text, strlen(text));
    close(p[1]);
    struct recs rs = {0};
    drain_until(in, &rs, 4);
    CHECK(strcmp(joined(&rs), "s1|{\"a\":1}|12 not framed|last") == 0);
    CHECK(rs.n == 4 && rs.r[3].line == 4 && rs.r[3].key == NULL);
    drain(in, &rs);
    CHECK(in->eof);
    recs_free(&rs);
    in->ops->destroy(in);
    close(p[0]);
}

/* Record ids: NAME:H1H2:K, the message's hash, the hash mixed with the
 * input's name and the length (32 hex digits), and its occurrence count, so
 * that a repeated message is another record. */
static void test_fd_ids(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct yg_input *in = NULL;
    CHECK(yg__in_fd_new("stdin-ids", p[0], &in) == YG_OK);
    const char *text = "same\nother line\nsame\nsame\n";
    send_all(p[1], text, strlen(text));
    close(p[1]);
    struct recs rs = {0};
    drain_until(in, &rs, 4);
    CHECK(rs.n == 4);
    const unsigned want_k[4] = {1, 1, 2, 3};
    for (int i = 0; i < rs.n && i < 4; i++) {
        const char *m = rs.r[i].data;
        uint64_t h1 = yg_hash(m, strlen(m));
        uint64_t h2 =
            h1 ^ (yg_hash("stdin-ids", 9) * (uint64_t)0x9E3779B97F4A7C15ull) ^ (uint64_t)strlen(m);
        char want[128];
        snprintf(want, sizeof want, "stdin-ids:%016" PRIx64 "%016" PRIx64 ":%u", h1, h2, want_k[i]);
        CHECK_MSG(rs.r[i].id && !strcmp(rs.r[i].id, want), "record %d: %s, want %s", i,
                  rs.r[i].id ? rs.r[i].id : "(none)", want);
    }
    recs_free(&rs);
    in->ops->destroy(in);
    close(p[0]);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* the service does the same: see in_syslog.c */
    snprintf(dir, sizeof dir, "/tmp/yg_ingest_XXXXXX");
    if (!mkdtemp(dir))
        return 2;
    test_framer();
    test_lines();
    test_file_basic();
    test_file_rename();
    test_file_truncate_delete();
    test_file_start_at_end();
    test_file_restore();
    test_udp("127.0.0.1:0", "127.0.0.1");
    test_udp("[::1]:0", "::1");
    test_udp(":0", "127.0.0.1"); /* dual stack */
    test_tcp("127.0.0.1:0", "127.0.0.1");
    test_tcp("[::1]:0", "::1");
    test_tls("127.0.0.1:0", "127.0.0.1");
    test_tls("[::1]:0", "::1");
    test_fd();
    test_fd_ids();
    clean_dir();
    rmdir(dir);
    TAP_DONE();
}
