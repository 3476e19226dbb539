/*
 * addr.h - the one address parser and the one reserved-range table.
 *
 * Every place that reads an IP address from text (the cidr modifier, the
 * indicator store, entities of incidents, geolocation, STIX export) parses
 * it here, and every question "is this address ours / has it a place on the
 * map / may it leave as an indicator" is answered by one table: the IANA
 * IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs
 * each row names), with the multicast blocks and the deprecated IPv4-
 * compatible and site-local IPv6 blocks added.  Copies of such checks
 * drift: one that forgot ::ffff:10.0.0.5 published an internal address.
 *
 * Text forms: IPv4 is four decimal parts 0..255 without leading zeros
 * (inet_pton; "010.0.0.1" is refused because other readers take it as
 * octal); IPv6 is any RFC 4291 form, hex digits of either case, with an
 * embedded dotted quad.  Options, per caller, widen what is accepted
 * around the address (blanks, brackets, a zone, a port).
 */
#ifndef YG_CORE_ADDR_H
#define YG_CORE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct yg_addr {
    uint8_t fam;   /* 4 or 6 */
    uint8_t b[16]; /* network order; IPv4 in b[0..4), the rest zero */
};

#define YG_ADDR_TRIM 1u    /* blanks (space, tab, CR, LF, VT, FF) around the text */
#define YG_ADDR_BRACKET 2u /* [v6] */
#define YG_ADDR_ZONE 4u    /* fe80::1%eth0: the zone of an IPv6 address is dropped */
#define YG_ADDR_UNMAP 8u   /* ::ffff:a.b.c.d (any spelling) becomes IPv4 a.b.c.d */
#define YG_ADDR_PORT 16u   /* a.b.c.d:port and [v6]:port: the port is dropped */

/* s[0..n) as an address (s need not be NUL-terminated; a NUL inside is not
 * an address).  False for anything else, a leaves unspecified. */
bool yg__addr_parse(const char *s, size_t n, unsigned flags, struct yg_addr *a);

/* An IPv4-mapped IPv6 address (::ffff:0:0/96) to the IPv4 address it maps;
 * true when a changed. */
bool yg__addr_unmap(struct yg_addr *a);

/* Canonical text (RFC 5952 for IPv6: lowercase, longest zero run
 * compressed) into out, NUL-terminated; its length, 0 if cap < 46. */
size_t yg__addr_format(const struct yg_addr *a, char *out, size_t cap);

/* Whether the first bits of a and net are equal (bits <= 128). */
bool yg__addr_prefix_eq(const uint8_t *a, const uint8_t *net, unsigned bits);

/* One row of the special-purpose registries. */
struct yg_addr_block {
    uint8_t fam;
    uint8_t net[16];
    uint8_t bits;
    bool global;      /* "Globally Reachable" of the registry */
    const char *name; /* as the registry names it */
    const char *ref;  /* the RFC that defines it */
};

/* The table, sorted by family then address; *n its rows.  Static storage. */
const struct yg_addr_block *yg__addr_blocks(size_t *n);

/* The most specific row containing a, or NULL when a is in none. */
const struct yg_addr_block *yg__addr_block_of(const struct yg_addr *a);

/* Whether a is not a globally reachable unicast address: its most specific
 * row says not globally reachable.  IPv4-mapped addresses (and those of
 * the NAT64 well-known prefix 64:ff9b::/96, RFC 6052) are judged by the
 * IPv4 address they carry, which is the host they name. */
bool yg__addr_reserved(const struct yg_addr *a);

/* yg__addr_parse with YG_ADDR_TRIM|YG_ADDR_BRACKET|YG_ADDR_ZONE, then
 * yg__addr_reserved; false for text that is not an address. */
bool yg__addr_text_reserved(const char *s, size_t n);

#endif
