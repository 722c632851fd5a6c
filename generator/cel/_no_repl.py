"""Keep the cel package's interactive REPL out of every command's start-up.

``common-expression-language``'s ``cel/__init__.py`` imports ``cel.cli`` (a REPL built on
prompt_toolkit and rich): about 150-300 ms of each ``gitops-gen`` process, for code the tool never
runs. A placeholder module under that name, registered before the package is first imported (this
module is ``generator.cel``'s first import), makes the package skip it; the evaluator
(``cel.cel``) and ``cel.stdlib`` are untouched. ``tests/cel/test_no_repl.py`` checks both.
"""

from __future__ import annotations

import sys
import types

sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))
