# syntax=docker/dockerfile:1
# sipfleet/admin: the Admin API (HTTP/JSON, bearer tokens) over the location service.
# Built from the repository root: docker build -f deploy/docker/admin.Dockerfile -t sipfleet/admin .

ARG NODE_IMAGE=node:20-slim
ARG PNPM_VERSION=12.21.0

# --- build: the whole workspace, compiled -------------------------------------------------------
FROM ${NODE_IMAGE} AS build
ARG PNPM_VERSION
RUN npm install --global --no-audit --no-fund pnpm@${PNPM_VERSION}
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

# --- deploy: the service with its production dependencies only ----------------------------------
# `pnpm deploy --prod` copies the package (its dist/) and installs its dependencies, workspace
# packages included, without any devDependencies (typescript, @sipfleet/testing, ...).
FROM build AS deploy
RUN pnpm --filter @sipfleet/admin deploy --prod /out

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# /livez, /readyz and /metrics on every address (runtime: HEALTH_LISTEN).
ENV HEALTH_LISTEN="0.0.0.0:9090"
# Plain HTTP: put TLS (an ingress) in front of it. Tokens: ADMIN_TOKENS or ADMIN_TOKENS_FILE (a mounted Secret).
ENV ADMIN_LISTEN="0.0.0.0:8080"
WORKDIR /app
COPY --from=deploy --chown=node:node /out /app
# The node image's unprivileged user (uid 1000): nothing here runs as root.
USER node
EXPOSE 8080/tcp 9090/tcp
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["node", "-e", "const [h,p]=(process.env.HEALTH_LISTEN||'0.0.0.0:9090').split(':');fetch('http://'+(h==='0.0.0.0'?'127.0.0.1':h)+':'+p+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
