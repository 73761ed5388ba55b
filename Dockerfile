# syntax=docker/dockerfile:1
# Veil for production: a ClickHouse server is required (CLICKHOUSE_URL); the embedded engine
# (chdb, an optional dependency of ~500 MB) is not in the image.
# test/release/docker.test.ts runs this file's COPY and RUN steps outside Docker, in order.

# Build stage: the full install. TypeScript's and esbuild's native binaries are optional
# dependencies of theirs, so --omit=optional here would break `npm run build:sdk`.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY sdk ./sdk
COPY scripts ./scripts
RUN npm run build && npm run build:sdk

# Runtime stage: production dependencies only, without the optional embedded engine.
FROM node:20-bookworm-slim
# VEIL_CLI: the server's messages name `veil ...`, which bin/ on PATH provides here.
# UV_THREADPOOL_SIZE: the spool's writes and syncs share Node's thread pool (4 threads unless
# told) with the feeder's reads; docs/operations.md, "Thread pool".
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=16 \
    APPS_FILE=/config/apps.json \
    DATA_DIR=/data \
    PORT=8080 \
    VEIL_CLI=veil \
    PATH=/app/bin:$PATH
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --omit=optional --no-audit --no-fund
COPY --from=build /app/dist ./dist
COPY --from=build /app/sdk/browser/dist ./sdk/browser/dist
COPY sql ./sql
COPY bin ./bin
# The apps file and the data directory (the write-ahead spool with WRITE_MODE=spool) belong to
# the user Veil runs as; mount volumes over both.
RUN mkdir -p /config /data && chown node:node /config /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
