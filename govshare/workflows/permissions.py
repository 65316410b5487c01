"""Who may act on a workflow record, and who may see it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Table, or_

from govshare.catalog.model import Catalog
from govshare.errors import FORBIDDEN, GovshareError
from govshare.identity import APPLICANT_ROLES, Caller, require_role


def forbidden(message: str) -> GovshareError:
    return GovshareError(FORBIDDEN, message)


def require_applicant(caller: Caller, what: str) -> None:
    require_role(caller, what, *APPLICANT_ROLES)


def require_authority(caller: Caller, what: str) -> None:
    require_role(caller, what, "authority")


def require_provider_admin(catalog: Catalog, caller: Caller, resource: str, what: str) -> None:
    """Only an administrator (``dept_admin``) of the department providing ``resource`` answers."""
    provider = provider_of(catalog, resource)
    if caller.department != provider or not caller.has("dept_admin"):
        raise forbidden(f"{what} is for an administrator (dept_admin) of {provider}, which provides {resource}; "
                        f"the caller is {caller.department} with roles {', '.join(caller.roles)}")  # fmt: skip


def provider_of(catalog: Catalog, resource: str) -> str | None:
    found = catalog.resources.get(resource)
    return found.provider if found is not None else None


def provided_by(catalog: Catalog, department: str) -> list[str]:
    return [name for name, r in catalog.resources.items() if r.provider == department]


def visible_where(table: Table, catalog: Catalog, caller: Caller) -> list[ColumnElement[bool]]:
    """Records the caller may see: its department's own, and those about resources it provides."""
    if caller.oversees:
        return []
    return [or_(table.c.department == caller.department, table.c.resource.in_(provided_by(catalog, caller.department)))]


def require_visible(catalog: Catalog, caller: Caller, what: str, department: str, resource: str) -> None:
    if not caller.oversees and caller.department not in (department, provider_of(catalog, resource)):
        raise forbidden(f"{what} concerns {department} and the provider of {resource} only")
