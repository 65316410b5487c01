"""The file of source credentials (setting ``source_credentials``; format in docs/connectors.md).

Every problem is reported at once as ``file:line: message (hint: fix)``; no message holds a
token, a key or the content of a certificate file.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from yaml.nodes import MappingNode, Node

from govshare.catalog.errors import CatalogError, Collector, Problem, did_you_mean, quoted_list
from govshare.catalog.reader import Context, pairs, text_of
from govshare.catalog.yamlnodes import compose, expand_env, line_of
from govshare.connectors.credentials import (
    DEFAULT_API_KEY_HEADER,
    HEADER_NAME,
    Credential,
    Secret,
    SecretUnreadable,
)
from govshare.settings import SettingsError

log = logging.getLogger(__name__)

KEYS = (
    "bearer_token_file",
    "bearer_token",
    "api_key_file",
    "api_key",
    "api_key_header",
    "client_cert",
    "client_key",
    "ca_file",
)
_SECRETS = {"bearer_token": "bearer token", "api_key": "API key"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_PATHS_HINT = "check the path (a relative one starts at the directory of the credentials file) and its permissions"


class CredentialsError(SettingsError):
    """The credentials file was rejected; ``problems`` lists every reason, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_credentials(
    path: str | Path, sources: Collection[str] | None = None, env: Mapping[str, str] | None = None
) -> dict[str, Credential]:
    """The credential of each source named in the file at ``path``; with ``sources`` (the catalog's),
    a name that is not among them is a problem. ``${VAR}`` references come from ``env``."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
        hint = "check GOVSHARE_SOURCE_CREDENTIALS, and that the file is UTF-8 text govshare's user may read"
        raise CredentialsError([Problem(name, 0, f"cannot read the source credentials: {reason}", hint)]) from None
    try:
        root = compose(text, name)
    except CatalogError as e:
        raise CredentialsError(e.problems) from None
    if root is None:
        return {}  # a file of comments only: no source has credentials
    ctx = Context(Collector(name))
    credentials: dict[str, Credential] = {}
    if not isinstance(root, MappingNode):
        ctx.out.add(
            line_of(root),
            "the source credentials must map source names to credentials",
            "write 'source_name:' and the credential's keys indented below it (docs/connectors.md)",
        )
    else:
        expand_env(root, os.environ if env is None else env, ctx.out)
        for source, node in pairs(ctx, root, (), "the source credentials"):
            if sources is not None and source not in sources:
                ctx.problem(
                    (source,),
                    f"'{source}' is not a source of the catalog",
                    did_you_mean(source, sorted(sources), "its sources are"),
                )
            # absolute(), not resolve(): a secret mount swaps its directory behind a symbolic link.
            credential = _credential(ctx, source, node, Path(path).absolute().parent)
            if credential is not None:
                credentials[source] = credential
    if ctx.out.problems:
        raise CredentialsError(ctx.out.problems)
    return credentials


def _credential(ctx: Context, source: str, node: Node, base: Path) -> Credential | None:
    where, what = (source,), f"the credential of source '{source}'"
    before = len(ctx.out.problems)
    if not isinstance(node, MappingNode) or not node.value:
        # The value itself is never shown: it could be a token written in the wrong place.
        ctx.problem(
            where,
            f"{what} must be a mapping of keys",
            f"write its keys indented below '{source}:', "
            "e.g. bearer_token_file: /run/secrets/token; allowed keys are " + quoted_list(KEYS),
        )
        return None
    texts: dict[str, str | None] = {}
    for key, value in pairs(ctx, node, where, what):
        if key in KEYS:
            texts[key] = text_of(ctx, (*where, key), f"'{key}' of source '{source}'", value)
        else:
            shown = f"'{key}'" if _NAME.fullmatch(key) else "(not shown: it is not a key name)"
            ctx.problem((*where, key), f"unknown key {shown} in {what}", did_you_mean(key, KEYS, "allowed keys are"))
    for secret in _SECRETS:
        if secret in texts and f"{secret}_file" in texts:
            ctx.problem(
                (*where, secret),
                f"{what} has both '{secret}' and '{secret}_file'",
                f"keep one; '{secret}_file' is better: the file can be rotated without a restart",
            )
    if _given(texts, "bearer_token") and _given(texts, "api_key"):
        ctx.problem(
            where, f"{what} has both a bearer token and an API key", "a source expects one of them: remove the other"
        )
    header = texts.get("api_key_header")
    if header is not None and not _given(texts, "api_key"):
        ctx.problem(
            (*where, "api_key_header"),
            f"{what} has 'api_key_header' but no API key",
            "add 'api_key_file: ...', or remove 'api_key_header'",
        )
    elif header is not None and not HEADER_NAME.fullmatch(header):
        ctx.problem(
            (*where, "api_key_header"),
            f"'api_key_header' of source '{source}' is not an HTTP header name",
            "write a name of letters, digits and dashes, e.g. X-Api-Key",
        )
    if "client_key" in texts and "client_cert" not in texts:
        ctx.problem(
            (*where, "client_key"),
            f"{what} has 'client_key' but no 'client_cert'",
            "add 'client_cert: ...' (the certificate, PEM), or remove 'client_key'",
        )
    if len(ctx.out.problems) > before or None in texts.values():
        return None
    secrets: dict[str, Secret] = {}
    files: dict[str, Path] = {}
    for key, text in texts.items():
        assert text is not None
        if key in ("client_cert", "client_key", "ca_file"):
            files[key] = _file(ctx, (*where, key), base / text)
        elif key != "api_key_header":
            secret = key.removesuffix("_file")
            secrets[secret] = _secret(ctx, (*where, key), _SECRETS[secret], text, base if key != secret else None)
    if len(ctx.out.problems) > before:
        return None
    credential = Credential(
        source,
        bearer_token=secrets.get("bearer_token"),
        api_key=secrets.get("api_key"),
        api_key_header=header or DEFAULT_API_KEY_HEADER,
        client_cert=files.get("client_cert"),
        client_key=files.get("client_key"),
        ca_file=files.get("ca_file"),
    )
    _check_tls(ctx, where, credential)
    return None if len(ctx.out.problems) > before else credential


def _given(texts: Mapping[str, str | None], secret: str) -> bool:
    return secret in texts or f"{secret}_file" in texts


def _secret(ctx: Context, where: tuple[str, ...], what: str, text: str, base: Path | None) -> Secret:
    """The secret written as ``text``, or in the file ``text`` names (relative to ``base``)."""
    found = Secret(what, value=text) if base is None else Secret(what, file=base / text)
    try:
        found.read()
    except SecretUnreadable as e:
        ctx.problem(where, e.detail, e.hint)
    return found


def _file(ctx: Context, where: tuple[str, ...], path: Path) -> Path:
    try:
        with path.open("rb"):
            pass
    except OSError as e:
        ctx.problem(where, f"cannot read '{where[-1]}' {path}: {e.strerror or type(e).__name__}", _PATHS_HINT)
    return path


def _check_tls(ctx: Context, where: tuple[str, ...], credential: Credential) -> None:
    """Problems of the certificate files, said plainly (OpenSSL would only say "PEM lib")."""
    source = credential.source
    if credential.ca_file is not None and not _certificates(credential.ca_file):
        ctx.problem(
            (*where, "ca_file"),
            f"'ca_file' of source '{source}' holds no PEM certificate",
            "give the authority's certificate in PEM form (-----BEGIN CERTIFICATE-----)",
        )
        return
    if credential.client_cert is not None:
        certificates = _certificates(credential.client_cert)
        key_at = (*where, "client_key" if credential.client_key is not None else "client_cert")
        key_data = (credential.client_key or credential.client_cert).read_bytes()
        if not certificates:
            ctx.problem(
                (*where, "client_cert"),
                f"'client_cert' of source '{source}' holds no PEM certificate",
                "give the certificate in PEM form (-----BEGIN CERTIFICATE-----)",
            )
            return
        try:
            key = serialization.load_pem_private_key(key_data, password=None)
        except TypeError:
            ctx.problem(
                key_at,
                f"the client key of source '{source}' is encrypted",
                "give it unencrypted (openssl pkey -in it -out plain.key), readable by govshare's user only",
            )
            return
        except ValueError:
            if credential.client_key is None:
                message = f"the client certificate file of source '{source}' holds no private key"
                hint = "add 'client_key: ...' naming the key's file, or append the key (PEM) to the certificate file"
            else:
                message = f"'client_key' of source '{source}' is not a PEM private key"
                hint = "give the key in PEM form (-----BEGIN PRIVATE KEY-----)"
            ctx.problem(key_at, message, hint)
            return
        spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        if key.public_key().public_bytes(*spki) != certificates[0].public_key().public_bytes(*spki):
            ctx.problem(
                key_at,
                f"the client key of source '{source}' does not belong to its client certificate",
                "give the key the certificate was issued for (the certificate comes first in its file)",
            )
            return
        if certificates[0].not_valid_after_utc < datetime.datetime.now(datetime.UTC):
            # Not an error: one department's expired certificate must not stop the platform starting.
            log.warning("source %s: the client certificate %s has expired", source, credential.client_cert)
    try:
        credential.ssl_context()
    except (OSError, ValueError) as e:
        ctx.problem(
            where,
            f"the TLS files of source '{source}' do not load ({type(e).__name__})",
            "check that client_cert, client_key and ca_file are PEM files of one certificate chain",
        )


def _certificates(path: Path) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except ValueError:
        return []
