/*
 * evtx.h - Yagura's reader for Windows XML Event Log (EVTX) files.
 *
 * yg_evtx_parse() walks a whole file held in memory and renders every event
 * record as one JSON document, in the layout of the `evtx_dump` tool of the
 * Rust `evtx` crate (0.8 series, JSON output): elements become keys,
 * attributes go under "#attributes", text next to attributes under "#text",
 * <Data Name="X">v</Data> becomes "X": v, empty elements are null, numbers
 * stay numbers, and strings lose trailing whitespace.
 *
 * The reader trusts nothing in the file.  A chunk with a bad signature or
 * checksum, or a record that cannot be decoded, is reported through the diag
 * callback and skipped; the rest of the file is still read.
 */
#ifndef YG_DECODE_EVTX_H
#define YG_DECODE_EVTX_H

#include "core/core.h"

/*
 * Called once per record with its JSON rendering: one compact document, not
 * NUL-terminated.  The bytes belong to the reader and stay valid only for
 * the duration of the call.  record_id is the record's EventRecordID from its
 * record header.
 */
typedef void (*yg_evtx_record_fn)(void *ud, uint64_t record_id, const char *json, size_t len);

/*
 * Called for each problem that made the reader skip something: a chunk with
 * a bad signature or CRC32, a record with a bad size, a record whose BinXML
 * cannot be rendered.  offset is the file offset of the chunk or record;
 * what is an English message, valid only during the call.
 */
typedef void (*yg_evtx_diag_fn)(void *ud, uint64_t offset, const char *what);

/*
 * Parse the EVTX file data[0..len).  Records are delivered in file order
 * through rec; problems through diag.  Either callback may be NULL.
 *
 * Returns YG_OK when the file header is an EVTX header, even if chunks or
 * records were skipped (each one reported to diag).  Returns YG_ESYNTAX when
 * data is not an EVTX file at all, YG_ECORRUPT when its header block is cut
 * short, YG_ELIMIT when len exceeds YG_MAX_EVTX_BYTES, YG_EINVAL for a NULL
 * data with a non-zero len; none of these fire a callback.  YG_ENOMEM means
 * memory ran out part way: records delivered before that stay delivered.
 *
 * No allocation happens per record once the reader's buffers have grown to
 * the largest record seen; the call frees everything it allocated.
 */
YG_NODISCARD yg_err yg_evtx_parse(const uint8_t *data, size_t len, yg_evtx_record_fn rec,
                                  yg_evtx_diag_fn diag, void *ud);

#endif
