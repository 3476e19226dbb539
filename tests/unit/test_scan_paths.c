/* The scanner resolves a key by trying first the path that followed the
 * previous key in an earlier record (src/match/scan.c, on_key): a record
 * whose keys come in the same order but under other parents, or whose key
 * differs only in length or case, must still resolve each key to its own
 * field. */
#include "tap.h"
#include "hits_fixture.h"
#include "yagura/yagura.h"

#include "core/core.h"

static const char rules[] = "title: top-level b\n"
                            "id: top-b\n"
                            "logsource: {product: shapes}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    b: 'two'\n"
                            "  condition: sel\n"
                            "---\n"
                            "title: nested a.b\n"
                            "id: nested-b\n"
                            "logsource: {product: shapes}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    a.b: 'two'\n"
                            "  condition: sel\n"
                            "---\n"
                            "title: long key\n"
                            "id: long-key\n"
                            "logsource: {product: shapes}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    keyxy: 'two'\n"
                            "  condition: sel\n"
                            "---\n"
                            "title: key of 20 bytes\n"
                            "id: key-20\n"
                            "logsource: {product: shapes}\n"
                            "detection:\n"
                            "  sel:\n"
                            "    a_key_of_20_bytes_x: 'two'\n"
                            "  condition: sel\n";

/* The one rule that fired on ev, or "" (none) or "many". */
static const char *fired(yg_scanner *s, const char *ev)
{
    static struct got g;
    int n = scan(s, ev, &g);
    return n < 0 ? "error" : n == 0 ? "" : n == 1 ? g.ids[0] : "many";
}

int main(void)
{
    yg_rules *r;
    yg_scanner *s;
    if (!open_scanner(rules, sizeof rules - 1, "shapes", &r, &s))
        TAP_DONE();
    /* Each twice in a row, then alternating: the second of a kind follows
     * the remembered order, the next kind breaks it. */
    for (int round = 0; round < 3; round++) {
        CHECK(!strcmp(fired(s, "{\"a\":{\"b\":\"two\"}}"), "nested-b"));
        CHECK(!strcmp(fired(s, "{\"a\":{\"b\":\"two\"}}"), "nested-b"));
        /* Same keys, same order, b now at the top. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"b\":\"two\"}"), "top-b"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"b\":\"two\"}"), "top-b"));
        /* A key that is a prefix of the remembered one, and one longer. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxy\":\"two\"}"), "long-key"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyx\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxyz\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxy\":\"two\"}"), "long-key"));
        /* The first key differs: no b at all. */
        CHECK(!strcmp(fired(s, "{\"c\":{\"b\":\"two\"}}"), ""));
        /* The guessed key written with an escape is still that key. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxy\":\"two\"}"), "long-key"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"k\\u0065yxy\":\"two\"}"), "long-key"));
        /* A remembered key that needs an escape (a\ written "a\\") is never
         * guessed: the bytes a\ then a quote are an escaped quote, and the
         * record is malformed. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a\\\\\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a\\\\\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a\\\":\"two\"}"), "error"));
        /* The same with 16 bytes and more after each key (the comparison
         * sixteen bytes at a time): a prefix of the guess, and one longer. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxy\":\"two\",\"p\":\"0123456789abcdef\"}"),
                      "long-key"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyx\":\"two\",\"p\":\"0123456789abcdef\"}"), ""));
        CHECK(
            !strcmp(fired(s, "{\"a\":\"one\",\"keyxyz\":\"two\",\"p\":\"0123456789abcdef\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"keyxy\":\"two\",\"p\":\"0123456789abcdef\"}"),
                      "long-key"));
        CHECK(
            !strcmp(fired(s, "{\"a\":\"one\",\"keyxyz\":\"two\",\"p\":\"0123456789abcdef\"}"), ""));
        /* Keys of 16 bytes and more (compared without the 16-byte step), and
         * keys that differ only past their 16th byte or in length there. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a_key_of_20_bytes_x\":\"two\"}"), "key-20"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a_key_of_20_bytes_x\":\"two\"}"), "key-20"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a_key_of_20_bytes_y\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a_key_of_20_bytes_xy\":\"two\"}"), ""));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"a_key_of_20_bytes_x\":\"two\"}"), "key-20"));
        /* Guessed right but cut after the key: an error, not a match. */
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"b\":\"two\"}"), "top-b"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"b\""), "error"));
        CHECK(!strcmp(fired(s, "{\"a\":\"one\",\"b"), "error"));
    }
    yg_scanner_destroy(s);
    yg_rules_release(r);
    TAP_DONE();
}
