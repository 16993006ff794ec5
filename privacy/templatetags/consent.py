"""``{% ifconsent "analytics" %} ... {% endifconsent %}``: markup only with consent.

What is left out is never sent, so there is no inert script tag a browser extension or
a bug could re-activate (M9).
"""

from django import template

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
        if consent is not None and consent.allows(purpose):
            return self.nodelist.render(context)
        return self.nodelist_else.render(context)


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
