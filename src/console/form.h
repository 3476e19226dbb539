/*
 * form.h - the two parsers of the console's requests: a form body
 * (application/x-www-form-urlencoded, what an HTML form POSTs) and the
 * Cookie header.  Both take untrusted bytes of a bounded length and never
 * read past them; fuzz/fuzz_console_form.c runs them.
 */
#ifndef YG_CONSOLE_FORM_H
#define YG_CONSOLE_FORM_H

#include "core/core.h"

/* Most fields of one form; a body with more is refused. */
#define YG_FORM_MAX_FIELDS 32

struct yg_form_field {
    const char *key, *val; /* decoded, NUL-terminated (arena memory) */
    size_t vlen;
};

/* Decode a form body of n bytes: fields separated by '&', a name and a
 * value separated by the first '=', '+' for a space, %XX escapes.  false
 * (the body is malformed) on a bad escape, an escape or a byte that
 * decodes to NUL or another control character than tab, CR and LF,
 * invalid UTF-8, or more than YG_FORM_MAX_FIELDS fields.  Empty fields
 * ("a=1&&b=2") are skipped.  *nf gets the number of fields. */
bool yg__form_parse(const char *p, size_t n, struct yg_arena *a, struct yg_form_field *out,
                    size_t *nf);
/* The value of the first field named key, or NULL. */
const char *yg__form_get(const struct yg_form_field *f, size_t nf, const char *key);

/* The value of cookie name in a Cookie header ("a=1; b=2"), copied into
 * out (n bytes with the NUL); false when absent, empty, longer than n - 1
 * or holding other bytes than printable ASCII without ';' and ','. */
bool yg__cookie_get(const char *header, const char *name, char *out, size_t n);

/* Check text for the console's stored strings: valid UTF-8, no control
 * characters except tab, CR and LF (multi_line) or none (single line). */
bool yg__form_text_ok(const char *s, size_t n, bool multi_line);

#endif
