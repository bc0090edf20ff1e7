"""Accounts through django-allauth, with every email address in one normal form before it is compared or kept."""

import unicodedata

from allauth.account.adapter import DefaultAccountAdapter
from django import forms


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
