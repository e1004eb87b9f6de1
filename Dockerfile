# tandem in a container: Debian bookworm and Debian packages only (as scripts/install-deps.sh).
#   docker build -t tandem .
#   docker run --rm -v "$PWD:/work" tandem --db "postgres://app@db.internal/app" status
# The build stage compiles a Release build; the runtime stage holds the shared libraries the
# binary links and the binary (tests/install/dockerfile_test.sh keeps the two lists honest).

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libpq-dev libsqlite3-dev libpg-query-dev libyaml-cpp-dev nlohmann-json3-dev \
      libsimdjson-dev libcli11-dev libfmt-dev libssl-dev \
      libboost1.81-dev libjq-dev prometheus-cpp-dev libprotoc-dev libxxhash-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DTANDEM_WERROR=OFF -DTANDEM_TESTS=OFF \
      -DTANDEM_LAYER_CHECK=OFF \
 && cmake --build build -j"$(nproc)" \
 && cmake --install build --prefix /opt/tandem --strip

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpq5 libsqlite3-0 libpg-query1504.0 libyaml-cpp0.7 libfmt9 libsimdjson14 libssl3 \
      libjq1 libprometheus-cpp-core1.0 libprotoc32 libxxhash0 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 tandem
COPY --from=build /opt/tandem/bin/tandem /usr/local/bin/tandem
USER tandem
WORKDIR /work
ENTRYPOINT ["tandem"]
CMD ["--help"]
