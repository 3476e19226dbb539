/*
 * cmp_int.h - what the files of src/campaign share: the loaded set, the
 * organisation inventory, feature lists.
 */
#ifndef YG_CAMPAIGN_CMP_INT_H
#define YG_CAMPAIGN_CMP_INT_H

#include "campaign/campaign.h"
#include "core/addr.h"
#include "core/htab.h"

/* A growable list of strings owned by the set's arena. */
struct cmp_list {
    const char **v;
    size_t n, cap;
};

/* One incident as read, before incidents of the same id are merged. */
struct cmp_raw {
    const char *id, *name, *org, *origin;
    const char *local_id;      /* a local incident's id (inc-...), else NULL */
    int64_t first_ms, last_ms; /* INT64_MAX / INT64_MIN: not known */
    int64_t created_ms;        /* fallback time, INT64_MAX when absent */
    struct cmp_list f[YG_CMPF_N];
    size_t nfeat;
};

struct cmp_range {
    struct yg_addr net;
    unsigned bits;
};

struct cmp_org {
    const char *name;
    struct cmp_list aliases, domains, sectors;
    struct cmp_range *ranges;
    size_t nranges;
};

struct cmp_shared {
    const char *name;
    double weight;
    struct cmp_range *ranges;
    size_t nranges;
};

struct yg_cmp_set {
    struct yg_arena a; /* every string and list of the set */
    struct cmp_raw *raw;
    size_t nraw, capraw;
    struct cmp_org *orgs;
    size_t norgs, caporgs;
    struct yg_htab org_by_name;   /* lowercase names and aliases -> org index */
    struct yg_htab org_by_domain; /* lowercase domains -> org index */
    struct yg_htab org_by_net;    /* family, prefix length, masked address -> org index */
    bool plen[2][129];            /* prefix lengths present, IPv4 and IPv6 */
    struct cmp_shared *shared;
    size_t nshared, capshared;
    struct yg_buf warn;
    char err[1024];
};

YG_PRINTF(2, 3) void yg__cmp_fail(struct yg_cmp_set *s, const char *fmt, ...);
YG_PRINTF(2, 3) void yg__cmp_warn(struct yg_cmp_set *s, const char *fmt, ...);

YG_NODISCARD yg_err yg__cmp_list_add(struct yg_arena *a, struct cmp_list *l, const char *v);
/* A new incident (zeroed, times unknown); NULL when out of memory or the
 * incident limit is reached (the set's message says which). */
struct cmp_raw *yg__cmp_raw_new(struct yg_cmp_set *s, const char *id, const char *origin);
/* Add a feature, normalised (addresses canonical, text lowercase, ids
 * uppercase): addresses that are not globally reachable or inside an
 * inventory organisation's ranges are not infrastructure and are left out
 * (the organisation becomes the victim when none is known). */
YG_NODISCARD yg_err yg__cmp_feat(struct yg_cmp_set *s, struct cmp_raw *r, enum yg_cmp_kind k,
                                 const char *v, size_t n);
/* Technique or CVE from a tag or label ("attack.t1566.001", "T1190",
 * "cve.2023-27997", "CVE-2023-27997"); anything else is ignored. */
YG_NODISCARD yg_err yg__cmp_tag(struct yg_cmp_set *s, struct cmp_raw *r, const char *v);
/* The time span of r widened to [a, b]. */
void yg__cmp_span(struct cmp_raw *r, int64_t a, int64_t b);

/* When r has no sector yet, those the inventory gives its organisation. */
YG_NODISCARD yg_err yg__cmp_inventory_sectors(struct yg_cmp_set *s, struct cmp_raw *r);

/* Inventory lookups: the organisation of a name or alias, of a domain (or a
 * name under it), of an address; NULL when none. */
const struct cmp_org *yg__cmp_org_by_name(const struct yg_cmp_set *s, const char *name);
const struct cmp_org *yg__cmp_org_by_domain(const struct yg_cmp_set *s, const char *dom);
const struct cmp_org *yg__cmp_org_by_addr(const struct yg_cmp_set *s, const struct yg_addr *a);
/* The weight factor of an address of shared infrastructure (1 when in none). */
double yg__cmp_shared_weight(const struct yg_cmp_set *s, const char *ip_text);
/* Parse "a.b.c.d/len", "v6/len" or a bare address. */
bool yg__cmp_range_parse(const char *s, struct cmp_range *r);
bool yg__cmp_range_has(const struct cmp_range *r, const struct yg_addr *a);

/* Sort a string array and drop duplicates; the new count. */
size_t yg__cmp_sort_unique(const char **v, size_t n);
int yg__cmp_strcmp(const void *a, const void *b);

/* Incident indexes (size_t) by first activity, then id; ud: the result. */
int yg__cmp_time_cmp(const void *x, const void *y, void *ud);

/* Phases of one campaign (cmp_phase.c). */
YG_NODISCARD yg_err yg__cmp_phases(struct yg_cmp_result *r, struct yg_cmp_campaign *c,
                                   const struct yg_cmp_opts *o);
/* Counts of a feature over some incidents, most first (cmp_phase.c). */
YG_NODISCARD yg_err yg__cmp_counts(struct yg_cmp_result *r, const size_t *inc, size_t n,
                                   enum yg_cmp_kind k, bool initial_only,
                                   struct yg_cmp_counts *out);
bool yg__cmp_initial_access(const char *tech);

#endif
