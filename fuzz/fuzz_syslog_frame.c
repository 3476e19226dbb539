/* libFuzzer target: the RFC 6587 framer of the TCP and TLS syslog inputs.
 * The first bytes choose the message cap and the chunk sizes; the rest is
 * the stream, pushed in those chunks (never more than the framer's room,
 * as the socket reader does) with every complete message taken between
 * pushes.  Checks: messages lie inside the buffer, respect the cap, and the
 * framer never refuses a push it said it had room for.
 * Seeds: hand-made streams in fuzz/seeds.sh (case syslog_frame). */
#include <stdint.h>
#include <string.h>

#include "ingest/input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    /* Small caps reach the oversize paths with short inputs. */
    size_t max = (size_t)(data[0] % 64) + 1;
    uint8_t seed = data[1];
    data += 2;
    size -= 2;
    struct yg_framer f;
    yg__frame_init(&f, max);
    size_t i = 0;
    while (i < size) {
        seed = (uint8_t)(seed * 37u + 11u);
        size_t k = (size_t)(seed % 23) + 1, room = yg__frame_room(&f);
        if (k > size - i)
            k = size - i;
        if (k > room)
            k = room;
        if (k == 0 || yg__frame_push(&f, (const char *)data + i, k) != YG_OK)
            __builtin_trap();
        i += k;
        const char *m;
        size_t ml;
        while (yg__frame_next(&f, &m, &ml) == YG_OK) {
            if (ml == 0 || ml > max || m < f.buf.p || m + ml > f.buf.p + f.buf.n)
                __builtin_trap();
        }
    }
    yg__frame_free(&f);
    return 0;
}
