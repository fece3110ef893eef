FROM node:22-bookworm-slim
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
# Two glibc malloc arenas per process instead of up to 8 per core, as npm start's script and
# scripts/child-memory.ts give the web app and the worker (docs/decisions/0031).
ENV MALLOC_ARENA_MAX=2
COPY package.json package-lock.json ./
COPY scripts/prisma-generate.mjs scripts/
COPY prisma prisma
COPY prisma.config.ts ./
RUN npm ci
COPY . .
RUN npx next build
EXPOSE 3000
CMD ["npm", "start"]
