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
EQUIVALENT = {
    "registration.tokens.x_read_checkin_token__mutmut_5": (
        "rpartition for partition: the event id is digits and a check-in code has no dot, so both split alike."
    ),
    "registration.tokens.x_invite_signature__mutmut_2": (
        "Another HMAC salt: the signature is as private with any salt; nothing else signs this value."
    ),
    "registration.tokens.x_invite_signature__mutmut_7": (
        "HMAC's default hash for SHA-256: either keeps the invite's address unguessable."
    ),
    "registration.tokens.x_invite_signature__mutmut_8": (
        "Another HMAC salt: the signature is as private with any salt; nothing else signs this value."
    ),
    "registration.tokens.x_invite_signature__mutmut_9": (
        "Another HMAC salt: the signature is as private with any salt; nothing else signs this value."
    ),
    "registration.tokens.x_invite_signature__mutmut_12": (
        "33 hex digits for 32: the address takes a signature of any length and compares it whole."
    ),
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
        "listed below as equivalent, with the reason no behaviour changes. A timeout counts as killed.",
        "",
        "Functions with a decorator (`@transaction.atomic`, `@property`) are not mutated: mutmut 3 leaves them "
        "out, so the last column names them; their tests still exercise the mutated functions they call.",
        "",
        "| Module | Killed | Mutants | Score | Equivalent | Survivors to look at | Not mutated (decorated) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    sections = []
    unmeasured = []
    for path in modules():
        results = statuses[path]
        skipped = ", ".join(f"`{name}`" for name in decorated_functions(path))
        checked = {mutant: status for mutant, status in results.items() if status != "not checked"}
        if not checked:
            unmeasured.append(path)
            lines.append(f"| `{path}` | | | not measured | | | {skipped} |")
            continue
        killed = [mutant for mutant, status in checked.items() if status in DETECTED]
        survivors = in_order(mutant for mutant in checked if mutant not in killed)
        equivalent = [mutant for mutant in survivors if mutant in EQUIVALENT]
        open_ = [mutant for mutant in survivors if mutant not in EQUIVALENT]
        score = 100 * len(killed) / len(checked)
        partial = f" (of {len(results)})" if len(checked) < len(results) else ""
        lines.append(
            f"| `{path}` | {len(killed)} | {len(checked)}{partial} | {score:.1f}% | {len(equivalent)} | {len(open_)} "
            f"| {skipped} |"
        )
        if survivors:
            sections += ["", f"## `{path}`", ""]
            sections += [f"- `{mutant}` equivalent: {EQUIVALENT[mutant]}" for mutant in equivalent]
            sections += [f"- `{mutant}` {checked[mutant]}: {change(mutant, path)}" for mutant in open_]
    if unmeasured:
        lines += ["", "Not measured yet: " + ", ".join(f"`{path}`" for path in unmeasured) + "."]
    lines += sections
    REPORT.write_text("\n".join(lines) + "\n")
    print(f"Wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
