# syntax=docker/dockerfile:1
# tailgrant as a container image. The default target is the static (musl) binary alone on an
# empty base with the CA certificates, run as a non-root user:
#   docker run --rm -v "$PWD:/work" ghcr.io/OWNER/tailgrant:VERSION check
# `--target ci` is the same binary on Alpine with a shell and git, for CI systems that run
# scripts inside the image (GitLab CI needs a shell; ci/gitlab/tailgrant.gitlab-ci.yml uses it).
# .github/workflows/image.yml builds both for linux/amd64 and linux/arm64 and publishes them.
ARG RUST_VERSION=1.88
ARG ALPINE_VERSION=3.22

FROM rust:${RUST_VERSION}-alpine AS build
# Versions come with the pinned base image; aws-lc (TLS) and mimalloc are C.
# hadolint ignore=DL3018
RUN apk add --no-cache build-base cmake perl linux-headers ca-certificates
WORKDIR /src
# What the binary is built from, and what cargo needs to read the workspace.
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY sim ./sim
COPY benches ./benches
# Rust's musl targets link statically by default (the runtime stage checks it).
ENV CARGO_TERM_COLOR=never
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo build --release --locked --bin tailgrant \
    && install -D -m 0755 target/release/tailgrant /out/tailgrant \
    && /out/tailgrant --version

FROM alpine:${ALPINE_VERSION} AS ci
# hadolint ignore=DL3018
RUN apk add --no-cache ca-certificates git \
    && addgroup -g 65532 tailgrant \
    && adduser -D -u 65532 -G tailgrant tailgrant
COPY --from=build /out/tailgrant /usr/local/bin/tailgrant
USER 65532:65532
CMD ["tailgrant", "--help"]

FROM scratch AS runtime
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tailgrant /usr/local/bin/tailgrant
# No /etc/passwd in scratch: a numeric user that owns nothing.
USER 65532:65532
WORKDIR /work
# Runs only if the binary needs no libc: the image proves the binary is static.
RUN ["/usr/local/bin/tailgrant", "--version"]
ENTRYPOINT ["/usr/local/bin/tailgrant"]
CMD ["check"]
