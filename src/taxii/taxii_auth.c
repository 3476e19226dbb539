/*
 * taxii_auth.c - credentials, TLP levels and timestamps of the sharing code.
 *
 * Passwords are never stored: the configuration holds
 * "pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>" (OpenSSL's
 * PKCS5_PBKDF2_HMAC, 32-byte output), made by `yagura serve --hash-password`.
 * API tokens are random 256-bit strings; the configuration holds their
 * SHA-256 only ("sha256$<hex>"), which is enough because a token, unlike a
 * password, has full entropy.  Every comparison of secrets is constant-time
 * (CRYPTO_memcmp).
 */
#include "taxii/taxii.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "core/timeparse.h"

/* ---- TLP ---------------------------------------------------------------- */

static const struct {
    const char *id;
    int level;
} tlp_ids[] = {
    /* TLP 2.0 (cti-stix-common-objects, extension-definition--60a3c5c5...) */
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", YG_TLP_CLEAR},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", YG_TLP_GREEN},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", YG_TLP_AMBER},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", YG_TLP_AMBER_STRICT},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", YG_TLP_RED},
    /* TLP 1.0, predefined by STIX 2.1 section 7.2.1.4 */
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", YG_TLP_CLEAR},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", YG_TLP_GREEN},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", YG_TLP_AMBER},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", YG_TLP_RED},
};

static const char *const tlp_names[] = {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT",
                                        "TLP:RED"};

int yg__tlp_of_marking(const char *id)
{
    if (!id)
        return YG_TLP_NONE;
    for (size_t i = 0; i < sizeof tlp_ids / sizeof *tlp_ids; i++)
        if (strcmp(id, tlp_ids[i].id) == 0)
            return tlp_ids[i].level;
    return YG_TLP_NONE;
}

bool yg__tlp_parse(const char *s, int *level)
{
    static const struct {
        const char *w;
        int l;
    } words[] = {{"clear", YG_TLP_CLEAR},
                 {"white", YG_TLP_CLEAR},
                 {"green", YG_TLP_GREEN},
                 {"amber", YG_TLP_AMBER},
                 {"amber+strict", YG_TLP_AMBER_STRICT},
                 {"red", YG_TLP_RED}};
    if (!s)
        return false;
    if (strncasecmp(s, "tlp:", 4) == 0)
        s += 4;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i].w) == 0) {
            *level = words[i].l;
            return true;
        }
    return false;
}

const char *yg__tlp_marking_id(int level)
{
    return level >= 0 && level <= YG_TLP_RED ? tlp_ids[level].id : NULL;
}

const char *yg__tlp_name(int level)
{
    return level >= 0 && level <= YG_TLP_RED ? tlp_names[level] : "none";
}

/* ---- hex ---------------------------------------------------------------- */

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int hexd(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Exactly 2*n hex digits from s into out; false otherwise. */
static bool from_hex(const char *s, size_t sl, unsigned char *out, size_t n)
{
    if (sl != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int h = hexd(s[2 * i]), l = hexd(s[2 * i + 1]);
        if (h < 0 || l < 0)
            return false;
        out[i] = (unsigned char)(h * 16 + l);
    }
    return true;
}

/* ---- passwords ------------------------------------------------------------ */

#define SALT_BYTES 16u
#define HASH_BYTES 32u
#define MAX_SALT_BYTES 64u

struct pw {
    unsigned long iter;
    unsigned char salt[MAX_SALT_BYTES];
    size_t saltn;
    unsigned char hash[HASH_BYTES];
};

static bool parse_pw(const char *h, struct pw *p)
{
    static const char pre[] = "pbkdf2-sha256$";
    if (!h || strncmp(h, pre, sizeof pre - 1) != 0)
        return false;
    h += sizeof pre - 1;
    char *end;
    if (*h < '1' || *h > '9')
        return false;
    p->iter = strtoul(h, &end, 10);
    if (*end != '$' || p->iter < YG_TAXII_PBKDF2_MIN_ITER || p->iter > 100000000ul)
        return false;
    const char *salt = end + 1, *d = strchr(salt, '$');
    if (!d || (size_t)(d - salt) % 2 || (size_t)(d - salt) / 2 < 8 ||
        (size_t)(d - salt) / 2 > MAX_SALT_BYTES)
        return false;
    p->saltn = (size_t)(d - salt) / 2;
    return from_hex(salt, (size_t)(d - salt), p->salt, p->saltn) &&
           from_hex(d + 1, strlen(d + 1), p->hash, HASH_BYTES);
}

bool yg__taxii_password_hash_ok(const char *hash)
{
    struct pw p;
    return parse_pw(hash, &p);
}

static yg_err hash_iter(const char *password, size_t pn, unsigned long iter, char **out)
{
    unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return YG_EIO;
    if (PKCS5_PBKDF2_HMAC(password, (int)pn, salt, sizeof salt, (int)iter, EVP_sha256(),
                          sizeof hash, hash) != 1)
        return YG_EIO;
    char sh[2 * SALT_BYTES + 1], hh[2 * HASH_BYTES + 1];
    to_hex(salt, sizeof salt, sh);
    to_hex(hash, sizeof hash, hh);
    size_t n = 32 + sizeof sh + sizeof hh;
    *out = yg_malloc(n);
    if (!*out)
        return YG_ENOMEM;
    snprintf(*out, n, "pbkdf2-sha256$%lu$%s$%s", iter, sh, hh);
    return YG_OK;
}

yg_err yg__taxii_hash_password(const char *password, char **out)
{
    return hash_iter(password, strlen(password), YG_TAXII_PBKDF2_ITER, out);
}

yg_err yg__taxii_dummy_hash(const char *like, char **out)
{
    struct pw p;
    unsigned char r[32];
    if (RAND_bytes(r, sizeof r) != 1)
        return YG_EIO;
    yg_err err = hash_iter((const char *)r, sizeof r,
                           like && parse_pw(like, &p) ? p.iter : YG_TAXII_PBKDF2_ITER, out);
    OPENSSL_cleanse(r, sizeof r);
    return err;
}

bool yg__taxii_check_password(const char *hash, const char *password, size_t pn)
{
    struct pw p;
    unsigned char got[HASH_BYTES];
    if (!parse_pw(hash, &p) || pn > 4096)
        return false;
    if (PKCS5_PBKDF2_HMAC(password, (int)pn, p.salt, (int)p.saltn, (int)p.iter, EVP_sha256(),
                          sizeof got, got) != 1)
        return false;
    return CRYPTO_memcmp(got, p.hash, HASH_BYTES) == 0;
}

/* ---- tokens --------------------------------------------------------------- */

yg_err yg__taxii_hash_token(const char *token, char **out)
{
    unsigned char d[32];
    unsigned dl = 0;
    if (EVP_Digest(token, strlen(token), d, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
        return YG_EIO;
    *out = yg_malloc(8 + 65);
    if (!*out)
        return YG_ENOMEM;
    memcpy(*out, "sha256$", 7);
    to_hex(d, 32, *out + 7);
    return YG_OK;
}

bool yg__taxii_token_hash_ok(const char *hash)
{
    unsigned char d[32];
    return hash && strncmp(hash, "sha256$", 7) == 0 && from_hex(hash + 7, strlen(hash + 7), d, 32);
}

yg_err yg__taxii_new_token(char **out)
{
    static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[33];
    if (RAND_bytes(r, sizeof r) != 1)
        return YG_EIO;
    *out = yg_malloc(45);
    if (!*out)
        return YG_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; i < sizeof r; i += 3) {
        uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
        (*out)[o++] = b64u[(v >> 18) & 63];
        (*out)[o++] = b64u[(v >> 12) & 63];
        (*out)[o++] = b64u[(v >> 6) & 63];
        (*out)[o++] = b64u[v & 63];
    }
    (*out)[o] = 0;
    return YG_OK;
}

/* ---- time ------------------------------------------------------------------ */

static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        *v = *v * 10 + (s[i] - '0');
    }
    return true;
}

bool yg__taxii_time_parse(const char *s, int64_t *us)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
        return false;
    const char *p = s + 19;
    int64_t frac = 0;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9') {
            if (nd < 6)
                frac = frac * 10 + (*p - '0');
            nd++;
            p++;
        }
        if (nd == 0)
            return false;
        for (; nd < 6; nd++)
            frac *= 10;
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        off = (int64_t)(oh * 60 + om) * 60;
        if (*p == '-')
            off = -off;
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    int64_t days = yg__days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + (se > 59 ? 59 : se) - off;
    *us = secs * 1000000 + frac;
    return true;
}

static void fmt(int64_t us, char out[32], int fracdigits)
{
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    if (fracdigits == 6)
        yg__time_format_frac(secs, (uint32_t)frac, 6, out);
    else
        yg__time_format_frac(secs, (uint32_t)(frac / 1000), 3, out);
}

void yg__taxii_time_fmt(int64_t us, char out[32])
{
    fmt(us, out, 6);
}

void yg__taxii_time_fmt_ms(int64_t us, char out[32])
{
    fmt(us, out, 3);
}

int64_t yg__taxii_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
