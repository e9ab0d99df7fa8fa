# The Gigshield project image: Airflow 3 with the DAGs, dbt project, contracts and ingestion code.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/opt/venv UV_LINK_MODE=copy \
    AIRFLOW_HOME=/opt/airflow PATH=/opt/venv/bin:$PATH \
    DBT_SEND_ANONYMOUS_USAGE_STATS=false DO_NOT_TRACK=1 SCARF_ANALYTICS=false SCARF_NO_ANALYTICS=true \
    AIRFLOW__COSMOS__ENABLE_TELEMETRY=False AIRFLOW__USAGE_DATA_COLLECTION__ENABLED=False
# (the line above: no telemetry from dbt, astronomer-cosmos, Scarf or Airflow; see devstack/airflow_home.py)
RUN pip install --no-cache-dir uv==0.13.9 \
 && useradd --create-home --uid 50000 gigshield \
 && mkdir -p /opt/airflow /data && chown gigshield /opt/airflow /data

WORKDIR /opt/gigshield
# Dependencies first: this layer is rebuilt only when the lock changes.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

# What ships, in the order data flows (docs/ARCHITECTURE.md); the development stack (devstack/) stays out.
COPY README.md ./
COPY contracts/ contracts/
COPY config/ config/
COPY core/ core/
COPY ingestion/ ingestion/
COPY expectations/ expectations/
COPY dbt_project/ dbt_project/
COPY transform/ transform/
COPY publication/ publication/
COPY alerts/ alerts/
COPY reports/ reports/
COPY orchestration/ orchestration/
COPY dags/ dags/
# The project itself, installed into the environment (editable: contracts/ and dbt_project/ are read
# from beside the code), so nothing needs PYTHONPATH.
RUN uv sync --frozen --no-dev

USER gigshield
CMD ["airflow", "version"]
