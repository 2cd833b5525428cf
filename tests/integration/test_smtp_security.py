"""Delivery to relays that demand encryption and a login: STARTTLS, implicit TLS, AUTH.

The relay is aiosmtpd on 127.0.0.1 with a certificate from a throwaway authority (trustme);
comite trusts that authority only through its `ca_file` setting.
"""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime

import pytest
import trustme
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.outbox import listing
from notifications.smtp import Delivery, SmtpMailer, SmtpSettings
from tests.helpers import queue_messages
from tests.smtp_server import ScriptedHandler, SmtpServer

USER, PASSWORD = "guichet-bretagne", "mot-de-passe-de-test"


@pytest.fixture(scope="module")
def authority(tmp_path_factory):
    """A certificate authority, the relay's TLS context, and the authority's PEM file."""
    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server)
    pem = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return server, str(pem)


class Logins:
    """Checks a login and remembers whether the channel was encrypted when it came."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login = auth_data.login.decode()
        self.seen.append((login, session.ssl is not None))
        # handled=False: aiosmtpd itself answers (235, or 535 on a wrong password).
        return AuthResult(success=(login, auth_data.password.decode()) == (USER, PASSWORD),
                          handled=False)


def _deliver(engine, settings: SmtpSettings):
    delivery = Delivery(engine, lambda: SmtpMailer(settings), settings.mail_from,
                        lambda: datetime.now(UTC), connections=2)
    return asyncio.run(delivery.run())


def _relay(authority, logins: Logins, **options):
    tls, _ = authority
    return SmtpServer(ScriptedHandler(), tls_context=tls, require_starttls=True,
                      authenticator=logins, auth_require_tls=True, auth_required=True, **options)


def test_starttls_and_login_deliver_over_an_encrypted_channel(engine, authority):
    queue_messages(engine, ["porteur1@example.org", "porteur2@example.org"])
    logins = Logins()
    with _relay(authority, logins) as relay:
        totals = _deliver(engine, SmtpSettings(port=relay.port, starttls=True, username=USER,
                                               password=PASSWORD, ca_file=authority[1]))
    assert totals["sent"] == 2 and len(relay.handler.received) == 2
    assert logins.seen and all(encrypted for _, encrypted in logins.seen)


def test_implicit_tls_delivers(engine, authority):
    queue_messages(engine, ["porteur@example.org"])
    tls, pem = authority
    handler = ScriptedHandler()
    with SmtpServer(handler, ssl_context=tls) as relay:
        totals = _deliver(engine, SmtpSettings(port=relay.port, tls=True, ca_file=pem))
    assert totals["sent"] == 1 and len(handler.received) == 1


def test_a_wrong_password_is_kept_with_the_relays_answer(engine, authority):
    queue_messages(engine, ["porteur@example.org"])
    with _relay(authority, Logins()) as relay:
        totals = _deliver(engine, SmtpSettings(port=relay.port, starttls=True, username=USER,
                                               password="faux", ca_file=authority[1]))
    assert totals["sent"] == 0 and relay.handler.received == []
    [row] = listing(engine)
    assert row["status"] == "dead" and row["last_error"].startswith("535"), row["last_error"]


def test_an_untrusted_certificate_is_never_sent_to_and_the_message_waits(engine, authority):
    queue_messages(engine, ["porteur@example.org"])
    with _relay(authority, Logins()) as relay:
        totals = _deliver(engine, SmtpSettings(port=relay.port, starttls=True, username=USER,
                                               password=PASSWORD))  # no ca_file: system CAs
    assert totals["sent"] == 0 and relay.handler.received == []
    [row] = listing(engine)
    assert row["status"] == "retrying" and "certif" in row["last_error"].lower()


def test_the_authority_file_comes_from_the_guichet_or_the_environment():
    from_guichet = SmtpSettings.from_sources({"ca_file": "/etc/comite/relais.pem"}, {})
    from_environment = SmtpSettings.from_sources({"ca_file": "/etc/comite/relais.pem"},
                                                 {"COMITE_SMTP_CA_FILE": "/srv/ca.pem"})
    assert (from_guichet.ca_file, from_environment.ca_file) == ("/etc/comite/relais.pem",
                                                                "/srv/ca.pem")
