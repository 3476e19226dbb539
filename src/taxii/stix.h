/*
 * stix.h - STIX 2.1 export of alerts (stix_export.c) and the TAXII client
 * (taxii_client.c) behind `yagura intel export` and `yagura intel pull`.
 */
#ifndef YG_TAXII_STIX_H
#define YG_TAXII_STIX_H

#include "taxii/taxii.h"

/* Observed-data objects referenced by one sighting at most. */
#define YG_STIX_MAX_OBSERVED_REFS 1000u

struct yg_stix_export_opts {
    const char *identity_name; /* our identity's name (NULL: "Yagura") */
    int tlp;                   /* marking of every object (raised per intel hit) */
    const char *rules_base;    /* folder that relative rule.file paths are under, or NULL */
    const char *min_level;     /* only alerts at or above this level, or NULL */
    int64_t stored_after_ms;   /* state database: only alerts stored since (0: all) */
};

struct yg_stix_export_stats {
    uint64_t alerts, skipped, sightings, indicators;
};

/* Read alerts from path (a state database of `yagura watch`, or JSON lines
 * of alerts as `yagura hunt` writes them; "-" for standard input) and
 * append a STIX 2.1 bundle to out. */
YG_NODISCARD yg_err yg__stix_export(const struct yg_stix_export_opts *o, const char *path,
                                    struct yg_buf *out, struct yg_stix_export_stats *stats,
                                    struct yg_errmsg *why);
/* An incident (`yagura incidents export`): its alerts become sightings as
 * above, and the bundle also holds an `incident` object and a `report` whose
 * object_refs are the incident and everything exported with it. */
struct yg_stix_incident {
    const char *id, *title, *level, *status;
    const char *entities; /* JSON array of {"kind","value","alerts"}, or NULL */
    int64_t first_ms, last_ms;
    long long nalerts_total;   /* the incident's alert count, for the description */
    const char *const *alerts; /* alert JSON texts (NUL-terminated) */
    size_t nalerts;
    bool derive_addresses; /* an indicator for each public address entity */
};
YG_NODISCARD yg_err yg__stix_export_incident(const struct yg_stix_export_opts *o,
                                             const struct yg_stix_incident *inc, struct yg_buf *out,
                                             struct yg_stix_export_stats *stats,
                                             struct yg_errmsg *why);

/* POST a bundle's objects as an envelope to a TAXII collection (the
 * objects/ URL of a collection); *status_json gets the status resource
 * (heap) when the server answered 202. */
YG_NODISCARD yg_err yg__taxii_push(const struct yg_taxii_partner *to, const char *bundle, size_t n,
                                   char **status_json, struct yg_errmsg *why);

/* failure_count of a TAXII status resource (JSON text), or -1 when it is
 * not one. */
long yg__taxii_status_failures(const char *status_json);

struct yg_taxii_pull_stats {
    uint64_t requests, retries, pages, objects;
};
/* Pull one partner's collection into out_dir/<partner>/ (one bundle file
 * per page), resuming from and advancing the cursor kept in the state
 * database at state_path. */
YG_NODISCARD yg_err yg__taxii_pull(const struct yg_taxii_partner *p, const char *state_path,
                                   const char *out_dir, struct yg_taxii_pull_stats *stats,
                                   struct yg_errmsg *why);

#endif
