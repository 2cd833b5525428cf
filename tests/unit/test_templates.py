"""Every template renders with its sample; HTML escapes what people typed; headers stay single."""

from __future__ import annotations

from datetime import UTC, datetime

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
    assert text.startswith("Bonjour ") and "Message automatique" in text
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    if "reference" in SAMPLES[name]:
        assert SAMPLES[name]["reference"] in subject


def _hostile(sample):
    return {key: HOSTILE if isinstance(value, str) else value for key, value in sample.items()}


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
    [part] = [p for p in message.walk() if p.get_filename() == "laureats-2021-07.csv"]
    assert part.get_content_type() == "text/csv"
    assert part.get_content().startswith("\ufeffRéférence")
