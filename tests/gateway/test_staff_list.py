"""The staff list (/gestion/) in pages: the total, "page x of y", previous and
next links, column headers that sort, filters and sort kept from page to page.
The applications service is faked (it pages as the real one: tests of
list_applications in tests/services/applications)."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.gateway import as_staff, fake, page_text

TOTAL = 120


class Applications:
    """list_applications over TOTAL applications, as the service answers it."""

    def __init__(self):
        self.asked = []

    def list_applications(self, actor, filters, page=1, per_page=50, sort=None):
        self.asked.append({"filters": filters, "page": page, "per_page": per_page, "sort": sort})
        page = max(1, min(page, -(-TOTAL // per_page)))
        first = (page - 1) * per_page
        items = [{"id": n, "status": "RE", "cancelled": False, "archived": False,
                  "transmitted_at": "2027-03-10T09:00:00+00:00",
                  "formation": {"code": "MINFO1", "label": "Master Info"},
                  "centre": {"code": "SCI"},
                  "candidate": {"id": n, "dossier_number": f"27AB{n:04d}", "first_name": "Léa",
                                "last_name": f"Martin{n}", "email": f"c{n}@example.org"},
                  "decision": None, "pending_decision": None}
                 for n in range(first + 1, min(TOTAL, first + per_page) + 1)]
        return {"items": items, "total": TOTAL, "page": page, "per_page": per_page}


@pytest.fixture
def staff(app):
    remote = fake(app, catalog={"list_centres": [{"code": "SCI", "label": "UFR Sciences"}]})
    remote.services["applications"] = Applications()
    client = app.test_client()
    as_staff(client, "manager", ["SCI"])
    return client, remote.services["applications"]


def links(page, rel=None, css=None):
    """The addresses of the page's links (of one rel or class), as query dicts."""
    attribute = f'rel="{rel}"' if rel else f'class="{css}"'
    found = re.findall(r'<a href="([^"]+)"[^>]*' + attribute, page) + \
        re.findall(r'<a ' + attribute + r'[^>]*href="([^"]+)"', page)
    return [{k: v[0] for k, v in parse_qs(urlsplit(href).query).items()} for href in found]


def get(client, path):
    answer = client.get(path)
    assert answer.status_code == 200
    return page_text(answer)


def test_the_list_shows_its_first_page_the_total_and_a_link_to_the_next(staff):
    client, service = staff
    page = get(client, "/gestion/?centre=SCI&status=RE&q=mar")
    assert service.asked == [{"filters": {"centre": "SCI", "status": "RE", "q": "mar"},
                              "page": 1, "per_page": 50, "sort": None}]
    assert "120 candidature(s)" in page and "Page 1 sur 3" in page
    assert page.count("<tr>") == 51 and "Martin50" in page and "Martin51" not in page
    assert links(page, rel="prev") == []
    # above and below the list
    assert links(page, rel="next") == [{"centre": "SCI", "status": "RE", "q": "mar",
                                        "page": "2"}] * 2


def test_next_and_previous_pages_keep_the_filters_and_the_sort(staff):
    client, service = staff
    page = get(client, "/gestion/?status=RE&sort=candidate&page=2")
    assert service.asked[-1] == {"filters": {"status": "RE"}, "page": 2, "per_page": 50,
                                 "sort": "candidate"}
    assert "Page 2 sur 3" in page and "Martin51" in page and "Martin50" not in page
    # the links at the top and at the bottom of the list
    assert links(page, rel="prev") == [{"status": "RE", "sort": "candidate"}] * 2
    following, _ = links(page, rel="next")
    assert following == {"status": "RE", "sort": "candidate", "page": "3"}
    last = get(client, "/gestion/?" + "&".join(f"{k}={v}" for k, v in following.items()))
    assert "Page 3 sur 3" in last and "Martin120" in last and links(last, rel="next") == []
    assert links(last, rel="prev")[0] == {"status": "RE", "sort": "candidate", "page": "2"}
    # the filter form keeps the sort; a new filter starts again at page 1
    assert '<input type="hidden" name="sort" value="candidate">' in last
    assert 'name="page"' not in last


def test_a_column_header_sorts_by_it_then_the_other_way(staff):
    client, service = staff
    page = get(client, "/gestion/?centre=SCI")
    headers = links(page, css="sort")
    assert [h.get("sort") for h in headers] == ["number", "candidate", "formation", "status",
                                                "transmitted", "decision"]
    assert all(h["centre"] == "SCI" and "page" not in h for h in headers)
    # sorted by the latest transmission by default: "Transmise le" offers the oldest first
    assert "▼" in page.split('id="applications"')[1].split("Transmise le")[1].split("</th>")[0]
    page = get(client, "/gestion/?centre=SCI&sort=candidate&page=3")
    assert service.asked[-1]["sort"] == "candidate"
    assert links(page, css="sort")[1] == {"centre": "SCI", "sort": "-candidate"}
    page = get(client, "/gestion/?centre=SCI&sort=-candidate")
    assert service.asked[-1]["sort"] == "-candidate"
    assert links(page, css="sort")[1] == {"centre": "SCI", "sort": "candidate"}


@pytest.mark.parametrize("query", ["page=abc&sort=password", "page=-4&sort=--candidate",
                                   "page=0&sort="])
def test_a_page_or_sort_the_list_does_not_have_shows_the_first_page(staff, query):
    client, service = staff
    page = get(client, "/gestion/?" + query)
    assert service.asked[-1]["page"] == 1 and service.asked[-1]["sort"] is None
    assert "Page 1 sur 3" in page


def test_a_page_past_the_last_shows_the_last(staff):
    client, _ = staff
    page = get(client, "/gestion/?page=99")
    assert "Page 3 sur 3" in page and links(page, rel="next") == []
    assert links(page, rel="prev")[0] == {"page": "2"}


def test_the_list_in_english(staff):
    client, _ = staff
    answer = client.get("/gestion/?page=2", headers={"Accept-Language": "en"})
    page = page_text(answer)
    assert "Page 2 of 3" in page and "Next page" in page and "Previous page" in page
