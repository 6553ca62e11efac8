# authentik-bootstrap: one-shot container that provisions authentik for NetBird & co.
#
# Build stage: install, type-check, bundle the entry point (esbuild: main.js with the small chunks it shares,
# and chunks read only to run configure.sh). The runtime stage then carries no node_modules: measured, the bundle is ~0.4 MB against ~45 MB
# of production node_modules, and it starts faster.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: the npm package `node` (Node 24 for hosts whose system Node is older) is not needed here.
RUN npm ci --no-audit --no-fund --ignore-scripts && node node_modules/esbuild/install.js
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.ts ./scripts/bundle.ts
COPY src ./src
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json --noEmit && node scripts/bundle.ts

# Runtime: what NetBird's configure.sh needs (bash, curl, jq, envsubst, openssl) and nothing more, plus htpasswd
# (apache2-utils, ~1.5 MB) that openZro's configure.sh uses to hash the Dex admin password it generates (without
# it the script falls back to `docker run`, fails silently and writes an empty hash).
FROM node:24-bookworm-slim
# The image label's version: package.json's (the bundle reports the same with --version; a test keeps them equal).
# The release workflow (.github/workflows/release.yml) passes the tag's version, which must equal package.json's,
# and adds created/revision labels.
ARG VERSION=0.2.0
LABEL org.opencontainers.image.title="authentik-bootstrap" \
      org.opencontainers.image.description="Waits for authentik, provisions the OAuth2 provider, application, service account and device flow NetBird (and openZro, Firezone) need, writes their setup.env, exits." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/authentik-bootstrap/authentik-bootstrap" \
      org.opencontainers.image.url="https://github.com/authentik-bootstrap/authentik-bootstrap/pkgs/container/authentik-bootstrap" \
      org.opencontainers.image.documentation="https://github.com/authentik-bootstrap/authentik-bootstrap#readme"
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash curl jq gettext-base openssl ca-certificates apache2-utils \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*
WORKDIR /app
COPY --from=build /app/dist-bundle/ /app/dist/
COPY package.json /app/package.json
RUN mkdir -p /output /app/compile-cache && chown node:node /output /app/compile-cache
ENV NODE_ENV=production OUTPUT_DIR=/output
VOLUME /output
USER node
# V8's compiled code of the bundle's start, made here once (--version loads every module it imports) instead of
# on every run: about 10 ms and 2 MB less per start. Node keys the cache by its version and the user's uid: this
# is uid 1000, as the image and the Kubernetes Job run; under another uid it is not used and nothing else changes.
ENV NODE_COMPILE_CACHE=/app/compile-cache
RUN node /app/dist/main.js --version > /dev/null
ENTRYPOINT ["node", "/app/dist/main.js"]
