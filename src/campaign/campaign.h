/*
 * campaign.h - incidents of many organisations linked into campaigns, and
 * each campaign cut into phases (docs/campaigns.md).
 *
 * Incidents come from the local state database (src/incident) and from
 * partners' STIX 2.1 bundles (files, or the folders `yagura intel pull`
 * writes).  Each becomes a set of features: infrastructure (addresses,
 * domains, URLs, certificates, file hashes), malware, intelligence
 * indicators, ATT&CK techniques, CVEs, and the victim's sectors.
 *
 * Two incidents link when they share infrastructure, malware or an
 * intelligence indicator; each shared feature weighs its inverse document
 * frequency (a feature most incidents carry, like a VPN exit or a cloud
 * address many unrelated actors used, weighs almost nothing), scaled by
 * the overlap of their techniques and by the time between them.  Links at
 * or above a threshold join incidents into campaigns (the strongest links
 * first, as in Kruskal's algorithm, so each campaign keeps the links that
 * made it as its evidence).  A campaign's incidents, in time order, are
 * then cut into phases where the sectors, the way in (initial-access
 * techniques, CVEs) or the tooling change, by optimal partitioning (PELT)
 * with a penalty per phase.
 *
 * Everything is sorted by stable keys: the same incidents, read in any
 * order, give the same campaigns, phases, ids and bytes.  A set keeps the
 * message of its last failure (yg__cmp_errmsg).
 */
#ifndef YG_CAMPAIGN_CAMPAIGN_H
#define YG_CAMPAIGN_CAMPAIGN_H

#include "core/core.h"
#include "core/errmsg.h"
#include "store/store.h"

/* Limits (docs/campaigns.md, "Limits"). */
#define YG_CMP_MAX_INCIDENTS 200000u   /* incidents in one analysis */
#define YG_CMP_MAX_FEATURES 4096u      /* features of one incident */
#define YG_CMP_MAX_BUNDLE (512u << 20) /* bytes of one bundle file */
#define YG_CMP_MAX_POSTING 5000u       /* incidents sharing one feature: beyond, it links nothing */
#define YG_CMP_MAX_PHASED 50000u       /* incidents of one campaign cut into phases */
#define YG_CMP_MAX_ORGS 100000u        /* organisations of the inventory */

/* Feature kinds.  Linking kinds first. */
enum yg_cmp_kind {
    YG_CMPF_IP,      /* "ip:198.51.100.7" (canonical) */
    YG_CMPF_DOMAIN,  /* "domain:evil.example" (lowercase) */
    YG_CMPF_URL,     /* "url:..." */
    YG_CMPF_HASH,    /* "hash:<hex>" (lowercase) of a file */
    YG_CMPF_CERT,    /* "cert:<hex>" or "cert:serial:<..>" of an X.509 certificate */
    YG_CMPF_EMAIL,   /* "email:..." */
    YG_CMPF_MALWARE, /* "malware:lodeinfo" (lowercase family name) */
    YG_CMPF_INTEL,   /* "intel:indicator--..." a partner's intelligence indicator */
    YG_CMPF_NLINK,
    YG_CMPF_TECH = YG_CMPF_NLINK, /* "T1566.001" */
    YG_CMPF_CVE,                  /* "CVE-2023-27997" */
    YG_CMPF_SECTOR,               /* "government" */
    YG_CMPF_N
};
const char *yg__cmp_kind_name(enum yg_cmp_kind k);

/* A sorted, duplicate-free list of strings. */
struct yg_cmp_strs {
    const char **v;
    size_t n;
};

/* One incident, after loading and merging (same id from several sources). */
struct yg_cmp_inc {
    const char *id;      /* its STIX id (a local incident's: as `yagura incidents export`) */
    const char *stix_id; /* the STIX id exports refer to (the same) */
    const char *name;
    const char *org;      /* the victim organisation, or NULL */
    const char *origin;   /* the first file it came from (in sorted order), or its local id */
    const char *local_id; /* its id in the local state database (inc-...), or NULL: a partner's */
    int64_t first_ms, last_ms;
    struct yg_cmp_strs f[YG_CMPF_N]; /* features per kind (values without the kind prefix) */
};

/* A feature shared by two linked incidents and what it weighed. */
struct yg_cmp_evidence {
    enum yg_cmp_kind kind;
    const char *value;
    size_t df;     /* incidents carrying it */
    size_t net_df; /* addresses: incidents with an address in its /24 (IPv6 /48), else 0 */
    double weight; /* its share of the link's score before scaling */
};

struct yg_cmp_link {
    size_t a, b;         /* incidents (indexes into the result's incidents), a < b */
    double score;        /* evidence x technique factor x time factor */
    double evidence;     /* sum of the shared features' weights */
    double tech_overlap; /* Jaccard index of their techniques */
    int64_t gap_ms;      /* time between them (0 when they overlap) */
    struct yg_cmp_evidence *ev;
    size_t nev;
    struct yg_cmp_strs tech; /* techniques both used */
};

struct yg_cmp_count {
    const char *name;
    size_t n; /* incidents */
};
struct yg_cmp_counts {
    struct yg_cmp_count *v; /* most incidents first, then by name */
    size_t n;
};

struct yg_cmp_phase {
    int64_t first_ms, last_ms;
    size_t *inc; /* incidents, time order */
    size_t ninc;
    struct yg_cmp_counts sectors, initial, tech, cve, malware, orgs;
};

struct yg_cmp_campaign {
    char id[48]; /* campaign--<UUIDv5 of its sorted member ids> */
    int64_t first_ms, last_ms;
    size_t *inc; /* incidents, time order */
    size_t ninc;
    struct yg_cmp_link *links; /* the links that joined it, strongest first */
    size_t nlinks;
    struct yg_cmp_phase *phases;
    size_t nphases;
    double phase_cost; /* total cost of the partition, penalties included */
};

struct yg_cmp_result {
    const struct yg_cmp_inc *inc; /* every incident, sorted by id */
    size_t ninc;
    struct yg_cmp_campaign *c; /* first activity first, then id */
    size_t nc;
    size_t unlinked; /* incidents in no campaign */
    size_t links_considered, links_kept;
    struct yg_arena a;
};

struct yg_cmp_opts {
    double threshold;    /* a link joins at or above this score (default 0.35) */
    double tech_floor;   /* technique factor = floor + (1 - floor) x Jaccard (default 0.5) */
    double tau_days;     /* time factor = 1 / (1 + gap / tau) (default 365) */
    double phase_pen;    /* phase penalty = phase_pen x ln(incidents) (default 6) */
    size_t min_phase;    /* incidents of the smallest phase (default 3) */
    size_t min_campaign; /* incidents of the smallest campaign (default 2) */
};
/* Fill the defaults above. */
void yg__cmp_opts_default(struct yg_cmp_opts *o);

struct yg_cmp_set;

YG_NODISCARD yg_err yg__cmp_new(struct yg_cmp_set **out);
void yg__cmp_free(struct yg_cmp_set *s);
/* The message of the last failure ("" if none; "out of memory" for NULL). */
const char *yg__cmp_errmsg(const struct yg_cmp_set *s);
/* The warnings of the loads so far (objects skipped and why), one per line. */
const char *yg__cmp_warnings(const struct yg_cmp_set *s);

/* The organisation inventory (docs/campaigns.md): names, domains, address
 * ranges and sectors of organisations, and the address ranges of shared
 * infrastructure.  Errors name the file, line and column. */
YG_NODISCARD yg_err yg__cmp_load_orgs(struct yg_cmp_set *s, const char *path);
YG_NODISCARD yg_err yg__cmp_load_orgs_mem(struct yg_cmp_set *s, const char *name, const char *buf,
                                          size_t n);
/* A STIX 2.1 bundle file, or every *.json file under a folder (sorted). */
YG_NODISCARD yg_err yg__cmp_load_bundle(struct yg_cmp_set *s, const char *path);
YG_NODISCARD yg_err yg__cmp_load_bundle_mem(struct yg_cmp_set *s, const char *name, const char *buf,
                                            size_t n);
/* Every incident of a state database (`yagura incidents`); identity: the
 * name `yagura incidents export --identity` uses, for their STIX ids. */
YG_NODISCARD yg_err yg__cmp_load_store(struct yg_cmp_set *s, struct yg_store *st,
                                       const char *identity);
/* Incidents loaded so far. */
size_t yg__cmp_count(const struct yg_cmp_set *s);

/* Link, group and phase everything loaded. */
YG_NODISCARD yg_err yg__cmp_analyse(struct yg_cmp_set *s, const struct yg_cmp_opts *o,
                                    struct yg_cmp_result **out);
void yg__cmp_result_free(struct yg_cmp_result *r);

/* The result as one JSON document (docs/campaigns.md, "JSON"). */
YG_NODISCARD yg_err yg__cmp_json(const struct yg_cmp_result *r, struct yg_buf *out);

/* An operator's attribution of a campaign to an intrusion set. */
struct yg_cmp_attribution {
    const char *campaign; /* a campaign id, or a unique prefix of one */
    const char *actor;    /* the intrusion set's name */
};
struct yg_cmp_stix_opts {
    const char *identity; /* our identity's name (NULL: "Yagura") */
    int tlp;              /* 0 clear, 1 green, 2 amber, 3 amber+strict, 4 red */
    const struct yg_cmp_attribution *attr;
    size_t nattr;
};
/* The campaigns as a STIX 2.1 bundle: a campaign object each, `uses`
 * relationships to its attack patterns, vulnerabilities and malware, a
 * report per phase, and `attributed-to` only for the attributions given.
 * YG_ENOTFOUND (message in why) when an attribution names no campaign. */
YG_NODISCARD yg_err yg__cmp_stix(const struct yg_cmp_result *r, const struct yg_cmp_stix_opts *o,
                                 struct yg_buf *out, struct yg_errmsg *why);
/* The same for one campaign of r (its id): the console's export of a campaign. */
YG_NODISCARD yg_err yg__cmp_stix_one(const struct yg_cmp_result *r,
                                     const struct yg_cmp_stix_opts *o, const char *campaign,
                                     struct yg_buf *out, struct yg_errmsg *why);

/* "2023-02-01" (UTC) */
void yg__cmp_day(int64_t ms, char out[16]);

#endif
