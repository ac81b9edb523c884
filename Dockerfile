# teleport-pagerduty as a container: a compiled single binary on distroless, running as non-root
# (uid and gid 65532), so the mounted config and credentials must be readable by 65532 (README,
# section Docker):
#
#   docker build -t teleport-pagerduty .
#   docker run --rm -v /path/to/teleport-pagerduty.toml:/etc/teleport-pagerduty.toml:ro \
#     -v /path/to/identity:/var/lib/teleport/plugins/pagerduty/auth_id:ro teleport-pagerduty
#
# Multi-arch: `docker buildx build --platform linux/amd64,linux/arm64 .` (each platform compiles
# natively, so each gets its own denort).

# ---- build: the pinned Deno from npm, production dependencies only, then deno compile --------
FROM node:20-bookworm-slim AS build
ARG DENO_VERSION=2.9.6
ARG GIT_REF=docker
# Deno lives outside /src so `deno compile` never embeds it.
RUN npm install --no-save --no-audit --no-fund --prefix /opt/deno "deno@${DENO_VERSION}"
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY deno.json main.ts ./
COPY src ./src
COPY scripts ./scripts
RUN sed -i "s/^export const GIT_REF = \".*\";$/export const GIT_REF = \"${GIT_REF}\";/" src/version.ts \
 && /opt/deno/node_modules/.bin/deno run --allow-run --allow-read --allow-write --allow-env \
      scripts/compile.ts --output /out/teleport-pagerduty

# ---- runtime: glibc + libgcc only (what denort needs), uid 65532 -----------------------------
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/teleport-pagerduty /usr/local/bin/teleport-pagerduty
USER nonroot:nonroot
# The config is read from /etc/teleport-pagerduty.toml (mount it); credentials are typically
# mounted under /var/lib/teleport/plugins/pagerduty/.
ENTRYPOINT ["/usr/local/bin/teleport-pagerduty"]
CMD ["start"]
