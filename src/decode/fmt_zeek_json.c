/*
 * fmt_zeek_json.c - Zeek logs written as JSON lines (LogAscii::use_json, or
 * the json-streaming-logs package).
 *
 * Each line is one record of one log.  Which log says the line itself:
 * `_path` (Zeek's own JSON writer with a path field, as in the zed sample
 * data) or `@stream` (json-streaming-logs, as in the OTRF data sets, which
 * mixes every log in one file).  A line with neither cannot be attributed
 * (a line does not know its file's name) and gets service "unknown".
 *
 * Field names are Zeek's: nested objects flatten to `id.orig_h`, and the
 * `_`-scoped names that Log::default_scope_sep="_" produces (`id_orig_h`,
 * `certificate_serial`) are written with dots, which is how SigmaHQ's
 * Zeek rules name them.  Sets and vectors stay arrays of strings.
 */
#include "decode/fmt_net.h"

struct zeek_line {
    const char *service;
    bool from_path; /* `_path` seen: it wins over `@stream` */
};

static void root_str(void *ud, const char *k, size_t kn, const char *v, size_t vn)
{
    struct zeek_line *z = ud;
    if (kn == 5 && !memcmp(k, "_path", 5)) {
        z->service = yg__zeek_service(v, vn);
        z->from_path = true;
    } else if (kn == 7 && !memcmp(k, "@stream", 7) && !z->from_path) {
        z->service = yg__zeek_service(v, vn);
    }
}

static const char *root_rename(const char *k, size_t kn)
{
    return yg__zeek_dotted(k, kn);
}

static yg_err decode(void *st, const char *line, size_t n, struct yg_buf *out, struct yg_logsrc *ls,
                     struct yg_decode_err *e)
{
    (void)st;
    struct zeek_line z = {"unknown", false};
    const struct yg_json_flatten how = {root_str, root_rename, &z};
    yg_err err = yg__json_flatten(line, n, out, &how, e);
    if (err)
        return err;
    ls->product = "zeek";
    ls->service = z.service;
    ls->category = yg__zeek_category(z.service);
    return YG_OK;
}

static int sniff(const char *line, size_t n)
{
    /* The first members, compact or pretty-printed. */
    size_t head;
    const char *h = yg__json_sniff_head(line, n, false, 512, &head);
    if (!h)
        return 0;
    if (yg__json_has_member(h, head, "_path", "") || yg__json_has_member(h, head, "@stream", ""))
        return 95;
    /* Without a path field: Zeek's connection fields give it away. */
    if (yg__json_has_member(h, head, "uid", "C") &&
        (yg__json_has_member(h, head, "id.orig_h", NULL) ||
         yg__json_has_member(h, head, "id_orig_h", NULL)))
        return 70;
    if (yg__json_has_member(h, head, "ts", NULL) && yg__json_has_member(h, head, "fuid", "F"))
        return 60;
    return 0;
}

const struct yg_linefmt yg__fmt_zeek_json = {
    .json_records = true,
    .name = "zeek_json",
    .desc = "Zeek logs as JSON lines (_path or @stream names the log)",
    .sniff = sniff,
    .state_new = NULL,
    .state_free = NULL,
    .decode = decode,
};
