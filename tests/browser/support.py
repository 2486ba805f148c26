"""What the browser journeys share: signing in through the form, axe-core checks, waiting for htmx
swaps, and checks on focus and layout that axe does not make.

Playwright is imported only inside functions, so that this module (and the tests that import it)
can be collected on a machine without it; conftest.py then skips them with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from flourish.seeding import demo_sign_ins

#: axe-core impacts that fail a test. Moderate and minor findings are best practice or advisory;
#: they are printed with the failure of a serious one but do not fail on their own.
FAILING_IMPACTS = frozenset({"serious", "critical"})
#: The demonstration people each journey signs in as, by role (seeds/users.yaml).
DEMO = {user["role"]: user for user in reversed(demo_sign_ins())}
#: The two screens every journey is walked on: a desktop's and a phone's.
WIDTHS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def expect(target: Any) -> Any:
    """Playwright's retrying assertions."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


@cache
def _axe() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} – {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            summary = " ".join(node.get("failureSummary", "").split())
            if summary:
                lines.append(f"        {summary[:400]}")
    return "\n".join(lines)


def assert_accessible(page: Any, where: str) -> None:
    """Run axe-core on the page as it is now; fail on any serious or critical violation."""
    violations = _axe().run(page).response["violations"]
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    others = [v for v in violations if v["impact"] not in FAILING_IMPACTS]
    assert not failing, (
        f"axe-core found serious or critical problems on {where} ({page.url}):\n"
        + describe_violations(failing)
        + ("\nAlso found (not failing on their own):\n" + describe_violations(others) if others else "")
    )


def assert_accessible_without_javascript(page: Any, where: str) -> None:
    """axe-core runs as JavaScript in the page, and in a page without it axe never finishes (its
    timers never fire). So the HTML this page received is loaded into a page of its own that can
    run axe, at the same address (so the stylesheets load) and with htmx kept out (so the markup
    stays what a browser without JavaScript shows)."""
    html, url = page.content(), page.url
    context = page.context.browser.new_context()
    try:
        checker = context.new_page()
        checker.route("**/static/vendor/htmx.min.js", lambda route: route.abort())
        checker.route(
            lambda address: address == url,
            lambda route: route.fulfill(status=200, content_type="text/html", body=html),
        )
        checker.goto(url)
        assert_accessible(checker, where + " (without JavaScript)")
    finally:
        context.close()


_SIGN_IN_CHECKED: set[int] = set()


def sign_in(page: Any, role: str, *, submit_by: str = "click") -> None:
    """Sign in through the form as the demonstration person with this role, sending it with a
    click, a "tap" or the "Enter" key."""
    person = DEMO[role]
    page.goto("/sign-in")
    # Every journey starts here: the page is checked once for each screen width, not each time.
    width = page.viewport_size["width"] if page.viewport_size else 0
    if width not in _SIGN_IN_CHECKED:
        assert_accessible(page, "the sign-in page")
        _SIGN_IN_CHECKED.add(width)
    page.get_by_label("Email address").fill(person["email"])
    password = page.get_by_label("Password")
    password.fill(person["password"])
    button = page.locator("main").get_by_role("button", name="Sign in")
    with page.expect_navigation():
        if submit_by == "Enter":
            password.press("Enter")
        elif submit_by == "tap":
            button.tap()
        else:
            button.click()
    assert "/sign-in" not in page.url, f"signing in as {role} failed: {page.locator('main').inner_text()}"


def open_from_main_menu(page: Any, link: str, url: str, where: str) -> None:
    """Follow a link in the main navigation, as a person would, and check the page it opens."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link).click()
    page.wait_for_url(url)
    assert_accessible(page, where)


@contextmanager
def htmx_swap(page: Any, target: str) -> Iterator[None]:
    """Wait, after the body of the `with`, until htmx has replaced `target` and settled (which is
    when it moves focus to any autofocus element in the new content)."""
    page.evaluate(
        """(selector) => {
            window.flourishBefore = document.querySelector(selector);
            window.flourishSettled = false;
            document.addEventListener("htmx:afterSettle", () => { window.flourishSettled = true; }, {once: true});
        }""",
        target,
    )
    yield
    page.wait_for_function(
        """(selector) => window.flourishSettled
            && document.querySelector(selector) !== null
            && document.querySelector(selector) !== window.flourishBefore""",
        arg=target,
    )


def focused(page: Any) -> dict[str, Any]:
    """What has focus, and whether it can be seen: the element's own outline or box-shadow, or,
    for the visually hidden radio buttons styled as large buttons, those of its label."""
    return page.evaluate(
        """() => {
            const element = document.activeElement;
            const shows = (e) => {
                const style = getComputedStyle(e);
                const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
                return outline || (style.boxShadow !== "none" && style.boxShadow !== "");
            };
            const box = element.getBoundingClientRect();
            const hidden = box.width <= 2 || box.height <= 2 || getComputedStyle(element).opacity === "0";
            const label = element.id ? document.querySelector(`label[for="${CSS.escape(element.id)}"]`) : null;
            const visible = hidden && label ? shows(label) : shows(element);
            return {
                tag: element.tagName.toLowerCase(),
                id: element.id,
                name: element.getAttribute("name") || "",
                value: element.getAttribute("value") || "",
                text: (element.innerText || element.value || "").trim().slice(0, 120),
                isBody: element === document.body || element === document.documentElement,
                visible: visible,
            };
        }"""
    )


def assert_focus_visible(page: Any, where: str) -> dict[str, Any]:
    state = focused(page)
    assert not state["isBody"], f"focus was lost (it is on the page itself) {where}"
    assert state["visible"], f"the focused element shows no outline or box-shadow {where}: {state}"
    return state


def tab_until(page: Any, matches: Any, *, backwards: bool = False, limit: int = 150) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until `matches(state)` holds, checking at every stop that focus
    can be seen."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        state = assert_focus_visible(page, f"after pressing {key}")
        if matches(state):
            return state
    raise AssertionError(f"{limit} presses of {key} never reached the element wanted")


def assert_no_horizontal_scroll(page: Any, where: str) -> None:
    """Nothing wider than the screen, except inside a region that scrolls on its own (a wide
    table). Measured against the viewport the context was given: a phone's browser widens its
    layout viewport to fit content that is too wide, so window.innerWidth grows with the overflow."""
    limit = page.viewport_size["width"]
    widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})")
    if widths["scroll"] <= min(widths["inner"], limit):
        return
    wide = page.evaluate(
        """(limit) => [...document.querySelectorAll("body *")]
            .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
            .filter((e) => {
                for (let a = e.parentElement; a; a = a.parentElement) {
                    if (["auto", "scroll", "hidden"].includes(getComputedStyle(a).overflowX)) return false;
                }
                return true;
            })
            .slice(0, 8)
            .map((e) => e.outerHTML.slice(0, 120))""",
        limit,
    )
    raise AssertionError(
        f"{where} scrolls sideways: document.documentElement.scrollWidth is {widths['scroll']} px "
        f"on a screen {limit} px wide; too wide: {wide}"
    )


def pence(text: str) -> int:
    """£1,234.56 as 123456."""
    match = re.search(r"£?([\d,]+)(?:\.(\d\d))?", text)
    assert match, f"no amount of money in {text!r}"
    pounds, pennies = match.group(1).replace(",", ""), match.group(2) or "00"
    return int(pounds) * 100 + int(pennies)


def user(db: Any, role: str) -> Any:
    """The demonstration person with this role, as the database holds them."""
    import sqlalchemy as sa

    from core.auth.models import User

    return db.scalar(sa.select(User).where(User.email == DEMO[role]["email"]))


def top_of(page: Any, locator: Any) -> float:
    """How far down the page an element starts, in CSS pixels."""
    return locator.evaluate("(e) => e.getBoundingClientRect().top + window.scrollY")


def a_session_with_places(page: Any) -> Any:
    """The first session offered in the booking step that still has places (not cancelled, and
    not full, which would put the person on its waiting list)."""
    sessions = page.get_by_role("group", name="Which session?")
    return (
        sessions.locator("div.checkbox")
        .filter(has_text=re.compile(r"\d+ places? left"))
        .first.get_by_role("radio")
    )


def results_count(page: Any) -> int:
    """How many activities the search says it found ("12 activities for …"); 0 for none."""
    text = page.locator("#results .results-count").inner_text()
    match = re.match(r"\s*(\d+) activit", text)
    return int(match.group(1)) if match else 0
