/*
 * kafka.h - `yagura watch` on Apache Kafka (librdkafka; docs/kafka.md).
 *
 * One client per service, made from the kafka: section: a consumer (one
 * consumer group over the topics of every kafka input, or the detections
 * topic of a correlate watch) and a producer (kafka sinks, the detections a
 * match watch publishes).  Offsets are the checkpoints of kafka inputs:
 * nothing of them is stored in the state database.
 *
 * Delivery.  Without kafka.transactional_id, yg__kafka_commit() waits until
 * every produced message is acknowledged and then commits the offsets of
 * the records handed out: at least once.  With it, every message produced
 * between two commits is in one transaction, and the consumed offsets are
 * sent in that same transaction (rd_kafka_send_offsets_to_transaction):
 * exactly once for any consumer reading at read_committed.  A transaction
 * that cannot be committed is not retried in place (the offsets it carried
 * are gone from the consumer's view): the commit returns YG_EIO and the
 * service stops, to be restarted from the last committed offsets.
 *
 * Threads: everything is called from the service loop; librdkafka's own
 * threads only fill counters read under the client's lock.
 */
#ifndef YG_WATCH_KAFKA_H
#define YG_WATCH_KAFKA_H

#include "core/core.h"
#include "core/errmsg.h"
#include "ingest/input.h"
#include "output/sink.h"
#include "watch/config.h"

struct yg_kafka;
struct yg_metrics;

/* Calls from inside the consumer (during an input's next()) when the
 * group rebalances.  revoke: the partitions are about to go, commit what
 * was read (false when that failed); assign: partitions were assigned and
 * the consumer will resume them from their committed offsets. */
struct yg_kafka_hooks {
    void *ud;
    bool (*revoke)(void *ud);
    void (*assign)(void *ud);
};

/* consumer / producer: which halves the service needs.  On failure *out is
 * still a handle holding librdkafka's reason (a bad property names itself)
 * in yg__kafka_errmsg; only yg__kafka_errmsg and yg__kafka_free are valid
 * on it.  *out is NULL only when even the handle could not be allocated
 * (yg__kafka_errmsg(NULL) then says "out of memory"). */
YG_NODISCARD yg_err yg__kafka_new(const struct yg_cfg_kafka *cfg, bool consumer, bool producer,
                                  struct yg_kafka **out);
void yg__kafka_free(struct yg_kafka *k);
/* Why the last call on k failed ("kafka: committing offsets: ..."), "" when
 * it succeeded, as sqlite3_errmsg keeps one on a connection; valid until
 * the next call on k. */
const char *yg__kafka_errmsg(const struct yg_kafka *k);
/* The kafka.properties as librdkafka takes them, without connecting (for
 * --check): YG_EINVAL with e naming the property when one is refused. */
YG_NODISCARD yg_err yg__kafka_check(const struct yg_cfg_kafka *cfg, struct yg_errmsg *e);
void yg__kafka_set_hooks(struct yg_kafka *k, const struct yg_kafka_hooks *h);
bool yg__kafka_transactional(const struct yg_kafka *k);
/* Whether the client can no longer commit (a failed transaction, a
 * rebalance that could not commit, a record it could not keep): the
 * service must stop, and its restart resumes from the committed offsets. */
bool yg__kafka_fatal(const struct yg_kafka *k);

/* An input over one topic of the shared consumer.  Records: the message
 * value; source "kafka:TOPIC/PARTITION", line the offset, record id
 * "TOPIC/PARTITION/OFFSET" (stable: every instance names a record alike). */
YG_NODISCARD yg_err yg__kafka_input_new(struct yg_kafka *k, const char *name, const char *topic,
                                        struct yg_input **out);
/* Subscribe to the topics of every input made so far. */
YG_NODISCARD yg_err yg__kafka_subscribe(struct yg_kafka *k);

/* A sink producing each alert's JSON to topic, keyed by the alert id. */
YG_NODISCARD yg_err yg__kafka_sink_new(struct yg_kafka *k, const char *name, const char *topic,
                                       struct yg_sink **out);

/* Produce one message (in the open transaction, begun here if needed). */
YG_NODISCARD yg_err yg__kafka_produce(struct yg_kafka *k, const char *topic, const char *key,
                                      size_t kn, const char *val, size_t vn);
/* Whether anything was consumed or produced since the last commit. */
bool yg__kafka_pending(const struct yg_kafka *k);
/* Make what was produced durable and the consumed offsets committed (see
 * the top).  YG_EIO (yg__kafka_errmsg says why) on failure. */
YG_NODISCARD yg_err yg__kafka_commit(struct yg_kafka *k);

/* Lag per assigned partition (high watermark - next offset), into the gauge
 * yagura_kafka_lag_messages{topic,partition}. */
void yg__kafka_export_lag(struct yg_kafka *k, struct yg_metrics *m);

/* Read the committed offsets of the current assignment again (they are
 * read on each assignment; after a commit, yg__kafka_read_assigned needs
 * them fresh). */
YG_NODISCARD yg_err yg__kafka_refresh_committed(struct yg_kafka *k);

/* Every record of the consumer's assigned partitions whose timestamp is at
 * or after since_ms and whose offset is below the partition's committed
 * offset (what the group has already processed), read at read_committed
 * with a consumer of its own.  For rebuilding state on assignment. */
YG_NODISCARD yg_err yg__kafka_read_assigned(struct yg_kafka *k, int64_t since_ms,
                                            void (*fn)(void *ud, const char *p, size_t n,
                                                       const char *record_id),
                                            void *ud, uint64_t *nread);

#endif
