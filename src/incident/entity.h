/*
 * entity.h - the entity mapping inside the incident module (internal).
 */
#ifndef YG_INCIDENT_ENTITY_H
#define YG_INCIDENT_ENTITY_H

#include "incident/incident.h"

struct yg_entity_source {
    char *product, *service, *category; /* lowercase; NULL: any */
    char **fields[YG_ENT_N];            /* lowercase field names per kind */
    size_t nfields[YG_ENT_N];
};

struct yg_entity_map {
    struct yg_arena arena;
    struct yg_entity_source *src;
    size_t nsrc;
    bool link[YG_ENT_N];     /* kinds that group alerts */
    char **ignore[YG_ENT_N]; /* lowercase values ('*' wildcard) that name nobody */
    size_t nignore[YG_ENT_N];
    char **corr[YG_ENT_N]; /* correlation group-by names per kind */
    size_t ncorr[YG_ENT_N];
    char errmsg[1024]; /* why the load failed, "" if it did not (yg__entity_map_errmsg) */
};

/* The kind of an event field of log source ls (product, service, category;
 * p NULL when absent), -1 if it holds no entity.  The first source entry
 * that matches the log source and lists the name decides. */
int yg__entity_field_kind(const struct yg_entity_map *m, const struct yg_str ls[3],
                          const char *name, size_t nn);
/* The kind of a correlation group-by name, -1 if none. */
int yg__entity_group_kind(const struct yg_entity_map *m, const char *name, size_t nn);
/* Normalised value into out (NUL-terminated): trimmed, lowercase, DOMAIN\
 * dropped from accounts, IPv4-mapped IPv6 as IPv4.  0 when the value names
 * nobody (empty, ignored, too long). */
size_t yg__entity_normalise(const struct yg_entity_map *m, int kind, const char *v, size_t n,
                            char *out, size_t cap);

#endif
