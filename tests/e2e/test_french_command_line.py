"""No English reaches a user of the command line: every help screen and usage error is French."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from tests.helpers import COORDINATOR, INSTRUCTOR, form

# Click's and Typer's own words, as they print them when left untranslated.
ENGLISH = re.compile(
    r"\b(Usage|Show this message|Missing|required|default|Commands|Arguments:|Error|Try|"
    r"Invalid value|No such|Got unexpected|is not a valid|TEXT|INTEGER|FLOAT|PATH|BOOLEAN|FILE|"
    r"NAME|Input should|range|requires an argument|does not take)\b|<str>|<int|<path>|<float|"
    r"x>=|<=x")


def _paths() -> list[list[str]]:
    """Every command and group of the command line, as the words one types to reach it."""
    from command_line.main import _command

    found: list[list[str]] = []

    def walk(command, path):
        found.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(_command(), [])
    return found


PATHS = _paths()


def test_every_event_of_the_table_has_its_command():
    from states.lifecycle import EVENTS

    assert {tuple(p) for p in PATHS} >= {("dossier", event) for event in EVENTS}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "comite")
def test_every_help_screen_is_in_french(cli, path):
    result = cli(*path, "--help")
    assert result.code == 0, result.err
    assert "Utilisation : comite" in result.out and "Afficher cette aide et quitter." in result.out
    assert not ENGLISH.search(result.out), ENGLISH.search(result.out)


@pytest.mark.parametrize(("args", "french"), [
    (["dossier", "show"], "argument manquant : REF"),
    (["dossier", "accept", "BZH-2021-0001", "--reason", "r"], "option obligatoire manquante : --amount"),
    (["dossier", "sign_agreement", "BZH-2021-0001"], "option obligatoire manquante : --date"),
    (["dossier", "withdraw", "BZH-2021-0001"], "option obligatoire manquante : --reason"),
    (["dossier", "start_instruction", "BZH-2021-0001", "--amount", "3"], "option inconnue : --amount"),
    (["dossier", "nope"], "commande inconnue : « nope »"),
    (["dossier", "show", "A", "B"], "argument en trop : B"),
    (["outbox", "send", "--connections", "beaucoup"], "valeur invalide pour --connections"),
    (["outbox", "send", "--connections", "0"], "valeur invalide pour --connections"),
    (["outbox", "retry", "un"], "valeur invalide pour ID"),
    (["--now"], "l'option --now attend une valeur"),
    (["budget", "--json=oui"], "l'option --json ne prend pas de valeur"),
])
def test_usage_errors_are_french_bad_usage_and_write_nothing(cli, args, french):
    before = cli.digest()
    result = cli(*args)
    assert result.code == 2
    assert french in result.err and "--help" in result.err
    assert not ENGLISH.search(result.err), result.err
    assert len(result.err.strip().splitlines()) == 1
    assert cli.digest() == before


def test_an_event_help_says_what_it_does_when_and_which_options_it_needs(cli):
    text = cli.ok("dossier", "accept", "--help")
    assert "Accorder le financement : en séance" in text and "Depuis : inscrit en comité" in text
    options = text[text.index("Options :"):]
    assert options.count("[obligatoire]") == 2  # --amount and --reason
    assert "--session" not in options and "--file" not in options and "--date" not in options
    instruction = cli.ok("dossier", "start_instruction", "--help")
    assert "[obligatoire]" not in instruction[instruction.index("Options :"):]


def test_no_command_prints_the_french_help_or_names_what_is_missing(cli):
    result = cli()  # comite --db …
    assert result.code == 2 and "commande manquante" in result.err
    done = subprocess.run([sys.executable, "-c", "from command_line.main import main; main()"],
                          capture_output=True, text=True)
    shown = done.stdout + done.stderr  # older Click prints it on stdout and exits 0
    assert done.returncode in (0, 2) and shown.startswith("Utilisation : comite")
    assert "Commandes :" in shown and not ENGLISH.search(shown)


@pytest.mark.parametrize("args", [["--help"], ["dossier", "accept", "--help"],
                                  ["outbox", "send", "--help"], ["report", "monthly", "--help"]])
def test_help_loads_no_database_library(args):
    probe = ("import sys\nsys.argv = ['comite', *sys.argv[1:]]\nfrom command_line.main import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted({m.split('.')[0] for m in sys.modules} & "
             "{'sqlalchemy', 'sqlmodel', 'psycopg', 'alembic', 'sqlite3'}), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True,
                          check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


@pytest.fixture
def submitted(cli, tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(form(), ensure_ascii=False))
    return cli.ok("dossier", "submit", str(path), now="2021-05-03T10:00")


@pytest.mark.parametrize("now", ["2021-05-10", "10/05/2021", "10/05/2021 14:30", "2021-05-10T14:30",
                                 "10/05/2021T14:30"])
def test_now_is_read_as_every_date_option_is(cli, submitted, now):
    cli.ok("dossier", "start_instruction", submitted, now=now, actor=INSTRUCTOR["29"])
    shown = json.loads(cli.ok("dossier", "show", submitted, "--json"))
    assert shown["history"][-1]["at"].startswith("2021-05-10T")


def test_an_empty_now_is_bad_input_not_the_real_clock(cli):
    result = cli("budget", now="")
    assert result.code == 2 and "--now" in result.err


def test_a_reference_is_found_whatever_its_case(cli, submitted):
    assert submitted.startswith("BZH-")
    shown = json.loads(cli.ok("dossier", "show", submitted.lower(), "--json"))
    assert shown["reference"] == submitted
    out = cli.ok("dossier", "start_instruction", f"  {submitted.lower()} ", now="2021-05-10T10:00",
                 actor=INSTRUCTOR["29"])
    assert out.startswith(f"{submitted} : commencer l'instruction → en instruction")


def test_text_output_shows_french_labels_and_json_keeps_the_stored_values(cli, submitted):
    listed = cli.ok("dossier", "list")
    assert "déposé" in listed and "submitted" not in listed and "36\u202f000,00 €" in listed
    assert json.loads(cli.ok("dossier", "list", "--json"))[0]["state"] == "submitted"
    sessions = cli.ok("session", "list")
    assert "prévue" in sessions and "planned" not in sessions
    guichet = cli.ok("guichet", "show")
    assert "coordinateur" in guichet and "instructeur du 29" in guichet and "coordinator" not in guichet
    shown = cli.ok("dossier", "show", submitted)
    assert "[déposé]" in shown and "— → déposé" in shown


def test_a_guard_refusal_says_when_the_event_becomes_possible_and_what_is_possible_now(cli, submitted):
    cli.ok("dossier", "start_instruction", submitted, now="2021-05-10T10:00", actor=INSTRUCTOR["29"])
    result = cli("dossier", "schedule", submitted, "--session", "2021-06-22", now="2021-06-20T10:00",
                 actor=INSTRUCTOR["29"])
    assert result.code == 1
    assert "« schedule » sera possible une fois ces conditions remplies" in result.err
    assert result.err.strip().endswith("Actions possibles maintenant : withdraw")
    member = cli("dossier", "withdraw", submitted, "--reason", "r", now="2021-06-20T10:00",
                 actor=COORDINATOR)
    assert member.code == 0, member.err


def test_outbox_send_tells_each_message_it_did_not_send_and_list_shows_the_error(cli, submitted,
                                                                                 monkeypatch):
    from tests.smtp_server import ScriptedHandler, SmtpServer

    owner = form()["contact"]["email"]
    handler = ScriptedHandler(scripts={owner: ["550 5.1.1 mailbox unknown"]})
    with SmtpServer(handler) as server:
        monkeypatch.setenv("COMITE_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("COMITE_SMTP_PORT", str(server.port))
        out = cli.ok("outbox", "send", now="2021-05-03T10:05")
    assert f"à {owner} : abandonné (550 5.1.1 mailbox unknown)" in out
    assert "0 envoyé," in out and "1 abandonné," in out
    listed = cli.ok("outbox", "list")
    assert "abandonné" in listed and "dernière erreur : 550 5.1.1 mailbox unknown" in listed
    assert "dead" not in listed
