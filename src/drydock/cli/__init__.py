"""The ``drydock`` command: runs the server, and otherwise talks to one through boto3 like any user."""
