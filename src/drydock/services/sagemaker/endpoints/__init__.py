"""SageMaker Endpoints: Create, Describe, List, Update, UpdateEndpointWeightsAndCapacities, Delete."""
