"""Render vigil(1) from the argument parser's own description of the command line.

swift-argument-parser prints every command, option, flag, default and help text as JSON with
``vigil --experimental-dump-help`` (its ToolInfo format, the input of its own generate-manual
plugin). Rendering that JSON keeps the man page identical to ``vigil --help`` without building
the plugin (one more Swift build on a two-core CI machine) and without a second copy of the help.

    python -m tools.vigil_tools.manpage --binary .build/release/vigil --version 0.1.0 > vigil.1
    python -m tools.vigil_tools.manpage --dump dump.json --version 0.1.0 --date 2026-12-01

The date defaults to SOURCE_DATE_EPOCH (reproducible builds), else today.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from typing import Any

SEE_ALSO = "systemctl(1), journalctl(1), systemd.exec(5), systemd-sysusers(8)"
FILES = [
    ("/etc/vigil/vigil.toml", "The configuration (a dpkg conffile). Every key with its default and meaning is commented in it."),
    ("/etc/vigil/credentials/", "Secrets, readable by root only; systemd hands them to the service as credentials (LoadCredential=)."),
    ("/usr/share/vigil/models/", "The shipped near-repeat risk models; model.path points here."),
    ("/usr/share/vigil/schemas/", "JSON Schemas of incidents and alerts, and the OASIS CAP 1.2 XML schema."),
    ("/lib/systemd/system/vigil.service", "The hardened systemd unit; override with systemctl edit vigil."),
    ("/usr/share/doc/vigil/", "README, OPERATIONS (configuration, reload, metrics, security) and examples."),
]


def escape(text: str) -> str:
    """Escapes roff: backslashes, and a leading '.' or '\\'' that would start a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def option_synopsis(arg: dict[str, Any]) -> str:
    """``\\fB\\-\\-config\\fR, \\fB\\-c\\fR \\fIconfig\\fR`` for one argument, as --help shows it."""
    if arg["kind"] == "positional":
        return f"\\fI{escape(arg.get('valueName') or arg['preferredName']['name'])}\\fR"
    names = []
    for name in arg.get("names", []):
        dashes = {"long": "--", "short": "-", "longWithSingleDash": "-"}[name["kind"]]
        names.append(f"\\fB{escape(dashes + name['name'])}\\fR")
    text = ", ".join(names)
    if arg["kind"] == "option":
        text += f" \\fI{escape(arg.get('valueName') or arg['preferredName']['name'])}\\fR"
    return text


def usage(path: list[str], command: dict[str, Any]) -> str:
    """One synopsis line: the command path, then each argument (optional ones in brackets)."""
    parts = [f"\\fB{escape(' '.join(path))}\\fR"]
    for arg in command.get("arguments", []):
        if not arg.get("shouldDisplay", True) or arg["kind"] == "flag" and arg["preferredName"]["name"] in ("help", "version"):
            continue
        if arg["kind"] == "positional":
            piece = option_synopsis(arg)
        else:
            first = arg["preferredName"]
            dashes = {"long": "--", "short": "-", "longWithSingleDash": "-"}[first["kind"]]
            piece = f"\\fB{escape(dashes + first['name'])}\\fR"
            if arg["kind"] == "option":
                piece += f" \\fI{escape(arg.get('valueName') or first['name'])}\\fR"
        if arg.get("isRepeating"):
            piece += " ..."
        if arg.get("isOptional", False):
            piece = f"[{piece}]"
        parts.append(piece)
    if command.get("subcommands"):
        parts.append("\\fIsubcommand\\fR")
    return " ".join(parts)


def describe_arguments(command: dict[str, Any]) -> list[str]:
    """A tagged paragraph per argument: names, help text, discussion, default and allowed values."""
    out: list[str] = []
    for arg in command.get("arguments", []):
        if not arg.get("shouldDisplay", True):
            continue
        out += [".TP", option_synopsis(arg)]
        body = arg.get("abstract") or ""
        if arg.get("discussion"):
            body += ("\n" if body else "") + arg["discussion"]
        if arg.get("allValues"):
            body += f" (values: {', '.join(arg['allValues'])})"
        if arg.get("defaultValue") not in (None, ""):
            body += f" (default: {arg['defaultValue']})"
        out.append(escape(body.strip()) or "\\&")
    return out


def render(dump: dict[str, Any], version: str, date: str) -> str:
    """The whole page: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, one COMMANDS entry per subcommand, FILES, SEE ALSO."""
    root = dump["command"]
    name = root["commandName"]
    out = [
        f'.\\" Generated from `{name} --experimental-dump-help` by tools/vigil_tools/manpage.py; do not edit.',
        f'.TH {name.upper()} 1 "{date}" "{escape(name)} {escape(version)}" "User Commands"',
        ".SH NAME",
        f"{escape(name)} \\- {escape(root.get('abstract', ''))}",
        ".SH SYNOPSIS",
        usage([name], root),
    ]
    for sub in root.get("subcommands", []):
        if sub["commandName"] == "help":
            continue
        out += [".br", usage([name, sub["commandName"]], sub)]
    out += [".SH DESCRIPTION", escape(root.get("abstract", ""))]
    if root.get("discussion"):
        out += [".PP", escape(root["discussion"])]
    out += [".SH OPTIONS", *describe_arguments(root), ".SH COMMANDS"]
    for sub in root.get("subcommands", []):
        if sub["commandName"] == "help":
            continue
        out += [".SS " + escape(f"{name} {sub['commandName']}"), escape(sub.get("abstract", ""))]
        if sub.get("discussion"):
            out += [".PP", escape(sub["discussion"])]
        out += describe_arguments(sub)
    out += [".SH EXIT STATUS", "0 on success; 78 (EX_CONFIG) when the configuration is invalid, with a message naming the key and the fix; 1 on other errors."]
    out += [".SH FILES"]
    for path, text in FILES:
        out += [".TP", f"\\fI{escape(path)}\\fR", escape(text)]
    out += [".SH SEE ALSO", escape(SEE_ALSO), ""]
    return "\n".join(out)


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%d")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--binary", help="vigil binary to ask (runs BINARY --experimental-dump-help)")
    source.add_argument("--dump", help="a saved --experimental-dump-help JSON file")
    parser.add_argument("--version", required=True, help="version shown in the page footer")
    parser.add_argument("--date", default=None, help="YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)")
    args = parser.parse_args(argv)
    if args.binary:
        text = subprocess.run([args.binary, "--experimental-dump-help"], check=True, capture_output=True, text=True).stdout
    else:
        with open(args.dump, encoding="utf-8") as f:
            text = f.read()
    sys.stdout.write(render(json.loads(text), args.version, args.date or build_date()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
