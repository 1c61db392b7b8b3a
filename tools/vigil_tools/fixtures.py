"""What the tests that run `vigil run` on the shared broker (tools/ops, tools/public) have in common:
the binary and broker tools/test.sh provides, the marker that skips without them, and the
configuration sections every such test writes the same way."""

from __future__ import annotations

import os

import pytest

BINARY = os.environ.get("VIGIL_BINARY")
BOOTSTRAP = os.environ.get("VIGIL_TEST_BOOTSTRAP")
needs_broker = pytest.mark.skipif(not BINARY or not BOOTSTRAP,
                                  reason="needs VIGIL_BINARY and VIGIL_TEST_BOOTSTRAP (run through tools/test.sh)")

# A test's topic name -> its key in the [topics] section.
_TOPIC_KEYS = {"incidents": "incidents", "alerts": "alerts", "dlq": "dead_letter", "late": "late", "cap": "cap",
               "public": "public"}


def kafka_sections(group: str, topics: dict[str, str], bootstrap: str | None = None) -> str:
    """[kafka] (the test broker, `group`, one partition per topic) and [topics] for each of `topics`
    (keys: incidents, alerts, dlq, late, cap, public)."""
    lines = ["[kafka]", f'bootstrap_servers = "{bootstrap or BOOTSTRAP}"', f'group_id = "{group}"', "topic_partitions = 1",
             "[topics]"]
    lines += [f'{_TOPIC_KEYS[k]} = "{v}"' for k, v in topics.items()]
    return "\n".join(lines) + "\n"


def admin_section(*extra: str) -> str:
    """[admin] on a free loopback port (the test reads it from the log), with `extra` settings."""
    return "\n".join(["[admin]", 'listen = "127.0.0.1:0"', *extra]) + "\n"
