# K2S: one image for every role (k2s all | node | admin), compiled to plain JavaScript: tsx's
# module hooks would cost each process about 20 MB of RSS and its compile time at every start.
FROM node:20-bookworm-slim AS build
WORKDIR /opt/k2s
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/install-locked.sh scripts/same-locked-versions.mjs ./scripts/
RUN bash scripts/install-locked.sh
COPY src ./src
COPY workers ./workers
COPY api ./api
COPY bin ./bin
COPY dashboards ./dashboards
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /opt/k2s
COPY package.json package-lock.json ./
COPY scripts/install-locked.sh scripts/same-locked-versions.mjs ./scripts/
RUN bash scripts/install-locked.sh --omit=dev
COPY --from=build /opt/k2s/dist ./dist
# The admin listens on loopback by default; a container's loopback is its own, so here every interface.
ENV NODE_ENV=production K2S_ADMIN_HOST=0.0.0.0
# V8 starts the old generation small and, with the little a node keeps live, collects it every 10 MB or
# so of promoted objects: 30 full collections per million rows in a fetcher or loader. Starting it at
# 128 MB leaves 7 and takes 11-22% off their CPU, for 8-30 MB more RSS (docs/benchmarks.md).
ENTRYPOINT ["node", "--enable-source-maps", "--initial-old-space-size=128", "dist/bin/main.js"]
CMD ["all"]
