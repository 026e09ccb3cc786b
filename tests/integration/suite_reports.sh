#!/usr/bin/env bash
# suite_reports.sh BUILD_DIR SOURCE_DIR - the reports of `acmefuzz suite`
# for a zoo client run as a binary against two quick-tier scenarios (one it
# breaks, one it passes) and one scenario that does not load:
#   --sarif: a log that the SARIF 2.1.0 JSON schema accepts
#     (python3-jsonschema, Draft 4 as the schema declares), with one result
#     per violation, the scenario as location and the replay command;
#   --html: pass/fail of each scenario at the top, a section per scenario
#     with its timeline and verdicts, the client's own output.
#
# The schema is tests/sarif-2.1.0-rtm.5.schema.json, byte for byte the file
# lib/schemas/sarif-2.1.0-rtm.5.json of the npm package
# @microsoft/jest-sarif 1.0.0-beta.0 (MIT licence; sha256
# 2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8), whose
# "id" is the SchemaStore copy of the SARIF 2.1.0 schema
# (https://json.schemastore.org/sarif-2.1.0-rtm.5.json). Loopback only;
# about 6 s.
set -u

BUILD_DIR=${1:?usage: suite_reports.sh BUILD_DIR SOURCE_DIR}
SOURCE_DIR=${2:?usage: suite_reports.sh BUILD_DIR SOURCE_DIR}
ACMEFUZZ=$(cd "$BUILD_DIR" && pwd)/acmefuzz
SCHEMA=$SOURCE_DIR/tests/sarif-2.1.0-rtm.5.schema.json
WORK=""
say() { printf 'suite_reports.sh: %s\n' "$*"; }
fail() { say "$*"; echo "FAIL: suite_reports: $*"; exit 1; }
# shellcheck disable=SC2317
cleanup() { [ -n "$WORK" ] && rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

[ -x "$ACMEFUZZ" ] || fail "$ACMEFUZZ is missing: build first"
python3 -c 'import jsonschema' 2>/dev/null ||
    fail "python3-jsonschema is missing (apt-get install python3-jsonschema; 'make test' does it)"
echo 2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8 "$SCHEMA" | sha256sum -c --quiet ||
    fail "$SCHEMA is not the file it says it is"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/acmefuzz-sarif.XXXXXX") || fail "mktemp failed"
mkdir -p "$WORK/scn"
cp "$SOURCE_DIR/corpus/suite/quick/async-finalize.scn" "$SOURCE_DIR/corpus/suite/quick/plain.scn" \
    "$WORK/scn/" || fail "quick-tier scenarios missing"
echo 'no such statement' >"$WORK/scn/zz-broken.scn"

cd "$WORK" || fail "cd $WORK"
"$ACMEFUZZ" suite --client-cmd "$ACMEFUZZ client --client zoo-refinalizer-2023 --directory {directory} --ca-bundle {ca_bundle} --domain {domain} --out {workdir}/out" \
    --name zoo-refinalizer-2023 --scenarios scn --timeout 20 --fail-on all \
    --workdir "$WORK/runs" --sarif out.sarif --html out.html >suite.out 2>&1
rc=$?
[ "$rc" = 1 ] || { sed 's/^/    /' suite.out; fail "suite exit $rc, not 1"; }

python3 - "$SCHEMA" out.sarif <<'PY' || fail "the SARIF log is not what it should be"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
jsonschema.Draft4Validator.check_schema(schema)
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
for e in errors:
    print("schema:", "/".join(map(str, e.absolute_path)), e.message)
if errors:
    sys.exit(1)
run = log["runs"][0]
results = run["results"]
ids = sorted(r["ruleId"] for r in results)
assert ids == ["no-refinalize", "succeeds-under-legal"], ids
for r in results:
    uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "scn/async-finalize.scn", uri
    text = r["message"]["text"]
    assert "--scenarios scn/async-finalize.scn" in text and "acmefuzz suite --client-cmd" in text, text
    assert r["level"] == {"no-refinalize": "warning", "succeeds-under-legal": "note"}[r["ruleId"]]
inv = run["invocations"][0]
assert inv["executionSuccessful"] is False
notes = inv["toolExecutionNotifications"]
assert len(notes) == 1 and "zz-broken" in notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
print("valid SARIF 2.1.0: %d results, %d rules" % (len(results), len(run["tool"]["driver"]["rules"])))
PY
# the HTML page: the summary first, then one section per scenario
grep -q '<p class="summary"><span class="badge b-fail">FAIL</span> 1 of 3 passed</p>' out.html ||
    fail "no '1 of 3 passed' summary at the top"
for row in 'href="#s0">async-finalize</a></td><td><span class="badge b-fail">VIOLATION' \
    'href="#s1">plain</a></td><td><span class="badge b-pass">pass' \
    'href="#s2">zz-broken</a></td><td><span class="badge b-fail">ERROR'; do
    grep -qF "$row" out.html || fail "summary row missing: $row"
done
for want in 'id="s0-tl"' 'id="s1-tl"' '<code>no-refinalize</code>' '<h3>Client output</h3>' \
    'acmefuzz client: ' 'not run</dt>'; do
    grep -qF "$want" out.html || fail "the HTML report lacks '$want'"
done
[ "$(grep -c '<section class="run' out.html)" = 3 ] || fail "not one section per scenario"
echo "PASS: suite_reports: SARIF valid against the 2.1.0 schema, HTML with a section per scenario"
