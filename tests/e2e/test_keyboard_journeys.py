"""Keyboard-only journeys in real Chromium, and what a keyboard user sees of the focus.

The journeys use nothing but the keyboard: Tab and Shift+Tab to move, Enter and Space to
activate, arrow keys in selects and number boxes, Escape to close, and typing. No mouse, no
``click()``, no ``fill()``; the only navigation by address is each journey's first page
(and the email link of the sign-up, which arrives outside the site). A pointer guard
(``keyboard_only``) fails a test in which anything pressed the page with a pointer.

The focus check walks every Tab stop of the main page types and measures the focus
indicator the browser draws: an outline at least 2 px wide with a contrast of at least 3:1
against what surrounds it (WCAG 2.2 focus appearance), absent when the element is not
focused; and the first Tab stop of every page is the skip link.
"""

import re
import zipfile
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from cinema.models import Booking
from privacy import tasks
from privacy.models import ConsentState, DataExport, ErasureJob
from privacy.services import consent, export
from tests.cinema.factories import make_booking, make_cinema, make_film, make_showtime
from tests.e2e.axe import describe, violations
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db(transaction=True)

CONFIRM_LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+")

# Records any real pointer press on any page of the test's tab (sessionStorage survives
# navigation within one origin); a keyboard-activated button or link fires none.
POINTER_GUARD = """
addEventListener("pointerdown", (event) => {
  if (event.isTrusted) { sessionStorage.setItem("marquee-pointer-used", event.type); }
}, true);
"""

# The focused element, described for a failure message (or null when it is ``target``).
FOCUS_STATE = """(target) => {
  const e = document.activeElement;
  if (e === target) { return null; }
  if (!e || e === document.body) { return "(nothing)"; }
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  const name = (e.getAttribute("aria-label") || label || e.innerText || e.value || "")
    .trim().replace(/\\s+/g, " ").slice(0, 40);
  return `${e.tagName.toLowerCase()}${e.type ? "[" + e.type + "]" : ""} "${name}"`;
}"""


@pytest.fixture
def browser_context_args(browser_context_args):
    # Date boxes take typed digits in the locale's order (month, day, year in en-US).
    return {**browser_context_args, "locale": "en-US"}


@pytest.fixture
def keyboard_only(page: Page):
    page.add_init_script(POINTER_GUARD)
    yield page
    used = page.evaluate("() => sessionStorage.getItem('marquee-pointer-used')")
    assert used is None, f"something used a pointer ({used}): keyboard only here"


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus; fail if it never gets it."""
    expect(target).to_be_attached()
    key = "Shift+Tab" if backwards else "Tab"
    handle = target.element_handle()
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        state = handle.evaluate(FOCUS_STATE)
        if state is None:
            return
        path.append(state)
    pytest.fail(f"{key} never reached {target}; the focus went: {' > '.join(path)}")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.type(text)


def field(page: Page, label: str) -> Locator:
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def banner(page: Page) -> Locator:
    return page.get_by_role("region", name="Your cookie choices")


def nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


def skip_link(page: Page) -> Locator:
    return page.get_by_role("link", name="Skip to main content")


def reject_cookies(page: Page) -> None:
    """Answer the cookie banner of a first visit: Reject all, by keyboard."""
    tab_to(page, banner(page).get_by_role("button", name="Reject all"))
    page.keyboard.press("Enter")
    expect(banner(page)).to_have_count(0)


def sign_in(page: Page, base: str, email: str) -> None:
    """The first page of a member's journey: the sign-in form, filled in by keyboard."""
    page.goto(f"{base}/accounts/login/")
    reject_cookies(page)
    type_into(page, field(page, "Email"), email)
    type_into(page, field(page, "Password"), PASSWORD)
    page.keyboard.press("Enter")  # submits the form the password box is in
    expect(nav(page).get_by_role("link", name="My account")).to_be_visible()


def confirm_access(page: Page) -> None:
    """allauth's re-authentication: the password again, then Enter."""
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    type_into(page, field(page, "Password"), PASSWORD)
    page.keyboard.press("Enter")


def follow(page: Page, link: Locator, *, backwards: bool = False) -> None:
    tab_to(page, link, backwards=backwards)
    page.keyboard.press("Enter")


# --- Journeys ------------------------------------------------------------------------------


def test_cookie_banner_customised_then_changed_in_the_settings(
    keyboard_only: Page, live_server, snap
):
    page = keyboard_only
    page.goto(f"{live_server.url}/programme/")
    page.keyboard.press("Tab")
    expect(skip_link(page)).to_be_focused()
    snap(page, "00-skip-link")

    customise = banner(page).get_by_role("button", name="Customise")
    panel = banner(page).get_by_role("group", name="Choose which cookies we may use")
    tab_to(page, customise)
    page.keyboard.press("Space")
    expect(panel).to_be_visible()
    expect(customise).to_have_attribute("aria-expanded", "true")
    functionality = panel.get_by_label("Functionality")
    expect(functionality).to_be_focused()
    # Escape closes the choices and gives the focus back to the button; Enter reopens them.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(customise).to_be_focused()
    page.keyboard.press("Enter")
    expect(functionality).to_be_focused()

    page.keyboard.press("Tab")
    analytics = panel.get_by_label("Analytics")
    expect(analytics).to_be_focused()
    page.keyboard.press("Space")
    expect(analytics).to_be_checked()
    expect(functionality).not_to_be_checked()
    snap(page, "01-analytics-ticked")
    tab_to(page, panel.get_by_role("button", name="Save my choices"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/programme/")
    expect(banner(page)).to_have_count(0)
    assert consent.VISITOR_COOKIE in {cookie["name"] for cookie in page.context.cookies()}
    assert dict(ConsentState.objects.values_list("purpose", "granted")) == {
        consent.FUNCTIONAL: False,
        consent.ANALYTICS: True,
        consent.ADVERTISING: False,
    }

    # A change of mind: the footer's "Cookie settings" is nearest backwards from the top.
    follow(
        page,
        page.get_by_role("navigation", name="Privacy").get_by_role("link", name="Cookie settings"),
        backwards=True,
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookie settings")
    expect(page.locator("#setting-analytics-state")).to_have_text("On")
    tab_to(page, page.get_by_label("Analytics"))
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Save my choices"))
    page.keyboard.press("Enter")

    expect(page.locator("#setting-analytics-state")).to_have_text("Off")
    expect(page.get_by_label("Analytics")).not_to_be_checked()
    snap(page, "02-analytics-withdrawn")
    assert dict(ConsentState.objects.values_list("purpose", "granted"))[consent.ANALYTICS] is False


def test_sign_up_by_keyboard_to_the_verification_step(
    keyboard_only: Page, live_server, mailoutbox, snap
):
    page = keyboard_only
    email = "keys.only@example.com"
    page.goto(live_server.url)
    reject_cookies(page)
    follow(page, nav(page).get_by_role("link", name="Sign up", exact=True))
    expect(page.get_by_role("heading", name="Sign Up")).to_be_visible()

    type_into(page, field(page, "Email"), email)
    type_into(page, page.get_by_label("First name"), "Ada")
    type_into(page, page.get_by_label("Last name"), "Lovelace")
    type_into(page, page.get_by_label("Date of birth"), "05171990")  # mm dd yyyy
    expect(page.get_by_label("Date of birth")).to_have_value("1990-05-17")
    type_into(page, field(page, "Password"), PASSWORD)
    type_into(page, field(page, "Password (again)"), PASSWORD)
    snap(page, "01-filled")
    follow(page, page.get_by_role("button", name="Sign Up", exact=True))

    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()
    snap(page, "02-verify")
    user = get_user_model().objects.get(email=email)
    assert (user.first_name, user.date_of_birth) == ("Ada", date(1990, 5, 17))

    # The link arrives by email; on its page the Confirm button is pressed with Space.
    page.goto(CONFIRM_LINK.findall(mailoutbox[-1].body)[0])
    tab_to(page, page.get_by_role("button", name="Confirm", exact=True))
    page.keyboard.press("Space")
    expect(page.get_by_text("Welcome back, Ada.")).to_be_visible()
    assert user.emailaddress_set.get().verified


def test_booking_from_the_programme_by_keyboard(keyboard_only: Page, live_server, snap):
    page = keyboard_only
    member = make_member(email="keys.booking@example.com", first_name="Aru")
    film = make_film(title="Steppe Wind")
    cinema = make_cinema(name="Marquee Esentai", city="Almaty")
    day = timezone.localdate() + timedelta(days=2)
    starts = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 19, 30))
    showtime = make_showtime(
        film=film, cinema=cinema, starts_at=starts, price="2500", auditorium="Hall 1"
    )

    sign_in(page, live_server.url, member.email)
    follow(page, nav(page).get_by_role("link", name="Programme"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme")

    # The day is a select: two steps down the list is the day after tomorrow.
    day_select = field(page, "Date")
    tab_to(page, day_select)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(day_select).to_have_value(day.isoformat())
    follow(page, page.get_by_role("button", name="Show showtimes"))
    expect(page).to_have_url(re.compile(rf"day={day.isoformat()}"))

    follow(
        page, page.get_by_role("link", name="Book Steppe Wind at 19:30, Marquee Esentai, Hall 1")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Book Steppe Wind")

    # The seats: the number box takes the arrow keys (2 by default, one more).
    seats = page.get_by_label("Number of seats")
    tab_to(page, seats)
    page.keyboard.press("ArrowUp")
    expect(seats).to_have_value("3")
    snap(page, "01-three-seats")
    tab_to(page, page.get_by_role("button", name="Book seats"))
    page.keyboard.press("Space")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking ")
    booking = Booking.objects.get(showtime=showtime)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Booking {booking.code}")
    expect(page.get_by_role("status")).to_contain_text(f"Your booking {booking.code} is confirmed.")
    snap(page, "02-confirmed")
    assert booking.user == member and booking.seats == ["A1", "A2", "A3"]


def test_seats_chosen_on_the_map_by_keyboard(keyboard_only: Page, live_server, settings, snap):
    settings.CINEMA_SEATS_PER_ROW = 10
    page = keyboard_only
    member = make_member(email="keys.seats@example.com")
    showtime = make_showtime(film=make_film(title="Steppe Wind"), capacity=30, price="2500")
    make_booking(showtime=showtime, seat_count=1, seats=["B5"])

    sign_in(page, live_server.url, member.email)
    page.goto(f"{live_server.url}/showtimes/{showtime.pk}/book/")
    # The map is one Tab stop until it is opened.
    follow(page, page.get_by_text("Choose your seats on the map"))
    seat_b4 = page.get_by_role("checkbox", name="Row B, seat 4", exact=True)
    taken = page.get_by_role("checkbox", name="Row B, seat 5, taken", exact=True)
    expect(taken).to_be_disabled()
    found = violations(page)
    assert not found, describe(found)
    tab_to(page, seat_b4)
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the taken B5 is no Tab stop: next is B6
    expect(page.get_by_role("checkbox", name="Row B, seat 6", exact=True)).to_be_focused()
    page.keyboard.press("Space")
    snap(page, "01-two-seats-ticked")
    follow(page, page.get_by_role("button", name="Book seats"))

    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking ")
    booking = Booking.objects.get(user=member)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Booking {booking.code}")
    assert booking.seats == ["B4", "B6"]


def test_export_requested_and_downloaded_by_keyboard(
    keyboard_only: Page, live_server, settings, tmp_path, monkeypatch, snap
):
    page = keyboard_only
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = make_member(email="keys.export@example.com", first_name="Aru")
    queued = []  # the worker's part runs below, as in test_export_journey
    monkeypatch.setattr(tasks.build_export, "delay", queued.append)

    sign_in(page, live_server.url, member.email)
    follow(page, nav(page).get_by_role("link", name="Privacy", exact=True))
    follow(page, page.get_by_role("link", name="Download my data"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    follow(page, page.get_by_role("button", name="Prepare a copy of my data"))
    expect(page.get_by_role("status").first).to_contain_text("We are preparing a copy of your data")

    [export_id] = queued
    export.build_export(export_id)
    download = page.get_by_role("link", name="Download", exact=True)
    expect(download).to_be_visible(timeout=15_000)  # the page reloads itself when ready

    # From the top of the reloaded page: the skip link, then into the content.
    page.keyboard.press("Tab")
    expect(skip_link(page)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    snap(page, "01-ready")
    follow(page, download)

    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    type_into(page, field(page, "Password"), PASSWORD)
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    expect(page.get_by_text("Your download has started.")).to_be_visible()
    saved = tmp_path / started.value.suggested_filename
    started.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert "index.html" in archive.namelist()
    assert DataExport.objects.get(pk=export_id).downloaded_at is not None


def test_account_deletion_requested_and_cancelled_by_keyboard(
    keyboard_only: Page, live_server, settings, tmp_path, mailoutbox, snap
):
    page = keyboard_only
    settings.PRIVACY_EXPORT_DIR = str(tmp_path / "exports")
    settings.MEDIA_ROOT = str(tmp_path / "media")
    member = make_member(email="keys.delete@example.com", first_name="Zarina")

    sign_in(page, live_server.url, member.email)
    follow(page, nav(page).get_by_role("link", name="Privacy", exact=True))
    follow(page, page.get_by_role("link", name="Delete my account"))
    confirm_access(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete my account")

    understood = page.get_by_label(re.compile("I understand"))
    tab_to(page, understood)
    page.keyboard.press("Space")
    expect(understood).to_be_checked()
    snap(page, "01-confirmed")
    follow(page, page.get_by_role("button", name="Delete my account"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Your account will be deleted")
    job = ErasureJob.objects.get(user_id=member.pk)
    assert job.status == "scheduled"
    snap(page, "02-scheduled")

    follow(page, page.get_by_role("button", name="Cancel the deletion"))
    expect(page.get_by_role("status")).to_contain_text("The deletion is cancelled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy center")  # signed in
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert any("will be deleted" in m.subject for m in mailoutbox)


# --- What the focus looks like ---------------------------------------------------------------

# Installed on a page: records, for every element that gets the focus, the kind of element,
# its focus indicator and the contrast of that indicator against what is next to it; and,
# once the focus moved on, the same element's look without the focus.
FOCUS_RECORDER = """() => {
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) { return null; }
    const [r, g, b, a = 1] = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r, g, b, a};
  };
  const luminance = ({r, g, b}) => {
    const ch = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b);
  };
  const ratio = (x, y) => {
    const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p);
    return (hi + 0.05) / (lo + 0.05);
  };
  const background = (node) => {
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c.a > 0) { return c; }
    }
    return {r: 255, g: 255, b: 255, a: 1};
  };
  const look = (el) => {
    const s = getComputedStyle(el);
    return {outlineStyle: s.outlineStyle, outlineWidth: parseFloat(s.outlineWidth) || 0,
            outlineColor: s.outlineColor, outlineOffset: parseFloat(s.outlineOffset) || 0,
            boxShadow: s.boxShadow};
  };
  // Contrast of the outline with what is right outside it, on each side in the viewport.
  const contrast = (el, st) => {
    const colour = parse(st.outlineColor);
    if (st.outlineStyle === "none" || !st.outlineWidth || !colour) { return null; }
    const r = el.getBoundingClientRect();
    const d = Math.max(st.outlineOffset, 0) + st.outlineWidth + 1;
    const points = [[r.left + r.width / 2, r.top - d], [r.left + r.width / 2, r.bottom + d],
                    [r.left - d, r.top + r.height / 2], [r.right + d, r.top + r.height / 2]];
    const found = [];
    for (const [x, y] of points) {
      if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) { continue; }
      const under = document.elementsFromPoint(x, y).find((n) => n !== el && !el.contains(n));
      found.push(ratio(colour, background(under || document.documentElement)));
    }
    return found.length ? Math.min(...found) : null;
  };
  const describe = (el) => {
    const kind = el.tagName.toLowerCase() + (el.tagName === "INPUT" ? `[${el.type}]` : "");
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    const name = (el.getAttribute("aria-label") || label || el.innerText || el.value || "")
      .trim().replace(/\\s+/g, " ").slice(0, 40);
    return {kind, name, classes: el.className || ""};
  };
  const walk = {stops: [], first: null, done: false, previous: null};
  window.__focusWalk = walk;
  walk.add = (el) => {
    if (walk.previous) { walk.previous.entry.unfocused = look(walk.previous.el); }
    if (el === walk.first) { walk.done = true; }
    if (walk.done) { return; }
    walk.first = walk.first || el;
    const entry = {...describe(el), focused: look(el)};
    walk.stops.push(entry);
    walk.previous = {el, entry};
  };
  document.addEventListener("focusin", (event) => {
    if (!walk.paused) { walk.add(event.target); }
  }, true);
  walk.finish = () => {
    walk.paused = true;
    if (walk.previous && walk.previous.el !== document.activeElement) {
      walk.previous.entry.unfocused = look(walk.previous.el);
    }
  };
  // Called once the browser has scrolled the focused element into view.
  walk.measure = () => {
    const el = document.activeElement;
    if (!walk.previous || walk.previous.el !== el) { return walk.done; }
    const entry = walk.previous.entry;
    const r = el.getBoundingClientRect();
    entry.contrast = contrast(el, entry.focused);
    entry.box = [r.left, r.top, r.right, r.bottom, innerWidth, innerHeight];
    entry.visible = r.width > 1 && r.height > 1 && r.left >= -1 && r.top >= -1
                    && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
    return walk.done;
  };
}"""


def walk_focus(page: Page, *, then=None, steps: int = 0, limit: int = 120) -> list[dict]:
    """Tab through every stop of the page from its top, round to the first again; then
    ``then(page)`` may open something (e.g. a panel) and Tab goes ``steps`` stops on."""
    page.evaluate(FOCUS_RECORDER)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("() => window.__focusWalk.measure()"):
            break
    else:
        pytest.fail(f"the Tab order of {page.url} does not come round in {limit} steps")
    if then is not None:
        page.evaluate("() => { const w = window.__focusWalk; w.paused = true; w.previous = null; }")
        then(page)  # moves the focus somewhere new, which the walk goes on from
        page.evaluate(
            "() => { const w = window.__focusWalk; w.paused = false; w.done = false;"
            " w.first = null; w.add(document.activeElement); return w.measure(); }"
        )
        for _ in range(steps):
            page.keyboard.press("Tab")
            page.evaluate("() => window.__focusWalk.measure()")
        page.evaluate("() => { window.__focusWalk.paused = true; }")
        page.keyboard.press("Tab")
        page.evaluate("() => window.__focusWalk.finish()")  # the last stop, unfocused
    return page.evaluate("() => window.__focusWalk.stops")


def indicator_problems(stop: dict) -> list[str]:
    focused, unfocused = stop["focused"], stop.get("unfocused")
    problems = []
    outline = focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0
    shadow = focused["boxShadow"] not in ("", "none")
    if not (outline or shadow):
        problems.append("no focus indicator")
    if outline and focused["outlineWidth"] < 2:
        problems.append(f"outline {focused['outlineWidth']}px, under 2px")
    contrast = stop.get("contrast")
    if outline and (contrast is None or contrast < 3):
        problems.append(f"outline contrast {contrast and round(contrast, 2)}:1 (under 3:1)")
    if unfocused is None:
        problems.append("never seen without the focus")
    elif unfocused == focused:
        problems.append("looks the same without the focus")
    if not stop.get("visible"):
        problems.append(f"not inside the window when focused: {stop.get('box')}")
    return problems


def test_every_tab_stop_shows_a_visible_focus_and_the_skip_link_comes_first(
    page: Page, live_server, snap
):
    film = make_film(title="Steppe Wind")
    cinema = make_cinema(name="Marquee Esentai", city="Almaty")
    showtime = make_showtime(
        film=film, cinema=cinema, starts_at=timezone.now() + timedelta(hours=3), price="2500"
    )
    member = make_member(email="keys.focus@example.com")
    base = live_server.url
    failures, kinds, pages = [], set(), {}

    def check(path: str, **more) -> None:
        page.goto(f"{base}{path}")
        stops = walk_focus(page, **more)
        pages[path] = len(stops)
        snap(page, re.sub(r"[^a-z0-9]+", "-", path.strip("/")) or "home")
        assert stops, f"{path}: nothing takes the focus"
        first = stops[0]
        if (first["kind"], first["name"]) != ("a", "Skip to main content"):
            failures.append(f"{path}: the first Tab stop is {first['kind']} {first['name']!r}")
        for stop in stops:
            kinds.add(stop["kind"] + (" (banner)" if "consent-button" in stop["classes"] else ""))
            if problems := indicator_problems(stop):
                failures.append(f"{path}: {stop['kind']} {stop['name']!r}: {', '.join(problems)}")

    def open_banner_choices(page: Page) -> None:
        tab_to(page, banner(page).get_by_role("button", name="Customise"))
        page.keyboard.press("Enter")  # the focus moves to the first choice

    # A visitor: the banner (and its choices), header, footer; programme; the sign-up form.
    check("/", then=open_banner_choices, steps=3)  # two more choices and Save
    check("/programme/")
    check("/accounts/signup/")
    # A member: booking (the seat count), cookie settings (checkboxes), the header's Sign out.
    page.goto(f"{base}/accounts/login/")
    field(page, "Email").fill(member.email)
    field(page, "Password").fill(PASSWORD)
    field(page, "Password").press("Enter")
    expect(nav(page).get_by_role("link", name="My account")).to_be_visible()
    check(f"/showtimes/{showtime.pk}/book/")
    check("/privacy/cookies/")

    assert not failures, "\n".join(failures)
    expected = {"a", "button", "button (banner)", "select", "input[checkbox]", "input[email]",
                "input[text]", "input[date]", "input[password]", "input[number]"}  # fmt: skip
    assert expected <= kinds, f"not covered: {expected - kinds}"
    assert all(count >= 10 for count in pages.values()), pages
