/*
 * errmsg.c - the message of a call without a handle (errmsg.h).
 */
#include "core/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

void yg__errmsg_set(struct yg_errmsg *e, const char *fmt, ...)
{
    if (!e)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}
