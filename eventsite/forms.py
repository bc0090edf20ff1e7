"""The admin's login form, through django-allauth's account adapter."""

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's login with the site login's limit on failed attempts, by account and by address.

    Django's form calls `authenticate()` itself, which no limit guards; allauth's adapter counts each attempt
    against the same limit as /accounts/login/ (ACCOUNT_RATE_LIMITS["login_failed"]), and says so when it is
    spent, even to the right password.
    """

    def clean(self):
        username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if username is not None and password:
            adapter = get_adapter(self.request)
            self.user_cache = adapter.authenticate(self.request, username=username, password=password)
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
