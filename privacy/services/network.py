"""Coarse network and browser facts: enough to prove a consent, too little to identify."""

import ipaddress
import re

# Order matters: Edge and Opera also announce Chrome, Chrome also announces Safari.
_FAMILIES = [
    ("Edge", re.compile(r"Edg(e|A|iOS)?/")),
    ("Opera", re.compile(r"OPR/|Opera")),
    ("Yandex", re.compile(r"YaBrowser/")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/")),
    ("Firefox", re.compile(r"Firefox/|FxiOS/")),
    ("Chrome", re.compile(r"Chrome/|CriOS/|Chromium/")),
    ("Safari", re.compile(r"Safari/")),
]


def truncate_ip(address: str) -> str:
    """Return the network of ``address``: IPv4 to /24, IPv6 to /48 ("" if not an IP)."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def user_agent_family(user_agent: str) -> str:
    """Return the browser family named by a User-Agent header, or "Other"."""
    if not user_agent:
        return ""
    for family, pattern in _FAMILIES:
        if pattern.search(user_agent):
            return family
    return "Other"
