/*
 * sink.c - the handle a sink constructor hands out when it fails (sink.h).
 *
 * A failed constructor still returns a handle holding the reason, as every
 * module with a handle does (core/errmsg.h), so the caller reads it with
 * yg__sink_errmsg and frees it with yg__sink_destroy whatever went wrong.
 * The sinks themselves fail at different stages (before their own struct
 * exists, with a worker thread half set up), so the failure is reported on
 * this small handle of its own rather than on a half-built sink.
 */
#include "output/sink.h"

#include <stdarg.h>
#include <stdio.h>

static void failed_destroy(struct yg_sink *s)
{
    yg_free(s);
}

static const struct yg_sink_ops failed_ops = {"failed", NULL, NULL, NULL, failed_destroy};

yg_err yg__sink_failed(struct yg_sink **out, yg_err err, const char *fmt, ...)
{
    struct yg_sink *s = yg_calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return err;
    s->ops = &failed_ops;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return err;
}
