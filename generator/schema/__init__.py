"""Schema validation (issue 3): manifests against Kubernetes JSON Schemas and CRDs, CEL included."""
