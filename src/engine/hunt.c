/*
 * hunt.c - the `yagura hunt` driver (see hunt.h).
 *
 * Work is cut into units: a whole file, or a slice of a large JSON-lines
 * file cut at a line that starts a document.  Worker threads take units
 * from a queue and render their alerts into a per-unit buffer.  Line numbers
 * and document ordinals are only known relative to the unit while it runs,
 * so the worker records where they go ("patches") and the writer, which
 * emits units strictly in order, adds the unit's base when writing.  The
 * output is therefore byte-identical whatever the thread count.
 */
#include "engine/hunt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/core.h"
#include "core/htab.h"
#include "core/timeparse.h"
#include "core/utf8.h"
#include "correlate/correlate.h"
#include "decode/evtx.h"
#include "detector/corr_json.h"
#include "detector/detector.h"
#include "decode/format.h"
#include "detector/alertjson.h"
#include "engine/coverage.h"
#include "detector/linedec.h"
#include "engine/profile.h"
#include "engine/sort.h"
#include "incident/incident.h"
#include "match/program.h"

#define CHUNK_BYTES (8u << 20)
#define STREAM_WINDOW (4u << 20)

enum unit_kind { U_MMAP_TEXT, U_EVTX, U_STREAM };
enum patch_kind { P_LINE, P_INDEX };

struct patch {
    size_t off;
    uint64_t rel;
    uint8_t kind;
};

struct unit {
    uint64_t seq;
    const char *file;
    enum unit_kind kind;
    const char *buf; /* mmap'd text/EVTX region */
    size_t len;
    bool file_start;              /* region starts at the start of the file */
    const struct yg_linefmt *fmt; /* line format of the file, NULL: JSON */
    char *owned;                  /* converted text (UTF-16 input) to free with the unit */
    bool last_of_file;
    void *map; /* mapping to unmap after the last unit of the file */
    size_t map_len;
    int fd; /* U_STREAM: the opened file, taken by run_stream; -1 if none */
    /* results */
    struct yg_buf out, diag;
    struct yg_buf tap; /* opts->tap: every alert as a JSON line with its event */
    /* opts->incident_hook: per alert, a struct irec (its JSON line in tap) */
    struct yg_buf irecs;
    struct patch *tpat;
    size_t ntpat, tpatcap;
    struct patch *pat, *dpat;
    size_t npat, patcap, ndpat, dpatcap;
    uint64_t lines, docs, alerts, errors, bytes;
    uint64_t by_level[6];
    uint32_t *rule_hits;    /* per rule index, allocated on the first alert */
    struct yg_buf cev;      /* struct cev records of detections correlations use */
    struct yg_arena carena; /* their strings */
    /* --sort time: where each alert starts in `out`, and its time (struct skey) */
    struct yg_buf skeys;
    bool done;
    bool fatal;
    struct unit *next;
    /* Progress inside the unit while a worker reads it (bytes of a mapped
     * unit, events), for the progress line; relaxed, only ever shown. */
    _Atomic size_t prog_bytes;
    _Atomic uint64_t prog_docs;
    /* The analyst summary: events with at least one alert shown, alerts per
     * computer and per log source by level. */
    uint64_t hit_events;
    struct yg_tally hosts, lsrc;
};

struct hunt {
    struct yg_buf ijson; /* an alert's JSON line for the incident hook */
    /* units not written (an error stopped the hunt): units_left[units_from,
     * units_n) */
    struct unit **units_left;
    size_t units_from, units_n;
    struct yg_detector *det; /* the rules, GeoIP and the correlation state */
    yg_rules *rules;
    const struct yg_hunt_opts *o;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_done;
    struct unit *qhead, *qtail; /* waiting for a worker */
    size_t inflight;
    bool closing;
    bool stop; /* strict mode hit an error */
    uint64_t bytes_total, bytes_done, events_done, alerts_done;
    size_t nrules;
    uint64_t *rule_hits; /* totals per rule, for the summary */
    uint64_t *re_limit;  /* per rule: evaluations a regex limit left undecided */
    uint64_t re_limit_total;
    /* Correlation: every detection a correlation uses, collected over all
     * inputs, then replayed in event-time order at the end. */
    const struct yg_corr_set *corr;
    struct cev **cevs;
    size_t ncev, cevcap;
    uint64_t cev_seq;
    uint64_t corr_untimed;   /* detections without a usable event time */
    struct yg_arena *arenas; /* units' evidence arenas, kept to the end */
    size_t narenas;
    struct yg_coverage cov; /* events per log source, from every worker */
    struct yg_tally hosts, lsrc;
    int64_t first_ms, last_ms; /* event time range, from every worker */
    bool have_range;
    struct yg_sorter *sorter; /* --sort time */
    struct yg_buf sbuf;       /* one unit's alerts with their numbers, for the sorter */
    yg_err sort_err;          /* the sorted output could not be made: the hunt fails */
};

/* An alert of a unit's output under --sort time. */
struct skey {
    size_t off;  /* where it starts in the unit's `out` */
    int64_t key; /* its event time; untimed alerts last */
};

/* A detection that feeds correlation, with its evidence. */
struct cev {
    uint32_t rule;
    int64_t t_ms;
    uint64_t seq; /* input order, to keep equal times stable */
    const char *file;
    uint64_t line, index, record; /* relative to the unit until finish_unit */
    char *timestamp;
    uint32_t nvalues;
    struct yg_str values[];
};

/* ---- per-unit output helpers --------------------------------------- */

static yg_err add_patch(struct patch **p, size_t *n, size_t *cap, size_t off, uint64_t rel,
                        uint8_t kind)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct patch *np = yg_realloc(*p, nc * sizeof *np);
        if (!np)
            return YG_ENOMEM;
        *p = np;
        *cap = nc;
    }
    (*p)[(*n)++] = (struct patch){off, rel, kind};
    return YG_OK;
}

struct ctx {
    uint64_t hit_mark; /* rel_index + 1 of the last event counted with a hit */
    struct hunt *h;
    struct unit *u;
    yg_scanner *s;
    const char *doc;
    size_t doclen;
    uint64_t rel_line, rel_index;
    uint64_t record; /* EVTX record id, 0 if none */
    struct yg_buf tmp;
    struct yg_linedec ld; /* line formats: per-format state and scratch */
    struct yg_cols cols;  /* the alert's columns (profile.c) */
    int64_t ref_ms;       /* places year-less times: the file's modification time */
    bool ref_set;
    /* The line format of the last text line among JSON records (a relay
     * writing one source's lines between another's JSON records). */
    const struct yg_linefmt *text_fmt;
    /* The tally label of the last alert's log source, kept with the
     * source's JSON: most alerts in a row share a source. */
    char lbl_src[256], lbl[256];
};

/* Keep what a correlation needs of this detection: its event time and the
 * values of the fields the correlations group and aggregate by. */
static yg_err capture_cev(struct ctx *c, const yg_alert *a, const struct yg_alert_time *t,
                          const struct yg_corr_set *cs)
{
    struct unit *u = c->u;
    size_t nf = yg__corr_nfields(cs, a->rule_index);
    struct cev *e = yg_arena_alloc(&u->carena, sizeof *e + nf * sizeof(struct yg_str));
    if (!e)
        return YG_ENOMEM;
    e->rule = a->rule_index;
    e->file = u->file;
    e->line = c->rel_line;
    e->index = c->rel_index;
    e->record = c->record;
    e->seq = 0;
    e->nvalues = (uint32_t)nf;
    /* The same time as the alert's: zone and year placed the same way. */
    e->timestamp = yg_arena_strndup(&u->carena, t->text, t->n);
    if (!e->timestamp)
        return YG_ENOMEM;
    e->t_ms = t->timed ? t->ms : INT64_MIN;
    for (size_t k = 0; k < nf; k++) {
        const char *v;
        size_t vn;
        e->values[k] = (struct yg_str){NULL, 0};
        if (yg_scanner_field(c->s, yg__corr_field(cs, a->rule_index, k), &v, &vn)) {
            char *copy = yg_arena_strndup(&u->carena, v, vn);
            if (!copy)
                return YG_ENOMEM;
            e->values[k] = (struct yg_str){copy, vn};
        }
    }
    return yg_buf_add(&u->cev, &e, sizeof e);
}

/* An alert for the incident builder, kept until the writer knows its line
 * and document numbers: its JSON line is tap[json_from, json_to) with the
 * patches tpat[tpat_from, tpat_to); its strings are in the unit's arena. */
struct irec {
    size_t json_from, json_to, tpat_from, tpat_to;
    const char *rule_id, *rule_title, *level;
    const char *logsource, *matched, *event, *extra;
    size_t logsource_len, matched_len, event_len, extra_len;
    bool timed;
    int64_t t_ms;
    uint64_t rel_line, rel_index;
};

static const char *carena_dup(struct unit *u, const char *p, size_t n, bool *oom)
{
    if (!p)
        return NULL;
    const char *c = yg_arena_strndup(&u->carena, p, n);
    *oom |= !c;
    return c;
}

/* Keep what the incident builder needs of an alert whose JSON line was just
 * rendered into tap (from json_from, patches from tpat_from). */
static yg_err capture_irec(struct ctx *c, const yg_alert *a, const struct yg_alert_time *t,
                           size_t json_from, size_t tpat_from)
{
    struct unit *u = c->u;
    bool oom = false;
    size_t lsn = a->logsource_json ? strlen(a->logsource_json) : 0;
    struct irec r = {json_from,
                     u->tap.n,
                     tpat_from,
                     u->ntpat,
                     carena_dup(u, a->rule_id, strlen(a->rule_id), &oom),
                     carena_dup(u, a->rule_title, strlen(a->rule_title), &oom),
                     carena_dup(u, a->level, strlen(a->level), &oom),
                     carena_dup(u, a->logsource_json, lsn, &oom),
                     carena_dup(u, a->matched_json, a->matched_len, &oom),
                     carena_dup(u, a->event, a->event_len, &oom),
                     carena_dup(u, a->extra_json, a->extra_len, &oom),
                     lsn,
                     a->matched_len,
                     a->event_len,
                     a->extra_len,
                     t->timed,
                     t->ms,
                     c->rel_line,
                     c->rel_index};
    return oom ? YG_ENOMEM : yg_buf_add(&u->irecs, &r, sizeof r);
}

/* The analyst summary's counts of one alert shown. */
static void tally_alert(struct ctx *c, const yg_alert *a)
{
    struct unit *u = c->u;
    if (c->hit_mark != c->rel_index + 1) {
        c->hit_mark = c->rel_index + 1;
        u->hit_events++;
    }
    const char *hn;
    size_t hl;
    if (a->event && yg__event_host(a->event, a->event_len, &hn, &hl))
        yg__tally_add(&u->hosts, hn, hl, a->level_num, 1);
    else
        yg__tally_add(&u->hosts, "(no host field)", 15, a->level_num, 1);
    const char *ls = a->logsource_json ? a->logsource_json : "{}";
    if (strcmp(ls, c->lbl_src) != 0) {
        yg__cov_label(ls, c->lbl, sizeof c->lbl);
        /* A source too long to keep is labelled again next time. */
        snprintf(c->lbl_src, sizeof c->lbl_src, "%s", strlen(ls) < sizeof c->lbl_src ? ls : "");
    }
    yg__tally_add(&u->lsrc, c->lbl, strlen(c->lbl), a->level_num, 1);
}

/* profile.c's `mark`: the line or index number goes here, patched in by
 * the writer. */
static yg_err mark_out(void *ud, struct yg_buf *b, int kind)
{
    struct ctx *c = ud;
    struct unit *u = c->u;
    return add_patch(&u->pat, &u->npat, &u->patcap, b->n, kind ? c->rel_index : c->rel_line,
                     kind ? P_INDEX : P_LINE);
}

static yg_err mark_tap(void *ud, struct yg_buf *b, int kind)
{
    struct ctx *c = ud;
    struct unit *u = c->u;
    return add_patch(&u->tpat, &u->ntpat, &u->tpatcap, b->n, kind ? c->rel_index : c->rel_line,
                     kind ? P_INDEX : P_LINE);
}

/* The reference time of year-less timestamps: the file's modification time
 * (logs are read after they are written), or now for standard input. */
static int64_t ref_time(struct ctx *c)
{
    if (!c->ref_set) {
        struct stat st;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        c->ref_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        if (strcmp(c->u->file, "-") != 0 && stat(c->u->file, &st) == 0)
            c->ref_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
        c->ref_set = true;
    }
    return c->ref_ms;
}

static int on_alert(void *ud, const yg_alert *a)
{
    struct ctx *c = ud;
    struct unit *u = c->u;
    struct yg_buf *b = &u->out;
    const struct yg_hunt_opts *o = c->h->o;
    yg_err err = YG_OK;
    const struct yg_corr_set *cs = c->h->corr;
    struct yg_alert_time t;
    yg__alert_time(a, o->tz, ref_time(c), &t);
    if (cs && yg__corr_references(cs, a->rule_index)) {
        if (capture_cev(c, a, &t, cs)) {
            u->fatal = true;
            return 1;
        }
        /* A rule a correlation uses reports only through the correlation,
         * unless a correlation asks for `generate: true`. */
        if (yg__corr_suppress(cs, a->rule_index))
            return 0;
    }
    /* --min-level filters what is shown, never what correlations count. */
    if (a->level_num < (int)o->min_level)
        return 0;
    if ((o->has_from || o->has_to) &&
        (!t.timed || (o->has_from && t.ms < o->from_ms) || (o->has_to && t.ms > o->to_ms)))
        return 0;
    if (o->alert_hook) {
        o->alert_hook(o->hook_ud, a, &t, u->file);
        if (o->hook_only) {
            u->alerts++;
            return 0;
        }
    }
    u->alerts++;
    tally_alert(c, a);
    if (a->level_num >= 0 && a->level_num < 6)
        u->by_level[a->level_num]++;
    if (!u->rule_hits && c->h->nrules)
        u->rule_hits = yg_calloc(c->h->nrules, sizeof *u->rule_hits);
    if (u->rule_hits && a->rule_index < c->h->nrules)
        u->rule_hits[a->rule_index]++;
    struct yg_alert_src src = {u->file, c->record, mark_out, c, &t, false, NULL};
    if (o->tap || o->incident_hook) {
        struct yg_alert_src tsrc = src;
        tsrc.mark = mark_tap;
        size_t json_from = u->tap.n, tpat_from = u->ntpat;
        YG_TRY(yg__profile_alert(&u->tap, YG_OUT_JSONL, YG_PROFILE_STANDARD, true, a, &tsrc,
                                 &c->cols));
        if (o->incident_hook)
            YG_TRY(capture_irec(c, a, &t, json_from, tpat_from));
    }
    if (o->sort_time) {
        struct skey k = {b->n, t.timed ? t.ms : INT64_MAX};
        YG_TRY(yg_buf_add(&u->skeys, &k, sizeof k));
    }
    YG_TRY(yg__profile_alert(b, o->format, o->profile, o->include_event, a, &src, &c->cols));
done:
    if (err)
        u->fatal = true;
    return err ? 1 : 0;
}

/* `yagura decode`: the event as the rules see it. */
static void emit_decoded(struct ctx *c, const char *ls_json, const char *fields, size_t fn)
{
    struct unit *u = c->u;
    struct yg_buf *b = &u->out;
    yg_err err = YG_OK;
    YG_TRY(yg_buf_add(b, "{\"logsource\":", 13));
    YG_TRY(yg_buf_add(b, ls_json, strlen(ls_json)));
    YG_TRY(yg_buf_add(b, ",\"fields\":", 10));
    YG_TRY(yg__json_compact(b, fields, fn));
    YG_TRY(yg_buf_add(b, ",\"source\":", 10));
    /* "file:line" with the line patched in by the writer. */
    YG_TRY(yg_buf_addc(b, '"'));
    {
        size_t start = b->n;
        YG_TRY(yg_buf_add_json_str(b, u->file, strlen(u->file)));
        /* Drop the quotes yg_buf_add_json_str added around the name. */
        memmove(b->p + start, b->p + start + 1, b->n - start - 2);
        b->n -= 2;
    }
    YG_TRY(yg_buf_addc(b, ':'));
    if (c->record)
        YG_TRY(yg_buf_addf(b, "record %llu", (unsigned long long)c->record));
    else
        YG_TRY(add_patch(&u->pat, &u->npat, &u->patcap, b->n, c->rel_line, P_LINE));
    YG_TRY(yg_buf_add(b, "\"}\n", 3));
done:
    if (err)
        u->fatal = true;
}

/* `yagura decode` of a record holding several events: each as it is scanned. */
static void decoded_record(void *ud, yg_scanner *s, const char *p, size_t n)
{
    struct ctx *c = ud;
    emit_decoded(c, yg_scanner_logsource_json(s), p, n);
}

static void unit_diag(struct ctx *c, uint64_t rel_line, unsigned col, const char *what)
{
    struct unit *u = c->u;
    u->errors++;
    if (yg_buf_addf(&u->diag, "%s:", u->file) ||
        add_patch(&u->dpat, &u->ndpat, &u->dpatcap, u->diag.n, rel_line, P_LINE) ||
        yg_buf_addf(&u->diag, ":%u: %s\n", col, what))
        u->fatal = true;
    if (c->h->o->strict)
        c->h->stop = true;
}

/* ---- text framing ----------------------------------------------------- */

static uint64_t count_nl(const char *p, size_t n)
{
    uint64_t k = 0;
    const char *e = p + n;
    while ((p = memchr(p, '\n', (size_t)(e - p)))) {
        k++;
        p++;
    }
    return k;
}

static size_t skip_ws(const char *b, size_t i, size_t n, uint64_t *line)
{
    while (i < n) {
        char ch = b[i];
        if (ch == '\n')
            (*line)++;
        else if (ch != ' ' && ch != '\t' && ch != '\r')
            break;
        i++;
    }
    return i;
}

static unsigned col_of(const char *b, size_t at)
{
    size_t i = at;
    while (i > 0 && b[i - 1] != '\n')
        i--;
    return (unsigned)(at - i + 1);
}

static void decode_line(struct ctx *c, const struct yg_linefmt *fixed, bool may_switch,
                        const char *p, size_t n, uint64_t rel_line);

/* A text line among JSON records (a FortiGate or syslog line relayed into
 * the same file): decoded by the line format that claims it, so it is not
 * lost as "invalid JSON".  A line no format claims on its own (a FortiGate
 * event without the traffic keys the sniffer looks for) takes the format of
 * the text line before it, as every line of a file of that format does.
 * Returns the bytes consumed (the line without its newline), 0 when the data
 * at b[pos] is not such a line. */
static size_t text_line_doc(struct ctx *c, const char *b, size_t pos, size_t n, uint64_t line,
                            bool *need_more, bool eof)
{
    if (c->h->o->input_format || b[pos] == '{' || b[pos] == '[')
        return 0;
    const char *nl = memchr(b + pos, '\n', n - pos);
    if (!nl && !eof) {
        *need_more = true;
        return 0;
    }
    size_t l = nl ? (size_t)(nl - (b + pos)) : n - pos;
    const struct yg_linefmt *f = yg__sniff_line(b + pos, l, NULL);
    if (f && f->json_records)
        return 0;
    if (!f && !(f = c->text_fmt))
        return 0;
    c->text_fmt = f;
    decode_line(c, f, false, b + pos, l, line);
    c->doclen = l;
    return l;
}

/* Run one document at b[pos..n). Returns the bytes consumed, or 0 on error
 * (reported). */
static size_t one_doc(struct ctx *c, const char *b, size_t pos, size_t n, uint64_t *line,
                      bool *need_more, bool eof)
{
    size_t used = 0;
    c->doc = b + pos;
    c->rel_line = *line;
    c->rel_index = c->u->docs;
    if ((used = text_line_doc(c, b, pos, n, *line, need_more, eof)) || *need_more)
        return used;
    /* Each record is routed on its own: a Microsoft 365 record between
     * Sysmon events reaches the Microsoft 365 rules, whatever came first. */
    const struct yg_linefmt *claim =
        c->h->o->input_format ? NULL : yg__route_json(&c->ld, b + pos, n - pos);
    if (claim) {
        size_t end = yg__json_object_end(b + pos, n - pos);
        if (!end && !eof) {
            *need_more = true;
            return 0;
        }
        if (!end) {
            unit_diag(c, *line, col_of(b, pos),
                      "invalid JSON: object not closed at end of input; document skipped");
            return 0;
        }
        decode_line(c, claim, false, b + pos, end, *line);
        c->doclen = end;
        *line += count_nl(b + pos, end);
        return end;
    }
    yg_err e = yg_scanner_scan_json_prefix(c->s, b + pos, n - pos, &used, on_alert, c);
    if (e == YG_ESYNTAX && !eof && pos + used >= n) {
        *need_more = true;
        return 0;
    }
    if (e) {
        size_t off;
        const char *msg = yg_scanner_last_error(c->s, &off);
        char what[384];
        snprintf(what, sizeof what, "invalid JSON: %s; document skipped", msg);
        size_t at = pos + off < n ? pos + off : n;
        uint64_t l = *line + count_nl(b + pos, at - pos);
        unit_diag(c, l, col_of(b, at), what);
        return 0;
    }
    c->doclen = used;
    if (c->h->o->decode_only)
        emit_decoded(c, yg_scanner_logsource_json(c->s), b + pos, used);
    c->u->docs++;
    *line += count_nl(b + pos, used);
    return used;
}

/* Frame a text region.  refill (may be NULL) appends more data to the
 * window; returns false at end of input. */
struct window {
    struct yg_buf buf;
    size_t pos;
    bool eof;
    bool (*refill)(void *src, struct yg_buf *b, struct ctx *c);
    void *src;
};

/* Progress within a large file: mapped units report their position, every
 * unit its events. */
static inline void note_progress(struct ctx *c, const struct window *w)
{
    if (!w->refill)
        atomic_store_explicit(&c->u->prog_bytes, w->pos, memory_order_relaxed);
    atomic_store_explicit(&c->u->prog_docs, c->u->docs, memory_order_relaxed);
}

/* Move the unread bytes of a window to its front and append more. */
static void window_more(struct window *w, struct ctx *c)
{
    if (w->pos) {
        memmove(w->buf.p, w->buf.p + w->pos, w->buf.n - w->pos);
        w->buf.n -= w->pos;
        w->pos = 0;
    }
    if (!w->refill(w->src, &w->buf, c))
        w->eof = true;
}

/* One event size limit for every reader (a mapped file, a gzip or zstd
 * stream, standard input): a document or line over YG_MAX_EVENT_BYTES is
 * reported once, at the line where it starts, and skipped whole. */
static void over_limit(struct ctx *c, uint64_t line, unsigned col, const char *what,
                       const char *then)
{
    char m[200];
    snprintf(m, sizeof m, "%s longer than the event size limit (%u MiB); %s", what,
             YG_MAX_EVENT_BYTES >> 20, then);
    unit_diag(c, line, col, m);
}

static void frame_text(struct ctx *c, struct window *w, bool file_start)
{
    uint64_t line = 0;
    bool array = false, in_array = false;
    bool skipping = false; /* past an oversize document, up to the next one */
    const char *b;
    size_t n;
    for (;;) {
        if (c->h->stop)
            return;
        /* Keep at least a window's worth of data ahead of pos. */
        if (w->refill && !w->eof && w->buf.n - w->pos < STREAM_WINDOW)
            window_more(w, c);
        b = w->buf.p;
        n = w->buf.n;
        if (file_start) {
            file_start = false;
            if (n - w->pos >= 3 && memcmp(b + w->pos, "\xEF\xBB\xBF", 3) == 0)
                w->pos += 3;
            size_t i = skip_ws(b, w->pos, n, &line);
            if (i < n && b[i] == '[') {
                array = in_array = true;
                w->pos = i + 1;
            }
        }
        if (skipping) {
            /* Resume at the next line that starts a document, as after a
             * malformed one; keep a last '\n' that may precede its '{'. */
            bool end = w->eof || !w->refill;
            const char *nx = w->pos < n ? memmem(b + w->pos, n - w->pos, "\n{", 2) : NULL;
            size_t to = nx ? (size_t)(nx - b) + 1 : end || w->pos >= n ? n : n - 1;
            line += count_nl(b + w->pos, to - w->pos);
            w->pos = to;
            if (nx)
                skipping = false;
            else if (end)
                return;
            else
                window_more(w, c);
            continue;
        }
        size_t pos = skip_ws(b, w->pos, n, &line);
        if (array && in_array) {
            if (pos < n && b[pos] == ']') {
                in_array = false;
                w->pos = pos + 1;
                continue;
            }
            if (pos < n && b[pos] == ',' && c->u->docs > 0) {
                pos = skip_ws(b, pos + 1, n, &line);
            }
        }
        if (pos >= n) {
            w->pos = pos;
            if (w->eof || !w->refill) {
                if (in_array)
                    unit_diag(c, line, 1, "JSON array not closed with ']' at end of file");
                return;
            }
            continue;
        }
        if (array && !in_array) {
            unit_diag(c, line, col_of(b, pos),
                      "unexpected data after the closing ']'; rest of file skipped");
            return;
        }
        bool need_more = false;
        uint64_t l0 = line;
        /* The scanner sees at most the limit of a document, mapped or
         * streamed alike: one that does not end within it is oversize. */
        size_t lim = n - pos > YG_MAX_EVENT_BYTES ? pos + YG_MAX_EVENT_BYTES : n;
        size_t used =
            one_doc(c, b, pos, lim, &line, &need_more, lim == n && (w->eof || !w->refill));
        if (need_more) {
            line = l0;
            w->pos = pos;
            if (lim < n) {
                if (array) {
                    over_limit(c, line, col_of(b, pos), "document",
                               "rest of the JSON array skipped");
                    return;
                }
                over_limit(c, line, col_of(b, pos), "document", "skipped");
                w->pos = pos + 1;
                skipping = true;
                continue;
            }
            window_more(w, c);
            continue;
        }
        if (used) {
            w->pos = pos + used;
            note_progress(c, w);
            continue;
        }
        /* Bad document: skip to the next line that starts a document. */
        if (array) {
            unit_diag(c, line, 1, "rest of the JSON array skipped after the error");
            return;
        }
        const char *nx = memmem(b + pos, n - pos, "\n{", 2);
        size_t next = nx ? (size_t)(nx - b) + 1 : n;
        line += count_nl(b + pos, next - pos);
        w->pos = next;
    }
}

/* ---- line formats ------------------------------------------------------ */

/* The format forced by --input-format: NULL and *json for "json". */
static const struct yg_linefmt *forced_format(const struct yg_hunt_opts *o, bool *json)
{
    *json = o->input_format && strcmp(o->input_format, "json") == 0;
    return o->input_format && !*json ? yg__format_find(o->input_format) : NULL;
}

static void decode_line(struct ctx *c, const struct yg_linefmt *fixed, bool may_switch,
                        const char *p, size_t n, uint64_t rel_line)
{
    struct yg_line_result r;
    c->rel_line = rel_line;
    c->rel_index = c->u->docs;
    yg__linedec_scan(&c->ld, c->s, fixed, may_switch, p, n, on_alert, c, &r);
    if (r.err == YG_EOF)
        return;
    if (r.err != YG_OK) {
        char what[320];
        if (!r.fmt)
            snprintf(what, sizeof what,
                     "unrecognised log format; line skipped (--input-format "
                     "names one)");
        else if (r.err == YG_ECORRUPT)
            snprintf(what, sizeof what, "%s decoder produced invalid JSON (%s); line skipped",
                     r.fmt->name, r.de.msg ? r.de.msg : "");
        else
            snprintf(what, sizeof what, "%s: %s; line skipped", r.fmt->name,
                     r.de.msg ? r.de.msg : yg_strerror(r.err));
        unit_diag(c, rel_line, (unsigned)(r.de.col ? r.de.col : 1), what);
        return;
    }
    if (c->h->o->decode_only && !r.fmt->record_logsrc)
        emit_decoded(c, yg_scanner_logsource_json(c->s), r.fields, r.fields_len);
    c->u->docs++;
}

/* Frame a text window line by line with a line format. */
static void frame_lines(struct ctx *c, struct window *w, const struct yg_linefmt *fmt,
                        bool auto_fmt)
{
    uint64_t line = 0;
    bool skip_line = false; /* in the rest of a line over the limit */
    if (w->buf.n - w->pos >= 3 && memcmp(w->buf.p + w->pos, "\xEF\xBB\xBF", 3) == 0)
        w->pos += 3;
    for (;;) {
        if (c->h->stop)
            return;
        if (w->refill && !w->eof && w->buf.n - w->pos < STREAM_WINDOW)
            window_more(w, c);
        const char *b = w->buf.p;
        size_t n = w->buf.n;
        if (w->pos >= n) {
            if (w->eof || !w->refill)
                return;
            continue;
        }
        const char *nl = memchr(b + w->pos, '\n', n - w->pos);
        if (skip_line) {
            /* Drop the rest of a line already reported, across windows. */
            w->pos = nl ? (size_t)(nl - b) + 1 : n;
            if (nl) {
                line++;
                skip_line = false;
            }
            continue;
        }
        if (!nl && !(w->eof || !w->refill)) {
            /* Over the limit with no line end yet: oversize whatever comes
             * next (unless a final '\r' turns out to end the line). */
            if (n - w->pos - (b[n - 1] == '\r') > YG_MAX_EVENT_BYTES) {
                over_limit(c, line, 1, "line", "skipped");
                skip_line = true;
                w->pos = n;
                continue;
            }
            window_more(w, c);
            continue;
        }
        size_t end = nl ? (size_t)(nl - b) : n;
        size_t len = end - w->pos;
        const char *p = b + w->pos;
        if (len && p[len - 1] == '\r')
            len--;
        if (len > YG_MAX_EVENT_BYTES)
            over_limit(c, line, 1, "line", "skipped");
        else if (len)
            decode_line(c, fmt, auto_fmt, p, len, line);
        w->pos = nl ? end + 1 : n;
        line++;
        note_progress(c, w);
    }
}

/* ---- EVTX ---------------------------------------------------------------- */

static void evtx_rec(void *ud, uint64_t record_id, const char *json, size_t len)
{
    struct ctx *c = ud;
    if (c->h->stop)
        return;
    c->record = record_id;
    c->doc = json;
    c->doclen = len;
    c->rel_line = 0;
    c->rel_index = c->u->docs;
    size_t used;
    yg_err e = yg_scanner_scan_json_prefix(c->s, json, len, &used, on_alert, c);
    if (!e && c->h->o->decode_only)
        emit_decoded(c, yg_scanner_logsource_json(c->s), json, len);
    if (e) {
        char what[384];
        snprintf(what, sizeof what, "EVTX record %llu: rendering not valid JSON (%s)",
                 (unsigned long long)record_id, yg_scanner_last_error(c->s, NULL));
        unit_diag(c, 0, 0, what);
    }
    c->u->docs++;
    c->record = 0;
}

static void evtx_diag(void *ud, uint64_t offset, const char *what)
{
    struct ctx *c = ud;
    char msg[384];
    snprintf(msg, sizeof msg, "EVTX at byte offset %llu: %s", (unsigned long long)offset, what);
    unit_diag(c, 0, 0, msg);
}

/* ---- streams: stdin, gzip, zstd ------------------------------------- */

struct stream {
    int fd;
    int kind; /* 0 plain, 1 gzip, 2 zstd */
    z_stream z;
    ZSTD_DStream *zs;
    unsigned char in[1 << 16];
    size_t in_n, in_pos;
    bool in_eof, done;
    uint64_t out_total;
};

static bool fill_in(struct stream *st)
{
    if (st->in_pos < st->in_n || st->in_eof)
        return st->in_pos < st->in_n;
    ssize_t r;
    do
        r = read(st->fd, st->in, sizeof st->in);
    while (r < 0 && errno == EINTR);
    if (r <= 0) {
        st->in_eof = true;
        return false;
    }
    st->in_n = (size_t)r;
    st->in_pos = 0;
    return true;
}

/* Append up to STREAM_WINDOW decoded bytes; false at end. */
static bool stream_refill(void *src, struct yg_buf *b, struct ctx *c)
{
    struct stream *st = src;
    if (st->done)
        return false;
    if (yg_buf_reserve(b, STREAM_WINDOW)) {
        unit_diag(c, 0, 0, "out of memory reading a stream");
        st->done = true;
        return false;
    }
    size_t want = STREAM_WINDOW, got = 0;
    while (got < want && !st->done) {
        if (!fill_in(st)) {
            if (st->kind == 1 && st->z.total_in && st->z.avail_in == 0 && got == 0 &&
                st->out_total == 0)
                unit_diag(c, 0, 0, "gzip stream truncated");
            st->done = true;
            break;
        }
        unsigned char *out = (unsigned char *)b->p + b->n + got;
        size_t room = want - got;
        if (st->kind == 0) {
            size_t k = st->in_n - st->in_pos < room ? st->in_n - st->in_pos : room;
            memcpy(out, st->in + st->in_pos, k);
            st->in_pos += k;
            got += k;
        } else if (st->kind == 1) {
            st->z.next_in = st->in + st->in_pos;
            st->z.avail_in = (uInt)(st->in_n - st->in_pos);
            st->z.next_out = out;
            st->z.avail_out = (uInt)room;
            int r = inflate(&st->z, Z_NO_FLUSH);
            size_t produced = room - st->z.avail_out;
            st->in_pos = st->in_n - st->z.avail_in;
            got += produced;
            if (r == Z_STREAM_END) {
                /* Concatenated gzip members continue. */
                inflateReset(&st->z);
            } else if (r != Z_OK && r != Z_BUF_ERROR) {
                unit_diag(c, 0, 0, "corrupt gzip data; rest of file skipped");
                st->done = true;
            }
        } else {
            ZSTD_inBuffer ib = {st->in + st->in_pos, st->in_n - st->in_pos, 0};
            ZSTD_outBuffer ob = {out, room, 0};
            size_t r = ZSTD_decompressStream(st->zs, &ob, &ib);
            st->in_pos += ib.pos;
            got += ob.pos;
            if (ZSTD_isError(r)) {
                char m[200];
                snprintf(m, sizeof m, "corrupt zstd data (%s); rest of file skipped",
                         ZSTD_getErrorName(r));
                unit_diag(c, 0, 0, m);
                st->done = true;
            }
        }
    }
    b->n += got;
    st->out_total += got;
    c->u->bytes += got;
    if (st->out_total > YG_MAX_DECOMPRESSED_BYTES) {
        unit_diag(c, 0, 0, "decompressed size over the limit; rest of file skipped");
        st->done = true;
    }
    return got > 0 || !st->done;
}

static void run_stream(struct ctx *c)
{
    struct unit *u = c->u;
    struct stream *st = yg_calloc(1, sizeof *st);
    if (!st) {
        unit_diag(c, 0, 0, "out of memory");
        return;
    }
    st->fd = u->fd >= 0                  ? u->fd
             : strcmp(u->file, "-") == 0 ? 0
                                         : open(u->file, O_RDONLY | O_CLOEXEC);
    u->fd = -1;
    if (st->fd < 0) {
        char m[300];
        snprintf(m, sizeof m, "cannot open: %s", strerror(errno));
        unit_diag(c, 0, 0, m);
        yg_free(st);
        return;
    }
    fill_in(st);
    if (st->in_n >= 2 && st->in[0] == 0x1f && st->in[1] == 0x8b) {
        st->kind = 1;
        if (inflateInit2(&st->z, 32 + MAX_WBITS) != Z_OK)
            st->done = true;
    } else if (st->in_n >= 4 && memcmp(st->in, "\x28\xb5\x2f\xfd", 4) == 0) {
        st->kind = 2;
        st->zs = ZSTD_createDStream();
        if (!st->zs)
            st->done = true;
    }
    struct window w;
    memset(&w, 0, sizeof w);
    yg_buf_init(&w.buf, YG_MAX_EVENT_BYTES + 2 * STREAM_WINDOW);
    w.refill = stream_refill;
    w.src = st;
    /* A compressed EVTX file: decode it whole (EVTX needs random access). */
    if (!stream_refill(st, &w.buf, c))
        w.eof = true;
    if (w.buf.n >= 8 && memcmp(w.buf.p, "ElfFile", 8) == 0) {
        w.buf.toobig = (size_t)YG_MAX_EVTX_BYTES;
        while (!w.eof)
            if (!stream_refill(st, &w.buf, c))
                w.eof = true;
        yg_err e = yg_evtx_parse((const uint8_t *)w.buf.p, w.buf.n, evtx_rec, evtx_diag, c);
        if (e)
            unit_diag(c, 0, 0, "not a valid EVTX file");
    } else {
        bool json;
        const struct yg_linefmt *f = forced_format(c->h->o, &json);
        if (!f && !json)
            f = yg__detect_format(w.buf.p, w.buf.n, &json);
        if (f)
            frame_lines(c, &w, f, !c->h->o->input_format);
        else if (json)
            frame_text(c, &w, true);
        else
            unit_diag(c, 0, 1, "unrecognised log format; file skipped (--input-format names one)");
    }
    yg_buf_free(&w.buf);
    if (st->kind == 1)
        inflateEnd(&st->z);
    if (st->zs)
        ZSTD_freeDStream(st->zs);
    if (st->fd > 0)
        close(st->fd);
    yg_free(st);
}

/* ---- workers ------------------------------------------------------------- */

static void ctx_init(struct ctx *c, struct hunt *h, struct unit *u, yg_scanner *s)
{
    memset(c, 0, sizeof *c);
    c->h = h;
    c->u = u;
    c->s = s;
    yg__linedec_init(&c->ld);
    if (h->o->decode_only) {
        c->ld.on_record = decoded_record;
        c->ld.rec_ud = c;
    }
    yg__cols_init(&c->cols);
}

static void ctx_done(struct ctx *c)
{
    yg__linedec_free(&c->ld);
    yg__cols_free(&c->cols);
}

static void run_unit(struct hunt *h, yg_scanner *s, struct unit *u)
{
    struct ctx c;
    ctx_init(&c, h, u, s);
    if (u->kind == U_EVTX) {
        u->bytes = u->len;
        yg_err e = yg_evtx_parse((const uint8_t *)u->buf, u->len, evtx_rec, evtx_diag, &c);
        if (e)
            unit_diag(&c, 0, 0, "not a valid EVTX file");
    } else if (u->kind == U_MMAP_TEXT) {
        struct window w;
        memset(&w, 0, sizeof w);
        /* A view over the mapping: the buffer is never grown or freed. */
        w.buf.p = (char *)u->buf;
        w.buf.n = u->len;
        w.buf.cap = u->len;
        w.eof = true;
        w.refill = NULL;
        u->bytes = u->len;
        if (u->fmt)
            frame_lines(&c, &w, u->fmt, !h->o->input_format);
        else
            frame_text(&c, &w, u->file_start);
    } else {
        run_stream(&c);
    }
    ctx_done(&c);
}

/* The scanner's regex-limit counts into the hunt's totals. */
static void fold_regex_limits(struct hunt *h, const yg_scanner *s)
{
    size_t n;
    uint64_t total;
    const uint64_t *lim = yg__scanner_regex_limits(s, &n, &total);
    if (!total)
        return;
    pthread_mutex_lock(&h->mu);
    h->re_limit_total += total;
    for (size_t i = 0; lim && h->re_limit && i < n && i < h->nrules; i++)
        h->re_limit[i] += lim[i];
    pthread_mutex_unlock(&h->mu);
}

static void *worker(void *arg)
{
    struct hunt *h = arg;
    yg_scanner *s = NULL;
    if (yg_scanner_create(h->rules, &s) != YG_OK)
        s = NULL;
    if (s) {
        yg_scanner_set_eval(s, !h->o->decode_only);
        yg_scanner_set_logsource(s, h->o->product, h->o->service, h->o->category);
    }
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (!h->qhead && !h->closing)
            pthread_cond_wait(&h->cv_work, &h->mu);
        struct unit *u = h->qhead;
        if (!u) {
            pthread_mutex_unlock(&h->mu);
            break;
        }
        h->qhead = u->next;
        if (!h->qhead)
            h->qtail = NULL;
        pthread_mutex_unlock(&h->mu);
        if (s && !h->stop)
            run_unit(h, s, u);
        else if (!s)
            u->fatal = true;
        pthread_mutex_lock(&h->mu);
        u->done = true;
        h->bytes_done += u->bytes;
        h->events_done += u->docs;
        h->alerts_done += u->alerts;
        pthread_cond_broadcast(&h->cv_done);
        pthread_mutex_unlock(&h->mu);
    }
    fold_regex_limits(h, s);
    pthread_mutex_lock(&h->mu);
    yg__cov_add_scanner(&h->cov, s);
    int64_t f, l;
    if (s && yg_scanner_time_range(s, &f, &l)) {
        if (!h->have_range || f < h->first_ms)
            h->first_ms = f;
        if (!h->have_range || l > h->last_ms)
            h->last_ms = l;
        h->have_range = true;
    }
    pthread_mutex_unlock(&h->mu);
    yg_scanner_destroy(s);
    return NULL;
}

/* ---- input listing -------------------------------------------------------- */

struct flist {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static yg_err flist_add(struct flist *l, const char *p)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        char **nv = yg_realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return YG_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    if (!(l->v[l->n] = yg_strndup(p, strlen(p))))
        return YG_ENOMEM;
    l->n++;
    return YG_OK;
}

/* Files met in a folder that are rules, metadata or documentation rather
 * than logs (a data set's info.yml, README.md): skipped and counted, where a
 * file named on the command line is always read. */
static bool not_a_log(const char *name)
{
    static const char *const ext[] = {".yml", ".yaml", ".md"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++) {
        size_t k = strlen(ext[i]);
        if (n > k && strcasecmp(name + n - k, ext[i]) == 0)
            return true;
    }
    return false;
}

/* (device, inode) pairs already listed.  Symbolic links can reach a folder
 * again (a link to a parent loops forever) and a file can be named twice or
 * reached through a link or a second hard link: each real folder is walked
 * once and each real file read once, so no event is counted twice.  The
 * pairs are the keys of a core/htab.h table, kept in an arena because the
 * table does not copy its keys. */
struct idset {
    struct yg_htab t;
    struct yg_arena keys; /* zeroed until the first add */
};

struct devino {
    dev_t dev;
    ino_t ino;
};

/* Adds (dev, ino); *fresh tells whether it was new. */
static yg_err idset_add(struct idset *s, dev_t dev, ino_t ino, bool *fresh)
{
    struct devino k;
    memset(&k, 0, sizeof k); /* padding is part of the key's bytes */
    k.dev = dev;
    k.ino = ino;
    uint32_t v;
    if (yg__htab_get(&s->t, (const char *)&k, sizeof k, &v)) {
        *fresh = false;
        return YG_OK;
    }
    if (!s->keys.block_size)
        yg_arena_init(&s->keys, 4096, 0);
    struct devino *kept = yg_arena_alloc(&s->keys, sizeof k);
    if (!kept)
        return YG_ENOMEM;
    *kept = k;
    v = (uint32_t)s->t.n;
    return yg__htab_add(&s->t, (const char *)kept, sizeof *kept, &v, fresh);
}

static void idset_free(struct idset *s)
{
    yg__htab_free(&s->t);
    yg_arena_free(&s->keys);
}

struct walker {
    struct flist *l;
    struct idset dirs, files;
    bool stdin_listed;
    FILE *err;
    uint64_t *errors;
    uint64_t *skipped; /* .yml/.yaml/.md in folders */
    uint64_t *special; /* FIFOs, sockets, devices in folders */
    uint64_t *bytes;   /* sizes of the regular files, for the progress line */
};

static const char *file_type_name(mode_t m)
{
    return S_ISFIFO(m)   ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "not a regular file";
}

/* List path (depth 0: named on the command line) into w->l.  Files are only
 * listed here; each is opened and mapped when its turn comes (plan_file), so
 * a folder of any number of files costs one name each until then. */
static yg_err walk(struct walker *w, const char *path, unsigned depth)
{
    struct stat st;
    bool fresh;
    if (strcmp(path, "-") == 0) {
        if (w->stdin_listed)
            return YG_OK;
        w->stdin_listed = true;
        return flist_add(w->l, path);
    }
    if (stat(path, &st) != 0) {
        fprintf(w->err, "yagura: %s: %s\n", path, strerror(errno));
        (*w->errors)++;
        return YG_OK;
    }
    if (!S_ISDIR(st.st_mode)) {
        /* A FIFO, socket or device met in a folder is no log file: opening
         * a FIFO blocks until a writer comes, reading a device may never
         * end.  Named on the command line, a FIFO or character device is
         * read as a stream (`<(zcat x.gz)`, /dev/stdin). */
        bool stream = depth == 0 && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode));
        if (!S_ISREG(st.st_mode) && !stream) {
            fprintf(w->err, "yagura: %s: %s, not a regular file; skipped\n", path,
                    file_type_name(st.st_mode));
            (*w->special)++;
            return YG_OK;
        }
        if (idset_add(&w->files, st.st_dev, st.st_ino, &fresh))
            return YG_ENOMEM;
        if (!fresh) {
            fprintf(w->err, "yagura: %s: the same file as one listed before; read once\n", path);
            return YG_OK;
        }
        if (S_ISREG(st.st_mode))
            *w->bytes += (uint64_t)st.st_size;
        return flist_add(w->l, path);
    }
    if (idset_add(&w->dirs, st.st_dev, st.st_ino, &fresh))
        return YG_ENOMEM;
    if (!fresh) {
        fprintf(w->err,
                "yagura: %s: a folder already listed (a link back or named twice); read once\n",
                path);
        return YG_OK;
    }
    if (depth > 64) {
        fprintf(w->err, "yagura: %s: folders nested more than 64 deep; not read\n", path);
        (*w->errors)++;
        return YG_OK;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(w->err, "yagura: %s: %s\n", path, strerror(errno));
        (*w->errors)++;
        return YG_OK;
    }
    struct flist sub = {0};
    struct dirent *de;
    yg_err e = YG_OK;
    while (!e && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (de->d_type != DT_DIR && not_a_log(de->d_name)) {
            (*w->skipped)++;
            continue;
        }
        char *p = yg_malloc(strlen(path) + strlen(de->d_name) + 2);
        if (!p) {
            e = YG_ENOMEM;
            break;
        }
        sprintf(p, "%s/%s", path, de->d_name);
        e = flist_add(&sub, p);
        yg_free(p);
    }
    closedir(d);
    if (sub.n)
        qsort(sub.v, sub.n, sizeof *sub.v, cmp_str);
    for (size_t i = 0; i < sub.n; i++) {
        if (!e)
            e = walk(w, sub.v[i], depth + 1);
        yg_free(sub.v[i]);
    }
    yg_free(sub.v);
    return e;
}

/* ---- correlation replay ---------------------------------------------------- */

static int cev_cmp(const void *a, const void *b)
{
    const struct cev *x = *(struct cev *const *)a, *y = *(struct cev *const *)b;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct corr_out {
    struct hunt *h;
    struct yg_hunt_result *res;
    struct yg_buf b;
    struct yg_buf cj;  /* the correlation object */
    struct yg_buf aux; /* tags, group and details of the other profiles */
    struct yg_cols cols;
    bool tap_pass; /* rendering the JSON line for opts->tap */
};

/* A contributing detection of the hunt: its file, and its line (or EVTX
 * record) and document ordinal there. */
static void cev_ref(void *ud, const void *ev, struct yg_corr_evref *out)
{
    const struct corr_out *co = ud;
    const struct cev *e = ev;
    out->rule_id = yg_rules_rule_id(co->h->rules, e->rule);
    out->timestamp = e->timestamp;
    out->file = e->file;
    out->record = e->record;
    out->line = e->line;
    out->has_index = true;
    out->index = e->index;
}

/* A correlation alert in a profile other than the standard JSON: the
 * fields of an event alert, with the group as `matched` and the
 * correlation object as the event. */
static yg_err corr_profile(struct corr_out *co, const struct yg_corr_alert *a,
                           const struct yg_alert_time *t, enum yg_out_format fmt)
{
    const struct yg_rule *r = a->rule;
    const struct yg_hunt_opts *o = co->h->o;
    struct yg_buf *x = &co->aux;
    yg_err err = YG_OK;
    yg_buf_reset(x);
    /* tags, then the group object, then the details, one after another. */
    YG_TRY(yg_buf_addc(x, '['));
    for (size_t i = 0; i < r->ntags; i++) {
        if (i)
            YG_TRY(yg_buf_addc(x, ','));
        YG_TRY(yg_buf_add_json_str(x, r->tags[i], strlen(r->tags[i])));
    }
    YG_TRY(yg_buf_add(x, "]", 2)); /* with its NUL */
    size_t group_at = x->n;
    YG_TRY(yg_buf_addc(x, '{'));
    for (size_t i = 0; i < a->ngroup; i++) {
        if (i)
            YG_TRY(yg_buf_addc(x, ','));
        YG_TRY(yg_buf_add_json_str(x, a->group_names[i], strlen(a->group_names[i])));
        YG_TRY(yg_buf_addc(x, ':'));
        YG_TRY(yg_buf_add_json_str(x, a->group_values[i], strlen(a->group_values[i])));
    }
    YG_TRY(yg_buf_addc(x, '}'));
    size_t group_len = x->n - group_at;
    YG_TRY(yg_buf_addc(x, 0));
    size_t details_at = x->n;
    YG_TRY(yg_buf_addf(x, "%s: %.17g", a->type, a->value));
    for (size_t i = 0; i < a->ngroup; i++)
        YG_TRY(yg_buf_addf(x, " \xC2\xA6 %s: %s", a->group_names[i], a->group_values[i]));
    YG_TRY(yg_buf_addc(x, 0));
    yg_alert al = {r->id ? r->id : "",
                   r->title ? r->title : "",
                   yg__level_name(r->level),
                   (int)r->level,
                   x->p,
                   "[]",
                   r->file,
                   x->p + group_at,
                   group_len,
                   "{}",
                   "",
                   0,
                   co->cj.p,
                   co->cj.n,
                   0,
                   NULL,
                   0};
    struct yg_alert_src src = {"", 0, NULL, NULL, t, true, x->p + details_at};
    YG_TRY(yg__profile_alert(&co->b, fmt, o->profile, o->include_event, &al, &src, &co->cols));
done:
    return err;
}

/* A correlation alert to the incident hook: its group and the detections
 * that completed it, with its JSON line (b, without the newline). */
static yg_err corr_incident(struct corr_out *co, const struct yg_corr_alert *a,
                            const struct yg_buf *b)
{
    const struct yg_hunt_opts *o = co->h->o;
    struct yg_incident_evidence ev[YG_CORR_MAX_EVIDENCE];
    struct yg_incident_alert ia;
    yg__corr_incident_alert(a, cev_ref, co, ev, &ia);
    ia.json = b->p;
    ia.json_len = b->n && b->p[b->n - 1] == '\n' ? b->n - 1 : b->n;
    return o->incident_hook(o->incident_ud, &ia);
}

static void on_corr_one(void *ud, const struct yg_corr_alert *a)
{
    struct corr_out *co = ud;
    struct yg_buf *b = &co->b;
    const struct yg_rule *r = a->rule;
    const struct yg_hunt_opts *o = co->h->o;
    enum yg_out_format fmt = co->tap_pass ? YG_OUT_JSONL : o->format;
    yg_err err = YG_OK;
    if ((int)r->level < (int)o->min_level)
        return;
    struct yg_alert_time t = {true, a->last_ms, "", 0};
    t.n = yg__time_format(a->last_ms, t.text);
    yg_buf_reset(b);
    YG_TRY(yg__corr_object_json(&co->cj, a, false, cev_ref, co));
    if (fmt == YG_OUT_JSONL &&
        (co->tap_pass || o->profile == YG_PROFILE_STANDARD || o->profile == YG_PROFILE_VERBOSE)) {
        YG_TRY(yg__corr_alert_json(b, NULL, a, co->cj.p, co->cj.n));
        YG_TRY(yg_buf_addc(b, '\n'));
    } else {
        YG_TRY(corr_profile(co, a, &t, fmt));
    }
    if (co->tap_pass) {
        if (o->tap)
            fwrite(b->p, 1, b->n, o->tap);
        if (o->incident_hook && corr_incident(co, a, b))
            co->res->errors++;
        return;
    }
    if (co->h->sorter)
        YG_TRY(yg__sorter_add(co->h->sorter, a->last_ms, b->p, b->n));
    else
        fwrite(b->p, 1, b->n, o->out);
    co->res->alerts++;
    if ((int)r->level >= 0 && (int)r->level < 6)
        co->res->by_level[r->level]++;
    yg__tally_add(&co->h->lsrc, "correlation", 11, (int)r->level, 1);
    co->res->correlation_alerts++;
    return;
done:
    co->res->errors++;
}

static void on_corr(void *ud, const struct yg_corr_alert *a)
{
    struct corr_out *co = ud;
    if (co->h->o->tap || co->h->o->incident_hook) {
        co->tap_pass = true;
        on_corr_one(ud, a);
        co->tap_pass = false;
    }
    on_corr_one(ud, a);
}

/* Analytics whose geolocation database was not given are skipped, said
 * once: the rest of the hunt is not affected. */
static void report_inactive(void *ud, const struct yg_rule *r, unsigned need, const char *why)
{
    const struct hunt *h = ud;
    const char *name = r->name ? r->name : r->id ? r->id : r->title ? r->title : "?";
    fprintf(h->o->err, "yagura hunt: %s: inactive, %s (--geoip-%s)\n", name, why,
            need == YG_CORR_NEEDS_CITY ? "city" : "asn");
}

/* The collected detections, sorted by event time (the order the detector's
 * feed wants), through the detector's correlation state. */
static void run_correlation(struct hunt *h, struct yg_hunt_result *res)
{
    if (!h->corr || h->o->decode_only)
        return;
    struct yg_detector_corr_conf conf = {
        .mem_bytes = h->o->corr_mem, .inactive = report_inactive, .ud = h};
    if (yg__detector_open_corr(h->det, &conf)) {
        fprintf(h->o->err, "yagura hunt: out of memory for correlation state\n");
        res->errors++;
        return;
    }
    if (!h->ncev) {
        yg__detector_close_corr(h->det);
        return;
    }
    qsort(h->cevs, h->ncev, sizeof *h->cevs, cev_cmp);
    struct corr_out co;
    memset(&co, 0, sizeof co);
    co.h = h;
    co.res = res;
    yg_buf_init(&co.b, YG_MAX_EVENT_BYTES);
    yg_buf_init(&co.cj, YG_MAX_EVENT_BYTES);
    yg_buf_init(&co.aux, 0);
    yg__cols_init(&co.cols);
    for (size_t i = 0; i < h->ncev; i++) {
        struct cev *e = h->cevs[i];
        if (e->t_ms == INT64_MIN) {
            h->corr_untimed++;
            continue;
        }
        struct yg_detection d = {
            .rule = e->rule, .t_ms = e->t_ms, .values = e->values, .evidence = e};
        if (yg__detector_feed(h->det, &d, on_corr, &co)) {
            res->errors++;
            break;
        }
    }
    struct yg_corr_stats cst;
    yg__detector_corr_stats(h->det, &cst);
    res->corr_dropped = cst.dropped_late + cst.dropped_mem;
    res->corr_untimed = h->corr_untimed;
    yg__detector_close_corr(h->det);
    yg_buf_free(&co.b);
    yg_buf_free(&co.cj);
    yg_buf_free(&co.aux);
    yg__cols_free(&co.cols);
    fflush(h->o->out);
}

/* ---- writer ---------------------------------------------------------------- */

static void write_patched(FILE *f, const struct yg_buf *b, const struct patch *p, size_t np,
                          uint64_t line_base, uint64_t index_base)
{
    size_t at = 0;
    for (size_t i = 0; i < np; i++) {
        fwrite(b->p + at, 1, p[i].off - at, f);
        /* Lines are 1-based; rel lines start at 0.  EVTX records have no line. */
        uint64_t v = p[i].kind == P_LINE ? line_base + p[i].rel + 1 : index_base + p[i].rel + 1;
        fprintf(f, "%llu", (unsigned long long)v);
        at = p[i].off;
    }
    if (b->n > at)
        fwrite(b->p + at, 1, b->n - at, f);
}

/* --sort time: the unit's alerts, numbers patched in, to the sorter one by
 * one.  Units come here in input order, so equal times keep input order. */
static void sort_unit(struct hunt *h, struct unit *u, uint64_t line_base, uint64_t index_base,
                      struct yg_hunt_result *res)
{
    const struct skey *k = (const struct skey *)u->skeys.p;
    size_t nk = u->skeys.n / sizeof *k, pi = 0;
    yg_err err = YG_OK;
    if (h->sort_err)
        return; /* reported once; the hunt is stopping */
    for (size_t i = 0; i < nk && !err; i++) {
        size_t end = i + 1 < nk ? k[i + 1].off : u->out.n, at = k[i].off;
        yg_buf_reset(&h->sbuf);
        /* Every alert ends with a line break, so its patches are those
         * before the next alert's start. */
        for (; !err && pi < u->npat && u->pat[pi].off < end; pi++) {
            const struct patch *p = &u->pat[pi];
            if (p->off < at)
                continue;
            uint64_t v = p->kind == P_LINE ? line_base + p->rel + 1 : index_base + p->rel + 1;
            err = yg_buf_add(&h->sbuf, u->out.p + at, p->off - at);
            if (!err)
                err = yg_buf_addf(&h->sbuf, "%llu", (unsigned long long)v);
            at = p->off;
        }
        if (!err)
            err = yg_buf_add(&h->sbuf, u->out.p + at, end - at);
        if (!err)
            err = yg__sorter_add(h->sorter, k[i].key, h->sbuf.p, h->sbuf.n);
    }
    if (err) {
        fprintf(h->o->err, "yagura hunt: --sort time: %s\n",
                *yg__sorter_error(h->sorter) ? yg__sorter_error(h->sorter) : yg_strerror(err));
        res->errors++;
        h->sort_err = err;
        h->stop = true;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress line: bytes and events done (finished units plus the
 * position inside the units being read), rate and time left. */
static void progress(struct hunt *h, double t0, bool final, struct unit **units, size_t from,
                     size_t to)
{
    double el = now_s() - t0;
    uint64_t bytes = h->bytes_done, events = h->events_done;
    for (size_t i = from; i < to && !final; i++) {
        if (!units[i] || units[i]->done)
            continue;
        bytes += atomic_load_explicit(&units[i]->prog_bytes, memory_order_relaxed);
        events += atomic_load_explicit(&units[i]->prog_docs, memory_order_relaxed);
    }
    fprintf(h->o->err, "\r\033[K%6.1f s  %10.1f MB", el, (double)bytes / 1e6);
    if (h->bytes_total)
        fprintf(h->o->err, " / %.1f MB (%3.0f%%)", (double)h->bytes_total / 1e6,
                100.0 * (double)bytes / (double)h->bytes_total);
    fprintf(h->o->err, "  %12llu events (%.0f/s)  %8llu alerts", (unsigned long long)events,
            el > 0 ? (double)events / el : 0.0, (unsigned long long)h->alerts_done);
    if (!final && h->bytes_total > bytes && bytes > 0 && el > 1) {
        double left = el * (double)(h->bytes_total - bytes) / (double)bytes;
        fprintf(h->o->err, "  ETA %.0f s", left);
    }
    if (final)
        fputc('\n', h->o->err);
    fflush(h->o->err);
}

/* The unit's alerts to the incident hook, numbers patched in. */
static void incident_unit(struct hunt *h, struct unit *u, uint64_t line_base, uint64_t index_base,
                          struct yg_hunt_result *res)
{
    const struct yg_hunt_opts *o = h->o;
    const struct irec *r = (const struct irec *)u->irecs.p;
    size_t n = u->irecs.n / sizeof *r;
    for (size_t i = 0; i < n; i++, r++) {
        yg_buf_reset(&h->ijson);
        size_t at = r->json_from;
        yg_err err = YG_OK;
        for (size_t k = r->tpat_from; k < r->tpat_to && !err; k++) {
            const struct patch *p = &u->tpat[k];
            uint64_t v = p->kind == P_LINE ? line_base + p->rel + 1 : index_base + p->rel + 1;
            err = yg_buf_add(&h->ijson, u->tap.p + at, p->off - at);
            if (!err)
                err = yg_buf_addf(&h->ijson, "%llu", (unsigned long long)v);
            at = p->off;
        }
        /* The line without its newline, as the timeline keeps it. */
        size_t end =
            r->json_to > at && u->tap.p[r->json_to - 1] == '\n' ? r->json_to - 1 : r->json_to;
        if (!err)
            err = yg_buf_add(&h->ijson, u->tap.p + at, end - at);
        struct yg_incident_alert a = {
            .rule_id = r->rule_id,
            .rule_title = r->rule_title,
            .level = r->level,
            .timed = r->timed,
            .t_ms = r->t_ms,
            .file = u->file,
            .line = line_base + r->rel_line + 1,
            .has_index = true,
            .index = index_base + r->rel_index + 1,
            .logsource_json = r->logsource,
            .logsource_len = r->logsource_len,
            .matched_json = r->matched,
            .matched_len = r->matched_len,
            .event_json = r->event,
            .event_len = r->event_len,
            .extra_json = r->extra,
            .extra_len = r->extra_len,
            .json = h->ijson.p,
            .json_len = h->ijson.n,
        };
        if (err || o->incident_hook(o->incident_ud, &a))
            res->errors++;
    }
}

static void finish_unit(struct hunt *h, struct unit *u, uint64_t *line_base, uint64_t *index_base,
                        struct yg_hunt_result *res)
{
    const struct yg_hunt_opts *o = h->o;
    if (h->sorter)
        sort_unit(h, u, *line_base, *index_base, res);
    else
        write_patched(o->out, &u->out, u->pat, u->npat, *line_base, *index_base);
    write_patched(o->err, &u->diag, u->dpat, u->ndpat, *line_base, *index_base);
    if (o->tap)
        write_patched(o->tap, &u->tap, u->tpat, u->ntpat, *line_base, *index_base);
    if (o->incident_hook)
        incident_unit(h, u, *line_base, *index_base, res);
    res->events += u->docs;
    res->bytes += u->bytes;
    res->alerts += u->alerts;
    res->errors += u->errors + (u->fatal ? 1 : 0);
    for (int i = 0; i < 6; i++)
        res->by_level[i] += u->by_level[i];
    res->events_with_hits += u->hit_events;
    yg__tally_merge(&h->hosts, &u->hosts);
    yg__tally_merge(&h->lsrc, &u->lsrc);
    yg__tally_free(&u->hosts);
    yg__tally_free(&u->lsrc);
    for (size_t i = 0; u->rule_hits && h->rule_hits && i < h->nrules; i++)
        h->rule_hits[i] += u->rule_hits[i];
    yg_free(u->rule_hits);
    size_t ncev = u->cev.n / sizeof(struct cev *);
    if (ncev && h->ncev + ncev > h->cevcap) {
        size_t nc = h->cevcap ? h->cevcap : 1024;
        while (nc < h->ncev + ncev)
            nc *= 2;
        struct cev **nv = yg_realloc(h->cevs, nc * sizeof *nv);
        if (nv) {
            h->cevs = nv;
            h->cevcap = nc;
        } else {
            res->errors++;
            ncev = 0;
        }
    }
    for (size_t i = 0; i < ncev; i++) {
        struct cev *e = ((struct cev **)u->cev.p)[i];
        e->line = e->record ? 0 : *line_base + e->line + 1;
        e->index = *index_base + e->index + 1;
        e->seq = h->cev_seq++;
        h->cevs[h->ncev++] = e;
    }
    yg_buf_free(&u->cev);
    if (u->carena.head) {
        struct yg_arena *na = yg_realloc(h->arenas, (h->narenas + 1) * sizeof *na);
        if (na) {
            h->arenas = na;
            h->arenas[h->narenas++] = u->carena;
        } else {
            yg_arena_free(&u->carena);
        }
    } else {
        yg_arena_free(&u->carena);
    }
    if (u->kind == U_MMAP_TEXT)
        *line_base += count_nl(u->buf, u->len);
    if (u->map && u->buf && u->len) {
        /* Done with these pages: drop them so resident memory stays at the
         * units in flight, not the size of the file.  A private read-only
         * mapping re-reads a dropped page if a neighbour unit touches it. */
        long pg = sysconf(_SC_PAGESIZE);
        uintptr_t a = ((uintptr_t)u->buf + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
        uintptr_t e = ((uintptr_t)u->buf + u->len) & ~((uintptr_t)pg - 1);
        if (e > a)
            madvise((void *)a, e - a, MADV_DONTNEED);
    }
    *index_base += u->docs;
    if (u->fd >= 0) /* a stream not read (a --strict stop) */
        close(u->fd);
    if (u->last_of_file) {
        *line_base = 0;
        *index_base = 0;
        if (u->map)
            munmap(u->map, u->map_len);
        yg_free(u->owned);
    }
    yg_buf_free(&u->out);
    yg_buf_free(&u->diag);
    yg_free(u->pat);
    yg_free(u->dpat);
    yg_buf_free(&u->tap);
    yg_buf_free(&u->irecs);
    yg_free(u->tpat);
    yg_buf_free(&u->skeys);
}

static struct unit *new_unit(struct hunt *h, uint64_t seq, const char *file, enum unit_kind k)
{
    (void)h;
    struct unit *u = yg_calloc(1, sizeof *u);
    if (!u)
        return NULL;
    u->seq = seq;
    u->file = file;
    u->kind = k;
    u->fd = -1;
    yg_buf_init(&u->out, 0);
    yg_buf_init(&u->diag, 0);
    yg_buf_init(&u->tap, 0);
    yg_buf_init(&u->irecs, 0);
    yg_buf_init(&u->skeys, 0);
    yg_buf_init(&u->cev, 0);
    yg_arena_init(&u->carena, 1u << 16, 0);
    return u;
}

/* UTF-16 (with BOM) to UTF-8; an invalid unit becomes U+FFFD. */
static yg_err utf16_to_utf8(const void *src, size_t n, char **out, size_t *on)
{
    const unsigned char *p = src;
    bool le = p[0] == 0xFF;
    struct yg_buf b;
    yg_buf_init(&b, (size_t)YG_MAX_DECOMPRESSED_BYTES);
    yg_err err = yg_buf_reserve(&b, n + n / 2);
    for (size_t i = 2; !err && i + 1 < n; i += 2) {
        uint32_t u = le ? (uint32_t)(p[i] | p[i + 1] << 8) : (uint32_t)(p[i] << 8 | p[i + 1]);
        uint32_t lo = 0;
        if (i + 3 < n)
            lo = le ? (uint32_t)(p[i + 2] | p[i + 3] << 8) : (uint32_t)(p[i + 2] << 8 | p[i + 3]);
        unsigned used;
        u = yg__utf16_join(u, lo, &used);
        i += 2 * (used - 1);
        char tmp[4];
        size_t k = yg__utf8_put(tmp, u);
        err = yg_buf_add(&b, tmp, k);
    }
    if (err) {
        yg_buf_free(&b);
        return err;
    }
    *out = yg_buf_take(&b, on);
    return *out ? YG_OK : YG_ENOMEM;
}

/* Split a mapped text file into units cut before a line starting with '{'. */
/* One input file as planned: how it is read and what holds its bytes. */
struct planned {
    enum unit_kind kind;
    void *map;     /* the mapping (mmap'd kinds) */
    size_t len;    /* of the mapping, or of owned */
    char *owned;   /* the text converted from UTF-16, or NULL */
    int stream_fd; /* a stream keeps its descriptor until a worker reads it */
    const struct yg_linefmt *fmt;
};

/* Open the file: a regular uncompressed file is mapped (text or EVTX by its
 * signature); anything else is a stream.  false if it cannot be opened
 * (reported and counted). */
static bool open_input(const char *file, struct planned *p, FILE *err, uint64_t *errors)
{
    /* A FIFO named on the command line is opened by the worker that reads
     * it, like standard input: the open waits for its writer there, not
     * here.  O_NONBLOCK: should anything else turn out to be a FIFO, the
     * open does not wait either. */
    struct stat st;
    bool fifo = strcmp(file, "-") != 0 && stat(file, &st) == 0 && S_ISFIFO(st.st_mode);
    int fd = strcmp(file, "-") == 0 || fifo ? -1 : open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    unsigned char magic[8] = {0};
    ssize_t mr = 0;
    p->kind = U_STREAM;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
        mr = pread(fd, magic, sizeof magic, 0);
        bool compressed = mr >= 2 && ((magic[0] == 0x1f && magic[1] == 0x8b) ||
                                      (mr >= 4 && memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0));
        if (!compressed)
            p->kind = mr == 8 && memcmp(magic, "ElfFile", 8) == 0 ? U_EVTX : U_MMAP_TEXT;
    } else if (fd < 0 && strcmp(file, "-") != 0 && !fifo) {
        fprintf(err, "yagura: %s: %s\n", file, strerror(errno));
        (*errors)++;
        return false;
    } else if (fd >= 0) {
        (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    }
    if (p->kind != U_STREAM) {
        p->len = (size_t)st.st_size;
        p->map = mmap(NULL, p->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p->map == MAP_FAILED) {
            p->map = NULL;
            p->kind = U_STREAM;
        } else {
            madvise(p->map, p->len, MADV_SEQUENTIAL);
        }
    }
    if (p->kind == U_STREAM)
        p->stream_fd = fd;
    else if (fd >= 0)
        close(fd);
    return true;
}

/* A mapped text file: UTF-16 converted, its format forced or detected.
 * false if no format recognises it (reported, counted, released). */
static bool text_format(struct hunt *h, const char *file, struct planned *p, FILE *err,
                        uint64_t *errors)
{
    const unsigned char *m = p->map;
    /* UTF-16 with a byte-order mark: read as UTF-8 from here on. */
    if (p->len >= 2 && (m[0] == 0xFF || m[0] == 0xFE) && (m[1] == 0xFE || m[1] == 0xFF) &&
        m[0] != m[1]) {
        size_t on = 0;
        if (utf16_to_utf8(p->map, p->len, &p->owned, &on) == YG_OK) {
            munmap(p->map, p->len);
            p->map = NULL;
            p->len = on;
        }
    }
    const char *text = p->owned ? p->owned : p->map;
    bool json;
    p->fmt = forced_format(h->o, &json);
    if (p->fmt || json)
        return true;
    p->fmt = yg__detect_format(text, p->len < 65536 ? p->len : 65536, &json);
    if (p->fmt || json)
        return true;
    fprintf(err, "%s:1:1: unrecognised log format; file skipped (--input-format names one)\n",
            file);
    (*errors)++;
    if (p->map)
        munmap(p->map, p->len);
    yg_free(p->owned);
    if (p->stream_fd >= 0)
        close(p->stream_fd);
    return false;
}

/* Where the unit starting at start ends: a large text file is cut into
 * chunks at line (or JSON document) boundaries. */
static size_t unit_end(const struct planned *p, size_t start, bool first)
{
    size_t len = p->len;
    if (p->kind != U_MMAP_TEXT || len - start <= CHUNK_BYTES)
        return len;
    if (p->fmt && !p->fmt->state_new) {
        /* A stateless line format: cut at any line. */
        const char *b = p->owned ? p->owned : p->map;
        const char *nx = memchr(b + start + CHUNK_BYTES, '\n', len - start - CHUNK_BYTES);
        return nx ? (size_t)(nx - b) + 1 : len;
    }
    if (p->fmt)
        return len;
    /* Cut only JSON-lines/concatenated files, never a JSON array.  Only
     * the file's start is looked at: reading the start of every unit would
     * map its pages again after plan_file dropped them. */
    const char *b = p->map;
    if (first) {
        size_t i = start;
        while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t' ||
                           (unsigned char)b[i] == 0xEF || (unsigned char)b[i] == 0xBB ||
                           (unsigned char)b[i] == 0xBF))
            i++;
        if (i < len && b[i] == '[')
            return len;
    }
    const char *nx = memmem(b + start + CHUNK_BYTES, len - start - CHUNK_BYTES, "\n{", 2);
    return nx ? (size_t)(nx - b) + 1 : len;
}

/* Split a mapped text file into units cut before a line starting with '{'. */
/* Finding the cut between start + CHUNK_BYTES and end read a few bytes
 * there, and the kernel may have mapped the whole large folio around them
 * (up to 2 MiB, aligned): left alone, the 128 cuts of a 1 GiB file kept up
 * to 256 MiB resident until their units were read.  No unit of the file is
 * fed while it is planned, so the aligned 2 MiB windows around the cut are
 * dropped at once (dropping only the bytes read would split the folio and
 * keep the rest mapped); each unit faults its own pages in and drops them
 * when done. */
#define CUT_WINDOW ((uintptr_t)2 << 20)
static void drop_cut(const struct planned *p, size_t from, size_t to)
{
    uintptr_t lo = (uintptr_t)p->map, hi = lo + p->len;
    uintptr_t a = (lo + from) & ~(CUT_WINDOW - 1);
    uintptr_t e = (lo + to + CUT_WINDOW - 1) & ~(CUT_WINDOW - 1);
    long pg = sysconf(_SC_PAGESIZE);
    if (a < lo)
        a = lo; /* the mapping itself starts on a page */
    if (e > hi)
        e = (hi + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    if (e > a)
        madvise((void *)a, e - a, MADV_DONTNEED);
}

static yg_err plan_file(struct hunt *h, const char *file, struct unit ***units, size_t *nunits,
                        size_t *cap, uint64_t *seq, FILE *err, uint64_t *errors)
{
    struct planned p = {U_STREAM, NULL, 0, NULL, -1, NULL};
    if (!open_input(file, &p, err, errors))
        return YG_OK;
    if (p.kind == U_MMAP_TEXT && !text_format(h, file, &p, err, errors))
        return YG_OK;
    size_t start = 0;
    bool first = true;
    do {
        size_t end = unit_end(&p, start, first);
        if (p.map && !p.owned && end < p.len)
            drop_cut(&p, start + CHUNK_BYTES, end);
        if (*nunits == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            struct unit **nu = yg_realloc(*units, nc * sizeof *nu);
            if (!nu)
                return YG_ENOMEM;
            *units = nu;
            *cap = nc;
        }
        struct unit *u = new_unit(h, (*seq)++, file, p.kind);
        if (!u)
            return YG_ENOMEM;
        u->buf = p.owned ? p.owned + start : p.map ? (const char *)p.map + start : NULL;
        u->len = end - start;
        u->file_start = first;
        u->fmt = p.fmt;
        u->owned = end >= p.len ? p.owned : NULL; /* freed with the file's last unit */
        u->map = p.map;
        u->map_len = p.len;
        u->last_of_file = end >= p.len;
        u->fd = p.stream_fd;
        (*units)[(*nunits)++] = u;
        first = false;
        start = end;
    } while (start < p.len);
    return YG_OK;
}

/* The rules a regex limit left undecided, as a JSON array of {id, title,
 * count}, most first. */
static yg_err regex_limits_json(const struct hunt *h, struct yg_buf *b)
{
    yg_err err = YG_OK;
    YG_TRY(yg_buf_addf(b, "\"regex_limit\":{\"total\":%llu,\"rules\":[",
                       (unsigned long long)h->re_limit_total));
    bool first = true;
    for (size_t i = 0; h->re_limit && i < h->nrules; i++) {
        if (!h->re_limit[i])
            continue;
        const char *id = yg_rules_rule_id(h->rules, (uint32_t)i);
        const char *title = yg_rules_rule_title(h->rules, (uint32_t)i);
        YG_TRY(yg_buf_add(b, first ? "{\"id\":" : ",{\"id\":", first ? 6 : 7));
        YG_TRY(yg_buf_add_json_str(b, id ? id : "", id ? strlen(id) : 0));
        YG_TRY(yg_buf_add(b, ",\"title\":", 9));
        YG_TRY(yg_buf_add_json_str(b, title ? title : "", title ? strlen(title) : 0));
        YG_TRY(yg_buf_addf(b, ",\"count\":%llu}", (unsigned long long)h->re_limit[i]));
        first = false;
    }
    YG_TRY(yg_buf_add(b, "]}", 2));
done:
    return err;
}

/* Rules with alerts shown, most alerts first (ties: rule order). */
static uint32_t *top_rules(const struct hunt *h, size_t *n)
{
    *n = 0;
    uint32_t *v = h->rule_hits ? yg_malloc((h->nrules + 1) * sizeof *v) : NULL;
    if (!v)
        return NULL;
    for (size_t i = 0; i < h->nrules; i++)
        if (h->rule_hits[i])
            v[(*n)++] = (uint32_t)i;
    /* Insertion by count: the list is short next to the event work. */
    for (size_t i = 1; i < *n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        while (j > 0 && h->rule_hits[v[j - 1]] < h->rule_hits[x]) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return v;
}

static void print_top_rules(const struct hunt *h, const struct yg_hunt_result *res,
                            const uint32_t *top, size_t ntop, FILE *e)
{
    uint64_t det = res->alerts - res->correlation_alerts;
    for (size_t k = 0; k < ntop && k < 10; k++) {
        if (k == 0)
            fprintf(e, "  alerts by rule (share of the detection alerts):\n");
        uint64_t n = h->rule_hits[top[k]];
        fprintf(e, "    %8llu %5.1f%%  %s  %s\n", (unsigned long long)n,
                det ? 100.0 * (double)n / (double)det : 0.0, yg_rules_rule_id(h->rules, top[k]),
                yg_rules_rule_title(h->rules, top[k]));
    }
    if (ntop > 10)
        fprintf(e, "    ... and %zu more rule(s) with alerts (--stats-json lists all)\n",
                ntop - 10);
}

/* First and last event, events with hits, alerts per computer and per log
 * source by level. */
static void print_analyst(const struct hunt *h, const struct yg_hunt_result *res, FILE *e)
{
    if (res->have_range) {
        char a[YG_TIME_TEXT], b[YG_TIME_TEXT];
        yg__time_format(res->first_ms, a);
        yg__time_format(res->last_ms, b);
        fprintf(e, "  events from %s to %s\n", a, b);
    }
    fprintf(e, "  events with alerts: %llu of %llu (%.2f%%)\n",
            (unsigned long long)res->events_with_hits, (unsigned long long)res->events,
            res->events ? 100.0 * (double)res->events_with_hits / (double)res->events : 0.0);
    yg__tally_print(&h->hosts, e, "alerts by computer and level", 10);
    yg__tally_print(&h->lsrc, e, "alerts by log source and level", 10);
}

static void write_stats(const struct hunt *h, const struct yg_hunt_result *r, size_t files,
                        const uint32_t *top, size_t ntop)
{
    const struct yg_hunt_opts *o = h->o;
    if (!o->stats_json)
        return;
    FILE *f = fopen(o->stats_json, "w");
    if (!f)
        return;
    struct yg_buf rl;
    yg_buf_init(&rl, 0);
    bool ok = regex_limits_json(h, &rl) == YG_OK && yg_buf_addc(&rl, 0) == YG_OK;
    fprintf(f,
            "{\"files\":%zu,\"events\":%llu,\"bytes\":%llu,\"alerts\":%llu,\"errors\":%llu,"
            "\"seconds\":%.6f,\"compile_seconds\":%.6f,\"rules_loaded\":%zu,\"threads\":%u,"
            "\"uncovered_events\":%llu,\"unrouted_events\":%llu,\"events_with_alerts\":%llu,",
            files, (unsigned long long)r->events, (unsigned long long)r->bytes,
            (unsigned long long)r->alerts, (unsigned long long)r->errors, r->seconds,
            o->compile_seconds, o->rules_loaded, o->threads,
            (unsigned long long)r->uncovered_events, (unsigned long long)r->unrouted_events,
            (unsigned long long)r->events_with_hits);
    fprintf(f,
            "\"hs_cache\":{\"enabled\":%s,\"hits\":%zu,\"compiled\":%zu,\"written\":%zu,"
            "\"rejected\":%zu},",
            o->hs_cache.enabled ? "true" : "false", o->hs_cache.hits, o->hs_cache.compiled,
            o->hs_cache.written, o->hs_cache.rejected);
    if (r->have_range) {
        char a[YG_TIME_TEXT], b[YG_TIME_TEXT];
        yg__time_format(r->first_ms, a);
        yg__time_format(r->last_ms, b);
        fprintf(f, "\"first_event\":\"%s\",\"last_event\":\"%s\",", a, b);
    }
    fprintf(f,
            "\"by_level\":{\"critical\":%llu,\"high\":%llu,\"medium\":%llu,\"low\":%llu,"
            "\"informational\":%llu},\"correlation_alerts\":%llu,\"logsources\":",
            (unsigned long long)r->by_level[5], (unsigned long long)r->by_level[4],
            (unsigned long long)r->by_level[3], (unsigned long long)r->by_level[2],
            (unsigned long long)r->by_level[1], (unsigned long long)r->correlation_alerts);
    yg__cov_json(&h->cov, f);
    fputs(",\"by_computer\":", f);
    yg__tally_json(&h->hosts, f);
    fputs(",\"alerts_by_logsource\":", f);
    yg__tally_json(&h->lsrc, f);
    fputs(",\"by_rule\":[", f);
    for (size_t k = 0; k < ntop; k++) {
        struct yg_buf b;
        yg_buf_init(&b, 1u << 16);
        const char *id = yg_rules_rule_id(h->rules, top[k]);
        const char *title = yg_rules_rule_title(h->rules, top[k]);
        size_t idl = 0;
        if (yg_buf_add_json_str(&b, id ? id : "", id ? strlen(id) : 0) == YG_OK &&
            (idl = b.n) > 0 &&
            yg_buf_add_json_str(&b, title ? title : "", title ? strlen(title) : 0) == YG_OK)
            fprintf(f, "%s{\"id\":%.*s,\"title\":%.*s,\"alerts\":%llu}", k ? "," : "", (int)idl,
                    b.p, (int)(b.n - idl), b.p + idl, (unsigned long long)h->rule_hits[top[k]]);
        yg_buf_free(&b);
    }
    fputs("]", f);
    if (ok)
        fprintf(f, ",%s", rl.p);
    fputs("}\n", f);
    yg_buf_free(&rl);
    fclose(f);
}

/* Rules that could not be decided on some events because a regex reached
 * its PCRE2 step limit (YG_REGEX_MATCH_LIMIT): named, most first, since
 * each such evaluation counted as "no match" and may hide a detection. */
static void summary_regex_limits(const struct hunt *h, FILE *e)
{
    if (!h->re_limit_total)
        return;
    size_t nr = 0;
    for (size_t i = 0; h->re_limit && i < h->nrules; i++)
        nr += h->re_limit[i] != 0;
    fprintf(e,
            "  regex limit: %llu evaluation(s) of %zu rule(s) undecided, counted as no match (a "
            "regex reached its PCRE2 step limit):\n",
            (unsigned long long)h->re_limit_total, nr);
    bool *shown = yg_calloc(h->nrules + 1, sizeof *shown);
    for (int k = 0; k < 10 && shown; k++) {
        size_t best = (size_t)-1;
        for (size_t i = 0; i < h->nrules; i++)
            if (h->re_limit[i] && !shown[i] &&
                (best == (size_t)-1 || h->re_limit[i] > h->re_limit[best]))
                best = i;
        if (best == (size_t)-1)
            break;
        shown[best] = true;
        fprintf(e, "    %8llu  %s  %s\n", (unsigned long long)h->re_limit[best],
                yg_rules_rule_id(h->rules, (uint32_t)best),
                yg_rules_rule_title(h->rules, (uint32_t)best));
    }
    if (nr > 10)
        fprintf(e, "    ... and %zu more rule(s) (--stats-json lists them all)\n", nr - 10);
    yg_free(shown);
}

/* The files of every input path (folders walked), into files. */
static yg_err list_inputs(struct hunt *h, struct yg_hunt_result *res, struct flist *files)
{
    const struct yg_hunt_opts *o = h->o;
    yg_err err = YG_OK;
    struct walker wk = {.l = files,
                        .err = o->err,
                        .errors = &res->errors,
                        .skipped = &res->skipped_files,
                        .special = &res->skipped_special,
                        .bytes = &h->bytes_total};
    for (size_t i = 0; i < o->npaths && !err; i++)
        err = walk(&wk, o->paths[i], 0);
    idset_free(&wk.dirs);
    idset_free(&wk.files);
    res->files = files->n;
    return err;
}

/* The output format's header (CSV columns, ...). */
static void write_header(const struct yg_hunt_opts *o)
{
    struct yg_buf hb;
    yg_buf_init(&hb, 0);
    if (!o->decode_only && yg__profile_header(&hb, o->format, o->profile) == YG_OK && hb.n)
        fwrite(hb.p, 1, hb.n, o->out);
    yg_buf_free(&hb);
}

/* Wait until unit units[next_write] is done, redrawing the progress line
 * meanwhile.  Called with h->mu held. */
static void wait_unit(struct hunt *h, struct unit **units, size_t next_write, size_t next_feed,
                      double t0, double *last_prog)
{
    while (!units[next_write]->done) {
        if (!h->o->progress) {
            pthread_cond_wait(&h->cv_done, &h->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 250000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&h->cv_done, &h->mu, &ts);
        if (now_s() - *last_prog > 0.25) {
            *last_prog = now_s();
            progress(h, t0, false, units, next_write, next_feed);
        }
    }
}

/* Feed units to the workers with a bounded number in flight, write them
 * in order. */
static yg_err run_units(struct hunt *h, const struct flist *files, struct yg_hunt_result *res,
                        unsigned nthreads, double t0, yg_err err)
{
    const struct yg_hunt_opts *o = h->o;
    struct unit **units = NULL;
    size_t nunits = 0, ucap = 0, next_file = 0;
    uint64_t seq = 0;
    size_t next_feed = 0, next_write = 0;
    size_t max_inflight = (size_t)nthreads * 4;
    uint64_t line_base = 0, index_base = 0;
    double last_prog = t0;
    for (;;) {
        /* Files are opened and mapped only as their units come into the
         * window in flight, and released once written (finish_unit): a
         * folder of a million files holds a few mappings at a time. */
        while (!err && next_file < files->n && nunits - next_write < max_inflight)
            err = plan_file(h, files->v[next_file++], &units, &nunits, &ucap, &seq, o->err,
                            &res->errors);
        if (err || next_write == nunits)
            break;
        pthread_mutex_lock(&h->mu);
        while (next_feed < nunits && next_feed - next_write < max_inflight) {
            struct unit *u = units[next_feed++];
            if (h->qtail)
                h->qtail->next = u;
            else
                h->qhead = u;
            h->qtail = u;
            pthread_cond_signal(&h->cv_work);
        }
        wait_unit(h, units, next_write, next_feed, t0, &last_prog);
        pthread_mutex_unlock(&h->mu);
        finish_unit(h, units[next_write], &line_base, &index_base, res);
        yg_free(units[next_write]);
        units[next_write] = NULL;
        next_write++;
    }
    /* The workers stop once the queue is closed. */
    pthread_mutex_lock(&h->mu);
    h->closing = true;
    pthread_cond_broadcast(&h->cv_work);
    pthread_mutex_unlock(&h->mu);
    h->units_left = units;
    h->units_from = next_write;
    h->units_n = nunits;
    return err;
}

/* --sort time: merge the sorted runs into the output. */
static void finish_sort(struct hunt *h, struct yg_hunt_result *res)
{
    if (!h->sorter)
        return;
    yg_err se = yg__sorter_finish(h->sorter, h->o->out);
    if (se) {
        fprintf(h->o->err, "yagura hunt: --sort time: %s\n",
                *yg__sorter_error(h->sorter) ? yg__sorter_error(h->sorter) : yg_strerror(se));
        res->errors++;
        h->sort_err = se;
    }
    res->sort_runs = yg__sorter_runs(h->sorter);
    yg__sorter_free(h->sorter);
    h->sorter = NULL;
}

/* The summary on standard error (unless -q). */
static void print_summary(const struct hunt *h, const struct yg_hunt_result *res,
                          const uint32_t *top, size_t ntop, unsigned nthreads)
{
    const struct yg_hunt_opts *o = h->o;
    FILE *e = o->err;
    fprintf(e,
            "\nyagura hunt: %llu file(s), %llu events, %.1f MB in %.2f s (%.0f events/s, %.1f "
            "MB/s)\n",
            (unsigned long long)res->files, (unsigned long long)res->events,
            (double)res->bytes / 1e6, res->seconds,
            res->seconds > 0 ? (double)res->events / res->seconds : 0.0,
            res->seconds > 0 ? (double)res->bytes / 1e6 / res->seconds : 0.0);
    fprintf(e, "  rules: %zu loaded (compiled in %.2f s), threads: %u\n", o->rules_loaded,
            o->compile_seconds, nthreads);
    if (res->skipped_files)
        fprintf(e, "  skipped: %llu file(s) in folders that are not logs (.yml, .yaml, .md)\n",
                (unsigned long long)res->skipped_files);
    if (res->skipped_special)
        fprintf(e,
                "  skipped: %llu FIFO(s), socket(s) or device(s) in folders (not regular files)\n",
                (unsigned long long)res->skipped_special);
    fprintf(e,
            "  alerts: %llu (critical %llu, high %llu, medium %llu, low %llu, informational "
            "%llu)\n",
            (unsigned long long)res->alerts, (unsigned long long)res->by_level[5],
            (unsigned long long)res->by_level[4], (unsigned long long)res->by_level[3],
            (unsigned long long)res->by_level[2], (unsigned long long)res->by_level[1]);
    print_top_rules(h, res, top, ntop, e);
    if (h->corr)
        fprintf(e,
                "  correlation: %llu alert(s) from %zu rule(s) over %zu detection(s); "
                "%llu without an event time, %llu dropped (late or memory cap)\n",
                (unsigned long long)res->correlation_alerts, yg__corr_count(h->corr), h->ncev,
                (unsigned long long)res->corr_untimed, (unsigned long long)res->corr_dropped);
    if (!o->decode_only) {
        print_analyst(h, res, e);
        yg__cov_print(&h->cov, e);
    }
    if (res->errors)
        fprintf(e, "  input errors: %llu (reported above; those events were skipped)\n",
                (unsigned long long)res->errors);
    summary_regex_limits(h, e);
}

static void hunt_free(struct hunt *h, struct flist *files)
{
    yg_buf_free(&h->ijson);
    for (size_t i = h->units_from; i < h->units_n; i++)
        yg_free(h->units_left[i]);
    yg_free(h->units_left);
    yg_free(h->rule_hits);
    yg_free(h->cevs);
    for (size_t i = 0; i < h->narenas; i++)
        yg_arena_free(&h->arenas[i]);
    yg_free(h->arenas);
    yg__cov_free(&h->cov);
    yg__tally_free(&h->hosts);
    yg__tally_free(&h->lsrc);
    yg_free(h->re_limit);
    for (size_t i = 0; i < files->n; i++)
        yg_free(files->v[i]);
    yg_free(files->v);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv_work);
    pthread_cond_destroy(&h->cv_done);
}

yg_err yg_hunt_run(struct yg_detector *det, const struct yg_hunt_opts *o,
                   struct yg_hunt_result *res)
{
    struct hunt h;
    memset(&h, 0, sizeof h);
    memset(res, 0, sizeof *res);
    yg_rules *rules = det->rules;
    h.det = det;
    h.rules = rules;
    h.o = o;
    yg_rules_stats rst;
    yg_rules_get_stats(rules, &rst);
    h.nrules = rst.detection;
    h.corr = rules->corr;
    h.rule_hits = yg_calloc(h.nrules + 1, sizeof *h.rule_hits);
    h.re_limit = yg_calloc(h.nrules + 1, sizeof *h.re_limit);
    pthread_mutex_init(&h.mu, NULL);
    pthread_cond_init(&h.cv_work, NULL);
    pthread_cond_init(&h.cv_done, NULL);
    double t0 = now_s();
    struct flist files = {0};
    yg_buf_init(&h.ijson, 0);
    yg_err err = list_inputs(&h, res, &files);
    write_header(o);
    yg_buf_init(&h.sbuf, 0);
    if (!err && o->sort_time && !o->decode_only)
        err = yg__sorter_new(o->sort_mem, o->sort_dir, &h.sorter);
    unsigned nthreads = o->threads ? o->threads : 1;
    pthread_t *tids = yg_calloc(nthreads, sizeof *tids);
    unsigned started = 0;
    if (!tids)
        err = YG_ENOMEM;
    for (unsigned i = 0; !err && i < nthreads; i++)
        if (pthread_create(&tids[i], NULL, worker, &h) == 0)
            started++;
    if (!err && !started)
        err = YG_ENOMEM;
    err = run_units(&h, &files, res, nthreads, t0, err);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    yg_free(tids);
    run_correlation(&h, res);
    finish_sort(&h, res);
    yg_buf_free(&h.sbuf);
    if (!err && h.sort_err)
        err = h.sort_err; /* an incomplete timeline is a failed hunt (exit 2) */
    fflush(o->out);
    yg__cov_sort(&h.cov);
    res->uncovered_events = yg__cov_uncovered(&h.cov, &res->unrouted_events);
    yg__tally_sort(&h.hosts);
    yg__tally_sort(&h.lsrc);
    res->first_ms = h.first_ms;
    res->last_ms = h.last_ms;
    res->have_range = h.have_range;
    size_t ntop = 0;
    uint32_t *top = top_rules(&h, &ntop);
    res->seconds = now_s() - t0;
    if (o->progress)
        progress(&h, t0, true, NULL, 0, 0);
    if (o->summary)
        print_summary(&h, res, top, ntop, nthreads);
    /* Generated selection rules cover what they select by design. */
    if (!o->decode_only && !o->hook_only)
        yg__cov_warn(&h.cov, o->err);
    res->regex_limits = h.re_limit_total;
    write_stats(&h, res, files.n, top, ntop);
    yg_free(top);
    hunt_free(&h, &files);
    return err;
}
