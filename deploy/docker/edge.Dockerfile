# syntax=docker/dockerfile:1
# sipfleet/edge: SIP transport pod: UDP/TCP/TLS/WS sockets, transactions, forking.
# Built from the repository root: docker build -f deploy/docker/edge.Dockerfile -t sipfleet/edge .

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
RUN pnpm --filter @sipfleet/edge deploy --prod /out

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# /livez, /readyz and /metrics on every address (runtime: HEALTH_LISTEN).
ENV HEALTH_LISTEN="0.0.0.0:9090"
# Bound to every address of the container. What the edge writes in Via, Record-Route, Path and
# Contact is SIPFLEET_PUBLIC_ADDRESS (the Service's or load balancer's address): set it, or bind the
# pod IP itself (SIPFLEET_LISTEN from the downward API), so that no wildcard is advertised.
ENV SIPFLEET_LISTEN="udp:0.0.0.0:5060,tcp:0.0.0.0:5060"
WORKDIR /app
COPY --from=deploy --chown=node:node /out /app
# The node image's unprivileged user (uid 1000): nothing here runs as root.
USER node
EXPOSE 5060/udp 5060/tcp 5061/tcp 8080/tcp 8443/tcp 9090/tcp
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["node", "-e", "const [h,p]=(process.env.HEALTH_LISTEN||'0.0.0.0:9090').split(':');fetch('http://'+(h==='0.0.0.0'?'127.0.0.1':h)+':'+p+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
