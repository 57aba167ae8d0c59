"""Who is acting, and from where: passed to every service function that writes."""

from dataclasses import dataclass
from ipaddress import ip_address

from django.conf import settings


@dataclass(frozen=True)
class Actor:
    user: object  # accounts.User
    ip: str | None = None
    on_behalf_of: str = ""

    @classmethod
    def from_request(cls, request):
        return cls(user=request.user, ip=client_ip(request))


def client_ip(request):
    """The client's address. Behind a reverse proxy that sets X-Forwarded-For, trust only the
    address the proxy appended (TRUSTED_PROXY_COUNT hops)."""
    address = request.META.get("REMOTE_ADDR")
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ip_address(address)) if address else None
    except ValueError:
        return None
