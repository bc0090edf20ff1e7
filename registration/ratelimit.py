"""A fixed-window rate limit on the cache, for the registration forms (allauth guards the account forms)."""

import functools
import time

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from eventsite.middleware import client_address

PERIODS = {"s": 1, "m": 60, "h": 3600}


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' -> (10, 60)."""
    count, _, unit = rate.partition("/")
    return int(count), PERIODS[unit]


def allow(key: str, rate: str) -> bool:
    """Count one hit against `key`; False once the window's limit is spent."""
    limit, period = parse_rate(rate)
    cache_key = f"ratelimit:{key}:{int(time.time() // period)}"
    if cache.add(cache_key, 1, timeout=period + 1):
        return True
    try:
        return cache.incr(cache_key) <= limit
    except ValueError:  # the window expired between add and incr
        cache.add(cache_key, 1, timeout=period + 1)
        return True


def limit_posts(view):
    """Refuse a flood of POSTs from one person or one address with a clear 429."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST":
            keys = [(f"ip:{client_address(request)}", settings.REGISTRATION_RATE_LIMIT_IP)]
            if request.user.is_authenticated:
                keys.append((f"user:{request.user.pk}", settings.REGISTRATION_RATE_LIMIT_USER))
            # Every key is counted, so a flood cannot hide behind one that still has room.
            allowed = [allow(f"registration:{key}", rate) for key, rate in keys]
            if not all(allowed):
                return render(request, "429.html", {"retry_after": 60}, status=429)
        return view(request, *args, **kwargs)

    return wrapped
