/*
 * privdrop.c - switching from root to the service user, irreversibly.
 *
 * The order matters: supplementary groups and the gid can only be changed
 * while still root, so they go first and setuid last.  setresuid/setresgid
 * set the real, effective and saved ids together: with plain setuid a
 * saved set-user-id of 0 could let the process switch back.  glibc applies
 * these calls to every thread of the process, so threads started before
 * the drop (the HTTP endpoint) lose root too.  The result is verified
 * rather than trusted: every id is read back and setuid(0) must fail.
 */
#include "watch/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Most supplementary groups taken from the group database. */
#define MAX_GROUPS 256

yg_err yg__drop_privileges(const char *user, struct yg_errmsg *why)
{
    char buf[16384];
    struct passwd pw, *res = NULL;
    if (!user || !*user) {
        yg__errmsg_set(why, "no user given");
        return YG_EINVAL;
    }
    int rc = getpwnam_r(user, &pw, buf, sizeof buf, &res);
    if (rc || !res) {
        yg__errmsg_set(why, "user %s: %s", user, rc ? strerror(rc) : "no such user");
        return YG_ENOTFOUND;
    }
    if (geteuid() != 0) {
        if (getuid() == pw.pw_uid && geteuid() == pw.pw_uid)
            return YG_OK;
        yg__errmsg_set(why, "cannot switch to user %s: not running as root", user);
        return YG_ESTATE;
    }
    if (pw.pw_uid == 0) {
        yg__errmsg_set(why, "user %s is root: refusing to run the service as root", user);
        return YG_EINVAL;
    }

    gid_t groups[MAX_GROUPS];
    int ng = MAX_GROUPS;
    if (getgrouplist(user, pw.pw_gid, groups, &ng) < 0) {
        yg__errmsg_set(why, "user %s is in more than %d groups", user, MAX_GROUPS);
        return YG_ELIMIT;
    }
    if (setgroups((size_t)ng, groups) != 0) {
        yg__errmsg_set(why, "setgroups for %s: %s", user, strerror(errno));
        return YG_EIO;
    }
    if (setresgid(pw.pw_gid, pw.pw_gid, pw.pw_gid) != 0) {
        yg__errmsg_set(why, "setgid %u: %s", (unsigned)pw.pw_gid, strerror(errno));
        return YG_EIO;
    }
    if (setresuid(pw.pw_uid, pw.pw_uid, pw.pw_uid) != 0) {
        yg__errmsg_set(why, "setuid %u: %s", (unsigned)pw.pw_uid, strerror(errno));
        return YG_EIO;
    }

    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != pw.pw_uid ||
        eu != pw.pw_uid || su != pw.pw_uid || rg != pw.pw_gid || eg != pw.pw_gid ||
        sg != pw.pw_gid) {
        yg__errmsg_set(why, "user %s: the ids did not all change", user);
        return YG_ESTATE;
    }
    if (setuid(0) == 0 || seteuid(0) == 0) {
        yg__errmsg_set(why, "user %s: root could be regained after the switch", user);
        return YG_ESTATE;
    }
    gid_t now[MAX_GROUPS];
    int nn = getgroups(MAX_GROUPS, now);
    for (int i = 0; i < nn; i++)
        if (now[i] == 0 && pw.pw_gid != 0) {
            bool listed = false;
            for (int j = 0; j < ng; j++)
                listed |= groups[j] == 0;
            if (!listed) {
                yg__errmsg_set(why, "user %s: still in group root", user);
                return YG_ESTATE;
            }
        }
    return YG_OK;
}
