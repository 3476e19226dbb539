/* Version 5 UUIDs of core (src/core/uuid.c): the RFC 9562 / Python uuid5
 * values for known names, and an error with an empty id, never an all-zero
 * digest, when the crypto library cannot allocate. */
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/uuid.h"
#include "tap.h"

/* OpenSSL's allocations go through these, so a test can make them fail. */
static bool fail_crypto;
static void *t_malloc(size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return fail_crypto ? NULL : malloc(n);
}
static void *t_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file, (void)line;
    return fail_crypto ? NULL : realloc(p, n);
}
static void t_free(void *p, const char *file, int line)
{
    (void)file, (void)line;
    free(p);
}

static void known(const unsigned char ns[16], const char *name, const char *want)
{
    char out[37];
    yg_err e = yg__uuid5(ns, name, strlen(name), out);
    CHECK_MSG(e == YG_OK && !strcmp(out, want), "%s: %s, want %s", name, out, want);
}

int main(void)
{
    /* Must come before OpenSSL allocates anything. */
    CHECK(CRYPTO_set_mem_functions(t_malloc, t_realloc, t_free) == 1);
    static const unsigned char ns_dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                             0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    /* Python: uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com"), ... */
    known(ns_dns, "www.example.com", "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    known(yg__uuid_ns_url, "yagura-intel-ip", "53029179-8e5d-557c-8e4a-fdcf63c693fa");
    known(yg__uuid_ns_url, "", "1b4db7eb-4057-5ddf-91e0-36dec72071f5");

    /* A digest that cannot be computed is an error, and no id comes out. */
    char out[37];
    memset(out, 'x', sizeof out);
    fail_crypto = true;
    yg_err e = yg__uuid5(yg__uuid_ns_url, "a", 1, out);
    fail_crypto = false;
    CHECK_MSG(e == YG_ENOMEM || e == YG_EUNSUPPORTED, "got %d", (int)e);
    CHECK(out[0] == 0);
    /* And the next call works again. */
    known(yg__uuid_ns_url, "yagura-intel-ip", "53029179-8e5d-557c-8e4a-fdcf63c693fa");
    TAP_DONE();
}
