# The ekino binary for the production shape (docker-compose.yml).
FROM rust:1.88-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin ekino

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/ekino /usr/local/bin/ekino
COPY --from=build /src/rebate-engine/programmes /usr/share/ekino/programmes
ENTRYPOINT ["ekino"]
