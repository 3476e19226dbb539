/*
 * columns.h - what an analyst reads first about an alert, taken from its
 * event: the computer, the channel or log source, the event and record ids,
 * and the details that say what happened (command line, user, address, ...),
 * chosen per log source.  The CSV and table outputs and the timesketch and
 * ecs profiles are built from these (src/engine/profile.c).
 */
#ifndef YG_ENGINE_COLUMNS_H
#define YG_ENGINE_COLUMNS_H

#include "core/core.h"
#include "yagura/yagura.h"

/* Most leaves of one event looked at, and longest detail value kept. */
#define YG_COLS_MAX_LEAVES 2048u
#define YG_COLS_DETAIL_VALUE 256u

struct yg_cols_leaf {
    const char *name; /* the leaf's own key (the parent's for #text) */
    uint32_t nn;
    const char *v;
    uint32_t vn;
    bool str;
};

struct yg_cols {
    /* Views into the event (or into the arena); n == 0 when absent. */
    struct yg_str computer, channel, event_id, record_id;
    struct yg_str user, src_ip, dst_ip, command_line, process;
    struct yg_buf details; /* "Name: value ¦ Name: value" */
    /* scratch */
    struct yg_arena arena;
    int32_t *parent;
    struct yg_str *key;
    uint32_t nnodes;
    struct yg_cols_leaf *leaf;
    uint32_t nleaves;
    char chan[160], rec[24];
};

void yg__cols_init(struct yg_cols *c);
void yg__cols_free(struct yg_cols *c);
/* Fill c from the alert's event and log source; evtx_record (0: none) is the
 * record id an EVTX reader gave. */
YG_NODISCARD yg_err yg__cols_fill(struct yg_cols *c, const yg_alert *a, uint64_t evtx_record);
/* The product of a log source JSON object ({"product":"windows",...}), or
 * an empty view. */
struct yg_str yg__cols_product(const char *logsource_json);
struct yg_str yg__cols_service(const char *logsource_json);

#endif
