/* afz_server_profile.c - certificate profiles in the server model
 * (draft-aaron-acme-profiles-01), when config.n_profiles > 0 (`acmefuzz
 * serve` offers Let's Encrypt's three, or the "profiles" of a Pebble
 * config; the in-process model offers none, so fuzzing and saved corpora
 * are unchanged).
 *
 * - The directory's meta names them: "profiles": {name: description}
 *   (afz_server.c).
 * - newOrder's "profile" must name one of them, else 400 invalidProfile; a
 *   value that is not a string is 400 malformed. An order without one
 *   (or with "", as Boulder reads it) gets config.default_profile, else
 *   the one named "default", else the first.
 * - Every answer about the order carries its "profile"
 *   (afz_server_order.c), and its certificate is valid for the
 *   profile's validity_s (afz_server_cert.c).
 * Text relied on (draft-aaron-acme-profiles-01, section 4): "If the
 * server receives a newOrder request specifying a profile that it is not
 * advertising, or specifying a profile which is incompatible with the
 * rest of the contents of the request (...), it MUST reject the request
 * with a problem document of type "invalidProfile""; "If it accepts the
 * request, the server responds with an Order object including the
 * selected profile."; "If the server is advertizing profiles and receives
 * a newOrder request which does not identify a specific profile, it is
 * RECOMMENDED that the server select a profile and associate it with the
 * new Order object." The status, 400, is Boulder's and Pebble's (the
 * draft names the type only). */
#include "afz_server_internal.h"

#include <string.h>

static const afz_server_profile *profile_default(const afz_server *s)
{
    const char *want = s->cfg.default_profile ? s->cfg.default_profile : "default";
    for (size_t i = 0; i < s->cfg.n_profiles; i++)
        if (s->cfg.profiles[i].name && strcmp(s->cfg.profiles[i].name, want) == 0)
            return &s->cfg.profiles[i];
    return &s->cfg.profiles[0];
}

afz_rc afz_srv_profile_pick(afz_server *s, const cJSON *payload, afz_response *resp,
                            const afz_server_profile **out)
{
    *out = NULL;
    if (!s->cfg.n_profiles || !s->cfg.profiles)
        return AFZ_OK;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(payload, "profile");
    if (!p || cJSON_IsNull(p) || (cJSON_IsString(p) && !p->valuestring[0])) {
        *out = profile_default(s);
        return AFZ_OK;
    }
    afz_rc rc;
    if (!cJSON_IsString(p)) {
        rc = afz_srv_problem(resp, 400, "malformed", NULL, "\"profile\" must be a string");
        return rc == AFZ_OK ? AFZ_EPROTO : rc;
    }
    for (size_t i = 0; i < s->cfg.n_profiles; i++)
        if (s->cfg.profiles[i].name && strcmp(s->cfg.profiles[i].name, p->valuestring) == 0) {
            *out = &s->cfg.profiles[i];
            return AFZ_OK;
        }
    rc = afz_srv_problem(resp, 400, "invalidProfile", NULL,
                         "Profile \"%.64s\" is not offered (the directory's meta.profiles names "
                         "those that are)",
                         p->valuestring);
    return rc == AFZ_OK ? AFZ_EPROTO : rc;
}

int64_t afz_srv_profile_validity(const afz_server *s, const afz_srv_order *o)
{
    if (o->profile && o->profile->validity_s > 0)
        return o->profile->validity_s;
    return s->cfg.cert_validity_s;
}
