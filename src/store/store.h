/*
 * store.h - the SQLite state of `yagura watch`: alerts, input checkpoints,
 * and correlation state, in one database file so that one transaction can
 * record "these alerts are stored, and the inputs have advanced to here".
 *
 * Alert ids are deterministic (a hash of the rule id and the record's
 * identity in its source), and alerts are inserted with INSERT OR IGNORE: a
 * replay after a crash never stores an alert twice.
 */
#ifndef YG_STORE_STORE_H
#define YG_STORE_STORE_H

#include "core/core.h"

struct yg_store;

/* Open (creating and migrating the schema as needed).  WAL mode, synchronous NORMAL.
 * On failure *out is still a handle holding the reason (yg__store_errmsg:
 * the file and what failed); only yg__store_errmsg and yg__store_close are
 * valid on it.  *out is NULL only when even the handle could not be
 * allocated (yg__store_errmsg(NULL) then says "out of memory"). */
YG_NODISCARD yg_err yg__store_open(const char *path, struct yg_store **out);
void yg__store_close(struct yg_store *st);

YG_NODISCARD yg_err yg__store_begin(struct yg_store *st);
YG_NODISCARD yg_err yg__store_commit(struct yg_store *st);
void yg__store_rollback(struct yg_store *st);

/* The deterministic id of an alert: hex of a 128-bit hash of rule id and record id. */
void yg__alert_id(const char *rule_id, const char *record_id, char out[33]);

/* One alert row (the full alert JSON is kept in `json`). */
struct yg_alert_row {
    const char *id; /* yg__alert_id */
    const char *rule_id, *rule_title, *level;
    const char *event_time; /* as found in the event, may be "" */
    const char *source, *record_id;
    const char *json; /* the alert as written to JSON sinks */
};
/* Insert unless present; *inserted tells which. */
YG_NODISCARD yg_err yg__store_alert(struct yg_store *st, const struct yg_alert_row *row,
                                    bool *inserted);
/* Checkpoints: one value per key. */
YG_NODISCARD yg_err yg__store_ckpt_put(struct yg_store *st, const char *key, const char *val);
/* Iterate every checkpoint; the strings are valid during the callback. */
YG_NODISCARD yg_err yg__store_ckpt_each(struct yg_store *st,
                                        void (*fn)(void *ud, const char *key, const char *val),
                                        void *ud);
/* Opaque blobs (correlation state snapshots) by name. */
YG_NODISCARD yg_err yg__store_blob_put(struct yg_store *st, const char *name, const void *p,
                                       size_t n);
/* *p is heap-allocated (yg_free); YG_ENOTFOUND if absent. */
YG_NODISCARD yg_err yg__store_blob_get(struct yg_store *st, const char *name, void **p, size_t *n);
/* Detections that feed correlations (correlation state is rebuilt on start
 * by replaying those of the last timespan).  fields is a JSON object of the
 * correlation fields' values. */
struct yg_det_row {
    const char *rule_id;
    int64_t t_ms;
    const char *fields;
    const char *record_id, *source, *timestamp;
    uint64_t line;
};
YG_NODISCARD yg_err yg__store_det_put(struct yg_store *st, const struct yg_det_row *d);
/* In (t_ms, insertion) order, from since_ms on. */
YG_NODISCARD yg_err yg__store_det_each(struct yg_store *st, int64_t since_ms,
                                       void (*fn)(void *ud, const struct yg_det_row *d), void *ud);
YG_NODISCARD yg_err yg__store_det_prune(struct yg_store *st, int64_t before_ms);
/* Number of stored alerts (for tests and /metrics). */
YG_NODISCARD yg_err yg__store_alert_count(struct yg_store *st, uint64_t *n);

/* The message of the last call on st if it failed ("storing an alert:
 * database is locked"), "" if it succeeded, as sqlite3_errmsg keeps one on a
 * connection; valid until the next call on st. */
const char *yg__store_errmsg(const struct yg_store *st);
/* The error of a SQLite result code (SQLITE_OK, _ROW and _DONE are YG_OK),
 * for every layer that runs statements on the state database. */
yg_err yg__store_rc_err(int rc);
/* Why the last write failed, in words an operator acts on: "disk full:
 * PATH", "database corrupt: PATH", "input/output error: PATH: <errno text>",
 * "database locked: PATH", "out of memory"; "" after a successful commit.
 * yg__store_note_failure records a failure of a statement a module ran on
 * the handle itself (src/incident/), with its SQLite result code. */
const char *yg__store_cause(const struct yg_store *st);
void yg__store_note_failure(struct yg_store *st, int sqlite_rc);
/* The SQLite handle, for modules that keep tables of their own in the state
 * database (src/incident/); their statements join the store's transactions. */
struct sqlite3 *yg__store_sqlite(struct yg_store *st);
/* Whether yg__store_begin() has opened a transaction not yet committed. */
bool yg__store_in_tx(const struct yg_store *st);
/* Work a module keeps in memory during a transaction and writes just before
 * it commits (src/incident/ writes each touched incident's summary once per
 * transaction, not once per alert).  before_commit runs inside the
 * transaction, first thing in yg__store_commit; its failure (described by
 * the message it points *msg at, which becomes yg__store_errmsg)
 * fails the commit (nothing is committed; the caller rolls back).  discard
 * runs when the transaction ends without committing (yg__store_rollback, or
 * a COMMIT that failed and rolled it back).  One module per store; NULL
 * functions remove it. */
void yg__store_set_tx_hooks(struct yg_store *st,
                            yg_err (*before_commit)(void *ud, const char **msg),
                            void (*discard)(void *ud), void *ud);
/* SipHash-2-4 of data under the key (k0, k1), the hash behind yg__alert_id. */
uint64_t yg__siphash24(uint64_t k0, uint64_t k1, const void *data, size_t n);

#endif
