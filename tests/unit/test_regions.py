"""Region names and base-URL resolution."""

from __future__ import annotations

import pytest

from synerise_async import ConfigurationError, Region
from synerise_async._regions import resolve_base_url


def test_regions_have_the_documented_hosts() -> None:
    """Each region maps to the host in Synerise's published servers list."""
    assert Region.AZURE_EU.base_url == "https://api.synerise.com"
    assert Region.AZURE_US.base_url == "https://api.azu.synerise.com"
    assert Region.GCP.base_url == "https://api.geb.synerise.com"


@pytest.mark.parametrize(
    ("name", "region"),
    [
        ("eu", Region.AZURE_EU),
        ("AZURE_EU", Region.AZURE_EU),
        ("azure-us", Region.AZURE_US),
        ("US", Region.AZURE_US),
        ("gcp", Region.GCP),
        (" Gcp ", Region.GCP),
        (Region.GCP, Region.GCP),
    ],
)
def test_from_name_accepts_friendly_and_enum_names(name: str | Region, region: Region) -> None:
    """Friendly names and enum names resolve, ignoring case, dashes and spaces."""
    assert Region.from_name(name) is region


def test_unknown_region_lists_the_valid_names() -> None:
    """An unknown name is a ConfigurationError that names the accepted values."""
    with pytest.raises(ConfigurationError) as info:
        Region.from_name("mars")
    assert "mars" in str(info.value)
    assert "gcp" in str(info.value) and "eu" in str(info.value)


def test_base_url_overrides_region_and_loses_trailing_slash() -> None:
    """An explicit base_url wins over region and is normalised."""
    assert (
        resolve_base_url(Region.GCP, "http://127.0.0.1:8080/", environ={})
        == "http://127.0.0.1:8080"
    )


def test_environment_is_read_only_when_caller_gives_nothing() -> None:
    """SYNERISE_BASE_URL, then SYNERISE_REGION apply only without arguments."""
    env = {"SYNERISE_REGION": "us"}
    assert resolve_base_url(None, None, environ=env) == Region.AZURE_US.base_url
    assert resolve_base_url(Region.GCP, None, environ=env) == Region.GCP.base_url
    env2 = {"SYNERISE_BASE_URL": "http://localhost:9000", "SYNERISE_REGION": "us"}
    assert resolve_base_url(None, None, environ=env2) == "http://localhost:9000"
    assert resolve_base_url(None, None, environ={}) == Region.AZURE_EU.base_url


def test_plain_http_to_a_remote_host_is_refused() -> None:
    """Credentials never go over http:// to a non-loopback host unless explicitly allowed."""
    with pytest.raises(ConfigurationError, match="http://"):
        resolve_base_url(None, "http://api.example.com", environ={})
    assert resolve_base_url(None, "http://api.example.com", allow_insecure_http=True, environ={})
    assert resolve_base_url(None, "http://[::1]:81", environ={}) == "http://[::1]:81"


@pytest.mark.parametrize("url", ["ftp://x", "api.synerise.com", "https://h/?q=1"])
def test_malformed_base_urls_are_rejected(url: str) -> None:
    """Non-http(s), relative, or query-carrying base URLs are configuration errors."""
    with pytest.raises(ConfigurationError):
        resolve_base_url(None, url, environ={})
