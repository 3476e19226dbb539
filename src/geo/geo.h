/*
 * geo.h - IP address to place and network, from MaxMind DB (.mmdb) files.
 *
 * A yg_geo holds up to YG_GEO_MAX_DBS city databases and as many ASN
 * databases, opened read-only (memory-mapped) through libmaxminddb.  Once
 * opened it never changes, so any number of threads may look up at once.
 *
 * Two schemas are read, whichever the entry has:
 *   MaxMind GeoIP2 / GeoLite2   country.iso_code (else registered_country),
 *                               location.latitude, location.longitude,
 *                               location.accuracy_radius;
 *                               autonomous_system_number and
 *                               autonomous_system_organization (ASN DB);
 *   ip-location-db flat         country_code, latitude, longitude (floats),
 *                               and the same two ASN keys.
 * Databases are tried in the order given until one has an entry, so an
 * IPv4-only and an IPv6-only file (as ip-location-db ships them) work side
 * by side.  Private, loopback, link-local, shared, documentation, multicast
 * and other reserved addresses have no location and are never looked up.
 *
 * docs/analytics.md describes how the correlation analytics use this.
 */
#ifndef YG_GEO_H
#define YG_GEO_H

#include "yagura/limits.h"

#include "core/core.h"

struct yg_geo; /* opened databases, immutable */

/* What is known of one address.  Strings are NUL-terminated copies. */
struct yg_geo_info {
    char country[4]; /* ISO 3166-1 alpha-2 code, "" when unknown */
    bool has_coords;
    double lat, lon;    /* degrees, when has_coords */
    uint32_t radius_km; /* accuracy radius, 0 when the database gives none */
    uint32_t asn;       /* 0 when unknown */
    char as_org[128];   /* "" when unknown (cut to fit) */
};

/*
 * Open the databases at city[0..ncity) and asn[0..nasn) (either count may be
 * 0; at most YG_GEO_MAX_DBS each).  On failure nothing stays open but *out
 * is still a handle whose yg__geo_errmsg names the file and the reason
 * (only yg__geo_errmsg and yg__geo_free are meant for it): YG_ENOTFOUND for
 * a missing file, YG_EIO for one that cannot be read, YG_ECORRUPT for a
 * file that is not a MaxMind DB, YG_ELIMIT for too many paths.  *out is
 * NULL only when the handle could not be allocated (YG_ENOMEM).  Free with
 * yg__geo_free() in every case.
 */
YG_NODISCARD yg_err yg__geo_open(const char *const *city, size_t ncity, const char *const *asn,
                                 size_t nasn, struct yg_geo **out);
/* Why yg__geo_open failed on g, "" when it succeeded; "out of memory" for
 * NULL.  Lookups report through their return value only: they share the
 * handle between threads and do not write to it. */
const char *yg__geo_errmsg(const struct yg_geo *g);
void yg__geo_free(struct yg_geo *g);
/* Whether city (country and coordinates) or ASN databases are open. */
bool yg__geo_has_city(const struct yg_geo *g);
bool yg__geo_has_asn(const struct yg_geo *g);

/*
 * Look up the address text ip[0..n) (IPv4, IPv6, IPv6 in brackets, an
 * IPv4-mapped IPv6 address; blanks around it are ignored).  Fills *out
 * (zeroed first) with whatever the databases know and returns YG_OK, also
 * when they know nothing or the address is reserved; YG_EINVAL when the
 * text is not an address; YG_ECORRUPT when a database entry cannot be read.
 * g may be NULL (nothing is known).
 */
YG_NODISCARD yg_err yg__geo_lookup(const struct yg_geo *g, const char *ip, size_t n,
                                   struct yg_geo_info *out);

/* Whether ip[0..n) is an address that has no place on the map (private,
 * reserved, ...); false for text that is not an address. */
bool yg__geo_reserved(const char *ip, size_t n);

/* Great-circle distance in km between two points given in degrees
 * (haversine on a sphere of the mean Earth radius, 6371.0088 km). */
double yg__geo_distance_km(double lat1, double lon1, double lat2, double lon2);

#endif
