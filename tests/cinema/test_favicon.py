"""The site's icon: every page links it, and /favicon.ico (asked for by habit) finds it."""

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_every_page_links_the_svg_icon(client):
    body = client.get("/programme/").content.decode()

    assert f'<link rel="icon" href="{static("marquee/favicon.svg")}" type="image/svg+xml">' in body


def test_favicon_ico_leads_to_the_icon_instead_of_a_404(client):
    response = client.get("/favicon.ico", follow=True)

    assert response.redirect_chain == [(static("marquee/favicon.svg"), 302)]
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    icon = b"".join(response.streaming_content)
    assert icon.startswith(b"<svg") and b"#8a1c2b" in icon


def test_the_icon_is_allowed_by_the_content_security_policy(client):
    policy = client.get("/").headers["Content-Security-Policy"]

    # The icon is one of our own static files: img-src 'self' lets the browser load it.
    assert "img-src 'self'" in policy
