/* libFuzzer target: the data files that say which event fields matter,
 * mappings/intel-fields.yml (src/intel/intel_fields.c) and
 * mappings/entities.yml (src/incident/entities.c).  Both loaders read a
 * path, so each input is written to one temporary file and loaded as both;
 * a file that loads is then queried once.
 * Seeds: the two shipped files and variants (see fuzz/seeds.sh). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "incident/entity.h"
#include "incident/incident.h"
#include "intel/intel.h"

static char path[] = "/tmp/yg-fuzz-mappings-XXXXXX";
static int fd = -1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fd < 0 && (fd = mkstemp(path)) < 0)
        abort();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    struct yg_ifields fs;
    if (yg__ifields_load(&fs, path) == YG_OK) {
        const char *cats[] = {"network_connection"};
        for (size_t i = 0; i < fs.nsets; i++)
            (void)yg__ifields_applies(&fs.sets[i], "windows", "sysmon", cats, 1);
    }
    yg__ifields_free(&fs);
    struct yg_entity_map *m = NULL;
    if (yg__entity_map_load(path, &m) == YG_OK) {
        struct yg_str ls[3] = {{"windows", 7}, {"security", 8}, {"", 0}};
        (void)yg__entity_field_kind(m, ls, "TargetUserName", 14);
        char out[256];
        (void)yg__entity_normalise(m, 0, "CONTOSO\\Alice", 13, out, sizeof out);
    } else {
        /* A failed load keeps its message on the map: one must be set. */
        if (m && !yg__entity_map_errmsg(m)[0])
            __builtin_trap();
    }
    yg__entity_map_free(m);
    return 0;
}
