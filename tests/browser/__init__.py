"""Tests in a real browser: Debian's Chromium driven by Playwright, with axe-core checking each page.

The package also holds `Browser`, the in-process test client that keeps cookies and sends the CSRF
token as a page would (tests/browser/client.py); it is exported here because the rest of the suite
imports it as `from tests.browser import Browser`.
"""

from tests.browser.client import Browser

__all__ = ["Browser"]
