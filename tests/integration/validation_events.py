"""validation_events.py [--check] SUITE.json - the "validation" events of
an `acmefuzz suite --json` report, one line each: "1|detail" for a passed
real challenge check, "0|detail" for a failed one. With --check it prints
only the counts and exits 1 unless at least one check passed and none
failed. Shared by serve_validate.sh, suite_lego.sh and suite_certbot.sh
(not a test itself: CTest runs *.sh)."""
import json
import sys

check = sys.argv[1] == "--check"
doc = json.load(open(sys.argv[-1]))
events = [ev for scenario in doc["scenarios"] for ev in scenario["history"]["events"]
          if ev["kind"] == "validation"]
if not check:
    for ev in events:
        print("%d|%s" % (int(ev["value"]), ev.get("detail")))
    sys.exit(0)
passed = sum(1 for ev in events if int(ev["value"]) == 1)
failed = len(events) - passed
print("real challenge checks: %d passed, %d failed" % (passed, failed))
sys.exit(0 if passed >= 1 and failed == 0 else 1)
