/* afz_rc.h - the one return convention of acmefuzz.
 *
 * Every fallible function returns an afz_rc: AFZ_OK (0) on success, a
 * negative code on failure. Results travel through out-parameters; a value
 * is never both data and status. Constructors (`*_new`) return a pointer and
 * NULL only when memory runs out. */
#ifndef AFZ_RC_H
#define AFZ_RC_H

/* AFZ_API marks the public API: the functions and objects declared in the
 * installed headers (include/acmefuzz/acmefuzz.h). The library is compiled
 * with hidden visibility, and the installed archive keeps global only what
 * carries AFZ_API (CMakeLists.txt, the packaging block); everything else
 * is internal and may change without notice. */
#define AFZ_API __attribute__((visibility("default")))

typedef enum afz_rc {
    AFZ_OK = 0,
    AFZ_ENOMEM = -1,     /* allocation failed */
    AFZ_EINVAL = -2,     /* caller passed something meaningless */
    AFZ_EPARSE = -3,     /* input bytes do not parse */
    AFZ_ECRYPTO = -4,    /* OpenSSL refused (bad key, bad signature) */
    AFZ_EIO = -5,        /* file or socket error */
    AFZ_ELIMIT = -6,     /* a size cap was reached */
    AFZ_ENOTFOUND = -7,  /* lookup found nothing */
    AFZ_ETRANSPORT = -8, /* the request got no HTTP response */
    AFZ_EBUDGET = -9,    /* the run's request or time budget is spent */
    AFZ_EPROTO = -10,    /* the peer broke the protocol (ACME level) */
    AFZ_EFAIL = -11      /* an operation failed for a reason given elsewhere */
} afz_rc;

/* afz_rc_str returns a static, human-readable name for |rc|. */
AFZ_API const char *afz_rc_str(afz_rc rc);

#endif
