/*
 * geo.c - address lookups in MaxMind DB files.
 *
 * A MaxMind DB is a binary search tree over the bits of the address whose
 * leaves point into a data section of typed maps.  libmaxminddb maps the
 * file and walks it without writing anything, which is why one yg_geo may
 * be shared by every thread: a lookup only reads the mapping.
 *
 * Vendors do not agree on the shape of the maps.  MaxMind's own databases
 * nest (country -> iso_code, location -> latitude), store coordinates as
 * doubles and give an accuracy radius; ip-location-db's files are flat
 * (country_code, latitude and longitude as floats) and give none.  Each
 * field is therefore looked up under every name it is known by, in one
 * entry, and whatever type it comes in is converted; a database of another
 * vendor with either shape works as well.
 *
 * Addresses that mean nothing on a map are answered before any database is
 * asked: those the special-purpose registries say are not globally
 * reachable (core/addr.c: private ranges, loopback, link-local, shared
 * address space, documentation and benchmarking ranges, ...) and multicast.  Some databases do
 * carry entries for a few of them (a country for a "private" block registered to a company, say),
 * which would turn a VPN's internal address into a country.
 */
#include "geo/geo.h"

#include "core/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <maxminddb.h>

struct yg_geo {
    MMDB_s *city[YG_GEO_MAX_DBS];
    size_t ncity;
    MMDB_s *asn[YG_GEO_MAX_DBS];
    size_t nasn;
    /* Why the open failed, "" when it did not (yg__geo_errmsg).  Only the
     * constructor writes it: lookups run on many threads at once and leave
     * the handle untouched. */
    char errmsg[1024];
};

static void close_all(struct yg_geo *g)
{
    for (size_t i = 0; i < g->ncity; i++) {
        MMDB_close(g->city[i]);
        yg_free(g->city[i]);
    }
    for (size_t i = 0; i < g->nasn; i++) {
        MMDB_close(g->asn[i]);
        yg_free(g->asn[i]);
    }
    g->ncity = g->nasn = 0;
}

/* Open one database into *out; a failure's message goes on g. */
static yg_err open_one(struct yg_geo *g, const char *path, MMDB_s **out)
{
    char *why = g->errmsg;
    size_t whylen = sizeof g->errmsg;
    struct stat sb;
    *out = NULL;
    if (!path || !*path) {
        snprintf(why, whylen, "empty database path");
        return YG_EINVAL;
    }
    if (stat(path, &sb) != 0) {
        int e = errno;
        snprintf(why, whylen, "%s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? YG_ENOTFOUND : YG_EIO;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(why, whylen, "%s: not a regular file", path);
        return YG_EIO;
    }
    MMDB_s *db = yg_calloc(1, sizeof *db);
    if (!db) {
        snprintf(why, whylen, "%s: out of memory", path);
        return YG_ENOMEM;
    }
    int st = MMDB_open(path, MMDB_MODE_MMAP, db);
    if (st != MMDB_SUCCESS) {
        int e = errno;
        yg_err err = st == MMDB_OUT_OF_MEMORY_ERROR                      ? YG_ENOMEM
                     : st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR ? YG_EIO
                                                                         : YG_ECORRUPT;
        if (st == MMDB_IO_ERROR || st == MMDB_FILE_OPEN_ERROR)
            snprintf(why, whylen, "%s: %s (%s)", path, MMDB_strerror(st), strerror(e));
        else
            snprintf(why, whylen, "%s: not a MaxMind DB file: %s", path, MMDB_strerror(st));
        yg_free(db);
        return err;
    }
    *out = db;
    return YG_OK;
}

yg_err yg__geo_open(const char *const *city, size_t ncity, const char *const *asn, size_t nasn,
                    struct yg_geo **out)
{
    yg_err err = YG_OK;
    struct yg_geo *g = yg_calloc(1, sizeof *g);
    *out = g; /* a failure below leaves its message on the handle */
    if (!g)
        return YG_ENOMEM;
    if (ncity > YG_GEO_MAX_DBS || nasn > YG_GEO_MAX_DBS) {
        snprintf(g->errmsg, sizeof g->errmsg, "at most %u city and %u ASN databases",
                 YG_GEO_MAX_DBS, YG_GEO_MAX_DBS);
        return YG_ELIMIT;
    }
    for (size_t i = 0; i < ncity; i++) {
        YG_TRY(open_one(g, city[i], &g->city[i]));
        g->ncity++;
    }
    for (size_t i = 0; i < nasn; i++) {
        YG_TRY(open_one(g, asn[i], &g->asn[i]));
        g->nasn++;
    }
done:
    if (err) /* nothing stays open on a failed handle */
        close_all(g);
    return err;
}

const char *yg__geo_errmsg(const struct yg_geo *g)
{
    /* Only a failed allocation of the handle itself leaves no handle. */
    return g ? g->errmsg : "out of memory";
}

void yg__geo_free(struct yg_geo *g)
{
    if (!g)
        return;
    close_all(g);
    yg_free(g);
}

bool yg__geo_has_city(const struct yg_geo *g)
{
    return g && g->ncity > 0;
}

bool yg__geo_has_asn(const struct yg_geo *g)
{
    return g && g->nasn > 0;
}

/* ---- addresses ---------------------------------------------------------- */

/* Text to address (core/addr.h): blanks trimmed, [v6] brackets and a zone
 * dropped, an IPv4-mapped IPv6 address becomes the IPv4 address it maps
 * (databases index those under the IPv4 tree). */
static bool parse_addr(const char *s, size_t n, struct yg_addr *a)
{
    return yg__addr_parse(s, n, YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE | YG_ADDR_UNMAP, a);
}

bool yg__geo_reserved(const char *ip, size_t n)
{
    return yg__addr_text_reserved(ip, n);
}

/* ---- entries ------------------------------------------------------------- */

static bool get_num(MMDB_entry_s *e, const char *const *path, double *out)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    switch (d.type) {
    case MMDB_DATA_TYPE_DOUBLE: *out = d.double_value; break;
    case MMDB_DATA_TYPE_FLOAT: *out = d.float_value; break;
    case MMDB_DATA_TYPE_UINT16: *out = d.uint16; break;
    case MMDB_DATA_TYPE_UINT32: *out = d.uint32; break;
    case MMDB_DATA_TYPE_INT32: *out = d.int32; break;
    case MMDB_DATA_TYPE_UINT64: *out = (double)d.uint64; break;
    case MMDB_DATA_TYPE_UTF8_STRING: {
        /* Some converted databases store every value as text. */
        char buf[64];
        if (!d.data_size || d.data_size >= sizeof buf)
            return false;
        memcpy(buf, d.utf8_string, d.data_size);
        buf[d.data_size] = 0;
        char *end;
        double v = strtod(buf, &end);
        if (*end)
            return false;
        *out = v;
        break;
    }
    default: return false;
    }
    return isfinite(*out);
}

static bool get_str(MMDB_entry_s *e, const char *const *path, char *out, size_t cap)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING || !d.data_size)
        return false;
    size_t n = d.data_size < cap - 1 ? d.data_size : cap - 1;
    /* Cut at a character boundary, never inside a UTF-8 sequence. */
    while (n < d.data_size && n && ((unsigned char)d.utf8_string[n] & 0xc0) == 0x80)
        n--;
    memcpy(out, d.utf8_string, n);
    out[n] = 0;
    return true;
}

static void read_city(MMDB_entry_s *e, struct yg_geo_info *out)
{
    static const char *const cc_nested[] = {"country", "iso_code", NULL};
    static const char *const cc_reg[] = {"registered_country", "iso_code", NULL};
    static const char *const cc_flat[] = {"country_code", NULL};
    static const char *const lat_nested[] = {"location", "latitude", NULL};
    static const char *const lon_nested[] = {"location", "longitude", NULL};
    static const char *const rad_nested[] = {"location", "accuracy_radius", NULL};
    static const char *const lat_flat[] = {"latitude", NULL};
    static const char *const lon_flat[] = {"longitude", NULL};
    char cc[8];
    if (get_str(e, cc_nested, cc, sizeof cc) || get_str(e, cc_flat, cc, sizeof cc) ||
        get_str(e, cc_reg, cc, sizeof cc)) {
        if (strlen(cc) == 2)
            memcpy(out->country, cc, 3);
    }
    double lat, lon, rad;
    if ((get_num(e, lat_nested, &lat) && get_num(e, lon_nested, &lon)) ||
        (get_num(e, lat_flat, &lat) && get_num(e, lon_flat, &lon))) {
        if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
            out->has_coords = true;
            out->lat = lat;
            out->lon = lon;
        }
    }
    if (out->has_coords && get_num(e, rad_nested, &rad) && rad > 0 && rad < 20038)
        out->radius_km = (uint32_t)rad;
}

static void read_asn(MMDB_entry_s *e, struct yg_geo_info *out)
{
    static const char *const num[] = {"autonomous_system_number", NULL};
    static const char *const org[] = {"autonomous_system_organization", NULL};
    double v;
    if (!out->asn && get_num(e, num, &v) && v >= 1 && v <= 4294967295.0)
        out->asn = (uint32_t)v;
    if (out->asn && !out->as_org[0])
        get_str(e, org, out->as_org, sizeof out->as_org);
}

/* The entry of a in db, if any.  An IPv6 address in an IPv4-only database
 * is simply not there. */
static bool find(MMDB_s *db, const struct yg_addr *a, MMDB_entry_s *e, yg_err *err)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    const struct sockaddr *sa;
    if (a->fam == 4) {
        memset(&s4, 0, sizeof s4);
        s4.sin_family = AF_INET;
        memcpy(&s4.sin_addr, a->b, 4);
        sa = (const struct sockaddr *)&s4;
    } else {
        memset(&s6, 0, sizeof s6);
        s6.sin6_family = AF_INET6;
        memcpy(&s6.sin6_addr, a->b, 16);
        sa = (const struct sockaddr *)&s6;
    }
    int mmerr = MMDB_SUCCESS;
    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(db, sa, &mmerr);
    if (mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        return false;
    if (mmerr != MMDB_SUCCESS) {
        *err = YG_ECORRUPT;
        return false;
    }
    if (!r.found_entry)
        return false;
    *e = r.entry;
    return true;
}

yg_err yg__geo_lookup(const struct yg_geo *g, const char *ip, size_t n, struct yg_geo_info *out)
{
    yg_err err = YG_OK;
    struct yg_addr a;
    memset(out, 0, sizeof *out);
    if (!ip || !parse_addr(ip, n, &a))
        return YG_EINVAL;
    if (!g || yg__addr_reserved(&a))
        return YG_OK;
    MMDB_entry_s e;
    for (size_t i = 0; i < g->ncity; i++)
        if (find(g->city[i], &a, &e, &err)) {
            read_city(&e, out);
            read_asn(&e, out); /* some city databases carry the network too */
            break;
        }
    for (size_t i = 0; i < g->nasn && !out->asn; i++)
        if (find(g->asn[i], &a, &e, &err))
            read_asn(&e, out);
    return err;
}

double yg__geo_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0, R = 6371.0088;
    double p1 = lat1 * rad, p2 = lat2 * rad;
    double dp = (lat2 - lat1) * rad, dl = (lon2 - lon1) * rad;
    double h = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);
    if (h > 1)
        h = 1; /* rounding near antipodes */
    return 2 * R * asin(sqrt(h));
}
