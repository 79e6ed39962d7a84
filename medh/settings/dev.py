"""Local development: DEBUG on, console email, SQLite unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)


def site_url_of(bind: str) -> str:
    """The address runserver serves for a PORT_BIND of ``host:port`` or a bare ``port``."""
    host, _, port = bind.rpartition(":")
    host = host or "127.0.0.1"
    if host in ("0.0.0.0", "::", "[::]"):  # every interface: links point at this machine
        host = "127.0.0.1"
    return f"http://{host}:{port}"


# Links in emails follow the address scripts/demo serves (PORT_BIND) unless SITE_URL is set.
SITE_URL = env("SITE_URL", default=site_url_of(env("PORT_BIND", default="127.0.0.1:8000")))
