# Sourced by the other scripts: where Vigil's local tooling lives.
# VIGIL_ROOT: repository root; VIGIL_VENV: Python venv (broker, librdkafka 2.16, data set).
VIGIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VIGIL_VENV="${VIGIL_VENV:-$VIGIL_ROOT/.venv}"
VIGIL_RUN="${VIGIL_RUN:-$VIGIL_ROOT/.run}"
# librdkafka 2.16 from the confluent-kafka wheel, renamed so the loader finds it as librdkafka.so.1.
# Debian 12's 2.0.2 cannot talk to the local broker (it mis-parses tagged fields).
VIGIL_RDKAFKA_LIB="$VIGIL_VENV/rdkafka-lib"
VIGIL_TANSU="$VIGIL_VENV/bin/tansu"
export PATH="/opt/swift/usr/bin:$PATH"
export LD_LIBRARY_PATH="$VIGIL_RDKAFKA_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export VIGIL_ROOT VIGIL_VENV VIGIL_RUN VIGIL_RDKAFKA_LIB VIGIL_TANSU
