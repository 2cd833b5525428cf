"""Two guichets in one base: nothing one guichet's people do reads or writes the other's.

The proof is by fingerprints: every row a guichet owns (its dossiers, sessions, agenda, budget,
reports, audit, outbox, due work, minutes, staff), before and after each command, and what
each command prints, which must never name the other guichet's things.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from states.lifecycle import RULES
from tests import campaigns
from tests.cli import Cli
from tests.helpers import COORDINATOR, INSTRUCTOR, MEMBER, ROOT, report

DS_EXPORT = ROOT.parent / "shared" / "fixtures" / "ds-export-2021.csv"

# What a guichet owns, table by table: the rows that must not move when the other one works.
OWNED = {
    "guichet": "SELECT * FROM guichet WHERE id = :g",
    "department": "SELECT * FROM department WHERE guichet_id = :g",
    "staff": "SELECT * FROM staff WHERE guichet_id = :g",
    "committee_session": "SELECT * FROM committee_session WHERE guichet_id = :g",
    "dossier": "SELECT * FROM dossier WHERE guichet_id = :g",
    "agenda_item": "SELECT a.* FROM agenda_item a JOIN committee_session s "
                   "ON s.id = a.session_id WHERE s.guichet_id = :g",
    "report": "SELECT r.* FROM report r JOIN dossier d ON d.id = r.dossier_id "
              "WHERE d.guichet_id = :g",
    "minutes": "SELECT m.* FROM minutes m JOIN committee_session s ON s.id = m.session_id "
               "WHERE s.guichet_id = :g",
    "audit": "SELECT * FROM audit WHERE guichet_id = :g",
    "outbox": "SELECT * FROM outbox WHERE guichet_id = :g",
    "due_work": "SELECT * FROM due_work WHERE guichet_id = :g",
    "reference_counter": "SELECT * FROM reference_counter WHERE guichet_id = :g",
}


def _url(cli: Cli) -> str:
    return cli.db if isinstance(cli.db, str) else f"sqlite:///{cli.db}"


def owned(cli: Cli, guichet: str) -> dict[str, tuple[int, str]]:
    """Each table's count of the guichet's rows, and a digest of those rows."""
    engine = create_engine(_url(cli), poolclass=NullPool)
    found = {}
    with engine.connect() as connection:
        for table, query in OWNED.items():
            rows = sorted(repr(tuple(row)) for row in connection.execute(text(query),
                                                                         {"g": guichet}))
            found[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    engine.dispose()
    return found


@pytest.fixture
def two(db_url, capsys, monkeypatch, tmp_path):
    campaigns.unset_environment(monkeypatch)
    cli = Cli(db_url, capsys, monkeypatch)
    return cli, campaigns.replayed(cli, tmp_path)


def _marks(campaign: campaigns.Campaign, cli: Cli) -> re.Pattern[str]:
    """What would show that a read crossed into ``campaign``'s guichet: its id, its references,
    its staff's and owners' addresses."""
    engine = create_engine(_url(cli), poolclass=NullPool)
    with engine.connect() as connection:
        staff = connection.execute(text("SELECT email FROM staff WHERE guichet_id = :g"),
                                   {"g": campaign.guichet}).scalars().all()
    engine.dispose()
    words = [campaign.guichet, f"{campaign.prefix}-20", *staff, *campaign.owners.values()]
    return re.compile("|".join(re.escape(word) for word in words), re.IGNORECASE)


def _event_words(event: str, needs: tuple[str, ...], reference: str, folder) -> list[str]:
    words = ["dossier", event, reference, "--reason", "Essai"]  # every event keeps a reason
    for need in needs:
        words += {"session": ["--session", "2021-11-16"], "amount": ["--amount", "1000"],
                  "date": ["--date", "2021-10-01"], "reason": [],
                  "file": ["--file", str(folder / f"{event}.json")]}[need]
    return words


def sweep(campaign: campaigns.Campaign, roles: dict[str, str], folder) -> list[tuple[list[str],
                                                                                     str | None]]:
    """Every command of the command line, as each role of ``campaign``'s guichet would type it,
    on that guichet's own things (and, named by reference, on the other's)."""
    g = ["--guichet", campaign.guichet]
    out = folder / "sortie"
    day = campaign.sessions[0]
    reads: list[list[str]] = [
        ["guichet", "show", "--json", *g], ["guichet", "list", "--json", *g],
        ["notifications", "preview", "submitted", *g],
        ["budget", "--json", *g], ["stats", "--json", *g],
        ["dossier", "list", "--json", *g], ["dossier", "list", "--state", "accepted", *g],
        ["session", "list", "--json", *g], ["session", "show", day, "--json", *g],
        ["session", "minutes", day, "--output", f"{out}.html", *g],
        ["report", "monthly", "--month", "2021-07", "--output", f"{out}.csv", *g],
        ["outbox", "list", "--json", *g], ["outbox", "retry", "1", *g],
        ["tick", *g], ["outbox", "send", *g],
        ["webhook", "list", "--json", *g], ["webhook", "retry", "1", *g], ["webhook", "send", *g],
        ["dossier", "import", str(DS_EXPORT if DS_EXPORT.exists() else folder / "absent.csv"),
         *g],
        *(["dossier", "show", reference, "--json"] for reference in campaign.references),
    ]
    commands: list[tuple[list[str], str | None]] = [(words, None) for words in reads]
    (folder / "submit.json").write_text(json.dumps(
        json.loads((folder / f"{campaign.prefix.lower()[:3]}-0.json").read_text())
        | {"title": "Un autre projet"}, ensure_ascii=False), encoding="utf-8")
    (folder / "resubmit.json").write_text((folder / f"{campaign.prefix.lower()[:3]}-1.json")
                                          .read_text(), encoding="utf-8")
    (folder / "submit_report.json").write_text(json.dumps(report(period="2021-Q3")),
                                               encoding="utf-8")
    for actor in roles.values():
        commands.append((["dossier", "submit", str(folder / "submit.json"), *g], actor))
        for rule in RULES:
            for reference in campaign.references:
                commands.append((_event_words(rule.event, rule.needs, reference, folder), actor))
        for command in ("convene", "open", "close", "cancel"):
            commands.append((["session", command, "2021-11-16", *g], actor))
        commands.append((["session", "move", "2022-03-15", "2022-03-22", *g], actor))
        for reference in campaign.references:
            commands.append((["dossier", "revoke-links", reference], actor))
    return commands


def test_no_command_of_one_guichet_reads_or_writes_the_other(two, tmp_path):
    cli, (bretagne, cantal) = two
    roles = {
        "bretagne-2021": {"coordinator": COORDINATOR, "instructor": INSTRUCTOR["22"],
                          "member": MEMBER, "owner": bretagne.owners["BZH-2021-0001"]},
        "cantal-2021": {"coordinator": campaigns.CANTAL_COORDINATOR,
                        "instructor": campaigns.CANTAL_INSTRUCTOR,
                        "member": campaigns.CANTAL_MEMBER,
                        "owner": cantal.owners["CAN-2021-0001"]},
    }
    covered = set()
    for mine, other in ((bretagne, cantal), (cantal, bretagne)):
        folder = tmp_path / mine.guichet
        folder.mkdir()
        for name in ("bzh-0.json", "bzh-1.json", "can-0.json", "can-1.json"):
            (folder / name).write_text((tmp_path / name).read_text(), encoding="utf-8")
        marks = _marks(other, cli)
        theirs, before = owned(cli, other.guichet), owned(cli, mine.guichet)
        done = []
        # Mine, on my things; then mine, on the other's references (refused, with nothing read).
        for words, actor in sweep(mine, roles[mine.guichet], folder):
            result = cli(*words, now="2021-10-20T10:00", actor=actor)
            covered.add(tuple(w for w in words[:2] if not w.startswith("-")))
            assert "Erreur interne" not in result.err, (words, result.err)
            assert not marks.search(result.out + result.err), (words, actor, result)
            if "--output" in words and result.code == 0:  # what the command wrote, read too
                written = folder.parent / words[words.index("--output") + 1]
                assert not marks.search(written.read_text(encoding="utf-8")), words
            assert owned(cli, other.guichet) == theirs, (words, actor)
            if result.code == 0:
                done.append(words[:2])
        # The sweep did real work on its own guichet: reads, and writes that went through.
        assert owned(cli, mine.guichet) != before
        assert {"dossier show", "budget --json", "dossier withdraw", "dossier submit"} <= {
            " ".join(w) for w in done}
        for reference in other.references:
            for actor in roles[mine.guichet].values():
                for words in (["dossier", "show", reference, "--guichet", mine.guichet],
                              ["dossier", "withdraw", reference, "--reason", "Essai",
                               "--guichet", mine.guichet],
                              ["dossier", "start_instruction", reference]):
                    result = cli(*words, now="2021-10-20T10:00", actor=actor)
                    assert result.code == 2, (words, actor, result)
                    assert owned(cli, other.guichet) == theirs, (words, actor)
    from tests.e2e.test_french_command_line import PATHS

    # serve: tests/e2e/test_serve.py; init of each guichet: the campaigns and the e2e tests.
    unscoped = {("init",), ("diagram",), ("demo",), ("serve",),  # tokens: a person's, not a guichet's
                ("token", "create"), ("token", "list"), ("token", "revoke")}
    leaves = {tuple(path) for path in PATHS if path and not _is_group(path)}
    assert leaves - unscoped - covered == set()


def _is_group(path: list[str]) -> bool:
    from command_line.main import _command

    command = _command()
    for word in path:
        command = command.commands[word]
    return hasattr(command, "commands")


def _outbox(cli: Cli, guichet: str) -> list[tuple]:
    """A guichet's messages, minus what differs between any two bases: row numbers, Message-IDs,
    dedup keys (they carry audit row numbers), the invitation's UID (a session's number) and the
    owner's link (signed with the base's own key)."""
    engine = create_engine(_url(cli), poolclass=NullPool)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT recipient, subject, text, html, ics, attachment_name, attachment, reference, "
            "kind, status, attempts, created_at, next_attempt_at FROM outbox "
            "WHERE guichet_id = :g"), {"g": guichet}).all()
    engine.dispose()
    uid = re.compile(r"^UID:.*$", re.MULTILINE)
    link = re.compile(r"/lien/[\w.-]+")
    return sorted(tuple(link.sub("/lien/-", uid.sub("UID:-", value)) if isinstance(value, str)
                        else value for value in row) for row in rows)


def _seen(cli: Cli, campaign: campaigns.Campaign, folder) -> dict[str, object]:
    """Everything of one guichet a person can read after the campaign."""
    g = ["--guichet", campaign.guichet]
    seen: dict[str, object] = {"outbox": _outbox(cli, campaign.guichet)}
    for month in campaigns.MONTHS:
        path = folder / f"{campaign.guichet}-{month}.csv"
        cli.ok("report", "monthly", "--month", month, "--output", str(path), *g)
        seen[f"monthly {month}"] = path.read_text(encoding="utf-8")
    for day in campaign.sessions:
        path = folder / f"{campaign.guichet}-{day}.html"
        cli.ok("session", "minutes", day, "--output", str(path), *g)
        seen[f"minutes {day}"] = path.read_text(encoding="utf-8")
    for reference in campaign.references:
        seen[reference] = json.loads(cli.ok("dossier", "show", reference, "--json"))
    seen["budget"] = json.loads(cli.ok("budget", "--json", *g))
    seen["stats"] = json.loads(cli.ok("stats", "--json", *g))
    return seen


def test_two_campaigns_interleaved_in_one_base_see_what_each_sees_alone(
        two, db_url, capsys, monkeypatch, tmp_path_factory):
    together, both = two
    for campaign in both:
        alone = Cli(_alone_url(db_url, tmp_path_factory, campaign.guichet), capsys, monkeypatch)
        folder = tmp_path_factory.mktemp(f"alone-{campaign.guichet}")
        mine = (campaigns.bretagne if campaign.guichet == "bretagne-2021" else campaigns.cantal)(
            folder)
        campaigns.load(alone, mine)
        campaigns.run(alone, mine)
        expected = _seen(alone, mine, folder)
        assert expected["outbox"], "the campaign sends mail"
        assert any(line for key, value in expected.items() if key.startswith("monthly")
                   for line in str(value).splitlines()[1:-1])
        assert _seen(together, campaign, tmp_path_factory.mktemp("together")) == expected


def _alone_url(db_url: str, factory, name: str) -> str:
    """A base of its own, on the same engine as ``db_url``."""
    if db_url.startswith("sqlite"):
        return f"sqlite:///{factory.mktemp(name) / 'alone.db'}"
    from tests.helpers import POSTGRES, postgres_schema

    assert POSTGRES is not None
    url, drop = postgres_schema(POSTGRES)
    _ALONE.append(drop)
    return url


_ALONE: list = []


@pytest.fixture(autouse=True)
def _drop_alone_schemas():
    yield
    while _ALONE:
        _ALONE.pop()()
