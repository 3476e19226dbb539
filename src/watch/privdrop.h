/*
 * privdrop.h - giving up root after the privileged start-up work.
 *
 * `yagura watch` starts as root so it can bind ports below 1024 (syslog on
 * 514) and read root-only TLS keys, then switches for good to the `user:`
 * of the configuration before it reads any event.  See privdrop.c.
 */
#ifndef YG_WATCH_PRIVDROP_H
#define YG_WATCH_PRIVDROP_H

#include "core/core.h"
#include "core/errmsg.h"

/*
 * Switch the whole process (every thread) to user: its primary group, its
 * supplementary groups from the group database (so membership of `adm`
 * grants reading /var/log), then its uid, and verify that root cannot be
 * regained.  When not running as root this succeeds only if the process
 * already runs as that user.  On failure why says what failed; the caller
 * must exit, as the process may be half switched.
 */
YG_NODISCARD yg_err yg__drop_privileges(const char *user, struct yg_errmsg *why);

#endif
