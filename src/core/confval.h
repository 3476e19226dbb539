/*
 * confval.h - the value forms of configuration files: durations, sizes and
 * listen addresses.
 *
 * The service configuration (watch/config.c), the TAXII section
 * (taxii/taxii_config.c) and the HTTP listeners (http/, ingest/in_otlp.c)
 * all read these forms; they live here, below every layer, so that each
 * spells them the same way and none has to reach up into the service.
 */
#ifndef YG_CORE_CONFVAL_H
#define YG_CORE_CONFVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Durations: a whole number and one of ms, s, m, h, d ("500ms", "5m").
 * Sizes: a whole number and one of B, KB, MB, GB, TB, powers of 1024, any
 * case ("100MB").  Both return false on anything else, including overflow
 * of 64 bits. */
bool yg__parse_duration_ms(const char *s, uint64_t *ms);
bool yg__parse_size(const char *s, uint64_t *bytes);
/* Split "host:port", "[v6]:port" or ":port" (empty host: every address).
 * host gets the bare name or address (no brackets); port must be 1-65535,
 * or 0 as well when allow_zero. */
bool yg__parse_hostport(const char *s, char *host, size_t hl, unsigned *port, bool allow_zero);

#endif
