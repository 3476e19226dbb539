/*
 * errmsg.h - how a failure says why.
 *
 * One way: a module with a handle keeps the message of its last failure on
 * the handle and has one accessor, yg__<module>_errmsg(handle), as
 * sqlite3_errmsg keeps one on a connection (yg__store_errmsg,
 * yg__kafka_errmsg, yg__sink_errmsg, ...).  A constructor that fails still
 * hands out the handle holding the reason; only the accessor and the
 * destructor are valid on it, and the handle is NULL only when it could not
 * be allocated (the accessor then says "out of memory").
 *
 * A call that has no handle to keep the message on (a check of a
 * configuration before anything is opened, a listening socket) fills a
 * struct yg_errmsg the caller owns instead of a buffer and its size.
 */
#ifndef YG_CORE_ERRMSG_H
#define YG_CORE_ERRMSG_H

#include "core/core.h"

struct yg_errmsg {
    char msg[1024]; /* "" until a failure sets it */
};

/* Set e->msg (truncated to fit).  e may be NULL: the message is dropped. */
void yg__errmsg_set(struct yg_errmsg *e, const char *fmt, ...) YG_PRINTF(2, 3);

#endif
