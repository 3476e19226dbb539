/*
 * frame.c - cutting byte streams into records.
 *
 * A TCP syslog stream carries messages in one of two framings, chosen by
 * the sender per message (RFC 6587 section 3.4): octet counting, where the
 * message is preceded by its length in decimal and a space (`12 <13>hello
 * w`), and non-transparent framing, where it ends at a newline.  A syslog
 * message always starts with '<' (its PRI), so a leading digit can only be
 * a count; anything else is a line.  RFC 5425 (syslog over TLS) mandates
 * octet counting, which the same framer accepts.
 *
 * Both framers buffer at most one maximum message plus a little, whatever
 * the sender does: a message announced or grown beyond the cap is skipped
 * (the count says exactly how much to skip; a line is skipped to its
 * newline) and counted, without ever being held in memory.
 *
 * yg_lines is the newline-only variant for files and stdin, where a
 * leading digit is ordinary data (JSON numbers, timestamps); it also keeps
 * stream offsets and line numbers for checkpoints and record ids.
 */
#include "ingest/input.h"

/* Longest count prefix: 10 digits and the space ("4194304 " is 8). */
#define HDR_MAX 11u

void yg__frame_init(struct yg_framer *f, size_t max_msg)
{
    memset(f, 0, sizeof *f);
    f->max_msg = max_msg ? max_msg : YG_MAX_EVENT_BYTES;
    /* A full buffer must hold a whole counted message, or more than the
     * longest line so that it can be recognised as oversize. */
    yg_buf_init(&f->buf, f->max_msg + HDR_MAX + 2);
}

void yg__frame_free(struct yg_framer *f)
{
    yg_buf_free(&f->buf);
}

static void frame_compact(struct yg_framer *f)
{
    if (f->pos == 0)
        return;
    size_t rest = f->buf.n - f->pos;
    if (rest)
        memmove(f->buf.p, f->buf.p + f->pos, rest);
    f->buf.n = rest;
    f->pos = 0;
}

size_t yg__frame_room(const struct yg_framer *f)
{
    /* While skipping nothing is buffered (frame_drop), and skipped bytes
     * never are, so this also bounds what follows the skipped message. */
    return f->buf.toobig - (f->buf.n - f->pos);
}

yg_err yg__frame_push(struct yg_framer *f, const char *p, size_t n)
{
    if (n > yg__frame_room(f))
        return YG_ELIMIT;
    while (n > 0 && (f->skip || f->skip_line)) {
        if (f->skip) {
            size_t k = f->skip < n ? (size_t)f->skip : n;
            f->skip -= k;
            p += k;
            n -= k;
        } else {
            const char *nl = memchr(p, '\n', n);
            if (!nl)
                return YG_OK;
            n -= (size_t)(nl + 1 - p);
            p = nl + 1;
            f->skip_line = false;
        }
    }
    if (n == 0)
        return YG_OK;
    frame_compact(f);
    return yg_buf_add(&f->buf, p, n);
}

/* Drop everything buffered and skip `more` further bytes of a message. */
static void frame_drop(struct yg_framer *f, uint64_t more, bool line)
{
    f->errors++;
    f->pos = f->buf.n;
    f->skip = more;
    f->skip_line = line;
}

yg_err yg__frame_next(struct yg_framer *f, const char **msg, size_t *len)
{
    for (;;) {
        size_t avail = f->buf.n - f->pos;
        if (avail == 0)
            return YG_EOF; /* (the buffer may not even be allocated yet) */
        const char *s = f->buf.p + f->pos;
        if (f->skip) {
            /* Set by a header whose body was partly buffered. */
            size_t k = f->skip < avail ? (size_t)f->skip : avail;
            f->skip -= k;
            f->pos += k;
            if (f->skip)
                return YG_EOF;
            continue;
        }
        if (f->skip_line) {
            const char *nl = memchr(s, '\n', avail);
            if (!nl) {
                f->pos = f->buf.n;
                return YG_EOF;
            }
            f->pos += (size_t)(nl + 1 - s);
            f->skip_line = false;
            continue;
        }
        if (s[0] >= '1' && s[0] <= '9') {
            size_t i = 0;
            uint64_t count = 0;
            while (i < avail && i < HDR_MAX - 1 && s[i] >= '0' && s[i] <= '9')
                count = count * 10 + (uint64_t)(s[i++] - '0');
            if (i == avail && i < HDR_MAX - 1)
                return YG_EOF; /* the count may go on */
            if (i < avail && s[i] == ' ') {
                size_t hdr = i + 1;
                if (count > f->max_msg) {
                    size_t have = avail - hdr;
                    f->pos += hdr;
                    if (have >= count) {
                        f->errors++;
                        f->pos += (size_t)count;
                        continue;
                    }
                    frame_drop(f, count - have, false);
                    return YG_EOF;
                }
                if (avail - hdr < count)
                    return YG_EOF;
                *msg = s + hdr;
                *len = (size_t)count;
                f->pos += hdr + (size_t)count;
                return YG_OK;
            }
            /* Digits not followed by a space: not a count, so a line. */
        }
        const char *nl = memchr(s, '\n', avail);
        if (!nl) {
            /* +1: the line may still get its '\r' before the newline. */
            if (avail > f->max_msg + 1)
                frame_drop(f, 0, true);
            return YG_EOF;
        }
        size_t l = (size_t)(nl - s);
        f->pos += l + 1;
        if (l > 0 && s[l - 1] == '\r')
            l--;
        if (l == 0)
            continue; /* keep-alive blank lines carry no message */
        if (l > f->max_msg) {
            f->errors++;
            continue;
        }
        *msg = s;
        *len = l;
        return YG_OK;
    }
}

/* ---- newline-delimited records ------------------------------------------ */

void yg__lines_init(struct yg_lines *l, size_t max_line, uint64_t base)
{
    memset(l, 0, sizeof *l);
    l->max_line = max_line ? max_line : YG_MAX_EVENT_BYTES;
    l->base = l->start = l->end = base;
    l->line = 1;
    yg_buf_init(&l->buf, l->max_line + 2);
}

void yg__lines_free(struct yg_lines *l)
{
    yg_buf_free(&l->buf);
}

size_t yg__lines_room(const struct yg_lines *l)
{
    return l->buf.toobig - (l->buf.n - l->pos);
}

yg_err yg__lines_push(struct yg_lines *l, const char *p, size_t n)
{
    if (n > yg__lines_room(l))
        return YG_ELIMIT;
    if (l->pos) {
        size_t rest = l->buf.n - l->pos;
        if (rest)
            memmove(l->buf.p, l->buf.p + l->pos, rest);
        l->buf.n = rest;
        l->base += l->pos;
        l->pos = 0;
    }
    if (l->skipping) {
        /* Nothing is buffered while skipping, so base is the next byte. */
        const char *nl = memchr(p, '\n', n);
        size_t k = nl ? (size_t)(nl + 1 - p) : n;
        l->base += k;
        p += k;
        n -= k;
        if (nl) {
            l->skipping = false;
            l->line++;
        }
    }
    if (n == 0)
        return YG_OK;
    return yg_buf_add(&l->buf, p, n);
}

yg_err yg__lines_next(struct yg_lines *l, const char **msg, size_t *len)
{
    size_t avail = l->buf.n - l->pos;
    if (avail == 0)
        return YG_EOF; /* the buffer may not even be allocated yet */
    const char *s = l->buf.p + l->pos;
    const char *nl = memchr(s, '\n', avail);
    if (!nl) {
        if (avail > l->max_line + 1) {
            /* Too long to ever be a record: forget it and skip on to the
             * newline, counting it as a line so later numbers stay true. */
            l->errors++;
            l->pos = l->buf.n;
            l->skipping = true;
        }
        return YG_EOF;
    }
    size_t n = (size_t)(nl - s);
    l->start = l->base + l->pos;
    l->pos += n + 1;
    l->end = l->base + l->pos;
    l->line++;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (n > l->max_line) {
        l->errors++;
        return yg__lines_next(l, msg, len);
    }
    *msg = s;
    *len = n;
    return YG_OK;
}

yg_err yg__lines_flush(struct yg_lines *l, const char **msg, size_t *len)
{
    size_t avail = l->buf.n - l->pos;
    if (avail == 0 || l->skipping)
        return YG_EOF;
    const char *s = l->buf.p + l->pos;
    l->start = l->base + l->pos;
    l->pos = l->buf.n;
    l->end = l->base + l->pos;
    l->line++;
    if (avail > 0 && s[avail - 1] == '\r')
        avail--;
    *msg = s;
    *len = avail;
    return YG_OK;
}
