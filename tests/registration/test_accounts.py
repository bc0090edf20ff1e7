"""Account flows through django-allauth: sign up, verify, log in, reset a password, rate limits."""

import re
from html.parser import HTMLParser

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a quieter lab bench 2030"
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _ElementFinder(HTMLParser):
    """Collects the text and attributes of every element with the given tag and attribute values."""

    def __init__(self, tag: str, attrs: dict[str, str]):
        super().__init__()
        self.tag, self.wanted = tag, attrs
        self.found: list[dict] = []
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        matches = tag == self.tag and all(attrs.get(k) == v for k, v in self.wanted.items())
        if matches and (tag in VOID_TAGS or not self.depth):
            self.found.append({"attrs": attrs, "text": []})
            if tag not in VOID_TAGS:
                self.depth = 1
        elif self.depth and tag not in VOID_TAGS:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.found[-1]["text"].append(data)


def find_all(response, tag: str, **attrs: str) -> list[dict]:
    """Elements of the page as {"attrs": ..., "text": ...}; aria_label= means aria-label, class_= class."""
    finder = _ElementFinder(tag, {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()})
    finder.feed(response.content.decode())
    return [{"attrs": e["attrs"], "text": " ".join("".join(e["text"]).split())} for e in finder.found]


def text_of(response, tag: str, **attrs: str) -> str:
    (element,) = find_all(response, tag, **attrs)
    return element["text"]


def link_in(message) -> str:
    (url,) = re.findall(r"https?://\S+", message.body)
    return url


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def sign_up(client, email="ada@example.org"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}, follow=True
    )


# Sign up and verify


def test_signup_sends_one_confirmation_email_and_asks_to_check_it(client, db):
    response = sign_up(client)

    assert response.redirect_chain == [(reverse("account_email_verification_sent"), 302)]
    assert response.status_code == 200
    assert text_of(response, "h1") == "Check your email"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.org"]
    assert message.subject == "NeuroAI Workshops: Confirm your email address"
    assert "Please confirm that ada@example.org is your email address for NeuroAI Workshops." in message.body
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/accounts/confirm-email/[^/]+/", link_in(message))


def test_signup_leaves_the_account_unverified_and_logged_out(client, db):
    sign_up(client)

    address = EmailAddress.objects.get(email="ada@example.org")
    assert address.verified is False
    assert address.primary is True
    assert logged_in_user_id(client) is None


def test_login_before_verifying_goes_to_verification_sent_without_logging_in(client, db):
    sign_up(client)
    other_browser = Client()

    response = other_browser.post(reverse("account_login"), {"login": "ada@example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert logged_in_user_id(other_browser) is None
    # The confirmation cooldown keeps a second email from going out at once.
    assert len(mail.outbox) == 1


def test_confirmation_link_verifies_the_address_and_logs_in(client, db):
    sign_up(client)
    link = link_in(mail.outbox[0])

    page = client.get(link)
    response = client.post(link)

    assert page.status_code == 200
    assert text_of(page, "h1") == "Confirm your email address"
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = get_user_model().objects.get(email="ada@example.org")
    assert EmailAddress.objects.get(user=user).verified is True
    assert logged_in_user_id(client) == str(user.pk)


def test_invalid_confirmation_link_says_so(client, db):
    response = client.get(reverse("account_confirm_email", args=["not-a-key"]))

    assert response.status_code == 200
    assert "This confirmation link has expired or is not valid." in text_of(response, "main")


# Log in


def test_login_with_verified_email_and_password_logs_in(client, verified_user):
    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert logged_in_user_id(client) == str(verified_user.pk)


def test_login_honours_next(client, verified_user):
    response = client.post(
        reverse("account_login"), {"login": verified_user.email, "password": PASSWORD, "next": "/events/"}
    )

    assert response["Location"] == "/events/"


def test_login_with_wrong_password_shows_an_error_and_does_not_log_in(client, verified_user):
    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": "wrong"})

    assert response.status_code == 200
    assert text_of(response, "div", role="alert") == (
        "The email address and/or password you specified are not correct."
    )
    assert logged_in_user_id(client) is None


def test_login_form_labels_every_input_and_sets_autocomplete(client, db):
    response = client.get(reverse("account_login"))

    inputs = {e["attrs"]["id"]: e["attrs"] for e in find_all(response, "input") if e["attrs"].get("type") != "hidden"}
    labels = {e["attrs"]["for"]: e["text"] for e in find_all(response, "label")}
    assert labels == {
        "id_login": "Email *(required)",
        "id_password": "Password *(required)",
        "id_remember": "Remember Me",
    }
    assert inputs["id_login"]["autocomplete"] == "email"
    assert inputs["id_login"]["type"] == "email"
    assert "required" in inputs["id_login"]
    assert inputs["id_password"]["autocomplete"] == "current-password"
    assert inputs["id_password"]["aria-describedby"] == "id_password_helptext"
    assert text_of(response, "div", id="id_password_helptext") == "Forgot your password?"


def test_signup_errors_sit_beside_their_fields(client, db):
    response = client.post(
        reverse("account_signup"), {"email": "ada@example.org", "password1": PASSWORD, "password2": "different"}
    )

    assert response.status_code == 200
    (password2,) = find_all(response, "input", id="id_password2")
    assert password2["attrs"]["aria-invalid"] == "true"
    assert password2["attrs"]["aria-describedby"] == "id_password2_error"
    assert password2["attrs"]["autocomplete"] == "new-password"
    assert text_of(response, "ul", id="id_password2_error") == "You must type the same password each time."
    assert text_of(response, "div", role="alert") == (
        "Please correct the error below. Password (again): You must type the same password each time."
    )
    assert get_user_model().objects.filter(email="ada@example.org").exists() is False


def test_logout_confirm_page_logs_out_on_post(client, verified_user):
    client.force_login(verified_user)

    page = client.get(reverse("account_logout"))
    response = client.post(reverse("account_logout"))

    assert text_of(page, "h1") == "Log out"
    assert response.status_code == 302
    assert logged_in_user_id(client) is None


# Password reset


def test_password_reset_emails_a_link_that_sets_a_new_password(client, verified_user):
    response = client.post(reverse("account_reset_password"), {"email": verified_user.email})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [verified_user.email]
    assert message.subject == "NeuroAI Workshops: Reset your password"

    key_page = client.get(link_in(message), follow=True)
    assert key_page.status_code == 200
    assert text_of(key_page, "h1") == "Choose a new password"
    set_password_url = key_page.redirect_chain[-1][0]

    done = client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("account_reset_password_from_key_done")

    login = Client().post(reverse("account_login"), {"login": verified_user.email, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert login["Location"] == "/"
    verified_user.refresh_from_db()
    assert verified_user.check_password(NEW_PASSWORD) is True


def test_password_reset_link_used_twice_says_the_link_expired(client, verified_user):
    client.post(reverse("account_reset_password"), {"email": verified_user.email})
    link = link_in(mail.outbox[0])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    response = Client().get(link, follow=True)

    assert text_of(response, "h1") == "Link expired"


# Every page in the site's layout

ANONYMOUS_PAGES = [
    ("account_login", {}, "Log in"),
    ("account_signup", {}, "Sign up"),
    ("account_email_verification_sent", {}, "Check your email"),
    ("account_confirm_email", {"key": "not-a-key"}, "Confirm your email address"),
    ("account_reset_password", {}, "Reset your password"),
    ("account_reset_password_done", {}, "Check your email"),
    ("account_reset_password_from_key", {"uidb36": "1", "key": "bad"}, "Link expired"),
    ("account_reset_password_from_key_done", {}, "Password changed"),
    ("account_inactive", {}, "Account inactive"),
]


@pytest.mark.parametrize(("url_name", "kwargs", "heading"), ANONYMOUS_PAGES)
def test_anonymous_account_page_renders_in_the_site_layout(client, db, url_name, kwargs, heading):
    response = client.get(reverse(url_name, kwargs=kwargs))

    assert response.status_code == 200
    assert text_of(response, "a", class_="skip-link") == "Skip to main content"
    assert text_of(response, "h1") == heading
    assert text_of(response, "title") == f"{heading} · NeuroAI Workshops"
    assert len(find_all(response, "link", href="/static/css/accounts.css")) == 1


LOGGED_IN_PAGES = [
    ("account_email", "Email addresses"),
    ("account_change_password", "Change password"),
    ("account_logout", "Log out"),
    ("account_reauthenticate", "Confirm it's you"),
]


@pytest.mark.parametrize(("url_name", "heading"), LOGGED_IN_PAGES)
def test_logged_in_account_page_renders_in_the_site_layout(client, verified_user, url_name, heading):
    client.force_login(verified_user)

    response = client.get(reverse(url_name))

    assert response.status_code == 200
    assert text_of(response, "a", class_="skip-link") == "Skip to main content"
    assert text_of(response, "h1") == heading


def test_password_set_page_renders_for_a_user_without_a_password(client, verified_user):
    verified_user.set_unusable_password()
    verified_user.save()
    client.force_login(verified_user)

    response = client.get(reverse("account_set_password"))

    assert response.status_code == 200
    assert text_of(response, "a", class_="skip-link") == "Skip to main content"
    assert text_of(response, "h1") == "Set a password"


def test_email_page_lists_addresses_with_their_state(client, verified_user):
    EmailAddress.objects.create(user=verified_user, email="zoe@lab.example.edu", verified=False, primary=False)
    client.force_login(verified_user)

    response = client.get(reverse("account_email"))

    labels = [e["text"] for e in find_all(response, "label") if e["attrs"]["for"].startswith("email_radio")]
    assert labels == [f"{verified_user.email} Confirmed Primary", "zoe@lab.example.edu Not confirmed"]
    assert text_of(response, "nav", aria_label="Account settings").startswith("Email addresses Change password")


def test_adding_an_email_address_sends_a_confirmation(client, verified_user):
    client.force_login(verified_user)

    response = client.post(reverse("account_email"), {"action_add": "", "email": "ada@lab.example.edu"})

    assert response.status_code == 302
    assert EmailAddress.objects.get(email="ada@lab.example.edu").verified is False
    assert [m.to for m in mail.outbox] == [["ada@lab.example.edu"]]


# Rate limits


def test_too_many_failed_logins_lock_out_even_the_right_password(client, verified_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/m/key"}
    for _ in range(3):
        client.post(reverse("account_login"), {"login": verified_user.email, "password": "wrong"})

    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert text_of(response, "div", role="alert") == "Too many failed login attempts. Try again later."
    assert logged_in_user_id(client) is None


def test_too_many_login_requests_answer_429_with_the_site_page(client, verified_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login": "3/m/ip"}
    statuses = [
        client.post(reverse("account_login"), {"login": verified_user.email, "password": "wrong"}).status_code
        for _ in range(3)
    ]

    response = client.post(reverse("account_login"), {"login": verified_user.email, "password": PASSWORD})

    assert statuses == [200, 200, 200]
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert text_of(response, "a", class_="skip-link") == "Skip to main content"
    assert text_of(response, "h1") == "Too many attempts"
    assert logged_in_user_id(client) is None


BEHIND_A_PROXY = {"REMOTE_ADDR": "10.0.0.2"}


def log_in_through_the_proxy(client, login: str, password: str, *, forwarded_for: str):
    """A login that reached the site through one proxy of ours, which wrote `forwarded_for`."""
    return client.post(
        reverse("account_login"),
        {"login": login, "password": password},
        HTTP_X_FORWARDED_FOR=forwarded_for,
        **BEHIND_A_PROXY,
    )


def test_behind_a_proxy_failed_logins_of_other_visitors_lock_no_one_else_out(client, verified_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/m/key"}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(4):
        log_in_through_the_proxy(client, f"nobody{n}@example.org", "wrong", forwarded_for=f"198.51.100.{n}")

    log_in_through_the_proxy(client, verified_user.email, PASSWORD, forwarded_for="198.51.100.99")

    assert logged_in_user_id(client) == str(verified_user.pk)


def test_behind_a_proxy_one_visitor_failing_logins_is_still_locked_out(client, verified_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip"}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # What the client writes into the header itself is not its address: the proxy's last entry is.
    for n in range(3):
        log_in_through_the_proxy(client, f"nobody{n}@example.org", "wrong", forwarded_for=f"192.0.2.{n}, 203.0.113.7")

    response = log_in_through_the_proxy(client, verified_user.email, PASSWORD, forwarded_for="192.0.2.50, 203.0.113.7")

    assert text_of(response, "div", role="alert") == "Too many failed login attempts. Try again later."
    assert logged_in_user_id(client) is None


def test_behind_a_proxy_signups_from_many_visitors_are_not_limited_as_one(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    statuses = [
        client.post(
            reverse("account_signup"),
            {"email": f"person{n}@example.org", "password1": PASSWORD, "password2": PASSWORD},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            **BEHIND_A_PROXY,
        ).status_code
        for n in range(4)
    ]

    assert 429 not in statuses
    assert EmailAddress.objects.count() == 4


# The admin's own login form


def test_the_admin_login_counts_failed_attempts_with_the_site_login(client, staff, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/m/ip,3/m/key"}
    for _ in range(3):
        client.post(reverse("admin:login"), {"username": staff.username, "password": "wrong"})

    response = client.post(reverse("admin:login"), {"username": staff.username, "password": PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_failed_logins_on_the_site_lock_the_same_account_out_of_the_admin(client, staff, settings):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,3/m/key"}
    for _ in range(3):
        client.post(reverse("account_login"), {"login": staff.email, "password": "wrong"})

    client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")

    assert logged_in_user_id(client) is None


def test_the_admin_login_still_lets_an_organizer_in(client, staff):
    response = client.post(reverse("admin:login") + "?next=/admin/", {"username": staff.username, "password": PASSWORD})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(staff.pk)


# One mailbox, one account


@pytest.mark.parametrize(
    "spelling",
    ["ada@ｅｘａｍｐｌｅ.org", "ａｄａ@example.org", "Ada@EXAMPLE.org"],
    ids=["full-width domain", "full-width name", "capitals"],
)
def test_a_mailbox_that_has_an_account_cannot_sign_up_again_under_another_spelling(client, db, spelling):
    sign_up(client, "ada@example.org")
    client.logout()

    sign_up(client, spelling)

    # allauth does not say an address is taken (that would tell strangers who has an account); it makes none.
    assert get_user_model().objects.count() == 1
    assert list(EmailAddress.objects.values_list("email", flat=True)) == ["ada@example.org"]


def test_a_quoted_address_is_refused_beside_its_field(client, db):
    response = sign_up(client, '"ada"@example.org')

    assert get_user_model().objects.count() == 0
    assert "without quotation marks" in response.content.decode()


def test_a_new_address_is_kept_in_its_normal_form(client, db):
    sign_up(client, "grace@ｂüｃｈｅｒ.example")

    assert EmailAddress.objects.get().email == "grace@xn--bcher-kva.example"


def test_emailed_links_are_on_the_sites_own_address_whatever_host_the_request_named(client, verified_user):
    client.post(reverse("account_reset_password"), {"email": verified_user.email}, HTTP_HOST="localhost:9999")
    client.post(
        reverse("account_signup"),
        {"email": "grace@example.org", "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST="127.0.0.1:4444",
    )

    links = [link_in(message) for message in mail.outbox]
    assert len(links) == 2
    assert all(link.startswith("http://127.0.0.1:8000/accounts/") for link in links), links
