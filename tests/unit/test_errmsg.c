/*
 * test_errmsg.c - one way to say why (core/errmsg.h): the message of a call
 * without a handle in a struct yg_errmsg, the message of a handle's failure
 * on the handle (the rule set's mapping, the intel fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "core/errmsg.h"
#include "core/timeparse.h"
#include "intel/intel.h"
#include "match/program.h"

/* A file holding text; the caller unlinks it. */
static void write_tmp(char *path, const char *text)
{
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("mkstemp");
        exit(1);
    }
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        perror("write");
        exit(1);
    }
    close(fd);
}

static void test_set(void)
{
    struct yg_errmsg e = {""};
    yg__errmsg_set(NULL, "dropped %d", 1); /* no message wanted: no crash */
    yg__errmsg_set(&e, "%s: %d", "a", 7);
    CHECK(strcmp(e.msg, "a: 7") == 0);
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    yg__errmsg_set(&e, "%s", big);
    CHECK(strlen(e.msg) == sizeof e.msg - 1);
}

/* A call without a handle: the caller's struct holds the reason. */
static void test_no_handle(void)
{
    struct yg_tz tz;
    struct yg_errmsg e = {""};
    CHECK(!yg__tz_parse("../../etc/passwd", &tz, &e));
    CHECK_MSG(strncmp(e.msg, "'../../etc/passwd' is not a zone: expected UTC", 46) == 0, "%s",
              e.msg);
    /* NULL: the reason is not wanted, the answer still is. */
    CHECK(!yg__tz_parse("../../etc/passwd", &tz, NULL));
}

static void test_ifields(void)
{
    struct yg_ifields fs;
    CHECK(yg__ifields_load(&fs, "/nonexistent/intel-fields.yml") != YG_OK);
    CHECK_MSG(strncmp(yg__ifields_errmsg(&fs), "cannot read: ", 13) == 0, "%s",
              yg__ifields_errmsg(&fs));
    yg__ifields_free(&fs);

    char path[] = "/tmp/yg-test-errmsg-XXXXXX";
    write_tmp(path, "intel_fields: {a: 1}\n");
    CHECK(yg__ifields_load(&fs, path) == YG_ESYNTAX);
    CHECK_MSG(strcmp(yg__ifields_errmsg(&fs), "'intel_fields' (a list) expected at the top") == 0,
              "%s", yg__ifields_errmsg(&fs));
    yg__ifields_free(&fs);
    unlink(path);

    char alias[] = "/tmp/yg-test-errmsg-XXXXXX";
    write_tmp(alias, "a: &x 1\nb: *x\n");
    CHECK(yg__ifields_load(&fs, alias) != YG_OK);
    CHECK_MSG(strcmp(yg__ifields_errmsg(&fs),
                     "line 2 column 4: YAML aliases are not accepted in rules") == 0,
              "%s", yg__ifields_errmsg(&fs));
    yg__ifields_free(&fs);
    unlink(alias);
    CHECK(strcmp(yg__ifields_errmsg(NULL), "out of memory") == 0);
}

static void test_rules(void)
{
    struct yg_rules rs;
    memset(&rs, 0, sizeof rs);
    yg_arena_init(&rs.perm, 4096, 0);
    CHECK(yg__mapping_load(&rs, "/nonexistent/windows.yml") != YG_OK);
    CHECK_MSG(strncmp(yg__rules_errmsg(&rs), "cannot read /nonexistent/windows.yml: ", 38) == 0,
              "%s", yg__rules_errmsg(&rs));

    char path[] = "/tmp/yg-test-errmsg-XXXXXX";
    write_tmp(path, "- a\n- b\n");
    char want[256];
    snprintf(want, sizeof want, "%s: expected one YAML map", path);
    CHECK(yg__mapping_overlay(&rs, path) == YG_ESYNTAX);
    CHECK_MSG(strcmp(yg__rules_errmsg(&rs), want) == 0, "%s", yg__rules_errmsg(&rs));
    unlink(path);

    char alias[] = "/tmp/yg-test-errmsg-XXXXXX";
    write_tmp(alias, "a: &x 1\nb: *x\n");
    snprintf(want, sizeof want, "%s:2:4: YAML aliases are not accepted in rules", alias);
    CHECK(yg__mapping_load(&rs, alias) != YG_OK);
    CHECK_MSG(strcmp(yg__rules_errmsg(&rs), want) == 0, "%s", yg__rules_errmsg(&rs));
    unlink(alias);
    yg_arena_free(&rs.perm);
    CHECK(strcmp(yg__rules_errmsg(NULL), "out of memory") == 0);
}

int main(void)
{
    test_set();
    test_no_handle();
    test_ifields();
    test_rules();
    TAP_DONE();
}
