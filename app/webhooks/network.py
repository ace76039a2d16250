"""Where webhooks may go, and the one HTTP request that takes them there.

Server-side request forgery is the risk: an owner could point an endpoint at the platform's own network
(a database, the cloud's metadata service at 169.254.169.254, an admin page on localhost). So:
- registering an endpoint accepts only an https URL (http too with WEBHOOK_ALLOW_HTTP), with a host, no
  user name or password, and no literal address of a refused kind;
- each delivery resolves the host, refuses it when any of its addresses is loopback, private, link-local,
  multicast, reserved, unspecified or otherwise not global (unless WEBHOOK_ALLOW_PRIVATE_NETWORKS), and then
  connects to the address it checked: the URL's host is replaced by that address, the Host header and the TLS
  server name (SNI, and so the certificate check) keep the original name. A name that resolves to a public
  address when checked and to 127.0.0.1 a moment later (DNS rebinding) never gets a second look-up.
Redirects are not followed (a 3xx is a failed attempt), proxies from the environment are ignored (they would
make the connection elsewhere), and the response body is never read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.platform.i18n import gettext as _

URL_MAX = 2000
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
USER_AGENT = "Tremplin-Webhooks"

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The endpoint's address may not be reached; the message is recorded as the delivery's error."""


class Unresolved(Exception):
    """The endpoint's name did not resolve (now): a failed attempt like any other."""


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str | None
    # Not worth trying again: the address is refused (a name that did not resolve is tried again).
    final: bool = False

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def url_problem(url: str, *, allow_http: bool, allow_private: bool) -> str | None:
    """Why this URL cannot be an endpoint, or None."""
    if not url:
        return _("Enter the address of your endpoint.")
    if len(url) > URL_MAX:
        return _("The address is too long (at most %(max)s characters).", max=URL_MAX)
    if any(ord(character) < 33 for character in url):
        return _("The address must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return _("This is not a valid web address.")
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        return (
            _("The address must start with https://.")
            if not allow_http
            else _("The address must start with https:// or http://.")
        )
    if not parts.hostname:
        return _("The address has no host name.")
    if parts.username is not None or parts.password is not None:
        return _("The address must not contain a user name or password.")
    if parts.fragment:
        return _("The address must not contain a fragment (#…).")
    literal = _literal_address(parts.hostname)
    if literal is not None and not allow_private and refused_address(literal):
        return _("This address is on a private or reserved network: webhooks cannot be sent there.")
    return None


def _literal_address(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def refused_address(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


async def resolve(host: str, port: int, *, allow_private: bool) -> Address:
    """The address to connect to: the first one the host resolves to, once none of them is refused."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT):
            found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as exc:
        raise Unresolved(f"could not resolve {host}: {exc}") from exc
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found]
    if not addresses:
        raise Unresolved(f"{host} has no address")
    if not allow_private:
        refused = [str(address) for address in addresses if refused_address(address)]
        if refused:
            raise Refused(f"refused: {host} resolves to a private or reserved address ({', '.join(refused)})")
    return addresses[0]


async def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    allow_private: bool,
) -> Outcome:
    """POST `body` to `url` at a checked address; never raises for the network's or the receiver's failures."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = await resolve(host, port, allow_private=allow_private)
    except Refused as exc:
        return Outcome(None, str(exc), final=True)
    except Unresolved as exc:
        return Outcome(None, str(exc))
    literal = f"[{address}]" if address.version == 6 else str(address)
    pinned = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:
        host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    timeout = httpx.Timeout(TOTAL_TIMEOUT, connect=CONNECT_TIMEOUT)
    try:
        async with (
            asyncio.timeout(TOTAL_TIMEOUT),
            httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
        ):
            request = client.build_request(
                "POST",
                pinned,
                content=body,
                headers={
                    **headers,
                    "host": host_header,
                    "content-type": "application/json",
                    "user-agent": USER_AGENT,
                },
                extensions={"sni_hostname": host},
            )
            response = await client.send(request, stream=True)
            await response.aclose()
    except TimeoutError:
        return Outcome(None, f"no answer within {TOTAL_TIMEOUT:g} s")
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__)
    if 200 <= response.status_code < 300:
        return Outcome(response.status_code, None)
    return Outcome(response.status_code, f"the endpoint answered {response.status_code}")
