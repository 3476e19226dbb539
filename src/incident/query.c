/*
 * query.c - reading and closing incidents (the `yagura incidents` command).
 */
#include "incident/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <sqlite3.h>

#include "decode/json.h"

#define INC_COLS                                                                                   \
    "i.id, i.title, i.level, i.level_num, i.status, i.main_entity, i.first_ms, i.last_ms,"         \
    " i.alert_count, i.close_reason, i.closed_by, i.closed_at,"                                    \
    " (SELECT json_group_array(json_object('kind', kind, 'value', value, 'alerts', alerts))"       \
    "  FROM (SELECT kind, value, alerts FROM incident_entities WHERE incident_id = i.id"           \
    "        ORDER BY alerts DESC, kind, value)),"                                                 \
    " i.acked_by, i.acked_at, i.assignee"

static const char *col(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    return t ? t : "";
}

/* ---- entities, read from their JSON column ------------------------------------ */

/* The entities of a row or a step, valid during its callback. */
struct ent_list {
    struct yg_arena a;
    struct yg_incident_entity *v;
    size_t n, cap;
};

enum { ENT_KIND, ENT_VALUE, ENT_ALERTS };

static int32_t ent_key(void *ud, int32_t parent, const char *k, size_t kn)
{
    (void)ud;
    (void)parent;
    if (kn == 4 && !memcmp(k, "kind", 4))
        return ENT_KIND;
    if (kn == 5 && !memcmp(k, "value", 5))
        return ENT_VALUE;
    if (kn == 6 && !memcmp(k, "alerts", 6))
        return ENT_ALERTS;
    return -1;
}

/* [{"kind":..,"value":..,"alerts":..},...]: each "kind" starts an entity. */
static void ent_leaf(void *ud, int32_t path, const struct yg_val *v)
{
    struct ent_list *l = ud;
    if (path == ENT_KIND) {
        if (l->n == l->cap) {
            size_t nc = l->cap ? l->cap * 2 : 16;
            struct yg_incident_entity *nv = yg_arena_alloc(&l->a, nc * sizeof *nv);
            if (!nv)
                return;
            if (l->n)
                memcpy(nv, l->v, l->n * sizeof *nv);
            l->v = nv;
            l->cap = nc;
        }
        l->v[l->n++] = (struct yg_incident_entity){yg_arena_strndup(&l->a, v->p, v->n), "", 0};
        return;
    }
    if (!l->n)
        return;
    struct yg_incident_entity *e = &l->v[l->n - 1];
    if (path == ENT_VALUE) {
        const char *c = yg_arena_strndup(&l->a, v->p, v->n);
        e->value = c ? c : "";
    } else if (path == ENT_ALERTS && v->type == YG_VT_NUM) {
        char b[32];
        size_t n = v->n < sizeof b - 1 ? v->n : sizeof b - 1;
        memcpy(b, v->p, n);
        b[n] = 0;
        e->alerts = strtoll(b, NULL, 10);
    }
}

/* The entities of json into l (reset first); a column that does not read
 * as JSON gives none. */
static void read_entities(const char *json, struct ent_list *l, const struct yg_incident_entity **v,
                          size_t *n)
{
    yg_arena_reset(&l->a);
    l->v = NULL;
    l->n = l->cap = 0;
    struct yg_json_sink sink = {l, ent_key, ent_leaf, NULL};
    struct yg_json_err je;
    size_t used;
    if (json && yg__json_scan(json, strlen(json), &used, &sink, &l->a, &je) != YG_OK)
        l->n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (!l->v[i].kind)
            l->v[i].kind = "";
    *v = l->v;
    *n = l->n;
}

static void read_row(sqlite3_stmt *s, struct yg_incident_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = col(s, 0);
    r->title = col(s, 1);
    r->level = col(s, 2);
    r->level_num = sqlite3_column_int(s, 3);
    r->status = col(s, 4);
    r->main_entity = col(s, 5);
    r->first_ms = sqlite3_column_int64(s, 6);
    r->last_ms = sqlite3_column_int64(s, 7);
    r->alert_count = sqlite3_column_int64(s, 8);
    r->close_reason = sqlite3_column_type(s, 9) == SQLITE_NULL ? NULL : col(s, 9);
    r->closed_by = sqlite3_column_type(s, 10) == SQLITE_NULL ? NULL : col(s, 10);
    r->closed_at = sqlite3_column_int64(s, 11);
    r->entities = sqlite3_column_type(s, 12) == SQLITE_NULL ? "[]" : col(s, 12);
    r->acked_by = sqlite3_column_type(s, 13) == SQLITE_NULL ? NULL : col(s, 13);
    r->acked_at = sqlite3_column_int64(s, 14);
    r->assignee = sqlite3_column_type(s, 15) == SQLITE_NULL ? NULL : col(s, 15);
}

yg_err yg__incident_list(struct yg_store *st, enum yg_incident_status status, int min_level,
                         void (*fn)(void *ud, const struct yg_incident_row *r), void *ud)
{
    sqlite3 *db = yg__store_sqlite(st);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT " INC_COLS " FROM incidents i"
                                " WHERE ((?1 & 1 AND i.status = 'open') OR"
                                "        (?1 & 2 AND i.status = 'closed'))"
                                " AND i.level_num >= ?2"
                                " ORDER BY i.last_ms DESC, i.id",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return yg__store_rc_err(rc);
    sqlite3_bind_int(s, 1, (int)status);
    sqlite3_bind_int(s, 2, min_level);
    struct ent_list el = {.v = NULL};
    yg_arena_init(&el.a, 1u << 12, 0);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_incident_row r;
        read_row(s, &r);
        read_entities(r.entities, &el, &r.ents, &r.nents);
        fn(ud, &r);
    }
    sqlite3_finalize(s);
    yg_arena_free(&el.a);
    return rc == SQLITE_DONE ? YG_OK : yg__store_rc_err(rc);
}

yg_err yg__incident_resolve(struct yg_store *st, const char *q, char out[40])
{
    sqlite3 *db = yg__store_sqlite(st);
    sqlite3_stmt *s = NULL;
    size_t ql = strlen(q);
    if (ql < 4 || ql > 39)
        return YG_ENOTFOUND;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT id, status, merged_into FROM incidents"
                                " WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1"
                                " OR substr(id, 5, length(?1)) = ?1 ORDER BY id = ?1 DESC LIMIT 3",
                                -1, &s, NULL);
    if (rc != SQLITE_OK)
        return yg__store_rc_err(rc);
    sqlite3_bind_text(s, 1, q, -1, SQLITE_TRANSIENT);
    int n = 0;
    bool exact = false;
    char into[40] = "";
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == 0) {
            snprintf(out, 40, "%s", col(s, 0));
            exact = strcmp(col(s, 0), q) == 0;
            if (strcmp(col(s, 1), "merged") == 0)
                snprintf(into, sizeof into, "%s", col(s, 2));
        }
        n++;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return yg__store_rc_err(rc);
    if (!n)
        return YG_ENOTFOUND;
    if (n > 1 && !exact)
        return YG_EINVAL;
    /* Follow merges (each merged incident points at a live one, but stay
     * bounded whatever the file says). */
    for (int hop = 0; into[0] && hop < 64; hop++) {
        snprintf(out, 40, "%s", into);
        into[0] = 0;
        if (sqlite3_prepare_v2(db, "SELECT status, merged_into FROM incidents WHERE id = ?1", -1,
                               &s, NULL) != SQLITE_OK)
            break;
        sqlite3_bind_text(s, 1, out, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW && strcmp(col(s, 0), "merged") == 0)
            snprintf(into, sizeof into, "%s", col(s, 1));
        sqlite3_finalize(s);
    }
    return YG_OK;
}

yg_err yg__incident_show(struct yg_store *st, const char *id,
                         void (*head)(void *ud, const struct yg_incident_row *r),
                         void (*step)(void *ud, const struct yg_incident_step *s), void *ud)
{
    sqlite3 *db = yg__store_sqlite(st);
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT " INC_COLS " FROM incidents i WHERE i.id = ?1", -1, &s,
                                NULL);
    if (rc != SQLITE_OK)
        return yg__store_rc_err(rc);
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    struct ent_list el = {.v = NULL};
    yg_arena_init(&el.a, 1u << 12, 0);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        struct yg_incident_row r;
        read_row(s, &r);
        read_entities(r.entities, &el, &r.ents, &r.nents);
        if (head)
            head(ud, &r);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_ROW) {
        yg_arena_free(&el.a);
        return rc == SQLITE_DONE ? YG_ENOTFOUND : yg__store_rc_err(rc);
    }
    rc = sqlite3_prepare_v2(db,
                            "SELECT alert_id, kind, rule_id, rule_title, level, event_time, source,"
                            " entities, parent, CASE WHEN json = '' THEN coalesce((SELECT"
                            " json FROM alerts WHERE alerts.id = alert_id), '') ELSE json END,"
                            " t_ms, level_num, seq FROM incident_alerts WHERE incident_id = ?1"
                            " UNION ALL SELECT id, inc_kind, rule_id, rule_title, level,"
                            " inc_event_time, inc_source, inc_entities, NULL, json, inc_t_ms,"
                            " inc_level_num, inc_seq FROM alerts WHERE incident_id = ?1"
                            " ORDER BY 11, 13",
                            -1, &s, NULL);
    if (rc != SQLITE_OK) {
        yg_arena_free(&el.a);
        return yg__store_rc_err(rc);
    }
    sqlite3_bind_text(s, 1, id, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_incident_step x = {col(s, 0),
                                     col(s, 1),
                                     col(s, 2),
                                     col(s, 3),
                                     col(s, 4),
                                     col(s, 5),
                                     col(s, 6),
                                     col(s, 7),
                                     sqlite3_column_type(s, 8) == SQLITE_NULL ? NULL : col(s, 8),
                                     col(s, 9),
                                     sqlite3_column_int64(s, 10),
                                     sqlite3_column_int(s, 11),
                                     NULL,
                                     0};
        read_entities(x.entities, &el, &x.ents, &x.nents);
        if (step)
            step(ud, &x);
    }
    sqlite3_finalize(s);
    yg_arena_free(&el.a);
    return rc == SQLITE_DONE ? YG_OK : yg__store_rc_err(rc);
}

yg_err yg__incident_close(struct yg_store *st, const char *id, const char *reason, const char *who)
{
    /* A close is a triage action: it leaves its row in the audit trail. */
    if (!reason || !*reason)
        reason = "-";
    return yg__incident_triage(st, id, who ? who : "", YG_TRIAGE_CLOSE, reason);
}

/* The console's list: status bits, level, an entity, a title substring and
 * a time range, each a no-op when not given (NULL binds). */
yg_err yg__incident_query(struct yg_store *st, const struct yg_incident_filter *f,
                          bool (*fn)(void *ud, const struct yg_incident_row *r), void *ud)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(
        yg__store_sqlite(st),
        "SELECT " INC_COLS " FROM incidents i WHERE i.status != 'merged'"
        " AND ((?1 & 1 AND i.status = 'open' AND i.acked_at IS NULL)"
        "   OR (?1 & 2 AND i.status = 'open' AND i.acked_at IS NOT NULL)"
        "   OR (?1 & 4 AND i.status = 'closed'))"
        " AND i.level_num >= ?2"
        " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM incident_entities e"
        "      WHERE e.incident_id = i.id AND (?3 IS NULL OR e.kind = ?3) AND e.value = ?4))"
        " AND (?5 IS NULL OR instr(lower(i.title), lower(?5)) > 0)"
        " AND (?6 IS NULL OR i.last_ms >= ?6) AND (?7 IS NULL OR i.first_ms <= ?7)"
        " ORDER BY i.last_ms DESC, i.id",
        -1, &s, NULL);
    if (rc != SQLITE_OK)
        return yg__store_rc_err(rc);
    sqlite3_bind_int(s, 1, (int)(f->status ? f->status : 7u));
    sqlite3_bind_int(s, 2, f->min_level);
    if (f->entity_kind && *f->entity_kind)
        sqlite3_bind_text(s, 3, f->entity_kind, -1, SQLITE_TRANSIENT);
    if (f->entity_value)
        sqlite3_bind_text(s, 4, f->entity_value, -1, SQLITE_TRANSIENT);
    if (f->text && *f->text)
        sqlite3_bind_text(s, 5, f->text, -1, SQLITE_TRANSIENT);
    if (f->from_ms)
        sqlite3_bind_int64(s, 6, f->from_ms);
    if (f->to_ms)
        sqlite3_bind_int64(s, 7, f->to_ms);
    struct ent_list el = {.v = NULL};
    yg_arena_init(&el.a, 1u << 12, 0);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_incident_row r;
        read_row(s, &r);
        read_entities(r.entities, &el, &r.ents, &r.nents);
        if (!fn(ud, &r)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(s);
    yg_arena_free(&el.a);
    return rc == SQLITE_DONE ? YG_OK : yg__store_rc_err(rc);
}
