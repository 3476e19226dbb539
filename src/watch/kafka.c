/*
 * kafka.c - the Kafka client of `yagura watch` (see kafka.h, docs/kafka.md).
 *
 * One consumer serves every kafka input: Kafka transactions commit the
 * offsets of one consumer group member, so the inputs cannot each have
 * their own.  A message polled for another input's topic waits in that
 * input's queue until the service loop asks that input for records (the
 * loop visits every input each round, so the queues stay within a batch).
 *
 * Offsets: the offset after each record handed out is kept per partition;
 * yg__kafka_commit() commits those (or sends them in the transaction), so a
 * record is acknowledged only after the service has made its alerts durable.
 * Messages of a partition that are queued but not yet handed out when the
 * partition is revoked are dropped: their offsets were never committed, and
 * the partition's next owner reads them.
 */
#include "watch/kafka.h"

#include <assert.h>
#include <librdkafka/rdkafka.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "core/log.h"

#define YG_M_KAFKA_LAG "yagura_kafka_lag_messages"  /* gauge {topic,partition} */
#define YG_M_KAFKA_ASSIGNED "yagura_kafka_assigned" /* gauge {topic,partition}: 1 or 0 */
#define YG_M_KAFKA_LAG_REFRESHES "yagura_kafka_lag_refreshes_total" /* counter */
/* How long a commit, a flush or a transaction call may block the loop. */
#define KAFKA_TIMEOUT_MS 30000
/* How long reading back the detections topic on assignment may take. */
#define KAFKA_READBACK_MS 60000
/* Messages taken from the consumer per next() call before giving the loop
 * back when they all belong to other inputs. */
#define KAFKA_POLL_BURST 512

struct kin;

struct lagseries {
    char *topic;
    int32_t partition;
    struct yg_metric *m, *assigned;
};

struct yg_kafka {
    const struct yg_cfg_kafka *cfg;
    rd_kafka_t *cons, *prod;
    /* Readable when the consumer's queue turns non-empty (librdkafka writes to
     * it): the service loop polls it with its other inputs instead of
     * sleeping its idle wait while records arrive (-1: none). */
    int wake_fd;
    rd_kafka_queue_t *wake_q;
    bool transactional, in_txn;
    bool produced; /* messages produced since the last commit */
    bool fatal;    /* a commit failed: the service must stop */
    /* The commit watchdog (commit_watch): armed around each transaction's
     * commit, started with the first one. */
    pthread_t wd;
    pthread_mutex_t wd_mu;
    pthread_cond_t wd_cv;
    bool wd_started, wd_armed, wd_quit;
    struct timespec wd_deadline;
    bool closing; /* in rd_kafka_consumer_close: assignments are only acknowledged */
    /* How long a transaction's commit or abort may block: KAFKA_TIMEOUT_MS,
     * or the producer's transaction.timeout.ms when smaller (by then the
     * broker has aborted the transaction anyway). */
    int txn_ms;
    struct kin **ins;
    size_t nins;
    /* offset after the last record handed out since the last commit, per
     * partition (what the next commit carries); next: the offsets committed
     * since the assignment (the lag counts what is not yet committed) */
    rd_kafka_topic_partition_list_t *pos, *next;
    /* committed offsets of the assignment, fetched when it was assigned */
    rd_kafka_topic_partition_list_t *committed;
    struct yg_kafka_hooks hooks;
    /* producer delivery failures since the last commit (delivery report
     * callbacks run on the service thread, inside rd_kafka_poll/flush) */
    uint64_t failed;
    char fail_why[256];
    struct lagseries *lag;
    size_t nlag;
    char errmsg[512]; /* why the last failed call failed (yg__kafka_errmsg) */
};

struct kin {
    struct yg_input base;
    struct yg_kafka *k;
    char *topic;
    rd_kafka_message_t **q; /* ring of messages polled for this input */
    size_t qhead, qn, qcap;
    rd_kafka_message_t *cur; /* the record last handed out */
    char src[300], rid[320];
};

struct ksink {
    struct yg_sink base;
    struct yg_kafka *k;
    char *topic;
    struct yg_buf msg;
};

static void seterr(struct yg_kafka *k, const char *fmt, ...) YG_PRINTF(2, 3);
static void seterr(struct yg_kafka *k, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(k->errmsg, sizeof k->errmsg, fmt, ap);
    va_end(ap);
}

const char *yg__kafka_errmsg(const struct yg_kafka *k)
{
    return k ? k->errmsg : "out of memory";
}

/* An eventfd that librdkafka writes to whenever the consumer's queue turns
 * non-empty (rd_kafka_queue_io_event_enable).  Without one the service falls
 * back to polling the consumer on its idle wait. */
static void wake_enable(struct yg_kafka *k)
{
    static const uint64_t one = 1;
    k->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (k->wake_fd < 0)
        return;
    k->wake_q = rd_kafka_queue_get_consumer(k->cons);
    if (!k->wake_q) {
        close(k->wake_fd);
        k->wake_fd = -1;
        return;
    }
    rd_kafka_queue_io_event_enable(k->wake_q, k->wake_fd, &one, sizeof one);
}

/* ---- callbacks ------------------------------------------------------------ */

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    yg__log(level <= 3   ? YG_LOG_ERROR
            : level == 4 ? YG_LOG_WARNING
                         : YG_LOG_DEBUG,
            "kafka: %s: %s", fac, buf);
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    (void)opaque;
    /* Broker connections come and go; librdkafka retries by itself.  Only
     * a fatal error (a fenced transactional producer) ends the service. */
    yg__log(err == RD_KAFKA_RESP_ERR__FATAL ? YG_LOG_ERROR : YG_LOG_WARNING, "kafka: %s: %s",
            rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct yg_kafka *k = opaque;
    if (!m->err)
        return;
    k->failed++;
    snprintf(k->fail_why, sizeof k->fail_why, "producing to %s: %s",
             m->rkt ? rd_kafka_topic_name(m->rkt) : "?", rd_kafka_err2str(m->err));
}

/* A copy with topic, partition and offset only.  Lists librdkafka hands
 * out hold references to its partition objects (rd_kafka_destroy waits for
 * them), and must not be given to another client handle. */
static rd_kafka_topic_partition_list_t *plain_copy(const rd_kafka_topic_partition_list_t *l)
{
    rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_new(l ? l->cnt : 0);
    for (int i = 0; l && i < l->cnt; i++)
        rd_kafka_topic_partition_list_add(c, l->elems[i].topic, l->elems[i].partition)->offset =
            l->elems[i].offset;
    return c;
}

static void drop_queued(struct yg_kafka *k)
{
    for (size_t i = 0; i < k->nins; i++) {
        struct kin *in = k->ins[i];
        while (in->qn) {
            rd_kafka_message_destroy(in->q[in->qhead]);
            in->qhead = (in->qhead + 1) % in->qcap;
            in->qn--;
        }
    }
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct yg_kafka *k = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        yg__log(YG_LOG_INFO, "kafka: %d partition(s) assigned", parts->cnt);
        if (k->closing) {
            /* A rebalance that ends while the consumer closes (another
             * member left at the same moment) still hands out partitions.
             * The committed offsets are not read: the closing consumer
             * serves no offset fetch, so the read would wait out its whole
             * timeout (30 s) and hold the stop up.  Nothing is read from
             * these partitions; the close revokes them at once. */
            rd_kafka_assign(rk, parts);
            return;
        }
        if (k->committed)
            rd_kafka_topic_partition_list_destroy(k->committed);
        k->committed = plain_copy(parts);
        rd_kafka_resp_err_t ce = rd_kafka_committed(rk, k->committed, KAFKA_TIMEOUT_MS);
        if (ce)
            yg__log(YG_LOG_WARNING, "kafka: reading the committed offsets: %s",
                    rd_kafka_err2str(ce));
        rd_kafka_assign(rk, parts);
        if (k->hooks.assign)
            k->hooks.assign(k->hooks.ud);
        return;
    }
    /* Revoked (or an error, which librdkafka treats as a revoke of all):
     * what was read is committed before the partitions go. */
    yg__log(YG_LOG_INFO, "kafka: %d partition(s) revoked", parts ? parts->cnt : 0);
    if (k->hooks.revoke && !k->hooks.revoke(k->hooks.ud))
        k->fatal = true;
    drop_queued(k);
    if (k->pos)
        rd_kafka_topic_partition_list_destroy(k->pos);
    k->pos = rd_kafka_topic_partition_list_new(16);
    if (k->next)
        rd_kafka_topic_partition_list_destroy(k->next);
    k->next = rd_kafka_topic_partition_list_new(16);
    rd_kafka_assign(rk, NULL);
}

/* ---- the client ----------------------------------------------------------- */

static rd_kafka_conf_t *base_conf(struct yg_kafka *k)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!c)
        return NULL;
    rd_kafka_conf_set_opaque(c, k);
    rd_kafka_conf_set_log_cb(c, on_log);
    rd_kafka_conf_set_error_cb(c, on_error);
    if (rd_kafka_conf_set(c, "bootstrap.servers", k->cfg->brokers, err, sizeof err)) {
        seterr(k, "kafka.brokers: %s", err);
        rd_kafka_conf_destroy(c);
        return NULL;
    }
    return c;
}

/* The kafka.properties after the service's own settings, so they may
 * override the defaults below (never the keys config.c refuses). */
static bool apply_props(struct yg_kafka *k, rd_kafka_conf_t *c, rd_kafka_type_t type)
{
    char err[512];
    for (size_t i = 0; i < k->cfg->nprops; i++) {
        rd_kafka_conf_res_t r =
            rd_kafka_conf_set(c, k->cfg->props[i].name, k->cfg->props[i].value, err, sizeof err);
        /* A consumer-only property on the producer (or the reverse) is
         * reported by librdkafka as a warning, not an error; unknown names
         * and bad values are errors.  The value is never quoted. */
        if (r != RD_KAFKA_CONF_OK) {
            seterr(k, "kafka.properties.%s: %s (%s)", k->cfg->props[i].name,
                   r == RD_KAFKA_CONF_UNKNOWN ? "not a librdkafka property" : "invalid value",
                   type == RD_KAFKA_CONSUMER ? "consumer" : "producer");
            return false;
        }
    }
    return true;
}

static bool set(rd_kafka_conf_t *c, const char *name, const char *val)
{
    char err[256];
    return rd_kafka_conf_set(c, name, val, err, sizeof err) == RD_KAFKA_CONF_OK;
}

yg_err yg__kafka_new(const struct yg_cfg_kafka *cfg, bool consumer, bool producer,
                     struct yg_kafka **out)
{
    char err[512];
    struct yg_kafka *k = yg_calloc(1, sizeof *k);
    *out = NULL;
    if (!k)
        return YG_ENOMEM;
    k->wake_fd = -1;
    k->cfg = cfg;
    k->transactional = cfg->transactional_id != NULL;
    k->txn_ms = KAFKA_TIMEOUT_MS;
    for (size_t i = 0; i < cfg->nprops; i++)
        if (strcmp(cfg->props[i].name, "transaction.timeout.ms") == 0) {
            long t = strtol(cfg->props[i].value, NULL, 10);
            if (t > 0 && t < k->txn_ms)
                k->txn_ms = (int)t;
        }
    k->pos = rd_kafka_topic_partition_list_new(16);
    k->next = rd_kafka_topic_partition_list_new(16);
    /* Exactly once commits the consumed offsets through the producer. */
    if (k->transactional && consumer)
        producer = true;
    if (consumer) {
        rd_kafka_conf_t *c = base_conf(k);
        if (!c)
            goto fail;
        /* Offsets move only when the service commits them, after the
         * alerts of the records before them are durable; a new group starts
         * at the oldest record (nothing is skipped); records of aborted
         * transactions are never read. */
        if (!set(c, "group.id", cfg->group ? cfg->group : "yagura") ||
            !set(c, "enable.auto.commit", "false") ||
            !set(c, "enable.auto.offset.store", "false") ||
            !set(c, "isolation.level", "read_committed") ||
            !set(c, "auto.offset.reset", "earliest") || !set(c, "enable.partition.eof", "true") ||
            /* 8 MiB a partition a fetch (librdkafka's default is 1 MiB): a match
             * instance catching up waited on fetches a quarter of its time
             * (bench/README.md); kafka.properties may set it back. */
            !set(c, "max.partition.fetch.bytes", "8388608") ||
            !apply_props(k, c, RD_KAFKA_CONSUMER)) {
            rd_kafka_conf_destroy(c);
            goto fail;
        }
        rd_kafka_conf_set_rebalance_cb(c, on_rebalance);
        if (!(k->cons = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err))) {
            rd_kafka_conf_destroy(c);
            seterr(k, "kafka: cannot create the consumer: %s", err);
            goto fail;
        }
        rd_kafka_poll_set_consumer(k->cons);
        wake_enable(k);
    }
    if (producer) {
        rd_kafka_conf_t *c = base_conf(k);
        if (!c)
            goto fail;
        /* Idempotent: a retried send is never written twice. */
        if (!set(c, "enable.idempotence", "true") || !set(c, "linger.ms", "5") ||
            (k->transactional && !set(c, "transactional.id", cfg->transactional_id)) ||
            !apply_props(k, c, RD_KAFKA_PRODUCER)) {
            rd_kafka_conf_destroy(c);
            goto fail;
        }
        rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
        if (!(k->prod = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err))) {
            rd_kafka_conf_destroy(c);
            seterr(k, "kafka: cannot create the producer: %s", err);
            goto fail;
        }
        if (k->transactional) {
            /* Fences any earlier producer of the same transactional id (a
             * crashed instance's zombie) and aborts its open transaction. */
            rd_kafka_error_t *e = rd_kafka_init_transactions(k->prod, KAFKA_TIMEOUT_MS);
            if (e) {
                seterr(k, "kafka: initialising transactions (transactional_id): %s",
                       rd_kafka_error_string(e));
                rd_kafka_error_destroy(e);
                goto fail;
            }
        }
    }
    *out = k;
    return YG_OK;
fail:
    /* The handle stays, holding the reason (kafka.h). */
    *out = k;
    return YG_EINVAL;
}

yg_err yg__kafka_refresh_committed(struct yg_kafka *k)
{
    k->errmsg[0] = 0;
    rd_kafka_topic_partition_list_t *a = NULL;
    if (!k->cons)
        return YG_OK;
    rd_kafka_resp_err_t e = rd_kafka_assignment(k->cons, &a);
    if (!e)
        e = rd_kafka_committed(k->cons, a, KAFKA_TIMEOUT_MS);
    if (e) {
        if (a)
            rd_kafka_topic_partition_list_destroy(a);
        seterr(k, "kafka: reading the committed offsets: %s", rd_kafka_err2str(e));
        return YG_EIO;
    }
    if (k->committed)
        rd_kafka_topic_partition_list_destroy(k->committed);
    k->committed = plain_copy(a);
    rd_kafka_topic_partition_list_destroy(a);
    return YG_OK;
}

yg_err yg__kafka_check(const struct yg_cfg_kafka *cfg, struct yg_errmsg *e)
{
    struct yg_kafka k;
    memset(&k, 0, sizeof k);
    k.cfg = cfg;
    rd_kafka_type_t types[] = {RD_KAFKA_CONSUMER, RD_KAFKA_PRODUCER};
    for (int i = 0; i < 2; i++) {
        rd_kafka_conf_t *c = base_conf(&k);
        bool ok = c && apply_props(&k, c, types[i]);
        if (c)
            rd_kafka_conf_destroy(c);
        if (!ok) {
            yg__errmsg_set(e, "%s", k.errmsg);
            return YG_EINVAL;
        }
    }
    return YG_OK;
}

void yg__kafka_set_hooks(struct yg_kafka *k, const struct yg_kafka_hooks *h)
{
    k->hooks = *h;
}

bool yg__kafka_transactional(const struct yg_kafka *k)
{
    return k->transactional;
}

bool yg__kafka_fatal(const struct yg_kafka *k)
{
    return k->fatal;
}

static void watch_stop(struct yg_kafka *k);

void yg__kafka_free(struct yg_kafka *k)
{
    if (!k)
        return;
    watch_stop(k);
    if (k->pos)
        rd_kafka_topic_partition_list_destroy(k->pos);
    if (k->next)
        rd_kafka_topic_partition_list_destroy(k->next);
    if (k->committed)
        rd_kafka_topic_partition_list_destroy(k->committed);
    k->pos = k->next = k->committed = NULL;
    if (k->cons) {
        /* Leaves the group at once (no session timeout for the others to
         * wait out); the revoke hook is gone by now, nothing is committed. */
        k->hooks.revoke = NULL;
        k->hooks.assign = NULL;
        k->closing = true;
        drop_queued(k);
        for (size_t i = 0; i < k->nins; i++)
            if (k->ins[i]->cur) {
                rd_kafka_message_destroy(k->ins[i]->cur);
                k->ins[i]->cur = NULL;
            }
        if (k->wake_q) {
            rd_kafka_queue_io_event_enable(k->wake_q, -1, NULL, 0);
            rd_kafka_queue_destroy(k->wake_q);
        }
        rd_kafka_consumer_close(k->cons);
        rd_kafka_destroy(k->cons);
    }
    if (k->wake_fd >= 0)
        close(k->wake_fd);
    if (k->prod) {
        if (k->fatal) {
            /* After a failed commit the broker may be out of reach: nothing
             * more is waited for.  What is open is aborted by the restart's
             * init_transactions, or by the broker at transaction.timeout.ms. */
            rd_kafka_purge(k->prod, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        } else {
            if (k->in_txn) {
                rd_kafka_error_t *e = rd_kafka_abort_transaction(k->prod, k->txn_ms);
                if (e)
                    rd_kafka_error_destroy(e);
            }
            rd_kafka_flush(k->prod, KAFKA_TIMEOUT_MS);
        }
        rd_kafka_destroy(k->prod);
    }
    /* The revoke of consumer_close made new ones. */
    if (k->pos)
        rd_kafka_topic_partition_list_destroy(k->pos);
    if (k->next)
        rd_kafka_topic_partition_list_destroy(k->next);
    for (size_t i = 0; i < k->nlag; i++)
        yg_free(k->lag[i].topic);
    yg_free(k->lag);
    yg_free(k->ins);
    yg_free(k);
}

/* ---- producing ------------------------------------------------------------ */

static yg_err begin(struct yg_kafka *k)
{
    if (!k->transactional || k->in_txn)
        return YG_OK;
    /* A transactional client always has its producer (yg__kafka_new). */
    assert(k->prod);
    rd_kafka_error_t *e = rd_kafka_begin_transaction(k->prod);
    if (e) {
        seterr(k, "kafka: beginning a transaction: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return YG_EIO;
    }
    k->in_txn = true;
    return YG_OK;
}

yg_err yg__kafka_produce(struct yg_kafka *k, const char *topic, const char *key, size_t kn,
                         const char *val, size_t vn)
{
    k->errmsg[0] = 0;
    if (!k->prod) {
        seterr(k, "kafka: no producer");
        return YG_EINVAL;
    }
    yg_err err = begin(k);
    if (err)
        return err;
    for (int tries = 0;; tries++) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(k->prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, kn),
                              RD_KAFKA_V_VALUE((void *)val, vn),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!e)
            break;
        /* A full local queue drains as the broker acknowledges. */
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && tries < 300) {
            rd_kafka_poll(k->prod, 100);
            continue;
        }
        seterr(k, "kafka: producing to %s: %s", topic, rd_kafka_err2str(e));
        return YG_EIO;
    }
    k->produced = true;
    rd_kafka_poll(k->prod, 0);
    return YG_OK;
}

bool yg__kafka_pending(const struct yg_kafka *k)
{
    return k->produced || k->in_txn || (k->pos && k->pos->cnt > 0);
}

/* librdkafka's rd_kafka_send_offsets_to_transaction() can block past its
 * timeout while the group coordinator does not answer (confluentinc/librdkafka
 * issue 5456: the coordinator request's timeout is never checked), for as long
 * as the broker stays away; test_kafka_failures met it with the broker
 * stopped.  A commit that has not returned when every step of it (offsets,
 * commit, abort) has had its transaction.timeout.ms, and 2 s more, ends the
 * process as a crash would: nothing of the transaction is committed, and a
 * restart resumes from the committed offsets (test_kafka_exactly_once kills
 * the process at this very point).  The exit status is 1, as for a failed
 * commit. */
static void *commit_watch(void *arg)
{
    struct yg_kafka *k = arg;
    pthread_mutex_lock(&k->wd_mu);
    while (!k->wd_quit) {
        if (!k->wd_armed) {
            pthread_cond_wait(&k->wd_cv, &k->wd_mu);
            continue;
        }
        if (pthread_cond_timedwait(&k->wd_cv, &k->wd_mu, &k->wd_deadline) == ETIMEDOUT &&
            k->wd_armed && !k->wd_quit) {
            yg__log(YG_LOG_ERROR,
                    "kafka: committing the transaction: no answer from the broker within %d ms "
                    "(transaction.timeout.ms %d, three steps); stopping at once (a restart "
                    "resumes from the committed offsets)",
                    3 * k->txn_ms + 2000, k->txn_ms);
            _exit(1);
        }
    }
    pthread_mutex_unlock(&k->wd_mu);
    return NULL;
}

static void watch_arm(struct yg_kafka *k, bool on)
{
    if (on && !k->wd_started) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&k->wd_cv, &ca);
        pthread_condattr_destroy(&ca);
        pthread_mutex_init(&k->wd_mu, NULL);
        if (pthread_create(&k->wd, NULL, commit_watch, k) != 0) {
            /* No watchdog: the commit runs as before, unguarded. */
            pthread_cond_destroy(&k->wd_cv);
            pthread_mutex_destroy(&k->wd_mu);
            yg__log(YG_LOG_WARNING, "kafka: no commit watchdog (thread creation failed)");
            return;
        }
        k->wd_started = true;
    }
    if (!k->wd_started)
        return;
    pthread_mutex_lock(&k->wd_mu);
    k->wd_armed = on;
    if (on) {
        clock_gettime(CLOCK_MONOTONIC, &k->wd_deadline);
        long long ms = 3LL * k->txn_ms + 2000;
        k->wd_deadline.tv_sec += (time_t)(ms / 1000);
        k->wd_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (k->wd_deadline.tv_nsec >= 1000000000L) {
            k->wd_deadline.tv_sec++;
            k->wd_deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_cond_signal(&k->wd_cv);
    pthread_mutex_unlock(&k->wd_mu);
}

static void watch_stop(struct yg_kafka *k)
{
    if (!k->wd_started)
        return;
    pthread_mutex_lock(&k->wd_mu);
    k->wd_quit = true;
    pthread_cond_signal(&k->wd_cv);
    pthread_mutex_unlock(&k->wd_mu);
    pthread_join(k->wd, NULL);
    pthread_cond_destroy(&k->wd_cv);
    pthread_mutex_destroy(&k->wd_mu);
    k->wd_started = false;
}

/* YG_KAFKA_CRASH_BEFORE_COMMIT=N: the process kills itself (SIGKILL) just
 * before the Nth commit that carries produced messages, once they are sent
 * and before the transaction or the offsets commit.  For the crash test of
 * docs/kafka.md: a kill at the one point where a duplicate or a loss could
 * arise.  YG_KAFKA_STOP_BEFORE_COMMIT=N: at the same point the process stops
 * itself (SIGSTOP) until it is continued (SIGCONT), so that a test can make
 * the broker unreachable while the batch's transaction is open.
 * YG_KAFKA_HANG_IN_COMMIT=N: the Nth such commit hangs once the watchdog is
 * armed, as librdkafka's can (commit_watch), for the watchdog's test. */
static long hook_count(const char *name, long *left)
{
    if (*left == -1) {
        const char *e = getenv(name);
        *left = e ? strtol(e, NULL, 10) : 0;
    }
    return *left;
}

static void crash_point(struct yg_kafka *k)
{
    static long kill_left = -1, stop_left = -1;
    if (!k->produced)
        return;
    if (hook_count("YG_KAFKA_CRASH_BEFORE_COMMIT", &kill_left) > 0 && --kill_left == 0) {
        if (k->prod)
            rd_kafka_flush(k->prod, KAFKA_TIMEOUT_MS);
        yg__log(YG_LOG_WARNING, "kafka: YG_KAFKA_CRASH_BEFORE_COMMIT reached: killing myself");
        raise(SIGKILL);
    }
    if (hook_count("YG_KAFKA_STOP_BEFORE_COMMIT", &stop_left) > 0 && --stop_left == 0) {
        if (k->prod)
            rd_kafka_flush(k->prod, KAFKA_TIMEOUT_MS);
        yg__log(YG_LOG_WARNING, "kafka: YG_KAFKA_STOP_BEFORE_COMMIT reached: stopping myself");
        raise(SIGSTOP);
        yg__log(YG_LOG_WARNING, "kafka: continued; committing");
    }
}

yg_err yg__kafka_commit(struct yg_kafka *k)
{
    k->errmsg[0] = 0;
    yg_err err = YG_OK;
    crash_point(k);
    if (k->fatal) {
        seterr(k, "kafka: a rebalance found the batch uncommittable");
        return YG_EIO;
    }
    /* Only begin() opens a transaction, and only on a transactional client. */
    assert(k->transactional || !k->in_txn);
    bool offsets = k->cons && k->pos && k->pos->cnt > 0;
    if (k->transactional) {
        if (!k->in_txn && !offsets)
            return YG_OK;
        if ((err = begin(k)))
            return err;
        rd_kafka_error_t *e = NULL;
        watch_arm(k, true);
        static long hang_left = -1;
        if (k->produced && hook_count("YG_KAFKA_HANG_IN_COMMIT", &hang_left) > 0 &&
            --hang_left == 0) {
            yg__log(YG_LOG_WARNING, "kafka: YG_KAFKA_HANG_IN_COMMIT reached: hanging");
            for (;;)
                pause();
        }
        if (offsets) {
            rd_kafka_consumer_group_metadata_t *md = rd_kafka_consumer_group_metadata(k->cons);
            e = rd_kafka_send_offsets_to_transaction(k->prod, k->pos, md, k->txn_ms);
            rd_kafka_consumer_group_metadata_destroy(md);
        }
        if (!e)
            e = rd_kafka_commit_transaction(k->prod, k->txn_ms);
        if (e) {
            seterr(k, "kafka: committing the transaction: %s", rd_kafka_error_string(e));
            bool abort = rd_kafka_error_txn_requires_abort(e);
            rd_kafka_error_destroy(e);
            if (abort) {
                rd_kafka_error_t *a = rd_kafka_abort_transaction(k->prod, k->txn_ms);
                if (a)
                    rd_kafka_error_destroy(a);
                k->in_txn = false;
            }
            watch_arm(k, false);
            /* The consumer already moved past the transaction's records: a
             * restart resumes them from the committed offsets. */
            k->fatal = true;
            return YG_EIO;
        }
        watch_arm(k, false);
        k->in_txn = false;
    } else {
        if (k->prod && k->produced) {
            rd_kafka_flush(k->prod, KAFKA_TIMEOUT_MS);
            if (rd_kafka_outq_len(k->prod) > 0) {
                seterr(k, "kafka: %d message(s) still unacknowledged after %d ms",
                       rd_kafka_outq_len(k->prod), KAFKA_TIMEOUT_MS);
                return YG_EIO;
            }
            if (k->failed) {
                seterr(k, "kafka: %llu message(s) not delivered; the last: %s",
                       (unsigned long long)k->failed, k->fail_why);
                k->failed = 0;
                return YG_EIO;
            }
        }
        if (offsets) {
            rd_kafka_resp_err_t e = rd_kafka_commit(k->cons, k->pos, 0);
            if (e) {
                seterr(k, "kafka: committing offsets: %s", rd_kafka_err2str(e));
                return YG_EIO;
            }
        }
    }
    k->produced = false;
    if (offsets) {
        for (int i = 0; i < k->pos->cnt; i++) {
            const rd_kafka_topic_partition_t *p = &k->pos->elems[i];
            rd_kafka_topic_partition_t *q =
                rd_kafka_topic_partition_list_find(k->next, p->topic, p->partition);
            if (!q)
                q = rd_kafka_topic_partition_list_add(k->next, p->topic, p->partition);
            q->offset = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(k->pos);
        k->pos = rd_kafka_topic_partition_list_new(16);
    }
    return YG_OK;
}

/* ---- inputs --------------------------------------------------------------- */

static struct kin *input_of(struct yg_kafka *k, const char *topic)
{
    for (size_t i = 0; i < k->nins; i++)
        if (strcmp(k->ins[i]->topic, topic) == 0)
            return k->ins[i];
    return NULL;
}

static bool enqueue(struct kin *in, rd_kafka_message_t *m)
{
    if (in->qn == in->qcap) {
        size_t nc = in->qcap ? in->qcap * 2 : 64;
        rd_kafka_message_t **nq = yg_malloc(nc * sizeof *nq);
        if (!nq)
            return false;
        for (size_t i = 0; i < in->qn; i++)
            nq[i] = in->q[(in->qhead + i) % in->qcap];
        yg_free(in->q);
        in->q = nq;
        in->qhead = 0;
        in->qcap = nc;
    }
    assert(in->qn < in->qcap);
    in->q[(in->qhead + in->qn) % in->qcap] = m;
    in->qn++;
    return true;
}

static void hand_out(struct kin *in, rd_kafka_message_t *m, struct yg_record *rec)
{
    struct yg_kafka *k = in->k;
    const char *topic = rd_kafka_topic_name(m->rkt);
    in->cur = m;
    snprintf(in->src, sizeof in->src, "kafka:%s/%d", topic, (int)m->partition);
    snprintf(in->rid, sizeof in->rid, "%s/%d/%lld", topic, (int)m->partition, (long long)m->offset);
    rd_kafka_topic_partition_t *tp =
        rd_kafka_topic_partition_list_find(k->pos, topic, m->partition);
    if (!tp)
        tp = rd_kafka_topic_partition_list_add(k->pos, topic, m->partition);
    tp->offset = m->offset + 1;
    memset(rec, 0, sizeof *rec);
    rec->data = m->payload ? (const char *)m->payload : "";
    rec->len = m->len;
    rec->source = in->src;
    rec->line = (uint64_t)m->offset;
    rec->record_id = in->rid;
}

/* The end of a partition was reached at offset end.  Records of aborted
 * transactions and transaction markers take offsets but are never handed
 * out, so the offset after the last record handed out can stay below the
 * end forever (and the lag with it).  Once nothing of the partition waits
 * in an input's queue, every record before end has been handed out, and
 * end is the offset to commit. */
static void at_end(struct yg_kafka *k, const char *topic, int32_t part, int64_t end)
{
    struct kin *in = input_of(k, topic);
    for (size_t i = 0; in && i < in->qn; i++)
        if (in->q[(in->qhead + i) % in->qcap]->partition == part)
            return;
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(k->next, topic, part);
    if (p && p->offset >= end)
        return;
    p = rd_kafka_topic_partition_list_find(k->pos, topic, part);
    if (!p)
        p = rd_kafka_topic_partition_list_add(k->pos, topic, part);
    if (p->offset < end)
        p->offset = end;
}

static yg_err kin_next(struct yg_input *base, struct yg_record *rec)
{
    struct kin *in = (struct kin *)base;
    struct yg_kafka *k = in->k;
    if (in->cur) {
        rd_kafka_message_destroy(in->cur);
        in->cur = NULL;
    }
    if (k->fatal)
        return YG_EOF;
    if (in->qn) {
        rd_kafka_message_t *m = in->q[in->qhead];
        in->qhead = (in->qhead + 1) % in->qcap;
        in->qn--;
        hand_out(in, m, rec);
        return YG_OK;
    }
    for (int i = 0; i < KAFKA_POLL_BURST; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(k->cons, 0);
        if (!m)
            return YG_EOF;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && m->rkt) {
            at_end(k, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            base->errors++;
            yg__log(YG_LOG_WARNING, "kafka: %s: %s",
                    m->rkt ? rd_kafka_topic_name(m->rkt) : "consumer", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        struct kin *owner = input_of(k, rd_kafka_topic_name(m->rkt));
        if (owner == in) {
            hand_out(in, m, rec);
            return YG_OK;
        }
        if (!owner || !enqueue(owner, m)) {
            /* Not ours (cannot happen: we subscribe to the inputs' topics)
             * or out of memory.  Later records of its partition would
             * commit past it: the service stops instead, and the restart
             * reads it again. */
            base->errors++;
            yg__log(YG_LOG_ERROR, "kafka: %s/%d/%lld: %s; stopping", rd_kafka_topic_name(m->rkt),
                    (int)m->partition, (long long)m->offset,
                    owner ? "out of memory" : "a record of a topic no input reads");
            rd_kafka_message_destroy(m);
            k->fatal = true;
            return YG_EOF;
        }
    }
    return YG_EOF;
}

/* The consumer's wake-up descriptor, once (several inputs share the
 * consumer).  Without it the loop slept its idle wait (up to 100 ms) each
 * time librdkafka's queue ran dry for a moment, which held a match instance
 * to about half of a core while records waited on the broker. */
static int kin_pollfds(struct yg_input *base, struct pollfd *fds, int max)
{
    struct kin *in = (struct kin *)base;
    struct yg_kafka *k = in->k;
    if (k->wake_fd < 0 || max < 1 || k->ins[0] != in)
        return 0;
    fds[0] = (struct pollfd){.fd = k->wake_fd, .events = POLLIN};
    return 1;
}

/* Empty the wake-up descriptor: the next record to arrive in an empty queue
 * makes it readable again. */
static yg_err kin_service(struct yg_input *base)
{
    struct kin *in = (struct kin *)base;
    uint64_t n;
    if (in->k->wake_fd >= 0 && in->k->ins[0] == in)
        while (read(in->k->wake_fd, &n, sizeof n) > 0)
            ;
    return YG_OK;
}

static void kin_destroy(struct yg_input *base)
{
    struct kin *in = (struct kin *)base;
    if (in->cur)
        rd_kafka_message_destroy(in->cur);
    while (in->qn) {
        rd_kafka_message_destroy(in->q[in->qhead]);
        in->qhead = (in->qhead + 1) % in->qcap;
        in->qn--;
    }
    yg_free(in->q);
    yg_free(in->topic);
    yg_free(in->base.name);
    yg_free(in);
}

static const struct yg_input_ops kin_ops = {
    "kafka", kin_pollfds, kin_service, kin_next, NULL, kin_destroy,
};

yg_err yg__kafka_input_new(struct yg_kafka *k, const char *name, const char *topic,
                           struct yg_input **out)
{
    struct kin *in = yg_calloc(1, sizeof *in);
    struct kin **ni = yg_realloc(k->ins, (k->nins + 1) * sizeof *ni);
    if (!in || !ni) {
        yg_free(in);
        yg_free(ni);
        return YG_ENOMEM;
    }
    k->ins = ni;
    in->base.ops = &kin_ops;
    in->base.name = yg_strndup(name, strlen(name));
    in->topic = yg_strndup(topic, strlen(topic));
    in->k = k;
    if (!in->base.name || !in->topic) {
        yg_free(in->base.name);
        yg_free(in->topic);
        yg_free(in);
        return YG_ENOMEM;
    }
    k->ins[k->nins++] = in;
    *out = &in->base;
    return YG_OK;
}

yg_err yg__kafka_subscribe(struct yg_kafka *k)
{
    k->errmsg[0] = 0;
    if (!k->cons || !k->nins)
        return YG_OK;
    rd_kafka_topic_partition_list_t *t = rd_kafka_topic_partition_list_new((int)k->nins);
    for (size_t i = 0; i < k->nins; i++)
        rd_kafka_topic_partition_list_add(t, k->ins[i]->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(k->cons, t);
    rd_kafka_topic_partition_list_destroy(t);
    if (e) {
        seterr(k, "kafka: subscribing: %s", rd_kafka_err2str(e));
        return YG_EINVAL;
    }
    return YG_OK;
}

/* ---- the sink ------------------------------------------------------------- */

static yg_err ks_write(struct yg_sink *s, const struct yg_alert_row *row)
{
    struct ksink *ks = (struct ksink *)s;
    /* The deterministic id as the first member, as in the JSON lines sink
     * (correlation alerts already begin with it), so a consumer that reads
     * values only can still deduplicate. */
    size_t n = strlen(row->json);
    yg_err err = YG_OK;
    yg_buf_reset(&ks->msg);
    if (n >= 2 && row->json[0] == '{' && strncmp(row->json, "{\"id\":", 6) != 0) {
        YG_TRY(yg_buf_add(&ks->msg, "{\"id\":", 6));
        YG_TRY(yg_buf_add_json_str(&ks->msg, row->id, strlen(row->id)));
        if (row->json[1] != '}')
            YG_TRY(yg_buf_addc(&ks->msg, ','));
        YG_TRY(yg_buf_add(&ks->msg, row->json + 1, n - 1));
    } else {
        YG_TRY(yg_buf_add(&ks->msg, row->json, n));
    }
    err = yg__kafka_produce(ks->k, ks->topic, row->id, strlen(row->id), ks->msg.p, ks->msg.n);
    if (err)
        snprintf(s->why, sizeof s->why, "%s", ks->k->errmsg);
done:
    if (err)
        YG_SINK_COUNT(s, failed, 1);
    else
        YG_SINK_COUNT(s, written, 1);
    return err;
}

static yg_err ks_flush(struct yg_sink *s)
{
    struct ksink *ks = (struct ksink *)s;
    struct yg_kafka *k = ks->k;
    /* In a transaction the alerts become visible when yg__kafka_commit
     * commits it, after every sink and the state database. */
    if (k->transactional || !k->produced)
        return YG_OK;
    rd_kafka_flush(k->prod, KAFKA_TIMEOUT_MS);
    if (rd_kafka_outq_len(k->prod) > 0 || k->failed) {
        snprintf(s->why, sizeof s->why, "%s",
                 k->failed ? k->fail_why : "messages still unacknowledged after 30 s");
        k->failed = 0;
        YG_SINK_COUNT(s, failed, 1);
        return YG_EIO;
    }
    return YG_OK;
}

static void ks_destroy(struct yg_sink *s)
{
    struct ksink *ks = (struct ksink *)s;
    yg_free(ks->topic);
    yg_buf_free(&ks->msg);
    yg_free(s->name);
    yg_free(ks);
}

static const struct yg_sink_ops ks_ops = {"kafka", ks_write, ks_flush, NULL, ks_destroy};

yg_err yg__kafka_sink_new(struct yg_kafka *k, const char *name, const char *topic,
                          struct yg_sink **out)
{
    if (!k->prod)
        return YG_EINVAL;
    struct ksink *ks = yg_calloc(1, sizeof *ks);
    if (!ks)
        return YG_ENOMEM;
    ks->base.ops = &ks_ops;
    yg_buf_init(&ks->msg, YG_MAX_EVENT_BYTES * 8);
    ks->base.name = yg_strndup(name, strlen(name));
    ks->topic = yg_strndup(topic, strlen(topic));
    ks->k = k;
    if (!ks->base.name || !ks->topic) {
        ks_destroy(&ks->base);
        return YG_ENOMEM;
    }
    *out = &ks->base;
    return YG_OK;
}

/* ---- lag ------------------------------------------------------------------ */

/* The lag and assignment gauges of one partition, made on first use: a
 * partition keeps its series after a rebalance takes it away, reading lag 0
 * and assigned 0.  NULL only when out of memory. */
static struct lagseries *lag_series(struct yg_kafka *k, struct yg_metrics *m, const char *topic,
                                    int32_t part)
{
    for (size_t i = 0; i < k->nlag; i++)
        if (k->lag[i].partition == part && strcmp(k->lag[i].topic, topic) == 0)
            return &k->lag[i];
    struct lagseries *nl = yg_realloc(k->lag, (k->nlag + 1) * sizeof *nl);
    if (!nl)
        return NULL;
    k->lag = nl;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", (int)part);
    const char *labels[] = {"topic", topic, "partition", ps, NULL};
    struct yg_metric *s = yg__metrics_get(m, YG_M_KAFKA_LAG, labels);
    struct yg_metric *a = yg__metrics_get(m, YG_M_KAFKA_ASSIGNED, labels);
    char *t = yg_strndup(topic, strlen(topic));
    if (!t || !s || !a) {
        yg_free(t);
        return NULL;
    }
    k->lag[k->nlag] = (struct lagseries){t, part, s, a};
    return &k->lag[k->nlag++];
}

void yg__kafka_export_lag(struct yg_kafka *k, struct yg_metrics *m)
{
    if (!k->cons || !m)
        return;
    if (yg__metrics_declare(m, YG_M_KAFKA_LAG, YG_METRIC_GAUGE,
                            "Records of a partition not yet processed (high watermark minus "
                            "the next offset), by topic and partition.") ||
        yg__metrics_declare(m, YG_M_KAFKA_ASSIGNED, YG_METRIC_GAUGE,
                            "1 while the partition is assigned to this instance, 0 once a "
                            "rebalance gave it to another, by topic and partition."))
        return;
    /* Partitions no longer assigned read 0: another instance owns them. */
    for (size_t i = 0; i < k->nlag; i++) {
        yg__metric_set(k->lag[i].m, 0);
        yg__metric_set(k->lag[i].assigned, 0);
    }
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(k->cons, &a) || !a)
        return;
    for (int i = 0; i < a->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &a->elems[i];
        int64_t lo = -1, hi = -1;
        struct lagseries *ls = lag_series(k, m, p->topic, p->partition);
        if (!ls)
            continue;
        yg__metric_set(ls->assigned, 1);
        /* The cached watermarks of the last fetch: no request to the broker.  Before the
         * first fetch of a partition its end is unknown, and so is its lag: it reads NaN,
         * never 0, so nobody takes a partition not yet read for one read to its end. */
        if (rd_kafka_get_watermark_offsets(k->cons, p->topic, p->partition, &lo, &hi) || hi < 0) {
            yg__metric_set(ls->m, NAN);
            continue;
        }
        int64_t next = -1;
        rd_kafka_topic_partition_t *q =
            rd_kafka_topic_partition_list_find(k->next, p->topic, p->partition);
        if (q && q->offset >= 0)
            next = q->offset;
        else if (k->committed &&
                 (q = rd_kafka_topic_partition_list_find(k->committed, p->topic, p->partition)) &&
                 q->offset >= 0)
            next = q->offset;
        else
            next = lo >= 0 ? lo : 0;
        yg__metric_set(ls->m, (double)(hi > next ? hi - next : 0));
    }
    rd_kafka_topic_partition_list_destroy(a);
    /* Counted once every gauge is set: a reader that sees the count move past a value it saw
     * before reads gauges of a later refresh, without guessing the refresh period. */
    if (!yg__metrics_declare(m, YG_M_KAFKA_LAG_REFRESHES, YG_METRIC_COUNTER,
                             "Refreshes of yagura_kafka_lag_messages (about one a second)."))
        yg__metric_inc(yg__metrics_get(m, YG_M_KAFKA_LAG_REFRESHES, NULL));
}

/* ---- reading back --------------------------------------------------------- */

yg_err yg__kafka_read_assigned(struct yg_kafka *k, int64_t since_ms,
                               void (*fn)(void *ud, const char *p, size_t n, const char *record_id),
                               void *ud, uint64_t *nread)
{
    k->errmsg[0] = 0;
    char err[512];
    yg_err ret = YG_OK;
    *nread = 0;
    if (!k->cons || !k->committed || !k->committed->cnt)
        return YG_OK;
    rd_kafka_conf_t *c = base_conf(k);
    if (!c)
        return YG_EINVAL;
    /* Partitions are assigned by hand: the group id (librdkafka's consumer
     * queue needs one) is never joined, nothing is committed under it. */
    char gid[300];
    snprintf(gid, sizeof gid, "%s.rebuild", k->cfg->group ? k->cfg->group : "yagura");
    if (!set(c, "group.id", gid) || !set(c, "isolation.level", "read_committed") ||
        !set(c, "enable.partition.eof", "true") || !set(c, "enable.auto.commit", "false") ||
        !apply_props(k, c, RD_KAFKA_CONSUMER)) {
        rd_kafka_conf_destroy(c);
        return YG_EINVAL;
    }
    rd_kafka_conf_set_opaque(c, NULL);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk) {
        rd_kafka_conf_destroy(c);
        seterr(k, "kafka: cannot create a consumer to read back: %s", err);
        return YG_EINVAL;
    }
    rd_kafka_poll_set_consumer(rk);
    /* Where to start: the first record at or after since_ms. */
    rd_kafka_topic_partition_list_t *start = plain_copy(k->committed);
    for (int i = 0; i < start->cnt; i++)
        start->elems[i].offset = since_ms;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(rk, start, KAFKA_TIMEOUT_MS);
    if (e) {
        seterr(k, "kafka: finding the offsets of %lld ms: %s", (long long)since_ms,
               rd_kafka_err2str(e));
        ret = YG_EIO;
        goto out;
    }
    /* Per partition: read [start, committed); a partition without a
     * committed offset has nothing processed yet. */
    int pending = 0;
    rd_kafka_topic_partition_list_t *readback = rd_kafka_topic_partition_list_new(start->cnt);
    for (int i = 0; i < start->cnt; i++) {
        int64_t end = k->committed->elems[i].offset;
        int64_t from = start->elems[i].offset;
        if (end <= 0 || from < 0 || from >= end)
            continue;
        rd_kafka_topic_partition_t *t = rd_kafka_topic_partition_list_add(
            readback, start->elems[i].topic, start->elems[i].partition);
        t->offset = from;
        pending++;
    }
    if (!pending) {
        rd_kafka_topic_partition_list_destroy(readback);
        goto out;
    }
    rd_kafka_assign(rk, readback);
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pending > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - t0.tv_sec) * 1000 > KAFKA_READBACK_MS) {
            seterr(k, "kafka: reading back did not finish within %d ms", KAFKA_READBACK_MS);
            ret = YG_EIO;
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        const char *topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
        rd_kafka_topic_partition_t *t =
            rd_kafka_topic_partition_list_find(readback, topic, m->partition);
        rd_kafka_topic_partition_t *cm =
            rd_kafka_topic_partition_list_find(k->committed, topic, m->partition);
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            seterr(k, "kafka: reading back %s: %s", topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            ret = YG_EIO;
            break;
        }
        if (t && cm && t->offset >= 0) {
            if (!m->err && m->offset < cm->offset) {
                char rid[320];
                snprintf(rid, sizeof rid, "%s/%d/%lld", topic, (int)m->partition,
                         (long long)m->offset);
                fn(ud, m->payload ? m->payload : "", m->len, rid);
                ++*nread;
            }
            /* Done with the partition at its committed offset, or at its
             * end (control records of transactions take offsets too). */
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || m->offset + 1 >= cm->offset) {
                t->offset = -1;
                pending--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(readback);
out:
    rd_kafka_topic_partition_list_destroy(start);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ret;
}
