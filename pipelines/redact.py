"""Credentials out of everything contentpipe writes down: URLs may carry `user:password@`
(a crawl source behind basic auth, an S3 endpoint with keys in it), and none of it may reach a
record, a reject, a manifest, a log line or an error message. No third-party imports: records
and errors use it everywhere.
"""

from __future__ import annotations

import os
import re
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["credentials_to_environment", "redact", "split_credentials"]

# `scheme://user:password@` in any text: the userinfo part of every URL in it.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]*@")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it removed, for anything logged, stored or
    shown (records, rejects, manifests, errors).

    >>> redact("cannot fetch http://ann:s3cret@example.com/a (timeout)")
    'cannot fetch http://example.com/a (timeout)'
    """
    return _USERINFO.sub(r"\1", text) if "@" in text else text


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without its userinfo, and the (user, password) it held. `${NAME}` in either is
    taken from the environment, so that a source can name credentials without holding them
    (a flow run's parameters are stored by Prefect as given).

    >>> split_credentials("https://ann:p%40ss@example.com:8443/a?b=1")
    ('https://example.com:8443/a?b=1', ('ann', 'p@ss'))
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")

    def expand(value: str) -> str:
        def env(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ValueError(
                    f"${{{name}}} in a URL's credentials is not set in the environment"
                )
            return os.environ[name]

        return _PLACEHOLDER.sub(env, unquote(value))

    bare = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return bare, (expand(user), expand(password))


def credentials_to_environment(url: str, name: str) -> str:
    """A URL's literal credentials moved into this process's environment (`<name>_USER`,
    `<name>_PASS`) and replaced by `${...}` placeholders, which `split_credentials` expands:
    what is handed on (a flow run's parameters, which Prefect stores) names them only.

    >>> credentials_to_environment("https://ann:pw@example.com/", "LOGIN_0")
    'https://${LOGIN_0_USER}:${LOGIN_0_PASS}@example.com/'
    >>> os.environ["LOGIN_0_PASS"]
    'pw'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc or "${" in parts.netloc:
        return url
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    os.environ[f"{name}_USER"], os.environ[f"{name}_PASS"] = unquote(user), unquote(password)
    netloc = f"${{{name}_USER}}:${{{name}_PASS}}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
