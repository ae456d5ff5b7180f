# K2S: one image for every role (k2s all | node | admin). Runs the TypeScript sources with tsx.
FROM node:20-bookworm-slim
WORKDIR /opt/k2s
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY api ./api
COPY dashboards ./dashboards
ENV NODE_ENV=production
ENTRYPOINT ["node", "bin/k2s.mjs"]
CMD ["all"]
