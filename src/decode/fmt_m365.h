/*
 * fmt_m365.h - the flattener shared by the Microsoft cloud decoders.
 *
 * Microsoft 365 audit records and Entra ID logs are JSON documents with
 * nested objects, arrays of {Name, Value} pairs and, in Sentinel exports,
 * JSON documents stored inside string values.  Sigma rules for them name
 * fields three ways: by dotted path (`TargetResources.modifiedProperties.
 * newValue`), by the name of a pair (`Parameters.ForwardingSmtpAddress`)
 * and by Sentinel column names that exist in no source document
 * (`ResultType`, `properties.message`, `eventSource`).
 *
 * A yg_cloud is the per-file state that serves all three.  yg__cloud_parse
 * flattens one record into output fields, one per dotted path, with every
 * value of the path (arrays keep all elements), and adds:
 *
 *   - pairs: an object that has a name key (`Name`, `key`, `displayName`)
 *     and a value key (`Value`, `NewValue`, `OldValue`, any case) also gives
 *     `<path>.<name>` = value (`<path>.<name>.NewValue` for the old/new
 *     kinds).  Elements are told apart by a key repeating, so an element
 *     missing one of the keys pairs with nothing it should not as long as
 *     its neighbours have both;
 *   - embedded documents: a string value that is itself a JSON object or
 *     array (Sentinel's TargetResources, Parameters, Folders, ...) stays a
 *     string and its content is also flattened under the string's path, two
 *     levels of nesting deep.
 *
 * Field names are merged ignoring ASCII case, as the matcher compares them:
 * a second spelling of a name adds its values to the first field.  The
 * decoders then add their Sigma names with the alias functions below and
 * write the object with yg__cloud_emit.
 *
 * Nothing is allocated per record once the buffers have grown to the
 * largest record: paths, fields, values and names live in arrays of the
 * state that are reset, not freed, between records.
 */
#ifndef YG_DECODE_FMT_M365_H
#define YG_DECODE_FMT_M365_H

#include "decode/format.h"

struct yg_cloud;

/* NULL when out of memory.  Free with yg__cloud_free. */
struct yg_cloud *yg__cloud_new(void);
void yg__cloud_free(struct yg_cloud *c);

/*
 * Flatten the JSON object at p[0..n) (leading and trailing whitespace and a
 * UTF-8 BOM allowed).  On YG_ESYNTAX, e->col is the 1-based byte column in
 * p and e->msg the reason.  The fields stay valid until the next parse;
 * values may point into p, which must stay alive until yg__cloud_emit.
 */
YG_NODISCARD yg_err yg__cloud_parse(struct yg_cloud *c, const char *p, size_t n,
                                    struct yg_decode_err *e);

/* The first value of the field named `name` (any case); false if absent. */
bool yg__cloud_get(struct yg_cloud *c, const char *name, struct yg_str *v);
/* Whether a field named `name` (any case) exists. */
bool yg__cloud_has(struct yg_cloud *c, const char *name);
/* Whether some field name starts with `prefix` (any case). */
bool yg__cloud_has_prefix(struct yg_cloud *c, const char *prefix);

/* Add every value of field `src` to field `dst`, unless the two names are
 * equal ignoring case (then the field already answers to both). */
YG_NODISCARD yg_err yg__cloud_alias(struct yg_cloud *c, const char *dst, const char *src);
/* For every field `<srcpfx><rest>`, add its values to `<dstpfx><rest>`. */
YG_NODISCARD yg_err yg__cloud_alias_prefix(struct yg_cloud *c, const char *dstpfx,
                                           const char *srcpfx);
/* Add to `dst` the values of `src` and of every field below it (`src.*`),
 * unless a field `dst` exists. */
YG_NODISCARD yg_err yg__cloud_collect(struct yg_cloud *c, const char *dst, const char *src);
/* Add one string value to `dst`; v must outlive the record (static text,
 * the input line, or memory from yg__cloud_scratch). */
YG_NODISCARD yg_err yg__cloud_add(struct yg_cloud *c, const char *dst, const char *v, size_t vn);
/* Per-record scratch memory for computed values; NULL when out of memory. */
char *yg__cloud_scratch(struct yg_cloud *c, size_t n);
/* Add to `dst` the two suffixes that an address in the domain of the
 * e-mail address in field `src` (or in a subdomain of it) ends with:
 * `@example.com` and `.example.com`.  Nothing if `src` has no `@`. */
YG_NODISCARD yg_err yg__cloud_add_domain(struct yg_cloud *c, const char *dst, const char *src);

/* Append the fields as one flat JSON object. */
YG_NODISCARD yg_err yg__cloud_emit(struct yg_cloud *c, struct yg_buf *out);

/* ---- Microsoft 365 audit records (fmt_m365.c), shared with the CSV export */

/* Sniff score of a JSON line that is a Microsoft 365 audit record. */
int yg__m365_sniff_json(const char *p, size_t n);
/* Decode one audit record (JSON object at p[0..n)) into out. */
YG_NODISCARD yg_err yg__m365_decode_json(struct yg_cloud *c, const char *p, size_t n,
                                         struct yg_buf *out, struct yg_logsrc *ls,
                                         struct yg_decode_err *e);

#endif
