/*
 * store.c - the SQLite state of `yagura watch`.
 *
 * One database file holds three tables: the alerts (keyed by a deterministic
 * id, so replaying records after a crash inserts nothing new), the input
 * checkpoints (one opaque position per input key) and named blobs
 * (correlation state snapshots).  Because they share a file, one transaction
 * can say "the alerts of these records are stored and the inputs have
 * advanced past them", which is what makes delivery at-least-once without
 * ever storing an alert twice.
 *
 * Durability: WAL mode with synchronous=NORMAL.  A commit is then durable
 * once the WAL is checkpointed or the next commit syncs it; a power loss can
 * lose the last transactions, never corrupt the file.  That loss is safe
 * here: the checkpoints committed with those alerts are lost too, so on
 * restart the inputs resume from the previous checkpoints and the same
 * records produce the same alert ids again.  FULL would add an fsync per
 * commit for nothing the replay does not already give.
 *
 * Every statement is prepared once at open and kept for the handle's life;
 * values are always bound, never formatted into SQL.
 *
 * SQLite's own allocations are routed through yg_malloc (installed once,
 * before SQLite initialises), so allocation-failure tests reach SQLite too.
 */
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include <sqlite3.h>

/* ---- SQLite memory through yg_malloc ---------------------------------- */

/* SQLite needs the size of an allocation back (xSize), so each block
 * carries it in a header kept 16 bytes to preserve malloc alignment. */
#define HDR 16

static void *sq_malloc(int n)
{
    if (n <= 0)
        return NULL;
    unsigned char *p = yg_malloc((size_t)n + HDR);
    if (!p)
        return NULL;
    memcpy(p, &(size_t){(size_t)n}, sizeof(size_t));
    return p + HDR;
}

static void sq_free(void *p)
{
    if (p)
        yg_free((unsigned char *)p - HDR);
}

static int sq_size(void *p)
{
    size_t n;
    memcpy(&n, (unsigned char *)p - HDR, sizeof n);
    return (int)n;
}

static void *sq_realloc(void *p, int n)
{
    if (n <= 0)
        return NULL;
    unsigned char *q = yg_realloc((unsigned char *)p - HDR, (size_t)n + HDR);
    if (!q)
        return NULL;
    memcpy(q, &(size_t){(size_t)n}, sizeof(size_t));
    return q + HDR;
}

static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}
static int sq_init(void *ud)
{
    (void)ud;
    return SQLITE_OK;
}
static void sq_shutdown(void *ud)
{
    (void)ud;
}

static const sqlite3_mem_methods sq_mem = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                                           sq_roundup, sq_init, sq_shutdown, NULL};

static pthread_once_t sq_once = PTHREAD_ONCE_INIT;
static void sq_setup(void)
{
    /* Refused (SQLITE_MISUSE) when something else in the process already
     * initialised SQLite; its allocator is then kept, which is harmless. */
    (void)sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_mem);
}

/* ---- schema ------------------------------------------------------------ */

/* migrations[i] moves the schema from version i to i + 1.  Entries are only
 * ever appended: a database records the version it reached. */
static const char *const migrations[] = {
    "CREATE TABLE alerts ("
    " id TEXT PRIMARY KEY,"
    " rule_id TEXT NOT NULL,"
    " rule_title TEXT NOT NULL,"
    " level TEXT NOT NULL,"
    " event_time TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " record_id TEXT NOT NULL,"
    " json TEXT NOT NULL,"
    " stored_at INTEGER NOT NULL);"
    "CREATE INDEX alerts_rule_id ON alerts(rule_id);"
    "CREATE INDEX alerts_stored_at ON alerts(stored_at);"
    "CREATE TABLE checkpoints ("
    " key TEXT PRIMARY KEY,"
    " val TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE blobs ("
    " name TEXT PRIMARY KEY,"
    " data BLOB NOT NULL,"
    " updated_at INTEGER NOT NULL);",
    /* 1 -> 2: detections that feed correlations, replayed on start to rebuild
     * correlation windows that straddle a restart. */
    "CREATE TABLE detections ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " rule_id TEXT NOT NULL,"
    " t_ms INTEGER NOT NULL,"
    " fields TEXT NOT NULL,"
    " record_id TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " timestamp TEXT NOT NULL,"
    " line INTEGER NOT NULL);"
    "CREATE INDEX detections_t ON detections(t_ms);",
    /* 2 -> 3: incidents (src/incident/): alerts grouped per entity, their
     * timeline and their entities (docs/incidents.md). */
    "CREATE TABLE incidents ("
    " id TEXT PRIMARY KEY,"
    " title TEXT NOT NULL,"
    " level TEXT NOT NULL,"
    " level_num INTEGER NOT NULL,"
    " status TEXT NOT NULL,"
    " first_ms INTEGER NOT NULL,"
    " last_ms INTEGER NOT NULL,"
    " alert_count INTEGER NOT NULL,"
    " main_entity TEXT NOT NULL,"
    " merged_into TEXT,"
    " close_reason TEXT,"
    " closed_by TEXT,"
    " closed_at INTEGER,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX incidents_status ON incidents(status, last_ms);"
    "CREATE TABLE incident_alerts ("
    " alert_id TEXT PRIMARY KEY,"
    " incident_id TEXT NOT NULL,"
    " t_ms INTEGER NOT NULL,"
    " seq INTEGER NOT NULL,"
    " event_time TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " rule_id TEXT NOT NULL,"
    " rule_title TEXT NOT NULL,"
    " level TEXT NOT NULL,"
    " level_num INTEGER NOT NULL,"
    " source TEXT NOT NULL,"
    " entities TEXT NOT NULL,"
    " parent TEXT,"
    " json TEXT NOT NULL);"
    "CREATE INDEX incident_alerts_incident ON incident_alerts(incident_id, t_ms, seq);"
    "CREATE TABLE incident_entities ("
    " incident_id TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " alerts INTEGER NOT NULL,"
    " PRIMARY KEY (incident_id, kind, value));"
    "CREATE INDEX incident_entities_value ON incident_entities(kind, value);",
    /* 3 -> 4: each incident's running summary (src/incident/incident.c), so
     * that a new alert updates it in constant time instead of rescanning
     * the incident's timeline: the top alert (what titles the incident) and
     * the main entity with its alert count.  NULL top_seq: not kept yet (an
     * incident of an older version); it is computed once, on the next alert. */
    "ALTER TABLE incidents ADD COLUMN top_seq INTEGER;"
    "ALTER TABLE incidents ADD COLUMN top_det INTEGER;"
    "ALTER TABLE incidents ADD COLUMN top_level_num INTEGER;"
    "ALTER TABLE incidents ADD COLUMN top_t_ms INTEGER;"
    "ALTER TABLE incidents ADD COLUMN top_title TEXT;"
    "ALTER TABLE incidents ADD COLUMN top_level TEXT;"
    "ALTER TABLE incidents ADD COLUMN max_level_num INTEGER;"
    "ALTER TABLE incidents ADD COLUMN main_kind TEXT;"
    "ALTER TABLE incidents ADD COLUMN main_value TEXT;"
    "ALTER TABLE incidents ADD COLUMN main_alerts INTEGER;"
    /* The service's alerts join their incident's timeline in their own row
     * (a timeline row of their own would cost a second index on a random
     * key, as much again as storing the alert): incident_id and the
     * timeline fields, NULL for alerts in no incident (incidents off). */
    "ALTER TABLE alerts ADD COLUMN incident_id TEXT;"
    "ALTER TABLE alerts ADD COLUMN inc_t_ms INTEGER;"
    "ALTER TABLE alerts ADD COLUMN inc_seq INTEGER;"
    "ALTER TABLE alerts ADD COLUMN inc_kind TEXT;"
    "ALTER TABLE alerts ADD COLUMN inc_level_num INTEGER;"
    "ALTER TABLE alerts ADD COLUMN inc_event_time TEXT;"
    "ALTER TABLE alerts ADD COLUMN inc_source TEXT;"
    "ALTER TABLE alerts ADD COLUMN inc_entities TEXT;"
    "CREATE INDEX alerts_incident ON alerts(incident_id, inc_t_ms, inc_seq)"
    " WHERE incident_id IS NOT NULL;"
    /* Every timeline in one place, for readers of the database. */
    "CREATE VIEW incident_timeline AS"
    " SELECT alert_id, incident_id, t_ms, seq, event_time, kind, rule_id, rule_title, level,"
    " level_num, source, entities, parent, CASE WHEN i.json = '' THEN coalesce((SELECT a.json"
    " FROM alerts a WHERE a.id = i.alert_id), '') ELSE i.json END AS json"
    " FROM incident_alerts i UNION ALL"
    " SELECT id, incident_id, inc_t_ms, inc_seq, inc_event_time, inc_kind, rule_id, rule_title,"
    " level, inc_level_num, inc_source, inc_entities, NULL, json FROM alerts"
    " WHERE incident_id IS NOT NULL;",
    /* 4 -> 5: triage in the console (docs/console.md): who acknowledged an
     * incident and when, whom it is assigned to, and an append-only audit
     * trail of every triage action (who, when, what), closing included. */
    "ALTER TABLE incidents ADD COLUMN acked_by TEXT;"
    "ALTER TABLE incidents ADD COLUMN acked_at INTEGER;"
    "ALTER TABLE incidents ADD COLUMN assignee TEXT;"
    "CREATE TABLE incident_audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " incident_id TEXT NOT NULL,"
    " at_ms INTEGER NOT NULL,"
    " who TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " detail TEXT NOT NULL);"
    "CREATE INDEX incident_audit_incident ON incident_audit(incident_id, seq);",
};
#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_ALERT_INS,
    S_ALERT_COUNT,
    S_CKPT_PUT,
    S_CKPT_ALL,
    S_BLOB_PUT,
    S_BLOB_GET,
    S_DET_PUT,
    S_DET_SINCE,
    S_DET_PRUNE,
    S_N
};

static const char *const stmt_sql[S_N] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_ALERT_INS] = "INSERT OR IGNORE INTO alerts(id, rule_id, rule_title, level, event_time,"
                    " source, record_id, json, stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                    " ?8, ?9)",
    [S_ALERT_COUNT] = "SELECT count(*) FROM alerts",
    [S_CKPT_PUT] = "INSERT INTO checkpoints(key, val, updated_at) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT(key) DO UPDATE SET val = excluded.val,"
                   " updated_at = excluded.updated_at",
    [S_CKPT_ALL] = "SELECT key, val FROM checkpoints ORDER BY key",
    [S_BLOB_PUT] = "INSERT INTO blobs(name, data, updated_at) VALUES (?1, ?2, ?3)"
                   " ON CONFLICT(name) DO UPDATE SET data = excluded.data,"
                   " updated_at = excluded.updated_at",
    [S_BLOB_GET] = "SELECT data FROM blobs WHERE name = ?1",
    [S_DET_PUT] =
        "INSERT INTO detections(rule_id, t_ms, fields, record_id, source, timestamp, line)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_DET_SINCE] = "SELECT rule_id, t_ms, fields, record_id, source, timestamp, line"
                    " FROM detections WHERE t_ms >= ?1 ORDER BY t_ms, seq",
    [S_DET_PRUNE] = "DELETE FROM detections WHERE t_ms < ?1",
};

struct yg_store {
    sqlite3 *db;
    sqlite3_stmt *stmt[S_N];
    bool in_tx;
    yg_err (*before_commit)(void *ud, const char **msg);
    void (*discard)(void *ud);
    void *hook_ud;
    char *path;
    char why[1024]; /* yg__store_errmsg */
    char cause[512];
};

void yg__store_set_tx_hooks(struct yg_store *st,
                            yg_err (*before_commit)(void *ud, const char **msg),
                            void (*discard)(void *ud), void *ud)
{
    st->before_commit = before_commit;
    st->discard = discard;
    st->hook_ud = ud;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Map a SQLite result code to the error enum. */
yg_err yg__store_rc_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE: return YG_OK;
    case SQLITE_NOMEM: return YG_ENOMEM;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return YG_ECORRUPT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return YG_ESTATE;
    case SQLITE_TOOBIG: return YG_ELIMIT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE: return YG_EINVAL;
    default: return YG_EIO;
    }
}

void yg__store_note_failure(struct yg_store *st, int rc)
{
    /* The errno of the last failed system call of the VFS tells a full
     * disk apart when SQLite reports it as an I/O error (a full disk while
     * the WAL index grows). */
    int p = rc & 0xff;
    int e = st->db && (p == SQLITE_IOERR || p == SQLITE_FULL || p == SQLITE_CANTOPEN)
                ? sqlite3_system_errno(st->db)
                : 0;
    const char *path = st->path ? st->path : "?";
    if ((rc & 0xff) == SQLITE_FULL || e == ENOSPC || e == EDQUOT)
        snprintf(st->cause, sizeof st->cause, "disk full: %s", path);
    else if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB)
        snprintf(st->cause, sizeof st->cause, "database corrupt: %s", path);
    else if ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN ||
             (rc & 0xff) == SQLITE_READONLY)
        snprintf(st->cause, sizeof st->cause, "input/output error: %s: %s", path,
                 e ? strerror(e) : sqlite3_errstr(rc));
    else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        snprintf(st->cause, sizeof st->cause, "database locked: %s", path);
    else if ((rc & 0xff) == SQLITE_NOMEM)
        snprintf(st->cause, sizeof st->cause, "out of memory");
    else
        snprintf(st->cause, sizeof st->cause, "%s: %s", path, sqlite3_errstr(rc));
}

const char *yg__store_cause(const struct yg_store *st)
{
    return st->cause;
}

/* Record the SQLite message of a failure on the handle and map it. */
static yg_err fail(struct yg_store *st, int rc, const char *what)
{
    yg__store_note_failure(st, rc);
    const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
    /* errmsg may still describe an earlier call when rc came from a step
     * that SQLite reported through the statement; prefer the code's text
     * when they disagree. */
    if (st->db && (sqlite3_errcode(st->db) & 0xff) != (rc & 0xff))
        msg = sqlite3_errstr(rc);
    snprintf(st->why, sizeof st->why, "%s: %s", what, msg);
    yg_err e = yg__store_rc_err(rc);
    return e == YG_OK ? YG_EIO : e;
}

struct sqlite3 *yg__store_sqlite(struct yg_store *st)
{
    return st->db;
}

bool yg__store_in_tx(const struct yg_store *st)
{
    return st->in_tx;
}

const char *yg__store_errmsg(const struct yg_store *st)
{
    /* Only a failed allocation of the handle itself leaves no handle. */
    return st ? st->why : "out of memory";
}

/* Every call starts without a message, so a message is always about the
 * last call and a success leaves none (store.h). */
static void clear_msg(struct yg_store *st)
{
    st->why[0] = 0;
}

/* Run SQL text that may hold several statements; no bound values. */
static yg_err exec_script(struct yg_store *st, const char *sql, const char *what)
{
    while (*sql) {
        sqlite3_stmt *s = NULL;
        const char *tail = NULL;
        int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, &tail);
        if (rc != SQLITE_OK)
            return fail(st, rc, what);
        if (!s) /* only whitespace or a comment left */
            break;
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            ;
        sqlite3_finalize(s);
        if (rc != SQLITE_DONE)
            return fail(st, rc, what);
        sql = tail;
    }
    return YG_OK;
}

/* Step a kept statement that returns no row, then reset it. */
static yg_err step_done(struct yg_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return fail(st, rc, what);
    return YG_OK;
}

static yg_err read_version(struct yg_store *st, int *version)
{
    yg_err err = YG_OK;
    sqlite3_stmt *s = NULL;
    *version = 0;
    int rc = sqlite3_prepare_v2(st->db, "SELECT version FROM schema_version", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return fail(st, rc, "reading the schema version");
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(s, 0);
    else if (rc != SQLITE_DONE)
        err = fail(st, rc, "reading the schema version");
    sqlite3_finalize(s);
    return err;
}

static yg_err write_version(struct yg_store *st, int version)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, "UPDATE schema_version SET version = ?1", -1, &s, NULL);
    if (rc != SQLITE_OK)
        return fail(st, rc, "writing the schema version");
    sqlite3_bind_int(s, 1, version);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(st, rc, "writing the schema version");
    return YG_OK;
}

/* Create or upgrade the schema in one transaction: a crash mid-way leaves
 * the previous version intact. */
static yg_err migrate(struct yg_store *st)
{
    yg_err err = YG_OK;
    int version = 0;
    YG_TRY(exec_script(st, "BEGIN IMMEDIATE", "starting the schema transaction"));
    YG_TRY(exec_script(st,
                       "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);"
                       "INSERT INTO schema_version(version) SELECT 0"
                       " WHERE NOT EXISTS (SELECT 1 FROM schema_version);",
                       "creating the schema version table"));
    YG_TRY(read_version(st, &version));
    if (version > SCHEMA_VERSION) {
        snprintf(st->why, sizeof st->why,
                 "the database has schema version %d, newer than this build knows (%d)", version,
                 SCHEMA_VERSION);
        err = YG_EUNSUPPORTED;
        goto done;
    }
    for (int v = version; v < SCHEMA_VERSION; v++) {
        char what[64];
        snprintf(what, sizeof what, "migrating the schema to version %d", v + 1);
        YG_TRY(exec_script(st, migrations[v], what));
    }
    if (version != SCHEMA_VERSION)
        YG_TRY(write_version(st, SCHEMA_VERSION));
    YG_TRY(exec_script(st, "COMMIT", "committing the schema"));
done:
    if (err != YG_OK && !sqlite3_get_autocommit(st->db)) {
        char keep[sizeof st->why];
        memcpy(keep, st->why, sizeof keep);
        (void)exec_script(st, "ROLLBACK", "rolling back the schema");
        memcpy(st->why, keep, sizeof keep);
    }
    return err;
}

yg_err yg__store_open(const char *path, struct yg_store **out)
{
    yg_err err = YG_OK;
    struct yg_store *st = NULL;
    *out = NULL;
    pthread_once(&sq_once, sq_setup);
    st = yg_calloc(1, sizeof *st);
    if (!st)
        return YG_ENOMEM;
    *out = st; /* from here on, a failure leaves its message on the handle */
    st->path = yg_strndup(path, strlen(path));
    if (!st->path) {
        snprintf(st->why, sizeof st->why, "%s: out of memory", path);
        return YG_ENOMEM;
    }
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        err = fail(st, rc, "opening the database");
        goto done;
    }
    sqlite3_extended_result_codes(st->db, 1);
    /* Another process (a second `yagura watch`, or sqlite3 reading the
     * alerts) may hold the write lock briefly: wait rather than fail. */
    rc = sqlite3_busy_timeout(st->db, 5000);
    if (rc != SQLITE_OK) {
        err = fail(st, rc, "setting the busy timeout");
        goto done;
    }
    /* The first statement reads the file header: a file that is not a
     * database fails here with "file is not a database". */
    YG_TRY(exec_script(st, "PRAGMA journal_mode=WAL", "enabling WAL"));
    YG_TRY(exec_script(st, "PRAGMA synchronous=NORMAL", "setting synchronous"));
    /* Alert ids are random keys: every insert lands on a random leaf of the
     * alert and timeline indexes.  SQLite's default page cache (2 MiB) then
     * rereads most leaves from the file once the database has grown past a
     * few hundred thousand alerts; 64 MiB keeps them for some millions. */
    YG_TRY(exec_script(st, "PRAGMA cache_size=-65536", "setting the cache size"));
    YG_TRY(exec_script(st, "PRAGMA foreign_keys=ON", "enabling foreign keys"));
    YG_TRY(migrate(st));
    for (int i = 0; i < S_N; i++) {
        rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->stmt[i],
                                NULL);
        if (rc != SQLITE_OK) {
            err = fail(st, rc, "preparing a statement");
            goto done;
        }
    }
done:
    if (err != YG_OK) {
        char keep[sizeof st->why];
        memcpy(keep, st->why, sizeof keep);
        if (st->cause[0]) /* "database corrupt: PATH (reading ...: malformed)" */
            snprintf(st->why, sizeof st->why, "%s (%.500s)", st->cause, keep);
        else
            snprintf(st->why, sizeof st->why, "%s: %.1000s", path, keep);
    }
    return err;
}

void yg__store_close(struct yg_store *st)
{
    if (!st)
        return;
    if (st->in_tx)
        yg__store_rollback(st);
    for (int i = 0; i < S_N; i++)
        sqlite3_finalize(st->stmt[i]);
    /* close_v2 defers the close until nothing refers to the handle; every
     * statement is finalized above, so it closes now. */
    sqlite3_close_v2(st->db);
    yg_free(st->path);
    yg_free(st);
}

yg_err yg__store_begin(struct yg_store *st)
{
    clear_msg(st);
    if (st->in_tx) {
        snprintf(st->why, sizeof st->why, "a transaction is already open");
        return YG_ESTATE;
    }
    yg_err err = step_done(st, st->stmt[S_BEGIN], "beginning a transaction");
    if (err == YG_OK)
        st->in_tx = true;
    return err;
}

yg_err yg__store_commit(struct yg_store *st)
{
    clear_msg(st);
    if (!st->in_tx) {
        snprintf(st->why, sizeof st->why, "no transaction is open");
        return YG_ESTATE;
    }
    /* A statement that failed with a full disk, an I/O error or out of
     * memory may have rolled the whole transaction back; what ran after it
     * ran on its own and is committed already (callers stop at the first
     * failure, so that is nothing).  Never commit "the rest". */
    if (sqlite3_get_autocommit(st->db)) {
        st->in_tx = false;
        if (st->discard)
            st->discard(st->hook_ud);
        snprintf(st->why, sizeof st->why, "committing: the transaction was rolled back");
        if (!st->cause[0])
            snprintf(st->cause, sizeof st->cause, "%s: the transaction was rolled back", st->path);
        return YG_ESTATE;
    }
    if (st->before_commit) {
        const char *msg = NULL;
        yg_err err = st->before_commit(st->hook_ud, &msg);
        if (err) {
            snprintf(st->why, sizeof st->why, "%s",
                     msg && *msg ? msg : "before committing: failed");
            return err;
        }
    }
    yg_err err = step_done(st, st->stmt[S_COMMIT], "committing");
    /* A busy COMMIT leaves the transaction open (the caller may retry or
     * roll back); most other failures have already rolled it back. */
    st->in_tx = !sqlite3_get_autocommit(st->db);
    if (err && !st->in_tx && st->discard)
        st->discard(st->hook_ud);
    if (!err)
        st->cause[0] = 0;
    return err;
}

void yg__store_rollback(struct yg_store *st)
{
    if (st->discard)
        st->discard(st->hook_ud);
    /* A handle whose open failed may have no connection. */
    if (!st->db || (!st->in_tx && sqlite3_get_autocommit(st->db)))
        return;
    sqlite3_stmt *s = st->stmt[S_ROLLBACK];
    (void)sqlite3_step(s);
    sqlite3_reset(s);
    st->in_tx = !sqlite3_get_autocommit(st->db);
}

/* ---- alert ids: SipHash-2-4 with two fixed keys --------------------------- */

/* The id must never change for the same rule and record, across versions and
 * machines, or a replay would store duplicates: the hash and its keys are
 * frozen.  Two SipHash-2-4 runs under independent keys give 128 bits, so
 * distinct (rule, record) pairs collide with probability ~2^-64 even among
 * billions of alerts.  SipHash is keyed, but the keys here are public: the
 * point is a uniform stable fingerprint, not secrecy. */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                                   \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = ROTL(v1, 13);                                                                         \
        v1 ^= v0;                                                                                  \
        v0 = ROTL(v0, 32);                                                                         \
        v2 += v3;                                                                                  \
        v3 = ROTL(v3, 16);                                                                         \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = ROTL(v3, 21);                                                                         \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = ROTL(v1, 17);                                                                         \
        v1 ^= v2;                                                                                  \
        v2 = ROTL(v2, 32);                                                                         \
    } while (0)

static uint64_t load_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t yg__siphash24(uint64_t k0, uint64_t k1, const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    uint64_t b = (uint64_t)n << 56;
    size_t left = n;
    while (left >= 8) {
        uint64_t m = load_le64(p);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
        p += 8;
        left -= 8;
    }
    for (size_t i = 0; i < left; i++)
        b |= (uint64_t)p[i] << (8 * i);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

/* Feed rule id, NUL, record id without building the concatenation: the
 * ids are unbounded in length and this runs without allocating. */
struct sip_stream {
    uint64_t v0, v1, v2, v3;
    unsigned char tail[8];
    size_t ntail, total;
};

static void sip_init(struct sip_stream *s, uint64_t k0, uint64_t k1)
{
    s->v0 = k0 ^ 0x736f6d6570736575ull;
    s->v1 = k1 ^ 0x646f72616e646f6dull;
    s->v2 = k0 ^ 0x6c7967656e657261ull;
    s->v3 = k1 ^ 0x7465646279746573ull;
    s->ntail = s->total = 0;
}

static void sip_block(struct sip_stream *s, uint64_t m)
{
    uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
    v3 ^= m;
    SIPROUND;
    SIPROUND;
    v0 ^= m;
    s->v0 = v0, s->v1 = v1, s->v2 = v2, s->v3 = v3;
}

static void sip_feed(struct sip_stream *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->total += n;
    while (n) {
        size_t take = 8 - s->ntail < n ? 8 - s->ntail : n;
        memcpy(s->tail + s->ntail, p, take);
        s->ntail += take;
        p += take;
        n -= take;
        if (s->ntail == 8) {
            sip_block(s, load_le64(s->tail));
            s->ntail = 0;
        }
    }
}

static uint64_t sip_final(struct sip_stream *s)
{
    uint64_t b = (uint64_t)s->total << 56;
    for (size_t i = 0; i < s->ntail; i++)
        b |= (uint64_t)s->tail[i] << (8 * i);
    sip_block(s, b);
    uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2 ^ 0xff, v3 = s->v3;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void yg__alert_id(const char *rule_id, const char *record_id, char out[33])
{
    /* Frozen keys: the ASCII of "yagura-alert-id1" and "yagura-alert-id2"
     * read as two little-endian words each. */
    static const uint64_t keys[2][2] = {
        {0x612d617275676179ull, 0x3164692d7472656cull},
        {0x612d617275676179ull, 0x3264692d7472656cull},
    };
    static const char hex[] = "0123456789abcdef";
    for (int k = 0; k < 2; k++) {
        struct sip_stream s;
        sip_init(&s, keys[k][0], keys[k][1]);
        sip_feed(&s, rule_id, strlen(rule_id));
        sip_feed(&s, "", 1);
        sip_feed(&s, record_id, strlen(record_id));
        uint64_t h = sip_final(&s);
        for (int i = 0; i < 16; i++)
            out[k * 16 + i] = hex[(h >> (60 - 4 * i)) & 0xf];
    }
    out[32] = 0;
}

/* ---- rows ---------------------------------------------------------------- */

static int bind_text(sqlite3_stmt *s, int i, const char *v)
{
    return sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

yg_err yg__store_alert(struct yg_store *st, const struct yg_alert_row *row, bool *inserted)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_ALERT_INS];
    *inserted = false;
    if (!row->id || strlen(row->id) != 32 || !row->rule_id || !row->json) {
        snprintf(st->why, sizeof st->why, "an alert needs an id, a rule id and its JSON");
        return YG_EINVAL;
    }
    const char *vals[8] = {row->id,         row->rule_id, row->rule_title, row->level,
                           row->event_time, row->source,  row->record_id,  row->json};
    int rc = SQLITE_OK;
    for (int i = 0; i < 8 && rc == SQLITE_OK; i++)
        rc = bind_text(s, i + 1, vals[i]);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 9, now_ms());
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return fail(st, rc, "binding an alert");
    }
    yg_err err = step_done(st, s, "storing an alert");
    if (err == YG_OK)
        *inserted = sqlite3_changes(st->db) == 1;
    return err;
}

yg_err yg__store_alert_count(struct yg_store *st, uint64_t *n)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_ALERT_COUNT];
    *n = 0;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *n = (uint64_t)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return fail(st, rc, "counting alerts");
    return YG_OK;
}

yg_err yg__store_ckpt_put(struct yg_store *st, const char *key, const char *val)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_CKPT_PUT];
    int rc = bind_text(s, 1, key);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 2, val);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, now_ms());
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return fail(st, rc, "binding a checkpoint");
    }
    return step_done(st, s, "storing a checkpoint");
}

yg_err yg__store_ckpt_each(struct yg_store *st,
                           void (*fn)(void *ud, const char *key, const char *val), void *ud)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_CKPT_ALL];
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(s, 0);
        const char *v = (const char *)sqlite3_column_text(s, 1);
        /* column_text returns NULL for NULL and when converting ran out of
         * memory; the columns are NOT NULL, so NULL means the latter. */
        if (!k || !v) {
            sqlite3_reset(s);
            snprintf(st->why, sizeof st->why, "reading checkpoints: out of memory");
            return YG_ENOMEM;
        }
        fn(ud, k, v);
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return fail(st, rc, "reading checkpoints");
    return YG_OK;
}

yg_err yg__store_blob_put(struct yg_store *st, const char *name, const void *p, size_t n)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_BLOB_PUT];
    int rc = bind_text(s, 1, name);
    /* A NULL pointer binds SQL NULL; an empty blob must stay a blob. */
    if (rc == SQLITE_OK)
        rc = n ? sqlite3_bind_blob64(s, 2, p, n, SQLITE_STATIC) : sqlite3_bind_zeroblob(s, 2, 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 3, now_ms());
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return fail(st, rc, "binding a blob");
    }
    return step_done(st, s, "storing a blob");
}

yg_err yg__store_blob_get(struct yg_store *st, const char *name, void **p, size_t *n)
{
    clear_msg(st);
    yg_err err = YG_OK;
    sqlite3_stmt *s = st->stmt[S_BLOB_GET];
    *p = NULL;
    *n = 0;
    int rc = bind_text(s, 1, name);
    if (rc != SQLITE_OK) {
        err = fail(st, rc, "binding a blob name");
        goto done;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        snprintf(st->why, sizeof st->why, "no blob named %s", name);
        err = YG_ENOTFOUND;
        goto done;
    }
    if (rc != SQLITE_ROW) {
        err = fail(st, rc, "reading a blob");
        goto done;
    }
    const void *data = sqlite3_column_blob(s, 0);
    int len = sqlite3_column_bytes(s, 0);
    if (!data && len > 0) {
        err = fail(st, sqlite3_errcode(st->db), "reading a blob");
        goto done;
    }
    *p = yg_malloc((size_t)len);
    if (!*p) {
        snprintf(st->why, sizeof st->why, "reading a blob: out of memory");
        err = YG_ENOMEM;
        goto done;
    }
    if (len)
        memcpy(*p, data, (size_t)len);
    *n = (size_t)len;
done:
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return err;
}

yg_err yg__store_det_put(struct yg_store *st, const struct yg_det_row *d)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_DET_PUT];
    int rc = bind_text(s, 1, d->rule_id);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 2, d->t_ms);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 3, d->fields);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 4, d->record_id);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 5, d->source);
    if (rc == SQLITE_OK)
        rc = bind_text(s, 6, d->timestamp);
    if (rc == SQLITE_OK)
        rc = sqlite3_bind_int64(s, 7, (sqlite3_int64)d->line);
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return fail(st, rc, "binding a detection");
    }
    return step_done(st, s, "storing a detection");
}

yg_err yg__store_det_each(struct yg_store *st, int64_t since_ms,
                          void (*fn)(void *ud, const struct yg_det_row *d), void *ud)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_DET_SINCE];
    int rc = sqlite3_bind_int64(s, 1, since_ms);
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        return fail(st, rc, "binding the detection window");
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_det_row d;
        d.rule_id = (const char *)sqlite3_column_text(s, 0);
        d.t_ms = sqlite3_column_int64(s, 1);
        d.fields = (const char *)sqlite3_column_text(s, 2);
        d.record_id = (const char *)sqlite3_column_text(s, 3);
        d.source = (const char *)sqlite3_column_text(s, 4);
        d.timestamp = (const char *)sqlite3_column_text(s, 5);
        d.line = (uint64_t)sqlite3_column_int64(s, 6);
        if (!d.rule_id || !d.fields || !d.record_id || !d.source || !d.timestamp) {
            sqlite3_reset(s);
            snprintf(st->why, sizeof st->why, "reading detections: out of memory");
            return YG_ENOMEM;
        }
        fn(ud, &d);
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE)
        return fail(st, rc, "reading detections");
    return YG_OK;
}

yg_err yg__store_det_prune(struct yg_store *st, int64_t before_ms)
{
    clear_msg(st);
    sqlite3_stmt *s = st->stmt[S_DET_PRUNE];
    int rc = sqlite3_bind_int64(s, 1, before_ms);
    if (rc != SQLITE_OK) {
        sqlite3_reset(s);
        return fail(st, rc, "binding the prune time");
    }
    return step_done(st, s, "pruning detections");
}
