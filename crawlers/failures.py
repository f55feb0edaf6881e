"""Scrapy failures as one line a person can act on."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.python.failure import Failure

from crawlers.netpolicy import RefusedByNetworkPolicy
from whirlpool.settings import CollectSettings


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def describe_failure(failure: Failure, url: str, collect: CollectSettings) -> str:
    exc = failure.value
    if isinstance(exc, RefusedByNetworkPolicy):
        return str(exc)
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status} from {url}"
    if isinstance(exc, DownloadTimeoutError | TimeoutError | TCPTimedOutError):
        return f"timed out after {collect.timeout_seconds:g} s"
    if isinstance(exc, DownloadCancelledError) or "max size" in str(exc) or "maxsize" in str(exc):
        return f"response over {_megabytes(collect.max_response_bytes)} limit"
    if isinstance(exc, IgnoreRequest):
        message = str(exc)
        if "robots.txt" in message:
            return f"robots.txt disallows {url}"
        if "redirect" in message:
            return f"redirect loop after {collect.max_redirects} redirects"
        if "size" in message:
            return f"response over {_megabytes(collect.max_response_bytes)} limit"
        return f"request dropped: {message}"
    if isinstance(exc, DNSLookupError | CannotResolveHostError):
        return f"cannot resolve host of {url}"
    if isinstance(exc, ConnectionRefusedError | DownloadConnectionRefusedError):
        return f"connection refused by {url}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__} fetching {url}" + (f": {text}" if text else "")
