"""The procès-verbal: every decision in the PDF, frozen at close, refused once tampered with."""

from __future__ import annotations

from datetime import date

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from reports.minutes import write
from tests.helpers import COORDINATOR, form
from workflow.db import UnitOfWork
from workflow.errors import Refused
from workflow.records import Minutes


@pytest.fixture
def closed(desk):
    accepted = desk.scheduled(form(title="Portail citoyen"))
    revised = desk.scheduled(form(title="Guichet unique", applicant={"department": "22"}))
    deferred = desk.scheduled(form(title="Application mobile"))
    desk.held()
    desk.fire("accept", accepted, actor=COORDINATOR, now="2021-06-22 10:00", amount=2_000_000,
              reason="Méthode participative exemplaire")
    desk.fire("request_revision", revised, actor=COORDINATOR, now="2021-06-22 10:10",
              reason="Associer les agents d'accueil")
    desk.fire("defer", deferred, actor=COORDINATOR, now="2021-06-22 10:20",
              session_day=date(2021, 9, 14), reason="Devis attendu")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    return desk, (accepted, revised, deferred)


def _write(desk, path):
    with UnitOfWork(desk.engine) as uow:
        return write(uow.session, date(2021, 6, 22), path)


def test_the_pdf_minutes_contain_every_decision(closed, tmp_path):
    desk, references = closed
    assert _write(desk, tmp_path / "pv.pdf") is True
    words = " ".join(" ".join(page.extract_text().split())
                     for page in PdfReader(tmp_path / "pv.pdf").pages)
    for reference in references:
        assert reference in words
    for expected in ("accord", "à revoir", "reporté", "20 000,00 €", "Méthode participative",
                     "Associer les agents", "Devis attendu", "mardi 14 septembre 2021",
                     "Claire Dupont-Exemple", "Totaux par département"):
        assert expected in words


def test_minutes_printed_later_are_the_ones_frozen_at_close(closed, tmp_path):
    desk, (accepted, _, _) = closed
    _write(desk, tmp_path / "first.html")
    with desk.engine.begin() as connection:  # life goes on after the session
        connection.execute(text("UPDATE dossier SET applicant_name = 'Nouveau nom'"))
    desk.fire("withdraw", accepted, actor=COORDINATOR, now="2021-07-01 10:00", reason="Abandon")
    _write(desk, tmp_path / "later.html")
    assert (tmp_path / "first.html").read_text() == (tmp_path / "later.html").read_text()
    assert "Nouveau nom" not in (tmp_path / "later.html").read_text()


def test_tampered_minutes_are_refused(closed, tmp_path):
    desk, _ = closed
    with UnitOfWork(desk.engine, write=True) as uow:  # someone edits the stored minutes
        [stored] = uow.session.exec(select(Minutes)).all()
        stored.content = {**stored.content, "guichet": "Autre guichet"}
        uow.session.add(stored)
        uow.commit()
    with pytest.raises(Refused, match="empreinte"):
        _write(desk, tmp_path / "pv.html")


def test_minutes_of_an_open_session_are_a_marked_draft(desk, tmp_path):
    desk.scheduled()
    desk.held()
    assert _write(desk, tmp_path / "draft.html") is False
    assert "PROJET" in (tmp_path / "draft.html").read_text()


def test_html_minutes_escape_what_people_typed(desk, tmp_path):
    reference = desk.scheduled(form(title="<script>alert(1)</script>"))
    desk.held()
    desk.fire("refuse", reference, actor=COORDINATOR, now="2021-06-22 10:00",
              reason="<b>non</b> & c'est tout")
    desk.session("close", "2021-06-22", now="2021-06-22 12:00")
    page = (tmp_path / "pv.html")
    _write(desk, page)
    assert "<script>" not in page.read_text() and "&lt;b&gt;non&lt;/b&gt; &amp;" in page.read_text()
