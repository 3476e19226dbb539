/*
 * triage.c - what analysts do with incidents (acknowledge, assign, comment,
 * close), each kept with its audit row, and the filtered list of incidents
 * the console shows (docs/console.md, docs/state.md version 5).
 *
 * An action and its audit row are written in one transaction, so the trail
 * never misses a change and never claims one that did not happen.
 */
#include "incident/incident.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

static const char *ctext(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    return t ? t : "";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *yg__triage_name(enum yg_triage_action a)
{
    switch (a) {
    case YG_TRIAGE_ACK: return "acknowledge";
    case YG_TRIAGE_ASSIGN: return "assign";
    case YG_TRIAGE_COMMENT: return "comment";
    case YG_TRIAGE_CLOSE: return "close";
    }
    return "?";
}

/* One statement with up to four text and one integer parameter, run to its end. */
static int exec_bind(sqlite3 *db, const char *sql, const char *const *txt, size_t ntxt, int64_t num)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc != SQLITE_OK)
        return rc;
    for (size_t i = 0; i < ntxt; i++)
        sqlite3_bind_text(s, (int)i + 1, txt[i] ? txt[i] : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, (int)ntxt + 1, num);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? SQLITE_DONE : rc;
}

/* Whether action a applies to an incident of this status and acknowledgement. */
static bool applies(enum yg_triage_action a, const char *status, bool acked)
{
    if (a == YG_TRIAGE_COMMENT)
        return strcmp(status, "merged") != 0;
    if (strcmp(status, "open") != 0)
        return false;
    return a != YG_TRIAGE_ACK || !acked;
}

static const char *const change_sql[] = {
    [YG_TRIAGE_ACK] = "UPDATE incidents SET acked_by = ?2, acked_at = ?3, updated_at = ?3"
                      " WHERE id = ?1",
    [YG_TRIAGE_ASSIGN] = "UPDATE incidents SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
    [YG_TRIAGE_COMMENT] = NULL,
    [YG_TRIAGE_CLOSE] = "UPDATE incidents SET status = 'closed', close_reason = ?2,"
                        " closed_by = ?3, closed_at = ?4, updated_at = ?4 WHERE id = ?1",
};

/* The incident's change, inside the transaction. */
static int change(sqlite3 *db, enum yg_triage_action a, const char *id, const char *who,
                  const char *detail, int64_t at)
{
    if (a == YG_TRIAGE_COMMENT)
        return SQLITE_DONE;
    if (a == YG_TRIAGE_CLOSE) {
        const char *t[] = {id, detail, who};
        return exec_bind(db, change_sql[a], t, 3, at);
    }
    const char *t[] = {id, a == YG_TRIAGE_ACK ? who : detail};
    return exec_bind(db, change_sql[a], t, 2, at);
}

yg_err yg__incident_triage(struct yg_store *st, const char *id, const char *who,
                           enum yg_triage_action a, const char *detail)
{
    bool needs = a != YG_TRIAGE_ACK;
    if (!detail)
        detail = "";
    if ((needs && !*detail) || strlen(detail) > YG_TRIAGE_MAX_DETAIL || (unsigned)a > 3)
        return YG_EINVAL;
    if (!needs)
        detail = "";
    sqlite3 *db = yg__store_sqlite(st);
    yg_err err = yg__store_begin(st);
    if (err)
        return err;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT status, acked_at IS NOT NULL FROM incidents"
                                " WHERE id = ?1",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(s);
        if (rc == SQLITE_DONE)
            err = YG_ENOTFOUND;
        else if (rc == SQLITE_ROW && !applies(a, ctext(s, 0), sqlite3_column_int(s, 1)))
            err = YG_ESTATE;
        else if (rc != SQLITE_ROW)
            err = yg__store_rc_err(rc);
        sqlite3_finalize(s);
    } else {
        err = yg__store_rc_err(rc);
    }
    int64_t at = now_ms();
    if (!err && (rc = change(db, a, id, who, detail, at)) != SQLITE_DONE)
        err = yg__store_rc_err(rc);
    if (!err) {
        const char *t[] = {id, who, yg__triage_name(a), detail};
        rc = exec_bind(db,
                       "INSERT INTO incident_audit(incident_id, who, action, detail, at_ms)"
                       " VALUES (?1, ?2, ?3, ?4, ?5)",
                       t, 4, at);
        if (rc != SQLITE_DONE)
            err = yg__store_rc_err(rc);
    }
    if (err) {
        yg__store_rollback(st);
        return err;
    }
    return yg__store_commit(st);
}

yg_err yg__incident_audit(struct yg_store *st, const char *id,
                          void (*fn)(void *ud, const struct yg_incident_audit *a), void *ud)
{
    sqlite3 *db = yg__store_sqlite(st);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT seq, at_ms, who, action, detail FROM incident_audit"
                                " WHERE incident_id = ?1 ORDER BY seq",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return yg__store_rc_err(rc);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_incident_audit a = {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                                      ctext(s, 2), ctext(s, 3), ctext(s, 4)};
        fn(ud, &a);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? YG_OK : yg__store_rc_err(rc);
}
