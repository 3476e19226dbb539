/*
 * error.h - the one error enum of Yagura.
 *
 * Values only ever grow and are never renumbered: scripts and bindings may
 * store them.  yg_strerror() gives a static English string for each.
 */
#ifndef YAGURA_ERROR_H
#define YAGURA_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum yg_err {
    YG_OK = 0,
    YG_ENOMEM = 1,       /* an allocation failed or a memory cap was hit */
    YG_EIO = 2,          /* reading or writing a file failed (see errno) */
    YG_EINVAL = 3,       /* a caller passed an invalid argument */
    YG_ESYNTAX = 4,      /* malformed input: YAML, JSON, condition, EVTX */
    YG_EUNSUPPORTED = 5, /* valid input that uses a feature Yagura lacks */
    YG_ELIMIT = 6,       /* an explicit limit of limits.h was exceeded */
    YG_ENOTFOUND = 7,    /* a referenced identifier/file does not exist */
    YG_EREGEX = 8,       /* a regular expression did not compile */
    YG_ESTATE = 9,       /* the handle is in a state that refuses the call */
    YG_EOF = 10,         /* end of input (not a failure) */
    YG_ECORRUPT = 11,    /* damaged binary input (EVTX chunk, compressed data) */
} yg_err;

/* Static string describing err; never NULL. */
const char *yg_strerror(yg_err err);

#ifdef __cplusplus
}
#endif
#endif
