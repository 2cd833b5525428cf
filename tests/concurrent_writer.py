"""A writer process for the concurrency tests: races the others on shared dossiers, as a user would.

    python tests/concurrent_writer.py DATABASE_URL SEED EVENTS REF [REF ...]

Each attempt reads a dossier (`comite dossier show REF --json`), then types the next command of
its path with `--if-version` set to the version it read:

    start_instruction, schedule (1st session), defer (2nd, 3rd, 4th), withdraw

The command line runs in this process (as `comite` would, with its exit code and stderr). Prints
"ready" once imported, waits for a line on stdin, then one JSON line: how many events were
applied, and every other outcome with the message the user saw.
"""

from __future__ import annotations

import io
import json
import random
import sys
from contextlib import redirect_stderr, redirect_stdout

from command_line.main import main

INSTRUCTOR = "instructeur.29@example.org"
COORDINATOR = "coordination.sgar@example.org"
SESSIONS = ["2021-06-22", "2021-09-14", "2021-10-19", "2022-02-08"]
NOW = "2021-05-11T09:00"
HOT = 4


def comite(url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["comite", "--db", url, "--now", NOW, *args]
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main()
            code = 0
        except SystemExit as done:
            code = int(done.code or 0)
    return code, out.getvalue(), err.getvalue()


def next_command(dossier: dict) -> list[str] | None:
    """The next step along the path for a dossier as read, or None at its end."""
    state, reference = dossier["state"], dossier["reference"]
    if state == "submitted":
        return ["start_instruction", reference, "--actor", INSTRUCTOR]
    if state == "instruction":
        return ["schedule", reference, "--session", SESSIONS[0], "--actor", INSTRUCTOR]
    if state == "committee":
        later = [day for day in SESSIONS if day > dossier["session"]]
        if later:
            return ["defer", reference, "--session", later[0], "--actor", COORDINATOR]
        return ["withdraw", reference, "--reason", "projet abandonné", "--actor", INSTRUCTOR]
    return None


def main_loop() -> None:
    url, seed, wanted, references = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    rng = random.Random(seed)
    print("ready", flush=True)
    sys.stdin.readline()
    applied, losers, done = 0, [], set()
    while applied + len(losers) < wanted and len(done) < len(references):
        # Every writer works on the first few dossiers not yet at the end of their path, so
        # writers keep colliding on the same ones.
        reference = rng.choice([r for r in references if r not in done][:HOT])
        code, out, err = comite(url, "dossier", "show", reference, "--json")
        if code != 0:
            losers.append({"code": code, "stderr": err, "read": True})
            continue
        dossier = json.loads(out)
        command = next_command(dossier)
        if command is None:
            done.add(reference)
            continue
        event = command[0]
        code, out, err = comite(url, "dossier", *command, "--if-version",
                                str(dossier["version"]))
        if code == 0:
            applied += 1
        else:
            losers.append({"code": code, "stderr": err.strip(), "event": event})
    print(json.dumps({"applied": applied, "losers": losers}), file=sys.__stdout__, flush=True)


if __name__ == "__main__":
    main_loop()
