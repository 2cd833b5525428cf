"""`comite demo` on a fresh folder: a local SMTP server receives every queued message."""

from __future__ import annotations

import json
from email import message_from_bytes, policy

from tests.cli import Cli


def test_the_demo_delivers_every_message_as_an_eml_file(tmp_path, capsys, monkeypatch):
    cli = Cli(tmp_path / "unused.db", capsys, monkeypatch)
    output = cli.ok("demo", "--folder", str(tmp_path / "demo"))
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
