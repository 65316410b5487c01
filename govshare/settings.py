"""Platform settings, from the environment or an optional settings file.

The file (``GOVSHARE_SETTINGS``, else ``./govshare.env`` when present) holds
``NAME=value`` lines with the same names as the environment; the environment
wins. Every setting has a default, so nothing is needed to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path(".govshare")
    store_url: str = ""  # "" → SQLite under data_dir
    secret: str = ""  # "" → generated into data_dir on first use
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_body_bytes: int = 64 * 1024
    max_variable_depth: int = 32  # nesting of the request's variables (objects and lists)
    max_variable_values: int = 10_000  # values in the request's variables, counted at every level
    max_introspection_depth: int = 15  # the standard introspection query nests 15 levels
    max_introspection_tokens: int = 5000
    page_cap: int = 1000
    # Rows a source may return for the gateway to evaluate what it declines (connectors.completion).
    max_evaluated_rows: int = 10_000
    export_batch: int = 5000  # rows per statement of a bulk export
    export_copy_batch: int = 100_000  # rows per COPY of an export whose source writes the CSV itself
    export_keep_hours: float = 24.0  # how long the file of an export job is kept once it is done
    request_timeout: float = 30.0
    statement_timeout: float = 10.0
    # The file of the sources' tokens, keys and certificates (docs/connectors.md); "" → none.
    source_credentials: str = ""
    policy_poll: float = 0.5  # seconds between checks for a policy version made elsewhere
    catalog_poll: float = 1.0  # seconds between checks for a catalog version published elsewhere
    # How long a replaced catalog version may keep serving the requests (exports) that started on it.
    catalog_grace: float = 3600.0
    stats_interval: float = 30.0  # seconds between counts of new audit records into the statistics
    catalog_stale_days: int = 365  # a catalog entry unchanged for longer is signalled to the authority (R9)
    chromium: str = ""  # the browser that prints the yearly report to PDF ("" → chromium or chrome on PATH)
    audit_checkpoint_every: int = 1000  # records between signed checkpoints
    audit_retention_days: int = 365  # R10: at least one year
    # Verification is metered (docs/policy.md): checks per verify grant per day, and per operation.
    verify_checks_per_day: int = 1000
    verify_checks_per_operation: int = 5
    # An OpenID Connect provider whose tokens are accepted beside the platform's own (docs/identity.md).
    oidc_issuer: str = ""  # "" → the platform's own tokens only
    oidc_audience: str = ""  # what the provider's tokens must name in "aud"
    oidc_jwks_uri: str = ""  # "" → discovered from {issuer}/.well-known/openid-configuration
    oidc_algorithms: str = "RS256,ES256"  # comma-separated, among OIDC_ALGORITHMS
    oidc_leeway: float = 30.0  # seconds of clock difference allowed on exp and nbf
    # The claims that name the caller; a dotted name reads a nested claim (realm_access.roles).
    oidc_department_claim: str = "dept"
    oidc_user_claim: str = "sub"
    oidc_roles_claim: str = "roles"
    oidc_keys_ttl: float = 300.0  # seconds the fetched keys are used before they are fetched again
    oidc_refresh_interval: float = 30.0  # at least this long between two fetches, whatever tokens arrive
    oidc_timeout: float = 5.0  # seconds each request to the provider may take (discovery, then JWKS)
    # The console's sign-in through the provider (authorization code with PKCE); "" → tokens are pasted.
    oidc_client_id: str = ""
    oidc_client_secret: str = ""  # "" → a public client (PKCE alone); else sent with HTTP Basic
    oidc_redirect_uri: str = ""  # "" → this server's /console/sign-in/callback as the browser reached it

    @property
    def oidc_algorithm_list(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.oidc_algorithms.split(",") if name.strip())

    @property
    def default_store_file(self) -> Path:
        """The SQLite platform database used when ``store_url`` is empty."""
        return self.data_dir / "platform.db"

    @property
    def effective_store_url(self) -> str:
        return self.store_url or f"sqlite+aiosqlite:///{self.default_store_file}"


# Settings that count something: zero or less would refuse everything or nothing.
_AT_LEAST_ONE = [f.name for f in fields(Settings) if f.name.startswith(("max_", "verify_checks_"))]
_AT_LEAST_ONE += ["page_cap", "audit_checkpoint_every", "export_batch", "export_copy_batch"]
_ENV_NAMES = {f.name: "GOVSHARE_" + f.name.upper() for f in fields(Settings)}
# Asymmetric only: a provider's tokens are checked with its published public keys, never a shared
# secret (an HS256 token "signed" with a public key is a known forgery).
OIDC_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


def check_oidc(settings: Settings) -> None:
    """SettingsError unless the identity provider's settings, when there is one, can be used."""
    if not settings.oidc_issuer:
        return
    if settings.oidc_issuer == "govshare":  # auth.ISSUER: the platform's own tokens
        raise SettingsError("GOVSHARE_OIDC_ISSUER cannot be 'govshare', the issuer of the platform's own tokens")
    if not settings.oidc_issuer.startswith(("https://", "http://")):
        raise SettingsError(f"GOVSHARE_OIDC_ISSUER={settings.oidc_issuer!r} is not an https:// URL")
    if not settings.oidc_audience:
        raise SettingsError("GOVSHARE_OIDC_AUDIENCE must be set with GOVSHARE_OIDC_ISSUER: "
                            "without it, a token the provider issued for any other application would do")  # fmt: skip
    wrong = [name for name in settings.oidc_algorithm_list if name not in OIDC_ALGORITHMS]
    if wrong or not settings.oidc_algorithm_list:
        raise SettingsError(f"GOVSHARE_OIDC_ALGORITHMS={settings.oidc_algorithms!r}: choose among "
                            f"{', '.join(OIDC_ALGORITHMS)} (the provider's keys are public keys)")  # fmt: skip
    for name in ("oidc_department_claim", "oidc_user_claim", "oidc_roles_claim"):
        if not getattr(settings, name):
            raise SettingsError(f"{_ENV_NAMES[name]} names no claim")
    if settings.oidc_leeway < 0 or settings.oidc_refresh_interval < 0:
        raise SettingsError("GOVSHARE_OIDC_LEEWAY and GOVSHARE_OIDC_REFRESH_INTERVAL cannot be negative")
    if settings.oidc_keys_ttl <= 0 or settings.oidc_timeout <= 0:
        raise SettingsError("GOVSHARE_OIDC_KEYS_TTL and GOVSHARE_OIDC_TIMEOUT must be more than 0")


def _read_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep:
            raise SettingsError(f"{path}:{number}: expected NAME=value, got {line!r}")
        values[name.strip()] = value.strip().strip('"')
    return values


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment that makes :func:`load_settings` give ``settings`` again (in another process)."""
    values = {_ENV_NAMES[f.name]: str(getattr(settings, f.name)) for f in fields(Settings)}
    return {name: value for name, value in values.items() if value != ""}


def load_settings(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    env = os.environ if env is None else env
    file_name = env.get("GOVSHARE_SETTINGS")
    path = Path(file_name) if file_name else Path("govshare.env")
    if file_name and not path.is_file():
        raise SettingsError(f"GOVSHARE_SETTINGS names {path}, which does not exist")
    merged = {**(_read_file(path) if path.is_file() else {}), **env}
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = merged.get(_ENV_NAMES[f.name])
        if raw is None or raw == "":
            continue
        kind: Any = type(f.default)
        try:
            values[f.name] = kind(raw)
        except ValueError as exc:
            raise SettingsError(f"{_ENV_NAMES[f.name]}={raw!r} is not a valid {kind.__name__}") from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)  # type: ignore[arg-type]
    for name in _AT_LEAST_ONE:
        if getattr(settings, name) < 1:
            raise SettingsError(f"{_ENV_NAMES[name]} must be at least 1")
    if settings.audit_retention_days < 365:
        raise SettingsError(
            f"GOVSHARE_AUDIT_RETENTION_DAYS={settings.audit_retention_days} is refused: "
            "audit records are kept at least 365 days (R10)"
        )
    check_oidc(settings)
    return settings
