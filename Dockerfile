# Build: docker build -t mcp-audioedit .
# Use:   docker run -i --rm -v "$HOME/audio:/data" mcp-audioedit
FROM golang:1.26-bookworm AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends npm >/dev/null
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/mcp-audioedit ./cmd/mcp-audioedit \
 && AUDIOEDIT_MODELS_DIR=/out/models /out/mcp-audioedit models install

FROM debian:bookworm-slim
# The MCP registry checks this label against server.json's name.
LABEL io.modelcontextprotocol.server.name="io.github.mcp-audioedit/mcp-audioedit"
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ffmpeg fonts-dejavu-core fonts-noto-cjk ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/mcp-audioedit /usr/local/bin/mcp-audioedit
COPY --from=build /out/models /opt/mcp-audioedit/models
ENV AUDIOEDIT_MODELS_DIR=/opt/mcp-audioedit/models \
    AUDIOEDIT_DATA_DIR=/data/.mcp-audioedit \
    AUDIOEDIT_OUTPUT_DIR=/data/exports \
    AUDIOEDIT_ROOTS=/data:/tmp
VOLUME /data
ENTRYPOINT ["/usr/local/bin/mcp-audioedit"]
CMD ["stdio"]
