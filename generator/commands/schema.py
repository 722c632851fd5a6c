"""``gitops-gen schema``: print the environment-file JSON Schema (for editors and CI)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from generator.load import env_schema

NAME = "schema"
HELP = "Print the JSON Schema of environments/*.yaml."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the schema is a single document."""


def run(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    stdout.write(json.dumps(env_schema(), indent=2) + "\n")
    return 0
