"""The demo departments' field mappings (one YAML file per resource or shared by resources
of one source), copied into each agent's configuration folder by the seed."""
