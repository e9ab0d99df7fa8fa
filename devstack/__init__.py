"""Development only, never in the image: the embedded Kafka broker, the synthetic agencies, the one-command
nightly runner (python -m devstack.run_nightly) and the Airflow home it uses."""
