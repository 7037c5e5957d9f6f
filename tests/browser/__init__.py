"""Browser tests: the running app in headless Chromium (Debian's package) driven by Playwright."""
