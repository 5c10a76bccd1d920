"""The values the commands' options accept, for argparse's ``choices`` and ``--help``.

Building the parser (every command, ``--help`` too) needs these and nothing
else: they are plain strings here so that it loads none of the model code a
command runs. Where the model has an enum of the same values, the command
converts the parsed value to it, and tests/house/test_import_on_use.py
asserts that the two agree.
"""

from __future__ import annotations

# check --format (json, github and gitlab: check_formats; junit: check_junit)
FORMATS = ("text", "json", "github", "junit", "gitlab")

# check --junit-family: the families pytest writes too (see check_junit)
XUNIT2 = "xunit2"
XUNIT1 = "xunit1"
JUNIT_FAMILIES = (XUNIT2, XUNIT1)

# diff --format: the values of model.diff_report.OutputFormat
DIFF_FORMATS = ("text", "markdown", "json", "github")
# diff --fail-on: the values of model.abi_rules.Severity, worst first
DIFF_SEVERITIES = ("breaking", "compatible", "documentation")

# history --format: the values of model.history_report.OutputFormat
HISTORY_FORMATS = ("text", "markdown", "json", "github")
