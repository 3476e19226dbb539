// simdjson_parse.cpp - parse-only ceiling for JSON-lines throughput.
//
// Reads a JSON-lines file into memory and parses every document with simdjson's DOM parser, in
// two ways:
//
//   parse_many  dom::parser::parse_many over the whole buffer, the API simdjson recommends for
//               NDJSON. Every document is fully parsed into the DOM tape (structure and all
//               strings and numbers), then its root type is read. simdjson can run stage 1 of
//               the next batch on a second thread; that is switched off here (parser.threaded =
//               false) unless --threaded is given, so the figure is for one core, like
//               `yagura hunt --threads 1`.
//   per-line    dom::parser::parse on each line separately (found with memchr), the way a
//               line-oriented reader that does not batch would use simdjson.
//
// Loading the file is not timed. Each mode runs --repeat times (default 3) and the fastest run
// is reported: the ceiling, not the average. MB is 10^6 bytes.
//
// Output: human-readable lines, then one "RESULT" line per mode for scripts:
//   RESULT <mode> docs=<n> bytes=<n> seconds=<s> docs_per_s=<r> mb_per_s=<r> threads=<n>
//
// Usage: simdjson_parse [--repeat N] [--batch BYTES] [--threaded] FILE

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace
{

using clock_type = std::chrono::steady_clock;

struct run_result {
    uint64_t docs = 0;
    double seconds = 0;
};

[[noreturn]] void fail(const std::string &msg)
{
    std::fprintf(stderr, "simdjson_parse: %s\n", msg.c_str());
    std::exit(1);
}

// Touches the parsed root so that no parse can be skipped; returns 1 for an object.
uint64_t root_is_object(const simdjson::dom::element &root)
{
    return root.type() == simdjson::dom::element_type::OBJECT ? 1 : 0;
}

run_result run_parse_many(const simdjson::padded_string &buf, size_t batch, bool threaded)
{
    simdjson::dom::parser parser;
#ifdef SIMDJSON_THREADS_ENABLED
    parser.threaded = threaded;
#else
    if (threaded)
        fail("this simdjson build has no thread support");
#endif
    run_result r;
    uint64_t objects = 0;
    auto t0 = clock_type::now();
    simdjson::dom::document_stream stream;
    auto error = parser.parse_many(buf, batch).get(stream);
    if (error)
        fail(std::string("parse_many: ") + simdjson::error_message(error));
    for (auto it = stream.begin(); it != stream.end(); ++it) {
        simdjson::dom::element root;
        error = (*it).get(root);
        if (error)
            fail("document " + std::to_string(r.docs + 1) + " at byte " +
                 std::to_string(it.current_index()) + ": " + simdjson::error_message(error));
        objects += root_is_object(root);
        r.docs++;
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (objects != r.docs)
        fail("a document's root is not an object");
    return r;
}

run_result run_per_line(const simdjson::padded_string &buf)
{
    simdjson::dom::parser parser;
    run_result r;
    uint64_t objects = 0;
    const char *p = buf.data();
    const char *end = p + buf.size();
    auto t0 = clock_type::now();
    while (p < end) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        const char *line_end = nl ? nl : end;
        size_t len = size_t(line_end - p);
        if (len > 0 && p[len - 1] == '\r')
            len--;
        if (len > 0) {
            // The rest of the file and the padded_string's tail follow every line, so the
            // SIMDJSON_PADDING bytes after it are readable: no copy is needed.
            simdjson::dom::element root;
            auto error = parser.parse(p, len, false).get(root);
            if (error)
                fail("line " + std::to_string(r.docs + 1) + ": " + simdjson::error_message(error));
            objects += root_is_object(root);
            r.docs++;
        }
        p = line_end + 1;
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    if (objects != r.docs)
        fail("a document's root is not an object");
    return r;
}

template <typename F> run_result best_of(int repeat, F fn)
{
    run_result best;
    for (int i = 0; i < repeat; i++) {
        run_result r = fn();
        if (i == 0 || r.seconds < best.seconds)
            best = r;
    }
    return best;
}

void report(const char *mode, const char *label, const run_result &r, size_t bytes, int threads,
            int repeat)
{
    double dps = double(r.docs) / r.seconds;
    double mbps = double(bytes) / r.seconds / 1e6;
    std::printf("%-10s %s: best of %d: %.3f s, %.0f docs/s, %.1f MB/s\n", mode, label, repeat,
                r.seconds, dps, mbps);
    std::printf("RESULT %s docs=%llu bytes=%zu seconds=%.6f docs_per_s=%.0f mb_per_s=%.1f "
                "threads=%d\n",
                mode, static_cast<unsigned long long>(r.docs), bytes, r.seconds, dps, mbps,
                threads);
}

void usage()
{
    std::fputs("usage: simdjson_parse [--repeat N] [--batch BYTES] [--threaded] FILE\n"
               "  --repeat N     runs per mode, the fastest is reported (default 3)\n"
               "  --batch BYTES  parse_many batch size (default simdjson's, 1000000)\n"
               "  --threaded     let parse_many run stage 1 on a second thread\n",
               stderr);
}

} // namespace

int main(int argc, char **argv)
{
    int repeat = 3;
    size_t batch = simdjson::dom::DEFAULT_BATCH_SIZE;
    bool threaded = false;
    const char *path = nullptr;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (a == "--threaded") {
            threaded = true;
        } else if ((a == "--repeat" || a == "--batch") && i + 1 < argc) {
            char *end = nullptr;
            unsigned long long v = std::strtoull(argv[++i], &end, 10);
            if (!end || *end || v == 0)
                fail(a + " needs a positive integer");
            if (a == "--repeat")
                repeat = int(std::min<unsigned long long>(v, 1000));
            else
                batch = size_t(v);
        } else if (!a.empty() && a[0] == '-') {
            usage();
            fail("unknown argument: " + a);
        } else if (!path) {
            path = argv[i];
        } else {
            usage();
            fail("only one FILE");
        }
    }
    if (!path) {
        usage();
        fail("FILE is required");
    }

    simdjson::padded_string buf;
    auto error = simdjson::padded_string::load(path).get(buf);
    if (error)
        fail(std::string("cannot load ") + path + ": " + simdjson::error_message(error));

    // Largest line, to check it fits a parse_many batch.
    size_t longest = 0;
    for (const char *p = buf.data(), *end = p + buf.size(); p < end;) {
        const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        const char *e = nl ? nl : end;
        longest = std::max(longest, size_t(e - p));
        p = e + 1;
    }
    if (longest > batch)
        fail("a line of " + std::to_string(longest) + " bytes exceeds the batch size " +
             std::to_string(batch) + "; raise --batch");

    std::printf("simdjson %d.%d.%d, implementation %s (%s)\n",
                int(simdjson::SIMDJSON_VERSION_MAJOR), int(simdjson::SIMDJSON_VERSION_MINOR),
                int(simdjson::SIMDJSON_VERSION_REVISION),
                simdjson::get_active_implementation()->name().c_str(),
                simdjson::get_active_implementation()->description().c_str());
    std::printf("input: %s, %zu bytes, longest line %zu bytes\n", path, buf.size(), longest);

    int pm_threads = threaded ? 2 : 1;
    run_result many = best_of(repeat, [&] { return run_parse_many(buf, batch, threaded); });
    std::string label = "dom::parser::parse_many, batch " + std::to_string(batch) +
                        (threaded ? ", stage 1 threaded" : ", one thread");
    report("parse_many", label.c_str(), many, buf.size(), pm_threads, repeat);

    run_result lines = best_of(repeat, [&] { return run_per_line(buf); });
    report("per_line", "dom::parser::parse per line, one thread", lines, buf.size(), 1, repeat);

    if (many.docs != lines.docs)
        fail("parse_many saw " + std::to_string(many.docs) + " documents, per-line parsing " +
             std::to_string(lines.docs));
    return 0;
}
