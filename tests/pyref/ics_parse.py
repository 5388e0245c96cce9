"""Parse an iCalendar file (standard input) with the `icalendar` package and print what the
meetings tests check, as JSON: per VEVENT its UID, start and end (ISO 8601 with the offset the
file's VTIMEZONE gives), RRULE, EXDATEs, RECURRENCE-ID and summary; and the zones defined."""
import json
import sys

from icalendar import Calendar


def iso(v):
    return v.dt.isoformat() if v is not None else None


def main():
    cal = Calendar.from_ical(sys.stdin.buffer.read())
    events = []
    for ev in cal.walk("VEVENT"):
        ex = ev.get("EXDATE")
        exdates = []
        for e in (ex if isinstance(ex, list) else [ex] if ex is not None else []):
            exdates.extend(d.dt.isoformat() for d in e.dts)
        rrule = ev.get("RRULE")
        events.append({
            "uid": str(ev.get("UID")),
            "summary": str(ev.get("SUMMARY")),
            "start": iso(ev.get("DTSTART")),
            "end": iso(ev.get("DTEND")),
            "rrule": rrule.to_ical().decode() if rrule is not None else None,
            "exdates": exdates,
            "recurrence_id": iso(ev.get("RECURRENCE-ID")),
            "attendees": len(ev.get("ATTENDEE", []) if isinstance(ev.get("ATTENDEE"), list) else [1] if ev.get("ATTENDEE") else []),
        })
    zones = [str(z.get("TZID")) for z in cal.walk("VTIMEZONE")]
    json.dump({"events": events, "zones": zones}, sys.stdout)


if __name__ == "__main__":
    main()
