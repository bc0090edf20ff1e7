"""Steps the browser tests share."""

from playwright.sync_api import Page, expect

PASSWORD = "correct horse battery staple"


def log_in_to_admin(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Log a staff user in through the Django admin's own form."""
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{base}/admin/")
