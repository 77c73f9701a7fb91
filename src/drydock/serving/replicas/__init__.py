"""Model-server replicas: the ReplicaBackend port and its local-process implementation."""
