"""Write tests/MUTATION.md from the results of `mutmut run` in mutants/ (see `make mutation`).

Per module: mutants killed out of all mutants, and every survivor, either with the reason it is equivalent
(listed in EQUIVALENT below: no observable behaviour changes) or with its diff, as work left to do.
A timeout counts as killed: the mutant made the tests hang, so they noticed it.
"""

import ast
import datetime as dt
import os
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "tests" / "MUTATION.md"
GOAL = 90

DETECTED = {"killed", "timeout", "caught by type check"}

# Survivors that change nothing anyone can observe, each with the reason. The names are mutmut's: after an edit
# to a function its mutants are renumbered, so check this list against the report when one comes back.
SALT = "Another HMAC salt: the signature is as private with any salt, and nothing else signs this value."
SQLITE_LOCK = "Not observable on SQLite, where select_for_update does nothing; only PostgreSQL takes row locks."
LOCKED_SAVE = "Saves every field, not the named ones: the row was just read under its lock, so the rest is unchanged."
DEBUG_LOG = "The text or traceback of a debug log line when closing an already broken connection fails."
DAYS = "Without the caller's days, invites.fingerprint reads the event's days itself: one more query, same hash."
CHECKIN_LOCK = f"{SQLITE_LOCK} tests/registration/test_checkin.py's two-desk test checks the lock on PostgreSQL."

EQUIVALENT = {
    "registration.tokens.x_read_checkin_token__mutmut_5": (
        "rpartition for partition: the event id is digits and a check-in code has no dot, so both split alike."
    ),
    "registration.tokens.x_invite_signature__mutmut_2": SALT,
    "registration.tokens.x_invite_signature__mutmut_7": (
        "HMAC's default hash for SHA-256: both keep the address unguessable."
    ),
    "registration.tokens.x_invite_signature__mutmut_8": SALT,
    "registration.tokens.x_invite_signature__mutmut_9": SALT,
    "registration.tokens.x_invite_signature__mutmut_12": (
        "33 hex digits for 32: the invite's address takes a signature of any length and compares it whole."
    ),
    "registration.notifications.x_owe__mutmut_9": DAYS,
    "registration.notifications.x_owe__mutmut_11": DAYS,
    "registration.delivery.x_deliver__mutmut_5": "One more query to read the event; no behaviour changes.",
    "registration.delivery.x_deliver__mutmut_6": "One more query to read the account; no behaviour changes.",
    "registration.delivery.x_deliver__mutmut_7": SQLITE_LOCK,
    "registration.delivery.x_deliver__mutmut_8": SQLITE_LOCK,
    "registration.delivery.x_deliver__mutmut_9": SQLITE_LOCK,
    "registration.delivery.x_deliver__mutmut_58": LOCKED_SAVE,
    "registration.delivery.x__mark_sent__mutmut_5": LOCKED_SAVE,
    "registration.delivery.x_drop_mail_connection__mutmut_11": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_12": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_14": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_15": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_16": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_17": DEBUG_LOG,
    "registration.delivery.x_drop_mail_connection__mutmut_18": DEBUG_LOG,
    "registration.delivery.x_mail_connection__mutmut_15": (
        "> for >= on idle seconds read from a monotonic clock: an idle time of exactly the limit does not occur."
    ),
    "registration.delivery.x_pending__mutmut_6": (
        "Drops the tie-break of notices owed in the same microsecond; each is still swept, in insertion order."
    ),
    "registration.checkin.x__find__mutmut_11": (
        "Drops select_related('user'): the desk reads no account field of the registration it found."
    ),
    "registration.checkin.x__find__mutmut_15": CHECKIN_LOCK,
    "registration.checkin.x__find__mutmut_16": CHECKIN_LOCK,
    "registration.checkin.x__find__mutmut_17": CHECKIN_LOCK,
    "registration.checkin.x_check_in__mutmut_4": CHECKIN_LOCK,
    "registration.checkin.x_check_in__mutmut_8": CHECKIN_LOCK,
    "registration.checkin.x_preview__mutmut_4": "lock=None for lock=False: both are false.",
    "registration.checkin.x_preview__mutmut_8": (
        f"{SQLITE_LOCK} (On PostgreSQL it would lock the row for a preview, which runs in no transaction.)"
    ),
    "registration.checkin.x_check_in__mutmut_13": LOCKED_SAVE,
    "registration.checkin.x__parse__mutmut_30": "'' for None: both are false, so the link is refused alike.",
    "registration.checkin.x_search__mutmut_24": (
        "Drops the tie-break between equal badge names; the database returns them in insertion order anyway."
    ),
    "registration.checkin.x_search__mutmut_27": (
        "Drops select_related('event'): rows read through event.registrations carry that event already."
    ),
    "registration.services.x__locked__mutmut_2": SQLITE_LOCK,
    "registration.services.x__locked__mutmut_3": SQLITE_LOCK,
    "registration.services.x__fill_free_seats__mutmut_9": "waiting[:None] is the whole waitlist, as waiting is.",
    "registration.services.x__erase_from_audit_log__mutmut_10": (
        "'' for None in serialized_data: neither holds a copy of the registration."
    ),
    "registration.services.x__erase_from_audit_log__mutmut_11": (
        "Saves every field of the log entry it just read, so the rest is written back unchanged."
    ),
    "registration.services.x_erase_answers__mutmut_14": "A nullable BooleanField stores '' as NULL, as it does None.",
    "registration.services.x_erase_expired_answers__mutmut_8": (
        "Django always loads the primary key: only() loads the same columns."
    ),
    "program.services.x__bump_year__mutmut_2": "Replacing a year by itself changes nothing.",
}


def modules() -> list[str]:
    """The modules `[tool.mutmut] only_mutate` names, in the order the table lists them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    return config["only_mutate"]


def in_order(mutants) -> list[str]:
    """By function, then by mutant number (2 before 12)."""
    return sorted(mutants, key=lambda mutant: (mutant.rpartition("__mutmut_")[0], int(mutant.rpartition("_")[2])))


def decorated_functions(path: str) -> list[str]:
    """The functions mutmut 3 does not mutate: those with a decorator other than staticmethod or classmethod."""
    tree = ast.parse((ROOT / path).read_text())
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.decorator_list
        and not (
            len(node.decorator_list) == 1
            and isinstance(node.decorator_list[0], ast.Name)
            and node.decorator_list[0].id in {"staticmethod", "classmethod"}
        )
    ]


def change(mutant: str, path: str) -> str:
    """The mutated lines, old and new, on one line each side of an arrow."""
    diff = get_diff_for_mutant(mutant, path=path).splitlines()
    old = " ".join(line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---"))
    new = " ".join(line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++"))
    return f"`{old}` → `{new}`"


def main() -> int:
    os.chdir(ROOT)
    statuses: dict[str, dict[str, str]] = defaultdict(dict)
    for path in modules():
        data = SourceFileMutationData(path=path)
        data.load()
        for mutant, exit_code in data.exit_code_by_key.items():
            statuses[path][mutant] = status_by_exit_code[exit_code]

    lines = [
        "# Mutation score",
        "",
        "Written by `make mutation` (mutmut 3 over the unit layer on SQLite; not part of `make test`) on "
        f"{dt.date.today().isoformat()}. A mutant is the code with one small change; the tests kill it when one "
        f"fails. The goal is {GOAL}% killed in each module, and every survivor either killed by a new test or "
        "listed below as equivalent, with the reason no behaviour changes. A timeout counts as killed. Some "
        "survivors are equivalent only on SQLite, where `select_for_update` does nothing: they say so.",
        "",
        "Functions with a decorator other than `@staticmethod` or `@classmethod` are not mutated (mutmut 3 leaves "
        "them out), so the lines of the `@transaction.atomic` services named in the last column are not measured "
        "here; the helpers they call are.",
        "",
        "| Module | Killed | Mutants | Score | Equivalent | Killed or equivalent | Survivors to look at "
        "| Not mutated (decorated) |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    sections = []
    unmeasured = []
    for path in modules():
        results = statuses[path]
        skipped = ", ".join(f"`{name}`" for name in decorated_functions(path))
        checked = {mutant: status for mutant, status in results.items() if status != "not checked"}
        if not checked:
            unmeasured.append(path)
            lines.append(f"| `{path}` | | | not measured | | | | {skipped} |")
            continue
        killed = [mutant for mutant, status in checked.items() if status in DETECTED]
        survivors = in_order(mutant for mutant in checked if mutant not in killed)
        equivalent = [mutant for mutant in survivors if mutant in EQUIVALENT]
        open_ = [mutant for mutant in survivors if mutant not in EQUIVALENT]
        score = 100 * len(killed) / len(checked)
        explained = 100 * (len(killed) + len(equivalent)) / len(checked)
        partial = f" (of {len(results)})" if len(checked) < len(results) else ""
        lines.append(
            f"| `{path}` | {len(killed)} | {len(checked)}{partial} | {score:.1f}% | {len(equivalent)} "
            f"| {explained:.1f}% | {len(open_)} | {skipped} |"
        )
        if survivors:
            sections += ["", f"## `{path}`", ""]
            sections += [
                f"- `{mutant}` equivalent, {change(mutant, path)}: {EQUIVALENT[mutant]}" for mutant in equivalent
            ]
            sections += [f"- `{mutant}` {checked[mutant]}: {change(mutant, path)}" for mutant in open_]
    if unmeasured:
        lines += ["", "Not measured yet: " + ", ".join(f"`{path}`" for path in unmeasured) + "."]
    lines += sections
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"Wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
