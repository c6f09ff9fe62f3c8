# syntax=docker/dockerfile:1
# One image, three processes (bot, worker, signer); fly.toml picks the command per process group.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts/db ./scripts/db
# postinstall generates the Prisma client offline (no engine download). `npm install` rather than
# `npm ci`: see .ci/run (the lock cannot list optional builds the registry does not have).
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run typecheck && npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 3000 8787
# Overridden per process group; the bot is the default.
CMD ["node", "dist/bot/main.js"]
