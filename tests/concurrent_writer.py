"""A writer process for the concurrency tests: races the others to instruct shared dossiers.

    python tests/concurrent_writer.py DATABASE_URL SEED ATTEMPTS REF [REF ...]

Each attempt reads a dossier's version, then fires start_instruction expecting that version.
Prints one JSON line: how many applied, lost to a conflict, were refused, or met a locked base.
"""

from __future__ import annotations

import json
import random
import sys

from notifications.render import render
from states.machine import EventRefused
from tests.helpers import INSTRUCTOR, at
from workflow import context, events
from workflow.db import UnitOfWork, engine_for
from workflow.dossiers import Request
from workflow.errors import Conflict


def main() -> None:
    url, seed, attempts, references = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
    engine, rng = engine_for(url), random.Random(seed)
    counts = {"applied": 0, "conflict": 0, "refused": 0, "locked": 0}
    for _ in range(attempts):
        reference = rng.choice(references)
        with UnitOfWork(engine) as uow:
            seen = context.find(uow.session, reference).version
        request = Request(reference, INSTRUCTOR["29"], at("2021-05-10 09:00"),
                          expected_version=seen)
        try:
            with UnitOfWork(engine, write=True, render=render) as uow:
                events.start_instruction(uow, request)
                uow.commit()
            counts["applied"] += 1
        except Conflict:
            counts["conflict"] += 1
        except EventRefused:
            counts["refused"] += 1
        except Exception as error:
            if "locked" in str(error):  # what must never reach a user
                counts["locked"] += 1
            else:
                raise
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
