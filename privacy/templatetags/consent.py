"""``{% ifconsent "analytics" %} ... {% endifconsent %}``: markup only with consent.

What is left out is never sent, so there is no inert script tag a browser extension or
a bug could re-activate (M9).
"""

from django import template

from privacy.services import consent as consent_service
from privacy.services import restriction

register = template.Library()


class IfConsentNode(template.Node):
    def __init__(self, purpose, nodelist, nodelist_else):
        self.purpose = purpose
        self.nodelist = nodelist
        self.nodelist_else = nodelist_else

    def render(self, context):
        request = context.get("request")
        purpose = self.purpose.resolve(context)
        consent = getattr(request, "consent", None)
        if consent is not None and consent.allows(purpose) and not _restricted(request, purpose):
            return self.nodelist.render(context)
        return self.nodelist_else.render(context)


def _restricted(request, purpose) -> bool:
    # A member who restricted processing gets no optional markup, whatever they agreed to
    # (privacy.services.restriction); asked only after consent said yes.
    return purpose != consent_service.ESSENTIAL and restriction.is_restricted(
        getattr(request, "user", None)
    )


@register.simple_tag(takes_context=True)
def processing_restricted(context) -> bool:
    """``{% processing_restricted as restricted %}``: whether the member restricted processing."""
    request = context.get("request")
    return restriction.is_restricted(getattr(request, "user", None))


@register.tag
def ifconsent(parser, token):
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("'ifconsent' takes one argument: the purpose key.")
    purpose = parser.compile_filter(bits[1])
    nodelist = parser.parse(("else", "endifconsent"))
    token = parser.next_token()
    if token.contents == "else":
        nodelist_else = parser.parse(("endifconsent",))
        parser.delete_first_token()
    else:
        nodelist_else = template.NodeList()
    return IfConsentNode(purpose, nodelist, nodelist_else)
