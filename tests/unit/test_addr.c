/*
 * test_addr.c - the one address parser and reserved-range table
 * (core/addr.c): every row of the IANA IPv4 and IPv6 Special-Purpose
 * Address Registries, as published, against the table; the spellings that
 * once leaked; the accepted forms around an address; canonical text.
 */
#include "tap.h"

#include "core/addr.h"

/* The registries as IANA publishes them (address block, globally
 * reachable), plus the rows the table adds (marked). */
static const struct {
    const char *block;
    bool global;
} registry[] = {
    {"0.0.0.0/8", false},
    {"0.0.0.0/32", false},
    {"10.0.0.0/8", false},
    {"100.64.0.0/10", false},
    {"127.0.0.0/8", false},
    {"169.254.0.0/16", false},
    {"172.16.0.0/12", false},
    {"192.0.0.0/24", false},
    {"192.0.0.0/29", false},
    {"192.0.0.8/32", false},
    {"192.0.0.9/32", true},
    {"192.0.0.10/32", true},
    {"192.0.0.170/32", false},
    {"192.0.0.171/32", false},
    {"192.0.2.0/24", false},
    {"192.31.196.0/24", true},
    {"192.52.193.0/24", true},
    {"192.88.99.0/24", false},
    {"192.168.0.0/16", false},
    {"192.175.48.0/24", true},
    {"198.18.0.0/15", false},
    {"198.51.100.0/24", false},
    {"203.0.113.0/24", false},
    {"224.0.0.0/4", false}, /* added: multicast */
    {"240.0.0.0/4", false},
    {"255.255.255.255/32", false},
    {"::/96", false}, /* added: IPv4-compatible, deprecated */
    {"::/128", false},
    {"::1/128", false},
    {"::ffff:0:0/96", false},
    {"64:ff9b::/96", true},
    {"64:ff9b:1::/48", false},
    {"100::/64", false},
    {"2001::/23", false},
    {"2001::/32", false}, /* Teredo: N/A in the registry, the relay's address */
    {"2001:1::1/128", true},
    {"2001:1::2/128", true},
    {"2001:1::3/128", true},
    {"2001:2::/48", false},
    {"2001:3::/32", true},
    {"2001:4:112::/48", true},
    {"2001:10::/28", false},
    {"2001:20::/28", true},
    {"2001:30::/28", true},
    {"2001:db8::/32", false},
    {"2002::/16", true}, /* 6to4: N/A in the registry, a site's own prefix */
    {"2620:4f:8000::/48", true},
    {"3fff::/20", false},
    {"5f00::/16", false},
    {"fc00::/7", false},
    {"fe80::/10", false},
    {"fec0::/10", false}, /* added: site-local, deprecated */
    {"ff00::/8", false},  /* added: multicast */
};

static bool cidr(const char *s, struct yg_addr *a, unsigned *bits)
{
    const char *sl = strchr(s, '/');
    if (!sl || !yg__addr_parse(s, (size_t)(sl - s), 0, a))
        return false;
    *bits = (unsigned)atoi(sl + 1);
    return true;
}

/* Each registry row is a row of the table, with the same reachability, and
 * the table has no row the registry list lacks. */
static void test_table(void)
{
    size_t n;
    const struct yg_addr_block *t = yg__addr_blocks(&n);
    CHECK_MSG(n == sizeof registry / sizeof *registry, "%zu rows in the table, %zu listed", n,
              sizeof registry / sizeof *registry);
    for (size_t i = 0; i < sizeof registry / sizeof *registry; i++) {
        struct yg_addr a;
        unsigned bits = 0;
        if (!cidr(registry[i].block, &a, &bits)) {
            CHECK_MSG(false, "%s does not parse", registry[i].block);
            continue;
        }
        CHECK_MSG(cidr(registry[i].block, &a, &bits), "%s", registry[i].block);
        const struct yg_addr_block *b = yg__addr_block_of(&a);
        /* The network address's most specific row is this one, or one nested in it. */
        bool found = false;
        for (size_t k = 0; k < n; k++)
            if (t[k].fam == a.fam && t[k].bits == bits && !memcmp(t[k].net, a.b, 16)) {
                found = true;
                CHECK_MSG(t[k].global == registry[i].global, "%s: global %d", registry[i].block,
                          t[k].global);
                CHECK_MSG(t[k].name && t[k].ref && !strncmp(t[k].ref, "RFC ", 4), "%s",
                          registry[i].block);
            }
        CHECK_MSG(found, "%s is not in the table", registry[i].block);
        CHECK_MSG(b && b->bits >= bits, "%s", registry[i].block);
        /* The block's last address belongs to it too (unless a nested row ends it). */
        for (unsigned k = bits; k < (a.fam == 4 ? 32u : 128u); k++)
            a.b[k / 8] |= (uint8_t)(0x80 >> (k % 8));
        b = yg__addr_block_of(&a);
        CHECK_MSG(b && b->bits >= bits && yg__addr_prefix_eq(a.b, b->net, b->bits), "%s last",
                  registry[i].block);
    }
}

static bool reserved(const char *s)
{
    return yg__addr_text_reserved(s, strlen(s));
}

static void test_reserved(void)
{
    /* The spellings that passed the export's old check. */
    static const char *const leaked[] = {"::FFFF:10.0.0.5", "0:0:0:0:0:ffff:10.0.0.5",
                                         "::ffff:a00:5",    "0.1.2.3",
                                         "192.0.2.10",      "198.18.0.1"};
    for (size_t i = 0; i < sizeof leaked / sizeof *leaked; i++)
        CHECK_MSG(reserved(leaked[i]), "%s", leaked[i]);
    static const char *const res[] = {"10.255.255.255",
                                      "172.31.0.1",
                                      "192.168.255.255",
                                      "100.127.255.255",
                                      "127.0.0.1",
                                      "169.254.0.1",
                                      "0.0.0.0",
                                      "192.0.0.8",
                                      "192.0.0.171",
                                      "198.19.255.255",
                                      "198.51.100.1",
                                      "203.0.113.1",
                                      "224.0.0.1",
                                      "239.255.255.255",
                                      "240.0.0.1",
                                      "255.255.255.255",
                                      "::",
                                      "::1",
                                      "::10.0.0.5",
                                      "fe80::1%eth0",
                                      "[fe80::1]",
                                      "FD00::1",
                                      "fec0::1",
                                      "ff02::1",
                                      "2001:db8::1",
                                      "3fff:fff::1",
                                      "100::1",
                                      "2001::1",
                                      "2001:2::1",
                                      "5f00::1",
                                      "64:ff9b::10.0.0.5",
                                      "64:ff9b::c0a8:1",
                                      "64:ff9b:1::1",
                                      "::ffff:0.0.0.1"};
    for (size_t i = 0; i < sizeof res / sizeof *res; i++)
        CHECK_MSG(reserved(res[i]), "%s", res[i]);
    static const char *const pub[] = {"8.8.8.8",
                                      "1.1.1.1",
                                      "9.255.255.255",
                                      "11.0.0.0",
                                      "172.15.255.255",
                                      "172.32.0.0",
                                      "100.63.255.255",
                                      "100.128.0.0",
                                      "192.0.0.9",
                                      "192.0.0.10",
                                      "192.0.1.1",
                                      "192.0.3.0",
                                      "198.17.255.255",
                                      "198.20.0.0",
                                      "223.255.255.255",
                                      "::ffff:8.8.8.8",
                                      "::FFFF:808:808",
                                      "64:ff9b::8.8.8.8",
                                      "2001:4860:4860::8888",
                                      "2001:1::1",
                                      "2001:20::1",
                                      "2002:c000:204::1",
                                      "2a00:1450:4001:80b::200e",
                                      "2620:4f:8000::1"};
    for (size_t i = 0; i < sizeof pub / sizeof *pub; i++)
        CHECK_MSG(!reserved(pub[i]), "%s", pub[i]);
}

static void test_parse(void)
{
    struct yg_addr a;
    /* Not addresses, whatever the options. */
    static const char *const bad[] = {
        "",          "alice",     "1.2.3",    "1.2.3.4.5",     "256.1.1.1",
        "010.0.0.1", "1.2.3.4/8", "[1.2.3.4", "2001:db8::g",   "1::2::3",
        ":::",       "[::1]x",    "1.2.3.4:", "1.2.3.4:99999", "[::1]:http"};
    unsigned all = YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE | YG_ADDR_UNMAP | YG_ADDR_PORT;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(!yg__addr_parse(bad[i], strlen(bad[i]), all, &a), "%s", bad[i]);
    CHECK(!yg__addr_parse("8.8.8.8\0", 8, all, &a)); /* a NUL inside */
    CHECK(!yg__addr_parse(NULL, 0, all, &a));
    /* Each option widens exactly its own form. */
    CHECK(!yg__addr_parse(" 8.8.8.8", 8, 0, &a) &&
          yg__addr_parse(" 8.8.8.8\t", 9, YG_ADDR_TRIM, &a));
    CHECK(!yg__addr_parse("[::1]", 5, 0, &a) && yg__addr_parse("[::1]", 5, YG_ADDR_BRACKET, &a) &&
          a.fam == 6);
    CHECK(!yg__addr_parse("fe80::1%eth0", 12, 0, &a) &&
          yg__addr_parse("fe80::1%eth0", 12, YG_ADDR_ZONE, &a) && a.b[0] == 0xfe);
    CHECK(!yg__addr_parse("1.2.3.4:443", 11, 0, &a) &&
          yg__addr_parse("1.2.3.4:443", 11, YG_ADDR_PORT, &a) && a.fam == 4 && a.b[3] == 4);
    CHECK(yg__addr_parse("[2001:db8::1]:443", 17, YG_ADDR_PORT, &a) && a.fam == 6);
    CHECK(!yg__addr_parse("[2001:db8::1]:443", 17, YG_ADDR_BRACKET, &a));
    CHECK(yg__addr_parse("::ffff:10.0.0.5", 15, 0, &a) && a.fam == 6);
    CHECK(yg__addr_parse("::FFFF:a00:5", 12, YG_ADDR_UNMAP, &a) && a.fam == 4 && a.b[0] == 10 &&
          a.b[3] == 5);
    /* Canonical text. */
    char t[64];
    static const char *const canon[][2] = {{"::FFFF:10.0.0.5", "10.0.0.5"},
                                           {"0:0:0:0:0:ffff:10.0.0.5", "10.0.0.5"},
                                           {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
                                           {"[FE80::1%en0]", "fe80::1"},
                                           {" 192.0.2.1 ", "192.0.2.1"}};
    for (size_t i = 0; i < sizeof canon / sizeof *canon; i++) {
        bool ok = yg__addr_parse(canon[i][0], strlen(canon[i][0]),
                                 YG_ADDR_TRIM | YG_ADDR_BRACKET | YG_ADDR_ZONE | YG_ADDR_UNMAP, &a);
        CHECK_MSG(ok && yg__addr_format(&a, t, sizeof t) && !strcmp(t, canon[i][1]), "%s -> %s",
                  canon[i][0], ok ? t : "(not parsed)");
    }
    CHECK(yg__addr_format(&a, t, 8) == 0); /* too small */
}

int main(void)
{
    test_table();
    test_reserved();
    test_parse();
    TAP_DONE();
}
