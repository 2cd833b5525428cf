"""`comite demo` on a fresh folder: a local SMTP server receives every queued message."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

from tests.cli import Cli


def test_the_demo_delivers_every_message_as_an_eml_file(tmp_path, capsys, monkeypatch):
    cli = Cli(tmp_path / "unused.db", capsys, monkeypatch)
    output = cli.ok("demo", "--folder", str(tmp_path / "demo"), "--replay-only")
    files = sorted((tmp_path / "demo" / "courriels").glob("*.eml"))
    sent = json.loads(Cli(tmp_path / "demo" / "demo.db", capsys, monkeypatch).ok(
        "outbox", "list", "--json"))
    assert len(files) == len(sent) == sum(1 for m in sent if m["status"] == "sent") > 0
    received = {message_from_bytes(f.read_bytes(), policy=policy.default)["Message-ID"]
                for f in files}
    assert received == {m["message_id"] for m in sent}
    assert f"{len(files)} fichiers .eml" in output
    subjects = [message_from_bytes(f.read_bytes(), policy=policy.default)["Subject"]
                for f in files]
    assert any("accord de financement" in s for s in subjects)
    assert any(s.startswith("Convocation") for s in subjects)


def test_the_demo_hints_name_the_command_as_it_was_typed(tmp_path, capsys, monkeypatch):
    cli = Cli(tmp_path / "unused.db", capsys, monkeypatch, program=".venv/bin/comite")
    output = cli.ok("demo", "--folder", str(tmp_path / "demo"), "--replay-only")
    assert f"  .venv/bin/comite --db {tmp_path / 'demo' / 'demo.db'} dossier show" in output


def test_the_walkthrough_runs_from_the_repository_root_without_an_activated_venv():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PATH": "/usr/bin:/bin",
           "COMITE": str(Path(sys.executable).with_name("comite"))}
    done = subprocess.run(["sh", "examples/walkthrough.sh"], cwd=root, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "BZH-2021-0001 [accepté]" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_the_demo_ends_with_its_site_open_until_interrupted(tmp_path):
    """The site on the demo base: its URL and logins printed, the demo's login page listing
    its fictitious staff, a coordinator's dashboard; Ctrl-C stops it cleanly."""
    import os
    import re
    import signal
    import subprocess
    import urllib.request

    from tests.helpers import COMITE, ROOT, wait_until
    from tests.smtp_server import free_port

    port = free_port()
    process = subprocess.Popen([*COMITE, "demo", "--folder", str(tmp_path / "d"), "--port",
                                str(port)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def answers() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion",
                                              timeout=1).status == 200
            except OSError:
                return False

        assert wait_until(answers, limit=60)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/connexion").read().decode()
        assert "coordination.sgar@example.org" in page and "Connexion de démonstration" in page
        assert re.search(r'name="csrf" value="[^"]{32,}"', page)
        # the site goes on from the campaign's last day: filing is open, the owners' links open
        filing = urllib.request.urlopen(f"http://127.0.0.1:{port}/g/bretagne-2021/deposer")
        assert "Déposer le dossier" in filing.read().decode()
        import email
        from email import policy

        owner_mail = next(path for path in sorted((tmp_path / "d" / "courriels").glob("*.eml"))
                          if "kerbras" in path.name)
        body = email.message_from_bytes(owner_mail.read_bytes(), policy=policy.default)
        # the link opens on the site the demo opened, whatever its port
        link = re.search(rf"http://127\.0\.0\.1:{port}(/lien/\S+)",
                         body.get_body(("plain",)).get_content())  # type: ignore[union-attr]
        assert link is not None
        import http.cookiejar

        browser = urllib.request.build_opener(  # keeps the session cookie, as a browser does
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        opened = browser.open(f"http://127.0.0.1:{port}{link.group(1)}")
        assert "Votre dossier BZH-2021-" in opened.read().decode()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in out and "Traceback" not in err
