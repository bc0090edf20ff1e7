// Reads an .ics file the way Thunderbird does (ical.js) and prints its events as JSON, times in UTC.
// Usage: node tests/icaljs_check.mjs FILE.ics                 each VEVENT as written
//        node tests/icaljs_check.mjs --occurrences FILE.ics   each event's occurrences as a calendar shows them:
//                                                             recurrences expanded, overrides applied
// Each VEVENT's times are converted with the file's own VTIMEZONE; a TZID without one is an error,
// since ical.js would silently read the time as floating (the machine's local time).
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const args = process.argv.slice(2);
const occurrences = args[0] === "--occurrences";
const calendar = new ICAL.Component(ICAL.parse(readFileSync(args.at(-1), "utf8")));
const method = calendar.getFirstPropertyValue("method") ?? null;
// An expansion that never ends would be a bug in the file: stop well past any workshop's length.
const MAX_OCCURRENCES = 100;

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

const describe = (vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    method,
    uid: event.uid,
    sequence: event.sequence,
    summary: event.summary,
    location: event.location,
    description: event.description,
    status: vevent.getFirstPropertyValue("status") ?? null,
    tzid: vevent.getFirstProperty("dtstart").getParameter("tzid") ?? null,
    start: toUtc(vevent.getFirstProperty("dtstart"), event.startDate),
    end: toUtc(vevent.getFirstProperty("dtend"), event.endDate),
  };
};

const expand = (vevents) => {
  const masters = vevents.filter((vevent) => !vevent.hasProperty("recurrence-id"));
  return masters.flatMap((master) => {
    const uid = master.getFirstPropertyValue("uid");
    const exceptions = vevents.filter(
      (vevent) => vevent !== master && vevent.getFirstPropertyValue("uid") === uid,
    );
    const event = new ICAL.Event(master, { exceptions, strictExceptions: true });
    if (!event.isRecurring()) {
      return [describe(master)];
    }
    const found = [];
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      if (found.length === MAX_OCCURRENCES) {
        throw new Error(`${uid} has more than ${MAX_OCCURRENCES} occurrences`);
      }
      const details = event.getOccurrenceDetails(next);
      const item = details.item.component;
      found.push({
        ...describe(item),
        recurrenceId: details.recurrenceId.toJSDate().toISOString(),
        start: details.startDate.toJSDate().toISOString(),
        end: details.endDate.toJSDate().toISOString(),
      });
    }
    return found;
  });
};

const vevents = calendar.getAllSubcomponents("vevent");
process.stdout.write(JSON.stringify(occurrences ? expand(vevents) : vevents.map(describe)));
