/*
 * addr.c - address parsing and the special-purpose registries (addr.h).
 *
 * The table is the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * row by row, nested rows included (192.0.0.0/24 is not globally reachable
 * but 192.0.0.9/32 in it is), so the answer is that of the most specific
 * row.  Added to the registries, marked "added": the multicast blocks (a
 * group, not a host), the deprecated IPv4-compatible ::/96 and site-local
 * fec0::/10.  Teredo (2001::/32, "N/A" in the registry) counts as not
 * global: the address names the relay, not the client behind it; 6to4
 * (2002::/16, also "N/A") counts as global, being a site's own prefix.
 */
#include "core/addr.h"

#include <arpa/inet.h>
#include <string.h>

/* clang-format off */
static const struct yg_addr_block blocks[] = {
    {4, {0, 0, 0, 0}, 8, false, "\"This network\"", "RFC 791"},
    {4, {0, 0, 0, 0}, 32, false, "\"This host on this network\"", "RFC 1122"},
    {4, {10, 0, 0, 0}, 8, false, "Private-Use", "RFC 1918"},
    {4, {100, 64, 0, 0}, 10, false, "Shared Address Space", "RFC 6598"},
    {4, {127, 0, 0, 0}, 8, false, "Loopback", "RFC 1122"},
    {4, {169, 254, 0, 0}, 16, false, "Link Local", "RFC 3927"},
    {4, {172, 16, 0, 0}, 12, false, "Private-Use", "RFC 1918"},
    {4, {192, 0, 0, 0}, 24, false, "IETF Protocol Assignments", "RFC 6890"},
    {4, {192, 0, 0, 0}, 29, false, "IPv4 Service Continuity Prefix", "RFC 7335"},
    {4, {192, 0, 0, 8}, 32, false, "IPv4 dummy address", "RFC 7600"},
    {4, {192, 0, 0, 9}, 32, true, "Port Control Protocol Anycast", "RFC 7723"},
    {4, {192, 0, 0, 10}, 32, true, "Traversal Using Relays around NAT Anycast", "RFC 8155"},
    {4, {192, 0, 0, 170}, 32, false, "NAT64/DNS64 Discovery", "RFC 8880"},
    {4, {192, 0, 0, 171}, 32, false, "NAT64/DNS64 Discovery", "RFC 8880"},
    {4, {192, 0, 2, 0}, 24, false, "Documentation (TEST-NET-1)", "RFC 5737"},
    {4, {192, 31, 196, 0}, 24, true, "AS112-v4", "RFC 7535"},
    {4, {192, 52, 193, 0}, 24, true, "AMT", "RFC 7450"},
    {4, {192, 88, 99, 0}, 24, false, "Deprecated (6to4 Relay Anycast)", "RFC 7526"},
    {4, {192, 168, 0, 0}, 16, false, "Private-Use", "RFC 1918"},
    {4, {192, 175, 48, 0}, 24, true, "Direct Delegation AS112 Service", "RFC 7534"},
    {4, {198, 18, 0, 0}, 15, false, "Benchmarking", "RFC 2544"},
    {4, {198, 51, 100, 0}, 24, false, "Documentation (TEST-NET-2)", "RFC 5737"},
    {4, {203, 0, 113, 0}, 24, false, "Documentation (TEST-NET-3)", "RFC 5737"},
    {4, {224, 0, 0, 0}, 4, false, "Multicast (added)", "RFC 5771"},
    {4, {240, 0, 0, 0}, 4, false, "Reserved", "RFC 1112"},
    {4, {255, 255, 255, 255}, 32, false, "Limited Broadcast", "RFC 919"},

    {6, {0}, 96, false, "IPv4-compatible, deprecated (added)", "RFC 4291"},
    {6, {0}, 128, false, "Unspecified Address", "RFC 4291"},
    {6, {[15] = 1}, 128, false, "Loopback Address", "RFC 4291"},
    {6, {[10] = 0xff, 0xff}, 96, false, "IPv4-mapped Address", "RFC 4291"},
    {6, {0, 0x64, 0xff, 0x9b}, 96, true, "IPv4-IPv6 Translat.", "RFC 6052"},
    {6, {0, 0x64, 0xff, 0x9b, 0, 1}, 48, false, "IPv4-IPv6 Translat.", "RFC 8215"},
    {6, {0x01, 0}, 64, false, "Discard-Only Address Block", "RFC 6666"},
    {6, {0x20, 0x01}, 23, false, "IETF Protocol Assignments", "RFC 2928"},
    {6, {0x20, 0x01}, 32, false, "TEREDO", "RFC 4380"},
    {6, {0x20, 0x01, 0, 1, [15] = 1}, 128, true, "Port Control Protocol Anycast", "RFC 7723"},
    {6, {0x20, 0x01, 0, 1, [15] = 2}, 128, true, "Traversal Using Relays around NAT Anycast",
     "RFC 8155"},
    {6, {0x20, 0x01, 0, 1, [15] = 3}, 128, true, "DNS-SD Service Registration Protocol Anycast",
     "RFC 9665"},
    {6, {0x20, 0x01, 0, 2, 0, 0}, 48, false, "Benchmarking", "RFC 5180"},
    {6, {0x20, 0x01, 0, 3}, 32, true, "AMT", "RFC 7450"},
    {6, {0x20, 0x01, 0, 4, 0x01, 0x12}, 48, true, "AS112-v6", "RFC 7535"},
    {6, {0x20, 0x01, 0, 0x10}, 28, false, "Deprecated (previously ORCHID)", "RFC 4843"},
    {6, {0x20, 0x01, 0, 0x20}, 28, true, "ORCHIDv2", "RFC 7343"},
    {6, {0x20, 0x01, 0, 0x30}, 28, true, "Drone Remote ID Protocol Entity Tags (DETs) Prefix",
     "RFC 9374"},
    {6, {0x20, 0x01, 0x0d, 0xb8}, 32, false, "Documentation", "RFC 3849"},
    {6, {0x20, 0x02}, 16, true, "6to4", "RFC 3056"},
    {6, {0x26, 0x20, 0, 0x4f, 0x80, 0}, 48, true, "Direct Delegation AS112 Service", "RFC 7534"},
    {6, {0x3f, 0xff}, 20, false, "Documentation", "RFC 9637"},
    {6, {0x5f, 0x00}, 16, false, "Segment Routing (SRv6) SIDs", "RFC 9602"},
    {6, {0xfc}, 7, false, "Unique-Local", "RFC 4193"},
    {6, {0xfe, 0x80}, 10, false, "Link-Local Unicast", "RFC 4291"},
    {6, {0xfe, 0xc0}, 10, false, "Site-Local, deprecated (added)", "RFC 3879"},
    {6, {0xff}, 8, false, "Multicast (added)", "RFC 4291"},
};
/* clang-format on */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* 1 to 5 decimal digits up to 65535. */
static bool is_port(const char *s, size_t n)
{
    if (n < 1 || n > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= 65535;
}

bool yg__addr_parse(const char *s, size_t n, unsigned flags, struct yg_addr *a)
{
    if (!s)
        return false;
    if (flags & YG_ADDR_TRIM) {
        while (n && is_blank(*s))
            s++, n--;
        while (n && is_blank(s[n - 1]))
            n--;
    }
    bool bracketed = false;
    if (n && s[0] == '[' && (flags & (YG_ADDR_BRACKET | YG_ADDR_PORT))) {
        const char *rb = memchr(s, ']', n);
        if (!rb)
            return false;
        size_t rest = n - (size_t)(rb - s) - 1;
        if (rest && (!(flags & YG_ADDR_PORT) || rb[1] != ':' || !is_port(rb + 2, rest - 1)))
            return false;
        n = (size_t)(rb - s) - 1;
        s++;
        bracketed = true;
    }
    char buf[INET6_ADDRSTRLEN + 16];
    if (!n || n >= sizeof buf || memchr(s, 0, n))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, buf, a->b) == 1) {
        a->fam = 4;
    } else {
        char *c = strchr(buf, ':');
        if (!bracketed && (flags & YG_ADDR_PORT) && c && !strchr(c + 1, ':') &&
            is_port(c + 1, n - (size_t)(c - buf) - 1)) {
            /* a.b.c.d:port; one colon is never IPv6. */
            *c = 0;
            if (inet_pton(AF_INET, buf, a->b) != 1)
                return false;
            a->fam = 4;
        } else {
            char *pct = (flags & YG_ADDR_ZONE) ? strchr(buf, '%') : NULL;
            if (pct)
                *pct = 0;
            if (inet_pton(AF_INET6, buf, a->b) != 1)
                return false;
            a->fam = 6;
        }
    }
    if (flags & YG_ADDR_UNMAP)
        yg__addr_unmap(a);
    return true;
}

bool yg__addr_unmap(struct yg_addr *a)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a->fam != 6 || memcmp(a->b, mapped, 12) != 0)
        return false;
    memmove(a->b, a->b + 12, 4);
    memset(a->b + 4, 0, 12);
    a->fam = 4;
    return true;
}

size_t yg__addr_format(const struct yg_addr *a, char *out, size_t cap)
{
    if (cap < INET6_ADDRSTRLEN || (a->fam != 4 && a->fam != 6))
        return 0;
    if (!inet_ntop(a->fam == 4 ? AF_INET : AF_INET6, a->b, out, (socklen_t)cap))
        return 0;
    return strlen(out);
}

bool yg__addr_prefix_eq(const uint8_t *a, const uint8_t *net, unsigned bits)
{
    unsigned full = bits / 8, rem = bits % 8;
    if (memcmp(a, net, full) != 0)
        return false;
    if (!rem)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rem));
    return (a[full] & mask) == (net[full] & mask);
}

const struct yg_addr_block *yg__addr_blocks(size_t *n)
{
    *n = sizeof blocks / sizeof *blocks;
    return blocks;
}

const struct yg_addr_block *yg__addr_block_of(const struct yg_addr *a)
{
    const struct yg_addr_block *best = NULL;
    for (size_t i = 0; i < sizeof blocks / sizeof *blocks; i++)
        if (blocks[i].fam == a->fam && (!best || blocks[i].bits > best->bits) &&
            yg__addr_prefix_eq(a->b, blocks[i].net, blocks[i].bits))
            best = &blocks[i];
    return best;
}

bool yg__addr_reserved(const struct yg_addr *a)
{
    struct yg_addr v = *a;
    static const uint8_t nat64[12] = {0, 0x64, 0xff, 0x9b};
    if (!yg__addr_unmap(&v) && v.fam == 6 && memcmp(v.b, nat64, 12) == 0) {
        memmove(v.b, v.b + 12, 4);
        memset(v.b + 4, 0, 12);
        v.fam = 4;
    }
    const struct yg_addr_block *b = yg__addr_block_of(&v);
    return b && !b->global;
}

bool yg__addr_text_reserved(const char *s, size_t n)
{
    struct yg_addr a;
    return yg__addr_parse(s, n, YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE, &a) &&
           yg__addr_reserved(&a);
}
