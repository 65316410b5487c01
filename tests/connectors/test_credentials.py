"""Source credentials (docs/connectors.md, "Credentials"): bearer tokens, API keys and mutual TLS
against the reference API served by uvicorn, the credentials file's problems, and the secret
kept out of messages, reprs and log records."""

from __future__ import annotations

import logging
import os
import ssl
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from starlette.types import ASGIApp, Receive, Scope, Send

from govshare.catalog.model import Catalog, Platform, Source
from govshare.connectors import (
    Connector,
    Credential,
    CredentialsError,
    Secret,
    Select,
    SourceUnavailable,
    load_credentials,
    open_connector,
)
from govshare.connectors.http import HttpConnector
from govshare.connectors.reference_api import make_source_app
from govshare.runtime import opened_sources
from govshare.settings import Settings, load_settings
from tests.connectors.conftest import TABLE, load
from tests.connectors.tls import Pki, make_pki
from tests.services import serve_app

FIRST = [("k000",), ("k001",), ("k002",)]
TOKEN = "city-token-4f1c9a7e2b"
NEW_TOKEN = "city-token-rotated-93d0"
API_KEY = "police key 7a1e55"


@dataclass(frozen=True)
class World:
    rows: Path  # the SQLite file the reference API serves
    pki: Pki  # the source's authority, its server certificate and our client certificate
    other: Pki  # an authority nobody trusts


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp("credentials")
    load(f"sqlite:///{directory / 'items.db'}")
    return World(directory / "items.db", make_pki(directory / "pki"), make_pki(directory / "other", "other"))


def requiring(app: ASGIApp, header: str, expected: Callable[[], str]) -> ASGIApp:
    """``app`` answering 401 unless the request's ``header`` is ``expected()``; the refusal echoes
    what was sent, as careless APIs do, so that the connector has to keep it out of its log."""
    name = header.lower().encode()

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            sent = dict(scope["headers"]).get(name, b"").decode("latin-1")
            if sent != expected():
                body = orjson.dumps({"error": f"refused {header}: {sent}"})
                headers = [(b"content-type", b"application/json")]
                await send({"type": "http.response.start", "status": 401, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return guarded


def credential_of(directory: Path, text: str, source: str = "city") -> Credential:
    file = directory / "credentials.yaml"
    file.write_text(text, encoding="utf-8")
    return load_credentials(file, [source])[source]


def http_source(url: str, name: str = "city") -> Source:
    return Source(name, "city_dept", "http", url, {"timeout": 5})


def assert_secret_kept(caplog: pytest.LogCaptureFixture, *secrets: str, error: BaseException | None = None) -> None:
    """None of ``secrets`` in a log record (message, arguments, traceback) nor in ``error``'s chain."""
    assert any(r.name.startswith("httpcore") for r in caplog.records), "the transport's debug records were captured"
    texts = [caplog.text, *(r.getMessage() for r in caplog.records), *(repr(r.args) for r in caplog.records)]
    if error is not None:
        texts.append("".join(traceback.format_exception(error)))
    for secret in secrets:
        assert not [t for t in texts if secret in t]


async def first_rows(connector: Connector) -> list[tuple[object, ...]]:
    return await connector.select(Select(TABLE, ("id",), limit=3))


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    return caplog


@pytest.fixture
def bearer_api(world: World) -> Iterator[tuple[str, dict[str, str]]]:
    """The reference API wanting ``Authorization: Bearer <accepted["token"]>``."""
    accepted = {"token": TOKEN}
    app = requiring(
        make_source_app(world.rows, {"items": "id"}), "Authorization", lambda: f"Bearer {accepted['token']}"
    )
    with serve_app(app) as url:
        yield url, accepted


async def test_a_bearer_token_from_a_file_is_sent(
    bearer_api: tuple[str, dict[str, str]], tmp_path: Path, debug_log: pytest.LogCaptureFixture
) -> None:
    url, _ = bearer_api
    (tmp_path / "city.token").write_text(TOKEN + "\n", encoding="utf-8")  # a final line break is no part of it
    credential = credential_of(tmp_path, "city:\n  bearer_token_file: city.token\n")
    assert repr(credential) == f"Credential(city: bearer token from {tmp_path / 'city.token'})"
    connector = open_connector(http_source(url), credential=credential)
    try:
        assert await first_rows(connector) == FIRST
        await connector.ping()
    finally:
        await connector.close()
    assert TOKEN not in repr(connector) + str(credential)
    assert_secret_kept(debug_log, TOKEN)


async def test_a_wrong_token_is_refused_with_a_clear_reason(
    bearer_api: tuple[str, dict[str, str]], tmp_path: Path, debug_log: pytest.LogCaptureFixture
) -> None:
    url, _ = bearer_api
    wrong = "not-the-city-token-11aa"
    credential = credential_of(tmp_path, f"city:\n  bearer_token: {wrong}\n")
    connector = open_connector(http_source(url), credential=credential)
    try:
        with pytest.raises(SourceUnavailable) as refused:
            await first_rows(connector)
        with pytest.raises(SourceUnavailable) as pinged:
            await connector.ping()
    finally:
        await connector.close()
    assert refused.value.reason == pinged.value.reason == "HTTP 401: the source refused the credentials"
    assert_secret_kept(debug_log, wrong, error=refused.value)
    assert any("answered HTTP 401" in r.getMessage() and "[secret]" in r.getMessage() for r in debug_log.records)


async def test_a_source_asking_for_credentials_without_any_configured(bearer_api: tuple[str, dict[str, str]]) -> None:
    connector = open_connector(http_source(bearer_api[0]))
    try:
        with pytest.raises(SourceUnavailable, match="HTTP 401: the source asks for credentials and none are"):
            await first_rows(connector)
    finally:
        await connector.close()


async def test_a_rotated_token_file_is_used_at_the_next_request(
    bearer_api: tuple[str, dict[str, str]], tmp_path: Path, debug_log: pytest.LogCaptureFixture
) -> None:
    url, accepted = bearer_api
    token_file = tmp_path / "city.token"
    token_file.write_text(TOKEN, encoding="utf-8")
    connector = open_connector(
        http_source(url), credential=credential_of(tmp_path, f"city: {{bearer_token_file: {token_file}}}")
    )
    try:
        assert await first_rows(connector) == FIRST
        # As a secret store rotates: the new file is written beside the old one and renamed over it.
        accepted["token"] = NEW_TOKEN
        (tmp_path / "city.token.new").write_text(NEW_TOKEN, encoding="utf-8")
        os.replace(tmp_path / "city.token.new", token_file)
        assert await first_rows(connector) == FIRST
        # Rewritten in place, to a token of another length.
        accepted["token"] = TOKEN + "-again"
        token_file.write_text(TOKEN + "-again\n", encoding="utf-8")
        assert await first_rows(connector) == FIRST
        # Gone after the start: the source is unavailable, the reason names neither file nor token.
        token_file.unlink()
        with pytest.raises(SourceUnavailable) as gone:
            await first_rows(connector)
        assert gone.value.reason == "the bearer token file cannot be read (FileNotFoundError)"
        token_file.write_text("", encoding="utf-8")
        with pytest.raises(SourceUnavailable, match="the bearer token is empty"):
            await first_rows(connector)
    finally:
        await connector.close()
    assert_secret_kept(debug_log, TOKEN, NEW_TOKEN, error=gone.value)


@pytest.mark.parametrize("written", ["file", "inline"])
async def test_an_api_key_in_a_header_of_the_sources_choice(
    world: World, tmp_path: Path, debug_log: pytest.LogCaptureFixture, written: str
) -> None:
    (tmp_path / "police.key").write_text(API_KEY, encoding="utf-8")
    key = "api_key_file: police.key" if written == "file" else f'api_key: "{API_KEY}"'
    credential = credential_of(tmp_path, f"police_api:\n  api_key_header: X-Dept-Key\n  {key}\n", "police_api")
    assert API_KEY not in repr(credential) and "X-Dept-Key" in repr(credential)
    app = requiring(make_source_app(world.rows, {"items": "id"}), "X-Dept-Key", lambda: API_KEY)
    with serve_app(app) as url:
        connector = open_connector(http_source(url, "police_api"), credential=credential)
        try:
            assert await first_rows(connector) == FIRST
        finally:
            await connector.close()
        # The default header is X-Api-Key, which this API does not read.
        default = credential_of(tmp_path, f"police_api:\n  {key}\n", "police_api")
        connector = open_connector(http_source(url, "police_api"), credential=default)
        try:
            with pytest.raises(SourceUnavailable, match="refused the credentials") as refused:
                await first_rows(connector)
        finally:
            await connector.close()
    assert_secret_kept(debug_log, API_KEY, error=refused.value)


def serve_mtls(app: ASGIApp, pki: Pki) -> AbstractContextManager[str]:
    """``app`` over HTTPS, wanting a client certificate of ``pki``'s authority."""
    return serve_app(
        app,
        ssl_certfile=str(pki.server.cert),
        ssl_keyfile=str(pki.server.key),
        ssl_ca_certs=str(pki.ca.cert),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )


@pytest.fixture
def mtls_api(world: World) -> Iterator[str]:
    with serve_mtls(make_source_app(world.rows, {"items": "id"}), world.pki) as url:
        yield url


async def test_mutual_tls_with_the_client_certificate(world: World, mtls_api: str, tmp_path: Path) -> None:
    pki = world.pki
    credential = credential_of(
        tmp_path, f"city:\n  client_cert: {pki.client.cert}\n  client_key: {pki.client.key}\n  ca_file: {pki.ca.cert}\n"
    )
    connector = open_connector(http_source(mtls_api), credential=credential)
    try:
        assert await first_rows(connector) == FIRST
        await connector.ping()
    finally:
        await connector.close()


async def test_mutual_tls_with_the_key_in_the_certificate_file(world: World, mtls_api: str, tmp_path: Path) -> None:
    both = tmp_path / "client.pem"
    both.write_bytes(world.pki.client.cert.read_bytes() + world.pki.client.key.read_bytes())
    credential = credential_of(tmp_path, f"city:\n  client_cert: client.pem\n  ca_file: {world.pki.ca.cert}\n")
    connector = open_connector(http_source(mtls_api), credential=credential)
    try:
        assert await first_rows(connector) == FIRST
    finally:
        await connector.close()


async def test_mutual_tls_and_a_bearer_token_together(world: World, tmp_path: Path) -> None:
    pki = world.pki
    app = requiring(make_source_app(world.rows, {"items": "id"}), "Authorization", lambda: f"Bearer {TOKEN}")
    with serve_mtls(app, pki) as url:
        text = f"city:\n  bearer_token: {TOKEN}\n  client_cert: {pki.client.cert}\n  client_key: {pki.client.key}\n  ca_file: {pki.ca.cert}\n"
        connector = open_connector(http_source(url), credential=credential_of(tmp_path, text))
        try:
            assert await first_rows(connector) == FIRST
        finally:
            await connector.close()


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no client certificate", "the source closed the connection"),
        ("a client certificate of another authority", "the source closed the connection"),
        ("a server certificate we do not trust", "TLS handshake failed (the source's certificate is not trusted)"),
        ("the system's authorities only", "TLS handshake failed (the source's certificate is not trusted)"),
    ],
)
async def test_a_failed_tls_handshake_is_a_source_unavailable(
    world: World, mtls_api: str, tmp_path: Path, case: str, reason: str
) -> None:
    pki, other = world.pki, world.other
    credential = {
        "no client certificate": Credential("city", ca_file=pki.ca.cert),
        "a client certificate of another authority": Credential(
            "city", client_cert=other.client.cert, client_key=other.client.key, ca_file=pki.ca.cert
        ),
        "a server certificate we do not trust": Credential(
            "city", client_cert=pki.client.cert, client_key=pki.client.key, ca_file=other.ca.cert
        ),
        "the system's authorities only": None,
    }[case]
    connector = open_connector(http_source(mtls_api), credential=credential)
    try:
        with pytest.raises(SourceUnavailable) as failed:
            await first_rows(connector)
    finally:
        await connector.close()
    assert failed.value.reason.startswith(reason)
    assert "127.0.0.1" not in str(failed.value)


def test_tls_settings_need_an_https_url(world: World) -> None:
    with pytest.raises(ValueError, match="source 'city': a client certificate or ca_file needs an https:// URL"):
        HttpConnector("city", "http://127.0.0.1:1/api", credential=Credential("city", ca_file=world.pki.ca.cert))


def test_a_sql_source_takes_no_credential() -> None:
    source = Source("police_db", "police", "sql", "sqlite:///police.db")
    credential = Credential("police_db", bearer_token=Secret("bearer token", value=TOKEN))
    with pytest.raises(ValueError, match="credentials are for http") as refused:
        open_connector(source, credential=credential)
    assert str(refused.value) == (
        "source 'police_db': credentials are for http and graphql sources; "
        "a sql source carries its own in its URL (an environment variable: ${VAR})"
    )


def test_the_catalog_carries_no_credentials() -> None:
    source = Source("city", "city_dept", "http", "https://city.example/api", {"bearer_token": TOKEN})
    with pytest.raises(ValueError, match="unknown option 'bearer_token' for http sources") as refused:
        open_connector(source)
    assert TOKEN not in str(refused.value)


def test_a_credential_is_checked_when_made_in_code() -> None:
    token, key = Secret("bearer token", value=TOKEN), Secret("API key", value=API_KEY)
    with pytest.raises(ValueError, match="a bearer token and an API key together"):
        Credential("city", bearer_token=token, api_key=key)
    with pytest.raises(ValueError, match="nothing to send"):
        Credential("city")
    assert repr(Credential("city", api_key=key)) == "Credential(city: API key (inline) in X-Api-Key)"


def _write_tls_files(directory: Path, pki: Pki, other: Pki) -> None:
    (directory / "garbage.pem").write_text("not a certificate\n", encoding="utf-8")
    key = serialization.load_pem_private_key(pki.client.key.read_bytes(), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )
    (directory / "encrypted.key").write_bytes(encrypted)
    (directory / "client.pem").write_bytes(pki.client.cert.read_bytes())
    (directory / "client.key").write_bytes(pki.client.key.read_bytes())
    (directory / "other.key").write_bytes(other.client.key.read_bytes())
    (directory / "ca.pem").write_bytes(pki.ca.cert.read_bytes())


# (credentials file, line, message, hint): the message as it follows "file:line: ", then a part of its hint.
BAD_FILES = [
    ("city:\n  bearer_tokn_file: city.token\n", 2,
     "unknown key 'bearer_tokn_file' in the credential of source 'city'", "did you mean 'bearer_token_file'?"),
    ("city:\n  bearer_token: x1\n  bearer_token_file: city.token\n", 2,
     "the credential of source 'city' has both 'bearer_token' and 'bearer_token_file'", "keep one"),
    ("\ncity:\n  bearer_token_file: city.token\n  api_key: k1\n", 2,
     "the credential of source 'city' has both a bearer token and an API key", "remove the other"),
    ("city:\n  bearer_token_file: missing.token\n", 2,
     "cannot read the bearer token file {dir}/missing.token: No such file or directory", "check the path"),
    ("city:\n  bearer_token_file: empty.token\n", 2, "the bearer token file {dir}/empty.token is empty", "alone"),
    ("city:\n  bearer_token: ''\n", 2, "'bearer_token' of source 'city' is empty", "write a value"),
    ("city:\n  bearer_token_file: spaced.token\n", 2,
     "the bearer token file {dir}/spaced.token holds a character that cannot be sent in an HTTP header", "one line"),
    ("city:\n  api_key_header: X-Key\n  bearer_token: t1\n", 2,
     "the credential of source 'city' has 'api_key_header' but no API key", "add 'api_key_file"),
    ("city:\n  api_key: k1\n  api_key_header: X Key\n", 3,
     "'api_key_header' of source 'city' is not an HTTP header name", "X-Api-Key"),
    ("city:\n  client_key: client.key\n", 2, "the credential of source 'city' has 'client_key' but no 'client_cert'",
     "add 'client_cert"),
    ("city:\n  client_cert: garbage.pem\n  client_key: client.key\n", 2,
     "'client_cert' of source 'city' holds no PEM certificate", "PEM form"),
    ("city:\n  client_cert: client.pem\n  client_key: other.key\n", 3,
     "the client key of source 'city' does not belong to its client certificate", "issued for"),
    ("city:\n  client_cert: client.pem\n  client_key: encrypted.key\n", 3,
     "the client key of source 'city' is encrypted", "unencrypted"),
    ("city:\n  client_cert: client.pem\n", 2,
     "the client certificate file of source 'city' holds no private key", "add 'client_key"),
    ("city:\n  client_cert: client.pem\n  client_key: garbage.pem\n", 3,
     "'client_key' of source 'city' is not a PEM private key", "PEM form"),
    ("city:\n  ca_file: garbage.pem\n", 2, "'ca_file' of source 'city' holds no PEM certificate", "authority"),
    ("city:\n  ca_file: nowhere.pem\n", 2,
     "cannot read 'ca_file' {dir}/nowhere.pem: No such file or directory", "check the path"),
    ("city: {TOKEN}\n", 1, "the credential of source 'city' must be a mapping of keys", "bearer_token_file"),
    ("city:\n  {TOKEN}:\n", 2, "unknown key (not shown: it is not a key name)", "allowed keys are"),
    ("- city\n", 1, "the source credentials must map source names to credentials", "docs/connectors.md"),
    ("city:\n  bearer_token_file: city.token\ncitty:\n  bearer_token: t2\n", 3,
     "'citty' is not a source of the catalog", "did you mean 'city'?"),
    ("city:\n  bearer_token_file: city.token\ncity:\n  bearer_token: t2\n", 3,
     "duplicate key 'city' in the source credentials (first at line 1)", "remove one"),
    ("city:\n  bearer_token: ${{CITY_TOKEN_UNSET}}\n", 2,
     "environment variable CITY_TOKEN_UNSET is not set", "set CITY_TOKEN_UNSET"),
    ("city:\n  bearer_token: [t1\n", 3, "YAML syntax error", "check indentation"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "message", "hint"), BAD_FILES)
def test_every_problem_of_the_credentials_file_says_where_and_how_to_fix_it(
    world: World, tmp_path: Path, text: str, line: int, message: str, hint: str
) -> None:
    (tmp_path / "city.token").write_text(TOKEN, encoding="utf-8")
    (tmp_path / "empty.token").write_text("\n", encoding="utf-8")
    (tmp_path / "spaced.token").write_text(f"{TOKEN}\n{NEW_TOKEN}\n", encoding="utf-8")
    _write_tls_files(tmp_path, world.pki, world.other)
    file = tmp_path / "credentials.yaml"
    file.write_text(text.format(TOKEN=TOKEN), encoding="utf-8")
    with pytest.raises(CredentialsError) as rejected:
        load_credentials(file, ["city", "police_api"], env={})
    error = str(rejected.value)
    said = [p for p in error.splitlines() if p.startswith(f"{file}:{line}: {message.format(dir=tmp_path)}")]
    assert len(said) == 1, error
    assert hint in said[0].partition(" (hint: ")[2]
    assert TOKEN not in error and NEW_TOKEN not in error
    for pem in tmp_path.glob("*.key"):  # no line of key material either
        assert not [line for line in pem.read_text().splitlines()[1:-1] if line in error]


def test_an_unreadable_credentials_file(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError, match=r"credentials\.yaml: cannot read the source credentials: No such file"):
        load_credentials(tmp_path / "credentials.yaml")


def test_a_file_of_comments_only_gives_no_credentials(tmp_path: Path) -> None:
    (tmp_path / "credentials.yaml").write_text("# none yet\n", encoding="utf-8")
    assert load_credentials(tmp_path / "credentials.yaml") == {}


def test_a_token_from_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "credentials.yaml"
    file.write_text("city:\n  bearer_token: ${CITY_TOKEN}\n", encoding="utf-8")
    credential = load_credentials(file, env={"CITY_TOKEN": TOKEN})["city"]
    assert credential.bearer_token is not None and credential.bearer_token.read() == TOKEN
    assert TOKEN not in repr(credential)


def _catalog(*sources: Source) -> Catalog:
    return Catalog(1, Platform("test platform", "bigdata", {}), {}, {s.name: s for s in sources}, {})


async def test_the_settings_name_the_file_the_runtime_reads(
    bearer_api: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "city.token").write_text(TOKEN, encoding="utf-8")
    credentials = tmp_path / "credentials.yaml"
    credentials.write_text("city:  # the catalog's source\n  bearer_token_file: secrets/city.token\n", encoding="utf-8")
    settings_file = tmp_path / "govshare.env"
    settings_file.write_text(f"GOVSHARE_SOURCE_CREDENTIALS={credentials}\n", encoding="utf-8")
    settings = load_settings({"GOVSHARE_SETTINGS": str(settings_file)})
    assert settings.source_credentials == str(credentials)
    catalog = _catalog(http_source(bearer_api[0]), Source("police_db", "police", "sql", "sqlite:///police.db"))
    async with opened_sources(catalog, settings) as connectors:
        assert await first_rows(connectors["city"]) == FIRST

    credentials.write_text(
        "city:\n  bearer_token_file: secrets/city.token\ntax_api:\n  bearer_token: t3\n", encoding="utf-8"
    )
    with pytest.raises(CredentialsError, match=rf"{credentials}:3: 'tax_api' is not a source of the catalog"):
        async with opened_sources(catalog, settings):
            pass
    credentials.write_text("police_db:\n  bearer_token: t4\n", encoding="utf-8")
    with pytest.raises(ValueError, match="source 'police_db': credentials are for http and graphql sources"):
        async with opened_sources(catalog, Settings(source_credentials=str(credentials))):
            pass
