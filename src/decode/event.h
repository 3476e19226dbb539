/*
 * event.h - one decoded event as the matcher sees it.
 *
 * An event is a flat list of leaf fields.  Keys are full dotted paths of the
 * source document (`Event.EventData.Image`); values are views into the
 * input bytes when they need no unescaping, else into the event's scratch
 * arena.  Nothing is copied per event that does not have to be.
 *
 * Each field also carries `fid`, the id of the rule field name it answers
 * to (interned at rule compile time, see match/fields.h), or -1 when no rule
 * looks at it.  Fields with the same fid are chained through `next` so that
 * the evaluator reaches all values of a field (JSON arrays, repeated keys)
 * without scanning.
 */
#ifndef YG_DECODE_EVENT_H
#define YG_DECODE_EVENT_H

#include "core/core.h"

/* JSON type of a value. Numbers are kept as their source text. */
enum yg_vt { YG_VT_STR = 0, YG_VT_NUM, YG_VT_BOOL, YG_VT_NULL, YG_VT_OBJ };

struct yg_val {
    const char *p; /* not NUL-terminated */
    uint32_t n;
    uint8_t type; /* enum yg_vt; OBJ means an empty object/array leaf */
};

struct yg_field {
    const char *key;
    uint32_t klen;
    int32_t fid;  /* rule field id, -1 if none */
    int32_t next; /* next field index with the same fid, -1 at the end */
    struct yg_val v;
};

#endif
