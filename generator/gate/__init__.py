"""The gate: proves a render before anything reaches a cluster (``gitops-gen check``, ``validate``).

Beside the stages, never between them: it reads rendered ``Manifest`` records (or files in
``rendered/``) and returns ``Finding`` records; it writes nothing and imports no stage module
(``load``, ``model``, ``plan``, ``render``, ``write``; an import-linter contract holds it to that).

- ``check``: the runner: scopes (environment, cluster, check), the schema and policy stages, and
  the orchestration of the checks below; ``parallel`` runs whole clusters on every core.
- ``checks``: the cross-resource and integration checks (one cluster, or one environment).
- ``foreign``: files in ``rendered/`` that no environment renders, checked like the rest.
- ``registry``: the one registry of those checks (the runner iterates it).
- ``report``: the output formats, one module each (text, JSON, JUnit, SARIF, GitHub annotations).
"""
