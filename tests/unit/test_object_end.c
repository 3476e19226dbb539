/*
 * test_object_end.c - yg__json_object_end, the framing of every JSON record
 * of a hunt, against a byte-at-a-time reference: the vector scan must find
 * the same end (or none) for every input, whatever the position of quotes,
 * escapes and brackets relative to its 16-byte blocks.
 */
#include "detector/linedec.h"

#include <stdint.h>

#include "tap.h"

/* The plain definition: the end just past the bracket that closes p[0]'s
 * object or array, 0 when there is none within n bytes. */
static size_t reference(const char *p, size_t n)
{
    size_t depth = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '"') {
            for (i++; i < n && p[i] != '"'; i++)
                if (p[i] == '\\')
                    i++;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (depth <= 1)
                return depth ? i + 1 : 0;
            depth--;
        }
    }
    return 0;
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static unsigned next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 32);
}

/* Every record of a real-shaped line, cut at every length. */
static void prefixes(const char *rec)
{
    size_t n = strlen(rec);
    int bad = 0;
    for (size_t k = 0; k <= n; k++)
        bad += yg__json_object_end(rec, k) != reference(rec, k);
    CHECK_MSG(bad == 0, "%d prefixes of %.40s... differ", bad, rec);
    CHECK(yg__json_object_end(rec, n) == reference(rec, n));
}

int main(void)
{
    /* Shapes of the records hunted: Microsoft 365 with nested arrays,
     * escapes (\\, \", \r\n, \u) at and across 16-byte boundaries, brackets
     * inside strings, pretty-printed objects, arrays of records. */
    prefixes("{\"CreationTime\":\"2025-03-03T07:59:57\",\"Operation\":\"MailItemsAccessed\","
             "\"OriginatingServer\":\"BN6PR04MB7905 (15.20.8297.012)\\r\\n\",\"Folders\":[{"
             "\"FolderItems\":[{\"InternetMessageId\":\"<DM6@x.outlook.com>\",\"SizeInBytes\":"
             "771994}],\"Path\":\"\\\\Inbox\"}],\"OperationProperties\":[{\"Name\":\"A\","
             "\"Value\":\"}]{[\"}]}\n{\"next\":1}");
    prefixes("[{\"a\":\"\\\"\"},{\"b\":[1,2,{\"c\":\"\\\\\"}]}]");
    prefixes("{\n  \"Event\": {\n    \"System\": {\"EventID\": 4688},\n    \"EventData\": {"
             "\"CommandLine\": \"cmd /c \\\"echo {x}\\\" \\u005c\"}\n  }\n}\n");
    prefixes("{\"k\":\"aaaaaaaaaaaaaa\\\\\",\"l\":\"aaaaaaaaaaaaaaa\\\"\"}");
    CHECK(yg__json_object_end("}", 1) == 0);
    CHECK(yg__json_object_end("{}", 2) == 2);
    CHECK(yg__json_object_end("{\"a\":\"}", 7) == 0);
    /* Random documents of the bytes that matter and filler, every length to
     * 200: quotes, escapes and brackets land at every offset of a block. */
    static const char alphabet[] = "\"\\{}[]ab:,\" {}";
    char buf[256];
    int bad = 0, ended = 0;
    for (int t = 0; t < 200000; t++) {
        size_t n = next() % 200;
        buf[0] = next() % 4 ? '{' : '[';
        for (size_t i = 1; i < n; i++)
            buf[i] = next() % 3 ? 'x' : alphabet[next() % (sizeof alphabet - 1)];
        size_t want = reference(buf, n);
        ended += want != 0;
        bad += yg__json_object_end(buf, n) != want;
    }
    CHECK_MSG(bad == 0, "%d of 200,000 random documents differ", bad);
    CHECK_MSG(ended > 1000, "the random documents close often enough to test the end (%d)", ended);
    TAP_DONE();
}
