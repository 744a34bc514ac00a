#!/usr/bin/env bash
# Regenerates docs/images/console-*.png: the console's browser test walks every page of a small demo's fleet in Debian's
# chromium (tests/M2MSec.Tests/Browser/ConsoleBrowserTests.cs) and, with M2MSEC_CONSOLE_SCREENSHOTS set, saves each page here.
# Needs chromium, chromium-driver and libnss3-tools (./test.sh installs them when run as root).
set -euo pipefail
cd "$(dirname "$0")/../.."
M2MSEC_CONSOLE_SCREENSHOTS="$PWD/docs/images" M2MSEC_REQUIRE_TOOLS=1 \
  dotnet test tests/M2MSec.Tests -c Release --filter "FullyQualifiedName~ConsoleBrowserTests.Every_page_renders"
ls -l docs/images/console-*.png
