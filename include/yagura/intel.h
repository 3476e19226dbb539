/*
 * intel.h - threat-intelligence indicators matched against every event.
 *
 * A yg_intel is an indicator store: addresses and CIDR ranges, domains (a
 * domain matches its subdomains), URLs, file hashes, e-mail addresses and
 * user agents, each with its source, confidence, TLP and validity.  It is
 * filled from STIX 2.1 bundles, MISP events and feeds, CSV files and plain
 * lists, then frozen, and from then on it is immutable and shared read-only
 * by every scanner thread (like yg_rules):
 *
 *   yg_intel *in;
 *   yg_intel_create(&in);
 *   yg_intel_set_diag(in, on_problem, ud);       // one call per bad indicator
 *   yg_intel_load_path(in, "feeds/", NULL);      // file or folder, format detected
 *   yg_intel_freeze(in);
 *   yg_compiler_add_intel(compiler, in);         // the compiler takes a reference
 *   yg_intel_release(in);
 *
 * Strings handed to callbacks are valid only during the call; those of a
 * yg_intel_indicator except `id` point into the store and live as long as
 * it (a derived id is computed for the call).
 */
#ifndef YAGURA_INTEL_H
#define YAGURA_INTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yagura/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct yg_intel yg_intel;

/* Indicator types; the order is the order of the built-in intel rules. */
typedef enum yg_ioc_type {
    YG_IOC_IP = 0, /* IPv4 or IPv6 address, or CIDR range */
    YG_IOC_DOMAIN = 1,
    YG_IOC_URL = 2,
    YG_IOC_HASH = 3, /* MD5, SHA-1, SHA-256 (SHA-512 too), lowercase hex */
    YG_IOC_EMAIL = 4,
    YG_IOC_USER_AGENT = 5,
    YG_IOC_NTYPES = 6
} yg_ioc_type;

/* "ip", "domain", "url", "hash", "email", "user_agent". */
const char *yg_ioc_type_name(yg_ioc_type t);

/* One indicator as stored.  Times are milliseconds since the Unix epoch,
 * INT64_MIN when absent.  hash_kind: "md5", "sha1", "sha256", "sha512" for
 * hashes, else "". */
typedef struct yg_intel_indicator {
    const char *id; /* STIX id, MISP attribute uuid, CSV id, or a uuid5 of type+value+source
                       ("" if SHA-1 is unavailable to derive one) */
    yg_ioc_type type;
    const char *value; /* normalised (lowercase host, hex, address text) */
    const char *hash_kind;
    const char *source;
    const char *tlp; /* "TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED" */
    int confidence;  /* 0..100, -1 when unknown */
    int64_t valid_from, valid_until, first_seen, last_seen;
    const char *description; /* "" when none */
    const char *labels_json; /* JSON array */
    const char *file;        /* where it was loaded from */
} yg_intel_indicator;

/* A problem with one indicator (or one file).  It was skipped; the others
 * still load. */
typedef struct yg_intel_diag {
    const char *file;
    unsigned line, col;    /* 0 when unknown */
    const char *object_id; /* STIX object id, MISP attribute uuid, or NULL */
    yg_err err;            /* YG_ESYNTAX, YG_EUNSUPPORTED, YG_ELIMIT, YG_EIO */
    const char *message;   /* what was wrong, or what was expected */
    const char *pattern;   /* the STIX pattern concerned, or NULL */
} yg_intel_diag;
typedef void (*yg_intel_diag_cb)(void *ud, const yg_intel_diag *d);

/* Options of one load call.  All may be zero/NULL. */
typedef struct yg_intel_load_opts {
    const char *source; /* source when the file names none (CSV, plain lists) */
    const char *tlp;    /* TLP when the file names none (default: the store's) */
    int confidence;     /* confidence when the file gives none; 0 means unknown */
    /* Plain one-indicator-per-line files: the type ("ip", "domain", "url",
     * "md5", "sha1", "sha256", "hash", "email", "user_agent"); NULL detects
     * CSV with a header, or a plain list whose type is guessed per line. */
    const char *plain_type;
    const char *format; /* NULL: detect; "stix", "misp", "csv", "plain" */
} yg_intel_load_opts;

/* Counts of what was loaded, skipped and why. */
typedef struct yg_intel_stats {
    size_t indicators;             /* stored */
    size_t by_type[YG_IOC_NTYPES]; /* stored, per type */
    size_t cidr;                   /* of the ip ones, ranges */
    size_t files;                  /* files read */
    size_t errors;                 /* indicators (or files) rejected as malformed */
    size_t unsupported;            /* STIX patterns or attribute types not matchable */
    size_t skipped_not_ids;        /* MISP attributes with to_ids false */
    size_t skipped_other;          /* MISP attributes that are no indicator (text, link, ...) */
    size_t expired;                /* stored but valid_until already past at load time */
    size_t duplicates;             /* same type and value as one stored before */
    size_t bytes;                  /* memory held by the store */
} yg_intel_stats;

yg_err yg_intel_create(yg_intel **out);
void yg_intel_set_diag(yg_intel *in, yg_intel_diag_cb cb, void *ud);
/* TLP of indicators whose source gives none ("TLP:AMBER" by default: what
 * arrives unmarked is not passed on freely).
 * Accepts TLP 2.0 and 1.0 names with or without the "TLP:" prefix. */
yg_err yg_intel_set_default_tlp(yg_intel *in, const char *tlp);
/* Alert level from confidence: "90:critical,70:high,40:medium,0:low" gives
 * the level of the first threshold the confidence reaches; indicators
 * without a confidence get `high`.  NULL or "" restores the default: every
 * hit is `high`. */
yg_err yg_intel_set_level_map(yg_intel *in, const char *spec);
/* Load a file or a folder (recursively; files named *.json, *.csv, *.txt,
 * *.md5, *.sha1, *.sha256, *.ioc, and MISP feed folders with manifest.json).
 * Returns YG_OK unless the path cannot be read at all or the store is
 * frozen (YG_ESTATE); bad indicators go to the diagnostic callback. */
yg_err yg_intel_load_path(yg_intel *in, const char *path, const yg_intel_load_opts *o);
/* The same for bytes in memory; name is used in diagnostics. */
yg_err yg_intel_load_buffer(yg_intel *in, const char *name, const char *buf, size_t len,
                            const yg_intel_load_opts *o);
/* Build the lookup tables.  Loading is refused afterwards. */
yg_err yg_intel_freeze(yg_intel *in);
void yg_intel_get_stats(const yg_intel *in, yg_intel_stats *st);
/* Distinct sources and the number of indicators stored from each:
 * i < count. */
size_t yg_intel_source_count(const yg_intel *in);
const char *yg_intel_source_name(const yg_intel *in, size_t i, size_t *count);

/* Indicators matching value (as found in an event) of the given type, valid
 * at at_ms (INT64_MIN: ignore validity); cb returns non-zero to stop.
 * Returns the number of hits reported.  A domain value also matches its
 * parent domains' indicators, an address the ranges that contain it. */
typedef int (*yg_intel_hit_cb)(void *ud, const yg_intel_indicator *ind);
size_t yg_intel_lookup(const yg_intel *in, yg_ioc_type t, const char *value, size_t n,
                       int64_t at_ms, yg_intel_hit_cb cb, void *ud);

void yg_intel_retain(yg_intel *in);
void yg_intel_release(yg_intel *in);

#ifdef __cplusplus
}
#endif
#endif
