/*
 * taxii.h - sharing threat intelligence: a TAXII 2.1 server, a TAXII 2.1
 * client and STIX 2.1 export of what Yagura saw (docs/taxii.md).
 *
 * The server is a pure function over a SQLite store:
 *
 *     yg__taxii_handle(server, request) -> response
 *
 * A request is a method, a path, decoded query arguments, four headers and
 * a body; the response is a status, a content type, a few headers and a
 * body.  libmicrohttpd (taxii_http.c) is only the transport, so the unit
 * tests and the fuzz target drive the handler without sockets.
 *
 * Security model, in the order the handler applies it:
 *   1. every request authenticates (HTTP Basic against salted PBKDF2-SHA256
 *      hashes, or a bearer API token against its SHA-256): 401 otherwise;
 *   2. each user has read and write rights per collection: a collection the
 *      user can neither read nor write does not exist for them (404), one
 *      they cannot use for the operation is 403;
 *   3. each collection has a TLP ceiling: an object marked above it is
 *      never listed, counted, returned, in a manifest or a version list,
 *      and is refused on POST;
 *   4. `next` tokens are MACed (HMAC-SHA256 under a per-database secret)
 *      over the endpoint path, the user and the cursor, so a forged token
 *      or one taken from another collection or user is a 400.
 */
#ifndef YG_TAXII_TAXII_H
#define YG_TAXII_TAXII_H

#include "core/core.h"
#include "core/errmsg.h"
#include "core/tjson.h"

/* ---- TLP -------------------------------------------------------------- */

/* Levels in order of restriction; YG_TLP_NONE: the object carries no TLP
 * marking (the configured unmarked level applies). */
enum {
    YG_TLP_NONE = -1,
    YG_TLP_CLEAR = 0, /* also TLP 1.0 WHITE */
    YG_TLP_GREEN = 1,
    YG_TLP_AMBER = 2,
    YG_TLP_AMBER_STRICT = 3,
    YG_TLP_RED = 4,
};
/* The level of a marking-definition id (TLP 2.0 or TLP 1.0), or YG_TLP_NONE. */
int yg__tlp_of_marking(const char *id);
/* "clear", "white", "green", "amber", "amber+strict", "red" (any case, with
 * or without a "tlp:" prefix); false for anything else. */
bool yg__tlp_parse(const char *s, int *level);
/* The TLP 2.0 marking-definition id and name ("TLP:AMBER") of a level. */
const char *yg__tlp_marking_id(int level);
const char *yg__tlp_name(int level);

/* ---- configuration (the `taxii:` section, see taxii_config.c) ------------ */

struct yg_taxii_collection {
    char *id; /* UUID */
    char *alias, *title, *description;
    int tlp_ceiling; /* highest level served (default GREEN) */
    size_t root;     /* index of its API root */
};

struct yg_taxii_root {
    char *path; /* "api1": served at /api1/ */
    char *title, *description;
};

struct yg_taxii_user {
    char *name;
    char *password_hash; /* "pbkdf2-sha256$iter$salt-hex$hash-hex", or NULL */
    char **tokens;       /* "sha256$hex" each */
    size_t ntokens;
    /* Rights by collection index. */
    bool *can_read, *can_write;
    int console_role; /* YG_CONSOLE_* (the web console, docs/console.md) */
};

/* Roles in the web console: none (no access), viewer (reads), analyst
 * (reads and triages). */
enum { YG_CONSOLE_NONE = 0, YG_CONSOLE_VIEWER = 1, YG_CONSOLE_ANALYST = 2 };

struct yg_taxii_partner {
    char *name;                    /* unique; names the cursor and the output folder */
    char *url;                     /* API root URL, e.g. https://host/api1/ */
    char *collection;              /* collection id */
    char *user, *password, *token; /* sent to the partner: kept secret */
    char *ca;                      /* CA bundle file, or NULL for the system's */
    bool verify;                   /* verify the partner's certificate (default true) */
    unsigned page_size;            /* limit= asked for (default 1000) */
    bool ignore_next;              /* never send next=, page by added_after only */
};

struct yg_taxii_cfg {
    /* server */
    char *listen;     /* host:port; NULL: no server */
    char *cert, *key; /* PEM files; both or neither (then plain HTTP) */
    char *db;         /* SQLite file of the collections */
    char *title, *description, *contact;
    char *public_url; /* base URL written into discovery, or NULL for "/api1/" */
    uint64_t max_content_length;
    unsigned page_size; /* server-side cap of limit */
    int unmarked_tlp;   /* the level of objects without a TLP marking (default AMBER) */
    struct yg_taxii_root *roots;
    size_t nroots;
    struct yg_taxii_collection *colls;
    size_t ncolls;
    struct yg_taxii_user *users;
    size_t nusers;
    /* client */
    char *state; /* the file's top-level state: (cursors of intel pull), or NULL */
    struct yg_taxii_partner *partners;
    size_t npartners;
    char *pull_dir; /* where pulled bundles are written */
    /* export */
    char *identity_name; /* our STIX identity (default "Yagura") */
    int export_tlp;      /* marking of exported objects (default AMBER) */
    /* publish: yagura watch adds its sightings to one of its collections */
    char *publish_coll;           /* collection id or alias; NULL: no publishing */
    char *publish_min_level;      /* alerts at or above (default "medium") */
    uint64_t publish_interval_ms; /* default 60 s */
    uint64_t publish_window_ms;   /* alerts stored within this window (default 7 d) */
    /* the web console (taxii.console, docs/console.md), served under
     * /console/ on listen when console is set */
    bool console;
    uint64_t console_idle_ms, console_max_ms; /* session expiry: idle, absolute */
    char *console_orgs;                       /* organisation inventory file, or NULL */
    /* taxii.console.campaigns: what the campaign pages read besides the
     * state database and pull_dir (docs/console.md, "Campaigns") */
    char **console_cmp_inputs; /* partners' STIX bundle files or folders */
    size_t nconsole_cmp_inputs;
    char *console_cmp_orgs; /* the campaigns' inventory (default: console_orgs), or NULL */
};

struct yg_ynode;
/* Check the `taxii` mapping node into *out (heap, yg__taxii_cfg_free).
 * Messages follow watch/config.h: "taxii.users[0].read: line L, column C:
 * ...", never quoting a value. */
YG_NODISCARD yg_err yg__taxii_cfg_read(const struct yg_ynode *node, struct yg_taxii_cfg **out,
                                       struct yg_errmsg *why);
/* Read the `taxii` section (and only it) of a YAML file; YG_ENOTFOUND when
 * the file has none. */
YG_NODISCARD yg_err yg__taxii_cfg_load(const char *path, struct yg_taxii_cfg **out,
                                       struct yg_errmsg *why);
void yg__taxii_cfg_free(struct yg_taxii_cfg *c);
/* Index of a collection by id or alias, or -1. */
long yg__taxii_cfg_coll(const struct yg_taxii_cfg *c, const char *id_or_alias);

/* ---- credentials (taxii_auth.c) ----------------------------------------- */

/* A new "pbkdf2-sha256$..." hash of password with a random salt. */
YG_NODISCARD yg_err yg__taxii_hash_password(const char *password, char **out);
/* Constant-time check of password against such a hash. */
bool yg__taxii_check_password(const char *hash, const char *password, size_t pn);
/* "sha256$<hex>" of a token. */
YG_NODISCARD yg_err yg__taxii_hash_token(const char *token, char **out);
/* A new random API token (43 characters of base64url). */
YG_NODISCARD yg_err yg__taxii_new_token(char **out);
/* A hash of a random password with the iteration count of like (or the
 * default when like is not a valid hash): what a password of an unknown
 * user is checked against, so that it takes as long as a known user's. */
YG_NODISCARD yg_err yg__taxii_dummy_hash(const char *like, char **out);
/* Valid hash forms (for configuration checks). */
bool yg__taxii_password_hash_ok(const char *hash);
bool yg__taxii_token_hash_ok(const char *hash);

/* ---- the store (taxii_store.c) ------------------------------------------ */

struct yg_taxii_store;
/* On failure *out is still a handle holding the reason ("PATH: opening the
 * database: ..."), on which only yg__taxii_store_errmsg and
 * yg__taxii_store_close are valid; NULL only when it could not be
 * allocated (yg__taxii_store_errmsg(NULL) says "out of memory"). */
YG_NODISCARD yg_err yg__taxii_store_open(const char *path, struct yg_taxii_store **out);
void yg__taxii_store_close(struct yg_taxii_store *st);

/* One object to add: the parsed facts and its compact JSON text. */
struct yg_taxii_obj {
    const char *id, *type, *spec, *version; /* version: modified, created or "" */
    int64_t vkey;                           /* version in microseconds (0 for "") */
    int tlp;
    const char *json;
    size_t jn;
};
YG_NODISCARD yg_err yg__taxii_store_begin(struct yg_taxii_store *st);
YG_NODISCARD yg_err yg__taxii_store_commit(struct yg_taxii_store *st);
void yg__taxii_store_rollback(struct yg_taxii_store *st);
/* Add one object to collection coll; *dup when the same id and version was
 * there already (nothing changes). */
YG_NODISCARD yg_err yg__taxii_store_add(struct yg_taxii_store *st, const char *coll,
                                        const struct yg_taxii_obj *o, bool *dup);
/* Facts of one STIX object given as JSON (checks id, type and version
 * forms); *why gets a static message when the object is refused. */
YG_NODISCARD yg_err yg__taxii_obj_facts(const struct yg_tj *v, struct yg_taxii_obj *o,
                                        const char **why);

/* A selection of rows of one collection, in (date added, seq) order. */
enum { YG_TAXII_V_LAST = 1, YG_TAXII_V_FIRST = 2, YG_TAXII_V_ALL = 4 };
struct yg_taxii_q {
    const char *coll;
    const char *const *ids; /* match[id] or the object of the URL */
    size_t nids;
    const char *const *types;
    size_t ntypes;
    const char *const *specs;
    size_t nspecs;
    unsigned vmodes;      /* YG_TAXII_V_* (0: last) */
    const int64_t *vkeys; /* exact versions, microseconds */
    size_t nvkeys;
    bool has_after; /* added_after */
    int64_t after_us;
    bool has_cursor; /* from a next token: rows after (added, seq) */
    int64_t cur_added, cur_seq;
    int tlp_max;      /* highest TLP level served */
    bool unmarked_ok; /* objects without a TLP marking are served */
    unsigned limit;   /* most rows delivered */
};
struct yg_taxii_row {
    int64_t seq, added;
    const char *id, *version, *type;
    const char *json;
    size_t jn;
};
/* Rows of q to fn (strings valid during the call); fn returns false to stop. */
YG_NODISCARD yg_err yg__taxii_store_query(struct yg_taxii_store *st, const struct yg_taxii_q *q,
                                          bool (*fn)(void *ud, const struct yg_taxii_row *r),
                                          void *ud);
/* Delete the rows of q (limit ignored); *n gets how many. */
YG_NODISCARD yg_err yg__taxii_store_delete(struct yg_taxii_store *st, const struct yg_taxii_q *q,
                                           uint64_t *n);
/* The per-database secret that MACs next tokens (made on first open). */
const unsigned char *yg__taxii_store_secret(const struct yg_taxii_store *st);
/* Status resources (JSON kept as rendered), by id and API root. */
YG_NODISCARD yg_err yg__taxii_store_status_put(struct yg_taxii_store *st, const char *id,
                                               const char *root, const char *user,
                                               const char *json);
/* *json heap (yg_free); YG_ENOTFOUND when absent, expired or not the user's. */
YG_NODISCARD yg_err yg__taxii_store_status_get(struct yg_taxii_store *st, const char *id,
                                               const char *root, const char *user, char **json);
/* Why the last call on st that failed failed, as sqlite3_errmsg. */
const char *yg__taxii_store_errmsg(const struct yg_taxii_store *st);

/* ---- the server core (taxii_server.c) ----------------------------------- */

struct yg_taxii_arg {
    const char *key, *val; /* decoded */
};

struct yg_taxii_server;

/*
 * Logins.  Checking a password costs a PBKDF2 run (about 0.2 s by design),
 * so the transport splits it off the threads that serve requests:
 * yg__taxii_login_start decides everything that is cheap (a bearer token,
 * a password verified before from the same address, a malformed header, a
 * failure limit reached) and says whether a password check remains;
 * yg__taxii_login_finish, on any thread, runs it.
 *
 * Failure limits: failed password logins are counted per client address
 * and per account name (known or not, so the limit says nothing about
 * which names exist) over YG_TAXII_LOGIN_WINDOW_S; at the limits
 * (YG_TAXII_LOGIN_FAILURES_PER_*) further password logins from that
 * address, or for that account, are refused with 429 and Retry-After until
 * the window ends, without checking the password.  A credential verified
 * before from the same address still works while its account is limited,
 * so a guesser elsewhere cannot lock a working client out.  Bearer tokens
 * are 256-bit random and cost one SHA-256: they are never limited.
 */
struct yg_taxii_login {
    long user;            /* the authenticated user, or -1 */
    unsigned status;      /* 0; 429: a failure limit; 503: no capacity to check */
    unsigned retry_after; /* seconds, with 429 and 503 */
    /* A password check to do (yg__taxii_login_finish). */
    bool pending;
    long cand; /* the user named, or -1 (the dummy hash is checked) */
    char *pw;  /* the password (heap; wiped and freed by finish or clear) */
    size_t pwn;
    unsigned char key[32]; /* remembers a verified credential */
    uint64_t addr_key, acct_key;
    char peer[64]; /* the client address, for the log */
};
/* Start a login from the Authorization header (NULL: none) of a client at
 * peer (text of the address, NULL or "" when unknown).  true: a password
 * check remains (l->pending). */
bool yg__taxii_login_start(struct yg_taxii_server *s, const char *authorization, const char *peer,
                           struct yg_taxii_login *l);
/* The password check (slow); records the failure or remembers success. */
void yg__taxii_login_finish(struct yg_taxii_server *s, struct yg_taxii_login *l);
/* Wipe and free what l holds (also after finish; idempotent). */
void yg__taxii_login_clear(struct yg_taxii_login *l);

struct yg_metrics;
#define YG_M_TAXII_LOGIN_FAILURES "yagura_taxii_login_failures_total" /* counter {reason} */
/* Count failed logins in m: yagura_taxii_login_failures_total{reason}, with
 * reason "password" (wrong password or unknown user), "token" (unknown
 * token), "limited" (refused by a failure limit), "busy" (no capacity to
 * check the password).  m must outlive the server. */
void yg__taxii_server_set_metrics(struct yg_taxii_server *s, struct yg_metrics *m);
/* The same counts, for tests and for the log. */
uint64_t yg__taxii_login_failures(struct yg_taxii_server *s, const char *reason);

struct yg_taxii_req {
    const char *method; /* "GET", "POST", "DELETE", ... */
    const char *path;   /* decoded path, no query */
    const struct yg_taxii_arg *args;
    size_t nargs;
    const char *accept, *content_type, *authorization; /* NULL when absent */
    const char *body;
    size_t body_len;
    bool body_too_large; /* the transport stopped reading at max_content_length */
    const char *peer;    /* client address (failure limits); NULL: unknown */
    /* A login the transport ran (yg__taxii_login_*); NULL: the handler
     * authenticates itself, password check included. */
    const struct yg_taxii_login *login;
};

struct yg_taxii_resp {
    unsigned status;
    const char *content_type; /* static */
    struct yg_buf body;
    char date_first[32], date_last[32]; /* X-TAXII-Date-Added-*, "" when not sent */
    bool www_authenticate;              /* add WWW-Authenticate (401) */
    unsigned retry_after;               /* add Retry-After: seconds (429, 503); 0: not sent */
    bool allow_get_post, allow_get_delete, allow_get;
};

struct yg_taxii_server;
/*
 * Errors of the server's calls are kept on the server, as SQLite keeps them
 * on a connection: after a call that takes the server fails,
 * yg__taxii_server_errmsg says why (the file, line or byte, and what was
 * expected), until the next such call.  Those calls (server_new, import,
 * import_buffer, publish, http_start) are made by one thread at a time (the
 * CLI, the watch loop); the request handler sets no message.
 */
/* Open the store and check the configuration against it; c must outlive
 * the server.  Like sqlite3_open, *out is set even on failure (to a server
 * that only holds the message) unless memory ran out; free it either way. */
YG_NODISCARD yg_err yg__taxii_server_new(const struct yg_taxii_cfg *c,
                                         struct yg_taxii_server **out);
void yg__taxii_server_free(struct yg_taxii_server *s);
/* Why the last failed call on s failed; "" after a success; "out of memory"
 * for a NULL s (server_new could not allocate one). */
const char *yg__taxii_server_errmsg(const struct yg_taxii_server *s);
/* Set the message of s (printf-style); for the taxii folder's own files. */
void yg__taxii_server_seterr(struct yg_taxii_server *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct yg_taxii_store *yg__taxii_server_store(struct yg_taxii_server *s);
/* Handle one request (thread-safe: requests are serialised).  rs is
 * initialised here and always holds a response afterwards (500 with an
 * empty body when memory ran out); the caller frees rs->body (yg_buf_free). */
void yg__taxii_handle(struct yg_taxii_server *s, const struct yg_taxii_req *rq,
                      struct yg_taxii_resp *rs);
/* Write a TAXII error resource (status, title, description) into rs, as
 * the handler does; for answers the transport gives itself (414, 431, a
 * NUL byte in the URL).  rs must have been set up by yg__taxii_resp_init. */
YG_NODISCARD yg_err yg__taxii_error(struct yg_taxii_resp *rs, unsigned status,
                                    const char *description);
void yg__taxii_resp_init(struct yg_taxii_resp *rs);
/* Split a raw query string into decoded arguments (arena memory). */
YG_NODISCARD yg_err yg__taxii_parse_query(const char *q, size_t n, struct yg_arena *a,
                                          struct yg_taxii_arg **args, size_t *nargs);
/* Import objects into a collection: a STIX bundle, a TAXII envelope, or
 * JSON lines of single objects (streamed; "-" is standard input).  Objects
 * above the collection's TLP ceiling are refused and counted in *refused. */
YG_NODISCARD yg_err yg__taxii_import(struct yg_taxii_server *s, const char *coll, const char *path,
                                     uint64_t *added, uint64_t *refused);

/* Import a STIX bundle or TAXII envelope held in memory: *added counts the
 * objects (or versions) that were not there before, *refused those above
 * the collection's TLP ceiling or invalid. */
YG_NODISCARD yg_err yg__taxii_import_buffer(struct yg_taxii_server *s, const char *coll,
                                            const char *text, size_t len, uint64_t *added,
                                            uint64_t *refused);
/* Publish: export the alerts of the state database stored within
 * c->publish_window_ms at or above c->publish_min_level as STIX (stix.h)
 * and add the objects to collection c->publish_coll.  Objects already there
 * unchanged are not added again; a sighting seen again since is added as
 * its newer version.  *added counts new objects and versions. */
YG_NODISCARD yg_err yg__taxii_publish(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                                      const char *state_db, uint64_t *added, uint64_t *refused);

/* ---- the transport (taxii_http.c) --------------------------------------- */

struct yg_taxii_http;
/* Serve s on c->listen (TLS when c->cert is set).  The socket is bound
 * before return; port 0 picks a free port (yg__taxii_http_port). */
YG_NODISCARD yg_err yg__taxii_http_start(struct yg_taxii_server *s, const struct yg_taxii_cfg *c,
                                         struct yg_taxii_http **out);
/* The same, with a web application (src/http/webapp.h; the console) served
 * under its prefix on the same listener; app must outlive the transport. */
struct yg_web_app;
YG_NODISCARD yg_err yg__taxii_http_start_app(struct yg_taxii_server *s,
                                             const struct yg_taxii_cfg *c,
                                             const struct yg_web_app *app,
                                             struct yg_taxii_http **out);
unsigned yg__taxii_http_port(const struct yg_taxii_http *h);
/* Read and check the TLS certificate and key of c (nothing without TLS):
 * each file readable, a PEM certificate, a PEM private key without a
 * passphrase, and the key the certificate's.  why names the key path,
 * the file and the cause. */
YG_NODISCARD yg_err yg__taxii_tls_check(const struct yg_taxii_cfg *c, struct yg_errmsg *why);
void yg__taxii_http_stop(struct yg_taxii_http *h);

/* ---- time --------------------------------------------------------------- */

/* RFC 3339 timestamp ("2024-01-02T03:04:05.123456Z", offset or Z, any
 * fraction) to microseconds since the epoch; false if malformed. */
bool yg__taxii_time_parse(const char *s, int64_t *us);
/* Microseconds to "YYYY-MM-DDTHH:MM:SS.ssssssZ" (out: 28 bytes). */
void yg__taxii_time_fmt(int64_t us, char out[32]);
/* Milliseconds precision "YYYY-MM-DDTHH:MM:SS.sssZ", as STIX objects use. */
void yg__taxii_time_fmt_ms(int64_t us, char out[32]);
int64_t yg__taxii_now_us(void);

#endif
