"""Synerise regions and base-URL resolution.

Hosts from the ``servers`` list of Synerise's published documents (for example
https://hub.synerise.com/api-reference/profile-management.yaml) and the API overview.
"""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

from ._errors import ConfigurationError

__all__ = ["Region", "is_loopback_url", "resolve_base_url"]

ENV_REGION = "SYNERISE_REGION"
ENV_BASE_URL = "SYNERISE_BASE_URL"


class Region(enum.Enum):
    """A Synerise data centre, with the base URL of its API."""

    AZURE_EU = "https://api.synerise.com"
    AZURE_US = "https://api.azu.synerise.com"
    GCP = "https://api.geb.synerise.com"

    @property
    def base_url(self) -> str:
        """The API base URL of this region (no trailing slash)."""
        return self.value

    @classmethod
    def from_name(cls, name: str | Region) -> Region:
        """Look a region up by enum name or friendly name (``eu``, ``us``, ``gcp``, ...).

        Case and ``-``/``_``/space are ignored. An unknown name raises
        :class:`ConfigurationError` listing the accepted names.
        """
        if isinstance(name, Region):
            return name
        key = name.strip().lower().replace("-", "_").replace(" ", "_")
        region = _ALIASES.get(key)
        if region is None:
            accepted = ", ".join(sorted(_ALIASES))
            raise ConfigurationError(f"unknown Synerise region {name!r}; accepted: {accepted}")
        return region


_ALIASES: dict[str, Region] = {
    "azure_eu": Region.AZURE_EU,
    "eu": Region.AZURE_EU,
    "azure": Region.AZURE_EU,
    "azure_us": Region.AZURE_US,
    "azure_usa": Region.AZURE_US,
    "us": Region.AZURE_US,
    "usa": Region.AZURE_US,
    "azu": Region.AZURE_US,
    "gcp": Region.GCP,
    "google": Region.GCP,
    "geb": Region.GCP,
}


def is_loopback_url(url: str) -> bool:
    """Whether the URL's host is localhost or a loopback address."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_base_url(
    region: Region | str | None,
    base_url: str | None,
    *,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
) -> str:
    """Choose the base URL: explicit ``base_url``, then ``region``, then the environment.

    ``SYNERISE_BASE_URL`` and ``SYNERISE_REGION`` are read only when the caller gave
    neither argument; the default is Azure EU. Plain ``http://`` is refused except for
    loopback hosts or when ``allow_insecure_http`` is set, because credentials travel in
    every request.
    """
    env = os.environ if environ is None else environ
    if base_url is None and region is None:
        base_url = env.get(ENV_BASE_URL) or None
        if base_url is None:
            region = env.get(ENV_REGION) or Region.AZURE_EU
    if base_url is None:
        assert region is not None
        return Region.from_name(region).base_url
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not carry a query string or fragment")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback_url(base_url):
        raise ConfigurationError(
            "refusing to send credentials over plain http:// to a non-loopback host; "
            "use https:// or pass allow_insecure_http=True"
        )
    return base_url.rstrip("/")
