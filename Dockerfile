# Build stage: a static binary, no cgo.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -ldflags="-s -w" -o /out/wsguard .

# Final stage: distroless static, non-root, nothing but the binary.
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/wsguard /wsguard
USER 65532:65532
ENTRYPOINT ["/wsguard"]
CMD ["serve"]
