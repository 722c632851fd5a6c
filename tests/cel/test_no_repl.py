"""The tool's processes never load the cel package's REPL, and CEL still evaluates."""

from __future__ import annotations

import subprocess
import sys


def test_a_command_process_does_not_import_the_repl() -> None:
    code = (
        "import sys; import generator.policy, generator.schema.celenv; "
        "from generator.cel import evaluate; "
        "assert evaluate('[1, 2].all(x, x > 0)', {}) is True; "
        "print(sorted(m for m in sys.modules if m.startswith(('prompt_toolkit', 'rich'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
