"""The bundled demo company: a policy (field-sales.yaml) and its data (data/*.csv)."""
