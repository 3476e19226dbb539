/* libFuzzer target: the console's request parsers (src/console/form.c): a
 * form body, the Cookie header, and the HTML escaping every page goes
 * through.  Seeds: fuzz/seeds/console_form (forms and cookies as browsers
 * send them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "console/console.h"
#include "console/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    struct yg_arena a;
    yg_arena_init(&a, 4096, 1u << 24);
    struct yg_form_field f[YG_FORM_MAX_FIELDS];
    size_t nf;
    if (yg__form_parse(p, size, &a, f, &nf)) {
        /* What a parsed form promises: NUL-free, checked text. */
        for (size_t i = 0; i < nf; i++)
            if (strlen(f[i].val) != f[i].vlen || !yg__form_text_ok(f[i].val, f[i].vlen, true) ||
                !yg__form_text_ok(f[i].key, strlen(f[i].key), true))
                abort();
        (void)yg__form_get(f, nf, "csrf");
    }
    yg_arena_free(&a);

    char *h = malloc(size + 1);
    if (!h)
        return 0;
    memcpy(h, data, size);
    h[size] = 0;
    char out[64];
    static const char *const names[] = {"yg_session", "yg_login", "a", ""};
    for (size_t i = 0; i < 4; i++)
        if (yg__cookie_get(h, names[i], out, sizeof out))
            for (const char *q = out; *q; q++)
                if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f || *q == ';')
                    abort();
    free(h);

    /* Escaped text holds no markup character. */
    struct yg_buf b;
    yg_buf_init(&b, 1u << 26);
    if (yg__html_esc(&b, p, size) == YG_OK)
        for (size_t i = 0; i < b.n; i++)
            if (b.p[i] == '<' || b.p[i] == '>' || b.p[i] == '"' || b.p[i] == '\'')
                abort();
    yg_buf_free(&b);
    return 0;
}
