/*
 * input.c - the handle an input constructor hands out when it fails
 * (input.h).
 *
 * As with sinks (output/sink.c), a failed constructor still returns a
 * handle holding the reason (core/errmsg.h), read with yg__input_errmsg
 * and freed with its destroy, whatever stage the input failed at.
 */
#include "ingest/input.h"

#include <stdarg.h>
#include <stdio.h>

static void failed_destroy(struct yg_input *in)
{
    yg_free(in);
}

static const struct yg_input_ops failed_ops = {"failed", NULL, NULL, NULL, NULL, failed_destroy};

yg_err yg__input_failed(struct yg_input **out, yg_err err, const char *fmt, ...)
{
    struct yg_input *in = yg_calloc(1, sizeof *in);
    *out = in;
    if (!in)
        return err;
    in->ops = &failed_ops;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->errmsg, sizeof in->errmsg, fmt, ap);
    va_end(ap);
    return err;
}
