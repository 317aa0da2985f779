"""Deployments of hubload's flows: ``prefect.yaml`` for workers, ``serve`` for one box."""
