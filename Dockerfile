# The Whirlpool image the Airflow services run: Airflow 3.3.2 (the version pinned in pyproject.toml)
# with the project and its pinned dependencies installed, and the DAGs baked in (compose mounts ./dags
# over them for development).
#
#   docker build -t whirlpool-airflow .
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11
FROM ${AIRFLOW_IMAGE}

USER root
RUN mkdir -p /opt/whirlpool/src /opt/whirlpool/config /opt/whirlpool/data /opt/airflow/auth \
    && chown -R airflow:root /opt/whirlpool /opt/airflow/auth
USER airflow

# Dependencies first (cached while only the code changes). Keeping apache-airflow at the image's
# version stops pip from up- or downgrading Airflow itself.
COPY --chown=airflow:root pyproject.toml README.md /opt/whirlpool/src/
COPY --chown=airflow:root whirlpool /opt/whirlpool/src/whirlpool
COPY --chown=airflow:root crawlers /opt/whirlpool/src/crawlers
COPY --chown=airflow:root processing /opt/whirlpool/src/processing
COPY --chown=airflow:root indexing /opt/whirlpool/src/indexing
COPY --chown=airflow:root alerting /opt/whirlpool/src/alerting
# whirlpool/defaults/*.yaml link to config/*.yaml: the build copies them into the package.
COPY --chown=airflow:root config /opt/whirlpool/src/config
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" "/opt/whirlpool/src[airflow]"

COPY --chown=airflow:root config /opt/whirlpool/config
COPY --chown=airflow:root dags /opt/airflow/dags

ENV WHIRLPOOL_CONFIG_DIR=/opt/whirlpool/config \
    WHIRLPOOL_DATA_DIR=/opt/whirlpool/data \
    AIRFLOW__CORE__LOAD_EXAMPLES=false
