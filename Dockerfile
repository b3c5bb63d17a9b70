# Opsdeck production image: the `opsdeck` binary, its site folder (wasm, JS,
# CSS) and PostgreSQL (server for the embedded default database, client tools
# for backups), running as an unprivileged user.
#
#   docker build -t opsdeck .                    compiles from source (default)
#   docker build --target runtime -t opsdeck .   takes target/release/opsdeck,
#       target/release/hash.txt and target/site from `scripts/build`
#       (scripts/build-site, then the release server) instead
#
# The base images are build arguments, so an image made locally (see
# scripts/base-image) can stand in where no registry is reachable.
# BuildKit (the default builder since Docker 23) builds only the stages a
# target needs. The legacy builder builds every stage before its target:
# the `runtime` target works with it (the from-source stages come after it),
# the default target only where the release build exists.

ARG BUILD_IMAGE=rust:1.95-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

# What every final image holds besides Opsdeck itself.
FROM ${RUNTIME_IMAGE} AS runtime-base
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/opsdeck --shell /usr/sbin/nologin opsdeck
ENV OPSDECK_ADDR=0.0.0.0:3000 \
    OPSDECK_DATA_DIR=/var/lib/opsdeck \
    LEPTOS_SITE_ROOT=/usr/share/opsdeck/site \
    OPSDECK_LOG_FORMAT=json
WORKDIR /var/lib/opsdeck
VOLUME ["/var/lib/opsdeck"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/opsdeck", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/opsdeck"]
CMD ["serve"]

# A release build made outside Docker, taken from the build context.
FROM runtime-base AS runtime
COPY target/release/opsdeck /usr/local/bin/opsdeck
COPY target/site /usr/share/opsdeck/site
# The content hashes of the asset names (see server/src/assets.rs).
COPY target/release/hash.txt /usr/share/opsdeck/site/hash.txt
USER 10001

# From source: the pinned Leptos tools, then the release build.
FROM ${BUILD_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos@0.3.10 --locked \
 && cargo install wasm-bindgen-cli@0.2.130 \
 && cargo install wasm-opt@0.116.1 --locked
WORKDIR /src
COPY . .
RUN scripts/build

# The default target (last stage): the image built from source.
FROM runtime-base AS source
COPY --from=build /src/target/release/opsdeck /usr/local/bin/opsdeck
COPY --from=build /src/target/site /usr/share/opsdeck/site
COPY --from=build /src/target/release/hash.txt /usr/share/opsdeck/site/hash.txt
USER 10001
