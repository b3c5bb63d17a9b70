# Opsdeck production image: the `opsdeck` binary, its site folder (wasm, JS,
# CSS) and PostgreSQL (server for the embedded default database, client tools
# for backups), running as an unprivileged user.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos@0.3.10 --locked \
 && cargo install wasm-bindgen-cli@0.2.130 \
 && cargo install wasm-opt@0.116.1 --locked
WORKDIR /src
COPY . .
RUN cargo leptos build --release --precompress

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates postgresql postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /var/lib/opsdeck --shell /usr/sbin/nologin opsdeck
COPY --from=build /src/target/release/opsdeck /usr/local/bin/opsdeck
COPY --from=build /src/target/site /usr/share/opsdeck/site
# The content hashes of the asset names (see server/src/assets.rs).
COPY --from=build /src/target/release/hash.txt /usr/share/opsdeck/site/hash.txt
ENV OPSDECK_ADDR=0.0.0.0:3000 \
    OPSDECK_DATA_DIR=/var/lib/opsdeck \
    LEPTOS_SITE_ROOT=/usr/share/opsdeck/site \
    OPSDECK_LOG_FORMAT=json
USER 10001
WORKDIR /var/lib/opsdeck
VOLUME ["/var/lib/opsdeck"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/opsdeck", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/opsdeck"]
CMD ["serve"]
