"""Cross-resource and integration checks: what no single-document policy can see.

Each check is a small pure generator of ``Finding`` records over a ``ClusterView`` (one cluster)
or an ``EnvView`` (every cluster of one environment), registered under the name its findings carry
in ``Finding.rule``. ``cluster`` holds the views and the core cluster checks; the other modules
group checks by concern (Argo CD, the mesh, request paths, secrets, topology, chart values…).
"""
