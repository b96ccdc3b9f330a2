# Herald's container image: the static binary alone, FROM scratch, so that
# nothing is pulled at build or run time. Build it with `make image`, which
# compiles bin/image/herald (CGO_ENABLED=0) and uses bin/image/ as the
# context.
FROM scratch
COPY herald /herald
# The main listener (every system under its path, and the control API), and
# the listeners systems have of their own.
EXPOSE 8080 8443
# Every listener on all interfaces; the control API then asks for a token:
# set HERALD_CONTROL_TOKEN, or read the one herald serve prints. The health
# check asks GET /_herald/v1/health, the one route that needs no token.
ENTRYPOINT ["/herald", "serve", "--host", "0.0.0.0"]
HEALTHCHECK --interval=2s --timeout=3s --start-period=1s --retries=30 CMD ["/herald", "health"]
