"""Login throttling with its counts in Redis (``REDIS_URL``: Django's RedisCache and
``accounts.security.CachedLoginThrottleHandler``), against the local Redis: the throttle
tests of tests/test_security.py run again with the cache handler, no failed login writes a
database row, and with Redis down logins still work and are counted in the database.
"""

from __future__ import annotations

import os

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.core.cache import caches
from django.test import Client

from tests.support import TEST_PASSWORD
from tests.test_security import (  # noqa: F401  (collected again here, with the cache handler)
    LIMIT,
    assert_html_locked,
    assert_html_refused,
    html_login,
    test_a_lockout_stops_only_that_account_from_that_address,
    test_a_success_on_ones_own_account_does_not_clear_the_address_count,
    test_api_login_locks_after_the_limit_with_the_envelope,
    test_html_login_locks_after_the_limit_even_for_the_right_password,
    test_one_address_trying_many_accounts_is_locked_out,
    user,
)

# A Redis database per xdist worker (10-15; the queue tests use 9, the soak 8): each test
# empties its own, and two workers must not empty each other's in the middle of a test.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
REDIS_URL = f"redis://127.0.0.1:6379/{10 + int(_WORKER or 0) % 6}"


def use_cache_throttle(settings, location: str) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"medh-test-{os.getpid()}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.AXES_CACHE = "default"
    settings.AXES_HANDLER = "accounts.security.CachedLoginThrottleHandler"
    AxesProxyHandler.get_implementation(force=True)


@pytest.fixture(autouse=True)
def redis_throttle(request, settings):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        if os.environ.get("MEDH_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"MEDH_REQUIRE_POSTGRES=1 but Redis does not answer at {REDIS_URL}")
        pytest.skip(f"needs Redis at {REDIS_URL}")
    use_cache_throttle(settings, REDIS_URL)
    caches["default"].clear()
    yield
    use_cache_throttle(settings, REDIS_URL)
    caches["default"].clear()
    settings.AXES_HANDLER = "accounts.security.LoginThrottleHandler"
    AxesProxyHandler.get_implementation(force=True)


def test_failed_logins_are_counted_in_redis_not_in_the_database(user):  # noqa: F811
    client = Client()
    for _ in range(LIMIT - 1):
        assert_html_refused(html_login(client, user.email, "wrong-password"))
    assert_html_locked(html_login(client, user.email, "wrong-password"))
    assert_html_locked(html_login(client, user.email, TEST_PASSWORD))
    assert AccessAttempt.objects.count() == 0


def test_with_redis_down_logins_work_and_are_throttled_in_the_database(user, settings):  # noqa: F811
    use_cache_throttle(settings, "redis://127.0.0.1:1/0")  # nothing listens there
    client = Client()
    for _ in range(LIMIT - 1):
        assert_html_refused(html_login(client, user.email, "wrong-password"))
    assert AccessAttempt.objects.filter(username=user.email).exists()
    assert_html_locked(html_login(client, user.email, "wrong-password"))
    assert_html_locked(html_login(client, user.email, TEST_PASSWORD))
    assert html_login(Client(), user.email, TEST_PASSWORD, ip="10.0.0.9").status_code == 302
