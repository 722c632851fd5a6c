"""The offline Kyverno engine (issue 4): policies + resources → per-rule results, as real Kyverno."""
