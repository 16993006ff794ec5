"""Coarse descriptions of a signed-in session: never the full address or User-Agent."""

from django import template

from privacy.services.network import truncate_ip, user_agent_family

register = template.Library()


@register.filter
def browser_family(user_agent: str) -> str:
    return user_agent_family(user_agent or "") or "Other"


@register.filter
def network(ip: str) -> str:
    return truncate_ip(ip or "")
