/*
 * limits.h - every hard cap of Yagura in one place.
 *
 * Input is hostile: each parser checks against these and reports
 * YG_ELIMIT with the name of the limit rather than growing without bound.
 */
#ifndef YAGURA_LIMITS_H
#define YAGURA_LIMITS_H

/* Longest single event (JSON line or rendered EVTX record), bytes. */
#define YG_MAX_EVENT_BYTES (4u * 1024u * 1024u)
/* Most fields kept for one event. */
#define YG_MAX_EVENT_FIELDS 4096u
/* Deepest JSON nesting accepted. */
#define YG_MAX_JSON_DEPTH 64u
/* Largest rule file, bytes. */
#define YG_MAX_RULE_FILE_BYTES (4u * 1024u * 1024u)
/* Deepest YAML nesting in a rule. */
#define YG_MAX_YAML_DEPTH 32u
/* Longest condition expression, bytes, and deepest nesting of it. */
#define YG_MAX_CONDITION_BYTES 8192u
#define YG_MAX_CONDITION_DEPTH 64u
/* Most alternatives one value may expand to (windash, base64offset, expand). */
#define YG_MAX_VALUE_EXPANSION 4096u
/* PCRE2 match limit (backtracking steps) and depth limit per match. */
#define YG_REGEX_MATCH_LIMIT 100000u
#define YG_REGEX_DEPTH_LIMIT 10000u
/* Longest regex pattern accepted. */
#define YG_MAX_REGEX_BYTES 16384u
/* Largest decompressed input accepted from one compressed file, bytes. */
#define YG_MAX_DECOMPRESSED_BYTES (64ull * 1024ull * 1024ull * 1024ull)
/* Largest EVTX file mapped, bytes. */
#define YG_MAX_EVTX_BYTES (16ull * 1024ull * 1024ull * 1024ull)
/* Deepest BinXML element nesting. */
#define YG_MAX_BINXML_DEPTH 64u

#endif
