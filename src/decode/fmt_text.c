/*
 * fmt_text.c - any line-based log, one line one event.
 *
 * For logs Yagura has no decoder for: each line becomes `{"message":
 * LINE}`, so keyword rules (a `keywords` list, matched against every value)
 * run on it.  Never detected: only `--input-format text` chooses it, and the
 * log source comes from `--logsource` (the record names none).
 */
#include "decode/format.h"

static yg_err text_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                          struct yg_logsrc *ls, struct yg_decode_err *e)
{
    (void)st;
    yg_err err = YG_OK;
    size_t start = out->n;
    bool first = true;
    if (n && line[n - 1] == '\r')
        n--;
    YG_TRY(yg_buf_addc(out, '{'));
    YG_TRY(yg__json_kv(out, &first, "message", 7, line, n));
    YG_TRY(yg_buf_addc(out, '}'));
    *ls = (struct yg_logsrc){NULL, NULL, NULL};
done:
    if (err) {
        out->n = start;
        e->col = 1;
        e->msg = yg_strerror(err);
    }
    return err;
}

const struct yg_linefmt yg__fmt_text = {
    .name = "text",
    .desc = "any line-based log as plain text (field `message`; never detected: use --input-format "
            "text with --logsource)",
    .sniff = NULL,
    .decode = text_decode,
};
