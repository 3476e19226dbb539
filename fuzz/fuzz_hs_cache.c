/* libFuzzer target: the entry reader of the compiled-database cache
 * (src/match/dbcache.c, yg__dbcache_check).  The input is the bytes of a
 * cache file.  It is checked against the key its own header names (so that
 * the length and hash checks are reached) and against another key; whatever
 * passes is handed to hs_deserialize_database, as a load does.  A blob that
 * passes must be the rest of the input under the header the writer would
 * give it; another key never passes.  Seeds: entries with good and broken
 * headers (see fuzz/seeds.sh). */
#include <hs.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match/dbcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char key[YG_DBCACHE_KEY] = {0};
    if (size >= 16 + YG_DBCACHE_KEY)
        memcpy(key, data + 16, YG_DBCACHE_KEY);
    size_t bl = 0;
    const char *why = NULL;
    const unsigned char *blob = yg__dbcache_check(data, size, key, &bl, &why);
    if (!blob && !why)
        abort(); /* a refusal always says why */
    if (blob) {
        if (blob != data + YG_DBCACHE_HEADER || bl != size - YG_DBCACHE_HEADER)
            abort();
        /* The header the writer would give these bytes is the one read. */
        unsigned char hdr[YG_DBCACHE_HEADER];
        if (yg__dbcache_header(key, blob, bl, hdr) && memcmp(hdr, data, sizeof hdr) != 0)
            abort();
        hs_database_t *db = NULL;
        if (hs_deserialize_database((const char *)blob, bl, &db) == HS_SUCCESS)
            hs_free_database(db);
    }
    unsigned char other[YG_DBCACHE_KEY];
    memcpy(other, key, sizeof other);
    other[0] ^= 1;
    if (yg__dbcache_check(data, size, other, &bl, &why))
        abort(); /* another key never passes */
    return 0;
}
