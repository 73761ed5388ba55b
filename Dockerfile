# Veil for production: a ClickHouse server is required (CLICKHOUSE_URL); the embedded engine
# (chdb, an optional dependency of ~500 MB) is not in the image.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY sdk ./sdk
COPY scripts ./scripts
RUN npm run build && npm run build:sdk

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    APPS_FILE=/config/apps.json \
    PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/sdk/browser/dist ./sdk/browser/dist
COPY sql ./sql
RUN mkdir -p /config && chown node:node /config
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
