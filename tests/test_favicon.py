"""``/favicon.ico``: served (browsers ask for it on pages that link no icon, such as the
Django admin's), and linked by the site's own pages together with the SVG icon."""

from django.templatetags.static import static
from django.urls import reverse

from accounts.tests.factories import UserFactory


def test_favicon_ico_is_served_to_anyone(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age=86400" in response["Cache-Control"]


def test_only_get_is_answered(client):
    assert client.post("/favicon.ico").status_code == 405


def test_pages_link_both_icons(client, db):
    client.force_login(UserFactory())

    html = client.get(reverse("home")).content.decode()

    assert f'<link rel="icon" href="{static("favicon.ico")}"' in html
    assert f'<link rel="icon" href="{static("favicon.svg")}"' in html
