"""Who is calling (R11): department, user and roles, and the one place roles are read.

Tokens (govshare.auth) and the command line make a :class:`Caller`; every
check of what a caller's roles allow goes through :meth:`Caller.has` or
:func:`require_role`, so the roles and their meaning are written down once.
A token that names no acceptable caller is refused with a :class:`TokenError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from govshare.errors import FORBIDDEN, GovshareError

ROLES = ("member", "dept_admin", "authority", "auditor")
_WHO = {
    "member": "a member of the department",
    "dept_admin": "an administrator of the department",
    "authority": "the platform authority",
    "auditor": "an auditor",
}
# Any member of a department acts for it when asking; auditors and the authority role only read
# or decide, so a token with those roles alone does not apply or report for its department.
APPLICANT_ROLES = ("member", "dept_admin")
OVERSEER_ROLES = ("authority", "auditor")


class TokenError(Exception):
    """Why a token was refused; the message is safe to show the caller."""


class ProviderUnavailable(TokenError):
    """The token cannot be checked now: the identity provider's keys could not be fetched.
    Not the token's fault, so the answer says to retry rather than to get a new token."""


@dataclass(frozen=True, slots=True)
class Caller:
    department: str
    user: str
    roles: tuple[str, ...]

    def has(self, *roles: str) -> bool:
        """Whether the caller holds any of ``roles``."""
        return any(role in self.roles for role in roles)

    @property
    def actor(self) -> str:
        """How records name who acted: ``department/user``."""
        return f"{self.department}/{self.user}"

    @property
    def oversees(self) -> bool:
        """The authority and auditors see every workflow record."""
        return self.has(*OVERSEER_ROLES)


def require_role(caller: Caller, what: str, *roles: str) -> None:
    """FORBIDDEN unless the caller holds one of ``roles``; the message says which are needed."""
    if not caller.has(*roles):
        who, needed = " or ".join(_WHO[role] for role in roles), " or ".join(f"'{role}'" for role in roles)
        has = ", ".join(caller.roles) or "no role"
        raise GovshareError(FORBIDDEN, f"{what} is for {who} (role {needed}); the token has {has}")
