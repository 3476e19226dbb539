/*
 * uuid.h - name-based UUIDs (RFC 9562 version 5: SHA-1 of a namespace and a
 * name), for ids that must come out the same for the same content: exported
 * STIX objects, derived indicator ids, the built-in intelligence rules.
 */
#ifndef YG_CORE_UUID_H
#define YG_CORE_UUID_H

#include "core/core.h"

/* The RFC 9562 URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
extern const unsigned char yg__uuid_ns_url[16];

/*
 * The version 5 UUID of name[0..n) under namespace ns, written to out as 36
 * lower-case characters and a NUL.  Returns YG_ENOMEM when the digest
 * context cannot be allocated and YG_EUNSUPPORTED when the crypto library
 * refuses SHA-1 (a FIPS-only provider); out is then the empty string, never
 * a made-up id: two different names must not share one.
 */
YG_NODISCARD yg_err yg__uuid5(const unsigned char ns[16], const char *name, size_t n, char out[37]);

#endif
