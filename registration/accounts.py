"""Accounts through django-allauth: every email address in one normal form before it is compared or kept, and the
links emailed on the site's own address."""

import unicodedata
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.conf import settings


def normal_email(address: str) -> str:
    """The address as the mailbox it reaches: compatibility characters folded (NFKC), the domain in lower-case
    ASCII (IDNA), so that `ada@ｅｘａｍｐｌｅ.org` is `ada@example.org`. A quoted local part, which mail servers
    read as the same mailbox as the unquoted one, is refused rather than guessed at."""
    local, _, domain = unicodedata.normalize("NFKC", address.strip()).rpartition("@")
    if '"' in local:
        raise forms.ValidationError("Please enter the address without quotation marks.")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise forms.ValidationError("The part after @ is not a valid domain name.") from None
    return f"{local}@{domain}"


class AccountAdapter(DefaultAccountAdapter):
    def clean_email(self, email: str) -> str:
        """Sign-up and added addresses in their normal form, so that allauth's check that an address is not taken
        compares mailboxes, not spellings."""
        return super().clean_email(normal_email(email))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_site(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return on_site(super().get_email_confirmation_url(request, emailconfirmation))


def on_site(url: str) -> str:
    """The link on SITE_URL, not on whatever host (and port) the request that sent it named."""
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))
