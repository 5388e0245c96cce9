"""Reference expansion of RFC 5545 rules with python-dateutil, for the meetings tests.

Reads a JSON list of cases from standard input, each
  {"tz": "Europe/Berlin", "dtstart": "2026-03-02T09:00:00", "rrule": "FREQ=WEEKLY;COUNT=5",
   "exdates": ["2026-03-09T09:00:00"], "from": <epoch ms>, "to": <epoch ms>, "limit": 200}
and writes a JSON list with, per case, the starts (epoch ms, UTC) of the occurrences that
start in [from, to), at most `limit`. Wall-clock times are in the case's zone (zoneinfo).
"""
import json
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr


def expand(case):
    tz = ZoneInfo(case["tz"])
    start = datetime.fromisoformat(case["dtstart"]).replace(tzinfo=tz)
    rule = rrulestr(case["rrule"], dtstart=start, forceset=True)
    for x in case.get("exdates", []):
        rule.exdate(datetime.fromisoformat(x).replace(tzinfo=tz))
    lo = datetime.fromtimestamp(case["from"] / 1000, timezone.utc)
    hi = datetime.fromtimestamp(case["to"] / 1000, timezone.utc)
    out = []
    for d in rule:
        # A wall-clock time that does not exist (the hour skipped) is moved forward by the gap,
        # as the server does; zoneinfo reads it with the offset before the change.
        d = d.astimezone(timezone.utc)
        if d >= hi or len(out) >= case.get("limit", 200):
            break
        if d >= lo:
            out.append(int(d.timestamp() * 1000))
    return out


def main():
    cases = json.load(sys.stdin)
    json.dump([expand(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
