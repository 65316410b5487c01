"""Share methods (共享方式, art. 14): the channels a provider offers a resource through.

``interface`` opens lookups by key and verification, ``query`` connections, filters and
aggregates, ``download`` bulk export. A relation reaches the target's rows by a key from
another record, so either online method opens it. A channel the catalog entry does not
offer is refused before anything is decided or fetched, whatever the caller's grants.
"""

from __future__ import annotations

from govshare.catalog.model import Catalog, Resource
from govshare.errors import FORBIDDEN, GovshareError

INTERFACE, QUERY, DOWNLOAD = "interface", "query", "download"
# What each method opens, as a refusal names it.
OPENS = {
    INTERFACE: "lookups by key and verification",
    QUERY: "connections, filters and aggregates",
    DOWNLOAD: "bulk export",
}


def require_method(catalog: Catalog, resource: Resource, use: str, *methods: str) -> None:
    """Refuse ``use`` of ``resource`` unless its catalog entry offers one of ``methods``."""
    if any(m in resource.share_methods for m in methods):
        return
    wanted = " or ".join(f"'{m}' ({OPENS[m]})" for m in methods)
    offered = ", ".join(f"'{m}' ({OPENS[m]})" for m in resource.share_methods)
    raise GovshareError(
        FORBIDDEN,
        f"{resource.name} ({resource.title}) is not shared for {use}: that needs the share method {wanted}, "
        f"and its provider {resource.provider} offers only {offered}. To have it offered, ask {resource.provider} "
        f"to add it to share_methods of {resource.name} (code {resource.code}) in the resource catalog, or ask "
        f"the platform authority ({catalog.platform.authority}) to coordinate",
        resource=resource.name,
        method=methods[0],
        offered=list(resource.share_methods),
    )
