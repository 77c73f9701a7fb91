"""SageMaker EndpointConfigs: Create, Describe, List, Delete."""
