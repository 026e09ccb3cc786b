/* afz_zoo.h - the bug zoo: deliberately buggy ACME clients, each the
 * reference client (afz_reference_obtain) with exactly one
 * AFZ_REF_QUIRK_* bit set, each modelled on a real incident from
 * ACME-FAULTS.md section 2 and naming in expected_property the property
 * that must catch it ("crash" for the one that dies). Each source file's
 * header tells the incident, its source, the bug, the server behaviour
 * that exposes it and why that property fires; corpus/zoo/<name>.scn is
 * the scenario that exposes it, and tests/integration/zoo.sh checks that
 * the expected property reports it while the reference client stays
 * clean on the same scenario. The clients are registered in
 * afz_clients.c, which drives `acmefuzz list clients`. */
#ifndef AFZ_ZOO_H
#define AFZ_ZOO_H

#include "afz_client.h"

extern const afz_client afz_zoo_refinalizer_2023; /* zoo-refinalizer-2023 */
extern const afz_client afz_zoo_post_as_get_braces; /* zoo-post-as-get-braces */
extern const afz_client afz_zoo_processing_fails; /* zoo-processing-fails */
extern const afz_client afz_zoo_ignores_retry_after; /* zoo-ignores-retry-after */
extern const afz_client afz_zoo_httpdate_as_zero; /* zoo-httpdate-as-zero */
extern const afz_client afz_zoo_retry_after_int32; /* zoo-retry-after-int32 */
extern const afz_client afz_zoo_sleeps_forever; /* zoo-sleeps-forever */
extern const afz_client afz_zoo_no_badnonce_retry; /* zoo-no-badnonce-retry */
extern const afz_client afz_zoo_stale_nonce_retry; /* zoo-stale-nonce-retry */
extern const afz_client afz_zoo_cert_from_location; /* zoo-cert-from-location */
extern const afz_client afz_zoo_polls_invalid; /* zoo-polls-invalid */
extern const afz_client afz_zoo_authz_no_backoff; /* zoo-authz-no-backoff */
extern const afz_client afz_zoo_challenge_repost; /* zoo-challenge-repost */
extern const afz_client afz_zoo_scheduler_no_resume; /* zoo-scheduler-no-resume */
extern const afz_client afz_zoo_crash_missing_status; /* zoo-crash-missing-status */
extern const afz_client afz_zoo_reorder_loop; /* zoo-reorder-loop */
extern const afz_client afz_zoo_challenge_post_as_get; /* zoo-challenge-post-as-get */
extern const afz_client afz_zoo_cert_before_valid; /* zoo-cert-before-valid */

#endif
