/*
 * taxii_publish.c - `yagura watch` publishing its own sightings into one of
 * the collections it serves (taxii.publish in the configuration).
 *
 * Each round exports the alerts stored within the window as STIX, exactly as
 * `yagura intel export` does, and imports the bundle into the collection.
 * Ids are derived from content, so an unchanged object is a duplicate the
 * store ignores, and a sighting seen again since the last round (new
 * last_seen and count) is stored as a newer version of the same object:
 * partners polling with added_after get only what changed.
 */
#include <time.h>

#include "taxii/stix.h"
#include "taxii/taxii.h"

yg_err yg__taxii_publish(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                         const char *state_db, uint64_t *added, uint64_t *refused)
{
    *added = *refused = 0;
    struct yg_errmsg why = {""};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    struct yg_stix_export_opts o = {
        .identity_name = c->identity_name,
        .tlp = c->export_tlp,
        .min_level = c->publish_min_level ? c->publish_min_level : "medium",
        .stored_after_ms = now - (int64_t)c->publish_window_ms,
    };
    struct yg_buf out;
    yg_buf_init(&out, (size_t)4 << 30);
    struct yg_stix_export_stats st;
    yg_err err = yg__stix_export(&o, state_db, &out, &st, &why);
    if (err)
        yg__taxii_server_seterr(s, "%s", why.msg);
    else if (st.sightings)
        err = yg__taxii_import_buffer(s, c->publish_coll, out.p, out.n, added, refused);
    else
        yg__taxii_server_seterr(s, "%s", "");
    yg_buf_free(&out);
    return err;
}
