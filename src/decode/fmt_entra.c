/*
 * fmt_entra.c - Entra ID (Azure AD) sign-in, audit and risk logs.
 *
 * Three shapes of the same records arrive one JSON object per line:
 *
 *   - Azure Monitor diagnostic settings / Event Hub export: an envelope
 *     {time, resourceId, operationName, category, resultType, ...,
 *     properties: {...}} with the record in `properties` and `category` one
 *     of SignInLogs, NonInteractiveUserSignInLogs, ServicePrincipalSignInLogs,
 *     ManagedIdentitySignInLogs, MicrosoftServicePrincipalSignInLogs,
 *     ADFSSignInLogs, AuditLogs, RiskyUsers, UserRiskEvents, ...;
 *   - Microsoft Graph API objects: /auditLogs/signIns (userPrincipalName,
 *     appDisplayName, status{errorCode, failureReason}, ...),
 *     /auditLogs/directoryAudits (activityDisplayName, initiatedBy,
 *     targetResources, result) and /identityProtection/riskDetections;
 *   - Microsoft Sentinel table exports (SigninLogs, AuditLogs, ...): the
 *     Sentinel column names, nested values as JSON strings.
 *
 * SigmaHQ's azure rules were written against Sentinel's column names
 * (`ResultType`, `AppDisplayName`, `Category`, `OperationName`, ...) and a
 * few older spellings (`properties.message`, `ClientApp`, `Status`).  The
 * output keeps every original dotted path and adds those names (field names
 * match ignoring case, so `appDisplayName` already answers `AppDisplayName`):
 *
 *   all shapes, diagnostic export:  every `properties.<x>` also as `<x>`
 *   sign-in logs (P = `properties.` or nothing):
 *     ResultType         P status.errorCode
 *     ResultDescription  P status.failureReason
 *     Status             Success (errorCode 0) or Failure, and
 *                        P status.failureReason, P status.additionalDetails
 *     ClientApp          P clientAppUsed
 *     Location           P location.countryOrRegion
 *     LocationDetails.*  P location.*
 *   audit logs:
 *     OperationName      P activityDisplayName, when there is no operationName
 *     properties.message P activityDisplayName and operationName
 *     ActivityType       P activityDisplayName
 *     Status             P result and P resultReason
 *     properties.result  P result
 *     failure_status_reason  P resultReason
 *     TargetResources, properties.targetResources, Target
 *                        every value inside P targetResources
 *     InitiatedBy        every value inside P initiatedBy
 *     InitiatedByUserDomain  `@<domain>` and `.<domain>` of
 *                        P initiatedBy.user.userPrincipalName
 *
 * Log source: product azure; service signinlogs, auditlogs or riskdetection
 * from the category (diagnostic export), the Type column (Sentinel) or the
 * fields present (Graph); none when the record is of another kind.
 */
#include <stdio.h>

#include "decode/fmt_m365.h"

static const char *const signin_cats[] = {
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "MicrosoftServicePrincipalSignInLogs",
    "ADFSSignInLogs",
    "SigninLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs",
    "AADManagedIdentitySignInLogs",
};
static const char *const risk_cats[] = {
    "RiskyUsers",
    "UserRiskEvents",
    "RiskyServicePrincipals",
    "ServicePrincipalRiskEvents",
    "AADRiskyUsers",
    "AADUserRiskEvents",
    "AADRiskyServicePrincipals",
    "AADServicePrincipalRiskEvents",
};

static bool in_list(const struct yg_str *s, const char *const *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (yg_str_ieq(s->p, s->n, l[i], strlen(l[i])))
            return true;
    return false;
}

enum kind { K_NONE, K_SIGNIN, K_AUDIT, K_RISK };

/* Which log a record is: the category or Sentinel Type says so when
 * present; a Graph object is known by the fields only its kind has. */
static enum kind entra_kind(struct yg_cloud *c, const char *P)
{
    struct yg_str s;
    char name[64];
    if (yg__cloud_get(c, "category", &s) || yg__cloud_get(c, "Type", &s)) {
        if (in_list(&s, signin_cats, sizeof signin_cats / sizeof *signin_cats))
            return K_SIGNIN;
        if (yg_str_ieq(s.p, s.n, "AuditLogs", 9))
            return K_AUDIT;
        if (in_list(&s, risk_cats, sizeof risk_cats / sizeof *risk_cats))
            return K_RISK;
    }
    if (yg__cloud_get(c, "operationName", &s) && yg_str_ieq(s.p, s.n, "Sign-in activity", 16))
        return K_SIGNIN;
    snprintf(name, sizeof name, "%sriskEventType", P);
    if (yg__cloud_has(c, name))
        return K_RISK;
    static const char *const audit_keys[] = {"activityDisplayName", "loggedByService",
                                             "initiatedBy"};
    for (size_t i = 0; i < sizeof audit_keys / sizeof *audit_keys; i++) {
        snprintf(name, sizeof name, "%s%s", P, audit_keys[i]);
        if (yg__cloud_has(c, name))
            return K_AUDIT;
        snprintf(name, sizeof name, "%s%s.", P, audit_keys[i]);
        if (yg__cloud_has_prefix(c, name))
            return K_AUDIT;
    }
    static const char *const signin_keys[] = {"status.errorCode", "appDisplayName", "clientAppUsed",
                                              "conditionalAccessStatus"};
    for (size_t i = 0; i < sizeof signin_keys / sizeof *signin_keys; i++) {
        snprintf(name, sizeof name, "%s%s", P, signin_keys[i]);
        if (yg__cloud_has(c, name))
            return K_SIGNIN;
    }
    return K_NONE;
}

/* Alias dst to P+src. */
static yg_err palias(struct yg_cloud *c, const char *P, const char *dst, const char *src)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s", P, src);
    return yg__cloud_alias(c, dst, name);
}

static yg_err map_signin(struct yg_cloud *c, const char *P)
{
    yg_err err;
    char name[96];
    struct yg_str ec;
    YG_TRY(palias(c, P, "ResultType", "status.errorCode"));
    YG_TRY(palias(c, P, "ResultDescription", "status.failureReason"));
    snprintf(name, sizeof name, "%sstatus.errorCode", P);
    if (yg__cloud_get(c, name, &ec)) {
        bool ok = ec.n == 1 && ec.p[0] == '0';
        YG_TRY(yg__cloud_add(c, "Status", ok ? "Success" : "Failure", 7));
    }
    YG_TRY(palias(c, P, "Status", "status.failureReason"));
    YG_TRY(palias(c, P, "Status", "status.additionalDetails"));
    YG_TRY(palias(c, P, "ClientApp", "clientAppUsed"));
    YG_TRY(palias(c, P, "Location", "location.countryOrRegion"));
    snprintf(name, sizeof name, "%slocation.", P);
    YG_TRY(yg__cloud_alias_prefix(c, "LocationDetails.", name));
done:
    return err;
}

static yg_err map_audit(struct yg_cloud *c, const char *P)
{
    yg_err err;
    char name[96];
    if (!yg__cloud_has(c, "operationName"))
        YG_TRY(palias(c, P, "OperationName", "activityDisplayName"));
    YG_TRY(palias(c, P, "properties.message", "activityDisplayName"));
    YG_TRY(yg__cloud_alias(c, "properties.message", "operationName"));
    YG_TRY(palias(c, P, "ActivityType", "activityDisplayName"));
    YG_TRY(palias(c, P, "Status", "result"));
    YG_TRY(palias(c, P, "Status", "resultReason"));
    YG_TRY(palias(c, P, "properties.result", "result"));
    YG_TRY(palias(c, P, "failure_status_reason", "resultReason"));
    snprintf(name, sizeof name, "%stargetResources", P);
    YG_TRY(yg__cloud_collect(c, "TargetResources", name));
    YG_TRY(yg__cloud_collect(c, "properties.targetResources", name));
    YG_TRY(yg__cloud_collect(c, "Target", name));
    snprintf(name, sizeof name, "%sinitiatedBy", P);
    YG_TRY(yg__cloud_collect(c, "InitiatedBy", name));
    snprintf(name, sizeof name, "%sinitiatedBy.user.userPrincipalName", P);
    YG_TRY(yg__cloud_add_domain(c, "InitiatedByUserDomain", name));
done:
    return err;
}

static yg_err entra_decode(void *st, const char *line, size_t n, struct yg_buf *out,
                           struct yg_logsrc *ls, struct yg_decode_err *e)
{
    struct yg_cloud *c = st;
    yg_err err = yg__cloud_parse(c, line, n, e);
    if (err)
        return err;
    /* The diagnostic export wraps the record in `properties`. */
    bool diag = yg__cloud_has_prefix(c, "properties.") &&
                (yg__cloud_has(c, "category") || yg__cloud_has(c, "operationName") ||
                 yg__cloud_has(c, "resourceId"));
    const char *P = diag ? "properties." : "";
    enum kind k = entra_kind(c, P);
    if (diag)
        YG_TRY(yg__cloud_alias_prefix(c, "", "properties."));
    if (k == K_SIGNIN)
        YG_TRY(map_signin(c, P));
    else if (k == K_AUDIT)
        YG_TRY(map_audit(c, P));
    YG_TRY(yg__cloud_emit(c, out));
    ls->product = "azure";
    ls->category = NULL;
    ls->service = k == K_SIGNIN  ? "signinlogs"
                  : k == K_AUDIT ? "auditlogs"
                  : k == K_RISK  ? "riskdetection"
                                 : NULL;
done:
    return err;
}

static int entra_sniff(const char *p, size_t n)
{
    size_t w;
    const char *s = yg__json_sniff_head(p, n, true, 8192, &w);
    if (!s)
        return 0;
#define HAS(lit) (yg_memimem(s, w, lit, sizeof lit - 1) != NULL)
    if (HAS("providers/microsoft.aadiam") || HAS("\"signinlogs\"") || HAS("signinlogs\"") ||
        (HAS("\"category\"") && HAS("\"auditlogs\"")) || HAS("\"sign-in activity\""))
        return 90;
    if (HAS("\"sourcesystem\"") && HAS("\"azure ad\""))
        return 85;
    if (HAS("\"userprincipalname\"") && HAS("\"appdisplayname\"") &&
        (HAS("\"clientappused\"") || HAS("\"conditionalaccessstatus\"") || HAS("\"status\"")))
        return 85;
    if (HAS("\"activitydisplayname\"") && (HAS("\"loggedbyservice\"") || HAS("\"initiatedby\"")))
        return 85;
    if (HAS("\"riskeventtype\"") && HAS("\"riskstate\""))
        return 80;
#undef HAS
    return 0;
}

static void *entra_state_new(void)
{
    return yg__cloud_new();
}

static void entra_state_free(void *st)
{
    yg__cloud_free(st);
}

const struct yg_linefmt yg__fmt_entra = {
    .json_records = true,
    .name = "entra",
    .desc = "Entra ID (Azure AD) sign-in, audit and risk logs (diagnostic settings / Event Hub "
            "export, Microsoft Graph API or Sentinel JSON, one per line)",
    .sniff = entra_sniff,
    .state_new = entra_state_new,
    .state_free = entra_state_free,
    .decode = entra_decode,
};
