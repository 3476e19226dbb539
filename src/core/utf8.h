/*
 * utf8.h - UTF-8 and UTF-16 code points, one way for every reader and
 * writer: the JSON scanner and trees (\u escapes), the EVTX reader and
 * UTF-16 inputs (surrogate pairs), and the JSON string writer (which
 * sequences are valid).
 *
 * The policy is the strict one of RFC 3629: overlong forms, surrogates
 * (U+D800-U+DFFF) and code points above U+10FFFF are not UTF-8.  A lone
 * surrogate in UTF-16 or in a \u escape has no UTF-8 form and becomes
 * U+FFFD, the replacement character.
 */
#ifndef YG_CORE_UTF8_H
#define YG_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Write code point cp (at most U+10FFFF, not a surrogate) as UTF-8 into o,
 * which has room for 4 bytes.  Returns the length, 1 to 4. */
size_t yg__utf8_put(char *o, uint32_t cp);

/* The code point of a UTF-16 unit hi and the unit after it, lo (0 when
 * there is none): a high surrogate followed by a low one is joined (*used
 * = 2); any other surrogate alone is U+FFFD (*used = 1); a unit outside the
 * surrogates is itself (*used = 1). */
uint32_t yg__utf16_join(uint32_t hi, uint32_t lo, unsigned *used);

/* The length of the valid UTF-8 sequence at s[0..n) whose lead byte is
 * s[0] >= 0x80, or 0 if it is not one (see the policy above). */
size_t yg__utf8_valid_len(const unsigned char *s, size_t n);

#endif
