"""Every template renders with its sample; HTML escapes what people typed; headers stay single."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

import pytest

from notifications.outbox import Claimed
from notifications.render import names, render
from notifications.samples import SAMPLES
from notifications.smtp import build

HOSTILE = "<script>\"'&"


def test_every_template_has_a_sample_and_every_sample_a_template():
    assert set(names()) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_renders_in_french_with_its_sample(name):
    subject, text, html, _ = render(name, SAMPLES[name])
    assert subject and "\n" not in subject
    assert text.startswith(("Bonjour ", "Madame, Monsieur,"))
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    if "reference" in SAMPLES[name]:
        assert SAMPLES[name]["reference"] in subject


OWNERS = sorted(name for name, sample in SAMPLES.items() if "owner_name" in sample
                and name != "report_escalation")


@pytest.mark.parametrize("name", OWNERS)
def test_every_owner_email_names_whom_to_contact(name):
    from html import unescape

    _, text, html, _ = render(name, SAMPLES[name])
    contact = SAMPLES[name]["contact"]
    for part in (text, unescape(html)):
        assert contact["email"] in part and contact["address"] in part
        assert contact["instructor"] in part and contact["office"] in part
        assert "ne pas y répondre" not in part


@pytest.mark.parametrize("name", OWNERS)
def test_every_owner_email_sets_its_link_apart_by_one_blank_line(name):
    from datetime import date

    _, text, _, _ = render(name, {**SAMPLES[name], "link": "http://127.0.0.1:8000/lien/T",
                                  "link_until": date(2021, 9, 1)})
    body, link = text.split("Votre dossier en ligne")
    assert body.endswith(".\n\n") or body.endswith("»\n\n"), body[-60:]
    assert "\n\n\n" not in text  # nor two blank lines anywhere


@pytest.mark.parametrize("name", ["decision_accepted", "decision_revision", "decision_refused"])
def test_every_decision_states_how_and_by_when_it_can_be_contested(name):
    _, text, html, _ = render(name, SAMPLES[name])
    for part in (text, html):
        assert "Voies et délais de recours" in part and "deux mois" in part
        assert "recours gracieux" in part and "tribunal administratif" in part
        assert "Télérecours citoyens" in part


@pytest.mark.parametrize("name", ["report_escalation", "monthly_list"])
def test_offices_are_addressed_as_madame_monsieur(name):
    _, text, html, _ = render(name, SAMPLES[name])
    assert text.startswith("Madame, Monsieur,") and "<p>Madame, Monsieur,</p>" in html


MONTHS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
# What French typography forbids, each with what it looks like when it slips through.
FAULTS = {
    "an ordinary space before ; : ! ? or »": r"[ \u00a0][;:!?»]",
    "an ordinary space after «": r"«[ \u00a0]",
    "a first of the month without « er »": rf"\b1 (?:{MONTHS})\b",
    "a month or a date in ISO form": r"\b\d{4}-\d{2}(?:-\d{2})?\b",
    "a quarter in ISO form": r"\b\d{4}-Q\d\b",
    "a number of five digits or more without thousands separator": r"(?<![\d,])\d{5,}",
    "a four-digit number that is no year, without separator": r"(?<![\d,])(?!19|20)\d{4}\b",
    "an office greeted by its name": r"Bonjour (?:Préfecture|Madame, Monsieur)",
}


def _visible(part: str) -> str:
    """What a reader sees: no tags, no references (BZH-2021-0007) nor addresses."""
    import re

    part = re.sub(r"<[^>]+>", " ", part)
    part = re.sub(r"\b[A-Z]{2,6}-\d{4}-\d{4}\b", "REF", part)
    part = re.sub(r"\S+@\S+|https?://\S+|\b\d{5} [A-Z]", "ADDR", part)
    return part


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_template_follows_french_typography(name):
    import re

    subject, text, html, _ = render(name, SAMPLES[name])
    for part in (subject, text, html):
        visible = _visible(part)
        for fault, pattern in FAULTS.items():
            found = re.search(pattern, visible)
            where = visible[max(found.start() - 30, 0):found.end() + 30] if found else ""
            assert found is None, f"{name} : {fault} : …{where}…"


def test_the_typography_check_sees_each_fault():
    import re

    for fault, sample in zip(FAULTS, ["Motivation : oui", "« oui»", "le 1 février 2022",
                                      "fin 2021-06", "le 2021-Q4", "36000 €", "1873 jours",
                                      "Bonjour Préfecture du 29,"], strict=True):
        assert re.search(FAULTS[fault], _visible(sample)), fault


ENGINE_MADE = {"month", "period"}  # formatted by filters, never typed by a person


def _hostile(sample):
    return {key: HOSTILE if isinstance(value, str) and key not in ENGINE_MADE else value
            for key, value in sample.items()}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_html_escapes_every_variable(name):
    _, text, html, _ = render(name, _hostile(SAMPLES[name]))
    assert "<script>" not in html
    if HOSTILE in text:  # the variable is shown: then escaped in HTML, as typed in text
        assert "&lt;script&gt;&#34;&#39;&amp;" in html


def test_a_missing_variable_is_an_error_not_a_blank():
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        render("submitted", {"guichet": "x"})


@pytest.mark.parametrize("name", ["submitted", "decision_accepted", "session_moved"])
def test_cr_lf_in_names_never_make_an_extra_header(name):
    sample = dict(SAMPLES[name], reference="BZH-1\r\nBcc: victim@example.org",
                  owner_name="Anne\r\nX-Injected: yes")
    subject, text, html, _ = render(name, sample)
    message = build(Claimed(1, "owner@example.org", subject, text, html, None,
                            "<1@comite.example.org>", datetime(2021, 6, 22, tzinfo=UTC), 1),
                    "Guichet <guichet@example.org>")
    raw = message.as_string()
    headers = raw.split("\n\n", 1)[0]
    assert "\nBcc:" not in headers and "\nX-Injected:" not in headers
    assert message["Bcc"] is None


def test_a_guichet_may_override_a_template(tmp_path):
    (tmp_path / "submitted.subject.j2").write_text("[{{ reference }}] Dossier bien reçu\n")
    subject, text, _, _ = render("submitted", SAMPLES["submitted"], override=str(tmp_path))
    assert subject == "[BZH-2021-0007] Dossier bien reçu"
    assert "Bonjour" in text  # the other parts still come from the defaults


def test_an_attachment_travels_as_a_named_csv_part():
    subject, text, html, _ = render("monthly_list", SAMPLES["monthly_list"])
    message = build(Claimed(1, "ditp@example.org", subject, text, html, None,
                            "<2@comite.example.org>", datetime(2021, 7, 30, tzinfo=UTC), 1,
                            ("laureats-2021-07.csv", "\ufeffRéférence;Montant\r\n")),
                    "Guichet <guichet@example.org>")
    received = message_from_bytes(message.as_bytes(), policy=policy.default)  # as read
    [part] = [p for p in received.walk() if p.get_filename() == "laureats-2021-07.csv"]
    assert part.get_content_type() == "text/csv"
    assert part.get_content().startswith("\ufeffRéférence")
