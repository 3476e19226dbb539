/*
 * taxii_store.c - the SQLite file behind the TAXII server.
 *
 * One row per object version.  Each row gets a date added that is strictly
 * greater than every earlier one in the file (the wall clock, or the last
 * value plus one microsecond when the clock has not moved or went back),
 * so (added, seq) and seq order agree and a page is an index range scan
 * from the cursor: paging costs the same on page 1000 as on page 1, where
 * OFFSET would re-read every skipped row.
 *
 * TAXII serves "the last version" of an object by default and "the first"
 * on request; is_last and is_first are kept on every row (recomputed for
 * the object's rows on each insert and delete) so both are plain column
 * filters instead of a GROUP BY over the whole collection.  Versions are
 * compared as microseconds (vkey), not as text: "…39Z" and "…39.188Z" sort
 * wrong as strings.  Objects without modified or created (SCOs) have one
 * version, vkey 0; posting a different body replaces it.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <openssl/rand.h>

#include "taxii/taxii.h"

struct yg_taxii_store {
    sqlite3 *db;
    sqlite3_stmt *ins, *find0, *del0, *flags, *begin, *commit, *rollback, *oldspec;
    int64_t last_added;
    unsigned char secret[32];
    char msg[512]; /* yg__taxii_store_errmsg */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS taxii_meta(key TEXT PRIMARY KEY, val BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS taxii_objects("
    " seq INTEGER PRIMARY KEY, coll TEXT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,"
    " spec TEXT NOT NULL, version TEXT NOT NULL, vkey INTEGER NOT NULL, added INTEGER NOT NULL,"
    " tlp INTEGER NOT NULL, is_last INTEGER NOT NULL DEFAULT 1,"
    " is_first INTEGER NOT NULL DEFAULT 1, json TEXT NOT NULL, UNIQUE(coll, id, vkey));"
    "CREATE INDEX IF NOT EXISTS taxii_objects_page ON taxii_objects(coll, added, seq);"
    /* Partial: only objects of an older spec version; never a candidate for
     * the paging queries, which must use taxii_objects_page. */
    "CREATE INDEX IF NOT EXISTS taxii_objects_oldspec ON taxii_objects(coll)"
    " WHERE spec <> '2.1';"
    "CREATE TABLE IF NOT EXISTS taxii_status(id TEXT PRIMARY KEY, root TEXT NOT NULL,"
    " user TEXT NOT NULL, created INTEGER NOT NULL, json TEXT NOT NULL);";

static yg_err dberr(struct yg_taxii_store *st, const char *what)
{
    snprintf(st->msg, sizeof st->msg, "%s: %s", what, sqlite3_errmsg(st->db));
    return YG_EIO;
}

const char *yg__taxii_store_errmsg(const struct yg_taxii_store *st)
{
    return st ? st->msg : "out of memory";
}

const unsigned char *yg__taxii_store_secret(const struct yg_taxii_store *st)
{
    return st->secret;
}

static yg_err prep(struct yg_taxii_store *st, const char *sql, sqlite3_stmt **s)
{
    if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL) != SQLITE_OK)
        return dberr(st, "preparing a statement");
    return YG_OK;
}

static yg_err load_secret(struct yg_taxii_store *st)
{
    sqlite3_stmt *s = NULL;
    yg_err err = YG_OK;
    YG_TRY(prep(st, "SELECT val FROM taxii_meta WHERE key='next-secret'", &s));
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 32) {
        memcpy(st->secret, sqlite3_column_blob(s, 0), 32);
        goto done;
    }
    sqlite3_finalize(s);
    s = NULL;
    if (RAND_bytes(st->secret, 32) != 1) {
        snprintf(st->msg, sizeof st->msg, "no random bytes for the token secret");
        err = YG_EIO;
        goto done;
    }
    YG_TRY(prep(st, "INSERT OR REPLACE INTO taxii_meta(key, val) VALUES('next-secret', ?)", &s));
    sqlite3_bind_blob(s, 1, st->secret, 32, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        err = dberr(st, "storing the token secret");
done:
    sqlite3_finalize(s);
    return err;
}

yg_err yg__taxii_store_open(const char *path, struct yg_taxii_store **out)
{
    yg_err err = YG_OK;
    *out = NULL;
    struct yg_taxii_store *st = yg_calloc(1, sizeof *st);
    if (!st)
        return YG_ENOMEM;
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        err = dberr(st, "opening the database");
        goto done;
    }
    sqlite3_busy_timeout(st->db, 5000);
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(st->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        err = dberr(st, "creating the schema");
        goto done;
    }
    YG_TRY(load_secret(st));
    YG_TRY(prep(st,
                "INSERT OR IGNORE INTO taxii_objects(coll, id, type, spec, version, vkey, added,"
                " tlp, json) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                &st->ins));
    YG_TRY(
        prep(st, "SELECT json FROM taxii_objects WHERE coll=?1 AND id=?2 AND vkey=0", &st->find0));
    YG_TRY(prep(st, "DELETE FROM taxii_objects WHERE coll=?1 AND id=?2 AND vkey=0", &st->del0));
    YG_TRY(prep(st,
                "UPDATE taxii_objects SET is_last = (vkey = m.mx), is_first = (vkey = m.mn)"
                " FROM (SELECT max(vkey) AS mx, min(vkey) AS mn FROM taxii_objects"
                " WHERE coll=?1 AND id=?2) AS m WHERE coll=?1 AND id=?2",
                &st->flags));
    YG_TRY(prep(st, "SELECT EXISTS(SELECT 1 FROM taxii_objects WHERE coll=?1 AND spec <> '2.1')",
                &st->oldspec));
    YG_TRY(prep(st, "BEGIN IMMEDIATE", &st->begin));
    YG_TRY(prep(st, "COMMIT", &st->commit));
    YG_TRY(prep(st, "ROLLBACK", &st->rollback));
    sqlite3_stmt *s = NULL;
    YG_TRY(prep(st, "SELECT coalesce(max(added), 0) FROM taxii_objects", &s));
    if (sqlite3_step(s) == SQLITE_ROW)
        st->last_added = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    *out = st;
    st = NULL;
done:
    if (st) {
        /* The handle stays, holding the reason after the path (taxii.h). */
        char what[256];
        memcpy(what, st->msg, sizeof what - 1);
        what[sizeof what - 1] = 0;
        snprintf(st->msg, sizeof st->msg, "%s: %s", path, what);
        *out = st;
    }
    return err;
}

void yg__taxii_store_close(struct yg_taxii_store *st)
{
    if (!st)
        return;
    sqlite3_stmt *all[] = {st->ins,   st->find0,  st->del0,     st->flags,
                           st->begin, st->commit, st->rollback, st->oldspec};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(st->db);
    OPENSSL_cleanse(st->secret, sizeof st->secret);
    yg_free(st);
}

static yg_err step_done(struct yg_taxii_store *st, sqlite3_stmt *s, const char *what)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? YG_OK : dberr(st, what);
}

yg_err yg__taxii_store_begin(struct yg_taxii_store *st)
{
    return step_done(st, st->begin, "beginning a transaction");
}

yg_err yg__taxii_store_commit(struct yg_taxii_store *st)
{
    return step_done(st, st->commit, "committing");
}

void yg__taxii_store_rollback(struct yg_taxii_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        (void)step_done(st, st->rollback, "rolling back");
}

static yg_err fix_flags(struct yg_taxii_store *st, const char *coll, const char *id)
{
    sqlite3_bind_text(st->flags, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_text(st->flags, 2, id, -1, SQLITE_STATIC);
    yg_err err = step_done(st, st->flags, "updating version flags");
    sqlite3_clear_bindings(st->flags);
    return err;
}

yg_err yg__taxii_store_add(struct yg_taxii_store *st, const char *coll,
                           const struct yg_taxii_obj *o, bool *dup)
{
    yg_err err = YG_OK;
    *dup = false;
    if (o->vkey == 0) {
        sqlite3_bind_text(st->find0, 1, coll, -1, SQLITE_STATIC);
        sqlite3_bind_text(st->find0, 2, o->id, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st->find0);
        bool same = rc == SQLITE_ROW && (size_t)sqlite3_column_bytes(st->find0, 0) == o->jn &&
                    memcmp(sqlite3_column_text(st->find0, 0), o->json, o->jn) == 0;
        bool found = rc == SQLITE_ROW;
        sqlite3_reset(st->find0);
        sqlite3_clear_bindings(st->find0);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return dberr(st, "looking an object up");
        if (same) {
            *dup = true;
            return YG_OK;
        }
        if (found) {
            sqlite3_bind_text(st->del0, 1, coll, -1, SQLITE_STATIC);
            sqlite3_bind_text(st->del0, 2, o->id, -1, SQLITE_STATIC);
            err = step_done(st, st->del0, "replacing an object");
            sqlite3_clear_bindings(st->del0);
            if (err)
                return err;
        }
    }
    int64_t now = yg__taxii_now_us();
    int64_t added = now > st->last_added ? now : st->last_added + 1;
    sqlite3_stmt *s = st->ins;
    sqlite3_bind_text(s, 1, coll, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, o->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, o->spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, o->version, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, o->vkey);
    sqlite3_bind_int64(s, 7, added);
    sqlite3_bind_int(s, 8, o->tlp);
    sqlite3_bind_text(s, 9, o->json, (int)o->jn, SQLITE_STATIC);
    err = step_done(st, s, "storing an object");
    sqlite3_clear_bindings(s);
    if (err)
        return err;
    if (sqlite3_changes(st->db) == 0) {
        *dup = true;
        return YG_OK;
    }
    st->last_added = added;
    return fix_flags(st, coll, o->id);
}

/* ---- queries -------------------------------------------------------------- */

static yg_err add_in(struct yg_buf *b, const char *col, size_t n)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, " AND %s IN (", col));
    for (size_t i = 0; i < n; i++)
        YG_TRY(yg_buf_add(b, i ? ",?" : "?", i ? 2 : 1));
    YG_TRY(yg_buf_addc(b, ')'));
done:
    return err;
}

/* The WHERE clause of q; parameters are bound in the same order by bind_q. */
static yg_err where_q(struct yg_buf *b, const struct yg_taxii_q *q)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, " WHERE coll=?"));
    if (q->nids)
        YG_TRY(add_in(b, "id", q->nids));
    if (q->ntypes)
        YG_TRY(add_in(b, "type", q->ntypes));
    if (q->nspecs)
        YG_TRY(add_in(b, "spec", q->nspecs));
    unsigned vm = q->vmodes || q->nvkeys ? q->vmodes : YG_TAXII_V_LAST;
    if (!(vm & YG_TAXII_V_ALL)) {
        const char *sep = "";
        YG_TRY(yg_buf_addf(b, " AND ("));
        if (vm & YG_TAXII_V_LAST) {
            YG_TRY(yg_buf_addf(b, "is_last=1"));
            sep = " OR ";
        }
        if (vm & YG_TAXII_V_FIRST) {
            YG_TRY(yg_buf_addf(b, "%sis_first=1", sep));
            sep = " OR ";
        }
        if (q->nvkeys) {
            YG_TRY(yg_buf_addf(b, "%svkey IN (", sep));
            for (size_t i = 0; i < q->nvkeys; i++)
                YG_TRY(yg_buf_add(b, i ? ",?" : "?", i ? 2 : 1));
            YG_TRY(yg_buf_addc(b, ')'));
        }
        YG_TRY(yg_buf_addc(b, ')'));
    }
    if (q->has_after)
        YG_TRY(yg_buf_addf(b, " AND added > ?"));
    if (q->has_cursor)
        YG_TRY(yg_buf_addf(b, " AND added >= ? AND (added > ? OR seq > ?)"));
    YG_TRY(yg_buf_addf(b, q->unmarked_ok ? " AND tlp <= ?" : " AND tlp <= ? AND tlp >= 0"));
done:
    return err;
}

static int bind_q(sqlite3_stmt *s, const struct yg_taxii_q *q)
{
    int i = 1;
    sqlite3_bind_text(s, i++, q->coll, -1, SQLITE_STATIC);
    for (size_t k = 0; k < q->nids; k++)
        sqlite3_bind_text(s, i++, q->ids[k], -1, SQLITE_STATIC);
    for (size_t k = 0; k < q->ntypes; k++)
        sqlite3_bind_text(s, i++, q->types[k], -1, SQLITE_STATIC);
    for (size_t k = 0; k < q->nspecs; k++)
        sqlite3_bind_text(s, i++, q->specs[k], -1, SQLITE_STATIC);
    unsigned vm = q->vmodes || q->nvkeys ? q->vmodes : YG_TAXII_V_LAST;
    if (!(vm & YG_TAXII_V_ALL))
        for (size_t k = 0; k < q->nvkeys; k++)
            sqlite3_bind_int64(s, i++, q->vkeys[k]);
    if (q->has_after)
        sqlite3_bind_int64(s, i++, q->after_us);
    if (q->has_cursor) {
        sqlite3_bind_int64(s, i++, q->cur_added);
        sqlite3_bind_int64(s, i++, q->cur_added);
        sqlite3_bind_int64(s, i++, q->cur_seq);
    }
    sqlite3_bind_int(s, i++, q->tlp_max);
    return i;
}

yg_err yg__taxii_store_query(struct yg_taxii_store *st, const struct yg_taxii_q *q,
                             bool (*fn)(void *ud, const struct yg_taxii_row *r), void *ud)
{
    struct yg_buf b;
    sqlite3_stmt *s = NULL;
    yg_err err = YG_OK;
    yg_buf_init(&b, 1u << 20);
    YG_TRY(yg_buf_addf(&b, "SELECT seq, added, id, version, type, json FROM taxii_objects"));
    YG_TRY(where_q(&b, q));
    /* Without match[spec_version] only the latest specification version of
     * an object is served (TAXII 2.1, 3.4.2): a 2.0 copy of an object also
     * held as 2.1 stays hidden.  '2.0' < '2.1' as text.  The check costs a
     * lookup per row, so it is made only for a collection that holds an
     * object of an older version at all (one index probe). */
    bool old_spec = false;
    if (!q->nspecs) {
        sqlite3_bind_text(st->oldspec, 1, q->coll, -1, SQLITE_STATIC);
        old_spec = sqlite3_step(st->oldspec) == SQLITE_ROW && sqlite3_column_int(st->oldspec, 0);
        sqlite3_reset(st->oldspec);
        sqlite3_clear_bindings(st->oldspec);
    }
    if (old_spec)
        YG_TRY(yg_buf_addf(&b, " AND NOT EXISTS (SELECT 1 FROM taxii_objects AS o2"
                               " WHERE o2.coll=taxii_objects.coll AND o2.id=taxii_objects.id"
                               " AND o2.spec > taxii_objects.spec)"));
    YG_TRY(yg_buf_addf(&b, " ORDER BY added, seq LIMIT ?"));
    YG_TRY(yg_buf_addc(&b, 0));
    if (sqlite3_prepare_v2(st->db, b.p, -1, &s, NULL) != SQLITE_OK) {
        err = dberr(st, "preparing a query");
        goto done;
    }
    int i = bind_q(s, q);
    sqlite3_bind_int64(s, i, q->limit);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        struct yg_taxii_row r = {
            .seq = sqlite3_column_int64(s, 0),
            .added = sqlite3_column_int64(s, 1),
            .id = (const char *)sqlite3_column_text(s, 2),
            .version = (const char *)sqlite3_column_text(s, 3),
            .type = (const char *)sqlite3_column_text(s, 4),
            .json = (const char *)sqlite3_column_text(s, 5),
        };
        r.jn = (size_t)sqlite3_column_bytes(s, 5);
        if (!r.id || !r.version || !r.type || !r.json) {
            err = YG_ENOMEM;
            goto done;
        }
        if (!fn(ud, &r))
            break;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        err = dberr(st, "reading objects");
done:
    sqlite3_finalize(s);
    yg_buf_free(&b);
    return err;
}

yg_err yg__taxii_store_delete(struct yg_taxii_store *st, const struct yg_taxii_q *q, uint64_t *n)
{
    struct yg_buf b;
    sqlite3_stmt *s = NULL;
    yg_err err = YG_OK;
    *n = 0;
    yg_buf_init(&b, 1u << 20);
    YG_TRY(yg_buf_addf(&b, "DELETE FROM taxii_objects"));
    YG_TRY(where_q(&b, q));
    YG_TRY(yg_buf_addc(&b, 0));
    YG_TRY(yg__taxii_store_begin(st));
    if (sqlite3_prepare_v2(st->db, b.p, -1, &s, NULL) != SQLITE_OK) {
        err = dberr(st, "preparing a deletion");
        goto done;
    }
    (void)bind_q(s, q);
    if (sqlite3_step(s) != SQLITE_DONE) {
        err = dberr(st, "deleting objects");
        goto done;
    }
    *n = (uint64_t)sqlite3_changes(st->db);
    for (size_t k = 0; k < q->nids; k++)
        YG_TRY(fix_flags(st, q->coll, q->ids[k]));
    YG_TRY(yg__taxii_store_commit(st));
done:
    if (err)
        yg__taxii_store_rollback(st);
    sqlite3_finalize(s);
    yg_buf_free(&b);
    return err;
}

/* ---- status resources ------------------------------------------------------ */

yg_err yg__taxii_store_status_put(struct yg_taxii_store *st, const char *id, const char *root,
                                  const char *user, const char *json)
{
    sqlite3_stmt *s = NULL;
    yg_err err = YG_OK;
    int64_t now = yg__taxii_now_us();
    YG_TRY(prep(st, "DELETE FROM taxii_status WHERE created < ?", &s));
    sqlite3_bind_int64(s, 1, now - (int64_t)YG_TAXII_STATUS_KEEP_MS * 1000);
    if (sqlite3_step(s) != SQLITE_DONE) {
        err = dberr(st, "expiring status resources");
        goto done;
    }
    sqlite3_finalize(s);
    s = NULL;
    YG_TRY(prep(st,
                "INSERT OR REPLACE INTO taxii_status(id, root, user, created, json)"
                " VALUES(?, ?, ?, ?, ?)",
                &s));
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, root, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_text(s, 5, json, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        err = dberr(st, "storing a status resource");
done:
    sqlite3_finalize(s);
    return err;
}

yg_err yg__taxii_store_status_get(struct yg_taxii_store *st, const char *id, const char *root,
                                  const char *user, char **json)
{
    sqlite3_stmt *s = NULL;
    yg_err err = YG_OK;
    *json = NULL;
    YG_TRY(prep(
        st, "SELECT json FROM taxii_status WHERE id=? AND root=? AND user=? AND created >= ?", &s));
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, root, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, yg__taxii_now_us() - (int64_t)YG_TAXII_STATUS_KEEP_MS * 1000);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(s, 0);
        *json = t ? yg_strndup(t, strlen(t)) : NULL;
        if (!*json)
            err = YG_ENOMEM;
    } else if (rc == SQLITE_DONE) {
        err = YG_ENOTFOUND;
    } else {
        err = dberr(st, "reading a status resource");
    }
done:
    sqlite3_finalize(s);
    return err;
}
