/*
 * uuid.c - version 5 UUIDs (uuid.h).
 *
 * SHA-1 comes from OpenSSL's EVP interface.  The digest can fail (no memory
 * for the context, or a provider without SHA-1), and a failure is returned:
 * the copies this replaces used an all-zero digest instead, which gives every
 * name the same id, so distinct objects would have merged in a consumer.
 */
#include "core/uuid.h"

#include <openssl/evp.h>

const unsigned char yg__uuid_ns_url[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                           0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

yg_err yg__uuid5(const unsigned char ns[16], const char *name, size_t n, char out[37])
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    out[0] = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return YG_ENOMEM;
    bool ok = EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(c, ns, 16) == 1 &&
              EVP_DigestUpdate(c, name, n) == 1 && EVP_DigestFinal_ex(c, d, &dn) == 1 && dn >= 16;
    EVP_MD_CTX_free(c);
    if (!ok)
        return YG_EUNSUPPORTED;
    d[6] = (unsigned char)((d[6] & 0x0f) | 0x50); /* version 5 */
    d[8] = (unsigned char)((d[8] & 0x3f) | 0x80); /* RFC variant */
    static const char hx[] = "0123456789abcdef";
    size_t k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[k++] = '-';
        out[k++] = hx[d[i] >> 4];
        out[k++] = hx[d[i] & 15];
    }
    out[k] = 0;
    return YG_OK;
}
