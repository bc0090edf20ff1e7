// Reads an .ics file the way Thunderbird does (ical.js) and prints its events as JSON, times in UTC.
// Usage: node tests/icaljs_check.mjs FILE.ics
// Each VEVENT's times are converted with the file's own VTIMEZONE; a TZID without one is an error,
// since ical.js would silently read the time as floating (the machine's local time).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const calendar = new ICAL.Component(ICAL.parse(readFileSync(process.argv[2], "utf8")));

// Register the zones before any DTSTART is read: ical.js resolves a TZID when it first decodes a value.
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const toUtc = (property, time) => {
  const tzid = property.getParameter("tzid");
  if (tzid && !ICAL.TimezoneService.has(tzid)) {
    throw new Error(`${property.name} has TZID ${tzid} but the file has no VTIMEZONE for it`);
  }
  return time.toJSDate().toISOString();
};

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    method: calendar.getFirstPropertyValue("method") ?? null,
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    location: event.location,
    description: event.description,
    tzid: vevent.getFirstProperty("dtstart").getParameter("tzid") ?? null,
    start: toUtc(vevent.getFirstProperty("dtstart"), event.startDate),
    end: toUtc(vevent.getFirstProperty("dtend"), event.endDate),
  };
});

process.stdout.write(JSON.stringify(events));
