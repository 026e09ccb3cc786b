#!/usr/bin/env bash
# report_browser.sh BUILD_DIR SOURCE_DIR - the HTML report looked at as a
# person would: `acmefuzz run --client zoo-refinalizer-2023 --scenario
# corpus/suite/quick/async-finalize.scn --fail-on all --html r.html`, then
# headless Chromium (Debian package chromium):
#   1. the page renders: a 1400x1000 screenshot is a real picture (many
#      colours, a fair share of non-white pixels), with the red of the
#      violation badge and the green of the timeline's 2xx marks in it;
#   2. the DOM (after the script ran: body data-script="ran") holds the
#      timeline marks, the Retry-After windows, and the no-refinalize
#      violation linked to its mark;
#   3. no console message at all (no script error, no blocked fetch: the
#      page's Content-Security-Policy allows none), checked against a page
#      with a deliberate error that must show up the same way;
#   4. a link to an exchange opens its details (the script's one job).
# Exit 77 only when chromium is absent and cannot be installed (not root).
# Loopback and local files only; about 10 s.
set -u

BUILD_DIR=${1:?usage: report_browser.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: report_browser.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$(cd "$BUILD_DIR" && pwd)/acmefuzz
WORK=""
say() { printf 'report_browser.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: report_browser: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
command -v python3 >/dev/null || fail "python3 is missing"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "chromium is missing and this is not root: skipped (apt-get install chromium)"
        exit 77
    fi
    say "installing chromium (Debian package)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
        >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null 2>&1 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
                >/dev/null 2>&1; } || fail "chromium could not be installed"
    CHROMIUM=$(command -v chromium) || fail "chromium is not on PATH after installing it"
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-browser.XXXXXX") || fail "mktemp failed"
# a profile of its own, so parallel runs and a user's Chromium never meet
browse() {
    timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$WORK/profile" --enable-logging=stderr --v=0 "$@"
}

"$ACMEFUZZ" run --client zoo-refinalizer-2023 \
    --scenario "$SOURCE_DIR/corpus/suite/quick/async-finalize.scn" --fail-on all \
    --html "$WORK/r.html" >"$WORK/run.out" 2>&1
rc=$?
[ "$rc" = 1 ] || { cat "$WORK/run.out"; fail "run exit $rc, not 1 (a violation)"; }
x=$(sed -n 's/^=> #\([0-9]*\) .*finalize.*403.*/\1/p' "$WORK/run.out" | head -n 1)
[ -n "$x" ] || fail "no re-finalize in the text log"
x=$((x - 1))

# 3 first: the console check must see a deliberate error, or it proves nothing
printf '<!DOCTYPE html><html><body><script>throw new Error("deliberate")</script></body></html>\n' \
    >"$WORK/bad.html"
browse --dump-dom "file://$WORK/bad.html" >/dev/null 2>"$WORK/bad.err"
grep -q 'CONSOLE.*deliberate' "$WORK/bad.err" || fail "Chromium's console log is not seen here"

# 1. screenshot
(cd "$WORK" && browse --screenshot="$WORK/shot.png" --window-size=1400,1000 \
    --hide-scrollbars "file://$WORK/r.html" >/dev/null 2>"$WORK/shot.err")
[ -s "$WORK/shot.png" ] || { tail -n 5 "$WORK/shot.err"; fail "no screenshot"; }
python3 - "$WORK/shot.png" <<'PY' || fail "the screenshot is not a rendered report"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, hdr = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        hdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = hdr[:4]
assert depth == 8 and ctype in (2, 6), "unexpected PNG format %r" % (hdr,)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
rows, prev, i = [], bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
    i += 1 + stride
    for k in range(stride):
        a = line[k - bpp] if k >= bpp else 0
        b = prev[k]
        c = prev[k - bpp] if k >= bpp else 0
        if f == 1: line[k] = (line[k] + a) & 255
        elif f == 2: line[k] = (line[k] + b) & 255
        elif f == 3: line[k] = (line[k] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[k] = (line[k] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours, dark, red, green, total = set(), 0, 0, 0, 0
for row in rows:
    for k in range(0, stride, bpp):
        r, g, b = row[k], row[k + 1], row[k + 2]
        total += 1
        colours.add((r, g, b))
        if r + g + b < 600: dark += 1
        if r > 180 and g < 80 and b < 80: red += 1      # badge #cf222e, 4xx #d1242f
        if g > 140 and r < 90 and b < 110: green += 1    # 2xx marks #2da44e
print("screenshot %dx%d: %d colours, %.1f%% non-white, %d red, %d green pixels"
      % (w, h, len(colours), 100.0 * dark / total, red, green))
assert len(colours) > 50, "too few colours: a blank or single-colour page"
assert dark > total // 50, "almost nothing drawn"
assert red > 200 and green > 200, "no violation badge or no timeline marks in view"
PY

# 2. the DOM after the script ran
browse --dump-dom "file://$WORK/r.html" >"$WORK/dom.html" 2>"$WORK/dom.err"
grep -q '<body data-script="ran">' "$WORK/dom.html" || fail "the page's script did not run"
marks=$(grep -o '<a class="mk st' "$WORK/dom.html" | wc -l)
[ "$marks" -ge 13 ] || fail "$marks timeline marks, not one per exchange (13)"
windows=$(grep -o '<div class="ra[^"]*" id="s0-ra' "$WORK/dom.html" | wc -l)
[ "$windows" = 3 ] || fail "$windows Retry-After windows, not 3"
grep -q "id=\"s0-x$x\"" "$WORK/dom.html" || fail "no mark for the re-finalize #$((x + 1))"
grep -q "<code>no-refinalize</code>.*href=\"#s0-x$x\"" "$WORK/dom.html" ||
    fail "the no-refinalize verdict does not link to mark #$((x + 1))"
grep -q 'class="badge b-fail">VIOLATION' "$WORK/dom.html" || fail "no VIOLATION badge"

# 3. no console message from the report
for f in shot.err dom.err; do
    if grep -q 'CONSOLE' "$WORK/$f"; then
        grep 'CONSOLE' "$WORK/$f"
        fail "console messages while showing the report"
    fi
done

# 4. a link to an exchange opens its details
browse --dump-dom "file://$WORK/r.html#s0-d0" >"$WORK/dom0.html" 2>"$WORK/dom0.err"
grep -q '<details id="s0-d0" open="">' "$WORK/dom0.html" || fail "#s0-d0 did not open its details"
! grep -q 'CONSOLE' "$WORK/dom0.err" || fail "console messages on #s0-d0"

say "$marks marks, $windows Retry-After windows, re-finalize #$((x + 1)) linked"
echo "PASS: report_browser: the report of a violating zoo run renders in Chromium, clean console"
