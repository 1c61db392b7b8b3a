"""vigil(1) rendering from ArgumentParser's ToolInfo JSON: every command and visible argument appears,
roff control characters are escaped, and groff reads the result without warnings."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tools.vigil_tools.manpage import escape, render

DUMP = {
    "serializationVersion": 0,
    "command": {
        "commandName": "vigil",
        "abstract": "Real-time incident analytics.",
        "arguments": [
            {"kind": "flag", "names": [{"kind": "long", "name": "version"}], "preferredName": {"kind": "long", "name": "version"},
             "isOptional": True, "isRepeating": False, "shouldDisplay": True, "abstract": "Show the version."},
            {"kind": "flag", "names": [{"kind": "short", "name": "h"}, {"kind": "long", "name": "help"}],
             "preferredName": {"kind": "long", "name": "help"}, "isOptional": True, "isRepeating": False,
             "shouldDisplay": True, "abstract": "Show help information."},
        ],
        "subcommands": [
            {
                "commandName": "check-config",
                "abstract": "Validate a configuration file.",
                "discussion": ".starts with a dot\\and a backslash",
                "arguments": [
                    {"kind": "option", "names": [{"kind": "short", "name": "c"}, {"kind": "long", "name": "config"}],
                     "preferredName": {"kind": "long", "name": "config"}, "valueName": "config", "isOptional": False,
                     "isRepeating": False, "shouldDisplay": True, "abstract": "Path to the TOML configuration file."},
                    {"kind": "option", "names": [{"kind": "long", "name": "secret-knob"}],
                     "preferredName": {"kind": "long", "name": "secret-knob"}, "valueName": "x", "isOptional": True,
                     "isRepeating": False, "shouldDisplay": False, "abstract": "Hidden."},
                ],
            },
            {
                "commandName": "replay",
                "abstract": "Backtest on history.",
                "arguments": [
                    {"kind": "option", "names": [{"kind": "long", "name": "input"}], "preferredName": {"kind": "long", "name": "input"},
                     "valueName": "input", "isOptional": False, "isRepeating": True, "shouldDisplay": True,
                     "abstract": "CSV input.", "defaultValue": "train.csv"},
                    {"kind": "option", "names": [{"kind": "long", "name": "format"}], "preferredName": {"kind": "long", "name": "format"},
                     "valueName": "format", "isOptional": True, "isRepeating": False, "shouldDisplay": True,
                     "abstract": "Output format.", "allValues": ["json", "logfmt"]},
                ],
            },
            {"commandName": "help", "abstract": "Show subcommand help information.", "arguments": []},
        ],
    },
}


def test_every_subcommand_and_visible_option_is_documented():
    page = render(DUMP, "0.1.0", "2026-12-01")
    assert '.TH VIGIL 1 "2026-12-01" "vigil 0.1.0"' in page
    assert ".SS vigil check\\-config" in page and ".SS vigil replay" in page
    assert "\\fB\\-c\\fR, \\fB\\-\\-config\\fR \\fIconfig\\fR" in page
    assert "(default: train.csv)" in page and "(values: json, logfmt)" in page
    assert "\\fB\\-\\-input\\fR \\fIinput\\fR ..." in page  # repeating, required: no brackets
    assert "[\\fB\\-\\-format\\fR \\fIformat\\fR]" in page    # optional: brackets
    assert "secret" not in page                              # shouldDisplay false
    assert ".SS vigil help" not in page


def test_roff_control_characters_are_escaped():
    assert escape(".x") == "\\&.x"
    assert escape("'x") == "\\&'x"
    assert escape("a\\b-c") == "a\\eb\\-c"
    page = render(DUMP, "0.1.0", "2026-12-01")
    assert "\\&.starts with a dot\\eand a backslash" in page


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff missing")
def test_groff_reads_the_page_without_warnings():
    page = render(DUMP, "0.1.0~git1.gabc", "2026-12-01")
    result = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z"], input=page, capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr == "", result.stderr
