/* afz_report_html_escape.c - the one escaping function of the HTML report
 * (afz_html_escape, see afz_report_html.h): every byte from a client or a
 * server reaches the page through it. */
#include <string.h>

#include "afz_report_html.h"

/* utf8_seq returns the length of the well-formed UTF-8 sequence at |s|
 * (|n| bytes left), or 0 (RFC 3629 section 4's table). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* nothing past U+10FFFF */
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    /* C1 controls (U+0080..U+009F) are control characters too */
    if (len == 2 && c == 0xC2 && s[1] <= 0x9F)
        return 0;
    return len;
}

afz_rc afz_html_escape(afz_buf *out, const void *p, size_t n)
{
    static const char repl[] = "&#xFFFD;";
    const unsigned char *s = p;
    afz_rc rc = AFZ_OK;
    size_t i = 0;
    while (i < n && rc == AFZ_OK) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            switch (c) {
            case '&':
                rc = afz_buf_puts(out, "&amp;");
                break;
            case '<':
                rc = afz_buf_puts(out, "&lt;");
                break;
            case '>':
                rc = afz_buf_puts(out, "&gt;");
                break;
            case '"':
                rc = afz_buf_puts(out, "&quot;");
                break;
            case '\'':
                rc = afz_buf_puts(out, "&#39;");
                break;
            case '\n':
            case '\t':
                rc = afz_buf_putc(out, (char)c);
                break;
            case '\r':
                break;
            default:
                rc = c < 0x20 || c == 0x7f ? afz_buf_puts(out, repl) : afz_buf_putc(out, (char)c);
            }
            continue;
        }
        size_t len = utf8_seq(s + i, n - i);
        if (len) {
            rc = afz_buf_append(out, s + i, len);
            i += len;
        } else {
            /* one replacement per byte that starts no well-formed sequence */
            rc = afz_buf_puts(out, repl);
            i++;
        }
    }
    return rc;
}

afz_rc afz_html_escape_str(afz_buf *out, const char *s)
{
    return s ? afz_html_escape(out, s, strlen(s)) : AFZ_OK;
}
