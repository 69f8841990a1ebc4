"""The browser harness itself: Chromium loads a page of the live server with its
static files, and the vendored map renders offline."""


def test_home_page_loads_with_styles(page, shoot, browse_catalogue):
    response = page.goto(page.base + "/")
    assert response.status == 200
    assert page.locator("header.site-header").is_visible()
    # The stylesheet came from the server: the header has the brand colour.
    colour = page.locator("header.site-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(11, 79, 108)"
    assert not page.errors
    shoot(page, "home")


def test_sign_in_and_out(page, people, sign_in):
    sign_in(people["curator"])
    assert page.get_by_role("link", name="marina").is_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Sign in").is_visible()
