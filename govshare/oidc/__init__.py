"""Bearer tokens of an OpenID Connect provider, accepted beside the platform's own (docs/identity.md).

``keys``: the provider's published keys, fetched and kept; ``provider``: one token checked against
them and its claims mapped to a department, a user and govshare roles; ``claims``: reading claims.
"""

from govshare.oidc.provider import Provider, ProviderClaims

__all__ = ["Provider", "ProviderClaims"]
